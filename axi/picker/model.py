"""The picker's rows: the catalog's sessions with the merged status of `axi sessions`.

Rows come from the index (`axi/index`), the status from `index.status.of_rows` merged with the
control plane's word (`control.overlay.statuses`) through `index.rows.status_of`, exactly as
the list does. Cost and context use cost a query or a price lookup each: they are worked out
only for rows that are drawn (or when a sort needs them), then kept.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable

from axi import dirmap
from axi.index.rows import CostTally, cost_of, ctx_percent, money, status_of
from axi.sqlite import sqlite3
from axi.views import clock

_WINDOWS: dict[tuple, int | None] = {}  # (model, provider) -> context window, looked up once

OVERLAY_CHUNK = 2000  # session ids per control-plane query
STATUS_RANK = {"needs you": 0, "needs auth": 0, "review": 1, "working": 2, "idle": 3,
               "crashed": 4, "done": 5, "ended": 6}
INACTIVE = ("ended", "done")
# What the rows, their status and the preview read (not the token columns: a narrower read).
COLUMNS = ("key, harness, id, source, dir, title, model, provider, created, last, ctx_tokens, "
           "ctx_window, turn_open")


class Session:
    """One row: catalog fields, the merged status, and lazily the cost and context use."""

    __slots__ = ("row", "key", "id", "harness", "status", "model", "last", "dir", "title",
                 "run", "name", "launch", "held", "question", "tags", "depth", "parent", "mode",
                 "host", "remote", "_ctx", "_cost", "hay")

    def __init__(self, row: sqlite3.Row, status: str, control, launch: dict | None,
                 tags: dict, folder: str = ""):
        self.row, self.key, self.id = row, row["key"], row["id"]
        self.harness, self.status = row["harness"], status
        self.model, self.last = row["model"] or "", row["last"]
        self.dir = folder
        self.name = control.name if control else None
        self.title = " ".join((self.name or row["title"] or "").split())
        self.launch = control.launch if control else None
        self.held = bool(control and control.held)
        self.question = control.question if control else None
        launch = launch or {}
        self.run, self.depth, self.parent = launch.get("run"), launch.get("depth", 0), \
            launch.get("parent")
        self.mode = launch.get("mode")  # watched or headless, for a session axi launched
        self.tags = {**launch.get("labels", {}), **tags}
        self.host: str | None = None  # shown when hosts are configured: this machine's name
        self.remote = False  # a row another machine listed (`hostrows.py`)
        self._ctx: tuple[str, float] | None = None
        self._cost: tuple[str, float] | None = None
        self.hay = self.haystack()

    def haystack(self) -> str:
        tags = " ".join(f"{k}={v}" for k, v in self.tags.items())
        return " ".join(filter(None, (self.harness, self.status, self.model, self.dir,
                                      self.title, self.id, self.run, tags,
                                      self.host))).lower()

    def ctx(self) -> tuple[str, float]:
        """(shown, percent) of the model's context window in use ('' and -1 when unknown)."""
        if self._ctx is None:
            row = self.row
            window = row["ctx_window"] or _window(row["model"], row["provider"])
            text = ctx_percent({"ctx_window": window, "ctx_tokens": row["ctx_tokens"],
                                "model": row["model"], "provider": row["provider"]}) or ""
            self._ctx = (text, float(text[:-1]) if text else -1.0)
        return self._ctx

    def cost(self, conn: sqlite3.Connection) -> tuple[str, float]:
        if self._cost is None:
            self.set_cost(*cost_of(conn, [self.key]))
        return self._cost

    def set_cost(self, usd: float | None, kind: str) -> None:
        """The cost as `rows.cost_of` gives it; shown short (`~`: an estimate)."""
        text = "" if kind == "none" else "?" if kind == "unknown" else money(usd, kind)
        self._cost = (text.replace(" (est, partial)", "~+").replace(" (est)", "~"), usd or 0.0)

    @property
    def attachable(self) -> bool:
        """Held live by axi, or a watched launch still starting (attach waits for it)."""
        return self.held or (self.mode == "watched" and self.status in ("working", "idle",
                                                                         "needs you"))

    @property
    def active(self) -> bool:
        return self.status not in INACTIVE


