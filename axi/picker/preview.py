"""The preview pane: the selected session's last turns, from the parsed transcript (the reader
`axi sessions read` uses), wrapped to the pane and drawn on the Line API; search terms are
highlighted and `n`/`N` jump between the lines that hold them.

While the session works, `Follow` rereads only what its transcript gained (the control plane's
`Tail`, from the cursor the last read stopped at) every couple of seconds. A row from another
machine is read there, through `axi sessions read host/id`."""

from __future__ import annotations

import collections
import re
import threading

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from axi import views
from axi.picker.model import Session

LAST_TURNS = 12
TURN_TEXT = 1500
HIT = Style(bgcolor="yellow", color="black", bold=True)
ROLE = {"user": Style(color="bright_blue", bold=True),
        "assistant": Style(color="green", bold=True), "tool": Style(color="magenta")}


def read_turns(s: Session, terms: list[str] | None = None, limit: int = LAST_TURNS,
               cancelled=lambda: False) -> list:
    """The last `limit` turns (with search terms: the last turns that hold one of them).
    `cancelled()` is asked now and then: the cursor moved on, the rest is not read."""
    from axi.harnesses import get

    if s.remote:
        return remote_turns(s, limit)
    kept: collections.deque = collections.deque(maxlen=limit)
    for n, turn in enumerate(get(s.harness).read_turns(s.row["source"], s.id, 0)):
        if n % 256 == 255 and cancelled():
            return []
        if holds(turn, terms):
            kept.append(turn)
    return list(kept)


def holds(turn, terms: list[str] | None) -> bool:
    text = (turn.text or "").lower()
    return not terms or any(t.lower() in text for t in terms)


def remote_turns(s: Session, limit: int = LAST_TURNS) -> list:
    """The last turns of a session on another machine (`axi sessions read host/id`, over the
    host's transport); a host that does not answer is a ValueError to show."""
    from datetime import datetime

    from axi.harnesses.base import Turn
    from axi.picker.actions import ActionError, run_axi

    try:
        data = run_axi("sessions", "read", f"{s.host}/{s.id}", "--limit", str(limit))
    except ActionError as exc:
        raise ValueError(f"{s.host} did not answer: {exc}") from None
    turns = []
    for raw in data.get("turns") or []:
        try:
            ts = datetime.fromisoformat(str(raw.get("time"))).timestamp()
        except ValueError:
            ts = None
        turns.append(Turn(str(raw.get("role") or "?"), ts, int(raw.get("cursor") or 0),
                          str(raw.get("text") or ""), list(raw.get("tools") or [])))
    return turns


class Follow:
    """The turns shown for one session, and the transcript's tail past them: `more()` reads
    only what was written since (nothing at all while the file is unchanged)."""

    def __init__(self, s: Session, terms: list[str], turns: list, key: tuple = ()):
        from axi.control.tail import Tail

        self.key = key
        self.terms = terms
        self.turns: collections.deque = collections.deque(turns, maxlen=LAST_TURNS)
        since = turns[-1].cursor + 1 if turns else 0
        self.tail = Tail(s.harness, s.id, s.row["source"], since)
        self._lock = threading.Lock()
        self.more()  # what was written since the first read; then the file's size is known

    def more(self) -> bool:
        """Read what the transcript gained; True when a turn was added."""
        with self._lock:
            fresh = [t for t in self.tail.new_turns() if holds(t, self.terms)]
            self.turns.extend(fresh)
            return bool(fresh)


def search_terms(query: str) -> list[str]:
    """The words and phrases of a search query, for highlighting (`OR` is syntax)."""
    found = re.findall(r'"([^"]+)"|(\S+)', query)
    return [p or w for p, w in found if (p or w) != "OR" and re.search(r"\w", p or w)]


def render(s: Session, turns: list, question: str | None = None) -> Text:
    text = Text()
    text.append(f"{s.harness} {s.id[:8]}", Style(bold=True))
    text.append(f"  {s.dir}  {s.model}\n", Style(dim=True))
    if question:
        text.append("asks: ", Style(color="red", bold=True))
        text.append(question + "\n")
    if not turns:
        text.append("(no turns to show)", Style(dim=True))
    for turn in turns:
        text.append(f"\n{turn.role}", ROLE.get(turn.role, Style(bold=True)))
        text.append(f"  {views.age(turn.ts) or ''}\n", Style(dim=True))
        body = (turn.text or "").strip()
        if len(body) > TURN_TEXT:
            body = body[:TURN_TEXT] + "…"
        if body:
            text.append(body + "\n")
        if turn.tools:
            text.append("  " + "; ".join(turn.tools)[:300] + "\n", Style(color="magenta",
                                                                          dim=True))
    return text


class Preview(ScrollView, can_focus=False):
    """Wrapped lines of a `Text`, drawn only where visible."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.text = Text("")
        self.terms: list[str] = []
        self.lines: list[Strip] = []
        self.hits: list[int] = []
        self.at = 0  # the hit `n`/`N` stand on
        self._width = 0

    def show(self, text: Text, terms: list[str] | None = None, to_end: bool = True) -> None:
        self.text, self.terms = text, list(terms or [])
        self._width = 0
        self._layout()
        self.at = 0
        if self.hits:
            self.scroll_to(y=max(0, self.hits[0] - 2), animate=False)
        elif to_end:
            self.scroll_end(animate=False)

    def grow(self, text: Text) -> None:
        """The same session with more turns: where the reader was stays in view, unless they
        were at the bottom, which follows the new end."""
        at_bottom = self.scroll_y >= self.max_scroll_y - 1
        y = self.scroll_y
        self.text = text
        self._width = 0
        self._layout()
        if at_bottom:
            self.scroll_end(animate=False, immediate=True)
        else:
            self.scroll_to(y=y, animate=False, immediate=True)

    def _layout(self) -> None:
        width = max(10, self.size.width - 1)
        if width == self._width:
            return
        self._width = width
        text = self.text.copy()
        if self.terms:
            text.highlight_words(self.terms, HIT, case_sensitive=False)
        console = self.app.console
        lines = text.wrap(console, width, overflow="fold")
        self.lines, self.hits = [], []
        for number, line in enumerate(lines):
            self.lines.append(Strip(list(line.render(console))))
            if self.terms and any(span.style == HIT for span in line.spans):
                self.hits.append(number)
        self.virtual_size = Size(width, len(self.lines))
        self.refresh()

    def on_resize(self) -> None:
        self._layout()

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_y) + y
        if index < len(self.lines):
            return self.lines[index].apply_style(self.rich_style).adjust_cell_length(
                self.size.width, self.rich_style)
        return Strip.blank(self.size.width, self.rich_style)

    def jump(self, forward: bool) -> bool:
        """Scroll to the next (or previous) line with a hit; False when there is none."""
        at = self.at + (1 if forward else -1)
        if not 0 <= at < len(self.hits):
            return False
        self.at = at
        self.scroll_to(y=max(0, self.hits[at] - 2), animate=False)
        return True
