#!/usr/bin/env python3
"""Benchmark `axi` (and peers) on a generated corpus; prints a Markdown table and a JSON line.

    python bench/run.py              # corpus in ~/.cache/axi-bench/corpus (generated if missing)
    python bench/run.py --corpus ~/.cache/axi-bench/corpus-small --runs 10
    python bench/run.py --skip-peers --axi .venv/bin/axi
    python bench/run.py --skip-axi                # peers only

Every command runs as a subprocess with HOME=<corpus> (so the harness stores are found there),
AXI_HOME=<temp state dir>, and XDG_*/CLAUDE_CONFIG_DIR/CODEX_HOME... removed from the
environment. Results also go to bench/results/latest.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpusgen import claude as claude_gen  # noqa: E402
from corpusgen.text import TextPools  # noqa: E402
from procmon import RunResult, measure  # noqa: E402

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "axi-bench"
NPM_DIR = CACHE / "npm"
RESULTS = HERE / "results" / "latest.json"
STRIP_ENV = ("XDG_", "CLAUDE_", "CODEX_", "OPENCODE", "PI_", "AXI_", "ANTHROPIC_", "OPENAI_")
TARGETS = {
    "cold_mb_s": 400,
    "cold_rss_mb": 150,
    "dashboard_p50_ms": 80,
    "list_p50_ms": 120,
    "reindex_beyond_ms": 50,
}


# ------------------------------------------------------------------------------------ corpus


def load_corpus(path: Path) -> dict:
    if not (path / "manifest.json").exists():
        print(f"no corpus at {path}; generating one with the defaults", file=sys.stderr)
        subprocess.run(
            [sys.executable, str(HERE / "gen_corpus.py"), "--out", str(path)], check=True
        )
    return json.loads((path / "manifest.json").read_text())


def store_bytes(home: Path) -> dict[str, int]:
    """Bytes the harness stores hold, per harness (the SQLite DB and its WAL included)."""
    roots = {
        "claude": (home / ".claude" / "projects", "*.jsonl"),
        "codex": (home / ".codex" / "sessions", "*.jsonl"),
        "pi": (home / ".pi" / "agent" / "sessions", "*.jsonl"),
    }
    sizes = {
        h: sum(p.stat().st_size for p in root.rglob(pat) if p.is_file())
        for h, (root, pat) in roots.items()
        if root.exists()
    }
    db = home / ".local" / "share" / "opencode" / "opencode.db"
    sizes["opencode"] = sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())
    return sizes


def warm_page_cache(home: Path) -> float:
    """Reads every store file once so runs measure CPU, not the disk (as PRODUCT.md states)."""
    t0 = time.perf_counter()
    for root in (".claude", ".codex", ".pi", ".local/share/opencode"):
        for path in (home / root).rglob("*"):
            if path.is_file():
                with open(path, "rb") as fh:
                    while fh.read(1 << 22):
                        pass
    return time.perf_counter() - t0


def make_project_dirs(manifest: dict) -> int:
    for cwd in manifest["projects"]:
        Path(cwd).mkdir(parents=True, exist_ok=True)
    return len(manifest["projects"])


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(STRIP_ENV)}
    env.update(HOME=str(home), NO_COLOR="1", TZ="UTC", **extra)
    return env


# ------------------------------------------------------------------------------------ stats


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def latency(results: list[RunResult]) -> dict:
    walls = [r.wall_exit_s for r in results]
    failed = [r for r in results if not r.ok]
    out = {
        "runs": len(results),
        "p50_ms": ms(pct(walls, 0.5)),
        "p90_ms": ms(pct(walls, 0.9)),
        "min_ms": ms(min(walls)),
        "max_rss_mb": round(max(r.max_proc_rss_mb for r in results), 1),
        "failures": len(failed),
    }
    if failed:
        out["error"] = first_error(failed[0])
    return out


def first_error(r: RunResult) -> str:
    why = "timeout" if r.timed_out else f"exit {r.returncode}"
    tail = (r.stderr.strip() or r.stdout.strip())[-300:]
    return f"{why}: {tail}"


# ------------------------------------------------------------------------------------ axi


class AxiBench:
    def __init__(self, axi: str, home: Path, manifest: dict, runs: int, cold_runs: int) -> None:
        self.axi = axi
        self.home = home
        self.manifest = manifest
        self.runs = runs
        self.cold_runs = cold_runs
        self.state = Path(tempfile.mkdtemp(prefix="axi-bench-state-"))
        self.hot_files = 9000
        self.out: dict = {"axi": axi}

    def env(self, axi_home: Path) -> dict[str, str]:
        return clean_env(self.home, AXI_HOME=str(axi_home))

    def run(
        self,
        args: list[str],
        axi_home: Path,
        cwd: str | None = None,
        sample: bool = False,
        timeout: float = 120,
        wait_tree: bool = False,
        stdin: bytes = b"",
    ) -> RunResult:
        return measure(
            [self.axi, *args],
            self.env(axi_home),
            cwd=cwd or str(self.home),
            timeout=timeout,
            sample=sample,
            wait_tree=wait_tree,
            stdin=stdin,
        )

    def cold(self, total_bytes: int) -> Path:
        """Each round indexes from scratch twice: once timed with nothing else running, once
        with the /proc sampler measuring memory (on 2 cores the sampler's own CPU would slow
        the run it times by several percent, so time and memory come from separate runs)."""
        timed, sampled = [], []
        warm_home = self.state / "cold-t0"
        for i in range(self.cold_runs):
            for kind, runs in (("t", timed), ("s", sampled)):
                axi_home = self.state / f"cold-{kind}{i}"
                axi_home.mkdir()
                # The VM's memory reclaim may drop cached pages between runs: re-read the
                # stores so every cold run measures indexing from the page cache, not the disk.
                warm_page_cache(self.home)
                runs.append(self.run(["sessions", "--all", "--limit", "1"], axi_home,
                                     sample=kind == "s", timeout=1800, wait_tree=kind == "t"))
        # The command answers once the catalog (rows, tokens, cost, status of every harness)
        # is complete: its exit is when the catalog is ready. The timed runs then reap what it
        # left running (the search text pass) as orphans, at no cost to it: when the last one
        # ends, search is complete. The sampled runs see the same end later, slowed by the
        # sampler's own work.
        best = statistics.median_low([r.wall_exit_s for r in timed])
        search = statistics.median_low([r.wall_tree_s for r in timed])
        with_sampler = statistics.median_low([r.wall_tree_s for r in sampled])
        self.out["cold"] = {
            "runs": len(timed),
            "transcript_mb": round(total_bytes / 1e6, 1),
            "wall_exit_s": round(best, 3),
            "catalog_ready_s": round(best, 3),
            "walls_s": [round(r.wall_exit_s, 3) for r in timed],
            "mb_s": round(total_bytes / 1e6 / best, 1),
            "mb_s_while_sampled": round(
                total_bytes / 1e6 / statistics.median_low([r.wall_exit_s for r in sampled]), 1),
            "search_ready_s": round(search, 3),
            "search_ready_x": round(search / best, 2),
            "search_walls_s": [round(r.wall_tree_s, 3) for r in timed],
            "search_ready_while_sampled_s": round(with_sampler, 3),
            "sampled_walls_s": [round(r.wall_tree_s, 3) for r in sampled],
            "peak_tree_rss_mb": round(max(r.peak_tree_rss_mb for r in sampled), 1),
            "max_proc_rss_mb": round(max(r.max_proc_rss_mb for r in sampled), 1),
            "procs": max(r.procs_seen for r in sampled),
            "failures": sum(not r.ok for r in timed + sampled),
        }
        if not timed[0].ok:
            self.out["cold"]["error"] = first_error(timed[0])
        return warm_home

    def warm(self, axi_home: Path, busiest_cwd: str) -> None:
        self.run(["sessions", "--all"], axi_home)  # settle anything the cold run left pending
        start = ["hook", "session-start", "--host", "claude"]
        cases = {
            # replayed after its first run (axi/commands/replay.py)
            "dashboard": ([], busiest_cwd, None),
            # made the usual way every run: the first after anything it rests on moved
            "dashboard_made": ([], busiest_cwd, "forget"),
            "sessions_all": (["sessions", "--all"], None, None),
            # made anew each run: the re-index row's baseline (a run after an append makes it)
            "sessions_all_limit1": (["sessions", "--all", "--limit", "1"], None, "forget"),
            # What Claude Code runs at a session start, without a payload
            "hook": (start, busiest_cwd, None),
            # and with one, for a new session each run (each records its start)
            "hook_new_session": (start, busiest_cwd, "payload"),
        }
        last = {}
        for name, (args, cwd, each) in cases.items():
            runs = [self.run(args, axi_home, cwd=cwd, stdin=self.before_run(each, axi_home, cwd))
                    for _ in range(self.runs)]
            self.out[name] = latency(runs)
            last[name] = runs[-1].stdout
        self.out["dashboard"]["cwd"] = busiest_cwd
        self.out["dashboard"]["chars"] = len(last["dashboard"])
        with contextlib.suppress(ValueError, KeyError, TypeError):
            context = json.loads(last["hook"])["hookSpecificOutput"]["additionalContext"]
            self.out["hook"]["chars"] = len(context)

    @staticmethod
    def before_run(each: str | None, axi_home: Path, cwd: str | None) -> bytes:
        """What a warm case does before each run, untimed: "forget" removes the saved
        dashboards, so the run makes its own; "payload" is a new session's start for stdin."""
        if each == "forget":
            shutil.rmtree(axi_home / "replay", ignore_errors=True)
        if each == "payload":
            return json.dumps({"session_id": uuid.uuid4().hex, "cwd": cwd,
                               "hook_event_name": "SessionStart", "source": "startup"}).encode()
        return b""

    def mail(self, axi_home: Path, busiest_cwd: str) -> None:
        """`axi send` and `axi inbox` warm, between two approved agents: one in the busiest
        folder, one in a folder of its own (made and approved through axi's own library, as
        approving needs a person at a terminal)."""
        sink = self.state / "sink-folder"
        sink.mkdir(exist_ok=True)
        pointers = Path(busiest_cwd) / ".axi"  # where the agent made here names itself
        had_pointers = pointers.exists()
        python = str(Path(self.axi).with_name("python"))
        try:
            made = subprocess.run([python, "-c", MAKE_AGENTS, busiest_cwd, str(sink)],
                                  env=self.env(axi_home), capture_output=True, text=True,
                                  timeout=120)
            if made.returncode:
                self.out["mail"] = {"skipped": made.stderr.strip()[-300:]}
                return
            for name, (args, cwd) in {"send": (["send", "@bench-sink", "hello"], busiest_cwd),
                                      "inbox": (["inbox"], str(sink))}.items():
                self.out[name] = latency([self.run(args, axi_home, cwd=cwd)
                                          for _ in range(self.runs)])
        finally:  # the later rows and runs see the folder as it was
            if not had_pointers:
                shutil.rmtree(pointers, ignore_errors=True)

    def search(self, axi_home: Path) -> None:
        word = self.manifest["search"]["word"]
        runs = [
            self.run(["sessions", "search", word], axi_home) for _ in range(max(5, self.runs // 3))
        ]
        res = latency(runs)
        expected = [s["id"] for s in self.manifest["search"]["sessions"]]
        res["word"] = word
        res["expected_hits"] = len(expected)
        res["found_hits"] = sum(
            sid[:8] in runs[-1].stdout for sid in expected
        )  # ids may be shortened
        self.out["search"] = res

    def reindex(self, axi_home: Path, appends: int) -> None:
        target = next((f for f in self.manifest["largest"] if f["harness"] == "claude"), None)
        if target is None:
            return
        path = Path(target["path"])
        size0, stat0 = path.stat().st_size, path.stat()
        ctx = SimpleNamespace(pools=TextPools(7), templates=None)
        sid = path.stem
        runs: list[RunResult] = []
        seen = seen_after = 0
        try:
            # a live session: make it recently written and indexed before measuring appends
            now = int(time.time() * 1000)
            claude_gen.append_turns(ctx, path, 20_000, random.Random("prime"), now_ms=now)
            self.run(["sessions", "--all", "--limit", "1"], axi_home, sample=True)
            for i in range(appends):
                rng = random.Random(f"append/{i}")
                claude_gen.append_turns(ctx, path, 1_000_000, rng, now_ms=int(time.time() * 1000))
                r = self.run(["sessions", "--all", "--limit", "1"], axi_home, sample=True)
                runs.append(r)
                seen += sid[:8] in r.stdout
                seen_after += (
                    sid[:8] in self.run(["sessions", "--all", "--limit", "1"], axi_home).stdout
                )
        finally:
            os.truncate(path, size0)
            os.utime(path, ns=(stat0.st_atime_ns, stat0.st_mtime_ns))
            self.run(["sessions", "--all", "--limit", "1"], axi_home)  # resync after the truncate
        base = self.out.get("sessions_all_limit1", {}).get("p50_ms", 0.0)
        raw = ms(statistics.median(r.wall_exit_s for r in runs))
        self.out["reindex"] = {
            "file": str(path),
            "file_mb": round(size0 / 1e6, 1),
            "appended_mb": 1.0,
            "runs": appends,
            "raw_p50_ms": raw,
            "beyond_warm_ms": round(raw - base, 1),
            "warm_limit1_p50_ms": base,
            "tree_p50_ms": ms(statistics.median(r.wall_tree_s for r in runs)),
            "listed_first": seen,
            "listed_first_next_run": seen_after,
            "failures": sum(not r.ok for r in runs),
        }

    def floor(self) -> None:
        """The interpreter's own start-up (`python -c pass`), the floor the warm targets are
        ratios of."""
        runs = [measure([sys.executable, "-c", "pass"], self.env(self.state),
                        cwd=str(self.home), timeout=30) for _ in range(self.runs)]
        self.out["floor"] = latency(runs)

    def sqlite_floor(self, axi_home: Path) -> None:
        """What any process that answers from the index pays before axi's own work: the
        interpreter, SQLite's C core, opening the warm index and two small queries (the
        machine's count, the 8 newest sessions), one line printed."""
        probe = ("import _sqlite3, sys; c = _sqlite3.connect(sys.argv[1]); "
                 "n = c.execute('SELECT sum(n) FROM tallies').fetchone(); "
                 "rows = c.execute('SELECT * FROM sessions ORDER BY last DESC LIMIT 8')"
                 ".fetchall(); print(n, len(rows))")
        runs = [measure([sys.executable, "-c", probe, str(axi_home / "index.db")],
                        self.env(self.state), cwd=str(self.home), timeout=30)
                for _ in range(self.runs)]
        self.out["sqlite_floor"] = latency(runs)

    def hot(self, axi_home: Path, busiest_cwd: str, count: int) -> None:
        """The warm paths again with `count` transcripts written in the last day (a fleet, or
        a restored home folder): their cost must not grow with the hot set."""
        files = sorted(p for p in self.home.rglob("*.jsonl") if p.is_file())[:count]
        saved = {p: p.stat() for p in files}
        rng = random.Random("hot")
        now = time.time()
        try:
            for p in files:
                when = now - rng.uniform(600, 20 * 3600)
                os.utime(p, (when, when))
            self.run(["sessions", "--all"], axi_home, timeout=600)  # index the new mtimes
            for name, (args, cwd) in {"hot_dashboard": ([], busiest_cwd),
                                      "hot_sessions_all": (["sessions", "--all"], None),
                                      "hot_hook": (["hook", "session-start", "--host", "claude"],
                                                   busiest_cwd)}.items():
                self.out[name] = latency([self.run(args, axi_home, cwd=cwd)
                                          for _ in range(self.runs)])
                self.out[name]["hot_files"] = len(files)
        finally:
            for p, st in saved.items():
                os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
            self.run(["sessions", "--all"], axi_home, timeout=600)

    def version(self) -> None:
        try:
            proc = subprocess.run(
                [self.axi, "--version"],
                capture_output=True,
                text=True,
                timeout=30,
                env=self.env(self.state),
            )
            self.out["version"] = (proc.stdout or proc.stderr).strip()[:80]
        except OSError as exc:
            self.out["version"] = f"unavailable: {exc}"

    def all(self, total_bytes: int, appends: int) -> dict:
        self.version()
        busiest = next(iter(self.manifest["cwd_sessions"]))
        axi_home = self.cold(total_bytes)
        self.floor()
        self.sqlite_floor(axi_home)
        self.warm(axi_home, busiest)
        self.mail(axi_home, busiest)
        self.hot(axi_home, busiest, self.hot_files)
        self.search(axi_home)
        self.reindex(axi_home, appends)
        self.out["quiesce_s"] = wait_quiet(f"AXI_HOME={self.state}".encode())
        shutil.rmtree(self.state, ignore_errors=True)
        return self.out


MAKE_AGENTS = """
import sys
from axi.mailbox import identity, store
conn = store.connect()
for name, folder in (("bench-here", sys.argv[1]), ("bench-sink", sys.argv[2])):
    row, _ = identity.init(conn, name, folder, "")
    if row["state"] != "approved":
        identity.approve(conn, name, identity.confirm_code(row))
"""


def wait_quiet(marker: bytes, limit: float = 300.0) -> float:
    """Waits until no process has ``marker`` (e.g. our AXI_HOME) in its environment.

    Background work that axi detached (index sweeps) must not overlap the next measurement.
    """
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        busy = False
        for entry in os.scandir("/proc"):
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                try:
                    with open(f"/proc/{entry.name}/environ", "rb") as fh:
                        env = fh.read().split(b"\0")
                except OSError:
                    continue
                if any(item.startswith(marker) for item in env):
                    busy = True
                    break
        if not busy:
            break
        time.sleep(0.1)
    return round(time.perf_counter() - t0, 2)


# ------------------------------------------------------------------------------------ peers


def npm_install(packages: list[str]) -> str | None:
    if not shutil.which("npm"):
        return "npm not found"
    NPM_DIR.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [
            "npm",
            "install",
            "--prefix",
            str(NPM_DIR),
            "--no-audit",
            "--no-fund",
            "--include=optional",
            *packages,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return None if proc.returncode == 0 else proc.stderr.strip()[-400:]


def npm_arch() -> str:
    return {"x86_64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine(), platform.machine()
    )


def ensure_ccusage() -> tuple[str | None, str | None]:
    """The native ccusage binary (the npm `ccusage` entry point is a node launcher for it)."""
    native = (
        NPM_DIR / "node_modules" / "@ccusage" / f"ccusage-linux-{npm_arch()}" / "bin" / "ccusage"
    )
    if not native.exists():
        # the native binary is an optional dependency; name it explicitly so npm installs it
        err = npm_install(["ccusage", f"@ccusage/ccusage-linux-{npm_arch()}"])
        if err:
            return None, err
    if not native.exists():
        return None, "ccusage binary missing after install"
    # npm unpacks it without its execute bit when it is installed by name, not as a dependency
    native.chmod(native.stat().st_mode | 0o111)
    return str(native), None


def ensure_tokscale() -> tuple[str | None, str | None]:
    pkg = f"@tokscale/cli-linux-{npm_arch()}-gnu"
    binary = NPM_DIR / "node_modules" / pkg / "bin" / "tokscale"
    if not binary.exists():
        err = npm_install([pkg])
        if err:
            return None, err
    return (
        (str(binary), None) if binary.exists() else (None, "tokscale binary missing after install")
    )


def tool_version(binary: str) -> str:
    try:
        proc = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
        return proc.stdout.strip()[:60]
    except OSError:
        return "?"


def parse_json_tail(text: str) -> dict | None:
    start = text.find("{")
    end = text.rfind("}")
    try:
        return json.loads(text[start : end + 1]) if start >= 0 else None
    except ValueError:
        return None


def peer_runs(cmd: list[str], env: dict[str, str], runs: int, mb: float) -> dict:
    """Timed without the sampler and sampled for memory in separate runs, as axi's cold runs."""
    timed = [measure(cmd, env, timeout=1800, sample=False) for _ in range(runs)]
    results = [measure(cmd, env, timeout=1800) for _ in range(runs)]
    walls = [r.wall_tree_s for r in timed]
    out = {
        "cmd": " ".join(Path(cmd[0]).name if i == 0 else c for i, c in enumerate(cmd)),
        "runs": runs,
        "wall_s": round(statistics.median(walls), 3),
        "wall_min_s": round(min(walls), 3),
        "mb": round(mb, 1),
        "mb_s": round(mb / statistics.median(walls), 1),
        "peak_tree_rss_mb": round(max(r.peak_tree_rss_mb for r in results), 1),
        "max_proc_rss_mb": round(max(r.max_proc_rss_mb for r in results), 1),
        "failures": sum(not r.ok for r in timed + results),
    }
    if not results[0].ok:
        out["error"] = first_error(results[0])
    out["_stdout"] = results[-1].stdout
    return out


TOKEN_KEYS = ("input", "output", "cache_read", "cache_write")


def ccusage_totals(doc: dict | None) -> dict | None:
    if not doc or "totals" not in doc:
        return None
    t = doc["totals"]
    names = ("inputTokens", "outputTokens", "cacheReadTokens", "cacheCreationTokens")
    return {k: t.get(n) for k, n in zip(TOKEN_KEYS, names, strict=True)}


def tokscale_totals(doc: dict | None) -> dict | None:
    if not doc:
        return None
    names = ("totalInput", "totalOutput", "totalCacheRead", "totalCacheWrite")
    return {k: doc.get(n) for k, n in zip(TOKEN_KEYS, names, strict=True)}


def expected_tokens(manifest: dict, harness: str) -> dict | None:
    found = manifest.get("global_tokens", {}).get(harness)
    return {k: found[k] for k in TOKEN_KEYS} if found else None


def note_match(entry: dict, got: dict | None, want: dict | None) -> None:
    """Cross-check of a peer's token totals against the generator's truths."""
    entry["tokens_match_manifest"] = got == want
    if got != want:
        entry["tokens_got"] = got
        entry["tokens_expected"] = want


def run_ccusage(home: Path, manifest: dict, sizes: dict[str, int], runs: int) -> dict:
    binary, err = ensure_ccusage()
    if not binary:
        return {"skipped": err}
    env = clean_env(home, CLAUDE_CONFIG_DIR=str(home / ".claude"))
    out = {"version": tool_version(binary)}
    claude = peer_runs(
        [binary, "claude", "daily", "--json", "--offline"], env, runs, sizes["claude"] / 1e6
    )
    got = ccusage_totals(parse_json_tail(claude.pop("_stdout")))
    note_match(claude, got, expected_tokens(manifest, "claude"))
    out["claude_daily"] = claude
    every = peer_runs(
        [binary, "daily", "--json", "--offline"], env, runs, sum(sizes.values()) / 1e6
    )
    got = ccusage_totals(parse_json_tail(every.pop("_stdout")))
    note_match(every, got, expected_tokens(manifest, "all"))
    out["all_daily"] = every
    return out


def run_tokscale(home: Path, manifest: dict, sizes: dict[str, int], runs: int) -> dict:
    binary, err = ensure_tokscale()
    if not binary:
        return {"skipped": err}
    scratch = Path(tempfile.mkdtemp(prefix="axi-bench-tokscale-"))
    env = clean_env(scratch)  # its cache goes to the scratch HOME, the data comes from --home
    cmd = [binary, "models", "--json", "--no-spinner", "--home", str(home)]
    mb = sum(sizes.values()) / 1e6
    out = {"version": tool_version(binary)}
    first = peer_runs(cmd, env, 1, mb)
    got = tokscale_totals(parse_json_tail(first.pop("_stdout")))
    want = expected_tokens(manifest, "all")
    if want:  # tokscale reports Codex output without its reasoning tokens
        want["output"] -= manifest["global_tokens"].get("codex", {}).get("reasoning", 0)
    note_match(first, got, want)
    out["first_run"] = first
    cached = peer_runs(cmd, env, runs, mb)
    cached.pop("_stdout")
    out["cached"] = cached
    shutil.rmtree(scratch, ignore_errors=True)
    return out


# ------------------------------------------------------------------------------------ report


def ratios(result: dict) -> dict:
    """axi's cold index against `ccusage daily --offline` over every harness (`all_daily`),
    on the same bytes: the catalog ready (the command's exit) and the search text ready (the
    whole tree gone), as throughput ratios (> 1: axi is faster)."""
    axi = result.get("axi", {}).get("cold", {})
    cc = result.get("peers", {}).get("ccusage", {}).get("all_daily", {})
    if not axi.get("mb_s") or not cc.get("wall_s") or axi.get("failures"):
        return {}
    rss = cc["peak_tree_rss_mb"] / max(axi["peak_tree_rss_mb"], 0.1)
    return {
        "axi_catalog_vs_ccusage_all_mb_s": round(cc["wall_s"] / axi["catalog_ready_s"], 2),
        "axi_search_vs_ccusage_all_mb_s": round(cc["wall_s"] / axi["search_ready_s"], 2),
        "ccusage_all_vs_axi_peak_rss": round(rss, 2),
    }


def fmt_latency(d: dict | None) -> str:
    if not d:
        return "—"
    if d.get("failures") == d.get("runs"):
        return f"FAILED ({d.get('error', '')[:60]})"
    extra = f", {d['failures']} failed" if d.get("failures") else ""
    return f"p50 {d['p50_ms']} ms, p90 {d['p90_ms']} ms ({d['runs']} runs{extra})"


def cold_rows(cold: dict) -> list[tuple[str, str, str]]:
    status = f"FAILED ({cold.get('error', '')[:60]}) " if cold.get("failures") else ""
    speed = (f"{status}{cold['mb_s']} MB/s ({cold['transcript_mb']} MB, catalog ready in "
             f"{cold['catalog_ready_s']} s; search complete at {cold.get('search_ready_s')} s, "
             f"{cold.get('search_ready_x')}× that; "
             f"{cold.get('search_ready_while_sampled_s')} s with the memory sampler running)")
    rss = (
        f"tree {cold['peak_tree_rss_mb']} MB, largest process {cold['max_proc_rss_mb']} MB, "
        f"{cold['procs']} process(es)"
    )
    return [
        ("cold index (`sessions --all --limit 1`)", speed, f"≥ {TARGETS['cold_mb_s']} MB/s"),
        ("cold index peak RSS", rss, f"≤ {TARGETS['cold_rss_mb']} MB"),
    ]


def warm_rows(axi: dict) -> list[tuple[str, str, str]]:
    if "dashboard" not in axi:
        return []
    return [
        (
            "warm `axi` (dashboard)",
            fmt_latency(axi["dashboard"]) + _ratio(axi["dashboard"], axi.get("floor")),
            f"p50 ≤ {TARGETS['dashboard_p50_ms']} ms",
        ),
        *[(what, fmt_latency(axi[key]) + _ratio(axi[key], axi.get("floor")), "")
          for key, what in (
              ("dashboard_made", "warm `axi`, made anew (no saved answer to replay)"),
              ("hook_new_session", "warm session-start hook, a new session's payload each run"))
          if key in axi],
        (
            "warm `sessions --all`",
            fmt_latency(axi["sessions_all"]) + _ratio(axi["sessions_all"], axi.get("floor")),
            f"p50 ≤ {TARGETS['list_p50_ms']} ms",
        ),
        ("warm `sessions --all --limit 1`, made anew", fmt_latency(axi["sessions_all_limit1"]),
         ""),
        ("`python -c pass` (the floor)", fmt_latency(axi.get("floor")), ""),
        *[("the floor + SQLite: open the warm index, 2 small queries (no axi code)",
           fmt_latency(axi[key]) + _ratio(axi[key], axi.get("floor")), "")
          for key in ("sqlite_floor",) if "p50_ms" in axi.get(key, {})],
        *[(f"{what}, {axi[key].get('hot_files')} files written in the last day",
           fmt_latency(axi[key]) + _ratio(axi[key], axi.get("floor")), target)
          for key, what, target in (
              ("hot_dashboard", "warm `axi`", "≤ 1.6× the floor"),
              ("hot_hook", "warm session-start hook", "≤ 1.6× the floor"),
              ("hot_sessions_all", "warm `sessions --all`", "≤ 2× the floor"))
          if key in axi],
        (
            "warm session-start hook (`axi hook session-start --host claude`)",
            fmt_latency(axi.get("hook")) + _ratio(axi.get("hook", {}), axi.get("floor"))
            + f"; dashboard {axi['dashboard'].get('chars')} chars, "
            f"hook context {axi.get('hook', {}).get('chars')} chars",
            "p50 ≤ 100 ms, ≤ 1,500 chars",
        ),
        *[(f"warm `axi {key}`", fmt_latency(axi[key]) + _ratio(axi[key], axi.get("floor")),
           "≤ 2× the floor") for key in ("send", "inbox") if "p50_ms" in axi.get(key, {})],
    ]


def _ratio(case: dict, floor: dict | None) -> str:
    if not floor or not floor.get("p50_ms"):
        return ""
    return f" = {case['p50_ms'] / floor['p50_ms']:.2f}× the floor"


def reindex_rows(r: dict | None) -> list[tuple[str, str, str]]:
    if not r:
        return []
    measured = (
        f"{r['raw_p50_ms']} ms raw, {r['beyond_warm_ms']} ms beyond warm, tree "
        f"{r['tree_p50_ms']} ms (listed first {r['listed_first']}/{r['runs']}, "
        f"next run {r['listed_first_next_run']}/{r['runs']})"
    )
    return [
        (
            f"re-index after +1 MB to a {r['file_mb']} MB transcript",
            measured,
            f"≤ {TARGETS['reindex_beyond_ms']} ms beyond warm",
        )
    ]


def search_rows(s: dict | None) -> list[tuple[str, str, str]]:
    if not s:
        return []
    return [
        (
            f"`sessions search {s['word']}`",
            f"{fmt_latency(s)}; found {s['found_hits']}/{s['expected_hits']}",
            "",
        )
    ]


def peer_rows(peers: dict) -> list[tuple[str, str, str]]:
    rows = []
    for name, data in peers.items():
        if "skipped" in data:
            rows.append((name, f"skipped: {str(data['skipped'])[:80]}", ""))
            continue
        for case, d in data.items():
            if not (isinstance(d, dict) and "wall_s" in d):
                continue
            check = ""
            if "tokens_match_manifest" in d:
                check = ", tokens match" if d["tokens_match_manifest"] else ", TOKENS DIFFER"
            args = d["cmd"].split(" ", 1)[1]
            measured = (
                f"{d['wall_s']} s, {d['mb_s']} MB/s over {d['mb']} MB, peak RSS tree "
                f"{d['peak_tree_rss_mb']} MB{check}"
            )
            rows.append((f"{name} {data.get('version', '')} `{args}` ({case})", measured, ""))
    return rows


def markdown(result: dict) -> str:
    axi = result.get("axi", {})
    rows = [("what", "measured", "target")]
    if "error" in axi:
        rows.append(("axi", axi["error"], ""))
    if "cold" in axi:
        rows += cold_rows(axi["cold"])
    rows += warm_rows(axi) + reindex_rows(axi.get("reindex")) + search_rows(axi.get("search"))
    rows += peer_rows(result.get("peers", {}))
    rows += [(name, f"{value}×", "") for name, value in result.get("ratios", {}).items()]
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines.insert(1, "|---|---|---|")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ main


def resolve_axi(arg: str | None) -> str | None:
    if arg:
        return arg if Path(arg).exists() or shutil.which(arg) else None
    return shutil.which("axi") or next(
        (str(p) for p in [HERE.parent / ".venv" / "bin" / "axi"] if p.exists()), None
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--corpus", default=str(CACHE / "corpus"), help="corpus HOME (generated if missing)"
    )
    ap.add_argument("--runs", type=int, default=30, help="runs per warm latency measurement")
    ap.add_argument(
        "--cold-runs", type=int, default=3, help="cold index runs (fresh AXI_HOME each)"
    )
    ap.add_argument(
        "--appends", type=int, default=5, help="1 MB appends for the re-index measurement"
    )
    ap.add_argument("--peer-runs", type=int, default=3)
    ap.add_argument("--skip-peers", action="store_true")
    ap.add_argument("--skip-axi", action="store_true")
    ap.add_argument(
        "--axi", default=None, help="axi executable (default: axi on PATH, else .venv/bin/axi)"
    )
    ap.add_argument("--out", default=str(RESULTS), help="where to write the JSON results")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    home = Path(args.corpus).expanduser().resolve()
    manifest = load_corpus(home)
    sizes = store_bytes(home)
    result: dict = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": host_info(),
        "corpus": {
            "home": str(home),
            "sessions": manifest["generator"]["sessions"],
            "mb": round(sum(sizes.values()) / 1e6, 1),
            "mb_per_harness": {h: round(b / 1e6, 1) for h, b in sizes.items()},
        },
    }
    result["corpus"]["project_dirs"] = make_project_dirs(manifest)
    result["corpus"]["page_cache_warm_s"] = round(warm_page_cache(home), 2)
    if not args.skip_axi:
        axi = resolve_axi(args.axi)
        if axi:
            result["axi"] = AxiBench(axi, home, manifest, args.runs, args.cold_runs).all(
                sum(sizes.values()), args.appends
            )
        else:
            result["axi"] = {"error": f"axi executable not found ({args.axi or 'axi on PATH'})"}
    if not args.skip_peers:
        result["peers"] = {
            "ccusage": run_ccusage(home, manifest, sizes, args.peer_runs),
            "tokscale": run_tokscale(home, manifest, sizes, args.peer_runs),
        }
    result["ratios"] = ratios(result)
    print(markdown(result))
    line = json.dumps(result, separators=(",", ":"))
    print(line)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    return 0


def host_info() -> dict:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "kernel": platform.release(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


if __name__ == "__main__":
    sys.exit(main())
