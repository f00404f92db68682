"""`axi sessions new|continue|restart`: start harness sessions under axi's holder."""

from __future__ import annotations

import click

from axi import views
from axi.commands.tree import AxiCommand
from axi.errors import AxiError, UsageFault
from axi.paths import tilde
from axi.text import shell_word

HARNESS_HELP = "claude, codex, opencode, pi, or a [[harness]] name from config.toml"


def fence_options(func):
    """The run's limits, shared by `new` and `continue`."""
    for decorator in reversed((
        click.option("--max-cost", type=float, metavar="USD", help="Stop the run past this cost."),
        click.option("--max-tokens", type=int, metavar="N", help="Stop the run past N tokens."),
        click.option("--max-workers", type=int, metavar="N",
                     help="Refuse a launch when the run has N live sessions."),
        click.option("--max-depth", type=int, metavar="N",
                     help="Refuse launches nested deeper than N (default 1)."),
        click.option("--timeout", "timeout_text", metavar="DUR",
                     help="Stop the run after DUR (90s, 30m, 2h)."),
    )):
        func = decorator(func)
    return func


def mode_options(func):
    for decorator in reversed((
        click.option("--dir", "directory", metavar="D", help="Run in folder D (default: here)."),
        click.option("--run", metavar="R", help="Join run R (default: this session's run, "
                     "or a new one)."),
        click.option("--name", metavar="NAME", help="A name to show for the session."),
        click.option("--headless", is_flag=True, help="Run the harness non-interactively."),
        click.option("--wait", is_flag=True,
                     help="Headless, and block until it ends: exit 0 only on success."),
        click.option("--unattended", is_flag=True,
                     help="`axi ask` inside it answers with its default instead of blocking."),
        click.option("--accept", metavar="CMD",
                     help="A check (shell command) that must pass before success counts."),
        click.option("--close-on-done", is_flag=True,
                     help="Watched: end the harness once the session is tagged with an "
                     "outcome and its turn is over, instead of holding it open."),
    )):
        func = decorator(func)
    return func


def fences(max_cost, max_tokens, max_workers, max_depth, timeout_text) -> dict:
    for flag, value in (("--max-cost", max_cost), ("--max-tokens", max_tokens),
                        ("--max-workers", max_workers), ("--max-depth", max_depth)):
        if value is not None and value <= 0:
            raise UsageFault(f"{flag} must be more than 0, not {value:g}")
    return {"max_cost": max_cost, "max_tokens": max_tokens, "max_workers": max_workers,
            "max_depth": max_depth, "timeout": views.parse_duration(timeout_text)}


@click.command(cls=AxiCommand, examples=(
    'axi sessions new claude "fix the flaky test"',
    'axi sessions new codex "add a changelog entry" --wait --unattended --accept "make test"',
    'axi sessions new claude "build it" --behavior $(axi recipes --path coordinator) '
    '--max-cost 20 --max-depth 2'))
@click.argument("harness", metavar="[HARNESS]")
@click.argument("task", required=False)
@click.option("--model", metavar="M", help="The model to ask the harness for.")
@mode_options
@click.option("--behavior", metavar="FILE", help="A behaviour prompt (a file or text) put "
              "before the task, such as the coordinator recipe.")
@click.option("--host", metavar="NAME", help="Launch it on that machine ([[host]]), over its "
              "transport; its id comes back as NAME/id.")
@click.option("--args", "harness_args", metavar="WORDS", help="The harness's own flags, as "
              "shell words, put before the task (e.g. --args=--dangerously-skip-permissions).")
@fence_options
def new(harness: str, task: str | None, model: str | None, directory: str | None,
        run: str | None, name: str | None, headless: bool, wait: bool, unattended: bool,
        accept: str | None, close_on_done: bool, behavior: str | None, host: str | None,
        harness_args: str | None, max_cost, max_tokens, max_workers, max_depth,
        timeout_text) -> dict:
    """Launch HARNESS (default: default_harness in config.toml) on TASK under axi's holder;
    prints the session id and run at once."""
    from axi.control.launch import Request

    watched_only(close_on_done, headless, wait)
    harness, task = harness_and_task(harness, task)
    req = Request(harness, task, model, directory, run, name, headless or wait, unattended,
                  accept, behavior, fences(max_cost, max_tokens, max_workers, max_depth,
                                           timeout_text), close_on_done=close_on_done,
                  args=split_args(harness_args))
    return started(req, wait)


def split_args(words: str | None) -> list[str]:
    """`--args "--flag value"` as argv words; one that does not split is a usage error."""
    import shlex

    if not words:
        return []
    try:
        return shlex.split(words)
    except ValueError as exc:
        raise UsageFault(f"--args is not a valid command line: {exc}",
                         help=['example: --args "--dangerously-skip-permissions"']) from None


def watched_only(close_on_done: bool, headless: bool, wait: bool) -> None:
    """`--close-on-done` ends a watched session's harness; a headless one ends by itself."""
    if close_on_done and (headless or wait):
        flag = "--wait" if wait else "--headless"
        raise UsageFault(f"--close-on-done is for watched sessions; a {flag} session ends by "
                         "itself when its task is done", help=[
                             f"drop --close-on-done, or drop {flag} to watch it"])


