"""The catalog as commands see it: a fresh-enough index, rows with derived fields, id lookup."""

from __future__ import annotations

import os
import time

from axi.errors import AxiError, NotFound, UsageFault
from axi.index import store
from axi.index.background import SWEEPERS, sweep_in_background
from axi.quiet import suppress
from axi.sqlite import sqlite3
from axi.text import shell_word


class Freshness:
    """How up to date the index a command answers from is."""

    def __init__(self, complete: bool = True, busy: bool = False,
                 warnings: tuple[str, ...] = (), skipped_lines: int = 0, seen=None,
                 stamps=None):
        self.complete, self.busy = complete, busy
        self.warnings, self.skipped_lines = warnings, skipped_lines
        self.seen = seen  # a quick refresh's stats (`ScanReport.seen`); None after a sweep
        self.stamps = stamps  # the index's files as its refresh left them (`index_stamps`)

    def note(self) -> str | None:
        if self.busy:
            return "another axi is updating the index; showing what it has so far"
        if not self.complete:
            return "index still being built; showing what it has so far"
        return None


def open_index(budget: float | None = None, scope: tuple[str, list] | None = None,
               stamped: bool = False) -> tuple[sqlite3.Connection, Freshness]:
    """The index, refreshed within `budget` seconds (None: until done); sessions matching
    `scope` (a `scope_clause`) are checked even when their files are old. `stamped`: with
    the index's files as the refresh left them (`Freshness.stamps`)."""
    try:
        conn = store.connect()
    except sqlite3.Error as exc:
        raise AxiError(f"cannot open the index: {exc}", code="INDEX_ERROR",
                       help=[f"remove {store.index_path()} (a cache) and run again"]) from exc
    return conn, refresh(conn, budget, scope, stamped)


def refresh(conn: sqlite3.Connection, budget: float | None,
            scope: tuple[str, list] | None = None, stamped: bool = False) -> Freshness:
    from axi.index.lock import scan_lock
    from axi.index.scan import refresh as scan

    deadline = None if budget is None else time.time() + budget
    searching: list[bool] = []

    def search_soon(report) -> None:
        """A cold index read it all: search catches up at once, in the background (its
        workers, or a sweep), while this process finishes its writes and answers."""
        if report.texts_handed_on:  # the workers that read it read the text too
            searching.append(True)
        elif report.complete and report.parsed_bytes > SEARCH_AFTER_BYTES:
            sweep_in_background("--search")
            searching.append(True)

    with scan_lock(wait=budget if budget is not None else 120) as held:
        if not held:
            return Freshness(complete=store.get_meta(conn, "complete") == "1", busy=True)
        with suppress(OSError, sqlite3.Error):
            from axi.index.events import sync

            sync(conn)  # first: the sessions the hooks just reported are checked by the scan
        report = scan(conn, deadline=deadline, scope=scope, on_read=search_soon)
        stamps = index_stamps(conn) if stamped else None
    if report.sweep_due or not report.complete:
        sweep_in_background()
    elif report.parsed_bytes > SEARCH_AFTER_BYTES and not searching:
        sweep_in_background("--search")
    return Freshness(report.complete, False, tuple(report.warnings), report.skipped_lines,
                     report.seen, stamps)


def index_stamps(conn: sqlite3.Connection) -> tuple[str, str, str, str, bool]:
    """The index's file and WAL (`paths.stamp`), and whether every frame of the WAL is in the
    file (a passive checkpoint first: then the last connection to close, which removes the
    WAL, moves nothing). Taken under the scan lock, after this process's writes: every writer
    of sessions holds that lock, so until they move, the sessions are as this process left
    them (the search text is written without it, which only ever moves them sooner)."""
    from axi.paths import stamp

    merged = False
    with suppress(sqlite3.Error):
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        merged = not busy and frames == copied
    path = store.index_path()
    return path, stamp(path), path + "-wal", stamp(path + "-wal", True), merged


SEARCH_AFTER_BYTES = 64 << 20  # read this much in one refresh and search catches up at once


def reap_sweepers() -> None:
    import sys

    for pid in list(SWEEPERS):
        with suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                continue
        SWEEPERS.remove(pid)
    pool = sys.modules.get("axi.index.pool")  # index workers left to read search text
    if pool is not None:
        pool.reap()


def resolve(conn: sqlite3.Connection, prefix: str) -> sqlite3.Row:
    """One session by id or unique id prefix (optionally `harness:`-qualified)."""
    harness, _, ident = prefix.rpartition(":") if ":" in prefix else ("", "", prefix)
    ident = ident.strip()
    if len(ident) < 4:
        raise UsageFault(f"id prefix {prefix!r} is too short", help=[
            "give at least 4 characters of the id shown by `axi sessions --all`"])
    pattern = _glob_escape(ident) + "*"
    sql = "SELECT * FROM sessions WHERE id GLOB ?"
    args: list = [pattern]
    if harness:
        sql += " AND harness = ?"
        args.append(harness)
    rows = conn.execute(sql + " ORDER BY last DESC LIMIT 6", args).fetchall()
    exact = [r for r in rows if r["id"] == ident]
    if len(exact) == 1 or len(rows) == 1:
        return (exact or rows)[0]
    if not rows:
        raise NotFound(f"no session with id {prefix!r}", help=[
            "`axi sessions --all` lists every session", "`axi sessions search <words>`"])
    raise AxiError(f"id prefix {prefix!r} matches {len(rows)}{'+' if len(rows) > 5 else ''} "
                   "sessions", code="AMBIGUOUS",
                   matches=[f"{r['harness']}:{r['id']}" for r in rows[:5]],
                   help=["give more characters of the id"])


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in text)


