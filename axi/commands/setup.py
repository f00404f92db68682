"""`axi setup`: install, inspect and remove the session hooks: the dashboard at session start,
and each session's end and state (working, idle, needs you, needs auth) reported to the catalog."""

from __future__ import annotations

import click

from axi import views
from axi.commands.tree import AxiCommand, AxiGroup
from axi.integrations import claude_code, codex, opencode
from axi.integrations.base import SCOPES, Change
from axi.integrations.command import display, executable, explain, temporary_warning
from axi.output import warn
from axi.paths import cwd, tilde

HOSTS = {"claude": claude_code, "codex": codex, "opencode": opencode}


@click.group(cls=AxiGroup, invoke_without_command=True, examples=(
    "axi setup hooks", "axi setup hooks --scope project", "axi setup status"))
@click.pass_context
def setup(ctx: click.Context) -> object:
    """Session hooks for Claude Code, Codex and OpenCode (default: status)."""
    if ctx.invoked_subcommand is None:
        return status_view()
    return None


def _hosts_option(fn):
    return click.option("--host", "hosts", multiple=True, type=click.Choice(list(HOSTS)),
                        help="Only this host (repeatable; default: all three).")(fn)


@setup.command(cls=AxiCommand, examples=(
    "axi setup hooks", "axi setup hooks --scope project --host claude",
    "axi setup hooks --no-trust"))
@click.option("--scope", type=click.Choice(SCOPES), default="user", show_default=True,
              help="user: every folder; project: this folder's .claude/.codex/.opencode.")
@click.option("--no-trust", is_flag=True,
              help="Do not trust axi's Codex hooks; review them in codex `/hooks` instead.")
@_hosts_option
def hooks(scope: str, no_trust: bool, hosts: tuple[str, ...]) -> dict:
    """Install (or repair) hooks that print this dashboard at start and report state and end."""
    exe = executable()
    project = cwd()
    changes: list[Change] = []
    for name in hosts or HOSTS:
        changes += HOSTS[name].install(scope, project, exe, trust=not no_trust)
    failed = [c for c in changes if c.error]
    done = [c for c in changes if c.changed]
    data: dict = {"status": "partial" if failed else ("installed" if done else "unchanged")}
    if not done and not failed:
        data["already"] = True
    data["scope"] = scope if scope == "user" else f"project {tilde(project)}"
    data["command"] = display(exe)
    data["why"] = explain(exe)
    temporary = temporary_warning(exe)
    if temporary:
        data["warnings"] = [temporary]
        warn(temporary)
    rows = [c.row() for c in changes if not c.error]
    if rows:
        data["files"] = rows
    if failed:
        data["failures"] = [{"host": c.host, "file": tilde(c.file), "error": c.error}
                            for c in failed]
    if "codex" in (hosts or HOSTS):
        data["codex_trust"] = _trust_line(scope, no_trust, changes)
    steps = [s for c in changes for s in c.steps]
    if steps:
        data["steps"] = steps
    data["help"] = [views.hint(views.command("setup", "status"), "shows what is installed"),
                    "a new agent session starts with the dashboard; a running one does not"]
    return data


def _trust_line(scope: str, no_trust: bool, changes: list[Change]) -> str:
    if scope == "project":
        return "not written: project hooks are reviewed in codex `/hooks` (see steps)"
    if no_trust:
        return "not written (--no-trust): review axi's hooks in codex `/hooks` (see steps)"
    wrote = any("trusted" in c.action for c in changes if c.host == "codex")
    where = tilde(codex.config_path())
    if wrote:
        return (f"written to {where} for exactly axi's {len(codex.TIMEOUTS)} hooks "
                "(--no-trust leaves it to `/hooks`)")
    return f"already in {where} for axi's hooks"


@setup.command(cls=AxiCommand, examples=("axi setup status", "axi setup status --format json"))
def status() -> dict:
    """What is installed where, whether it runs this axi, and whether Codex will run it."""
    return status_view()


def status_view() -> dict:
    exe = executable()
    project = cwd()
    rows, seen = [], set()
    for scope in SCOPES:
        for module in HOSTS.values():
            for state in module.status(scope, project, exe):
                if state.file in seen:  # in HOME, the project's files are the user's
                    continue
                seen.add(state.file)
                if scope == "user" or state.state != "absent":
                    rows.append(state.row())
    installed = [r for r in rows if r["state"] == "installed"]
    broken = [r for r in rows if r["state"] not in ("installed", "absent")]
    data: dict = {"hooks": rows,
                  "summary": f"{len(installed)} installed, {len(broken)} need attention"}
    data["command"] = display(exe)
    hints = []
    if broken or len(installed) < len(HOSTS):
        hints.append(views.hint(views.command("setup", "hooks"), "installs or repairs them"))
    if installed:
        hints.append(views.hint(views.command("setup", "uninstall"), "removes what axi wrote"))
    data["help"] = hints
    return data


@setup.command(cls=AxiCommand, examples=(
    "axi setup uninstall", "axi setup uninstall --scope project --host opencode"))
@click.option("--scope", type=click.Choice(SCOPES), default="user", show_default=True,
              help="Which files to clean.")
@_hosts_option
def uninstall(scope: str, hosts: tuple[str, ...]) -> dict:
    """Remove only what axi added: hook entries, Codex trust, plugin; files it made, if empty."""
    changes: list[Change] = []
    for name in hosts or HOSTS:
        changes += HOSTS[name].uninstall(scope, cwd())
    failed = [c for c in changes if c.error]
    done = [c for c in changes if c.changed]
    data: dict = {"status": "partial" if failed else ("removed" if done else "unchanged")}
    if not done and not failed:
        data["already"] = True
        data["hooks"] = f"none of axi's at {scope} scope"
    if done:
        data["files"] = [c.row() for c in done]
    if failed:
        data["failures"] = [{"host": c.host, "file": tilde(c.file), "error": c.error}
                            for c in failed]
    data["help"] = [views.hint(views.command("setup", "status"), "shows what is left")]
    return data
