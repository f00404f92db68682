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

# Claude parent 9f4f93eb: message msg_fake_000002 is written twice (text, tool_use) with the
# same usage {input 10, cache_creation 6386, cache_read 12771, output 39}: counted once. Then
# msg_fake_000004 {input 5, cache_creation 6443, cache_read 12884, output 14}.
PARENT = {"input": 10 + 5, "output": 39 + 14, "reasoning": None, "cache_read": 12771 + 12884,
          "cache_write": 6386 + 6443}
# Its sub-agent agent-a65e326420b25327b: msg_fake_000003 {6, 3796, 7592, 14}.
AGENT = {"input": 6, "output": 14, "reasoning": None, "cache_read": 7592, "cache_write": 3796}
# The fork 2eba2c61 copies msg_fake_000005 (08:06:18.841, before its first enqueue at
# 08:06:20.562): only its own msg_fake_000006 {17, 6369, 12737, 10} counts.
FORK = {"input": 17, "output": 10, "reasoning": None, "cache_read": 12737, "cache_write": 6369}
# The fork's parent 0d7e1c2a: msg_fake_000005 {16, 6358, 12714, 10}.
FORKED = {"input": 16, "output": 10, "reasoning": None, "cache_read": 12714, "cache_write": 6358}
# The detached head 85d4eac1: msg_fake_000007 {5, 6386, 12771, 11}.
DETACHED = {"input": 5, "output": 11, "reasoning": None, "cache_read": 12771,
            "cache_write": 6386}
# Codex: token_count total_token_usage {input 10119, cached_input 6742, output 24,
# reasoning_output 12}. input includes cached input; output includes reasoning (the Responses
# API's output_tokens).
CODEX = {"input": 10119 - 6742, "output": 24, "reasoning": 12, "cache_read": 6742,
         "cache_write": 0}
# opencode: tokens {input 2570, output 12, reasoning 12, cache {read 5121, write 0}}, and
# total 7715 = 2570 + 12 + 12 + 5121: its output leaves reasoning out, so it is added.
OPENCODE = {"input": 2570, "output": 12 + 12, "reasoning": 12, "cache_read": 5121,
            "cache_write": 0}
# pi: usage {input 3, output 24, cacheRead 939, cacheWrite 470, cost.total 0.0024132} and
# {473, 25, 928, 0, cost.total 0.0006158}; pi records no reasoning count.
PI_THINK = {"input": 3, "output": 24, "reasoning": None, "cache_read": 939, "cache_write": 470}
PI_CHAT = {"input": 473, "output": 25, "reasoning": None, "cache_read": 928, "cache_write": 0}
# Session ids (Codex's and pi's are UUIDv7s of the same minute: 8 characters are not enough).
PARENT_ID, AGENT_ID = "9f4f93eb-b4ec-4e29-91ab-b2c8dba6b719", "agent-a65e326420b25327b"
FIRST, FORK_ID, DETACHED_ID = "0d7e1c2a-5b8f-4c3e-9a61-2f4b8d9e0a11", "2eba2c61", "85d4eac1"
CODEX_ID, OPENCODE_ID = "01a2453d-7044", "ses_dbac2820"
PI_THINK_ID, PI_CHAT_ID = "01a2453d-95c1", "01a2453d-9f55"

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
    data = view(axi, PARENT_ID[:8])
    assert data["tokens"] == PARENT
    assert data["cost"] == money(est(PARENT, OPUS)) + " (est)"
    assert data["subagents"] == 1
    total = {k: PARENT[k] + AGENT[k] for k in ("input", "output", "cache_read", "cache_write")}
    assert data["tokens_with_subagents"] == {**total, "reasoning": None}
    assert data["cost_with_subagents"] == money(est(total, OPUS)) + " (est)"
    # the last response's request: input 5 + cache_read 12884 + cache_creation 6443
    assert data["ctx_tokens"] == 5 + 12884 + 6443
    assert data["ctx"] == f"{round(100 * (5 + 12884 + 6443) / 1_000_000)}%"
    assert (data["model"], data["branch"]) == ("claude-opus-4-8", BRANCH)
    assert (data["title"], data["dir"]) == ("SUBAGENT please inspect this project", G)


