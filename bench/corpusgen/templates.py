"""Real lines from the shared corpus (written by the real CLIs), used as templates.

The corpus lives in ``tests/corpus`` (see its README). Lines that carry a lot of constant text
(Claude's attachment listings, Codex's session_meta, developer messages, world_state,
turn_context, ...) are kept as JSON text and re-rendered with plain string substitution of the
values that vary (cwd, ids, model, date).
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

DEFAULT_CORPUS = Path(os.environ.get(
    "AXI_SHARED_CORPUS", Path(__file__).resolve().parents[2] / "tests" / "corpus"))

CLAUDE_TOOL = (
    "claude/home/.claude/projects/-home-dev-work-projA/01ccc0ac-fd6c-4774-b4ad-6f572968231c.jsonl"
)
CLAUDE_SUB = (
    "claude/home/.claude/projects/-home-dev-work-projC/f8637610-d72b-40f9-aa00-6bb029ea83cb/"
    "subagents/agent-a1dd16982462dcf0b.jsonl"
)
CODEX_DIR = "codex/home/.codex/sessions/2026/11/21/"
CODEX_TOOL = CODEX_DIR + "rollout-2026-11-21T23-29-05-01a20071-2825-79a2-b468-86a388ee4a67.jsonl"
CODEX_SWITCH = CODEX_DIR + "rollout-2026-11-21T23-29-10-01a20071-3b6c-70d1-8fa1-f2b1cecec84d.jsonl"
CODEX_GIT = CODEX_DIR + "rollout-2026-11-21T23-30-45-01a20072-afdc-7270-8a11-791ae668bfdd.jsonl"
OPENCODE_DB = "opencode/home/.local/share/opencode/opencode.db"
OPENCODE_SCHEMA = "opencode/opencode.db.schema.sql"

# literal values in the template lines that get substituted per session
CORPUS_CWD = "/home/dev/work/projA"
CORPUS_CWD_B = "/home/dev/work/projB"
CORPUS_CWD_C = "/home/dev/work/projC"
CORPUS_DATE = "2026-11-21"


def _lines(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _compact(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class Templates:
    def __init__(self, corpus: Path = DEFAULT_CORPUS) -> None:
        if not (corpus / "README.md").exists():
            raise SystemExit(
                f"shared corpus not found at {corpus} (set --templates or AXI_SHARED_CORPUS)"
            )
        self.corpus = corpus
        self._load_claude()
        self._load_codex()
        self._load_opencode()

    # ---------------------------------------------------------------- claude
    def _load_claude(self) -> None:
        lines = _lines(self.corpus / CLAUDE_TOOL)
        atts = [x for x in lines if x.get("type") == "attachment"]
        self.claude_attachments = [
            x["attachment"] for x in atts
        ]  # agent_listing_delta, skill_listing
        sub = _lines(self.corpus / CLAUDE_SUB)
        self.claude_sub_skill = next(x["attachment"] for x in sub if x.get("type") == "attachment")
        self.claude_json = (self.corpus / "claude/home/.claude.json").read_text()

    # ---------------------------------------------------------------- codex
    def _load_codex(self) -> None:
        tool = _lines(self.corpus / CODEX_TOOL)
        switch = _lines(self.corpus / CODEX_SWITCH)
        git_meta = _lines(self.corpus / CODEX_GIT)[0]["payload"]
        self.codex_thread = tool[0]["payload"]["id"]
        self.codex_window = tool[0]["payload"]["context_window"]["window_id"]
        self.codex_git = git_meta["git"]
        by_kind: dict[str, dict] = {}
        for line in tool:
            kind = line["payload"].get("type") or line["type"]
            role = line["payload"].get("role", "")
            by_kind.setdefault(f"{line['type']}/{kind}/{role}", line)
        self.codex_meta = tool[0]["payload"]
        self.codex_turn = by_kind["turn_context/turn_context/"]["payload"]["turn_id"]
        self.codex_developer = by_kind["response_item/message/developer"]
        self.codex_env = next(
            x
            for x in tool
            if x["payload"].get("role") == "user"
            and "<environment_context>" in x["payload"]["content"][0]["text"]
        )
        self.codex_world = by_kind["world_state/world_state/"]
        self.codex_turn_context = by_kind["turn_context/turn_context/"]
        self.codex_settings = by_kind["event_msg/thread_settings_applied/"]
        self.codex_switch_dev = next(
            x
            for x in switch
            if x["payload"].get("role") == "developer"
            and "<model_switch>" in x["payload"]["content"][0]["text"]
        )
        self.codex_world_partial = next(
            x for x in switch if x["type"] == "world_state" and not x["payload"]["full"]
        )
        self.codex_rate_limits = by_kind["event_msg/token_count/"]["payload"]["rate_limits"]
        # JSON text of the big constant payloads, for fast string substitution
        self.codex_text = {
            "developer": _compact(self.codex_developer["payload"]),
            "developer_meta": _compact(self.codex_developer["metadata"]),
            "env": _compact(self.codex_env["payload"]),
            "env_meta": _compact(self.codex_env["metadata"]),
            "world": _compact(self.codex_world["payload"]),
            "turn_context": _compact(self.codex_turn_context["payload"]),
            "settings": _compact(self.codex_settings["payload"]),
            "switch_dev": _compact(self.codex_switch_dev["payload"]),
            "switch_dev_meta": _compact(self.codex_switch_dev.get("metadata", {})),
            "world_partial": _compact(self.codex_world_partial["payload"]),
        }
        dev_pt = self.codex_developer["payload"]["internal_chat_message_metadata_passthrough"]
        env_pt = self.codex_env["payload"]["internal_chat_message_metadata_passthrough"]
        sw = self.codex_switch_dev["payload"]
        self.codex_literals = {
            "thread": self.codex_thread,
            "turn": self.codex_turn,
            "window": self.codex_window,
            "dev_id": self.codex_developer["payload"]["id"],
            "dev_ct": json.dumps(dev_pt["create_time"]),
            "env_id": self.codex_env["payload"]["id"],
            "env_ct": json.dumps(env_pt["create_time"]),
            "switch_thread": switch[0]["payload"]["id"],
            "switch_turn": sw["internal_chat_message_metadata_passthrough"]["turn_id"],
            "switch_id": sw["id"],
            "switch_ct": json.dumps(
                sw["internal_chat_message_metadata_passthrough"]["create_time"]
            ),
        }
        meta = dict(self.codex_meta)
        meta.pop("git", None)
        self.codex_meta_text = _compact(meta)

    # ---------------------------------------------------------------- opencode
    def _load_opencode(self) -> None:
        self.opencode_schema = (self.corpus / OPENCODE_SCHEMA).read_text()
        uri = f"file:{self.corpus / OPENCODE_DB}?immutable=1"
        con = sqlite3.connect(uri, uri=True)
        try:
            self.opencode_migrations = con.execute(
                "select id, time_completed from migration"
            ).fetchall()
            self.opencode_permission = con.execute(
                "select permission from session limit 1"
            ).fetchone()[0]
        finally:
            con.close()
        self.opencode_config = (
            self.corpus / "opencode/home/.config/opencode/opencode.json"
        ).read_text()


def render(text: str, subs: dict[str, str]) -> str:
    for old, new in subs.items():
        text = text.replace(old, new)
    return text
