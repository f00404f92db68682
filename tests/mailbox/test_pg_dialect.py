"""The few spellings the two dialects do not share, translated in one place (axi/mailbox/pg.py).
Pure functions: run once (the backend parameter changes nothing here)."""

from __future__ import annotations

import pytest

from axi.text import without_password

pg = pytest.importorskip("axi.mailbox.pg")
pytestmark = pytest.mark.sqlite_only


def test_placeholders_outside_quotes_only():
    text, returning = pg.translate("SELECT '?', \"a?\" FROM t WHERE x = ? AND y LIKE '5%'")
    assert text == "SELECT '?', \"a?\" FROM t WHERE x = %s AND y LIKE '5%%'" and returning is None


def test_insert_or_ignore_and_the_new_rows_id():
    text, returning = pg.translate("INSERT OR IGNORE INTO deliveries (message, recipient, "
                                   "reason) VALUES (?, ?, 'to')")
    assert text == ("INSERT INTO deliveries (message, recipient, reason) VALUES (%s, %s, 'to') "
                    "ON CONFLICT DO NOTHING") and returning is None  # nobody reads its seq
    text, returning = pg.translate("INSERT OR IGNORE INTO messages (sender, body) VALUES (?, ?)")
    assert text == ("INSERT INTO messages (sender, body) VALUES (%s, %s) "
                    "ON CONFLICT DO NOTHING RETURNING id") and returning == "id"
    text, returning = pg.translate("INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                                   "SET value = excluded.value")
    assert "DO NOTHING" not in text and returning is None  # meta has no id column


def test_functions_sqlite_spells_its_own_way():
    text, _ = pg.translate("SELECT group_concat(r.name, char(31)), instr(lower(b), lower(?))")
    assert text == "SELECT string_agg(r.name, chr(31)), strpos(lower(b), lower(%s))"


def test_rows_read_by_name_and_position_with_plain_numbers():
    from decimal import Decimal

    class Description:
        def __init__(self, name):
            self.name = name

    class Cursor:
        description = [Description("n"), Description("total"), Description("flag")]

    row = pg._row_factory(Cursor())((3, Decimal("7"), True))
    assert (row["n"], row[1], row["flag"]) == (3, 7, 1) and type(row[1]) is int
    assert row.keys() == ["n", "total", "flag"] and dict(row) == {
        "n": 3, "total": 7, "flag": 1}


def test_a_password_never_shows():
    assert without_password("postgresql://laptop:s3cret@db:5432/axi") == "postgresql://laptop:***@db:5432/axi"
