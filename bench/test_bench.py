"""Self-tests of the benchmark tooling (not of axi): `pytest bench/test_bench.py`.

They generate a tiny corpus, validate it with the reference checker, check that generation is
deterministic, that the 1 MB append used by the re-index benchmark keeps the file valid, and
that the process monitor follows detached workers.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import check_corpus  # noqa: E402
import gen_corpus  # noqa: E402
import procmon  # noqa: E402
from corpusgen import claude  # noqa: E402
from corpusgen.text import TextPools  # noqa: E402

ANCHOR = "2026-11-21T12:00:00Z"
pytestmark = pytest.mark.skipif(
    not (gen_corpus.DEFAULT_CORPUS / "README.md").exists(), reason="tests/corpus not available"
)


def generate(out: Path, workers: int = 2) -> dict:
    args = gen_corpus.parse_args(
        [
            "--sessions",
            "120",
            "--size-gb",
            "0.01",
            "--out",
            str(out),
            "--anchor",
            ANCHOR,
            "--workers",
            str(workers),
        ]
    )
    return gen_corpus.generate(args)


def digest(home: Path) -> dict[str, str]:
    out = {}
    for path in sorted(home.rglob("*")):
        if path.is_file() and path.name not in ("manifest.json", "truth.jsonl"):
            out[str(path.relative_to(home))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("corpus")
    generate(home)
    return home


def test_corpus_passes_reference_checks(corpus: Path) -> None:
    checker = check_corpus.Checker(corpus)
    assert checker.run() == 0, checker.problems


def test_manifest_summary(corpus: Path) -> None:
    manifest = json.loads((corpus / "manifest.json").read_text())
    sessions = {h: e["sessions"] for h, e in manifest["harnesses"].items()}
    assert sessions == {"claude": 54, "codex": 30, "pi": 18, "opencode": 18}
    assert manifest["truth_sample"] and manifest["search"]["sessions"]
    assert all(Path(cwd).is_absolute() for cwd in manifest["projects"])


def test_generation_is_deterministic(corpus: Path, tmp_path: Path) -> None:
    generate(tmp_path / "again", workers=1)
    assert digest(tmp_path / "again") == digest(corpus)


def test_append_keeps_transcript_valid(corpus: Path, tmp_path: Path) -> None:
    manifest = json.loads((corpus / "manifest.json").read_text())
    src = Path(next(f["path"] for f in manifest["largest"] if f["harness"] == "claude"))
    path = tmp_path / src.name
    path.write_bytes(src.read_bytes())
    ctx = SimpleNamespace(pools=TextPools(3), templates=None)
    added = claude.append_turns(
        ctx, path, 200_000, random.Random(1), now_ms=int(time.time() * 1000)
    )
    assert added >= 200_000
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    assert {x["sessionId"] for x in lines} == {src.stem}
    uuids = [x["uuid"] for x in lines if "uuid" in x]
    assert len(uuids) == len(set(uuids))


def test_procmon_follows_detached_worker() -> None:
    child = "import time; b = bytearray(40 << 20); time.sleep(0.4)"
    parent = (
        f"import subprocess, sys; subprocess.Popen(['setsid', sys.executable, '-c', {child!r}])"
    )
    r = procmon.measure([sys.executable, "-c", parent], dict(os.environ))
    assert r.ok
    assert r.wall_tree_s > r.wall_exit_s + 0.2
    assert r.max_proc_rss_mb >= 40


def test_procmon_timeout_kills_only_its_group() -> None:
    r = procmon.measure(["sleep", "5"], dict(os.environ), timeout=0.3, sample=False)
    assert r.timed_out and not r.ok
    assert subprocess.run(["true"]).returncode == 0
