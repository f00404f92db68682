"""`axi sessions read` and `axi sessions search`: what was said, from the transcripts."""

from __future__ import annotations

import collections

import click

from axi import views
from axi.commands.tree import AxiCommand
from axi.errors import AxiError, NotFound, UsageFault
from axi.harnesses import NAMES, get
from axi.index.catalog import open_index, resolve, session_filters, short_ids
from axi.index.store import catch_up_search
from axi.index.texts import catch_up as catch_up_texts
from axi.paths import tilde
from axi.shown import Table
from axi.views import clock

TURN_TEXT = 500
SEARCH_WAIT = 20.0  # seconds a search reads search text a cold index left for later
SEARCH_HELP = ("Full-text search of every session's prompts and replies, in all folders: words "
               "must all appear (punctuation and hyphens are fine: main.rs, sub-agent); OR "
               'between words matches either; "a phrase" in double quotes matches its words '
               "in order.")


def resolve_session(conn, session_id: str):
    """A session by its id, or by the launch id `axi sessions new` printed for it (a harness
    that mints its own id, such as Codex or pi, is adopted under a different one)."""
    try:
        return resolve(conn, session_id)
    except NotFound:
        from axi.control.adopt import launch_of

        launch = launch_of(session_id)
        if launch is None or launch["session"] == session_id:
            raise
        if launch["session"] is None:
            raise AxiError(f"launch {launch['id'][:8]} has not reported its session id yet "
                           f"({launch['harness']} mints its own once it starts)",
                           code="NO_SESSION_YET", help=[
                               views.hint(views.command("sessions", "result", launch["id"]),
                                          "shows how it stands"),
                               views.hint(views.command("sessions", "read", launch["id"],
                                                        flags={"--follow": True}),
                                          "streams its turns as they come")]) from None
        return resolve(conn, launch["session"])


@click.command(cls=AxiCommand, examples=("axi sessions read 01a20071",
                                         "axi sessions read cb4228d5 --since 0 --limit 5",
                                         "axi sessions read 01a20071 --follow --timeout 10m"))
@click.argument("session_id", metavar="ID", required=False)
@click.option("--since", type=int, metavar="C",
              help="Start at cursor C (a turn's cursor; its `next` to go on after it); "
              "default: the latest turns, or with --follow the first.")
@click.option("--limit", type=int, default=10, show_default=True, help="Turns to show.")
@click.option("--full", is_flag=True, help="Do not truncate long turns.")
@click.option("--follow", is_flag=True, help="Stream NDJSON events (turn, waiting, exit, crash) "
              "until the session ends.")
@click.option("--run", metavar="R", help="With --follow: every session of run R, late ones too.")
@click.option("--from-now", is_flag=True, help="With --follow: skip the turns already written.")
@click.option("--events", metavar="LIST", help="With --follow: only these kinds "
              "(turn,waiting,exit,crash).")
@click.option("--timeout", "timeout_text", metavar="DUR",
              help="With --follow: stop quietly after DUR (90s, 30m).")
@click.pass_context
def read(ctx: click.Context, session_id: str | None, since: int | None, limit: int, full: bool,
         follow: bool, run: str | None, from_now: bool, events: str | None,
         timeout_text: str | None) -> dict | None:
    """A session's turns: role, time, text and tool calls, with a cursor to continue from."""
    if follow or run or from_now or events or timeout_text:
        given = {name for name in ("limit", "full")
                 if ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT}
        _follow(session_id, since, follow, run, from_now, events, timeout_text, given)
        return None
    if not session_id:
        raise UsageFault("give a session ID", help=["`axi sessions` lists sessions with their ids"])
    views.check_limit(limit)
    if since is not None and since < 0:
        raise UsageFault("--since must be a cursor of 0 or more", help=["example: --since 0"])
    conn, _ = open_index(budget=1.0)
    row = resolve_session(conn, session_id)
    harness = get(row["harness"])
    try:
        turns, total = _window(harness.read_turns(row["source"], row["id"], since or 0),
                               since, limit)
    except OSError as exc:
        raise AxiError(f"cannot read the transcript: {exc}", code="UNREADABLE",
                       help=[views.hint(views.command("sessions", "view", row["id"]))]) from exc
    cut = False
    shown = []
    for t in turns:
        text, was_cut = views.truncate(t.text, TURN_TEXT, full)
        cut = cut or was_cut
        shown.append({"cursor": t.cursor, "role": t.role, "time": views.iso(t.ts),
                      "text": text, "tools": "; ".join(t.tools) or None})
    data: dict = {"session": row["id"], "harness": row["harness"]}
    if not shown:
        data["turns"] = "0 turns" + (f" after cursor {since}" if since else "")
    else:
        first = "from cursor " + str(since) if since is not None else "latest"
        data["count"] = f"{len(shown)} of {total} turns ({first})"
        data["turns"] = shown
    hints = _read_hints(row["id"], shown, since, total, limit, cut)
    if hints:
        data["help"] = hints
    return data


