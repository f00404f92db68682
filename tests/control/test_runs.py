"""Runs, metrics and recipes: a coordinator-style script, a live tree stopped root last, the
run list, the Prometheus file, and the shipped coordinator recipe."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from control_support import axi_json, axi_toon, wait_for

from axi.control import records

SCRIPT = r"""
set -e
axi() { "$PY" -m axi "$@"; }
R=run-script
# Two headless workers in one run, with a spending limit and a check each must pass.
a=$(axi sessions new claude "write part a" --headless --run $R --max-cost 5 \
      --accept "test -f ready.txt" | sed -n 's/^id: //p')
b=$(axi sessions new claude "write part b" --headless --run $R --max-cost 5 \
      --accept "test -f ready.txt" | sed -n 's/^id: //p')
axi sessions wait "$a" "$b"
axi sessions result "$a"
axi sessions result "$b"
echo "workers: $a $b" >&2
"""


def test_no_runs_is_a_definitive_empty_state(control_home):
    code, data = axi_toon("runs", cwd=control_home)
    assert code == 0 and data["runs"] == "0 runs"
    assert "axi sessions new" in data["help"][0]
    code, data = axi_toon("runs", "--outcome", "success", cwd=control_home)
    assert data["runs"] == "0 runs with outcome success"
    code, data = axi_toon("metrics", cwd=control_home)
    assert code == 0 and data["runs"] == "0 runs"
    assert data["sessions"] == "0 sessions launched by axi"


def test_a_coordinator_style_script_concludes_its_run_with_success(control_home, tmp_path):
    (control_home / "ready.txt").write_text("ok\n")
    done = subprocess.run(["sh", "-c", SCRIPT], cwd=control_home, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PY": sys.executable})
    assert done.returncode == 0, done.stdout + done.stderr
    ids = done.stderr.split("workers: ")[1].split()
    assert len(ids) == 2 and done.stdout.count("outcome: success") == 2

    run = wait_for(lambda: (v := axi_toon("runs", "run-script", cwd=control_home)[1])
                   ["outcome"] != "live" and v)
    assert run["outcome"] == "success" and "root" not in run  # a script's run has no root
    assert run["fences"] == {"max_cost": "$5", "max_depth": 1}
    assert run["totals"]["sessions"] == 2 and run["totals"]["live"] == 0
    assert run["totals"]["cost"].startswith("$0.0") and "(est)" in run["totals"]["cost"]
    assert [(t["id"], t["depth"], t["outcome"], t["status"]) for t in run["tree"]] == [
        (ids[0][:8], 1, "success", "done"), (ids[1][:8], 1, "success", "done")]

    code, listed = axi_toon("runs", "--fields", "live,tokens,duration", cwd=control_home)
    assert listed["count"] == "1 of 1 total"
    row = listed["runs"][0]
    assert (row["id"], row["outcome"], row["sessions"], row["live"]) == (
        "run-script", "success", 2, 0)
    assert row["tokens"] == 2 * (20 + 12 + 100 + 50)

    prom = tmp_path / "axi.prom"
    code, metrics = axi_toon("metrics", "--prom", str(prom), cwd=control_home)
    assert code == 0 and metrics["prom"] == str(prom)
    assert metrics["runs"]["success"] == 1 and metrics["runs"]["total"] == 1
    assert metrics["sessions"]["success"] == 2 and metrics["sessions"]["live"] == 0
    assert metrics["usage"]["output"] == 24
    text = prom.read_text()
    assert 'axi_runs{outcome="success"} 1\n' in text
    assert 'axi_sessions{outcome="success"} 2\n' in text
    assert 'axi_tokens{kind="output"} 24\n' in text
    assert "axi_run_duration_seconds_count 1\n" in text
    sample = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"\})? -?[0-9.e+-]+$')
    for line in text.splitlines():
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or sample.match(line)
    assert not list(tmp_path.glob(".axi.prom.*"))  # the temporary file was renamed


def test_a_live_run_shows_its_tree_and_stops_root_last(control_home):
    code, root = axi_toon("sessions", "new", "claude", "hello", "--max-depth", "2",
                          "--name", "coordinator", cwd=control_home)
    run = root["run"]
    axi_json("sessions", "type", root["id"], 'axi sessions new claude "child task" --name kid',
             cwd=control_home)
    view = wait_for(lambda: len((v := axi_toon("runs", run, cwd=control_home)[1])["tree"]) == 2
                    and v)
    assert view["outcome"] == "live" and view["totals"]["live"] == 2
    names = [(t["name"], t["depth"], t["parent"]) for t in view["tree"]]
    assert names == [("coordinator", 1, None), ("kid", 2, root["id"][:8])]
    assert any(f"axi sessions kill --run {run}" in h for h in view["help"])
    code, listed = axi_toon("runs", cwd=control_home)
    assert listed["runs"][0]["outcome"] == "live" and listed["runs"][0]["sessions"] == 2

    code, killed = axi_toon("sessions", "kill", "--run", run, cwd=control_home)
    assert code == 0 and len(killed["killed"]) == 2
    conn = records.connect()
    rows = {r["id"]: r for r in records.members(conn, run)}
    kid = next(i for i in rows if i != root["id"])
    assert killed["killed"][-1]["id"] == root["id"]
    assert rows[root["id"]]["ended"] >= rows[kid]["ended"]
    view = wait_for(lambda: (v := axi_toon("runs", run, cwd=control_home)[1])["outcome"]
                    != "live" and v)
    assert view["outcome"] == "gave_up" and view["totals"]["live"] == 0


def test_recipes_list_path_and_launch(control_home):
    code, listed = axi_toon("recipes", cwd=control_home)
    assert code == 0 and [r["name"] for r in listed["recipes"]] == ["coordinator"]
    assert "worker sessions" in listed["recipes"][0]["summary"]
    code, path = axi_toon("recipes", "--path", "coordinator", cwd=control_home)
    assert code == 0 and isinstance(path, str) and path.endswith("coordinator.md")
    text = Path(path).read_text()
    for needed in ("axi sessions new", "--headless", "axi sessions wait", "axi sessions result",
                   "--follow", "axi ask", "axi sessions tag --outcome success", "gave_up"):
        assert needed in text, needed
    code, missing = axi_toon("recipes", "--path", "nope", cwd=control_home)
    assert code == 1 and missing["code"] == "NOT_FOUND" and "coordinator" in missing["help"][0]
    code, shown = axi_toon("recipes", "coordinator", cwd=control_home)
    assert "truncated" in shown["text"] and "--full" in shown["text"]

    code, done = axi_toon("sessions", "new", "claude", "the goal", "--behavior", path,
                          "--wait", cwd=control_home)
    assert code == 0
    report = axi_json("sessions", "result", done["sessions"][0]["id"], "--full",
                      cwd=control_home)
    assert report["report"].startswith("ok: # Coordinator")
    assert report["report"].endswith("the goal")


def test_runs_list_limit_fields_and_lookup(control_home):
    conn = records.connect()
    for n, outcome in enumerate(("success", "budget_hit", None)):
        with records.db.write(conn):
            records.join_run(conn, f"run-{n}abc", None, f"task {n}", {}, {"max_depth": 1})
            conn.execute("UPDATE runs SET started = ? WHERE id = ?", (1000.0 + n, f"run-{n}abc"))
        if outcome:
            records.conclude_run(conn, f"run-{n}abc", outcome, "why", {})
    code, listed = axi_toon("runs", "--limit", "2", cwd=control_home)
    assert listed["count"] == "2 of 3 total"
    assert [(r["id"], r["outcome"]) for r in listed["runs"]] == [
        ("run-2abc", "live"), ("run-1abc", "budget_hit")]
    assert any("--limit 3" in h for h in listed["help"])
    code, only = axi_toon("runs", "--outcome", "budget_hit", "--fields", "reason",
                          cwd=control_home)
    assert [(r["id"], r["reason"]) for r in only["runs"]] == [("run-1abc", "why")]
    code, bad = axi_toon("runs", "--fields", "colour", cwd=control_home)
    assert code == 2 and "duration" in bad["help"][0]
    code, one = axi_toon("runs", "run-1", cwd=control_home)
    assert code == 0 and one["run"] == "run-1abc" and one["fences"] == {"max_depth": 1}
    code, many = axi_toon("runs", "run-", cwd=control_home)
    assert code == 1 and many["code"] == "AMBIGUOUS"
    code, none = axi_toon("runs", "run-zzz", cwd=control_home)
    assert code == 1 and none["code"] == "NOT_FOUND"



def test_kill_order_is_deepest_first_and_the_root_last():
    from axi.control.runs import kill_order, run_outcome

    def row(ident, depth, outcome=None, created=0.0):
        return {"id": ident, "session": ident, "depth": depth, "created": created,
                "outcome": outcome}

    rows = [row("root", 1, created=1), row("a", 2, created=2), row("top", 1, created=3),
            row("b", 3, created=4), row("c", 2, created=5)]
    assert [r["id"] for r in kill_order(rows, "root")] == ["b", "a", "c", "top", "root"]
    done = [row("root", 1, "gave_up"), row("a", 2, "success")]
    assert run_outcome("root", done) == "gave_up"
    assert run_outcome(None, [row("a", 1, "success"), row("b", 1, "success")]) == "success"
    assert run_outcome(None, [row("a", 1, "success"), row("b", 1, "crashed")]) == "crashed"
    assert run_outcome(None, [row("a", 1, "success"), row("b", 1, "killed")]) == "gave_up"


def test_a_run_whose_holder_died_concludes_crashed_when_looked_at(control_home):
    from axi.control import live, proc

    code, started = axi_toon("sessions", "new", "claude", "hello", cwd=control_home)
    conn = records.connect()
    row = wait_for(lambda: (r := records.get(conn, started["id"]))["holder_pid"]
                   and live.state(r)[0] == live.LIVE and r)
    os.kill(row["holder_pid"], 9)
    view = wait_for(lambda: (v := axi_toon("runs", started["run"], cwd=control_home)[1])
                    ["outcome"] != "live" and v)
    assert view["outcome"] == "crashed" and view["tree"][0]["status"] == "crashed"
    wait_for(lambda: not proc.same(row["child_pid"], row["child_token"]))
