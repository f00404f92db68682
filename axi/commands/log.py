"""`axi log`: the diagnostic log (errors axi swallowed for an agent's sake, with tracebacks)."""

from __future__ import annotations

import click

from axi import views
from axi.commands.tree import AxiCommand


@click.command(cls=AxiCommand, examples=(
    "axi log", "axi log --level error --since 2h", "axi log --follow"))
@click.option("--follow", is_flag=True, help="Stream new entries as NDJSON until interrupted.")
@click.option("--level", metavar="L", help="Only this level and worse: debug, info, warn, error.")
@click.option("--since", metavar="D", help="Only entries newer than D (30m, 2d) or a UTC date.")
@click.option("--limit", type=int, default=30, show_default=True,
              help="The newest N entries (the list, not --follow).")
@click.option("--timeout", "timeout_text", metavar="DUR", hidden=True,
              help="With --follow: stop quietly after DUR.")
def log(follow: bool, level: str | None, since: str | None, limit: int,
        timeout_text: str | None) -> dict | None:
    """The diagnostic log: hook, sweeper and holder errors with their traceback; never mail."""
    import time

    from axi.console import logbook
    from axi.diaglog import files, log_dir

    logbook.check_level(level)
    start = logbook.parse_since(since, time.time())
    if follow:
        from axi.output import event

        stop = views.parse_duration(timeout_text)
        import contextlib

        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends a follow quietly
            logbook.follow(level, start, event, None if stop is None else time.time() + stop)
        return None
    views.check_limit(limit)
    shown, total = logbook.select(level, start, limit)
    data: dict = {"log": _tilde(files()[-1]), "count": views.count_line(len(shown), total)}
    rows = [logbook.row(e) for e in shown]
    data["entries"] = rows or ("none" + (" matching" if level or since else ""))
    hints = []
    if any("error" in r for r in rows):
        hints.append(views.hint("axi log --format json", "has each full traceback"))
    if not shown:
        hints.append(f"the hooks, the sweeper and the holder write here ({_tilde(log_dir())})")
    hints.append(views.hint("axi doctor", "checks the whole setup"))
    data["help"] = hints
    return data


def _tilde(path: str):
    from axi.paths import tilde

    return tilde(path)
