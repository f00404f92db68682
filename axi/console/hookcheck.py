"""`axi doctor`'s checks of the agent hosts: each host's hooks (installed, the command they run
still there, and whether it runs: the installed session-start command is run once with that
host's stdin shape and timed), Codex trust, and the skill.

The payload carries no session id, so the run records nothing in the catalog; it prints the
dashboard, which refreshes the index cache as any axi command does."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time

from axi.console.checks import Check, shown
from axi.integrations import claude_code, codex, opencode
from axi.integrations.base import SCOPES, START_TIMEOUT, claude_dir, codex_dir
from axi.integrations.command import executable, runnable, shell_line
from axi.paths import cwd

HOSTS = {"claude": claude_code, "codex": codex, "opencode": opencode}
SLOW = START_TIMEOUT / 2  # a start hook slower than this is near the host's timeout
SKILL_DIRS = (("claude", lambda: os.path.join(claude_dir(), "skills")),
              ("agents", lambda: os.path.join(os.path.expanduser("~"), ".agents", "skills")),
              ("codex", lambda: os.path.join(codex_dir(), "skills")))


def hook_checks(run: bool = True) -> list[Check]:
    exe, project = executable(), cwd()
    out, seen = [], set()
    for scope in SCOPES:
        for host, module in HOSTS.items():
            for state in module.status(scope, project, exe):
                if state.file in seen or (scope == "project" and state.state == "absent"):
                    continue
                seen.add(state.file)
                out.append(_one(host, scope, state, run))
    return out


def _setup(host: str, scope: str) -> tuple[str, list[str]]:
    words = ["setup", "hooks", "--host", host] + (["--scope", "project"]
                                                   if scope == "project" else [])
    return "axi " + " ".join(words), [*executable(), *words]


def _one(host: str, scope: str, state, run: bool) -> Check:
    name = f"hooks {host}" + (" (project)" if scope == "project" else "")
    where = shown(state.file)
    fix, argv = _setup(host, scope)
    if state.state == "absent":
        return Check(name, "warn", f"not installed ({where})", fix, argv)
    if state.state == "unreadable":
        return Check(name, "fail", f"{where} is unreadable: {state.detail}",
                     f"$EDITOR {where}")
    if state.state == "unmanaged":
        return Check(name, "warn", f"{where} is not axi's: {state.detail}",
                     f"mv {where} {where}.mine && {fix}")
    command = installed_command(host, state.file)
    if "(missing)" in state.detail or (command and not runnable(shell_line(command))):
        prog = command[0] if command else "its axi"
        return Check(name, "fail", f"{where} runs {prog}, which is gone: every session starts "
                     "without the dashboard", fix, argv)
    ran = run_start(host, command) if run and command else None
    parts = [f"{state.state} in {where}"]
    if state.state == "stale":
        parts.append("runs another axi than this one")
    if ran:
        parts.append(ran[1])
    verdict = "ok" if state.state in ("installed", "untrusted") else "warn"
    if ran and ran[0] != "ok":
        verdict = ran[0]
    return Check(name, verdict, "; ".join(parts), None if verdict == "ok" else fix,
                 None if verdict == "ok" else argv)


def installed_command(host: str, path: str) -> list[str] | None:
    """The argv axi's session-start hook runs, as written in the host's file."""
    import shlex

    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError:
        return None
    if host == "opencode":
        match = re.search(r"^const AXI_ARGV = (\[.*\]);$", text, re.M)
        try:
            argv = json.loads(match.group(1)) if match else None
        except ValueError:
            return None
        return argv if isinstance(argv, list) and all(isinstance(a, str) for a in argv) else None
    from axi.integrations import hookjson

    try:
        doc = json.loads(text)
        found = hookjson.managed(doc, "SessionStart", path)
    except (ValueError, AttributeError, TypeError):
        return None
    for _, _, handler in found:
        try:
            return shlex.split(handler.get("command", ""))
        except ValueError:
            return None
    return None


def payload(host: str, folder: str) -> dict:
    """What the host hands its start hook, less the session id (so nothing is recorded)."""
    base = {"cwd": folder, "hook_event_name": "SessionStart", "source": "startup"}
    if host == "claude":
        base["transcript_path"] = ""
    if host == "codex":
        base["model"] = ""
    return base


def run_start(host: str, argv: list[str]) -> tuple[str, str]:
    """(state, what happened) for one run of the installed start hook."""
    folder = cwd()
    started = time.monotonic()
    try:
        done = subprocess.run(argv, input=json.dumps(payload(host, folder)), cwd=folder,
                              capture_output=True, text=True, timeout=START_TIMEOUT + 1)
    except subprocess.TimeoutExpired:
        return "fail", f"the start hook did not finish in {START_TIMEOUT}s: the host gives up"
    except OSError as exc:
        return "fail", f"the start hook cannot run: {exc.strerror or exc}"
    ms = int((time.monotonic() - started) * 1000)
    if done.returncode != 0:
        return "fail", f"the start hook exited {done.returncode} after {ms} ms"
    if not _dashboard(host, done.stdout):
        return "fail", f"the start hook ran in {ms} ms but printed no dashboard"
    if ms > SLOW * 1000:
        return "warn", f"the start hook ran in {ms} ms: near the host's {START_TIMEOUT}s limit"
    return "ok", f"the start hook ran in {ms} ms"


def _dashboard(host: str, stdout: str) -> bool:
    if host in ("claude", "codex"):
        try:
            data = json.loads(stdout)
            return bool(data["hookSpecificOutput"]["additionalContext"])
        except (ValueError, KeyError, TypeError):
            return False
    return bool(stdout.strip())


def codex_trust_check() -> Check | None:
    """Whether Codex will run axi's user hooks (it skips an untrusted hook without a word)."""
    path = os.path.abspath(codex.hooks_path("user", cwd()))
    state = codex.json_state(codex.HOST, "user", path, codex.wanted(executable()))
    if state.state == "absent":
        return None
    verdict = codex.will_run(path)
    fix, argv = _setup("codex", "user")
    if verdict == "codex will run it":
        return Check("codex trust", "ok", f"{verdict} ({shown(codex.config_path())})")
    return Check("codex trust", "warn", verdict, fix, argv)


def skill_check() -> Check:
    for label, folder in SKILL_DIRS:
        path = os.path.join(folder(), "axi", "SKILL.md")
        if os.path.isfile(path):
            return Check("skill", "ok", f"installed for {label} ({shown(path)})")
    from axi.integrations.command import install_source
    from axi.text import shell_word

    return Check("skill", "warn", "not installed: agents learn axi only from the dashboard",
                 f"npx skills add {shell_word(install_source())} --skill axi -g")
