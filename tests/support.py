"""Helpers the tests import: strict TOON decoding and snapshot scrubbing."""

from __future__ import annotations

import toon
import toon_format


def decode_strict(text: str) -> object:
    """Decode with python-toon (strict) and toon-format (strict); both must agree."""
    assert text.endswith("\n") and not text.endswith("\n\n"), repr(text[-20:])
    body = text[:-1]
    first = toon.decode(body, toon.DecodeOptions(strict=True))
    second = toon_format.loads(body, strict=True)
    assert first == second
    return first


def scrub(data: object) -> object:
    """Replace values that depend on the machine (the executable path) for snapshots."""
    if isinstance(data, dict):
        return {k: ("<bin>" if k == "bin" else scrub(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [scrub(v) for v in data]
    return data


def settle_index(limit: float = 60.0) -> None:
    """Wait for what a cold index left running in the background (its search-text pass) to
    finish, then bring search up to date here: nothing writes the index after this."""
    import time

    from axi.index import sweep
    from axi.index.lock import sweep_lock

    deadline = time.monotonic() + limit
    while True:
        with sweep_lock() as alone:
            if alone:
                break
        assert time.monotonic() < deadline, "a background sweep ran for over a minute"
        time.sleep(0.05)
    sweep.main(["--search"])


def older_opencode_db(home):
    """An opencode database of the older schema (no aggregate, archive or parent columns) at
    its place under `home`, its three tables empty; the open connection to fill it."""
    import sqlite3

    folder = home / ".local/share/opencode"
    folder.mkdir(parents=True)
    conn = sqlite3.connect(folder / "opencode.db")
    conn.executescript("""
        CREATE TABLE session (id TEXT PRIMARY KEY, directory TEXT, title TEXT,
                              time_created INTEGER, time_updated INTEGER);
        CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT, time_created INTEGER,
                              time_updated INTEGER, data TEXT);
        CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT, session_id TEXT,
                           time_created INTEGER, time_updated INTEGER, data TEXT);
    """)
    return conn
