"""Picker fixtures: the real index built from the recorded stores, and the app under Pilot."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def indexed(corpus_home: Path) -> Path:
    """HOME with the corpus stores, and the index built from them (as `axi sessions` does)."""
    from axi.index.catalog import open_index

    conn, _ = open_index()
    conn.close()
    return corpus_home


@pytest.fixture
def make_app(indexed: Path):
    """A PickApp on the corpus index (no background refresh unless asked)."""
    from axi.picker.app import PickApp
    from axi.picker.keys import bindings

    def make(config: dict | None = None, live: bool = False, **kwargs) -> PickApp:
        config = config or {}
        return PickApp(config, bindings(config), live=live, **kwargs)

    return make