def _follow(session_id: str | None, since: int | None, follow: bool, run: str | None,
            from_now: bool, events: str | None, timeout_text: str | None, given: set) -> None:
    """Check the flags (mistakes are TOON usage errors, before any event), then stream."""
    from axi.control import follow as following
    from axi.control import records

    if not follow:
        raise UsageFault("--run, --from-now, --events and --timeout go with --follow",
                         help=["example: axi sessions read <id> --follow --timeout 10m"])
    if given:
        raise UsageFault(f"--{min(given)} does not go with --follow (events carry a preview)",
                         help=[views.hint(views.command("sessions", "read", "<id>", flags={
                             "--since": "<cursor>", "--full": True}), "shows turns whole")])
    if bool(session_id) == bool(run):
        raise UsageFault("--follow needs a session ID or --run R (one of them)",
                         help=["example: axi sessions read <id> --follow",
                               "example: axi sessions read --follow --run <run>"])
    if since is not None and (since < 0 or from_now or run):
        raise UsageFault("--since takes one session's cursor (0 or more), without --from-now "
                         "or --run", help=["example: axi sessions read <id> --follow --since 0"])
    kinds = tuple(k.strip() for k in (events or ",".join(following.KINDS)).split(",")
                  if k.strip())
    unknown = [k for k in kinds if k not in following.KINDS]
    if unknown or not kinds:
        raise UsageFault(f"unknown event kind {', '.join(unknown) or '(none)'} for --events",
                         help=["valid kinds: " + ", ".join(following.KINDS)])
    stream = following.Follow(kinds, views.parse_duration(timeout_text))
    if run:
        members = records.members(records.connect(), run) if records.db.exists() else []
        if not members:
            raise AxiError(f"no run {run!r}", code="NOT_FOUND", help=["`axi runs` lists runs"])
        stream.add_run(run, from_now)
    else:
        row, launched = following.target(session_id)
        if launched:
            stream.add_launch(row, since or 0, from_now)
        else:
            stream.add_session(row, since or 0, from_now)
    stream.run_until_done()


def _window(turns, since: int | None, limit: int):
    """`limit` turns from the cursor, or the last `limit` (memory stays bounded either way)."""
    if since is not None:
        picked, total = [], 0
        for t in turns:
            total += 1
            if len(picked) < limit:
                picked.append(t)
        return picked, total
    tail: collections.deque = collections.deque(maxlen=limit)
    total = 0
    for t in turns:
        total += 1
        tail.append(t)
    return list(tail), total


def _read_hints(ident: str, shown: list[dict], since, total: int, limit: int,
                cut: bool) -> list[str]:
    hints = []
    if shown and since is not None and total > len(shown):
        nxt = shown[-1]["cursor"] + 1
        hints.append(views.hint(views.command("sessions", "read", ident,
                                              flags={"--since": nxt, "--limit": limit}),
                                "for the next turns"))
    if shown and since is None and total > len(shown):
        hints.append(views.hint(views.command("sessions", "read", ident,
                                              flags={"--since": 0, "--limit": limit}),
                                "from the first turn"))
    if cut:
        hints.append(views.hint(views.command("sessions", "read", ident,
                                              flags={"--since": since, "--full": True}),
                                "shows long turns whole"))
    return hints


