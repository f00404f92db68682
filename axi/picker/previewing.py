"""The preview pane's keys and loading: the selected row's last turns, read in a worker thread
once the cursor rests (`read_turns`), then followed while the session works: every
FOLLOW_EVERY seconds only what its transcript gained is read (`preview.Follow`), and the
reader's place in the pane is kept unless they were at the bottom."""

from __future__ import annotations

from textual import work
from textual.worker import get_current_worker

from axi.picker import preview as previews
from axi.picker.model import Session
from axi.picker.table import SessionTable

PREVIEW_DELAY = 0.08  # let the cursor settle before reading a transcript
TYPING_DELAY = 0.25  # longer while a filter is typed: parsing must not slow the next key
REMOTE_DELAY = 0.4  # a row on another machine is read over its transport: let the cursor rest
FOLLOWED = ("working", "needs you", "needs auth")  # statuses whose preview follows new turns
FOLLOW_EVERY = 2.0  # seconds between looks at the selected transcript while it works


class PreviewActions:
    """Mixed into `PickApp` (which supplies `table`, `preview`, `terms`, `notify`...)."""

    _preview_timer = None
    _preview_key: tuple | None = None
    _follow: previews.Follow | None = None

    # ---- loading ---------------------------------------------------------------------------

    def on_session_table_moved(self, event: SessionTable.Moved) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        row = event.row
        if isinstance(row, Session):
            delay = REMOTE_DELAY if row.remote else TYPING_DELAY if self.mode else PREVIEW_DELAY
            self._preview_timer = self.set_timer(delay, lambda: self.load_preview(row))
        if self.visual_from is not None:
            self._extend_visual()

    def load_preview(self, s: Session) -> None:
        """Read the row's turns, unless they are shown: the same session, grown since (a
        refresh brought its new `last`), reads on from its cursor and keeps the place."""
        key = (s.key, s.last, tuple(self.terms))
        if key == self._preview_key:
            return
        self._preview_key = key
        follow = self._follow
        if follow is not None and follow.key == (s.key, tuple(self.terms)):
            self._poll_preview(s, follow, redraw=True)
        else:
            self._read_preview(s, list(self.terms))

    @work(thread=True, exclusive=True, group="preview")
    def _read_preview(self, s: Session, terms: list[str]) -> None:
        worker = get_current_worker()

        def cancelled() -> bool:
            return worker.is_cancelled

        follow, kept = None, terms
        try:
            turns = previews.read_turns(s, terms, cancelled=cancelled)
            if terms and not turns:  # no turn holds them: the last turns, as without a search
                kept, turns = [], previews.read_turns(s, cancelled=cancelled)
            if not s.remote and not worker.is_cancelled:
                follow = previews.Follow(s, kept, turns, key=(s.key, tuple(terms)))
                turns = list(follow.turns)
        except (OSError, ValueError) as exc:
            turns, s_note = [], f"cannot read the transcript: {exc}"
            self.call_from_thread(self.notify, s_note, severity="warning")
        if not worker.is_cancelled:
            text = previews.render(s, turns, s.question)
            self.call_from_thread(self._shown, s, follow, text, terms)

    def _shown(self, s: Session, follow: previews.Follow | None, text, terms: list[str]) -> None:
        now = self.table.session()
        if now is not None and now.key != s.key:
            return  # the cursor went back to a row shown already while this one was read
        self._follow = follow
        self.preview.show(text, terms)

    # ---- following a working session -------------------------------------------------------

    def follow_preview(self) -> None:
        """The selected session, while it works, gets the turns its transcript gained."""
        s = self.table.session()
        follow = self._follow
        if (s is not None and s.status in FOLLOWED and follow is not None
                and follow.key == (s.key, tuple(self.terms))):
            self._poll_preview(s, follow)

    @work(thread=True, exclusive=True, group="follow")
    def _poll_preview(self, s: Session, follow: previews.Follow, redraw: bool = False) -> None:
        """What the transcript gained; drawn when it gained a turn (or `redraw`: the row
        changed, its question may have)."""
        try:
            grew = follow.more()
        except (OSError, ValueError):
            return  # being written or moved right now: the next look tries again
        if (grew or redraw) and not get_current_worker().is_cancelled:
            text = previews.render(s, list(follow.turns), s.question)
            self.call_from_thread(self._grown, follow, text)

    def _grown(self, follow: previews.Follow, text) -> None:
        if follow is self._follow:
            self.preview.grow(text)

    # ---- keys ------------------------------------------------------------------------------

    def action_preview_down(self) -> None:
        self.preview.scroll_relative(y=5, animate=False)

    def action_preview_up(self) -> None:
        self.preview.scroll_relative(y=-5, animate=False)

    def action_next_match(self) -> None:
        self._jump(True)

    def action_prev_match(self) -> None:
        self._jump(False)

    def _jump(self, forward: bool) -> None:
        if not self.terms:
            self.notify("no search: `/` searches transcript text", severity="warning")
        elif not self.preview.jump(forward):
            self.table.move(1 if forward else -1)