def test_sub_agent_alone(axi, heldout_home):
    data = view(axi, AGENT_ID)
    assert data["tokens"] == AGENT and data["subagents"] == 0
    assert "tokens_with_subagents" not in data
    assert data["parent"] == PARENT_ID
    assert data["title"] == "Look at the current directory and report what it contains."


def test_fork_counts_only_its_new_response(axi, heldout_home):
    data = view(axi, FORK_ID)
    assert data["tokens"] == FORK
    assert data["cost"] == money(est(FORK, OPUS)) + " (est)"
    assert data["forked_from"] == FIRST
    assert data["title"] == "Describe the notes briefly"
    assert data["ctx_tokens"] == 17 + 12737 + 6369
    assert view(axi, FIRST[:8])["tokens"] == FORKED


def test_head_is_no_branch(axi, heldout_home):
    """Claude writes gitBranch "HEAD" in a plain folder and on a detached head alike."""
    assert "branch" not in view(axi, FIRST[:8])  # plain folder
    detached = view(axi, DETACHED_ID)
    assert "branch" not in detached and detached["tokens"] == DETACHED


def test_codex_reasoning_is_part_of_output(axi, heldout_home):
    data = view(axi, CODEX_ID)
    assert data["tokens"] == CODEX
    assert data["cost"] == money(est(CODEX, GPT5)) + " (est)"
    # last_token_usage.input_tokens 10119 of model_context_window 258400
    assert (data["ctx_tokens"], data["ctx"]) == (10119, f"{round(100 * 10119 / 258400)}%")
    assert (data["model"], data["branch"], data["dir"]) == ("gpt-5-codex", BRANCH, G)
    assert data["title"] == "THINK about what this project holds"


def test_opencode_reasoning_ctx_and_unpriced_cost(axi, heldout_home):
    data = view(axi, OPENCODE_ID)
    assert data["tokens"] == OPENCODE
    # opencode recorded cost 0 for a model with no price: unknown, never $0
    assert data["cost"].startswith("unknown")
    # input 2570 + cache read 5121 of the configured limit.context 128000
    assert (data["ctx_tokens"], data["ctx"]) == (7691, f"{round(100 * 7691 / 128000)}%")
    assert (data["model"], data["title"]) == ("fake-model",
                                              "ok: THINK about what this project holds")
    assert data["dir"] == G
    assert "branch" not in data  # no workspace


def test_pi_thinking_and_recorded_cost(axi, heldout_home):
    think = view(axi, PI_THINK_ID)
    assert think["tokens"] == PI_THINK and think["cost"] == money(0.0024132)
    # 3 + 939 + 470 of models.json contextWindow 200000
    assert think["ctx"] == f"{round(100 * (3 + 939 + 470) / 200000)}%"
    assert (think["model"], think["dir"]) == ("claude-fake-sonnet", G)
    chat = view(axi, PI_CHAT_ID)
    assert chat["tokens"] == PI_CHAT and chat["cost"] == money(0.0006158)
    assert chat["ctx"] == f"{round(100 * (473 + 928) / 128000)}%"
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
    assert sum(r["reasoning"] or 0 for r in rows) == total["reasoning"] == 12 + 12
    # the sub-agent is part of its parent: 8 sessions, not 9
    assert total["sessions"] == 8
    if by == "harness":
        assert {r["harness"]: r["reasoning"] for r in rows} == {
            "claude": None, "codex": 12, "opencode": 12, "pi": None}


def test_list_fields_own_and_with_sub_agents(axi, heldout_home):
    result = axi("sessions", "--all", "--fields",
                 "tokens,reasoning,cost,tokens_with_subagents,cost_with_subagents,branch")
    sessions = result.data["sessions"]

    def row(sid: str) -> dict:
        """The listed session whose (shortest unique) id `sid` starts with."""
        [found] = [r for r in sessions if sid.startswith(r["id"])]
        return found

    parent = row(PARENT_ID)
    own = sum(v for k, v in PARENT.items() if k != "reasoning")
    both = own + sum(v for k, v in AGENT.items() if k != "reasoning")
    assert (parent["tokens"], parent["tokens_with_subagents"]) == (
        f"{own / 1000:.1f}k", f"{both / 1000:.1f}k")
    assert parent["branch"] == BRANCH and parent["reasoning"] is None
    assert row(CODEX_ID)["reasoning"] == 12 and row(OPENCODE_ID)["reasoning"] == 12


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
