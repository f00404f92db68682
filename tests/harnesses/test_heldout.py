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
# Codex sub-agent: the parent 01a24610-7378 calls spawn_agent, then wait_agent on the id it
# returned, then answers. Its three responses' last_token_usage: {input 10107, cached_input
# 6730, output 29}, {10217, 6810, 21}, {10419, 6934, 14}, reasoning_output 0 each; the last
# total_token_usage {30743, 20474, 64, 0} is their sum: the child's request is not in it.
CODEX_PARENT = {"input": (10107 - 6730) + (10217 - 6810) + (10419 - 6934), "output": 29 + 21 + 14,
                "reasoning": 0, "cache_read": 6730 + 6810 + 6934, "cache_write": 0}
# Its child thread 01a24610-73fb: session_meta source {"subagent": {"thread_spawn":
# {"parent_thread_id": "01a24610-7378-…", "depth": 1, "agent_nickname": "Mendel"}}};
# one response, total_token_usage {input 7710, cached_input 5132, output 14, reasoning 0}.
CODEX_CHILD = {"input": 7710 - 5132, "output": 14, "reasoning": 0, "cache_read": 5132,
               "cache_write": 0}
# opencode: tokens {input 2570, output 12, reasoning 12, cache {read 5121, write 0}}, and
# total 7715 = 2570 + 12 + 12 + 5121: its output leaves reasoning out, so it is added.
OPENCODE = {"input": 2570, "output": 12 + 12, "reasoning": 12, "cache_read": 5121,
            "cache_write": 0}
# opencode sub-agent: the parent ses_db9ef6c6 has two assistant messages, tokens {input 2571,
# output 46, reasoning 0, cache {read 5121, write 0}} (finish "tool-calls": the `task` call)
# and {2612, 14, 0, {5212, 0}} (finish "stop").
OC_PARENT = {"input": 2571 + 2612, "output": 46 + 14, "reasoning": 0, "cache_read": 5121 + 5212,
             "cache_write": 0}
# Its child session ses_db9ef66e (session.parent_id ses_db9ef6c6…, agent "general", title
# "Inspect project files (@general subagent)"): {2028, 14, 0, {4033, 0}}.
OC_CHILD = {"input": 2028, "output": 14, "reasoning": 0, "cache_read": 4033, "cache_write": 0}
# pi: usage {input 3, output 24, cacheRead 939, cacheWrite 470, cost.total 0.0024132} and
# {473, 25, 928, 0, cost.total 0.0006158}; pi records no reasoning count.
PI_THINK = {"input": 3, "output": 24, "reasoning": None, "cache_read": 939, "cache_write": 470}
PI_CHAT = {"input": 473, "output": 25, "reasoning": None, "cache_read": 928, "cache_write": 0}
# Session ids (Codex's and pi's are UUIDv7s of the same minute: 8 characters are not enough).
PARENT_ID, AGENT_ID = "9f4f93eb-b4ec-4e29-91ab-b2c8dba6b719", "agent-a65e326420b25327b"
FIRST, FORK_ID, DETACHED_ID = "0d7e1c2a-5b8f-4c3e-9a61-2f4b8d9e0a11", "2eba2c61", "85d4eac1"
CODEX_ID, OPENCODE_ID = "01a2453d-7044", "ses_db9ef802"
CODEX_PARENT_ID = "01a24610-7378-7603-a0d9-95abb856b61d"
CODEX_CHILD_ID = "01a24610-73fb-7372-8470-4981208b1af2"
OC_PARENT_ID, OC_CHILD_ID = "ses_db9ef6c64ffe1rXmsbryUssLK7", "ses_db9ef66edffeoj32B3lcA8zHJ0"
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


def both(own: dict, child: dict) -> dict:
    """A parent's tokens with its sub-agent's: each kind added (reasoning too, when counted)."""
    return {k: None if own[k] is None else own[k] + child[k] for k in own}


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


def test_codex_sub_agent_thread_apart_from_its_parent(axi, heldout_home):
    parent = view(axi, CODEX_PARENT_ID[:13])
    assert parent["tokens"] == CODEX_PARENT
    assert parent["cost"] == money(est(CODEX_PARENT, GPT5)) + " (est)"
    assert parent["subagents"] == 1
    total = both(CODEX_PARENT, CODEX_CHILD)
    assert parent["tokens_with_subagents"] == total
    assert parent["cost_with_subagents"] == money(est(total, GPT5)) + " (est)"
    # the last response's last_token_usage.input_tokens, of model_context_window 258400
    assert (parent["ctx_tokens"], parent["ctx"]) == (10419, f"{round(100 * 10419 / 258400)}%")
    assert (parent["title"], parent["branch"], parent["dir"]) == (
        "SUBAGENT please inspect this project", BRANCH, G)
    assert "parent" not in parent
    child = view(axi, CODEX_CHILD_ID[:13])
    assert child["tokens"] == CODEX_CHILD and child["subagents"] == 0
    assert child["cost"] == money(est(CODEX_CHILD, GPT5)) + " (est)"
    assert "tokens_with_subagents" not in child
    assert child["parent"] == CODEX_PARENT_ID
    assert child["title"] == "Look at the current directory and report what it contains."
    assert (child["ctx_tokens"], child["model"], child["dir"]) == (7710, "gpt-5-codex", G)


