"""The preview pane: the selected session's last turns, from the parsed transcript (the reader
`axi sessions read` uses), wrapped to the pane and drawn on the Line API; search terms are
highlighted and `n`/`N` jump between the lines that hold them."""

from __future__ import annotations

import collections
import re

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

    wanted = [t.lower() for t in terms or []]
    kept: collections.deque = collections.deque(maxlen=limit)
    for n, turn in enumerate(get(s.harness).read_turns(s.row["source"], s.id, 0)):
        if n % 256 == 255 and cancelled():
            return []
        if not wanted or any(w in (turn.text or "").lower() for w in wanted):
            kept.append(turn)
    return list(kept)


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
