"""OpenAI Codex CLI 0.169 rollouts: ~/.codex/sessions/YYYY/MM/DD/rollout-<ts>-<uuidv7>.jsonl.

Shapes follow shared/corpus/codex: envelope {timestamp, ordinal, type, payload[, metadata]},
one session_meta (21 KB of base instructions) per file, the injected developer/environment
messages and a full world_state on the first turn, a thread_settings_applied block per later
turn, token_usage_record (per response, per turn, per thread) and event_msg token_count with
cumulative totals, function_call/function_call_output pairs whose output is duplicated in the
CommandExecution item, and model switches between turns (<model_switch> developer message).
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from . import text
from .common import Clock, JsonlWriter, b62, day_dir, dumps, hexstr, iso_ms, lognormal_int, uuid7
from .templates import CORPUS_CWD, CORPUS_DATE, render

CLI_VERSION = "0.169.0"
MODELS = ("gpt-5-codex", "gpt-5.1-codex", "gpt-5.1-codex-mini", "gpt-5")
WINDOW = 258_400
USAGE_KEYS = (
    "input_tokens",
    "cached_input_tokens",
    "cache_write_input_tokens",
    "output_tokens",
    "reasoning_output_tokens",
    "total_tokens",
)


def zero_usage() -> dict:
    return dict.fromkeys(USAGE_KEYS, 0)


def add_usage(acc: dict, u: dict) -> dict:
    return {k: acc[k] + u[k] for k in USAGE_KEYS}


class CodexSession:
    def __init__(self, ctx, spec: dict, rng: random.Random) -> None:
        self.ctx = ctx
        self.spec = spec
        self.rng = rng
        self.clock = Clock(rng, spec["start_ms"], spec["limit_ms"])
        self.thread = uuid7(rng, spec["start_ms"])
        self.window = uuid7(rng, spec["start_ms"])
        self.cwd = spec["cwd"]
        self.lang = spec["lang"]
        self.model = spec["model"]
        self.ordinal = 0
        self.seq = 0
        self.user_order = 0
        self.thread_usage = zero_usage()
        self.turn_usage = zero_usage()
        self.context = rng.randint(9_000, 16_000)
        self.first_prompt: str | None = None
        self.turns = 0
        self.tool_calls = 0
        self.turn_id = ""
        self.lit = ctx.templates.codex_literals
        y, m, d = day_dir(spec["start_ms"])
        stamp = time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime(spec["start_ms"] // 1000))
        self.path = (
            ctx.home / ".codex" / "sessions" / y / m / d / f"rollout-{stamp}-{self.thread}.jsonl"
        )
        self.out = JsonlWriter(self.path)

    # ------------------------------------------------------------------ envelope
    def emit(self, kind: str, payload, metadata=None, ms: int | None = None) -> None:
        ts = iso_ms(self.clock.ms if ms is None else ms)
        body = payload.encode() if isinstance(payload, str) else dumps(payload)
        line = b'{"timestamp":"%s","ordinal":%d,"type":"%s","payload":%s' % (
            ts.encode(),
            self.ordinal,
            kind.encode(),
            body,
        )
        if metadata is not None:
            meta = metadata.encode() if isinstance(metadata, str) else dumps(metadata)
            line += b',"metadata":' + meta
        self.out.write_raw(line + b"}")
        self.ordinal += 1

    def event(self, payload: dict) -> None:
        self.emit("event_msg", payload)

    def meta(self, extra: dict | None = None) -> dict:
        self.seq += 1
        base = {
            "history_sequence": self.seq,
            "sampled_through_sequence": max(0, self.seq - 2),
            "client_authored": False,
        }
        return base | (extra or {})

    def subs(self) -> dict[str, str]:
        date = iso_ms(self.clock.ms)[:10]
        return {
            CORPUS_CWD: self.cwd,
            self.lit["thread"]: self.thread,
            self.lit["turn"]: self.turn_id,
            self.lit["window"]: self.window,
            '"gpt-5-codex"': f'"{self.model}"',
            '"fakellm"': '"openai"',
            CORPUS_DATE: date,
            self.lit["dev_id"]: "msg_" + uuid7(self.rng, self.clock.ms),
            self.lit["env_id"]: "msg_" + uuid7(self.rng, self.clock.ms),
            self.lit["dev_ct"]: f"{self.clock.ms / 1000:.7f}",
            self.lit["env_ct"]: f"{self.clock.ms / 1000:.7f}",
            self.lit["switch_turn"]: self.turn_id,
            self.lit["switch_id"]: "msg_" + uuid7(self.rng, self.clock.ms),
            self.lit["switch_ct"]: f"{self.clock.ms / 1000:.7f}",
        }

    def template(self, name: str) -> str:
        return render(self.ctx.templates.codex_text[name], self.subs())

    # ------------------------------------------------------------------ lines
    def session_meta(self) -> None:
        tpl = self.ctx.templates
        payload = json.loads(tpl.codex_meta_text)
        payload.update(
            session_id=self.thread,
            id=self.thread,
            timestamp=iso_ms(self.clock.ms - 20),
            cwd=self.cwd,
            runtime_workspace_roots=[self.cwd],
            model_provider="openai",
        )
        payload["base_instructions"]["provenance"]["model"] = self.model
        payload["context_window"] = {"window_id": self.window}
        if self.spec.get("git_sha"):
            payload["git"] = {"commit_hash": self.spec["git_sha"], "branch": self.spec["branch"]}
        self.emit("session_meta", payload)

    def task_started(self) -> None:
        attribution = {
            "turn_id": self.turn_id,
            "turn_trigger": "exec",
            "parent_turn_id": None,
            "initiating_agent_path": None,
            "root_turn_id": self.turn_id,
        }
        self.event(
            {
                "type": "task_started",
                "turn_attribution": attribution,
                "turn_id": self.turn_id,
                "root_turn_id": self.turn_id,
                "started_at": self.clock.ms // 1000,
                "model_context_window": WINDOW,
                "collaboration_mode_kind": "default",
            }
        )

    def user_message(self, prompt: str) -> None:
        rng, ms = self.rng, self.clock.tick(5, 30)
        msg_id = "msg_" + uuid7(rng, ms)
        self.emit(
            "response_item",
            {
                "type": "message",
                "id": msg_id,
                "role": "user",
                "content": [{"type": "input_text", "text": prompt}],
                "internal_chat_message_metadata_passthrough": {
                    "turn_id": self.turn_id,
                    "create_time": ms / 1000,
                    "content_item_kinds": ["user.text"],
                    "content_item_metadata": [{"provenance": {"type": "user"}}],
                },
            },
            self.meta(
                {
                    "retained_source": {
                        "id": {"message_id": msg_id, "turn_id": self.turn_id, "role": "user"},
                        "revision": "retained_" + uuid7(rng, ms),
                        "complete": True,
                    },
                    "user_input_order": self.user_order,
                    "mcp_attribution": {"status": "none"},
                }
            ),
        )
        self.user_order += 1
        ms = self.clock.tick(0, 3)
        self.item(
            {
                "type": "UserMessage",
                "id": uuid7(rng, ms),
                "content": [{"type": "text", "text": prompt, "text_elements": []}],
            },
            ms,
            ms,
        )

    def item(self, item: dict, started: int, completed: int) -> None:
        self.event(
            {
                "type": "item_completed",
                "thread_id": self.thread,
                "turn_id": self.turn_id,
                "item": item,
                "started_at_ms": started,
                "completed_at_ms": completed,
            }
        )

    def usage_record(self, out_extra: int, reasoning: int) -> dict:
        rng = self.rng
        cached = int(self.context * rng.uniform(0.75, 0.98))
        out = rng.randint(30, 900) + out_extra + reasoning  # output_tokens includes reasoning
        u = {
            "input_tokens": self.context,
            "cached_input_tokens": cached,
            "cache_write_input_tokens": 0,
            "output_tokens": out,
            "reasoning_output_tokens": reasoning,
            "total_tokens": self.context + out,
        }
        self.context += out + rng.randint(10, 200)
        if self.context > 240_000:
            self.context = rng.randint(20_000, 45_000)
        self.turn_usage = add_usage(self.turn_usage, u)
        self.thread_usage = add_usage(self.thread_usage, u)
        self.emit(
            "token_usage_record",
            {
                "thread_id": self.thread,
                "turn_id": self.turn_id,
                "session_id": self.thread,
                "root_turn_id": self.turn_id,
                "response_id": "resp_" + hexstr(rng, 48),
                "usage": u,
                "turn_token_usage": self.turn_usage,
                "thread_token_usage": self.thread_usage,
            },
        )
        return u

    def token_count(self, last: dict) -> None:
        self.event(
            {
                "type": "token_count",
                "info": {
                    "total_token_usage": self.thread_usage,
                    "last_token_usage": last,
                    "last_usage_includes_reasoning": False,
                    "model_context_window": WINDOW,
                },
                "rate_limits": self.ctx.templates.codex_rate_limits,
            }
        )

    def reasoning(self) -> int:
        rng = self.rng
        rs_id = "rs_" + hexstr(rng, 48)
        summary = (
            "**"
            + text.title_from(text.follow_up(rng, self.lang)).capitalize()
            + "**\n\n"
            + text.thinking_text(rng, self.lang)
        )
        ms = self.clock.tick(300, 8000)
        self.item(
            {"type": "Reasoning", "id": rs_id, "summary_text": [summary], "raw_content": []}, ms, ms
        )
        self.emit(
            "response_item",
            {
                "type": "reasoning",
                "id": rs_id,
                "summary": [{"type": "summary_text", "text": summary}],
                "content": None,
                "encrypted_content": None,
                "internal_chat_message_metadata_passthrough": {"turn_id": self.turn_id},
            },
            self.meta(),
        )
        return len(summary) // 4 + rng.randint(20, 400)

    def tool_call(self) -> None:
        rng = self.rng
        reasoning = self.reasoning() if rng.random() < 0.3 else 0
        cmd, _desc, kind = text.shell_command(rng, self.lang)
        call_id = "call_" + b62(rng, 24)
        self.clock.tick(800, 20_000)
        self.emit(
            "response_item",
            {
                "type": "function_call",
                "status": "completed",
                "id": "fc_" + hexstr(rng, 48),
                "name": "exec_command",
                "arguments": json.dumps({"cmd": cmd}),
                "call_id": call_id,
                "internal_chat_message_metadata_passthrough": {"turn_id": self.turn_id},
            },
            self.meta({"user_input_order": self.user_order}),
        )
        last = self.usage_record(len(cmd) // 4, reasoning)
        output = self.ctx.pools.slice(
            rng, kind, lognormal_int(rng, self.spec["verbosity"], 1.1, 10, 400_000)
        )
        start = self.clock.ms
        end = self.clock.tick(20, 30_000)
        parsed = (
            [{"type": "unknown", "cmd": cmd}]
            if not cmd.startswith("ls")
            else [{"type": "list_files", "cmd": cmd, "path": None}]
        )
        self.item(
            {
                "type": "CommandExecution",
                "id": call_id,
                "process_id": str(rng.randint(1000, 99999)),
                "command": ["/bin/bash", "-lc", cmd],
                "cwd": "file://" + self.cwd,
                "parsed_cmd": parsed,
                "source": "unified_exec_startup",
                "status": "completed",
                "aggregated_output": output,
                "exit_code": 0,
                "duration": {"secs": (end - start) // 1000, "nanos": rng.randint(0, 999_999)},
            },
            start,
            end,
        )
        header = (
            f"Chunk ID: {hexstr(rng, 6)}\nWall time: {(end - start) / 1000:.4f} seconds\n"
            f"Process exited with code 0\nOriginal token count: {len(output) // 4}\nOutput:\n"
        )
        self.emit(
            "response_item",
            {
                "type": "function_call_output",
                "id": "fco_" + uuid7(rng, end),
                "call_id": call_id,
                "output": header + output,
                "internal_chat_message_metadata_passthrough": {
                    "turn_id": self.turn_id,
                    "create_time": end / 1000,
                },
            },
            self.meta({"fallback_token_limit_override": 3000}),
        )
        self.token_count(last)
        self.context += len(output) // 4
        self.tool_calls += 1

    def agent_message(self) -> str:
        rng = self.rng
        reasoning = self.reasoning() if rng.random() < 0.3 else 0
        answer = text.final_answer(rng, self.lang)
        ms = self.clock.tick(800, 20_000)
        msg_id = "msg_" + hexstr(rng, 48)
        self.item(
            {"type": "AgentMessage", "id": msg_id, "content": [{"type": "Text", "text": answer}]},
            ms,
            ms,
        )
        self.emit(
            "response_item",
            {
                "type": "message",
                "status": "completed",
                "id": msg_id,
                "role": "assistant",
                "content": [{"type": "output_text", "text": answer, "annotations": []}],
                "internal_chat_message_metadata_passthrough": {
                    "turn_id": self.turn_id,
                    "content_item_kinds": ["unknown"],
                },
            },
            self.meta(
                {
                    "retained_source": {
                        "id": {"message_id": msg_id, "turn_id": self.turn_id, "role": "assistant"},
                        "revision": "retained_" + uuid7(rng, ms),
                        "complete": True,
                    },
                    "user_input_order": self.user_order,
                }
            ),
        )
        self.user_order += 1
        last = self.usage_record(len(answer) // 4, reasoning)
        self.token_count(last)
        return answer

    # ------------------------------------------------------------------ turns
    def turn(self, prompt: str, first: bool, switched: bool) -> None:
        rng = self.rng
        start = self.clock.tick(20_000, 600_000) if not first else self.clock.ms
        self.turn_id = uuid7(rng, start)
        self.turn_usage = zero_usage()
        if not first:
            for _ in range(2 if switched else 1):
                self.event_text("settings")
        self.task_started()
        if first:
            self.emit(
                "response_item",
                self.template("developer"),
                self.ctx.templates.codex_text["developer_meta"],
            )
            self.emit(
                "response_item", self.template("env"), self.ctx.templates.codex_text["env_meta"]
            )
            self.emit("world_state", self.template("world"))
            self.seq = 2
        elif switched:
            self.emit(
                "response_item",
                self.template("switch_dev"),
                self.ctx.templates.codex_text["switch_dev_meta"],
            )
            self.emit("world_state", self.template("world_partial"))
        self.emit("turn_context", self.template("turn_context"))
        if first:
            self.event_text("settings")
        self.user_message(prompt)
        for _ in range(rng.choice((0, 1, 1, 2, 3, 4, 6, 9, 14))):
            if self.out.bytes >= self.spec["target"]:
                break
            self.tool_call()
        answer = self.agent_message()
        end = self.clock.tick(2, 40)
        self.event(
            {
                "type": "task_complete",
                "root_turn_id": self.turn_id,
                "turn_id": self.turn_id,
                "last_agent_message": answer,
                "started_at": start // 1000,
                "completed_at": end // 1000,
                "duration_ms": end - start,
                "time_to_first_token_ms": rng.randint(200, 4000),
            }
        )
        self.turns += 1

    def event_text(self, name: str) -> None:
        self.emit("event_msg", self.template(name))

    def run(self) -> dict:
        rng = self.rng
        self.session_meta()
        prompt = self.spec.get("first_prompt") or text.first_prompt(rng, self.lang, self.ctx.pools)
        self.first_prompt = prompt
        self.turn(prompt, True, False)
        switch_at = rng.randint(1, 3) if self.spec.get("model_switch") else -1
        while self.out.bytes < self.spec["target"]:
            switched = self.turns == switch_at
            if switched:
                self.model = self.spec["switch_to"]
            self.turn(text.follow_up(rng, self.lang), False, switched)
        self.out.close(self.clock.ms)
        return self.truth()

    def truth(self) -> dict:
        u = self.thread_usage
        tokens = {
            "input": u["input_tokens"] - u["cached_input_tokens"],
            "output": u["output_tokens"],
            "cache_read": u["cached_input_tokens"],
            "cache_write": u["cache_write_input_tokens"],
            "reasoning": u["reasoning_output_tokens"],
        }
        tokens["total"] = (
            tokens["input"] + tokens["output"] + tokens["cache_read"] + tokens["cache_write"]
        )
        truth = {
            "harness": "codex",
            "id": self.thread,
            "path": str(self.path),
            "cwd": self.cwd,
            "model": self.model,
            "title": self.first_prompt,
            "tokens": tokens,
            "tokens_native": dict(u),
            "bytes": self.out.bytes,
            "started_ms": self.spec["start_ms"],
            "updated_ms": self.clock.ms,
            "prompts": self.turns,
            "tool_calls": self.tool_calls,
        }
        if self.model != self.spec["model"]:
            truth["model_switch"] = True
        return truth


def write_session(ctx, spec: dict, rng: random.Random) -> dict:
    return CodexSession(ctx, spec, rng).run()


def session_path_glob(home: Path) -> Path:
    return home / ".codex" / "sessions"
