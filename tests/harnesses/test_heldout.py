"""The held-out sessions (tests/heldout/README.md), field by field.

Every figure is worked out here from the recorded lines (quoted in the comments), never copied
from axi's output: own tokens and cost, the total with sub-agents, reasoning, ctx, branch.
"""

from __future__ import annotations

import calendar
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

HELDOUT = Path(__file__).resolve().parent.parent / "heldout"
G, D, P = (f"/tmp/axi-heldout/home/work/{name}" for name in ("projG", "projD", "projP"))
BRANCH = "heldout/sub-agents"

# Claude parent 5c957976: message msg_fake8e0e… is written twice (text, tool_use) with the same
# usage {input 4, cache_creation 6385, cache_read 12778, output 71}: counted once. Then
# msg_fake9b6f… {input 30, cache_creation 6417, cache_read 12894, output 30}.
PARENT = {"input": 4 + 30, "output": 71 + 30, "reasoning": None, "cache_read": 12778 + 12894,
          "cache_write": 6385 + 6417}
# Its sub-agent agent-aec46069c1504c522: msg_fakee911… {38, 3760, 7596, 23}.
AGENT = {"input": 38, "output": 23, "reasoning": None, "cache_read": 7596, "cache_write": 3760}
# The fork 4f6480f8 copies msg_fake3106… (07:50:29, before its first enqueue at 07:50:30.765):
# only its own msg_fake2254… {34, 6341, 12748, 19} counts.
FORK = {"input": 34, "output": 19, "reasoning": None, "cache_read": 12748, "cache_write": 6341}
FORKED = {"input": 36, "output": 19, "reasoning": None, "cache_read": 12725, "cache_write": 6327}
DETACHED = {"input": 36, "output": 20, "reasoning": None, "cache_read": 12774,
            "cache_write": 6352}
# Codex: thread_token_usage {input 10119, cached_input 6746, output 109, reasoning_output 12}.
# input includes cached input; output includes reasoning (the Responses API's output_tokens).
CODEX = {"input": 10119 - 6746, "output": 109, "reasoning": 12, "cache_read": 6746,
         "cache_write": 0}
# opencode: tokens {input 2560, output 4, reasoning 10, cache {read 5120, write 0}}, and
# total 7694 = 2560 + 4 + 10 + 5120: its output leaves reasoning out, so it is added.
OPENCODE = {"input": 2560, "output": 4 + 10, "reasoning": 10, "cache_read": 5120,
            "cache_write": 0}
# pi: usage {input 9, output 53, cacheRead 941, cacheWrite 462, cost.total 0.0028368} and
# {467, 15, 934, 0, cost.total 0.0005904}; pi records no reasoning count.
PI_THINK = {"input": 9, "output": 53, "reasoning": None, "cache_read": 941, "cache_write": 462}
PI_CHAT = {"input": 467, "output": 15, "reasoning": None, "cache_read": 934, "cache_write": 0}

# Prices per million tokens in the bundled genai-prices snapshot (December 2026).
OPUS = (5, 25, 0.5, 6.25)  # claude-opus-4-8: in, out, cache read, cache write; 1M window
GPT5 = (1.25, 10, 0.125)  # gpt-5-codex (priced as gpt-5): in, out, cached in; 400k window


def est(t: dict, rates: tuple) -> float:
    """Output (reasoning included) is billed at the output rate; nothing is added for it."""
    parts = (t["input"], t["output"], t["cache_read"], t["cache_write"])[:len(rates)]
    return sum(n * r for n, r in zip(parts, rates, strict=True)) / 1e6


def money(usd: float) -> str:
    return f"${usd:.4f}"


@pytest.fixture
def heldout_home(home, monkeypatch):
    for harness in ("claude", "codex", "opencode", "pi"):
        shutil.copytree(HELDOUT / harness / "home", home, dirs_exist_ok=True)
    monkeypatch.setenv("AXI_NOW", str(calendar.timegm(time.strptime("2026-12-06", "%Y-%m-%d"))))
    return home


def view(axi, sid: str) -> dict:
    result = axi("sessions", "view", sid)
    assert result.code == 0, result.stdout
    return result.data


def test_claude_parent_shows_its_own_usage_and_the_total_with_its_sub_agent(axi, heldout_home):
    data = view(axi, "5c957976")
    assert data["tokens"] == PARENT
    assert data["cost"] == money(est(PARENT, OPUS)) + " (est)"
    assert data["subagents"] == 1
    total = {k: PARENT[k] + AGENT[k] for k in ("input", "output", "cache_read", "cache_write")}
    assert data["tokens_with_subagents"] == {**total, "reasoning": None}
    assert data["cost_with_subagents"] == money(est(total, OPUS)) + " (est)"
    # the last response's request: input 30 + cache_read 12894 + cache_creation 6417
    assert data["ctx_tokens"] == 30 + 12894 + 6417
    assert data["ctx"] == f"{round(100 * (30 + 12894 + 6417) / 1_000_000)}%"
    assert (data["model"], data["branch"]) == ("claude-opus-4-8", BRANCH)
    assert (data["title"], data["dir"]) == ("SUBAGENT please inspect this project", G)


def test_sub_agent_alone(axi, heldout_home):
    data = view(axi, "agent-aec46069c1504c522")
    assert data["tokens"] == AGENT and data["subagents"] == 0
    assert "tokens_with_subagents" not in data
    assert data["parent"] == "5c957976-1959-491b-9f41-20d27df79058"
    assert data["title"] == "Look at the current directory and report what it contains."


