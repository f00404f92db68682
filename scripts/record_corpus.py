"""Record the test stores with the real agent CLIs against the repo's own fake model.

The CLIs come from the e2e tests' npm cache (`tests/e2e/clis.py`: pinned versions, installed
there when missing) and talk only to `tests/e2e/fake_llm.py --style corpus` on 127.0.0.1 (its
trigger words THINK, TOOLCALL and SUBAGENT make a reasoning block, a shell `ls` call and a call
of the harness's sub-agent tool; its token counts follow from the request size). HOME is a
fixed throwaway folder, `/tmp/axi-<set>/home`, so the recorded paths are the same on every run;
it is deleted first. Nothing outside the repository is needed.

    python scripts/record_corpus.py                      # tests/heldout, re-recorded in place
    python scripts/record_corpus.py --only codex-subagent  # one more session, added to it
    python scripts/record_corpus.py --set corpus --out /tmp/corpus --compare tests/corpus

`--set heldout` (the default) writes tests/heldout/. `--set corpus` replays the sessions of
tests/corpus/README.md; it needs an explicit `--out` (tests/corpus's figures are asserted, so
it is never overwritten by default). `--compare DIR` prints, per session, the record types of
the new recording next to those of DIR and exits 1 when they differ. `--server PATH` runs
another fake model instead (started as `PATH --port N --log-dir DIR`).

Each harness's store is copied to `<out>/<harness>/home/` with the same layout as its HOME;
the SQLite databases (opencode's, Codex's) are checkpointed first. The commands run are
printed as they go.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

import clis  # noqa: E402  (tests/e2e/clis.py)

FAKE_LLM = ROOT / "tests" / "e2e" / "fake_llm.py"
HOME = Path("/tmp/axi-heldout/home")  # set by main() for the chosen set
GIT = "heldout/sub-agents"  # the branch of the held-out git project
FIRST = "0d7e1c2a-5b8f-4c3e-9a61-2f4b8d9e0a11"  # held-out Claude session that is then forked
# corpus sessions that are resumed by id
A_TWICE = "cb4228d5-fe8a-4429-b9c5-afb1e5530257"
B_TWICE = "17ce7ca7-6fb8-4d59-85a9-77a654db600d"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(server: Path | None, logs: Path) -> tuple[subprocess.Popen, str]:
    """The fake model on a free port: the repo's own (corpus style) unless `server` is given."""
    port = free_port()
    argv = [sys.executable, str(server or FAKE_LLM), "--port", str(port), "--log-dir", str(logs)]
    if server is None:
        argv += ["--style", "corpus"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"the fake model exited: {' '.join(argv)}") from None
            time.sleep(0.1)
    return proc, f"http://127.0.0.1:{port}"


def project(path: Path, files: dict[str, str], branch: str | None = None) -> Path:
    path.mkdir(parents=True)
    for name, text in files.items():
        (path / name).write_text(text)
    if branch:
        git = ["git", "-C", str(path), "-c", "user.name=axi", "-c", "user.email=axi@x"]
        subprocess.run([*git, "init", "-q", "-b", branch], check=True)
        subprocess.run([*git, "add", "."], check=True)
        subprocess.run([*git, "commit", "-q", "-m", "one"], check=True)
    return path


def heldout_projects() -> dict[str, Path]:
    """projG: a git repository on GIT; projD: one with a detached HEAD; projP: a plain folder."""
    work, notes = HOME / "work", {"notes.txt": "held-out project\n"}
    out = {"projG": project(work / "projG", notes, GIT),
           "projD": project(work / "projD", notes, GIT),
           "projP": project(work / "projP", notes)}
    subprocess.run(["git", "-C", str(out["projD"]), "checkout", "-q", "--detach"], check=True)
    return out


def corpus_projects() -> dict[str, Path]:
    """projA, projB: plain folders; projC: a git repository on feature/parser-tests."""
    work = HOME / "work"
    return {"projA": project(work / "projA", {"README.md": "# A\n", "main.py": "print(1)\n"}),
            "projB": project(work / "projB", {"main.rs": "fn main() {}\n"}),
            "projC": project(work / "projC", {"README.md": "# C\n", "lib.py": "X = 1\n"},
                             "feature/parser-tests")}


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


