#!/usr/bin/env python3
"""Generate a deterministic, realistic corpus of coding-agent sessions laid out as a HOME dir.

    python bench/gen_corpus.py                      # 10,000 sessions, ~1.5 GB
    python bench/gen_corpus.py --small              # 200 sessions, ~20 MB
    python bench/gen_corpus.py --sessions 2000 --size-gb 0.3 --out /tmp/c --seed 7

Layout under --out (used as HOME by bench/run.py):
    .claude/projects/<mangled cwd>/<uuid>.jsonl  (+ <uuid>/subagents/agent-*.jsonl)
    .codex/sessions/YYYY/MM/DD/rollout-<ts>-<uuidv7>.jsonl
    .local/share/opencode/opencode.db
    .pi/agent/sessions/--<cwd>--/<ts>_<uuidv7>.jsonl
    manifest.json    summary + expected truths for a sample of sessions
    truth.jsonl      expected truths for every session

Line shapes come from the real files in shared/corpus (see corpusgen/templates.py).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpusgen import claude, codex, opencode, pi, text  # noqa: E402
from corpusgen.common import DAY_MS, parse_iso, session_rng  # noqa: E402
from corpusgen.templates import DEFAULT_CORPUS, Templates  # noqa: E402

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "axi-bench"
SHARES = {"claude": 0.45, "codex": 0.25, "pi": 0.15, "opencode": 0.15}
MIN_BYTES = {"claude": 14_000, "codex": 48_000, "pi": 3_000, "opencode": 9_000}
# (harness, share of the total size) of the designated giant transcripts
GIANTS = (
    ("claude", 100 / 1500),
    ("claude", 60 / 1500),
    ("codex", 55 / 1500),
    ("claude", 50 / 1500),
)
SEARCH_WORD = "quokka"
STORES = (".claude", ".codex", ".pi", ".local/share/opencode", ".config/opencode", ".claude.json")


@dataclass
class Ctx:
    home: Path
    seed: int
    anchor_ms: int
    templates: Templates
    pools: text.TextPools


CTX: Ctx | None = None  # set in the parent before the fork-based pool starts


# ------------------------------------------------------------------------------------ planning


def make_projects(rng: random.Random, work_root: str, n: int) -> list[dict]:
    groups = ("acme", "oss", "sandbox", "clients/northwind", "clients/initech", "infra", "research")
    seps = ("-", "-", "-", "_", ".")
    projects, seen = [], set()
    while len(projects) < n:
        name = rng.choice(text.WORDS) + rng.choice(seps) + rng.choice(text.WORDS)
        root = f"{work_root}/{rng.choice(groups)}/{name}"
        if root in seen:
            continue
        seen.add(root)
        is_git = rng.random() < 0.7
        cwds = [root]
        if rng.random() < 0.25:
            cwds += [
                f"{root}/{sub}"
                for sub in rng.sample(
                    ("packages/api", "packages/web", "services/worker", "tools", "docs"),
                    rng.randint(1, 2),
                )
            ]
        projects.append(
            {
                "root": root,
                "cwds": cwds,
                "lang": rng.choice(text.LANGS),
                "git_sha": f"{rng.getrandbits(160):040x}" if is_git else None,
                "branch": rng.choice(
                    ("main", "main", "feature/parser-tests", "fix/flaky-ci", "dev")
                )
                if is_git
                else None,
                "weight": 1.0 / (len(projects) + 1) ** 0.9,
            }
        )
    return projects


def harness_counts(n: int) -> dict[str, int]:
    counts = {h: round(n * s) for h, s in SHARES.items()}
    counts["opencode"] = n - sum(v for h, v in counts.items() if h != "opencode")
    return counts


def solve_scale(weights: list[tuple[str, float]], budget: float) -> float:
    """Scale s with sum(max(min_h, w*s)) == budget (bisection; sizes have per-harness floors)."""
    lo, hi = 0.0, budget / max(1e-9, min(w for _, w in weights))
    for _ in range(60):
        mid = (lo + hi) / 2
        total = sum(max(MIN_BYTES[h], w * mid) for h, w in weights)
        lo, hi = (mid, hi) if total < budget else (lo, mid)
    return lo


def tail_weight(rng: random.Random) -> float:
    """Log-normal body plus a rare heavy tail (long-running sessions of several MB)."""
    weight = rng.lognormvariate(0, 1.1)
    return weight * rng.uniform(10, 80) if rng.random() < 0.005 else weight


def plan_sizes(rng: random.Random, counts: dict[str, int], budget: float) -> dict[str, list[int]]:
    sizes: dict[str, list[int | None]] = {h: [None] * c for h, c in counts.items()}
    giant_bytes = 0
    for harness, share in GIANTS:
        free = [i for i, v in enumerate(sizes[harness]) if v is None]
        if free:
            sizes[harness][rng.choice(free)] = int(budget * share)
            giant_bytes += int(budget * share)
    weights = [(h, tail_weight(rng)) for h in counts for v in sizes[h] if v is None]
    scale = solve_scale(weights, (budget - giant_bytes) * 0.88) if weights else 0
    cap = max(budget * 0.015, 200_000)
    it = iter(weights)
    for harness in counts:
        for i, v in enumerate(sizes[harness]):
            if v is None:
                _h, w = next(it)
                sizes[harness][i] = int(min(cap, max(MIN_BYTES[harness], w * scale)))
    return sizes  # type: ignore[return-value]


def start_time(rng: random.Random, anchor_ms: int, duration_ms: int) -> int:
    span = 60 * DAY_MS - duration_ms
    while True:
        back = duration_ms + rng.random() ** 0.8 * max(span, DAY_MS)
        ms = int(anchor_ms - back)
        t = time.gmtime(ms / 1000)
        busy = (0.35 if t.tm_wday >= 5 else 1.0) * (1.0 if 7 <= t.tm_hour <= 20 else 0.25)
        if rng.random() < busy:
            return ms


def base_spec(
    rng: random.Random, harness: str, index: int, target: int, anchor_ms: int, cwd_pick
) -> dict:
    proj, cwd = cwd_pick()
    verbosity = int(min(6_000, max(300, target / 250)) * rng.lognormvariate(0, 0.35))
    calls = target / (verbosity * 3.6 + 2500)
    duration = int(min(calls * 100_000, 20 * DAY_MS))
    return {
        "harness": harness,
        "index": index,
        "target": target,
        "cwd": cwd,
        "lang": proj["lang"],
        "branch": proj["branch"],
        "git_sha": proj["git_sha"],
        "worktree": proj["root"] if proj["git_sha"] else "/",
        "project_id": proj["git_sha"] or "global",
        "verbosity": verbosity,
        "start_ms": start_time(rng, anchor_ms, duration),
        "limit_ms": anchor_ms - 60_000,
        "duration_ms": duration,
    }


def decorate(rng: random.Random, spec: dict) -> None:
    """Per-harness models and the traps listed in shared/corpus/README.md."""
    h = spec["harness"]
    if h == "claude":
        spec["model"] = rng.choices(claude.MODELS, (0.6, 0.35, 0.05))[0]
        spec["subagent"] = rng.random() < 0.04
        if rng.random() < 0.05:
            spec["model_switch"] = True
            spec["switch_to"] = rng.choice([m for m in claude.MODELS if m != spec["model"]])
    elif h == "codex":
        spec["model"] = rng.choices(codex.MODELS, (0.55, 0.25, 0.15, 0.05))[0]
        if rng.random() < 0.08:
            spec["model_switch"] = True
            spec["switch_to"] = rng.choice([m for m in codex.MODELS if m != spec["model"]])
    elif h == "pi":
        spec["provider"] = rng.randrange(len(pi.PROVIDERS))
        spec["thinking"] = rng.random() < 0.3
        roll = rng.random()
        if roll < 0.15:
            spec["switch"] = "silent" if roll < 0.10 else "model_change"
            spec["switch_to"] = rng.choice(
                [i for i in range(len(pi.PROVIDERS)) if i != spec["provider"]]
            )
        roll = rng.random()
        if roll < 0.12:
            spec["named"] = "renamed" if roll < 0.04 else "named"
    else:
        spec["model"] = rng.choices(range(len(opencode.MODELS)), (0.45, 0.3, 0.15, 0.1))[0]
        spec["quoted"] = rng.random() < 0.25
        roll = rng.random()
        spec["title_mode"] = (
            "placeholder"
            if roll < 0.02
            else ("quoted" if spec["quoted"] and roll < 0.35 else "generated")
        )


def add_forks(rng: random.Random, specs: list[dict], anchor_ms: int) -> None:
    """~1% of Claude sessions become --fork-session copies of a small earlier session."""
    small = [s for s in specs if s["target"] < 300_000 and not s.get("subagent")]
    n = len(specs) // 100 if len(small) > 10 else 0
    n = max(n, 1) if len(small) > 10 else 0
    rng.shuffle(small)
    for parent, fork in zip(small[:n], small[n : 2 * n], strict=True):
        parent["fork_parent"] = True
        fork["fork_of"] = dict(parent)
        fork.update(
            cwd=parent["cwd"],
            lang=parent["lang"],
            branch=parent["branch"],
            target=parent["target"] + fork["target"] // 2,
            start_ms=min(
                anchor_ms - 3_600_000, parent["start_ms"] + rng.randint(1, 72) * 3_600_000
            ),
        )
        fork.pop("model_switch", None)


def add_search_word(
    rng: random.Random, specs_by: dict[str, list[dict]], pools: text.TextPools
) -> None:
    picks = (("claude", 2), ("codex", 2), ("pi", 1), ("opencode", 1))
    for harness, k in picks:
        pool = [
            s
            for s in specs_by[harness]
            if s["target"] < 2_000_000 and not s.get("fork_of") and not s.get("fork_parent")
        ]
        for spec in rng.sample(pool, min(k, len(pool))):
            base = text.first_prompt(rng, spec["lang"], pools).split("\n", 1)[0]
            spec["first_prompt"] = f"{base} (the {SEARCH_WORD} fixture is involved)"


def plan(args, ctx: Ctx) -> tuple[dict[str, list[dict]], list[dict]]:
    rng = random.Random(f"plan/{args.seed}")
    counts = harness_counts(args.sessions)
    n_projects = max(6, min(300, args.sessions // 30))
    projects = make_projects(rng, args.work_root.rstrip("/"), n_projects)
    all_cwds = [(p, c) for p in projects for c in p["cwds"]]
    cwd_weights = [p["weight"] / len(p["cwds"]) for p, _ in all_cwds]

    def cwd_pick():
        return rng.choices(all_cwds, cwd_weights)[0]

    sizes = plan_sizes(rng, counts, args.size_gb * 1e9)
    specs_by: dict[str, list[dict]] = {}
    for harness, targets in sizes.items():
        specs_by[harness] = []
        for index, target in enumerate(targets):
            spec = base_spec(rng, harness, index, target, ctx.anchor_ms, cwd_pick)
            decorate(rng, spec)
            specs_by[harness].append(spec)
    live = max(specs_by["claude"], key=lambda s: s["target"])  # the giant is a live session
    live["start_ms"] = ctx.anchor_ms - int(live["duration_ms"] * 0.75)
    add_forks(rng, specs_by["claude"], ctx.anchor_ms)
    add_search_word(rng, specs_by, ctx.pools)
    return specs_by, projects


# ------------------------------------------------------------------------------------ running


def run_job(job: tuple[str, list[dict], list[dict]]) -> list[dict]:
    harness, specs, projects = job
    assert CTX is not None
    if harness == "opencode":
        truths = opencode.write_db(CTX, specs, projects)
    else:
        writer = {
            "claude": claude.write_session,
            "codex": codex.write_session,
            "pi": pi.write_session,
        }
        truths = [
            writer[harness](CTX, spec, session_rng(CTX.seed, harness, spec["index"]))
            | {"index": spec["index"]}
            for spec in specs
        ]
    by_index = {spec["index"]: spec for spec in specs}
    for truth in truths:
        if SEARCH_WORD in (by_index[truth["index"]].get("first_prompt") or ""):
            truth["search_word"] = True
    return truths


def make_jobs(specs_by: dict[str, list[dict]], projects: list[dict]) -> list[tuple]:
    jobs: list[tuple[int, tuple]] = []
    oc = specs_by.get("opencode", [])
    if oc:
        jobs.append((sum(s["target"] for s in oc) * 2, ("opencode", oc, projects)))
    for harness in ("claude", "codex", "pi"):
        batch: list[dict] = []
        for spec in sorted(specs_by[harness], key=lambda s: -s["target"]):
            batch.append(spec)
            if sum(s["target"] for s in batch) > 8_000_000 or len(batch) >= 40:
                jobs.append((sum(s["target"] for s in batch), (harness, batch, [])))
                batch = []
        if batch:
            jobs.append((sum(s["target"] for s in batch), (harness, batch, [])))
    return [job for _w, job in sorted(jobs, key=lambda j: -j[0])]


def prepare_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not (out / "manifest.json").exists():
        raise SystemExit(f"{out} is not empty and holds no manifest.json; refusing to write there")
    out.mkdir(parents=True, exist_ok=True)
    for name in STORES + ("manifest.json", "truth.jsonl"):
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def write_configs(ctx: Ctx) -> None:
    home = ctx.home
    (home / ".claude.json").write_text(ctx.templates.claude_json)
    (home / ".codex").mkdir(exist_ok=True)
    (home / ".codex" / "config.toml").write_text(
        'model = "gpt-5-codex"\napproval_policy = "on-request"\n'
    )
    cfg = home / ".config" / "opencode"
    cfg.mkdir(parents=True, exist_ok=True)
    (cfg / "opencode.json").write_text(
        '{"$schema": "https://opencode.ai/config.json", "autoupdate": false}\n'
    )


def generate(args) -> dict:
    global CTX
    t0 = time.perf_counter()
    out = Path(args.out).expanduser().resolve()
    prepare_out(out)
    anchor = parse_iso(args.anchor) if args.anchor else int(time.time() // 3600 * 3600 * 1000)
    CTX = Ctx(out, args.seed, anchor, Templates(Path(args.templates)), text.TextPools(args.seed))
    specs_by, projects = plan(args, CTX)
    jobs = make_jobs(specs_by, projects)
    truths: list[dict] = []
    with mp.get_context("fork").Pool(args.workers) as pool:
        for result in pool.imap_unordered(run_job, jobs):
            truths.extend(result)
    write_configs(CTX)
    elapsed = time.perf_counter() - t0
    return build_manifest(args, out, anchor, projects, truths, elapsed)


# ------------------------------------------------------------------------------------ manifest


def store_files(home: Path) -> list[tuple[str, Path, int]]:
    """(harness, path, bytes) for every transcript file the harness stores hold."""
    found = []
    roots = (
        ("claude", home / ".claude" / "projects", "*.jsonl"),
        ("codex", home / ".codex" / "sessions", "*.jsonl"),
        ("pi", home / ".pi" / "agent" / "sessions", "*.jsonl"),
        ("opencode", home / ".local" / "share" / "opencode", "opencode.db*"),
    )
    for harness, root, pattern in roots:
        if root.exists():
            for path in root.rglob(pattern):
                if path.is_file():
                    found.append((harness, path, path.stat().st_size))
    return found


def claude_global_tokens(truths: list[dict]) -> dict[str, int]:
    """Claude tokens deduplicated across files (forks' copies once, sub-agents included)."""
    total = dict.fromkeys(("input", "output", "cache_read", "cache_write"), 0)
    for t in truths:
        if t["harness"] != "claude":
            continue
        tokens = t.get("tokens_unique") or t["tokens"]
        parts = [tokens] + [s["tokens"] for s in t.get("subagents", [])]
        for part in parts:
            for k in total:
                total[k] += part[k]
    total["total"] = sum(total.values())
    return total


def global_tokens(truths: list[dict]) -> dict[str, dict[str, int]]:
    """Per-harness token sums (Claude deduplicated across files) to cross-check other tools."""
    keys = ("input", "output", "cache_read", "cache_write", "reasoning")
    out = {"claude": {k: v for k, v in claude_global_tokens(truths).items() if k in keys}}
    out["claude"]["reasoning"] = 0
    for t in truths:
        if t["harness"] != "claude":
            acc = out.setdefault(t["harness"], dict.fromkeys(keys, 0))
            for k in keys:
                acc[k] += t["tokens"][k]
    out["all"] = {k: sum(h[k] for h in list(out.values())) for k in keys}
    return out


SAMPLE_KEYS = (
    "fork_of",
    "subagents",
    "model_switch",
    "provider_switch",
    "name",
    "quoted_prompt",
    "placeholder_title",
    "search_word",
)


def pick_sample(
    rng: random.Random, truths: list[dict], k: int = 150, per_trap: int = 20
) -> list[dict]:
    """Up to ``per_trap`` sessions showing each trap, the 5 biggest, and ``k`` random others."""
    chosen: dict[int, dict] = {}
    for key in SAMPLE_KEYS:
        for t in [t for t in truths if t.get(key)][:per_trap]:
            chosen[id(t)] = t
    for t in sorted(truths, key=lambda t: -t["bytes"])[:5]:
        chosen[id(t)] = t
    rest = [t for t in truths if id(t) not in chosen]
    for t in rng.sample(rest, min(k, len(rest))):
        chosen[id(t)] = t
    return sorted(chosen.values(), key=lambda t: (t["harness"], t["started_ms"]))


def build_manifest(
    args, out: Path, anchor: int, projects: list[dict], truths: list[dict], elapsed: float
) -> dict:
    files = store_files(out)
    by_harness: dict[str, dict] = {}
    for harness, _path, size in files:
        entry = by_harness.setdefault(harness, {"files": 0, "bytes": 0})
        entry["files"] += 1
        entry["bytes"] += size
    for t in truths:
        by_harness.setdefault(t["harness"], {"files": 0, "bytes": 0})
        by_harness[t["harness"]]["sessions"] = by_harness[t["harness"]].get("sessions", 0) + 1
    cwd_counts: dict[str, int] = {}
    for t in truths:
        cwd_counts[t["cwd"]] = cwd_counts.get(t["cwd"], 0) + 1
    largest = sorted(files, key=lambda f: -f[2])[:10]
    manifest = {
        "generator": {
            "seed": args.seed,
            "sessions": args.sessions,
            "size_gb": args.size_gb,
            "anchor": anchor,
            "work_root": args.work_root,
            "seconds": round(elapsed, 1),
            "workers": args.workers,
        },
        "home": str(out),
        "total_bytes": sum(f[2] for f in files),
        "total_files": len(files),
        "harnesses": by_harness,
        "largest": [{"harness": h, "path": str(p), "bytes": s} for h, p, s in largest],
        "work_root": args.work_root,
        "projects": sorted({c for p in projects for c in p["cwds"]}),
        "cwd_sessions": dict(sorted(cwd_counts.items(), key=lambda kv: -kv[1])),
        "search": {
            "word": SEARCH_WORD,
            "sessions": [
                {"harness": t["harness"], "id": t["id"]} for t in truths if t.get("search_word")
            ],
        },
        "traps": trap_ids(truths),
        "claude_global_tokens": claude_global_tokens(truths),
        "global_tokens": global_tokens(truths),
        "truth_fields": "see bench/README.md",
        "truth_sample": pick_sample(random.Random(args.seed), truths),
    }
    with open(out / "manifest.json", "w") as fh:
        json.dump(manifest, fh, indent=1, ensure_ascii=False)
    with open(out / "truth.jsonl", "w") as fh:
        for t in sorted(truths, key=lambda t: (t["harness"], t["started_ms"])):
            fh.write(json.dumps(t, ensure_ascii=False) + "\n")
    return manifest


def trap_ids(truths: list[dict]) -> dict[str, list[str]]:
    keys = {
        "claude_forks": "fork_of",
        "claude_with_subagents": "subagents",
        "model_switch": "model_switch",
        "pi_provider_switch": "provider_switch",
        "pi_named": "name",
        "opencode_quoted": "quoted_prompt",
        "opencode_placeholder_title": "placeholder_title",
    }
    return {name: [t["id"] for t in truths if t.get(key)] for name, key in keys.items()}


def print_summary(manifest: dict) -> None:
    err = sys.stderr
    gen = manifest["generator"]
    print(f"corpus: {manifest['home']}  ({gen['seconds']} s, {gen['workers']} workers)", file=err)
    print(f"{'harness':<10}{'sessions':>10}{'files':>8}{'MB':>10}", file=err)
    for harness, e in manifest["harnesses"].items():
        print(
            f"{harness:<10}{e.get('sessions', 0):>10}{e['files']:>8}{e['bytes'] / 1e6:>10.1f}",
            file=err,
        )
    print(
        f"{'total':<10}{sum(e.get('sessions', 0) for e in manifest['harnesses'].values()):>10}"
        f"{manifest['total_files']:>8}{manifest['total_bytes'] / 1e6:>10.1f}",
        file=err,
    )
    print("largest files:", file=err)
    for f in manifest["largest"][:6]:
        print(f"  {f['bytes'] / 1e6:8.1f} MB  {f['path']}", file=err)
    traps = {k: len(v) for k, v in manifest["traps"].items()}
    print(f"traps: {traps}", file=err)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sessions", type=int, default=None, help="number of sessions (default 10000)")
    ap.add_argument(
        "--size-gb", type=float, default=None, help="approximate total size (default 1.5)"
    )
    ap.add_argument("--out", default=None, help=f"HOME dir to write (default {CACHE}/corpus)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--small", action="store_true", help="preset: 200 sessions, ~20 MB, out .../corpus-small"
    )
    ap.add_argument(
        "--work-root", default="/tmp/axi-bench-work", help="parent of the project dirs (cwds)"
    )
    ap.add_argument(
        "--anchor", default=None, help="ISO time the corpus ends at (default: now, to the hour)"
    )
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument(
        "--templates", default=str(DEFAULT_CORPUS), help="shared/corpus dir with the real files"
    )
    args = ap.parse_args(argv)
    if args.small:
        args.sessions = args.sessions or 200
        args.size_gb = args.size_gb or 0.02
        args.out = args.out or str(CACHE / "corpus-small")
    args.sessions = args.sessions or 10_000
    args.size_gb = args.size_gb or 1.5
    args.out = args.out or str(CACHE / "corpus")
    if args.sessions < 20:
        raise SystemExit("--sessions must be at least 20")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    manifest = generate(args)
    print_summary(manifest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
