"""The picker's filter (`i`/`a`, fuzzy over the rows' metadata, as you type) and search (`/`,
the transcripts' full-text index, run in a worker thread), on the one-line `QueryLine`."""

from __future__ import annotations

from textual import work
from textual.worker import get_current_worker

from axi.picker import preview as previews
from axi.sqlite import sqlite3


class QueryActions:
    """Mixed into `PickApp` (which supplies `view`, `_query`, `table`, `reshow`...)."""

    # ---- filter and search -----------------------------------------------------------------

    def _open_query(self, mode: str, value: str, hint: str) -> None:
        self.mode = mode
        self._query.start(mode, value, hint, self._query_changed,
                                        self._query_done)

    def _query_changed(self, value: str) -> None:
        if self.mode == "filter":
            self.view.set_query(value)
            self.reshow()

    def _query_done(self, value: str, keep: bool) -> None:
        """Enter keeps a filter (or runs a search); esc clears a filter (a search stays)."""
        mode, self.mode = self.mode, None
        self.table.focus()
        if mode == "filter" and not keep:
            self.view.set_query("")
        if mode == "search" and keep:
            self.run_search(value.strip())
        self.reshow()

    def on_key(self, event) -> None:
        if self.mode is not None:
            line = self._query
            if event.key == "backspace":
                line.action_delete()
            else:
                line.take(event)

    def action_filter(self) -> None:
        self._open_query("filter", self.view.query, "harness, status, model, dir, title, "
                         "tags (fuzzy) · enter keeps · esc clears")

    def action_search(self) -> None:
        self._open_query("search", self.search_text, 'transcript text: words, "a phrase", '
                         "a OR b · enter searches · esc cancels")

    def run_search(self, text: str) -> None:
        from axi.errors import UsageFault
        from axi.index.query import to_match

        if not text:
            self.clear_search()
            return
        try:
            match = to_match(text)
        except UsageFault as exc:
            self.notify(str(exc), severity="error")
            return
        self._note_now("searching…")
        self._search(text, match)

    @work(thread=True, exclusive=True, group="search")
    def _search(self, text: str, match: str) -> None:
        """The sessions whose transcript text matches (the FTS index, brought up to date)."""
        from axi.index import store, texts

        try:
            conn = store.connect()
            texts.catch_up(conn, budget=20.0)
            store.catch_up_search(conn)
            keys = {r[0] for r in conn.execute(
                "SELECT DISTINCT t.session_key FROM texts_fts JOIN texts t "
                "ON t.rowid = texts_fts.rowid WHERE texts_fts MATCH ?", (match,))}
        except sqlite3.Error as exc:
            self.call_from_thread(self.notify, f"search: {exc}", severity="error")
            return
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._found, text, keys)

    def _note_now(self, note: str) -> None:
        self.note = note
        self.update_bar()

    def _found(self, text: str, keys: set[str]) -> None:
        self.search_text, self.terms = text, previews.search_terms(text)
        self.view.hits = keys
        self.view.rebuild()
        self._preview_key = None
        self.note = ""
        self.reshow()
        if not keys:
            self.notify(f"no transcript holds {text!r}", severity="warning")

    def clear_search(self) -> None:
        self.search_text, self.terms = "", []
        self.view.hits = None
        self.view.rebuild()
        self._preview_key = None
        self.reshow()
