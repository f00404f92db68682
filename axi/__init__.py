"""axi: an agent-first switchboard for coding-agent sessions, speaking TOON."""

__version__ = "0.1.0"

DESCRIPTION = (
    "Agent-first switchboard for coding-agent sessions (Claude Code, Codex, opencode, pi) "
    "and the mail between them"
)
