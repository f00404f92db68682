"""Control-plane fixtures: `follow` starts `axi sessions read --follow` processes that end
with the test."""

from __future__ import annotations

import pytest
from control_snap import Follower


@pytest.fixture
def follow(control_home):
    started: list[Follower] = []

    def start(*args: str) -> Follower:
        started.append(Follower(args, control_home))
        return started[-1]

    yield start
    for stream in started:
        stream.stop()
