"""`axi activity`: one stream of what happened (sessions, mail, tasks, identities, launches,
runs, questions), newest last, read back from the stores that hold it."""

from __future__ import annotations

import click

from axi import views
from axi.commands.tree import AxiCommand
from axi.console.activity import GROUPS, KINDS


@click.command(cls=AxiCommand, examples=(
    "axi activity", "axi activity --since 2h --kind mail --agent alice",
    "axi activity --follow --after 1795305600000-mail.sent-3fa9c2d1e0"))
@click.option("--since", metavar="D", help="Only events newer than D (90s, 30m, 2h, 7d) or a "
              "UTC date.")
@click.option("--limit", type=int, default=30, show_default=True,
              help="The newest N events (with --after: the first N after it).")
@click.option("--agent", metavar="NAME", help="Only events of this agent (its mail, tasks, "
              "identity, and the sessions in its folder).")
@click.option("--session", metavar="ID", help="Only this session (an id or its prefix): its "
              "hooks, launch and questions.")
@click.option("--run", "run_id", metavar="ID", help="Only this run: its launches, sessions, "
              "questions and outcome.")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS + GROUPS),
              help="Only this kind, or group (mail, task, ...); repeatable.")
@click.option("--after", metavar="CURSOR", help="Only events after this cursor (an event's "
              "`cursor`): resumes exactly where a list or a follow stopped.")
@click.option("--follow", is_flag=True, help="Stream events as NDJSON, each with its cursor, "
              "until interrupted.")
@click.option("--timeout", "timeout_text", metavar="DUR", hidden=True,
              help="With --follow: stop quietly after DUR.")
def activity(since: str | None, limit: int, agent: str | None, session: str | None,
             run_id: str | None, kinds: tuple[str, ...], after: str | None, follow: bool,
             timeout_text: str | None) -> dict | None:
    """What happened: sessions, mail, tasks, agents, runs."""
    from axi.console import activity as stream
    from axi.console.logbook import parse_since

    cursor = stream.parse_cursor(after) if after else None
    start = parse_since(since, views.clock())
    filters = stream.Filters(kinds=stream.kinds_for(kinds), agent=agent, session=session,
                             run=run_id)
    if follow:
        import contextlib
        import time

        from axi.output import event

        stop = views.parse_duration(timeout_text)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends a follow quietly
            stream.follow(filters, start, cursor, event,
                          None if stop is None else time.time() + stop)
        return None
    views.check_limit(limit)
    shown, total = stream.select(filters, start, cursor, limit)
    narrowed = bool(since or agent or session or run_id or kinds or after)
    data: dict = {"count": views.count_line(len(shown), total)}
    data["events"] = [e.row() for e in shown] or ("none" + (" matching" if narrowed else ""))
    if shown:
        data["cursor"] = shown[-1].cursor.word()
    hints = []
    if shown:
        hints.append(views.hint(f"axi activity --follow --after {data['cursor']}",
                                "streams what happens next, from here"))
        if after and total > len(shown):
            hints.append(views.hint(f"axi activity --after {data['cursor']}", "lists the next "
                                    f"{min(limit, total - len(shown))}"))
    else:
        hints.append("events come from the hooks' journal and the mailbox: `axi setup` "
                     "installs the hooks")
    data["help"] = hints
    return data
