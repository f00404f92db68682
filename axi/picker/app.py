"""`axi pick`: the Textual app. Layout, loading, live refresh, movement and the modes.

What the keys do to sessions (kill, reply, tag, new, open, move) is in `acts.py`; other
machines' rows in `machines.py`; the rows, filters and sort are plain data in `view.py`; the
table and preview draw on the Line API. The keys are the table's bindings, each with its
action's name as id, so `[keys]` is Textual's own keymap (`App.set_keymap`).
"""

from __future__ import annotations

import os

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from axi.picker import state
from axi.picker.acts import SessionActions
from axi.picker.keys import overrides
from axi.picker.machines import HOSTS_EVERY, MachineActions
from axi.picker.model import Preload, Session, fill_costs, load, overlay
from axi.picker.preview import Preview
from axi.picker.previewing import FOLLOW_EVERY, PreviewActions
from axi.picker.query import QueryLine
from axi.picker.search import QueryActions
from axi.picker.table import SessionTable
from axi.picker.view import View, columns_for
from axi.sqlite import sqlite3

REFRESH_EVERY = 10.0  # seconds between background index refreshes


class PickApp(SessionActions, QueryActions, MachineActions, PreviewActions,
              App[tuple | None]):
    """The session table, its preview, a state line and the key footer."""

    CSS_PATH = "picker.tcss"
    TITLE = "axi pick"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("enter", "open", "open", show=True, priority=False),
                Binding("escape", "leave", show=False)]

    def __init__(self, config: dict, keymap: dict[str, tuple[str, ...]],
                 return_after: bool = False, conn: sqlite3.Connection | None = None,
                 live: bool = True, preload: Preload | None = None):
        super().__init__()
        self.config, self.keymap, self.return_after = config, keymap, return_after
        self.live = live
        self.conn = conn or self._connect()
        saved = state.read()
        local = preload.result() if preload else load(self.conn, overlay, state.tags())
        sessions = self.setup_machines(local)
        self.view = View(sessions, self.conn, active_only=bool(saved.get("active_only")))
        self.view.sort_col = saved.get("sort") if saved.get("sort") else "age"
        self.view.reverse = bool(saved.get("reverse"))
        columns = config.get("columns")
        self.configured = columns if isinstance(columns, list) and columns else None
        self.columns = columns_for(sessions, self.configured)
        if self.view.sort_col not in self.columns:
            self.view.sort_col = "age"
        self.view.rebuild()
        self.mode: str | None = None  # "filter" or "search" while the query line is open
        self.search_text = ""
        self.terms: list[str] = []
        self.visual_from: int | None = None
        self.note = ""
        self.set_keymap(overrides(keymap))

    @staticmethod
    def _connect() -> sqlite3.Connection:
        from axi.index import store

        return store.connect()

    def compose(self) -> ComposeResult:
        self._bar = Static("", id="bar")
        yield self._bar
        table = SessionTable(self.view, self.columns, self.conn, id="table")
        yield table
        self._table, self._preview = table, Preview(id="preview")
        self._query = QueryLine(id="query")
        yield self._preview
        yield self._query
        yield Footer()

    @property
    def table(self) -> SessionTable:
        return self._table

    @property
    def preview(self) -> Preview:
        return self._preview  # held, not queried: a pop-up may be the screen on top

    def on_mount(self) -> None:
        import gc

        gc.freeze()  # 10,000 rows need no collecting: spare every keystroke the full GC walk
        self.table.focus()
        self.table.reload()
        self.update_bar()
        self.set_interval(0.12, self.table.tick)
        self.call_after_refresh(self.fill_costs)
        if self.live:
            self.set_timer(1.0, self.refresh_index)  # after the first paint, not before it
            self.set_interval(REFRESH_EVERY, self.refresh_index)
            self.set_interval(FOLLOW_EVERY, self.follow_preview)
            if self.hosts:
                self.call_after_refresh(self.refresh_hosts)
                self.set_interval(HOSTS_EVERY, self.refresh_hosts)

    # ---- the state line --------------------------------------------------------------------

    def update_bar(self) -> None:
        v = self.view
        parts = [f"{v.sessions_shown()} of {len(v.sessions)} sessions",
                 "active only" if v.active_only else "all",
                 f"sort {v.sort_col}{' ↑' if v.reverse else ''}"]
        if v.tree:
            parts.append("run tree")
        elif v.group != "flat":
            parts.append(f"by {v.group_name()}")
        if v.run:
            parts.append(f"run {v.run}")
        machine = self.machine_part()
        if machine:
            parts.append(machine)
        if v.query:
            parts.append(f"filter “{v.query}”")
        if self.search_text:
            parts.append(f"search “{self.search_text}”")
        if self.table.marked:
            parts.append(f"{len(self.table.marked)} marked")
        if self.visual_from is not None:
            parts.append("VISUAL")
        if self.note:
            parts.append(self.note)
        self._bar.update("  ·  ".join(parts))

    def recolumn(self) -> None:
        """Columns that show on their own (name, run, tags) come and go with their data."""
        columns = columns_for(self.view.sessions, self.configured)
        if columns != self.columns:
            self.columns = self.table.columns = columns
            self.table.forget()

    def reshow(self, keep: str | None = None) -> None:
        """The view changed: redraw the table (cursor on `keep`, else where it was)."""
        if keep is None:
            current = self.table.session()
            keep = current.key if current else None
        self.table.reload(keep)
        self.update_bar()

    # ---- live data -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="refresh")
    def refresh_index(self) -> None:
        """Bring the index up to date and reload the rows, off the key-handling thread."""
        from axi.errors import AxiError
        from axi.index.catalog import open_index

        try:
            conn, fresh = open_index(budget=5.0)
            sessions = load(conn, overlay, state.tags())
            note = fresh.note() or ("; ".join(fresh.warnings[:1]) if fresh.warnings else "")
        except (AxiError, sqlite3.Error, OSError) as exc:
            self.call_from_thread(self._note_now, f"index: {str(exc)[:80]}")
            return
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._swap, sessions, note)

    @work(thread=True, exclusive=True, group="costs")
    def fill_costs(self) -> None:
        """Every row's cost, off the key-handling thread, so scrolling never queries."""
        from axi.index import store

        try:
            fill_costs(store.connect(), list(self.view.sessions))
        except sqlite3.Error:
            return  # the rows drawn work theirs out one by one instead
        self.call_from_thread(self.table.refresh)

    def _swap(self, sessions: list[Session], note: str) -> None:
        old = {s.key: s for s in self.view.sessions}
        for s in sessions:
            before = old.get(s.key)
            if before is not None and before.last == s.last:
                s._ctx, s._cost = before._ctx, before._cost
        self.view.sessions = self.with_hosts(sessions)
        self.view.rebuild()
        self.note = note
        self.table.forget()
        self.recolumn()
        self.reshow()
        self.fill_costs()

    # ---- movement --------------------------------------------------------------------------

    def action_down(self) -> None:
        self.table.move(1)

    def action_up(self) -> None:
        self.table.move(-1)

    def action_top(self) -> None:
        self.table.cursor = 0

    def action_bottom(self) -> None:
        self.table.cursor = max(0, len(self.view.rows) - 1)

    def action_half_down(self) -> None:
        self.table.move(self.table.page())

    def action_half_up(self) -> None:
        self.table.move(-self.table.page())

    # ---- sort, view, grouping --------------------------------------------------------------

    def _sort_by(self, col: str, reverse: bool) -> None:
        self.view.sort_col, self.view.reverse = col, reverse
        self.view.rebuild()
        state.remember(sort=col, reverse=reverse)
        self.reshow()

    def action_sort_left(self) -> None:
        at = self.columns.index(self.view.sort_col) if self.view.sort_col in self.columns else 0
        self._sort_by(self.columns[(at - 1) % len(self.columns)], False)

    def action_sort_right(self) -> None:
        at = self.columns.index(self.view.sort_col) if self.view.sort_col in self.columns else 0
        self._sort_by(self.columns[(at + 1) % len(self.columns)], False)

    def action_sort(self) -> None:
        self._sort_by(self.view.sort_col, not self.view.reverse)

    def action_toggle_all(self) -> None:
        self.view.active_only = not self.view.active_only
        state.remember(active_only=self.view.active_only)
        self.view.rebuild()
        self.reshow()

    def action_filter_run(self) -> None:
        s = self.table.session()
        if self.view.run is not None:
            self.view.run = None
        elif s is None or not s.run:
            self.notify("this session is in no run (only sessions axi launched are)",
                        severity="warning")
            return
        else:
            self.view.run = s.run
        self.view.rebuild()
        self.reshow()

    def action_run_tree(self) -> None:
        self.view.tree = not self.view.tree
        self.view.set_query(self.view.query)
        self.reshow()

    def action_group(self) -> None:
        self.view.next_group()
        self.reshow()

    def action_leave(self) -> None:
        """Esc: leave visual mode, then a search, then a filter, then drop the marks."""
        if self.mode is not None:
            self._query.action_done(False)
            return
        if self.visual_from is not None:
            self.visual_from = None
            self.table.marked.clear()
        elif self.search_text:
            self.clear_search()
        elif self.view.query:
            self.view.set_query("")
        elif self.table.marked:
            self.table.marked.clear()
        self.reshow()

    def action_help(self) -> None:
        from axi.picker.screens import HelpScreen

        self.push_screen(HelpScreen(self.keymap))

    def action_person(self) -> None:
        from axi.picker.person import PersonScreen

        self.push_screen(PersonScreen(self.config))

    def action_quit(self) -> None:
        self.exit(None)


def run(config: dict, keymap: dict, return_after: bool, preload: Preload | None = None
        ) -> tuple | None:
    """Run the picker until it quits, or hands the terminal to a command (returned)."""
    os.environ.setdefault("TEXTUAL_FPS", "60")
    return PickApp(config, keymap, return_after, preload=preload).run()
