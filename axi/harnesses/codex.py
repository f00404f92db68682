"""OpenAI Codex CLI: `~/.codex/sessions/YYYY/MM/DD/rollout-<ts>-<thread id>.jsonl` (CODEX_HOME).

Traps handled: token events carry cumulative thread totals and may repeat (a
`token_usage_record` and an `event_msg/token_count` per response), so spend is the growth of the
cumulative total, attributed to the model of the current turn; `input_tokens` includes cached
input, which is split out; 0.169 writes prompts and replies as `item_completed` events where
older versions wrote `user_message`/`agent_message`; each turn begins with injected
`<environment_context>`/instructions messages that are never titles; a sub-agent thread
(`spawn_agent`) is a rollout of its own whose parent is `source.subagent.thread_spawn
.parent_thread_id`, and the parent's totals leave the child's usage out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from axi.harnesses.base import (
    Harness,
    LineParser,
    SessionSummary,
    Turn,
    add_usage,
    env_dir,
    parse_iso,
    records,
    scan_files,
    stamp,
)
from axi.harnesses.jsonl import (
    as_int,
    clean_prompt,
    is_wrapper,
    materialize,
    text_blocks,
)

TOTAL_KEYS = ("input_tokens", "cached_input_tokens", "cache_write_input_tokens",
              "output_tokens", "reasoning_output_tokens")


ITEM_HEAD = 400
NO_DAEMON = ("-c", "features.daemon_auto_start=false")
USED_ITEMS = (b"UserMessage", b"AgentMessage")


def _unused_item(head: bytes) -> bool:
    """A completed item other than a message (commands, reasoning): nothing to summarise."""
    if b'"item_completed"' not in head:
        return False
    at = head.find(b'"item":{"type":"')
    return at >= 0 and not head.startswith(USED_ITEMS, at + 16)


def _unused_bulk(head: bytes) -> bool:
    """Large records that never change the summary: tool output, instructions, reasoning."""
    if b'"type":"response_item"' in head:
        return (b'"function_call_output"' in head or b'"role":"developer"' in head
                or b'"type":"reasoning"' in head)
    return b'"type":"world_state"' in head or b'"thread_settings_applied"' in head


class CodexParser(LineParser):
    harness = "codex"

    def load(self, s: dict) -> None:
        self.s = {
            "id": None, "dir": None, "branch": None, "created": None, "last": None,
            "model": None, "provider": None, "turns": 0, "legacy_turns": 0, "title": None,
            "prompt": None, "fallback_prompt": None, "ctx": None, "window": None,
            "open": False, "totals": [0, 0, 0, 0, 0], "usage": {}, "skipped": 0,
            "parent": None, "subagent": False,
        }
        self.s.update(s)

    def dump(self) -> dict:
        return self.s

    def skip(self, line: bytes) -> bool:
        head = line[:ITEM_HEAD]
        if _unused_item(head) or len(line) >= 1024 and _unused_bulk(head[:200]):
            self.touch(stamp(head))
            return True
        return False

    schema = "CodexLine"

    def record(self, rec: dict, offset: int) -> None:
        # a cold index reads the common records through `sift.codex`: change both
        ts = parse_iso(rec.get("timestamp"))
        payload = rec.get("payload")
        if not isinstance(payload, dict):
            payload = {}
        kind = rec.get("type")
        handler = HANDLERS.get((kind, payload.get("type") if kind != "turn_context" else None))
        if handler is not None:
            handler(self, payload, ts, offset)
        elif kind == "token_usage_record":
            self._totals(payload.get("thread_token_usage"), ts)
        self.touch(ts)

    def _meta(self, p: dict, ts: float | None, offset: int) -> None:
        s = self.s
        s["id"] = p.get("id") or p.get("session_id") or s["id"]
        s["dir"] = p.get("cwd") or s["dir"]
        s["provider"] = p.get("model_provider") or s["provider"]
        git = p.get("git")
        if isinstance(git, dict) and isinstance(git.get("branch"), str):
            s["branch"] = git["branch"]
        source = p.get("source")
        if isinstance(source, dict) and "subagent" in source:
            s["subagent"] = True
            s["parent"] = _spawned_by(source["subagent"]) or s["parent"]
        if s["subagent"] and isinstance(p.get("parent_thread_id"), str):
            s["parent"] = s["parent"] or p["parent_thread_id"]
        created = parse_iso(p.get("timestamp"))
        if created is not None:
            s["created"] = created

    def _turn_context(self, p: dict, ts: float | None, offset: int) -> None:
        if isinstance(p.get("model"), str):
            self.s["model"] = p["model"]
        if self.s["dir"] is None and isinstance(p.get("cwd"), str):
            self.s["dir"] = p["cwd"]

    def _task_started(self, p: dict, ts: float | None, offset: int) -> None:
        self.s["open"] = True
        if as_int(p.get("model_context_window")):
            self.s["window"] = p["model_context_window"]

    def _task_complete(self, p: dict, ts: float | None, offset: int) -> None:
        self.s["open"] = False

    def _item(self, p: dict, ts: float | None, offset: int) -> None:
        item = p.get("item")
        if not isinstance(item, dict):
            return
        kind = item.get("type")
        if kind == "UserMessage":
            self._prompt(text_blocks(item.get("content")), ts, offset, legacy=False)
        elif kind == "AgentMessage":
            text = text_blocks(item.get("content"), ("Text", "text"))
            if text:
                self.text("assistant", ts, offset, text)

    def _user_message(self, p: dict, ts: float | None, offset: int) -> None:
        message = p.get("message")
        if isinstance(message, str):
            self._prompt(message, ts, offset, legacy=True)

    def _agent_message(self, p: dict, ts: float | None, offset: int) -> None:
        if isinstance(p.get("message"), str):
            self.text("assistant", ts, offset, p["message"])

    def _prompt(self, text: str, ts: float | None, offset: int, legacy: bool) -> None:
        if not text or is_wrapper(text):
            return
        self.s["legacy_turns" if legacy else "turns"] += 1
        if self.s["prompt"] is None:
            self.s["prompt"] = clean_prompt(text)
        # Older rollouts carry both event kinds for one prompt; index the text once.
        if legacy or not self.s["legacy_turns"]:
            self.text("user", ts, offset, text)

    def _response_message(self, p: dict, ts: float | None, offset: int) -> None:
        if p.get("role") != "user" or self.s["fallback_prompt"] is not None:
            return
        text = text_blocks(materialize(p.get("content")), ("input_text",))
        if text and not is_wrapper(text):
            self.s["fallback_prompt"] = clean_prompt(text)

    def _token_count(self, p: dict, ts: float | None, offset: int) -> None:
        info = p.get("info")
        if not isinstance(info, dict):
            return
        if as_int(info.get("model_context_window")):
            self.s["window"] = info["model_context_window"]
        last = info.get("last_token_usage")
        if isinstance(last, dict):
            self.s["ctx"] = as_int(last.get("input_tokens"))
        self._totals(info.get("total_token_usage"), ts)

    def _thread_name(self, p: dict, ts: float | None, offset: int) -> None:
        name = p.get("thread_name") or p.get("name")
        if isinstance(name, str) and name.strip():
            self.s["title"] = name.strip()

    def _totals(self, totals: object, ts: float | None) -> None:
        """Spend is the growth of the cumulative total; repeats grow nothing."""
        if not isinstance(totals, dict) or not self.summarising:
            return
        self._grow([as_int(totals.get(k)) for k in TOTAL_KEYS], ts)

    def _grow(self, now: list[int], ts: float | None) -> None:
        """Count the growth of the thread's totals (`now`, in TOTAL_KEYS order)."""
        before = (self.s["totals"] + [0] * len(TOTAL_KEYS))[:len(TOTAL_KEYS)]
        if now[0] + now[3] <= before[0] + before[3]:
            return
        grow = [max(0, a - b) for a, b in zip(now, before, strict=True)]
        self.s["totals"] = now
        fresh_input = max(0, grow[0] - grow[1])
        # `output_tokens` already includes `reasoning_output_tokens` (the Responses API's
        # output_tokens_details.reasoning_tokens): reasoning is an "of which", never added.
        add_usage(self.s["usage"], ts, self.s["model"], fresh_input, grow[3], grow[1], grow[2],
                  reasoning=min(grow[4], grow[3]))

    def summary(self) -> SessionSummary | None:
        s = self.s
        session_id = s["id"] or _id_from_name(self.path)
        turns = s["turns"] or s["legacy_turns"]
        prompt = s["prompt"] or s["fallback_prompt"]
        if s["title"]:
            title, source = s["title"], "name"
        else:
            title, source = prompt, ("prompt" if prompt else None)
        return SessionSummary(
            harness="codex", id=session_id, source=self.path, dir=s["dir"], title=title,
            title_source=source, model=s["model"], provider=s["provider"],
            git_branch=s["branch"], created=s["created"], last=s["last"], turns=turns,
            ctx_tokens=s["ctx"], ctx_window=s["window"], turn_open=s["open"],
            parent_id=s["parent"], is_subagent=s["subagent"], skipped_lines=s["skipped"],
            usage=s["usage"],
        )