def _search_rows(conn, where: str, args: list, limit: int) -> tuple[int, list]:
    import sqlite3

    from axi.index.query import SYNTAX_HELP

    sql_from = ("FROM texts_fts JOIN texts t ON t.rowid = texts_fts.rowid "
                "JOIN sessions s ON s.key = t.session_key WHERE " + where)
    try:
        total = conn.execute(f"SELECT count(*) {sql_from}", args).fetchone()[0]
        hits = conn.execute(
            "SELECT s.id, s.harness, s.dir, t.role, t.ts, t.cursor, "
            f"snippet(texts_fts, 0, '«', '»', '…', 12) AS snip {sql_from} "
            "ORDER BY t.ts DESC LIMIT ?", args + [limit]).fetchall()
    except sqlite3.OperationalError as exc:
        raise UsageFault(f"the search index cannot read this query ({exc})",
                         help=[SYNTAX_HELP, "example: axi sessions search parser OR lexer"]
                         ) from exc
    return total, hits


@click.command(cls=AxiCommand, help=SEARCH_HELP, examples=(
    "axi sessions search 'main.rs' parser", "axi sessions search '\"fix the parser\" OR lexer'",
    "axi sessions search 'lib.py' --dir ~/work/projC"))
@click.argument("query", nargs=-1, required=True)
@click.option("--dir", "directory", metavar="D", help="Only sessions in folder D and below.")
@click.option("--harness", type=click.Choice(NAMES), help="Only this harness.")
@click.option("--limit", type=int, default=20, show_default=True, help="Hits to show.")
@click.option("--host", metavar="H", help="Also search hosts: all, or one host's name "
              "(axi hosts); default this machine only.")
def search(query: tuple[str, ...], directory: str | None, harness: str | None,
           limit: int, host: str | None) -> dict:
    host, directory = _dir_on_host(host, directory)
    if host is not None:
        from axi.remote.aggregate import search_hosts

        return search_hosts(host, query, directory, harness, limit, search_here)
    return search_here(query, directory, harness, limit)


def _dir_on_host(host: str | None, directory: str | None) -> tuple[str | None, str | None]:
    """`--dir box:/path`: search that folder on that host (when `box` is a configured host)."""
    if not directory or ":" not in directory:
        return host, directory
    from axi.remote import maybe_configured

    if not maybe_configured():
        return host, directory
    from axi.remote.hosts import load_hosts
    from axi.remote.listing import host_dir

    named = host_dir(directory, load_hosts())
    return (named[0], named[1]) if named is not None else (host, directory)


def search_here(query: tuple[str, ...], directory: str | None, harness: str | None,
                limit: int) -> dict:
    from axi.index.query import to_match

    views.check_limit(limit)
    words = " ".join(query).split()
    if not words:
        raise UsageFault("search needs at least one word", help=["example: axi sessions search "
                                                                 "parser"])
    match = to_match(" ".join(words))
    conn, fresh = open_index()
    missing = catch_up_texts(conn, budget=SEARCH_WAIT)
    catch_up_search(conn)
    where, args = session_filters(harness, directory)
    where, args = ["texts_fts MATCH ?", "s.is_subagent = 0", *where], [match, *args]
    total, hits = _search_rows(conn, " AND ".join(where), args, limit)
    data: dict = {"query": " ".join(words)}
    note = fresh.note() or (f"the search text of {missing} transcripts is still being read; "
                            "try again shortly" if missing else None)
    if note:
        data["index"] = note
    if not hits:
        data["hits"] = f"0 hits for {' '.join(words)!r}" + (
            f" in {tilde(directory)}" if directory else " in any session")
        data["help"] = [views.hint(views.command("sessions", flags={"--all": True}),
                                   "lists every session")]
        return data
    ids = short_ids(conn, list({h["id"] for h in hits}))
    now = clock()
    data["count"] = views.count_line(len(hits), total)
    data["hits"] = Table([{"id": ids[h["id"]], "harness": h["harness"], "role": h["role"],
                           "age": views.age(h["ts"], now), "dir": tilde(h["dir"]),
                           "cursor": h["cursor"], "text": " ".join(h["snip"].split())}
                          for h in hits], liftable=("harness", "role", "age", "dir"),
                         folder_key="dir")
    data["help"] = [views.hint(views.command("sessions", "read", "<id>", flags={
        "--since": "<cursor>"}), "shows the turns around a hit")]
    return data