def run(argv: list[str], cwd: Path, env: dict, stdin: str | None = None) -> str:
    print(f"$ (cd {cwd.name} && {' '.join(argv)})", flush=True)
    env = {**env, "PWD": str(cwd)}  # opencode takes its folder from $PWD, not from getcwd()
    done = subprocess.run(argv, cwd=cwd, env=env, input=stdin, capture_output=True, text=True,
                          timeout=300, stdin=None if stdin is not None else subprocess.DEVNULL)
    if done.returncode:
        print(done.stdout[-2000:], done.stderr[-2000:], sep="\n")
        raise SystemExit(f"exit {done.returncode}: {' '.join(argv)}")
    time.sleep(1.1)  # distinct timestamps between sessions
    return done.stdout


# The held-out sessions, in recording order: (name, folder, command). A name starts with its
# harness; `--only` records some of them (claude-fork needs claude-first before it).
HELDOUT = [
    ("claude-subagent", "projG",
     ["claude", "-p", "SUBAGENT please inspect this project", "--output-format", "json"]),
    ("claude-first", "projP",
     ["claude", "-p", "--session-id", FIRST, "Describe the notes briefly"]),
    ("claude-fork", "projP",
     ["claude", "-p", "--resume", FIRST, "--fork-session", "Forked follow-up question"]),
    ("claude-detached", "projD", ["claude", "-p", "Say hello from a detached head"]),
    ("codex-think", "projG", ["codex", "exec", "-c", "model_reasoning_effort=medium", "-c",
                              "model_reasoning_summary=auto",
                              "THINK about what this project holds"]),
    # spawn_agent, wait_agent on its id, then the answer; the child thread has its own rollout
    ("codex-subagent", "projG", ["codex", "exec", "SUBAGENT please inspect this project"]),
    ("opencode-think", "projG",
     ["opencode", "run", "--thinking", "THINK", "about", "what", "this", "project", "holds"]),
    # the `task` tool: a child session (`session.parent_id`) answers, then the parent
    ("opencode-subagent", "projG",
     ["opencode", "run", "SUBAGENT", "please", "inspect", "this", "project"]),
    ("pi-think", "projG", ["pi", "-p", "--model", "fakeanthropic/claude-fake-sonnet",
                           "--thinking", "medium", "THINK about what this project holds"]),
    ("pi-chat", "projP",
     ["pi", "-p", "--model", "fakellm/fake-model", "THINK briefly about chat completions"]),
]
# Stores holding every session of their harness in one file: recorded whole or not at all.
WHOLE = {"opencode"}


def record_heldout(dirs: dict[str, Path], env: dict, only: set[str] | None = None) -> None:
    for name, folder, argv in HELDOUT:
        if only is None or name in only:
            run(argv, dirs[folder], env)


def newest_codex() -> str:
    """The id of the Codex session written last."""
    files = sorted((HOME / ".codex" / "sessions").rglob("rollout-*.jsonl"))
    return re.search(r"([0-9a-f-]{36})\.jsonl$", files[-1].name).group(1)


def newest_opencode() -> str:
    conn = sqlite3.connect(HOME / ".local/share/opencode/opencode.db")
    try:
        return conn.execute("SELECT id FROM session ORDER BY time_created DESC").fetchone()[0]
    finally:
        conn.close()