def test_fork_counts_only_its_new_response(axi, heldout_home):
    data = view(axi, "4f6480f8")
    assert data["tokens"] == FORK
    assert data["cost"] == money(est(FORK, OPUS)) + " (est)"
    assert data["forked_from"] == "0d7e1c2a-5b8f-4c3e-9a61-2f4b8d9e0a11"
    assert data["title"] == "Describe the notes briefly"
    assert data["ctx_tokens"] == 34 + 12748 + 6341
    assert view(axi, "0d7e1c2a")["tokens"] == FORKED


def test_head_is_no_branch(axi, heldout_home):
    """Claude writes gitBranch "HEAD" in a plain folder and on a detached head alike."""
    assert "branch" not in view(axi, "0d7e1c2a")  # plain folder
    detached = view(axi, "d110bb25")
    assert "branch" not in detached and detached["tokens"] == DETACHED


def test_codex_reasoning_is_part_of_output(axi, heldout_home):
    data = view(axi, "01a2452e")
    assert data["tokens"] == CODEX
    assert data["cost"] == money(est(CODEX, GPT5)) + " (est)"
    # last_token_usage.input_tokens 10119 of model_context_window 258400
    assert (data["ctx_tokens"], data["ctx"]) == (10119, f"{round(100 * 10119 / 258400)}%")
    assert (data["model"], data["branch"], data["dir"]) == ("gpt-5-codex", BRANCH, G)
    assert data["title"] == "THINK about what this project holds"


def test_opencode_reasoning_ctx_and_unpriced_cost(axi, heldout_home):
    data = view(axi, "ses_dbad100e")
    assert data["tokens"] == OPENCODE
    # opencode recorded cost 0 for a model with no price: unknown, never $0
    assert data["cost"].startswith("unknown")
    # input 2560 + cache read 5120 of the configured limit.context 128000
    assert (data["ctx_tokens"], data["ctx"]) == (7680, f"{round(100 * 7680 / 128000)}%")
    assert (data["model"], data["title"]) == ("fake-model",
                                              "ok: THINK about what this project holds")
    assert "branch" not in data  # no workspace


def test_pi_thinking_and_recorded_cost(axi, heldout_home):
    think = view(axi, "01a2452f-11bf")
    assert think["tokens"] == PI_THINK and think["cost"] == money(0.0028368)
    # 9 + 941 + 462 of models.json contextWindow 200000
    assert think["ctx"] == f"{round(100 * (9 + 941 + 462) / 200000)}%"
    assert (think["model"], think["dir"]) == ("claude-fake-sonnet", G)
    chat = view(axi, "01a2452f-1a8d")
    assert chat["tokens"] == PI_CHAT and chat["cost"] == money(0.0005904)
    assert chat["ctx"] == f"{round(100 * (467 + 934) / 128000)}%"
    assert chat["title"] == "THINK briefly about chat completions"


EVERY = [PARENT, AGENT, FORK, FORKED, DETACHED, CODEX, OPENCODE, PI_THINK, PI_CHAT]


@pytest.mark.parametrize("by", ["day", "harness", "model", "dir"])
def test_usage_counts_each_token_once_however_grouped(axi, heldout_home, monkeypatch, by):
    from axi import views

    monkeypatch.setattr(views, "tokens", lambda n: n)  # whole numbers, to add them up
    result = axi("usage", "--by", by, "--days", "0", "--limit", "100")
    assert result.code == 0, result.stdout
    rows, total = result.data["rows"], result.data["total"]
    for kind in ("input", "output", "cache_read", "cache_write"):
        by_hand = sum(t[kind] for t in EVERY)
        assert sum(r[kind] for r in rows) == total[kind] == by_hand, kind
    assert sum(r["reasoning"] or 0 for r in rows) == total["reasoning"] == 12 + 10
    # the sub-agent is part of its parent: 8 sessions, not 9
    assert total["sessions"] == 8
    if by == "harness":
        assert {r["harness"]: r["reasoning"] for r in rows} == {
            "claude": None, "codex": 12, "opencode": 10, "pi": None}


def test_list_fields_own_and_with_sub_agents(axi, heldout_home):
    result = axi("sessions", "--all", "--fields",
                 "tokens,reasoning,cost,tokens_with_subagents,cost_with_subagents,branch")
    rows = {r["id"][:8]: r for r in result.data["sessions"]}
    parent = rows["5c957976"]
    own = sum(v for k, v in PARENT.items() if k != "reasoning")
    both = own + sum(v for k, v in AGENT.items() if k != "reasoning")
    assert (parent["tokens"], parent["tokens_with_subagents"]) == (
        f"{own / 1000:.1f}k", f"{both / 1000:.1f}k")
    assert parent["branch"] == BRANCH and parent["reasoning"] is None
    assert rows["01a2452e"]["reasoning"] == 12 and rows["ses_dbad"]["reasoning"] == 10


def test_opencode_branch_comes_from_its_workspace(heldout_home):
    """`session.workspace_id` -> `workspace.branch` (tests/corpus/opencode/opencode.db.schema.sql);
    the recorded session has no workspace, so one is added to a copy here."""
    from axi.index import store
    from axi.index.scan import refresh

    db = heldout_home / ".local/share/opencode/opencode.db"
    conn = sqlite3.connect(db)
    project = conn.execute("SELECT project_id FROM session").fetchone()[0]
    conn.execute("INSERT INTO workspace (id, type, name, branch, directory, project_id, "
                 "time_used) VALUES ('wrk_1', 'worktree', 'w', 'feature/ws', ?, ?, 0)",
                 (G, project))
    conn.execute("UPDATE session SET workspace_id = 'wrk_1'")
    conn.commit()
    conn.close()
    index = store.connect()
    refresh(index)
    row = index.execute("SELECT git_branch FROM sessions WHERE harness = 'opencode'").fetchone()
    assert row[0] == "feature/ws"
