"""`axi pick` on the 10,000-session benchmark corpus, in a real pseudo-terminal.

Measures, end to end, what a person waits for:
- first paint: from spawning `python -m axi pick` to the first frame with the table on it;
- key press to redraw: `j` sent until the terminal receives the redrawn frame;
- filter keystroke: one more letter typed into the `i` filter over every row, until redrawn.

Usage: python bench/picker.py [--corpus ~/.cache/axi-bench/corpus] [--state DIR] [--runs 5]
The index in the state dir is built first (not timed) when it is missing. Prints a Markdown
table and a JSON line. Needs pexpect (an axi dependency).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import pexpect

FIRST_FRAME = "sessions  ·"  # the state line, drawn with the table in the first frame
QUIET = 0.3  # seconds without output that end a redraw


def env_for(corpus: str, state: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CLAUDE", "CODEX", "OPENCODE", "PI_", "AXI_"))}
    env.update(HOME=corpus, AXI_HOME=state, TERM="xterm-256color", COLUMNS="160",
               LINES="48")
    return env


def build_index(env: dict) -> None:
    subprocess.run([sys.executable, "-m", "axi", "sessions", "--all", "--limit", "1"],
                   env=env, capture_output=True, check=True, timeout=1800)


def redraw_time(child: pexpect.spawn, key: str, shows: str | None = None) -> float:
    """Seconds from sending `key` to the redraw it causes: the first byte of output, or with
    `shows` the moment that text has been drawn."""
    drain(child)
    start = time.perf_counter()
    child.send(key)
    if shows:
        child.expect_exact(shows, timeout=10)
    else:
        child.read_nonblocking(1, timeout=10)
    return time.perf_counter() - start


def drain(child: pexpect.spawn) -> None:
    child.buffer = ""
    while True:
        try:
            child.read_nonblocking(1 << 16, timeout=QUIET)
        except pexpect.TIMEOUT:
            return


def one_run(env: dict) -> dict:
    start = time.perf_counter()
    child = pexpect.spawn(sys.executable, ["-m", "axi", "pick"], env=env, dimensions=(48, 160),
                          encoding="utf-8", codec_errors="replace")
    child.delaybeforesend = None  # pexpect's default 50 ms pause would be timed too
    try:
        child.expect_exact(FIRST_FRAME, timeout=30)
        first = time.perf_counter() - start
        keys = [redraw_time(child, "j") for _ in range(10)]
        redraw_time(child, "i")
        typed = [redraw_time(child, ch, f"filter “{'claude'[:n + 1]}”")
                 for n, ch in enumerate("claude")]
        child.send("\x1b")
        time.sleep(0.3)  # an escape followed at once by `q` reads as alt+q
        child.send("q")
        child.expect(pexpect.EOF, timeout=10)
    finally:
        child.close(force=True)
    return {"first_paint_ms": first * 1000, "key_ms": statistics.median(keys) * 1000,
            "filter_key_ms": statistics.median(typed) * 1000,
            "filter_key_max_ms": max(typed) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", default=os.path.expanduser("~/.cache/axi-bench/corpus"))
    parser.add_argument("--state", default="/tmp/axi-bench-picker-state")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = env_for(args.corpus, args.state)
    if not os.path.exists(os.path.join(args.state, "index.db")):
        build_index(env)
    one_run(env)  # warm the page cache and the bytecode
    runs = [one_run(env) for _ in range(args.runs)]
    result = {k: round(statistics.median(r[k] for r in runs), 1) for k in runs[0]}
    print(f"| measure | median of {args.runs} runs |")
    print("|---|---|")
    for key, value in result.items():
        print(f"| {key.replace('_ms', '')} | {value:.0f} ms |")
    print(json.dumps({"bench": "picker", "runs": args.runs, **result}))


if __name__ == "__main__":
    main()
