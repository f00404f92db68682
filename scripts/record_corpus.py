"""Record the held-out sessions in tests/heldout/ with the real agent CLIs.

The CLIs come from the e2e tests' npm cache (`tests/e2e/clis.py`: pinned versions, installed
there when missing) and talk only to the deterministic fake model on 127.0.0.1, the one the
corpus was recorded against (its trigger words THINK and SUBAGENT make a reasoning block and
Claude's `Agent` tool call). HOME is a fixed throwaway folder, `/tmp/axi-heldout/home`, so the
recorded paths are the same on every run; it is deleted first.

    python scripts/record_corpus.py --server /path/to/fake_llm_server.py [--out tests/heldout]

Each harness's store is copied to `<out>/<harness>/home/` with the same layout as its HOME;
opencode's WAL database is checkpointed first. The commands run are printed as they go.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

import clis  # noqa: E402  (tests/e2e/clis.py)

HOME = Path("/tmp/axi-heldout/home")
GIT = "heldout/sub-agents"  # the branch of the git project
FIRST = "0d7e1c2a-5b8f-4c3e-9a61-2f4b8d9e0a11"  # Claude session that is then forked


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(server: Path, logs: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(server), "--port", str(port),
                             "--log-dir", str(logs)], stderr=subprocess.PIPE, text=True)
    proc.stderr.readline()  # "[fakellm] listening on ..."
    return proc, f"http://127.0.0.1:{port}"


def projects() -> dict[str, Path]:
    """projG: a git repository on GIT; projD: one with a detached HEAD; projP: a plain folder."""
    work = HOME / "work"
    out = {name: work / name for name in ("projG", "projD", "projP")}
    for path in out.values():
        path.mkdir(parents=True)
        (path / "notes.txt").write_text("held-out project\n")
    for name in ("projG", "projD"):
        git = ["git", "-C", str(out[name]), "-c", "user.name=axi", "-c", "user.email=axi@x"]
        subprocess.run([*git, "init", "-q", "-b", GIT], check=True)
        subprocess.run([*git, "add", "."], check=True)
        subprocess.run([*git, "commit", "-q", "-m", "one"], check=True)
    subprocess.run(["git", "-C", str(out["projD"]), "checkout", "-q", "--detach"], check=True)
    return out


def configure(url: str) -> None:
    (HOME / ".codex").mkdir(parents=True)
    (HOME / ".codex" / "config.toml").write_text(clis.codex_config(url))
    (HOME / ".config" / "opencode").mkdir(parents=True)
    (HOME / ".config" / "opencode" / "opencode.json").write_text(clis.opencode_config(url))
    models = json.loads((ROOT / "tests/corpus/pi/home/.pi/agent/models.json").read_text())
    models["providers"]["fakellm"]["baseUrl"] = f"{url}/v1"
    models["providers"]["fakeanthropic"]["baseUrl"] = url
    (HOME / ".pi" / "agent").mkdir(parents=True)
    (HOME / ".pi" / "agent" / "models.json").write_text(json.dumps(models, indent=2))
    clis.claude_first_run_done(HOME)


def run(argv: list[str], cwd: Path, env: dict) -> None:
    print(f"$ (cd {cwd.name} && {' '.join(argv)})", flush=True)
    done = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)
    if done.returncode:
        print(done.stdout[-2000:], done.stderr[-2000:], sep="\n")
        raise SystemExit(f"exit {done.returncode}: {' '.join(argv)}")
    time.sleep(1.1)  # distinct timestamps between sessions


def record(dirs: dict[str, Path], env: dict) -> None:
    g, d, p = dirs["projG"], dirs["projD"], dirs["projP"]
    run(["claude", "-p", "SUBAGENT please inspect this project", "--output-format", "json"], g,
        env)
    run(["claude", "-p", "--session-id", FIRST, "Describe the notes briefly"], p, env)
    run(["claude", "-p", "--resume", FIRST, "--fork-session", "Forked follow-up question"], p,
        env)
    run(["claude", "-p", "Say hello from a detached head"], d, env)
    run(["codex", "exec", "-c", "model_reasoning_effort=medium", "-c",
         "model_reasoning_summary=auto", "THINK about what this project holds"], g, env)
    run(["opencode", "run", "--thinking", "THINK", "about", "what", "this", "project", "holds"],
        g, env)
    run(["pi", "-p", "--model", "fakeanthropic/claude-fake-sonnet", "--thinking", "medium",
         "THINK about what this project holds"], g, env)
    run(["pi", "-p", "--model", "fakellm/fake-model", "THINK briefly about chat completions"],
        p, env)


def checkpoint(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def keep(out: Path) -> None:
    """Copy each harness's store (and the config it ran with) into `out`."""
    checkpoint(HOME / ".local/share/opencode/opencode.db")
    wanted = {
        "claude": [".claude/projects"],
        "codex": [".codex/sessions", ".codex/config.toml"],
        "opencode": [".local/share/opencode/opencode.db", ".config/opencode/opencode.json"],
        "pi": [".pi/agent/sessions", ".pi/agent/models.json"],
    }
    for harness, paths in wanted.items():
        shutil.rmtree(out / harness, ignore_errors=True)
        for rel in paths:
            src, dst = HOME / rel, out / harness / "home" / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns("memory"))
            else:
                shutil.copy2(src, dst)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--server", type=Path, required=True, help="the fake model server")
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "heldout")
    args = ap.parse_args()
    bin_dir = clis.install("claude", "codex", "opencode", "pi")
    if bin_dir is None:
        raise SystemExit("npm is not installed")
    shutil.rmtree(HOME.parent, ignore_errors=True)
    dirs = projects()
    proc, url = start_server(args.server.resolve(), HOME.parent / "logs")
    try:
        configure(url)
        env = clis.environment(HOME, HOME.parent / "axi", url, bin_dir)
        env["ANTHROPIC_API_KEY"] = clis.ANTHROPIC_KEY
        record(dirs, env)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    keep(args.out)
    print(f"recorded into {args.out}")


if __name__ == "__main__":
    main()
