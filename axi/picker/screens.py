"""The picker's pop-ups: the key reference, a yes/no question, a one-line prompt, a short
list to choose from, and a scrollable page of text (a diff)."""

from __future__ import annotations

from itertools import zip_longest

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static

from axi.picker.keys import ACTIONS, PERSON, TABLE, describe


class HelpScreen(ModalScreen[None]):
    """Every action and the keys it is bound to (the ones in force, after `[keys]`)."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "close")]

    def __init__(self, keys: dict[str, tuple[str, ...]]):
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        rows = [(describe(self.keys[a.name]), a.help) for a in ACTIONS if a.scope == TABLE]
        rows += [("enter", "open: resume it, or attach when it is held"),
                 ("esc", "leave a mode (filter, search, visual, marks)"),
                 ("↑ ↓ pgup pgdn", "move the cursor"), ("", "")]
        rows += [("", "in the person's tab (" + describe(self.keys["person"]) + "):")]
        rows += [(describe(self.keys[a.name]), a.help) for a in ACTIONS if a.scope == PERSON]
        rows += [("enter", "read the mail, or the task, under the cursor")]
        half = (len(rows) + 1) // 2
        grid = Table.grid(padding=(0, 1), expand=True)
        for _ in range(2):
            grid.add_column(justify="right", style="bold cyan", no_wrap=True)
            grid.add_column(ratio=1)
        for left, right in zip_longest(rows[:half], rows[half:], fillvalue=("", "")):
            grid.add_row(*(Text(cell) for cell in (*left, *right)))  # not markup: [[host]]
        with Vertical(id="dialog", classes="wide"):
            yield Static(Text("Keys  (rebind any under [keys] in config.toml)"), classes="title")
            yield VerticalScroll(Static(grid))


class Confirm(ModalScreen[bool]):
    """One question; `y` (or enter) says yes, anything else no."""

    BINDINGS = [Binding("y,enter", "answer(True)", "yes"),
                Binding("n,escape,q", "answer(False)", "no")]

    def __init__(self, question: str):
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.question)
            yield Label("y: yes   n / esc: no", classes="hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class Prompt(ModalScreen[str | None]):
    """One line of text; enter gives it, esc gives None."""

    BINDINGS = [Binding("escape", "cancel", "cancel")]

    def __init__(self, title: str, placeholder: str = "", hint: str = ""):
        super().__init__()
        self.title_text, self.placeholder, self.hint = title, placeholder, hint

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text)
            yield Input(placeholder=self.placeholder, id="prompt")
            if self.hint:
                yield Label(self.hint, classes="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class Choose(ModalScreen[str | None]):
    """A short list (a harness, a recipient); enter picks, esc gives None. `labels` are shown
    for the `options` (default: the options), the cursor starts on option `start`."""

    BINDINGS = [Binding("escape,q", "cancel", "cancel")]

    def __init__(self, title: str, options: list[str], labels: list[str] | None = None,
                 start: str | None = None):
        super().__init__()
        self.title_text, self.options = title, options
        self.labels = labels or options
        self.start = options.index(start) if start in options else 0

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text)
            choices = OptionList(*self.labels, id="choices")
            choices.highlighted = self.start
            yield choices

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.options[event.option_index])

    def action_cancel(self) -> None:
        self.dismiss(None)


class Page(ModalScreen[None]):
    """A page of text to read (the diff view); esc or q closes it."""

    BINDINGS = [Binding("escape,q", "dismiss", "close")]

    def __init__(self, title: str, body: str):
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(id="page"):
            yield Label(self.title_text, classes="title")
            yield VerticalScroll(Static(Text(self.body)))
