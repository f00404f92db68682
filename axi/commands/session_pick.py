"""Which sessions `axi sessions` picks: the folder scope and the filters (`--harness`,
`--status`, `--tag`, sub-agents), shared by the list (`session_list.py`) and its groups
(`session_groups.py`), and what to say when none match."""

from __future__ import annotations

from axi import views
from axi.index.catalog import check_dir, newest, open_index, scope_clause
from axi.index.tallies import newest_where, tally
from axi.paths import cwd, dir_candidates, tilde
from axi.sqlite import sqlite3
from axi.text import shell_word
from axi.views import clock

PLAIN = "is_subagent = 0"  # the filter of a list narrowed by nothing but its folder


class Selection:
    """The sessions the filters pick (scope, `--harness`, `--status`, `--tag`, sub-agents):
    `where` and `args` on the `sessions` table of `conn`; `base` without the folder scope."""

    def __init__(self, all_dirs: bool, directory: str | None, harness: str | None,
                 status: str | None, subagents: bool, tags: tuple[str, ...] = ()):
        self.all_dirs, self.directory, self.harness = all_dirs, directory, harness
        self.status, self.subagents, self.tags = status, subagents, tuple(tags)
        self.wanted = _tag_filter(self.tags)
        self.here = check_dir(directory) if directory else cwd()
        self.place = "all folders" if all_dirs else tilde(self.here)

    def open(self, stamped: bool = False) -> None:
        """`stamped`: with the index's files as the refresh left them (for a replay)."""
        self.scoped, self.scope_args = ("1", []) if self.all_dirs else scope_clause(
            dir_candidates(self.here))
        self.conn, self.fresh = open_index(
            scope=None if self.all_dirs else (self.scoped, self.scope_args), stamped=stamped)
        filters, self.base_args = _filters(self.conn, self.harness, self.status,
                                           self.subagents, self.wanted)
        self.base = " AND ".join(filters) or "1"
        self.where = f"{self.base} AND {self.scoped}"
        self.args = self.base_args + self.scope_args

    @property
    def plain(self) -> bool:
        """Only the folder narrows the list (no harness, status or tag; no sub-agents)."""
        return self.base == PLAIN

    def count(self, scoped: str | None = None, scope_args: list | None = None) -> int:
        """How many sessions match in the folders `scoped` (by default the selection's own;
        "1": every folder): from the folders' tallies when only the folder narrows."""
        if scoped is None:
            scoped, scope_args = self.scoped, self.scope_args
        if self.plain:
            return tally(self.conn, scoped, scope_args or [])
        return self.conn.execute(f"SELECT count(*) FROM sessions WHERE {self.base} AND {scoped}",
                                 self.base_args + (scope_args or [])).fetchone()[0]

    def newest(self, limit: int) -> list:
        """The `limit` newest matching. Narrowed by its folder alone, along the cheaper index
        (`tallies.newest_where`; every folder: newest first along `sessions_last`)."""
        if not self.plain:
            return newest(self.conn, self.where, self.args, limit)
        where = f"+{PLAIN}" if self.all_dirs else newest_where(
            self.conn, self.scoped, self.scope_args, limit)
        return newest(self.conn, where, self.args, limit)

    def flags(self, **more: object) -> dict:
        """The flags given, to carry forward into hints (`more`: the caller's own)."""
        return {"--all": self.all_dirs, "--dir": self.directory, "--harness": self.harness,
                "--status": self.status, **more, "--subagents": self.subagents,
                "--tag": self.tags}

    def nothing(self, data: dict, key: str = "sessions", **more: object) -> dict:
        """The answer when no session matches: how many match in other folders, and where
        to look."""
        elsewhere = 0 if self.all_dirs else self.count("1", [])
        data[key] = f"0 {_kind(self.harness, self.status, self.tags)} in {self.place}" + (
            "" if self.all_dirs else f" ({elsewhere} elsewhere)")
        data["help"] = _empty_hints(self.all_dirs, elsewhere, self.flags(**more))
        return data


def _filters(conn: sqlite3.Connection, harness: str | None, status_: str | None,
             subagents: bool, wanted: list | None = None) -> tuple[list[str], list]:
    filters: list[str] = [] if subagents else [PLAIN]
    args: list = []
    if harness:
        filters.append("harness = ?")
        args.append(harness)
    if wanted:
        import json

        from axi.control.tags import matches, read

        keys = [key for key, tags in read().items() if matches(tags, wanted)]
        filters.append("key IN (SELECT value FROM json_each(?))")
        args.append(json.dumps(keys))
    if status_:
        return _status_filter(conn, filters, args, status_)
    return filters, args


def _tag_filter(tags: tuple[str, ...]) -> list:
    if not tags:
        return []
    from axi.control.tags import parse_filter

    return parse_filter(tags)


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


def _kind(harness: str | None, status_: str | None, tags: tuple[str, ...] = ()) -> str:
    words = [w for w in (status_, harness) if w]
    return " ".join(words + ["sessions"]) + (f" tagged {' '.join(tags)}" if tags else "")


def command(*words: str, flags: dict) -> str:
    """`views.command`, with `--tag` given once for each of its values."""
    tags = flags.get("--tag") or ()
    line = views.command(*words, flags={k: v for k, v in flags.items() if k != "--tag"})
    return line + "".join(f" --tag {shell_word(t)}" for t in tags)


def _empty_hints(all_dirs: bool, elsewhere: int, flags: dict) -> list[str]:
    if not all_dirs and elsewhere:
        return [views.hint(command("sessions", flags={**flags, "--all": True, "--dir": None}),
                           "for every folder")]
    return [views.hint(views.command("sessions", "search", "<words>"),
                       "to find a session by what was said")]


def index_note(data: dict, fresh) -> None:
    note = fresh.note()
    if note:
        data["index"] = note
    if fresh.warnings:
        data["warnings"] = list(fresh.warnings)[:5]