def load(conn: sqlite3.Connection, overlay: Callable | None = None,
         tags: dict[str, dict] | None = None, now: float | None = None) -> list[Session]:
    """Every top-level session in the index, newest first, with its merged status."""
    from axi.index.status import of_rows

    now = now or clock()
    rows = conn.execute(f"SELECT {COLUMNS} FROM sessions WHERE is_subagent = 0 "
                        "ORDER BY last DESC").fetchall()
    words = of_rows(conn, rows, now)
    control: dict = {}
    if overlay is not None:
        for at in range(0, len(rows), OVERLAY_CHUNK):
            control.update(overlay(rows[at:at + OVERLAY_CHUNK]))
    launches = launch_info() if control else {}
    tags = tags or {}
    folders: dict[str | None, str] = {}
    out = []
    for row in rows:
        sid, folder = row["id"], row["dir"]
        if folder not in folders:  # `!` for a folder that is gone, where it was relinked to
            folders[folder] = str(dirmap.shown(folder) or "")
        status = status_of(control.get(sid), words[row["key"]]) or "ended"
        out.append(Session(row, status, control.get(sid), launches.get(sid),
                           tags.get(row["key"], {}), folders[folder]))
    return out


def _window(model: str | None, provider: str | None) -> int | None:
    if not model:
        return None
    if (model, provider) not in _WINDOWS:
        from axi import pricing

        price = pricing.lookup(model, provider)
        _WINDOWS[(model, provider)] = price.context_window if price else None
    return _WINDOWS[(model, provider)]


def fill_costs(conn: sqlite3.Connection, sessions: list[Session]) -> None:
    """Every session's cost in one pass over the usage table (`rows.CostTally`, the tally
    `cost_of` keeps for one session), so sorting by cost and scrolling never wait on it."""
    tallies: dict[str, CostTally] = {}
    for key, model, hour, i, o, cr, cw, cost, provider in conn.execute(
            "SELECT u.session_key, u.model, u.hour, u.input, u.output, u.cache_read, "
            "u.cache_write, u.cost, s.provider FROM usage u JOIN sessions s "
            "ON s.key = u.session_key WHERE s.is_subagent = 0"):
        tally = tallies.get(key)
        if tally is None:
            tally = tallies[key] = CostTally()
        tally.add(model, provider, hour, i, o, cr, cw, cost)
    for s in sessions:
        if s._cost is None:
            tally = tallies.get(s.key)
            s.set_cost(*(tally.result() if tally else (None, "none")))


def overlay(rows: list) -> dict:
    """The control plane's word on `rows` (`control.overlay.statuses`), as `axi sessions`."""
    from axi.control.overlay import statuses

    return statuses(rows)


class Preload:
    """The rows, read in a thread while the caller imports Textual (both take ~150 ms)."""

    def __init__(self) -> None:
        import threading

        self.sessions: list[Session] | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._load, name="axi-pick-load", daemon=True)
        self._thread.start()

    def _load(self) -> None:
        from axi.index import store
        from axi.picker import state

        try:
            conn = store.connect()
            try:
                self.sessions = load(conn, overlay, state.tags())
            finally:
                conn.close()
        except BaseException as exc:  # handed to the caller, who raises it where it waits
            self.error = exc

    def result(self) -> list[Session]:
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.sessions or []


def launch_info() -> dict[str, dict]:
    """Run, depth, parent and labels of every session axi launched (its newest launch)."""
    from axi.mailbox import db

    if not db.exists():
        return {}
    found: dict[str, dict] = {}
    with contextlib.suppress(sqlite3.Error), contextlib.closing(
            db.connect_readonly(db.mailbox_path())) as conn:
        for row in conn.execute("SELECT session, run, depth, parent, labels, mode FROM "
                                "launches WHERE session IS NOT NULL ORDER BY created"):
            try:
                labels = json.loads(row["labels"] or "{}")
            except ValueError:
                labels = {}
            found[row["session"]] = {"run": row["run"], "depth": row["depth"] or 0,
                                     "mode": row["mode"],
                                     "parent": row["parent"],
                                     "labels": labels if isinstance(labels, dict) else {}}
    return found
