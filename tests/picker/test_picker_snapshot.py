"""The picker's screen at a fixed size, as text and as Textual's SVG screenshot (the README's
picture). Reviewed by eye once; a change to either shows up here as a diff.

Update after an intended change: `python -m pytest tests/picker/test_picker_snapshot.py
--snapshot-update`, then look at the new SVG."""

from __future__ import annotations

import pytest
from pick_support import screen_text, sync
from syrupy.extensions.image import SVGImageSnapshotExtension

SNAPSHOT_SIZE = (132, 34)


@pytest.fixture
def svg_snapshot(snapshot):
    return snapshot.use_extension(SVGImageSnapshotExtension)


async def settled(app, pilot) -> None:
    await pilot.pause(0.3)
    await app.workers.wait_for_complete()
    await pilot.pause(0.2)


@sync
async def test_the_picker_screen(make_app, snapshot, svg_snapshot):
    app = make_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await pilot.press("j", "j", "tab", "j")
        await settled(app, pilot)
        assert screen_text(app) == snapshot
        assert app.export_screenshot(title="axi pick") == svg_snapshot


@sync
async def test_the_key_reference(make_app, snapshot):
    app = make_app()
    async with app.run_test(size=SNAPSHOT_SIZE) as pilot:
        await pilot.press("question_mark")
        await settled(app, pilot)
        assert screen_text(app) == snapshot