def test_opencode_child_session_apart_from_its_parent(axi, heldout_home):
    parent = view(axi, OC_PARENT_ID[:12])
    assert parent["tokens"] == OC_PARENT
    assert parent["subagents"] == 1
    assert parent["tokens_with_subagents"] == both(OC_PARENT, OC_CHILD)
    # cost 0 recorded for the unpriced model, by the parent and the child alike
    assert parent["cost"].startswith("unknown")
    assert parent["cost_with_subagents"].startswith("unknown")
    # the last message: input 2612 + cache read 5212
    assert parent["ctx_tokens"] == 2612 + 5212
    assert parent["title"] == "ok: SUBAGENT please inspect this project"
    assert "parent" not in parent
    child = view(axi, OC_CHILD_ID[:12])
    assert child["tokens"] == OC_CHILD and child["subagents"] == 0
    assert "tokens_with_subagents" not in child
    assert child["parent"] == OC_PARENT_ID
    assert child["title"] == "Inspect project files (@general subagent)"
    assert (child["ctx_tokens"], child["dir"]) == (2028 + 4033, G)


def test_children_are_indexed_as_sub_agents_of_their_parents(heldout_home):
    from axi.index import store
    from axi.index.scan import refresh

    index = store.connect()
    refresh(index)
    rows = {sid: (bool(sub), parent) for sid, sub, parent in index.execute(
        "SELECT id, is_subagent, parent_id FROM sessions WHERE harness IN ('codex', 'opencode')")}
    assert rows[CODEX_CHILD_ID] == (True, CODEX_PARENT_ID)
    assert rows[OC_CHILD_ID] == (True, OC_PARENT_ID)
    subs = {sid for sid, (sub, _) in rows.items() if sub}
    assert subs == {CODEX_CHILD_ID, OC_CHILD_ID}
    assert not any(parent for sid, (_, parent) in rows.items() if sid not in subs)


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


BY_HARNESS = {"claude": [PARENT, AGENT, FORK, FORKED, DETACHED],
              "codex": [CODEX, CODEX_PARENT, CODEX_CHILD],
              "opencode": [OPENCODE, OC_PARENT, OC_CHILD], "pi": [PI_THINK, PI_CHAT]}
EVERY = [t for sessions in BY_HARNESS.values() for t in sessions]


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
    # each sub-agent is part of its parent: 10 sessions, not 13
    assert total["sessions"] == len(EVERY) - 3 == 10
    if by == "harness":
        assert {r["harness"]: r["reasoning"] for r in rows} == {
            "claude": None, "codex": 12, "opencode": 12, "pi": None}
        for row in rows:
            hand = BY_HARNESS[row["harness"]]
            assert [row[k] for k in ("input", "output", "cache_read", "cache_write")] == [
                sum(t[k] for t in hand) for k in ("input", "output", "cache_read", "cache_write")]


def test_list_fields_own_and_with_sub_agents(axi, heldout_home):
    result = axi("sessions", "--all", "--fields",
                 "tokens,reasoning,cost,tokens_with_subagents,cost_with_subagents,branch")
    sessions = result.data["sessions"]

    def row(sid: str) -> dict:
        """The listed session whose (shortest unique) id `sid` starts with."""
        [found] = [r for r in sessions if sid.startswith(r["id"])]
        return found

    def summed(t: dict) -> int:
        return sum(v for k, v in t.items() if k != "reasoning")

    for sid, own, child in ((PARENT_ID, PARENT, AGENT), (CODEX_PARENT_ID, CODEX_PARENT,
                                                          CODEX_CHILD),
                            (OC_PARENT_ID, OC_PARENT, OC_CHILD)):
        parent = row(sid)
        assert (parent["tokens"], parent["tokens_with_subagents"]) == (
            f"{summed(own) / 1000:.1f}k", f"{(summed(own) + summed(child)) / 1000:.1f}k"), sid
        assert parent["reasoning"] == own["reasoning"]
    assert row(PARENT_ID)["branch"] == row(CODEX_PARENT_ID)["branch"] == BRANCH
    assert row(CODEX_ID)["reasoning"] == 12 and row(OPENCODE_ID)["reasoning"] == 12
    # sub-agents are no rows of their own (`--subagents` lists them)
    listed = {r["id"] for r in sessions}
    assert not any(CODEX_CHILD_ID.startswith(i) or OC_CHILD_ID.startswith(i) for i in listed)


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
