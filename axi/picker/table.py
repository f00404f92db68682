"""The session table on Textual's Line API: only the lines on screen are ever drawn.

A stock `DataTable` builds every row up front (about 2 s for 10,000 sessions); this widget
keeps the view's list and turns row `scroll_y + y` into one `Strip` when Textual asks for line
`y`, caching strips until the rows, the width or the cursor change. Line 0 is the column
header, which does not scroll.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from axi.picker.keys import ACTIONS, TABLE
from axi.picker.model import Session
from axi.picker.view import WIDTHS, Header, View, cell
from axi.sqlite import sqlite3
from axi.views import clock

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
STATUS_STYLE = {"needs you": Style(color="red", bold=True),
                "needs auth": Style(color="yellow", bold=True),
                "review": Style(color="green", bold=True),
                "working": Style(color="yellow"), "idle": Style(color="cyan"),
                "crashed": Style(color="magenta", bold=True),
                "done": Style(color="green", dim=True)}
MUTED = Style(dim=True)
GUTTER = 2  # the mark column
FOOTER_NAMES = {"filter": "filter", "search": "search", "new": "new", "kill": "kill",
                "reply": "reply", "mark": "mark", "tag": "tag", "toggle_all": "all/active",
                "person": "agents+mail", "help": "keys", "quit": "quit",
                "approve": "approve", "answer": "reply", "compose": "write",
                "next_table": "agents/mail/tasks"}


def action_bindings(scope: str = TABLE, where: str = "app.") -> list[Binding]:
    """Every action of `scope` at its default keys, its binding id the action's name: the app's
    keymap (`App.set_keymap`, from `[keys]`) moves them. The table's keys live on the table:
    they act while it has focus (not while a line of text is typed, nor under a pop-up), and
    ahead of the screen's own `tab`."""
    return [Binding(",".join(a.keys), f"{where}{a.name}", FOOTER_NAMES.get(a.name, a.help),
                    show=a.footer, id=a.name) for a in ACTIONS if a.scope == scope]


def ctx_style(percent: float) -> Style | None:
    if percent >= 80:
        return Style(color="red", bold=True)
    if percent >= 60:
        return Style(color="yellow")
    return None


def fit(text: str, width: int) -> str:
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else text[:width]
    return set_cell_size(text, width)