HANDLERS = {
    ("session_meta", None): CodexParser._meta,
    ("turn_context", None): CodexParser._turn_context,
    ("event_msg", "task_started"): CodexParser._task_started,
    ("event_msg", "task_complete"): CodexParser._task_complete,
    ("event_msg", "turn_aborted"): CodexParser._task_complete,
    ("event_msg", "item_completed"): CodexParser._item,
    ("event_msg", "user_message"): CodexParser._user_message,
    ("event_msg", "agent_message"): CodexParser._agent_message,
    ("event_msg", "token_count"): CodexParser._token_count,
    ("event_msg", "thread_name_updated"): CodexParser._thread_name,
    ("response_item", "message"): CodexParser._response_message,
}


def _spawned_by(subagent: object) -> str | None:
    """The parent thread of a sub-agent's `source.subagent`: 0.169 writes
    `{"thread_spawn": {"parent_thread_id": ..., "depth": 1, ...}}` (reviews and compactions
    are the strings "review", "compact", without a parent)."""
    if not isinstance(subagent, dict):
        return None
    spawn = subagent.get("thread_spawn")
    found = (spawn if isinstance(spawn, dict) else subagent).get("parent_thread_id")
    return found if isinstance(found, str) and found else None


def _id_from_name(path: str) -> str:
    stem = os.path.basename(path).rsplit(".", 1)[0]
    return stem[-36:] if len(stem) >= 36 else stem


