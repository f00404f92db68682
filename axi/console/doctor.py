"""Running every check in order, and `--fix`: run exactly the repairs the checks name."""

from __future__ import annotations

import subprocess

from axi.console import checks, hookcheck, hostcheck
from axi.console.checks import Check

FIX_TIMEOUT = 60


def run_all(now: float, run_hooks: bool = True) -> list[Check]:
    hosts = hostcheck.start()  # every [[host]] asked at once, while the rest is checked
    index, counts = checks.index_check(now)
    out = [checks.config_check(), checks.state_dir_check()]
    out += checks.store_checks(counts, now)
    out += [index, checks.mailbox_check()]
    team = checks.team_mailbox_check()
    if team is not None:
        out.append(team)
    after_mailbox = len(out)
    out += hookcheck.hook_checks(run_hooks)
    trust = hookcheck.codex_trust_check()
    if trust:
        out.append(trust)
    out += [hookcheck.skill_check(), checks.prices_check(now), checks.disk_check()]
    out[after_mailbox:after_mailbox] = hosts()
    return out


def apply(found: list[Check]) -> list[dict]:
    """Run each repair a non-ok check carries, once (the same command fixing several checks
    runs once); what needs a person is listed, not run."""
    done: list[dict] = []
    ran: set[str] = set()
    for check in found:
        if check.state == "ok" or not check.fix:
            continue
        if check.repair is None:
            done.append({"name": check.name, "fix": check.fix, "result": "by hand"})
            continue
        if check.fix in ran:
            continue
        ran.add(check.fix)
        done.append({"name": check.name, "fix": check.fix, "result": _run(check.repair)})
    return done


def _run(repair) -> str:
    if callable(repair):
        try:
            return repair()
        except OSError as exc:
            return f"failed: {exc}"
    try:
        proc = subprocess.run(repair, capture_output=True, text=True, timeout=FIX_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"failed: {exc}"
    if proc.returncode:
        last = (proc.stdout.strip().splitlines() or ["no output"])[0]
        return f"failed (exit {proc.returncode}): {last[:160]}"
    return "done"