def pi_rpc(cwd: Path, env: dict, name: str, prompts: list[str]) -> None:
    """pi's RPC mode: name the session, then each prompt once the previous run has ended."""
    argv = ["pi", "--mode", "rpc", "--model", "fakellm/fake-model"]
    print(f"$ (cd {cwd.name} && {' '.join(argv)})  # set_session_name, {len(prompts)} prompts",
          flush=True)
    proc = subprocess.Popen(argv, cwd=cwd, env={**env, "PWD": str(cwd)}, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdin and proc.stdout

    def send(command: dict) -> None:
        proc.stdin.write(json.dumps(command) + "\n")
        proc.stdin.flush()

    def wait_for(kind: str) -> None:
        for line in proc.stdout:
            if line.strip() and json.loads(line).get("type") == kind:
                return
        raise SystemExit(f"pi rpc ended before {kind}")

    try:
        send({"type": "set_session_name", "name": name})
        for prompt in prompts:
            send({"type": "prompt", "message": prompt})
            wait_for("agent_end")
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    time.sleep(1.1)


def record_corpus(dirs: dict[str, Path], env: dict, only: set[str] | None = None) -> None:
    """The sessions of tests/corpus/README.md, in its order."""
    a, b, c = dirs["projA"], dirs["projB"], dirs["projC"]
    sonnet = ["--model", "claude-sonnet-4-5"]
    run(["claude", "-p", "--session-id", A_TWICE, "Say hello from project A"], a, env)
    run(["claude", "-p", "--resume", A_TWICE, "Now give me a second answer please"], a, env)
    run(["claude", "-p", "TOOLCALL please list the files in this directory"], a, env)
    run(["claude", "-p", *sonnet, "THINK about what project B contains"], b, env)
    run(["claude", "-p", *sonnet, "--session-id", B_TWICE, "Describe main.rs briefly"], b, env)
    run(["claude", "-p", *sonnet, "--continue", "Follow-up on the previous answer"], b, env)
    run(["claude", "-p", *sonnet, "--resume", B_TWICE, "--fork-session",
         "Forked follow-up question"], b, env)
    run(["claude", "-p", "SUBAGENT please inspect this project"], c, env)

    codex = ["codex", "exec", "--skip-git-repo-check"]  # projA and projB are no repositories
    resume = ["codex", "exec", "resume", "--skip-git-repo-check"]
    run([*codex, "Say hello from project A"], a, env)
    run([*resume, newest_codex(), "Now give me a second answer please"], a, env)
    run([*codex, "TOOLCALL please list the files in this directory"], a, env)
    run([*codex, "-c", "model_reasoning_effort=medium", "THINK about what project B contains"],
        b, env)
    run([*codex, "-m", "gpt-5.1-codex-mini", "Describe main.rs briefly"], b, env)
    run([*resume, "-m", "gpt-5-codex", newest_codex(), "Follow-up on the previous answer"], b,
        env)
    run(["codex", "exec", "Explain lib.py in one line"], c, env)

    run(["opencode", "run", "Say hello from project A"], a, env)
    run(["opencode", "run", "--continue", "Now give me a second answer please"], a, env)
    run(["opencode", "run", "TOOLCALL please list the files in this directory"], a, env)
    run(["opencode", "run", "--thinking", "THINK about what project B contains"], b, env)
    run(["opencode", "run", "--title", "Rust main question", "Describe main.rs briefly"], b,
        env)
    run(["opencode", "run", "--session", newest_opencode(), "Follow-up on the previous answer"],
        b, env)
    run(["opencode", "run", "Explain lib.py in one line"], c, env)
    run(["opencode", "run", "--continue", "TOOLCALL list the files here"], c, env)

    chat = ["--model", "fakellm/fake-model"]
    messages = ["--model", "fakeanthropic/claude-fake-sonnet", "--thinking", "medium"]
    run(["pi", "-p", *chat, "Say hello from project A"], a, env)
    run(["pi", "-p", "-c", *chat, "Now give me a second answer please"], a, env)
    run(["pi", "-p", *chat, "TOOLCALL please list the files in this directory"], a, env)
    run(["pi", "-p", *messages, "THINK about what project B contains"], b, env)
    run(["pi", "-p", *messages, "Describe main.rs briefly"], b, env)
    run(["pi", "-p", "-c", *chat, "Follow-up on the previous answer"], b, env)
    run(["pi", "-p", *messages, "TOOLCALL list the files here"], c, env)
    run(["pi", "-p", "-c", *messages, "Explain lib.py in one line"], c, env)
    pi_rpc(a, env, "RPC named session", ["First RPC prompt: what is here?",
                                          "TOOLCALL second RPC prompt, list files"])


SETS: dict[str, tuple[Callable[[], dict[str, Path]],
                      Callable[[dict, dict, set[str] | None], None]]] = {
    "heldout": (heldout_projects, record_heldout),
    "corpus": (corpus_projects, record_corpus),
}
KEEP = {
    "heldout": {
        "claude": [".claude/projects"],
        "codex": [".codex/sessions", ".codex/config.toml"],
        "opencode": [".local/share/opencode/opencode.db", ".config/opencode/opencode.json"],
        "pi": [".pi/agent/sessions", ".pi/agent/models.json"],
    },
    "corpus": {
        "claude": [".claude/projects"],
        "codex": [".codex/sessions", ".codex/config.toml", ".codex/state_5.sqlite",
                  ".codex/thread_history_1.sqlite"],
        "opencode": [".local/share/opencode/opencode.db", ".config/opencode/opencode.json"],
        "pi": [".pi/agent/sessions", ".pi/agent/models.json"],
    },
}


def checkpoint(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def keep(out: Path, wanted: dict[str, list[str]], merge: bool = False) -> None:
    """Copy each harness's store (and the config it ran with) into `out`. With `merge` (a
    subset was recorded) what is in `out` stays: the new transcript files are added to it,
    databases replaced, existing configs kept."""
    for harness, paths in wanted.items():
        if not merge:
            shutil.rmtree(out / harness, ignore_errors=True)
        for rel in paths:
            src, dst = HOME / rel, out / harness / "home" / rel
            if merge and dst.is_file() and src.suffix not in (".db", ".sqlite"):
                continue  # a config, already there
            if src.suffix in (".db", ".sqlite"):
                checkpoint(src)
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns("memory"),
                                dirs_exist_ok=merge)
            else:
                shutil.copy2(src, dst)


# ---------------------------------------------------------------------------- --compare


def line_kind(harness: str, record: dict) -> str:
    """A transcript line's record type: its type, the payload's or the message's kind."""
    kind = record.get("type", "?")
    if harness == "codex":
        return f"{kind}:{(record.get('payload') or {}).get('type', '')}".rstrip(":")
    message = record.get("message")
    if isinstance(message, dict):
        content = message.get("content")
        parts = [c.get("type", "?") for c in content if isinstance(c, dict)] if isinstance(
            content, list) else ["str"]
        return f"{kind}:{message.get('role', '')}[{','.join(parts)}]"
    return kind


def shapes(store: Path) -> dict[str, list[str]]:
    """For each session of a recorded store, the sequence of its record types, runs of the
    same type collapsed (streamed lines and repeated bookkeeping vary from run to run).
    Keys are `<harness> <folder> <n>`: the n-th session of that folder, oldest first."""
    out: dict[str, list[str]] = {}

    def add(harness: str, folder: str, kinds: list[str]) -> None:
        n = sum(k.startswith(f"{harness} {folder} ") for k in out)
        out[f"{harness} {folder} {n + 1}"] = [k for i, k in enumerate(kinds)
                                              if i == 0 or kinds[i - 1] != k]

    def lines(path: Path) -> list[dict]:
        return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]

    base = store / "claude/home/.claude/projects"
    for folder in sorted(base.glob("*")) if base.exists() else []:
        files = sorted(folder.rglob("*.jsonl"), key=lambda f: lines(f)[0].get("timestamp", "")
                       if lines(f) else "")
        for f in files:
            name = folder.name.rsplit("-", 1)[-1] + ("/subagent" if "subagents" in f.parts else "")
            add("claude", name, [line_kind("claude", r) for r in lines(f)])
    for f in sorted((store / "codex/home/.codex/sessions").rglob("*.jsonl")):
        rows = lines(f)
        cwd = Path(rows[0].get("payload", {}).get("cwd", "?")).name
        add("codex", cwd, [line_kind("codex", r) for r in rows])
    for f in sorted((store / "pi/home/.pi/agent/sessions").rglob("*.jsonl")):
        rows = lines(f)
        add("pi", Path(rows[0].get("cwd", "?")).name, [line_kind("pi", r) for r in rows])
    db = store / "opencode/home/.local/share/opencode/opencode.db"
    if db.exists():
        conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
        for sid, directory in conn.execute("SELECT id, directory FROM session "
                                           "ORDER BY time_created"):
            kinds = []
            for mid, data in conn.execute("SELECT id, data FROM message WHERE session_id = ? "
                                          "ORDER BY time_created, id", (sid,)):
                parts = [json.loads(p)["type"] for (p,) in conn.execute(
                    "SELECT data FROM part WHERE message_id = ? ORDER BY id", (mid,))]
                kinds.append(f"{json.loads(data).get('role')}[{','.join(parts)}]")
            add("opencode", Path(directory).name, kinds)
        conn.close()
    return out


