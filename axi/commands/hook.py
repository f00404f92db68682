"""`axi hook`: what agent hosts run at session start and end and as a session's state changes
(installed by `axi setup hooks`).

Every `axi hook ...` line runs through `axi.commands.hook_entry.run_line` without click, and
exits 0 whatever its arguments (an unknown `--host` runs as none, an unknown flag is ignored,
both said on stderr); these commands only give `--help`, and unknown verbs their usage error."""

from __future__ import annotations

import click

from axi.commands.hook_entry import HOSTS, run_hook
from axi.commands.tree import AxiCommand, AxiGroup

HOST_HELP = "Who runs it: claude and codex get their JSON envelope; opencode and none, TOON."


@click.group(cls=AxiGroup, examples=(
    "axi hook session-start --host claude < payload.json",
    "axi hook session-end --host codex < payload.json"))
def hook() -> None:
    """Session hooks for agent hosts: the dashboard at start; end and state recorded. Exit 0."""


@hook.command("session-start", cls=AxiCommand, examples=(
    "axi hook session-start", "echo '{\"cwd\": \"/work/app\"}' | axi hook session-start"))
@click.option("--host", type=click.Choice(HOSTS), default="none", show_default=True,
              help=HOST_HELP)
def session_start(host: str) -> None:
    """Print this folder's dashboard for a starting session (host JSON on stdin, if any)."""
    run_hook("session-start", host)


@hook.command("session-end", cls=AxiCommand, examples=(
    "axi hook session-end", "echo '{\"session_id\": \"…\", \"reason\": \"exit\"}' | "
    "axi hook session-end --host claude"))
@click.option("--host", type=click.Choice(HOSTS), default="none", show_default=True,
              help=HOST_HELP)
def session_end(host: str) -> None:
    """Record that a session ended, and why (host JSON on stdin)."""
    run_hook("session-end", host)


@hook.command("state", cls=AxiCommand, examples=(
    "echo '{\"session_id\": \"…\", \"hook_event_name\": \"Stop\"}' | "
    "axi hook state --host claude",
    "axi hook state < payload.json"))
@click.option("--host", type=click.Choice(HOSTS), default="none", show_default=True,
              help="Who runs it: claude, codex and opencode get nothing printed; none, TOON.")
def state(host: str) -> None:
    """Record the session's state (working, idle, needs you, needs auth) from a hook event."""
    run_hook("state", host)
