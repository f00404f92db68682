"""What the paths every agent session pays for import: bare `axi` and the session-start hook
run at every start, so they stay clear of click, python-toon and the stdlib's heavier modules.

Each probe runs in a fresh interpreter on a warm index of the recorded stores (the first run
builds it), then lists what of a watched set got imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

WATCHED = ("click", "toon", "textual", "typing", "dataclasses", "inspect", "shutil", "re",
           "json", "shlex", "multiprocessing", "tomllib", "msgspec", "orjson", "platformdirs",
           "axi.remote", "starlette", "uvicorn", "sqlite3", "datetime", "contextlib", "enum",
           "importlib", "warnings", "threading", "subprocess", "socket", "hashlib")
# not watched: `functools` and `collections`, which `_sqlite3` (SQLite's C core) imports itself

# argv[0] is the installed `axi` script, as when an agent host runs it (else the dashboard
# looks for axi on PATH to name its own path)
PROBE = """
import sys
before = set(sys.modules)  # what the interpreter had (an editable install's finder imports re)
import io, os
sys.argv[0] = os.path.join(os.path.dirname(sys.executable), "axi")
sys.stdin = io.StringIO(os.environ.pop("PROBE_STDIN"))
from axi.cli import run
run(sys.argv[1:], "toon")
watched = {WATCHED!r}
loaded = {m if m in watched else m.split(".")[0] for m in set(sys.modules) - before}
print("LOADED", " ".join(sorted(loaded & set(watched))), file=sys.stderr)
print("ALL", " ".join(sorted(set(sys.modules) - before)), file=sys.stderr)
""".replace("{WATCHED!r}", repr(WATCHED))


def imported(args: list[str], cwd, stdin: str = "", mark: str = "LOADED") -> list[str]:
    """What of WATCHED the command imported (`mark` "ALL": every module it imported)."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env={**os.environ, "PROBE_STDIN": stdin})
    line = [x for x in done.stderr.splitlines() if x.startswith(mark + " ")]
    assert line, done.stderr[-2000:]
    return line[-1].split()[1:]


def test_a_replayed_dashboard_opens_no_database(corpus_home):
    """On a warm index, the dashboard made last is printed again without SQLite
    (`axi.commands.replay`); the hook for a new session too."""
    payload = json.dumps({"session_id": "probe-new", "cwd": str(corpus_home),
                          "hook_event_name": "SessionStart", "source": "startup"})
    from support import settle_index

    imported([], corpus_home)  # builds the index
    settle_index()
    imported([], corpus_home)  # saves its answer
    loaded = set(imported([], corpus_home, mark="ALL"))
    assert "axi.commands.replay" in loaded
    assert not loaded & {"_sqlite3", "axi.index.store", "axi.commands.home", "axi.toon"}
    hook = set(imported(["hook", "session-start", "--host", "claude"], corpus_home, payload,
                        mark="ALL"))
    assert "axi.commands.replay" in hook and "_sqlite3" not in hook


def test_bare_axi_imports_nothing_heavy(corpus_home):
    imported([], corpus_home)  # builds the index; the warm run is the one that counts
    assert imported([], corpus_home) == []


def test_the_session_start_hook_imports_nothing_heavy(corpus_home):
    payload = json.dumps({"session_id": "probe", "cwd": str(corpus_home),
                          "hook_event_name": "SessionStart", "source": "startup"})
    args = ["hook", "session-start", "--host", "claude"]
    imported(args, corpus_home, payload)
    # axi.jsontext reads the payload and writes the journal line with json's C core
    assert imported(args, corpus_home, payload) == []


def test_the_dashboard_and_the_mail_verbs_import_nothing_heavy(corpus_home):
    from mail_support import make_agent

    make_agent(corpus_home, "probe")  # this folder's agent: the dashboard shows its mail
    make_agent(corpus_home / "elsewhere", "sink")
    for args in ([], ["send", "@sink", "hello"], ["inbox"], ["sessions"], ["sessions", "--all"]):
        imported(args, corpus_home)
        # a listing asks whether hosts are configured (`axi.remote`'s light package module)
        allowed = {"axi.remote"} if args[:1] == ["sessions"] else set()
        assert set(imported(args, corpus_home)) - allowed == set(), args

