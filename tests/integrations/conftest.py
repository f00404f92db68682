"""Fixtures for the opt-in end-to-end tests (`pytest -m e2e tests/integrations`): the real CLIs
from npm and the loopback fake model (tests/e2e/clis.py), and a timing table printed at the end.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e import clis

TIMINGS: list[tuple[str, str, float]] = []


@pytest.fixture(scope="session")
def npm_bin() -> Path:
    """node_modules/.bin with every pinned CLI (installed once into the npm cache)."""
    found = clis.install(*clis.PACKAGES)
    if found is None:
        pytest.skip("npm is not installed")
    return found


@pytest.fixture(scope="module")
def llm(tmp_path_factory):
    """(base URL, requests.jsonl) of a fake model serving this module's tests."""
    with clis.fake_llm(tmp_path_factory.mktemp("llm")) as served:
        yield served


@pytest.fixture
def timing(request):
    """`timing(step, seconds)` records a step for the table printed after the run."""
    def record(step: str, seconds: float) -> None:
        TIMINGS.append((request.node.name, step, seconds))
    return record


def pytest_terminal_summary(terminalreporter) -> None:
    if not TIMINGS:
        return
    terminalreporter.section("e2e timings (seconds)")
    for test, step, seconds in TIMINGS:
        terminalreporter.write_line(f"{seconds:8.2f}  {test}: {step}")
