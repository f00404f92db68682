"""`axi doctor`: whether axi works here, and the one command that fixes what does not."""

from __future__ import annotations

import click

from axi import views
from axi.commands.tree import AxiCommand


@click.command(cls=AxiCommand, examples=("axi doctor", "axi doctor --fix",
                                         "axi doctor --format json"))
@click.option("--fix", is_flag=True, help="Run the fixes it names (only those), then check again.")
@click.option("--no-run", is_flag=True,
              help="Do not run the installed hooks (skips timing the session-start hook).")
def doctor(fix: bool, no_run: bool) -> dict:
    """Check config, stores, index, mailbox, hosts, hooks, trust, skill, prices, disk."""
    import time

    from axi.console import doctor as checkup
    from axi.errors import AxiError
    from axi.shown import Table

    started = time.monotonic()
    now = views.clock()
    found = checkup.run_all(now, run_hooks=not no_run)
    fixed = None
    if fix:
        fixed = checkup.apply(found)
        found = checkup.run_all(now, run_hooks=not no_run)
    counts = {s: sum(c.state == s for c in found) for s in ("ok", "warn", "fail")}
    summary = f"{counts['ok']} ok, {counts['warn']} warn, {counts['fail']} fail"
    data: dict = {"summary": summary, "took_ms": int((time.monotonic() - started) * 1000),
                  "checks": Table([c.row() for c in found])}
    if fixed is not None:
        data["fixed"] = fixed or "nothing to fix"
    hints = []
    if not fix and any(c.repair is not None and c.state != "ok" for c in found):
        hints.append(views.hint("axi doctor --fix", "runs the fixes that need no person"))
    hints.append(views.hint("axi log --level warn", "shows errors the hooks and the sweeper "
                            "swallowed"))
    if counts["fail"]:
        raise AxiError(f"{counts['fail']} of {len(found)} checks failed", code="DOCTOR_FAIL",
                       help=hints, **data)
    data["help"] = hints
    return data
