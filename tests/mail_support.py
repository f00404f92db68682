"""Helpers for mailbox tests: agents made and approved through the library, real axi processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support import decode_strict

from axi.mailbox import db, identity, store


def make_agent(folder: Path, name: str, approve: bool = True, tag: str = "") -> Path:
    """An identity bound to `folder` (created), approved unless told otherwise."""
    folder.mkdir(parents=True, exist_ok=True)
    conn = store.connect()
    row, _ = identity.init(conn, name, str(folder), tag)
    if approve:
        identity.approve(conn, name, identity.confirm_code(row))
    conn.close()
    return folder


def mailbox_at(version: int):
    """A new mailbox file made by migration steps 1 to `version` only, as an older axi left
    it (a plain connection; the caller inserts its rows, then closes it)."""
    import sqlite3

    old = sqlite3.connect(db.mailbox_path(), isolation_level=None)
    old.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    for step, script in db.MIGRATIONS[:version]:
        for statement in script.split(";"):
            if statement.strip():
                old.execute(statement)
        old.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(step),))
    return old


def as_bob(monkeypatch, home: Path) -> None:
    """Stand in bob's folder (the `pair` fixture's)."""
    monkeypatch.chdir(home / "bob")
    monkeypatch.setenv("PWD", str(home / "bob"))


def code_of(name: str) -> str:
    conn = store.connect()
    try:
        return identity.confirm_code(identity.require(conn, name))
    finally:
        conn.close()


def axi_proc(*args: str, cwd: Path, timeout: float = 60, env: dict | None = None,
             input: str | None = None) -> tuple[int, object]:
    """Run a real `python -m axi` process; returns (exit code, strictly decoded stdout)."""
    proc = subprocess.run([sys.executable, "-m", "axi", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env or dict(os.environ, PWD=str(cwd)),
                          input=input)
    assert "Traceback" not in proc.stdout, proc.stdout
    return proc.returncode, decode_strict(proc.stdout)
