"""`axi sessions` as a list, without click: the click group in `sessions.py` and the fast path
(`fast.py`) both call `list_view`."""

from __future__ import annotations

import sqlite3

from axi import views
from axi.index.catalog import check_dir, newest, open_index, scope_clause, short_ids
from axi.index.rows import ALL_FIELDS, LIST_FIELDS, present
from axi.paths import cwd, dir_candidates, tilde
from axi.shown import Table
from axi.views import clock

UNIQUE = ("id", "full_id", "title", "launch", "question", "answer_with")  # never stated once
STATUSES = ("working", "idle", "needs-you", "review", "done", "crashed", "ended")


def list_command(all_dirs: bool, directory: str | None, harness: str | None,
                 status: str | None, fields: str | None, limit: int, subagents: bool,
                 host: str | None) -> dict:
    """`axi sessions` as typed: this machine's list, or with `--host` (or hosts configured)
    every machine's (`axi.remote.listing`). The parameters are the click options' (`fast.py`
    passes them by name)."""
    from axi.remote.listing import with_hosts

    return with_hosts(host, list_view, all_dirs=all_dirs, directory=directory, harness=harness,
                      status=status, fields=fields, limit=limit, subagents=subagents)


def list_view(all_dirs: bool, directory: str | None, harness: str | None, status: str | None,
              fields: str | None, limit: int, subagents: bool) -> dict:
    """This machine's list."""
    views.check_limit(limit)
    default = LIST_FIELDS + (["dir"] if all_dirs else [])
    chosen = views.parse_fields(fields, default, ALL_FIELDS, "axi sessions")
    here = check_dir(directory) if directory else cwd()
    scoped, scope_args = ("1", []) if all_dirs else scope_clause(dir_candidates(here))
    conn, fresh = open_index(scope=None if all_dirs else (scoped, scope_args))
    filters, args = _filters(conn, harness, status, subagents)
    base = " AND ".join(filters) or "1"
    total = conn.execute(f"SELECT count(*) FROM sessions WHERE {base} AND {scoped}",
                         args + scope_args).fetchone()[0]
    rows = newest(conn, f"{base} AND {scoped}", args + scope_args, limit)
    flags = {"--all": all_dirs, "--dir": directory, "--harness": harness, "--status": status,
             "--fields": fields, "--subagents": subagents}
    data: dict = {}
    place = "all folders" if all_dirs else tilde(here)
    if not rows:
        elsewhere = 0 if all_dirs else conn.execute(
            f"SELECT count(*) FROM sessions WHERE {base}", args).fetchone()[0]
        what = f"{_kind(harness, status)} in {place}"
        data["sessions"] = f"0 {what}" + ("" if all_dirs else f" ({elsewhere} elsewhere)")
        data["help"] = _empty_hints(all_dirs, elsewhere, flags)
    else:
        data["count"] = views.count_line(len(rows), total) + ("" if all_dirs else f" in {place}")
        ids = short_ids(conn, [r["id"] for r in rows])
        from axi.control.overlay import statuses

        shown = with_dir(chosen, rows)
        data["sessions"] = Table(present(conn, rows, shown, ids, overlay=statuses),
                                 liftable=tuple(f for f in shown if f not in UNIQUE),
                                 folder_key="dir")
        data["help"] = _list_hints(len(rows) < total, limit, flags)
    if "cost" in chosen:  # the price table is read only when a cost is shown
        from axi.console.pricetable import stale_note

        stale_note(data)
    index_note(data, fresh)
    return data


def with_dir(fields: list[str], rows: list) -> list[str]:
    """The fields, with `dir` after the defaults when the rows are in more than one folder."""
    if "dir" in fields or len({r["dir"] for r in rows}) < 2:
        return fields
    return fields[:len(LIST_FIELDS)] + ["dir"] + fields[len(LIST_FIELDS):]


def _filters(conn: sqlite3.Connection, harness: str | None, status_: str | None,
             subagents: bool) -> tuple[list[str], list]:
    filters: list[str] = [] if subagents else ["is_subagent = 0"]
    args: list = []
    if harness:
        filters.append("harness = ?")
        args.append(harness)
    if status_:
        return _status_filter(conn, filters, args, status_)
    return filters, args


def _status_filter(conn: sqlite3.Connection, filters: list[str], args: list, status_: str
                   ) -> tuple[list[str], list]:
    """The catalog's status (`axi/index/status.py`) in SQL; sessions axi launched answer for
    themselves."""
    from axi.control.overlay import sessions_with
    from axi.index.status import matching

    word = status_.replace("-", " ")
    hits, launched = sessions_with(word)
    derived, derived_args = matching(conn, word, clock())
    if launched:
        marks = ",".join("?" * len(launched))
        hit_marks = ",".join("?" * len(hits)) or "NULL"
        filters.append(f"((({derived}) AND id NOT IN ({marks})) OR id IN ({hit_marks}))")
        args += derived_args + launched + hits
    else:
        filters.append(derived)
        args += derived_args
    return filters, args


def _kind(harness: str | None, status_: str | None) -> str:
    words = [w for w in (status_, harness) if w]
    return " ".join(words + ["sessions"])


def _list_hints(more: bool, limit: int, flags: dict) -> list[str]:
    hints = [views.hint(views.command("sessions", "view", "<id>"), "for every field"),
             views.hint(views.command("sessions", "read", "<id>"), "for its turns")]
    if more:
        hints.append(views.hint(views.command("sessions", flags={**flags, "--limit": limit * 5}),
                                "for more rows"))
    return hints


def _empty_hints(all_dirs: bool, elsewhere: int, flags: dict) -> list[str]:
    if not all_dirs and elsewhere:
        return [views.hint(views.command("sessions", flags={**flags, "--all": True,
                                                            "--dir": None}),
                           "for every folder")]
    return [views.hint(views.command("sessions", "search", "<words>"),
                       "to find a session by what was said")]


def index_note(data: dict, fresh) -> None:
    note = fresh.note()
    if note:
        data["index"] = note
    if fresh.warnings:
        data["warnings"] = list(fresh.warnings)[:5]
