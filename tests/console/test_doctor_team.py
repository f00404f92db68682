"""`axi doctor` with a team mailbox (a real PostgreSQL server): the schema against this axi's,
this machine's grants, row-level security on the tables, and a role that would bypass it."""

from __future__ import annotations

import re

import pytest

from axi.console.checks import team_mailbox_check


def team_row(axi) -> dict:
    result = axi("doctor", "--no-run")
    found = {r["name"]: r for r in result.data["checks"]}
    return found["team mailbox"]


def test_a_machine_role_with_its_grants_is_ok(axi, team_url):
    row = team_row(axi)
    assert row["state"] == "ok", row
    from axi.mailbox.pg_schema import LATEST

    assert re.fullmatch(rf"as role machine_a, schema {LATEST} \(latest {LATEST}\), \d+ ms; "
                        r"grants and row-level security in place", row["detail"])


def test_no_team_mailbox_no_row(axi, home):
    assert team_mailbox_check() is None
    result = axi("doctor", "--no-run")
    assert "team mailbox" not in {r["name"] for r in result.data["checks"]}


def test_the_admin_bypasses_row_level_security_a_warning(home, pg_server, monkeypatch):
    monkeypatch.setenv("AXI_MAILBOX_URL", pg_server.url(pg_server.admin,
                                                        pg_server.new_database()))
    check = team_mailbox_check()
    assert check.state == "warn"
    assert "row-level security does not bind it" in check.detail
    assert "LOGIN IN ROLE axi_machine" in check.fix


@pytest.mark.parametrize("broken, expect", [
    ("ALTER TABLE messages DISABLE ROW LEVEL SECURITY", "row-level security is off on messages"),
    ("REVOKE INSERT ON deliveries FROM axi_machine", "this role lacks INSERT on deliveries"),
    ("UPDATE meta SET value = '0' WHERE key = 'schema_version'", "the schema is behind"),
    ("UPDATE meta SET value = '99' WHERE key = 'schema_version'", "newer than this axi"),
])
def test_what_is_wrong_is_a_fail(home, pg_server, monkeypatch, broken, expect):
    database = pg_server.new_database()
    pg_server.sql(broken, database)
    monkeypatch.setenv("AXI_MAILBOX_URL", pg_server.url("machine_a", database))
    check = team_mailbox_check()
    assert check.state == "fail", check
    assert expect in check.detail
    assert check.fix


def test_an_unreachable_team_mailbox_is_a_fail_without_its_password(axi, home, monkeypatch):
    from pg_support import free_port

    monkeypatch.setenv("AXI_MAILBOX_URL",
                       f"postgresql://machine_a:s3cret@127.0.0.1:{free_port()}/axi")
    result = axi("doctor", "--no-run")
    row = {r["name"]: r for r in result.data["checks"]}["team mailbox"]
    assert row["state"] == "fail" and "cannot be reached" in row["detail"]
    assert "s3cret" not in result.stdout
    assert row["fix"] == "axi mailbox status"
