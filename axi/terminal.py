"""Who is at this terminal: a person, or an agent harness's shell.

The picker's hint on bare `axi`, `[ui] bare = "pick"` and the person's own mailbox identity
act only for a person: stdout is a terminal and no agent harness set its variables. An agent's
tool calls run without a terminal, so the variables are the second guard, not the first.
"""

from __future__ import annotations

import os
import sys

# Set in the shells of agent harnesses: Claude Code (CLAUDECODE, CLAUDE_CODE_ENTRYPOINT and
# AI_AGENT, seen in its hooks' environment), Codex (CODEX_SANDBOX, CODEX_THREAD_ID), opencode
# (OPENCODE), and sessions axi launches (AXI_SESSION_ID).
AGENT_ENV = ("CLAUDECODE", "CLAUDE_CODE_ENTRYPOINT", "AI_AGENT", "CODEX_SANDBOX",
             "CODEX_THREAD_ID", "OPENCODE", "AXI_SESSION_ID")


def person_at_terminal() -> bool:
    """stdout is a terminal and no agent harness set its variables: a person is typing."""
    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and not any(os.environ.get(name) for name in AGENT_ENV)