class Codex(Harness):
    name = "codex"
    label = "Codex"

    def base(self) -> str:
        return env_dir("CODEX_HOME", "~/.codex")

    def roots(self) -> list[str]:
        return [os.path.join(self.base(), "sessions")]

    def discover(self) -> Iterator[tuple[str, os.stat_result]]:
        sessions = self.roots()[0]
        for path, st in scan_files([(sessions, 4), (sessions, 1)]):
            if os.path.basename(path).startswith("rollout-"):
                yield path, st

    def parser(self, path: str, state: dict | None, keep_texts: bool = True) -> LineParser:
        return CodexParser(path, state, keep_texts)

    def read_turns(self, source: str, session_id: str, since: int) -> Iterator[Turn]:
        legacy = None
        for offset, rec in records(source, since):
            payload = rec.get("payload") if isinstance(rec.get("payload"), dict) else {}
            turn, legacy = _turn(rec.get("type"), payload, offset, legacy)
            if turn is not None:
                turn.ts = parse_iso(rec.get("timestamp"))
                yield turn

    # `--` ends the options (0.169.0 rejects a task such as "-v hi" as an unknown option).
    # The TUI's app-server daemon detaches from the holder: the commands it runs would then
    # not be below the holder, and a launch they made would not be known as part of its run.
    launch = ("codex", *NO_DAEMON, "--model", "{model}", "--", "{task}")
    launch_headless = ("codex", "exec", "--skip-git-repo-check", "--model", "{model}", "--",
                       "{task}")
    resume_input = ("codex", *NO_DAEMON, "resume", "{id}", "--", "{task}")
    resume_input_headless = ("codex", "exec", "--skip-git-repo-check", "resume", "{id}", "--",
                             "{task}")

    def resume_argv(self, session_id: str, source: str) -> list[str]:
        return ["codex", "resume", session_id]


def _turn(kind: object, p: dict, offset: int, legacy: bool | None
          ) -> tuple[Turn | None, bool | None]:
    ptype = p.get("type")
    if kind == "event_msg" and ptype == "item_completed" and isinstance(p.get("item"), dict):
        item = p["item"]
        if item.get("type") == "UserMessage":
            text = text_blocks(item.get("content"))
            return (Turn("user", None, offset, text) if text else None), False
        if item.get("type") == "AgentMessage":
            return Turn("assistant", None, offset,
                        text_blocks(item.get("content"), ("Text", "text"))), False
    if kind == "event_msg" and ptype in ("user_message", "agent_message") and legacy is not False:
        role = "user" if ptype == "user_message" else "assistant"
        return Turn(role, None, offset, str(p.get("message") or "")), True
    if kind == "response_item" and ptype in ("function_call", "local_shell_call"):
        return Turn("assistant", None, offset, "", [f"{p.get('name')} {p.get('arguments')}"]
                    ), legacy
    if kind == "response_item" and ptype == "function_call_output":
        output = p.get("output")
        return Turn("tool", None, offset, output if isinstance(output, str) else ""), legacy
    return None, legacy
