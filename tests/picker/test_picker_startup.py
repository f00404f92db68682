"""Textual is `axi pick`'s alone: the hook, bare `axi` and the TOON commands never load it."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from axi.cli import run
for args in ([], ["sessions", "--all"], ["agents"], ["hook", "--help"]):
    run(args, "toon")
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich")
                or m.startswith("axi.picker"))
print("LOADED", loaded, file=sys.stderr)
"""


def test_other_commands_do_not_import_textual_or_the_picker(corpus_home):
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          timeout=120, cwd=corpus_home)
    line = [x for x in done.stderr.splitlines() if x.startswith("LOADED")]
    assert line == ["LOADED []"], done.stderr[-2000:]
