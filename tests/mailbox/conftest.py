"""Mailbox fixtures."""

from __future__ import annotations

import pytest
from mail_support import make_agent


@pytest.fixture
def pair(home):
    """alice (this folder) and bob (in bob/), both approved."""
    make_agent(home, "alice")
    make_agent(home / "bob", "bob")
    return home
