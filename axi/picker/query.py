"""The line a filter or a search is typed on.

Not Textual's `Input`: that redraws its own echo in one frame and tells the app in the next,
two frames a keystroke. Here a key changes the text and calls back at once, so the echo, the
refiltered table and the state line go out in one frame."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget


class QueryLine(Widget, can_focus=True):
    """`prompt › text▏`; enter and esc end it, backspace and ctrl+u delete."""

    BINDINGS = [Binding("enter", "done(True)", show=False),
                Binding("escape", "done(False)", show=False),
                Binding("backspace", "delete", show=False),
                Binding("ctrl+u", "clear", show=False)]

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.prompt = ""
        self.hint = ""
        self.value = ""
        self.on_change: Callable[[str], None] | None = None
        self.on_done: Callable[[str, bool], None] | None = None

    def start(self, prompt: str, value: str, hint: str, on_change, on_done) -> None:
        self.prompt, self.value, self.hint = prompt, value, hint
        self.on_change, self.on_done = on_change, on_done
        self.add_class("shown")
        self.screen.set_focus(self)  # at once: keys already read go to the line, not the table
        self.refresh()

    def render(self) -> Text:
        text = Text.assemble((f" {self.prompt} › ", "bold"), self.value, ("▏", "reverse"))
        if not self.value and self.hint:
            text.append(f"  {self.hint}", "dim")
        return text

    def _changed(self) -> None:
        self.refresh()
        if self.on_change:
            self.on_change(self.value)

    def on_key(self, event: events.Key) -> None:
        self.take(event)

    def take(self, event: events.Key) -> None:
        """A printable key adds its character. The app passes on keys that reach it while
        the line has focus (typed ahead, in the same read as the key that opened it)."""
        if event.is_printable and event.character:
            event.stop()
            event.prevent_default()
            self.value += event.character
            self._changed()

    def on_paste(self, event: events.Paste) -> None:
        self.value += " ".join(event.text.split())
        self._changed()

    def action_delete(self) -> None:
        self.value = self.value[:-1]
        self._changed()

    def action_clear(self) -> None:
        self.value = ""
        self._changed()

    def action_done(self, keep: bool) -> None:
        self.remove_class("shown")
        if self.on_done:
            self.on_done(self.value, keep)