class SessionTable(ScrollView, can_focus=True):
    """The rows of a `View`, a cursor, marks, and a fixed header line."""

    COMPONENT_CLASSES = {"table--header", "table--cursor", "table--marked", "table--group"}
    BINDINGS = [Binding("down", "move(1)", show=False), Binding("up", "move(-1)", show=False),
                Binding("pagedown", "page(1)", show=False),
                Binding("pageup", "page(-1)", show=False),
                Binding("home", "move(-1000000000)", show=False),
                Binding("end", "move(1000000000)", show=False), *action_bindings()]
    cursor = reactive(0, always_update=True, init=False)

    class Moved(Message):
        """The cursor is on another row (or the rows changed under it)."""

        def __init__(self, row: Session | Header | None):
            super().__init__()
            self.row = row

    def __init__(self, view: View, columns: list[str], conn: sqlite3.Connection, **kwargs):
        super().__init__(**kwargs)
        self.view, self.columns, self.conn = view, columns, conn
        self.marked: set[str] = set()
        self.frame = 0
        self.sort_col = view.sort_col
        self._cache: dict[tuple, Strip] = {}
        self._columns_drawn = columns
        self._widths: list[int] = []

    # ---- data ------------------------------------------------------------------------------

    @property
    def rows(self) -> list[Session | Header]:
        return self.view.rows

    def reload(self, keep: str | None = None) -> None:
        """The view's rows changed: size, cursor (on session `keep` when still shown). Strips
        are cached by session, not by line, so a row drawn before a filter is drawn again
        from the cache after it."""
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)
        at = 0
        if keep is not None:
            at = next((i for i, r in enumerate(self.rows)
                       if isinstance(r, Session) and r.key == keep), 0)
        self.cursor = min(at, max(0, len(self.rows) - 1))
        self.refresh()

    def current(self) -> Session | Header | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def session(self) -> Session | None:
        row = self.current()
        return row if isinstance(row, Session) else None

    def selection(self) -> list[Session]:
        """The marked sessions, else the one under the cursor."""
        if self.marked:
            return [r for r in self.view.sessions if r.key in self.marked]
        one = self.session()
        return [one] if one else []

    # ---- cursor ----------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.Moved(self.current()))

    def move(self, delta: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))

    def action_move(self, delta: int) -> None:
        self.move(delta)

    def action_page(self, sign: int) -> None:
        self.move(sign * max(1, self.size.height - 2))

    def page(self) -> int:
        return max(1, (self.size.height - 1) // 2)

    def _scroll_to_cursor(self) -> None:
        shown = max(1, self.size.height - 1)
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + shown:
            self.scroll_to(y=self.cursor - shown + 1, animate=False)

    def on_click(self, event) -> None:
        if event.y >= 1:
            self.cursor = min(len(self.rows) - 1, round(self.scroll_y) + event.y - 1)

    def forget(self) -> None:
        """Draw every row anew (its age, tags or columns changed)."""
        self._cache.clear()
        self._columns_drawn = self.columns
        self.refresh()

    def on_resize(self) -> None:
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(self.rows) + 1)

    def tick(self) -> None:
        """Advance the spinner; redraw only when a working row is on screen."""
        self.frame = (self.frame + 1) % len(SPINNER)
        top = round(self.scroll_y)
        on_screen = self.rows[top:top + self.size.height]
        if any(isinstance(r, Session) and r.status == "working" for r in on_screen):
            self.refresh()

    # ---- drawing ---------------------------------------------------------------------------

    def widths(self, total: int) -> list[int]:
        fixed = [WIDTHS.get(c, (c, 12))[1] if not c.startswith("tag:") else 12
                 for c in self.columns]
        used = GUTTER + sum(fixed) + len(fixed) - 1
        flex = max(8, total - used)
        return [w or flex for w in fixed]

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._header(width)
        index = round(self.scroll_y) + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        selected = index == self.cursor
        if isinstance(row, Header):
            key = ("h", index, id(row), selected, width)
        else:
            key = (row.key, row.status, selected, row.key in self.marked, width,
                   self.frame if row.status == "working" else 0, len(row.tags),
                   row._cost is None, self.columns is self._columns_drawn)
        strip = self._cache.get(key)
        if strip is None:
            strip = (self._group_line(row, selected, width) if isinstance(row, Header)
                     else self._row_line(row, selected, width))
            if len(self._cache) > 2000:
                self._cache.clear()
            self._cache[key] = strip
        return strip

    def _header(self, width: int) -> Strip:
        style = self.get_component_rich_style("table--header")
        parts = [Segment(" " * GUTTER, style)]
        for col, w in zip(self.columns, self.widths(width), strict=True):
            name = WIDTHS.get(col, (col.upper(), 0))[0] if not col.startswith("tag:") \
                else col[4:].upper()
            arrow = ("▲" if self.view.reverse else "▼") if col == self.view.sort_col else ""
            parts.append(Segment(fit(name + arrow, w) + " ", style))
        return Strip(parts).adjust_cell_length(width, style)

    def _group_line(self, row: Header, selected: bool, width: int) -> Strip:
        style = self.get_component_rich_style("table--group")
        if selected:
            style += self.get_component_rich_style("table--cursor")
        text = fit(f"  ▸ {row.label}  ({row.count})", width)
        return Strip([Segment(text, style)], width)

    def _row_line(self, row: Session, selected: bool, width: int) -> Strip:
        base = self.rich_style
        if selected:
            base += self.get_component_rich_style("table--cursor")
        elif row.key in self.marked:
            base += self.get_component_rich_style("table--marked")
        mark = "● " if row.key in self.marked else ("▌ " if selected else "  ")
        parts = [Segment(mark, base + Style(color="bright_blue", bold=True))]
        now = clock()
        for col, w in zip(self.columns, self.widths(width), strict=True):
            text = cell(row, col, self.conn, now)
            style = base
            if col == "status":
                style = base + STATUS_STYLE.get(row.status, MUTED)
                if row.status == "working":
                    text = f"{SPINNER[self.frame]} {text}"
            elif col == "ctx" and text:
                extra = ctx_style(row.ctx()[1])
                style = base + extra if extra else base
            elif col in ("age", "cost", "dir"):
                style = base + MUTED
            parts.append(Segment(fit(text, w), style))
            parts.append(Segment(" ", base))
        return Strip(parts).adjust_cell_length(width, base)
