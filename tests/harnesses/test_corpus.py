"""Every session in the real corpus is found with the right facts (tests/corpus/README.md)."""

from __future__ import annotations

import pytest

from axi.index import store
from axi.index.scan import refresh

# id: (dir, model of the last response, title, turns, input, output, cache_read, cache_write)
EXPECTED = {
    # Claude: usage deduplicated per message.id; the fork counts only its own new response.
    "cb4228d5-fe8a-4429-b9c5-afb1e5530257": ("projA", "claude-opus-4-8",
                                             "Say hello from project A", 2, 54, 40, 25463, 12678),
    "01ccc0ac-fd6c-4774-b4ad-6f572968231c": (
        "projA", "claude-opus-4-8", "TOOLCALL please list the files in this directory", 1,
        50, 76, 25509, 12706),
    "45c23dc2-d2fb-4fb1-9481-d64616e0f759": (
        "projB", "claude-sonnet-4-5", "THINK about what project B contains", 1,
        23, 53, 19253, 9604),
    "17ce7ca7-6fb8-4d59-85a9-77a654db600d": ("projB", "claude-sonnet-4-5",
                                             "Describe main.rs briefly", 2, 46, 40, 38531, 19220),
    "d1c9ea04-48cc-400c-bd6d-24a35bf2818b": ("projB", "claude-sonnet-4-5",
                                             "Describe main.rs briefly", 3, 26, 19, 19304, 9627),
    "f8637610-d72b-40f9-aa00-6bb029ea83cb": ("projC", "claude-opus-4-8",
                                             "SUBAGENT please inspect this project", 1,
                                             58, 101, 25663, 12774),
    "agent-a1dd16982462dcf0b": ("projC", "claude-opus-4-8",
                                "Look at the current directory and report what it contains.", 1,
                                35, 23, 7594, 3762),
    # Codex: cumulative totals, input split into fresh and cached; model of the last turn.
    "01a20071-0e9a-7c73-a76f-bb4af35aec4b": ("projA", "gpt-5-codex", "Say hello from project A",
                                             2, 6719, 113, 13436, 0),
    "01a20071-2825-79a2-b468-86a388ee4a67": (
        "projA", "gpt-5-codex", "TOOLCALL please list the files in this directory", 1,
        6731, 120, 13459, 0),
    "01a20071-3a03-7ae3-9edd-855908e4b9cf": ("projB", "gpt-5-codex",
                                             "THINK about what project B contains", 1,
                                             3350, 109, 6698, 0),
    "01a20071-3b6c-70d1-8fa1-f2b1cecec84d": ("projB", "gpt-5-codex", "Describe main.rs briefly",
                                             2, 8189, 112, 16376, 0),
    "01a20072-afdc-7270-8a11-791ae668bfdd": ("projC", "gpt-5-codex",
                                             "Explain lib.py in one line", 1, 3356, 56, 6710, 0),
    # opencode: titles from the database (generated, or --title), prompts unquoted.
    "ses_dff8e8c8affesBfsgBG6wdOO97": ("projA", "fake-model", 'ok: "Say hello from project A"',
                                       2, 5129, 26, 10258, 0),
    "ses_dff8e411bffeeh7NMkjnLvNY2V": ("projA", "fake-model",
                                       'ok: "TOOLCALL please list the files in this', 1,
                                       5147, 59, 10292, 0),
    "ses_dff8e23f4ffehqjsAzqxTKhG8p": ("projB", "fake-model",
                                       "ok: THINK about what project B contains", 1,
                                       2560, 14, 5119, 0),
    "ses_dff8e15f2ffeUEZQQPC3OmIPeW": ("projB", "fake-model", "Rust main question", 2,
                                       5128, 26, 10255, 0),
    "ses_dff8d49e6ffeyFwxWrrHkcb0Wh": ("projC", "fake-model", "ok: Explain lib.py in one line",
                                       2, 7727, 70, 15449, 0),
    # pi: session_info name wins; the provider switch shows in the last response's model.
    "01a20072-3a40-7659-ac07-2eae2f950660": ("projA", "fake-model", "Say hello from project A",
                                             2, 936, 26, 1870, 0),
    "01a20072-4d94-75c2-9ab4-a71bb70b7630": (
        "projA", "fake-model", "TOOLCALL please list the files in this directory", 1,
        952, 59, 1901, 0),
    "01a20073-edb2-763d-a2d8-3b06e02a637f": ("projA", "fake-model", "RPC named session", 2,
                                             1438, 72, 2873, 0),
    "01a20072-5220-779f-8f5b-c4b4b79bb8b8": ("projB", "claude-fake-sonnet",
                                             "THINK about what project B contains", 1,
                                             33, 53, 932, 434),
    "01a20072-56c2-73d4-bad6-947792758908": ("projB", "fake-model", "Describe main.rs briefly",
                                             2, 504, 33, 1877, 436),
    "01a20072-d51d-738f-a9c4-5d0c4ea1c478": ("projC", "claude-fake-sonnet",
                                             "TOOLCALL list the files here", 2, 66, 94, 2947, 1410),
}


