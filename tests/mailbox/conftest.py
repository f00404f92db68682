"""Mailbox fixtures. Every test here runs twice: on the embedded SQLite file and on a team
database in a real PostgreSQL server, as a machine role bound by row-level security. A test of
the file itself (its migrations, locks, damage) is marked `sqlite_only`, one of the team
database alone (its outbox, its server going away) `postgres_only`."""

from __future__ import annotations

import re

import pytest
from mail_support import make_agent
from syrupy.extensions.amber import AmberSnapshotExtension

BACKENDS = ("sqlite", "postgres")
_BACKEND_ID = re.compile(
    r"\[(sqlite|postgres)\]|-(sqlite|postgres)(?=\])|(?<=\[)(sqlite|postgres)-")


@pytest.fixture(params=BACKENDS, autouse=True)
def backend(request, monkeypatch) -> str:
    request.getfixturevalue("home")
    if request.param == "sqlite" and request.node.get_closest_marker("postgres_only"):
        pytest.skip("a test of the team mailbox itself")
    if request.param == "postgres":
        if request.node.get_closest_marker("sqlite_only"):
            pytest.skip("a test of the embedded SQLite file itself")
        request.getfixturevalue("team_url")
    return request.param


class OneSnapshotForBothBackends(AmberSnapshotExtension):
    """Both backends must print the same: their runs compare against one stored snapshot."""

    @classmethod
    def get_snapshot_name(cls, *, test_location, index=0) -> str:
        name = super().get_snapshot_name(test_location=test_location, index=index)
        return _BACKEND_ID.sub("", name)


@pytest.fixture
def snapshot(snapshot):
    return snapshot.use_extension(OneSnapshotForBothBackends)


@pytest.fixture
def pair(home):
    """alice (this folder) and bob (in bob/), both approved."""
    make_agent(home, "alice")
    make_agent(home / "bob", "bob")
    return home
