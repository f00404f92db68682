"""Values with two faces: a short form people and agents read, and the exact one programs get.

TOON prints the short form (`13d`, `58.3k`, `20 of 22 total`, `~/work/app`). `--format json` is
for programs, so the output boundary gives them the exact value too: counts as numbers
(`"count": 20, "total": 22`), ages and sizes as raw numbers beside the short forms
(`"age": "13d", "age_seconds": 1123200`), folders absolute. `Table` marks a list of rows whose
TOON form may state a column once when every row has the same value, and a common folder once.
"""

from __future__ import annotations


class Shown(str):
    """A short form (the str itself) with its exact value (`raw`)."""

    raw: object = None
    beside: str | None = None  # JSON: the raw value under `<key>_<beside>`; None: instead

    def __new__(cls, text: str, raw: object) -> Shown:
        made = super().__new__(cls, text)
        made.raw = raw
        return made

    def json_items(self, key: str) -> list[tuple[str, object]]:
        if self.beside is None:
            return [(key, self.raw)]
        return [(key, str(self)), (f"{key}_{self.beside}", self.raw)]


class Age(Shown):
    beside = "seconds"


class Size(Shown):
    beside = "exact"


class Folder(Shown):
    """A folder shown with `~` for home; absolute in JSON."""


class MissingFolder(Folder):
    """A session's folder that no longer exists, shown `!~/old/place`; JSON: the absolute
    path and `<key>_missing: true`."""

    def json_items(self, key: str) -> list[tuple[str, object]]:
        return [(key, self.raw), (f"{key}_missing", True)]


class MovedFolder(Folder):
    """A session's folder as relinked (`axi sessions relink`); JSON: where it is now, and
    the folder the transcript records as `<key>_recorded`."""

    recorded: str = ""

    def json_items(self, key: str) -> list[tuple[str, object]]:
        return [(key, self.raw), (f"{key}_recorded", self.recorded)]


class Count(Shown):
    """`N of M total[ more words]`: JSON gets `count` and `total` as numbers, and the words
    after them (a scope) as `count_scope`."""

    shown_n: int = 0
    total_n: int = 0

    @classmethod
    def of(cls, shown_n: int, total_n: int, text: str) -> Count:
        made = cls(text, shown_n)
        made.shown_n, made.total_n = shown_n, total_n
        return made

    def __add__(self, more: str) -> Count:
        return Count.of(self.shown_n, self.total_n, str(self) + more)

    def json_items(self, key: str) -> list[tuple[str, object]]:
        items: list[tuple[str, object]] = [(key, self.shown_n), ("total", self.total_n)]
        scope = str(self).split(" total", 1)[1].strip() if " total" in self else ""
        return items + ([(f"{key}_scope", scope)] if scope else [])


class Table(list):
    """Rows (dicts with the same keys) whose TOON form may be made smaller: a column with the
    same value in every row (of those in `liftable`) is stated once in `same`, and `under`
    states the folder every row's `folder_key` is below, the rows giving the rest."""

    def __init__(self, rows: list[dict], liftable: tuple[str, ...] = (),
                 folder_key: str | None = None):
        super().__init__(rows)
        self.liftable, self.folder_key = liftable, folder_key
