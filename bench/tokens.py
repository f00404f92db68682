"""Tokens an agent pays for axi's answers: TOON against compact JSON of the same rows.

    python bench/tokens.py [--corpus DIR] [--json]

For each command it runs the real `axi` on a generated corpus (HOME=corpus, a fresh AXI_HOME,
the project folders made as `run.py` makes them) and counts o200k tokens with bpe-openai:

- `toon`: what the command prints;
- `json_same`: the same rows as compact JSON (the TOON decoded, every column stated once in
  `same` put back into each row and every folder given in full), which is what an agent would
  read if axi spoke JSON with the same facts;
- `json_exact`: what `--format json` prints (exact values for programs: raw numbers beside the
  short forms, absolute folders), for reference.

`saved` is 1 - toon / json_same; the target is at least 35 % for `axi sessions --all`. The
dashboard (bare `axi`) must also stay within 1,500 characters.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT = Path.home() / ".cache" / "axi-bench" / "corpus-small"
COMMANDS = [
    ["sessions", "--all"],
    ["sessions", "--all", "--limit", "100"],
    ["sessions", "--all", "--fields", "model,ctx,tokens,cost,branch"],
    ["sessions", "search", "quokka"],
    ["usage", "--by", "model"],
    [],
]
DASHBOARD_LIMIT = 1500


def run_axi(args: list[str], home: Path, state: Path, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AXI_")}
    env.update(HOME=str(home), AXI_HOME=str(state), PWD=str(cwd))
    done = subprocess.run([sys.executable, "-m", "axi", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise SystemExit(f"axi {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return done.stdout


def expand(data: object) -> object:
    """The rows as they are without TOON's compaction: `same` back in every row, `under`
    joined to every folder."""
    if not isinstance(data, dict):
        return data
    same, under = data.get("same") or {}, data.get("under")
    out = {}
    for key, value in data.items():
        if key in ("same", "under"):
            continue
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            value = [_expand_row(row, same, under) for row in value]
        out[key] = value
    return out


def _expand_row(row: dict, same: dict, under: str | None) -> dict:
    row = {**row, **same}
    if under and isinstance(row.get("dir"), str):
        row["dir"] = under if row["dir"] == "." else f"{under}/{row['dir']}"
    return row


def measure(home: Path, cwd: Path) -> list[dict]:
    import toon_format
    from bpe_openai import get_encoding

    enc = get_encoding("o200k_base")
    count = lambda text: len(enc.encode(text))  # noqa: E731
    results = []
    with tempfile.TemporaryDirectory() as state:
        run_axi(["sessions", "--all", "--limit", "1"], home, Path(state), cwd)  # index first
        for args in COMMANDS:
            toon_text = run_axi(args, home, Path(state), cwd)
            exact = run_axi([*args, "--format", "json"], home, Path(state), cwd)
            same = json.dumps(expand(toon_format.decode(toon_text)), ensure_ascii=False,
                              separators=(",", ":"))
            row = {"command": " ".join(["axi", *args]), "toon": count(toon_text),
                   "json_same": count(same), "json_exact": count(exact.strip()),
                   "chars": len(toon_text)}
            row["saved"] = round(1 - row["toon"] / row["json_same"], 3)
            results.append(row)
    return results


def busiest_folder(home: Path) -> Path:
    """The project folder with the most sessions (every project folder is made, as `run.py`
    does, so the catalog's folders exist)."""
    manifest = json.loads((home / "manifest.json").read_text())
    for folder in manifest["projects"]:
        Path(folder).mkdir(parents=True, exist_ok=True)
    busiest = max(manifest["cwd_sessions"].items(), key=lambda kv: kv[1])[0]
    return Path(busiest)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    if not (args.corpus / "manifest.json").exists():
        raise SystemExit(f"no corpus at {args.corpus}: run `python bench/gen_corpus.py --small`")
    results = measure(args.corpus, busiest_folder(args.corpus))
    if args.json:
        print(json.dumps(results))
        return 0
    print("| command | TOON | JSON, same rows | saved | `--format json` | chars |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(f"| `{r['command']}` | {r['toon']} | {r['json_same']} | {r['saved']:.0%} | "
              f"{r['json_exact']} | {r['chars']} |")
    board = next(r for r in results if r["command"] == "axi")
    ok = board["chars"] <= DASHBOARD_LIMIT
    print(f"\ndashboard: {board['chars']} chars (limit {DASHBOARD_LIMIT}): "
          f"{'ok' if ok else 'OVER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