@pytest.fixture
def indexed(corpus_home):
    conn = store.connect()
    report = refresh(conn)
    assert report.complete and not report.warnings
    return conn


def test_every_corpus_session_is_found(indexed):
    ids = {r["id"] for r in indexed.execute("SELECT id FROM sessions")}
    assert ids == set(EXPECTED)


@pytest.mark.parametrize("session_id", sorted(EXPECTED))
def test_session_facts(indexed, session_id):
    row = indexed.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
    proj, model, title, turns, *tokens = EXPECTED[session_id]
    assert row["dir"] == f"/home/dev/work/{proj}"
    assert row["model"] == model
    assert row["title"] == title
    assert row["turns"] == turns
    assert [row["input"], row["output"], row["cache_read"], row["cache_write"]] == tokens


def test_git_branch_only_where_there_is_one(indexed):
    branches = {r["id"][:8]: r["git_branch"] for r in indexed.execute(
        "SELECT id, git_branch FROM sessions WHERE harness IN ('claude', 'codex')")}
    assert branches["f8637610"] == "feature/parser-tests"
    assert branches["01a20072"] == "feature/parser-tests"
    assert branches["cb4228d5"] is None  # Claude writes "HEAD" outside a git repo


def test_subagent_is_kept_apart_and_linked(indexed):
    row = indexed.execute("SELECT * FROM sessions WHERE id = 'agent-a1dd16982462dcf0b'"
                          ).fetchone()
    assert row["is_subagent"] == 1
    assert row["parent_id"] == "f8637610-d72b-40f9-aa00-6bb029ea83cb"


def test_recorded_costs_come_from_the_harness(indexed):
    from axi.index.rows import cost_of

    usd, kind = cost_of(indexed, ["pi:01a20072-56c2-73d4-bad6-947792758908"])
    assert kind == "recorded"
    assert usd == pytest.approx(0.0022890000000000002 + 0.0005966999999999999)
    usd, kind = cost_of(indexed, ["opencode:ses_dff8e15f2ffeUEZQQPC3OmIPeW"])
    assert kind == "recorded" and usd > 0


def test_estimated_and_unknown_costs(indexed):
    from axi.index.rows import cost_of

    usd, kind = cost_of(indexed, ["claude:45c23dc2-d2fb-4fb1-9481-d64616e0f759"])
    # claude-sonnet-4-5: $3 in, $15 out, $0.30 cache read, $3.75 cache write per MTok.
    assert kind == "estimate"
    assert usd == pytest.approx((23 * 3 + 53 * 15 + 19253 * 0.3 + 9604 * 3.75) / 1e6)
    assert cost_of(indexed, ["nobody:none"]) == (None, "none")


def test_reasoning_is_the_recorded_part_of_output(indexed):
    """Codex 3a03: total_token_usage {output_tokens 109, reasoning_output_tokens 12};
    opencode e23f: tokens {output 4, reasoning 10}, so output 4 + 10. The others of those two
    harnesses record 0; Claude Code and pi record no reasoning count at all (NULL)."""
    rows = {r["id"]: r for r in indexed.execute("SELECT * FROM sessions")}
    codex, opencode = rows["01a20071-3a03-7ae3-9edd-855908e4b9cf"], rows[
        "ses_dff8e23f4ffehqjsAzqxTKhG8p"]
    assert (codex["output"], codex["reasoning"]) == (109, 12)
    assert (opencode["output"], opencode["reasoning"]) == (4 + 10, 10)
    for sid, row in rows.items():
        if sid not in (codex["id"], opencode["id"]):
            assert row["reasoning"] == (0 if row["harness"] in ("codex", "opencode") else None)


def test_opencode_ctx_uses_the_configured_window(indexed):
    """opencode.json gives fake-model limit.context 128000; ses_dff8e23f's one assistant
    message read input 2560 + cache read 5119 + cache write 0."""
    from axi.index.rows import ctx_percent

    row = indexed.execute("SELECT * FROM sessions WHERE id = 'ses_dff8e23f4ffehqjsAzqxTKhG8p'"
                          ).fetchone()
    assert (row["ctx_tokens"], row["ctx_window"]) == (2560 + 5119, 128000)
    assert ctx_percent(row) == f"{round(100 * 7679 / 128000)}%"