def compare(new: Path, old: Path) -> bool:
    """Print each session's record types, new against old; True when all match."""
    mine, theirs = shapes(new), shapes(old)
    same = True
    for key in sorted(set(mine) | set(theirs)):
        a, b = mine.get(key), theirs.get(key)
        ok = a is not None and a == b
        same &= ok
        print(f"{'same' if ok else 'DIFFERENT':9} {key}")
        if not ok:
            print(f"    new: {a}\n    old: {b}")
    return same


def main() -> None:
    global HOME
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", choices=sorted(SETS), default="heldout",
                    help="which sessions to record (default heldout)")
    ap.add_argument("--out", type=Path, help="where to write (default tests/heldout; "
                    "required for --set corpus)")
    ap.add_argument("--server", type=Path,
                    help="another fake model server (default: tests/e2e/fake_llm.py)")
    ap.add_argument("--compare", type=Path, metavar="DIR",
                    help="check the record types of each session against the store in DIR")
    ap.add_argument("--only", metavar="NAME,...", help="record only these held-out sessions ("
                    + ", ".join(n for n, _, _ in HELDOUT) + ") and add them to --out; "
                    "opencode's are recorded all or none (one database)")
    args = ap.parse_args()
    if args.out is None and args.set != "heldout":
        ap.error("--set corpus needs --out (tests/corpus is not overwritten)")
    only = set(args.only.split(",")) if args.only else None
    if only is not None:
        names = {n for n, _, _ in HELDOUT}
        if args.set != "heldout" or not only <= names:
            ap.error(f"--only takes held-out session names: {', '.join(sorted(names))}")
        for harness in WHOLE & {n.split("-")[0] for n in only}:
            if not {n for n in names if n.startswith(f"{harness}-")} <= only:
                ap.error(f"--only: {harness} keeps all its sessions in one database: "
                         "name all of them")
    out = (args.out or ROOT / "tests" / "heldout").resolve()
    if out == (ROOT / "tests" / "corpus").resolve():
        ap.error("tests/corpus is asserted figure by figure: record elsewhere and --compare")
    HOME = Path(f"/tmp/axi-{args.set}/home")
    bin_dir = clis.install("claude", "codex", "opencode", "pi")
    if bin_dir is None:
        raise SystemExit("npm is not installed")
    shutil.rmtree(HOME.parent, ignore_errors=True)
    make_projects, record = SETS[args.set]
    dirs = make_projects()
    proc, url = start_server(args.server.resolve() if args.server else None,
                             HOME.parent / "logs")
    try:
        configure(url)
        env = clis.environment(HOME, HOME.parent / "axi", url, bin_dir)
        env["ANTHROPIC_API_KEY"] = clis.ANTHROPIC_KEY
        record(dirs, env, only)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    wanted = KEEP[args.set]
    if only is not None:
        wanted = {h: paths for h, paths in wanted.items() if any(n.startswith(f"{h}-")
                                                                  for n in only)}
    keep(out, wanted, merge=only is not None)
    print(f"recorded into {out}")
    if args.compare and not compare(out, args.compare):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