def scope_clause(dirs: list[str]) -> tuple[str, list]:
    """SQL matching sessions in any of `dirs` or below them.

    Written as a range on `dir` (`d` up to `d0`: '/' sorts just before '0'), narrowed to `d`
    itself and what is below `d/`, so the (is_subagent, dir, last) index finds the folder's
    rows without reading every session's."""
    from axi.dirmap import recorded_as

    parts, args = [], []
    for d in [*dirs, *(old for folder in dirs for old in recorded_as(folder))]:
        d = d.rstrip("/") or "/"
        if d == "/":
            return "1", []
        parts.append("(dir >= ? AND dir < ? AND (dir = ? OR substr(dir, ?, 1) = '/'))")
        args += [d, d + "0", d, len(d) + 1]
    return "(" + " OR ".join(parts) + ")", args


def newest(conn: sqlite3.Connection, where: str, args: list, limit: int) -> list[sqlite3.Row]:
    """The `limit` newest sessions matching `where`: picked through the index (rowid and
    `last` only), then read whole, so a folder with 10,000 sessions costs 8 rows' reads."""
    return conn.execute(
        f"SELECT * FROM sessions WHERE rowid IN (SELECT rowid FROM sessions WHERE {where} "
        "ORDER BY last DESC LIMIT ?) ORDER BY last DESC", [*args, limit]).fetchall()


def session_filters(harness: str | None, directory: str | None, alias: str = "s"
                    ) -> tuple[list[str], list]:
    """WHERE parts for `--harness` and `--dir` on the sessions table under `alias`."""
    from axi.paths import dir_candidates

    where: list[str] = []
    args: list = []
    if harness:
        where.append(f"{alias}.harness = ?")
        args.append(harness)
    if directory:
        clause, extra = scope_clause(dir_candidates(check_dir(directory)))
        where.append(clause.replace("dir", f"{alias}.dir"))
        args += extra
    return where, args


def short_ids(conn: sqlite3.Connection, ids: list[str], minimum: int = 8) -> dict[str, str]:
    """The shortest prefix (at least `minimum` chars) that names each id uniquely."""
    out = {}
    for ident in ids:
        n = min(len(ident), minimum + (4 if ident.startswith("ses_") else 0))
        while n < len(ident):
            count = conn.execute("SELECT count(*) FROM sessions WHERE id GLOB ?",
                                 (_glob_escape(ident[:n]) + "*",)).fetchone()[0]
            if count <= 1 and ident[n - 1] != "-":
                break
            n += 1 if ident[n - 1] == "-" else 2
        out[ident] = ident[:n]
    return out


TOKEN_KINDS = ("input", "output", "reasoning", "cache_read", "cache_write")
MAX_DEPTH = 16  # sub-agents of sub-agents; a parent_id cycle stops here


def subagent_keys(conn: sqlite3.Connection, row: sqlite3.Row) -> list[str]:
    """Every sub-agent session below `row`, at any depth (opencode and Codex sub-agents can
    start their own), each once."""
    found = conn.execute(
        "WITH RECURSIVE kids(key, id, depth) AS ("
        " SELECT key, id, 1 FROM sessions WHERE parent_id = ? AND harness = ? AND is_subagent = 1"
        " UNION SELECT s.key, s.id, k.depth + 1 FROM sessions s JOIN kids k"
        " ON s.parent_id = k.id AND s.harness = ? AND s.is_subagent = 1 WHERE k.depth < ?)"
        " SELECT DISTINCT key FROM kids WHERE key != ?",
        (row["id"], row["harness"], row["harness"], MAX_DEPTH, row["key"])).fetchall()
    return [k[0] for k in found]


def token_totals(conn: sqlite3.Connection, keys: list[str]) -> dict[str, int | None]:
    """Input, output (reasoning included), reasoning, cache read and cache write summed over the
    sessions `keys`; reasoning is None when none of them records a reasoning count."""
    marks = ",".join("?" * len(keys))
    sums = conn.execute(
        f"SELECT sum(input), sum(output), sum(reasoning), sum(cache_read), sum(cache_write) "
        f"FROM sessions WHERE key IN ({marks})", keys).fetchone() if keys else [None] * 5
    return {k: (v if k == "reasoning" else v or 0) for k, v in zip(TOKEN_KINDS, sums,
                                                                     strict=True)}


def subagent_totals(conn: sqlite3.Connection, row: sqlite3.Row) -> tuple[int, list[int]]:
    """How many sub-agent sessions roll up into `row`, and their input, output, cache read and
    cache write totals."""
    keys = subagent_keys(conn, row)
    sums = token_totals(conn, keys)
    return len(keys), [sums[k] for k in ("input", "output", "cache_read", "cache_write")]


def check_dir(path: str) -> str:
    """`--dir` as the absolute folder to filter on. Sessions record their folder as text, so a
    folder that was moved or deleted still filters; a relative one is taken from here."""
    from axi.paths import cwd

    full = os.path.normpath(os.path.join(cwd(), os.path.expanduser(path)))
    if os.path.exists(full) and not os.path.isdir(full):
        raise UsageFault(f"--dir {path!r} is a file, not a folder", help=[
            f"give its folder: --dir {shell_word(os.path.dirname(full))}"])
    return full