def harness_and_task(first: str, task: str | None) -> tuple[str, str | None]:
    """`new claude "task"`, `new claude`, or `new "task"` with `default_harness` set."""
    from axi.control.config import harness_names, load
    from axi.paths import config_path

    config = load()
    if task is not None or first in harness_names(config):
        return first, task
    default = config.get("default_harness")
    if not default:
        raise UsageFault(f"{first[:60]!r} is not a harness, and no default_harness is set",
                         help=[f"name the harness: axi sessions new claude {shell_word(first)}",
                               f'or set default_harness = "claude" in {config_path()}'])
    return default, first


def started(req, wait: bool, pinned: dict | None = None) -> dict:
    from axi.control.launch import start

    ids = start(req, pinned)
    if wait:
        from axi.commands.drive import wait_result

        return wait_result([ids["id"]], every=True, seconds=None)
    data = {"id": ids["id"], "session": _session_now(ids["id"]), "run": ids["run"],
            "harness": req.harness,
            "mode": "headless" if req.headless else "watched",
            "on_done": "close" if req.close_on_done and not req.headless else None,
            "dir": tilde(req.directory) if req.directory else None,
            "tmux_window": ids.get("window"), "warning": ids.get("warning")}
    sid = ids["id"][:8]
    hints = [views.hint(views.command("sessions", "read", sid, flags={"--follow": True}),
                        "streams its turns"),
             views.hint(views.command("sessions", "wait", sid), "blocks until it ends")]
    if not req.headless:
        hints.insert(0, views.hint(views.command("sessions", "attach", sid),
                                   "shows it here (Ctrl-A d detaches)"))
        hints.append(views.hint(views.command("sessions", "type", sid, "<text>"),
                                "types into it"))
    data["help"] = hints
    return {k: v for k, v in data.items() if v is not None}


def _session_now(launch_id: str) -> str:
    """The session id, when known at launch (a harness that takes axi's id, or a continued
    session); otherwise the harness mints it once it starts, and the launch id stands in."""
    from axi.control import records

    row = records.get(records.connect(), launch_id)
    if row is not None and row["session"]:
        return row["session"]
    return "not known yet: the harness mints its own; the launch id works in every verb"


@click.command("continue", cls=AxiCommand, examples=(
    'axi sessions continue 01a20071 "now add tests"',
    'axi sessions continue 01a20071 "summarise" --wait'))
@click.argument("session_id", metavar="ID")
@click.argument("task")
@click.option("--model", metavar="M", help="The model to ask the harness for.")
@mode_options
@fence_options
def continue_(session_id: str, task: str, model: str | None, directory: str | None,
              run: str | None, name: str | None, headless: bool, wait: bool, unattended: bool,
              accept: str | None, close_on_done: bool, max_cost, max_tokens, max_workers,
              max_depth, timeout_text) -> dict:
    """Resume session ID with a new TASK, under axi's holder (its context is kept)."""
    from axi.control import live, records
    from axi.control.launch import Request

    watched_only(close_on_done, headless, wait)
    conn = records.connect()
    launched = records.find(conn, session_id)
    if launched is not None:
        if live.running(launched):
            raise AxiError("the session is still running", code="STILL_RUNNING", help=[
                views.hint(views.command("sessions", "type", launched["id"], task),
                           "types the task into it")])
        harness, real, folder = launched["harness"], launched["session"], launched["dir"]
        run = run or launched["run"]
        # its tags go on with it (the tmux window is the old launch's own)
        labels = {k: v for k, v in records.labels_of(launched).items() if k != "tmux"}
    else:
        from axi.index.catalog import open_index, resolve

        index, _ = open_index(budget=1.0)
        row = resolve(index, session_id)
        harness, real, folder = row["harness"], row["id"], row["dir"]
        labels = {}
    if not real:
        raise AxiError("the harness never reported a session id for this launch",
                       code="NO_SESSION", help=[views.hint(
                           views.command("sessions", "restart", session_id),
                           "starts it again from its launch spec")])
    req = Request(harness, task, model, directory or folder, run, name, headless or wait,
                  unattended, accept, None, fences(max_cost, max_tokens, max_workers,
                                                   max_depth, timeout_text), resume=real,
                  labels=labels, close_on_done=close_on_done)
    return started(req, wait)


@click.command(cls=AxiCommand, examples=("axi sessions restart 01a20071",
                                          "axi sessions restart 01a20071 --wait"))
@click.argument("session_id", metavar="ID")
@click.option("--wait", is_flag=True, help="Block until it ends: exit 0 only on success.")
def restart(session_id: str, wait: bool) -> dict:
    """Start a launched session again from its saved spec (same task, model, run and limits).

    A session still running is stopped first."""
    from axi.control import records, runs
    from axi.control.launch import Request
    from axi.control.waiting import await_end

    conn = records.connect()
    old = records.require(conn, session_id)
    if runs.stop(old, "killed"):
        await_end(conn, old["id"])
    spec = records.spec_of(old)
    req = Request.from_dict(spec["request"])
    req.run, req.directory = old["run"], old["dir"]
    # Pinned back where it was: the same parent, depth and run as the first launch.
    data = started(req, wait, pinned={"parent": old["parent"], "run": old["run"],
                                      "depth": old["depth"] - 1})
    return {"restarted": old["id"], **data}
