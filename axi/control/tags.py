"""Tags on any catalog session: the one reader and the one writer.

A session axi launched keeps its tags in its newest launch record (`launches.labels`, as
`sessions tag --label` always wrote them); any other session keeps them in `session_tags`, by
session key (`harness:id`). Both tables are in the mailbox database (the user's data): the
catalog index is only a cache and may be deleted. `read` merges the two; `edit` writes where a
session's tags live, moving them to its launch once axi launches (continues) it.

A tag is `key=value` or a flag (a bare key, `True`). The picker's `l` and `sessions tag` both
edit through here; the picker's old file (`picker-tags.json`) is imported once, on first use.
"""

from __future__ import annotations

import os

from axi.errors import AxiError, UsageFault
from axi.mailbox import db
from axi.quiet import closing, suppress
from axi.sqlite import sqlite3

LEGACY_FILE = "picker-tags.json"  # the picker's own store before the mailbox kept tags
BAD_KEY = frozenset(" \t;=,")


def read(keys: list[str] | None = None) -> dict[str, dict]:
    """session key -> its tags ({key: value or True}), for `keys` (None: every session that
    has tags); sessions without tags are left out. A mailbox that does not exist, or one an
    older axi made (no `session_tags` yet), reads as what it holds: this never writes, except
    to import the picker's old file once."""
    _import_legacy()
    if not db.exists() or keys == []:
        return {}
    try:
        with closing(db.connect_readonly(db.mailbox_path())) as conn:
            return _read(conn, keys)
    except sqlite3.Error:
        return {}


def _read(conn: sqlite3.Connection, keys: list[str] | None) -> dict[str, dict]:
    """Both tables' tags, decoded by SQLite's own JSON (`json_each`): the plain `axi sessions`
    path shows them without importing `json` (nor the `re` it imports)."""
    stored: dict[str, dict] = {}
    launched: dict[str, dict] = {}
    ids = None if keys is None else [k.partition(":")[2] for k in keys]
    with suppress(sqlite3.OperationalError):  # a mailbox before schema 7
        _collect(stored, conn, "t.session_key", "session_tags t", "1", "t.session_key", keys)
    with suppress(sqlite3.OperationalError):  # no control tables yet
        # the newest launch of each session holds it now (and its labels)
        newest = ("t.session IS NOT NULL AND t.rowid = (SELECT l.rowid FROM launches l "
                  "WHERE l.session = t.session AND l.harness = t.harness "
                  "ORDER BY l.created DESC, l.rowid DESC LIMIT 1)")
        _collect(launched, conn, "t.harness || ':' || t.session", "launches t", newest,
                 "t.session", ids)
    if keys is not None:
        wanted = set(keys)
        launched = {k: v for k, v in launched.items() if k in wanted}
    out = {key: {**stored.get(key, {}), **launched.get(key, {})} for key in {*stored, *launched}}
    return {k: v for k, v in out.items() if v}


LABELS = ("json_each(CASE WHEN json_valid(t.labels) AND json_type(t.labels) = 'object' "
          "THEN t.labels ELSE '{}' END) j")
JSON_TYPES = {"true": True, "false": False, "null": None}


def _collect(into: dict[str, dict], conn: sqlite3.Connection, key: str, table: str,
             where: str, column: str, values: list[str] | None) -> None:
    """key -> {tag: value} from the `labels` JSON objects of `table` (a value that is not a
    JSON object reads as no tags), narrowed to `column IN values` in chunks SQLite takes."""
    sql = (f"SELECT {key}, j.key, j.value, j.type FROM {table}, {LABELS} "
           f"WHERE t.labels != '{{}}' AND {where}")
    chunks = [None] if values is None else [values[at:at + 500]
                                            for at in range(0, len(values), 500)]
    for part in chunks:
        narrowed = sql if part is None else f"{sql} AND {column} IN ({','.join('?' * len(part))})"
        for owner, tag, value, kind in conn.execute(narrowed, part or []):
            into.setdefault(owner, {})[tag] = JSON_TYPES.get(kind, value)


def decode(text: str | None) -> dict:
    """Stored tags as a dict (for the writer); empty for none or for text that is not a JSON
    object."""
    if not text or text == "{}":
        return {}
    import json

    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def edit(conn: sqlite3.Connection, edits, key: str | None = None, launch=None) -> dict:
    """Apply `edits` (`key=value` sets, `-key` or `key=` removes, a bare word is a flag; see
    `check`) to one session's tags and return them. The session is `key` (`harness:id`) or
    the launch record `launch`; a session axi launched keeps its tags in its newest launch,
    any other in `session_tags`. One write transaction, so two writers never lose each
    other's edit."""
    with db.write(conn):
        return _apply(conn, edits, key, launch)


