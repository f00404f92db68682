"""Time the session-start and state hooks and measure the dashboard, on the small real corpus.

    python bench/hook_timing.py [--runs 30] [--corpus tests/corpus]

Copies the corpus stores into a temporary HOME, runs `axi hook session-start --host claude`
as Claude Code would (JSON on stdin, cwd /home/dev/work/projB), first on a cold index, then
warm, and prints the cold time, warm p50/p90, and the dashboard's size in characters and
o200k tokens (when `bpe-openai` is installed). Then it times `axi hook state --host claude`
with Claude's Stop payload (what runs at every prompt and turn end): `state_p50_ms`,
`state_p90_ms`. Times are whole processes (perf_counter).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = {"session_id": "00000000-hook-timing", "cwd": "/home/dev/work/projB",
           "hook_event_name": "SessionStart", "source": "startup"}
STOP = {"session_id": "00000000-hook-timing", "cwd": "/home/dev/work/projB",
        "transcript_path": "/dev/null", "hook_event_name": "Stop", "permission_mode": "default",
        "stop_hook_active": False, "last_assistant_message": "done"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--corpus", default=str(ROOT / "tests" / "corpus"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        for harness in ("claude", "codex", "opencode", "pi"):
            shutil.copytree(Path(args.corpus) / harness / "home", home, dirs_exist_ok=True)
        env = {**os.environ, "HOME": str(home), "AXI_HOME": str(Path(tmp) / "state")}
        for var in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
            env.pop(var, None)
        hook = [sys.executable, "-m", "axi", "hook"]

        def once(verb: str = "session-start", payload: dict = PAYLOAD) -> tuple[float, str]:
            start = time.perf_counter()
            proc = subprocess.run([*hook, verb, "--host", "claude"], input=json.dumps(payload),
                                  capture_output=True, text=True, env=env, cwd=home, check=True)
            return time.perf_counter() - start, proc.stdout

        cold, _ = once()
        time.sleep(1.0)  # let the background sweep the cold run started finish
        times, out = [], ""
        for _ in range(args.runs):
            took, out = once()
            times.append(took)
        text = json.loads(out)["hookSpecificOutput"]["additionalContext"]
        state = sorted(once("state", STOP)[0] for _ in range(args.runs))
        times.sort()
        report = {"cold_s": round(cold, 3),
                  "warm_p50_ms": round(1000 * statistics.median(times), 1),
                  "warm_p90_ms": round(1000 * times[int(0.9 * (len(times) - 1))], 1),
                  "state_p50_ms": round(1000 * statistics.median(state), 1),
                  "state_p90_ms": round(1000 * state[int(0.9 * (len(state) - 1))], 1),
                  "dashboard_chars": len(text), "runs": args.runs}
        try:
            import bpe_openai

            report["dashboard_o200k_tokens"] = len(
                bpe_openai.get_encoding("o200k_base").encode(text))
        except ImportError:
            pass
        print(json.dumps(report))


if __name__ == "__main__":
    main()
