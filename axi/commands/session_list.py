"""`axi sessions` as a list, without click: the click group in `sessions.py` and the fast path
(`fast.py`) both call `list_command`; `--group-by` is `session_groups.py`'s."""

from __future__ import annotations

from axi import views
from axi.commands.session_pick import Selection, command, index_note
from axi.index.catalog import short_ids
from axi.index.rows import ALL_FIELDS, LIST_FIELDS, present
from axi.shown import Table

UNIQUE = ("id", "full_id", "title", "launch", "question", "answer_with")  # never stated once
STATUSES = ("working", "idle", "needs-you", "needs-auth", "review", "done", "crashed",
            "ended")
FIELDS = [*ALL_FIELDS, "tags"]  # `tags` also shows on its own once a shown row has one


def list_command(all_dirs: bool, directory: str | None, harness: str | None,
                 status: str | None, fields: str | None, limit: int, subagents: bool,
                 host: str | None, tags: tuple[str, ...] = (), group_by: str | None = None,
                 keep: tuple | None = None) -> dict:
    """`axi sessions` as typed: this machine's list, or with `--host` (or hosts configured)
    every machine's (`axi.remote.listing`); `--group-by`: this machine's groups. The
    parameters are the click options' (`fast.py` passes them by name). `keep`: a plain list's
    key (`replay.list_key`), under which a list of this machine alone is kept for a replay."""
    if group_by is not None:
        from axi.commands.session_groups import group_command

        return group_command(group_by, host, fields, Selection(
            all_dirs, directory, harness, status, subagents, tags), limit)
    from axi.remote.listing import with_hosts

    kw = {"all_dirs": all_dirs, "directory": directory, "harness": harness, "status": status,
          "fields": fields, "limit": limit, "subagents": subagents, "tags": tuple(tags)}
    basis = _basis(keep) if keep is not None else None
    if basis is None:
        return with_hosts(host, list_view, **kw)
    data = list_view(**kw, basis=basis)
    basis.save(data)
    return data


def _basis(key: tuple):
    """What a plain list of this machine alone will be made from, or None."""
    from axi.commands.replay_basis import Basis
    from axi.remote import maybe_configured

    basis = Basis(key, views.clock())  # stamps the config before it is read here
    return None if maybe_configured() else basis  # other machines' rows: the network


def list_view(all_dirs: bool, directory: str | None, harness: str | None, status: str | None,
              fields: str | None, limit: int, subagents: bool, tags: tuple[str, ...] = (),
              basis=None) -> dict:
    """This machine's list. `basis` (`replay_basis.Basis`) gathers what it is made from."""
    views.check_limit(limit)
    default = LIST_FIELDS + (["dir"] if all_dirs else [])
    chosen = views.parse_fields(fields, default, FIELDS, "axi sessions")
    pick = Selection(all_dirs, directory, harness, status, subagents, tags)
    pick.open(stamped=basis is not None)
    conn = pick.conn
    if basis is not None:
        basis.refreshed(conn, pick.fresh)
    total = pick.count()
    rows = pick.newest(limit)
    if basis is not None:
        basis.listed(conn, rows, pick.where, pick.args, total)
        basis.folders(rows)
    flags = pick.flags(**{"--fields": fields})
    data: dict = {}
    if not rows:
        pick.nothing(data, **{"--fields": fields})
    else:
        data["count"] = views.count_line(len(rows), total) + (
            "" if all_dirs else f" in {pick.place}")
        ids = short_ids(conn, [r["id"] for r in rows])
        from axi.control.overlay import statuses

        shown = with_dir(chosen, rows)
        found = _tags_of(rows)
        if found and "tags" not in shown:
            shown = [*shown, "tags"]
        listed = present(conn, rows, [f for f in shown if f != "tags"], ids,
                         overlay=statuses if basis is None else basis.overlay(statuses))
        if "tags" in shown:
            listed = [_with_tags(out, shown, found.get(row["key"]))
                      for out, row in zip(listed, rows, strict=True)]
        data["sessions"] = Table(listed, liftable=tuple(f for f in shown if f not in UNIQUE),
                                 folder_key="dir")
        data["help"] = _list_hints(len(rows) < total, limit, flags)
    if "cost" in chosen:  # the price table is read only when a cost is shown
        from axi.console.pricetable import stale_note

        stale_note(data)
    index_note(data, pick.fresh)
    return data


def _tags_of(rows: list) -> dict[str, dict]:
    from axi.control.tags import read

    return read([r["key"] for r in rows])


def _with_tags(out: dict, shown: list[str], tags: dict | None) -> dict:
    """The row with its `tags` cell where the fields put it (before `question`)."""
    from axi.control.tags import text

    placed = {f: (text(tags) if f == "tags" else out.get(f)) for f in shown}
    placed.update((k, v) for k, v in out.items() if k not in placed)
    return placed


def with_dir(fields: list[str], rows: list) -> list[str]:
    """The fields, with `dir` after the defaults when the rows are in more than one folder."""
    if "dir" in fields or len({r["dir"] for r in rows}) < 2:
        return fields
    return fields[:len(LIST_FIELDS)] + ["dir"] + fields[len(LIST_FIELDS):]


def _list_hints(more: bool, limit: int, flags: dict) -> list[str]:
    hints = [views.hint(views.command("sessions", "view", "<id>"), "for every field"),
             views.hint(views.command("sessions", "read", "<id>"), "for its turns")]
    if more:
        hints.append(views.hint(command("sessions", flags={**flags, "--limit": limit * 5}),
                                "for more rows"))
    return hints