def _apply(conn: sqlite3.Connection, edits, key: str | None, launch, under: dict | None = None
           ) -> dict:
    """`edit` inside the caller's transaction; `under`: tags to keep beneath the current
    ones (an import)."""
    import json
    import time

    from axi.control.records import edit_labels

    if launch is not None:  # re-read inside the transaction
        launch = conn.execute("SELECT * FROM launches WHERE id = ?", (launch["id"],)).fetchone()
    elif key:
        harness, _, sid = key.partition(":")
        launch = conn.execute("SELECT * FROM launches WHERE harness = ? AND session = ? "
                              "ORDER BY created DESC LIMIT 1", (harness, sid)).fetchone()
    if launch is not None and launch["session"]:
        key = f"{launch['harness']}:{launch['session']}"
    stored = conn.execute("SELECT labels FROM session_tags WHERE session_key = ?",
                          (key,)).fetchone() if key else None
    current = {**(under or {}), **decode(stored[0] if stored else None),
               **decode(launch["labels"] if launch is not None else None)}
    now = edit_labels(current, edits)
    if launch is not None:
        conn.execute("UPDATE launches SET labels = ? WHERE id = ?",
                     (json.dumps(now), launch["id"]))
        if key:  # moved to the launch: one place per session
            conn.execute("DELETE FROM session_tags WHERE session_key = ?", (key,))
    elif now:
        conn.execute("INSERT INTO session_tags (session_key, labels, updated) VALUES (?, ?, ?) "
                     "ON CONFLICT (session_key) DO UPDATE SET labels = excluded.labels, "
                     "updated = excluded.updated", (key, json.dumps(now), time.time()))
    else:
        conn.execute("DELETE FROM session_tags WHERE session_key = ?", (key,))
    return now


def check(edits, flag: str = "--label ") -> list[str]:
    """The edits as given, or a usage error naming the one that cannot be a tag: a key is
    one word without `;`, `=` or `,` (and no leading `-`, which removes); a value is one line
    without `;`. That keeps a list's `tags` cell (`k=v;flag`) readable one way only. `flag`:
    how the edits were given ("" for the picker's prompt)."""
    for item in edits:
        removing = item.startswith("-")
        key, equals, value = (item[1:] if removing else item).partition("=")
        problem = None
        if not key:
            problem = "the key is empty"
        elif any(c in BAD_KEY or ord(c) < 32 for c in key) or key.startswith("-"):
            problem = "a key is one word without ; = , or a leading -"
        elif removing and equals:
            problem = "-KEY removes a tag and takes no value"
        elif any(c == ";" or ord(c) < 32 for c in value):
            problem = "a value is one line without ;"
        if problem:
            raise UsageFault(f"{flag}{item!r} is not a tag: {problem}", help=[
                f"{flag}team=web sets a tag, {flag}urgent a flag, {flag}-team removes it"])
    return list(edits)


def text(tags: dict | None) -> str | None:
    """Tags as one list cell: `team=web;urgent` (a flag is its bare key), keys in order."""
    if not tags:
        return None
    return ";".join(k if v is True else f"{k}={value_text(v)}" for k, v in sorted(tags.items()))


def value_text(value: object) -> str:
    """A tag's value as shown and as `--tag key=value` matches it (a flag is `true`)."""
    if value is True:
        return "true"
    return "" if value is None else str(value)


def parse_filter(wanted: tuple[str, ...]) -> list[tuple[str, str | None]]:
    """`--tag key=value` (that value) and `--tag key` (any value) as (key, value or None)."""
    out = []
    for item in wanted:
        key, equals, value = item.partition("=")
        if (not key or any(c in BAD_KEY or ord(c) < 32 for c in key) or key.startswith("-")
                or (equals and not value)):
            raise UsageFault(f"--tag {item!r} is not key=value or key", help=[
                "`axi sessions --tag team=web` lists sessions tagged team=web; "
                "`axi sessions --tag team` those with any team"])
        out.append((key, value if equals else None))
    return out


def matches(tags: dict, wanted: list[tuple[str, str | None]]) -> bool:
    """Every (key, value) of `wanted` holds: the key is there, with that value if given."""
    return all(k in tags and (v is None or value_text(tags[k]) == v) for k, v in wanted)


def _import_legacy() -> None:
    """The picker's old tag file, imported once into the mailbox without losing a tag (what
    the mailbox already has for a session wins), then renamed aside. A failure leaves the
    file where it is, to be imported next time."""
    from axi.paths import state_dir

    path = os.path.join(state_dir(), LEGACY_FILE)
    if not os.path.exists(path):
        return
    import json

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return
    if not isinstance(data, dict):
        data = {}
    entries = {k: v for k, v in data.items() if k and isinstance(v, dict) and v}
    try:
        conn = db.connect()
        try:
            with db.write(conn):  # all of it or none
                for key, tags in entries.items():
                    _apply(conn, [], key, None, under=tags)
        finally:
            conn.close()
        os.replace(path, path + ".imported")
    except (AxiError, OSError, sqlite3.Error):
        return
