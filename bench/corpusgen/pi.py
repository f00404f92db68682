"""pi coding agent 0.73 sessions: ~/.pi/agent/sessions/--<cwd>--/<ts>_<uuidv7>.jsonl (version 3).

Traps reproduced from shared/corpus/pi: provider/model switches with no model_change entry (only
the assistant message's provider/model/api reveal them), session_info names (possibly renamed
later: the last one wins), per-api token conventions (openai-completions input excludes cached
tokens), and toolResult messages carrying the bulk of the bytes.
"""

from __future__ import annotations

import random

from . import text
from .common import (
    Clock,
    JsonlWriter,
    Tokens,
    b62,
    b64_blob,
    hexstr,
    iso_file_ms,
    iso_ms,
    lognormal_int,
    uuid7,
)

# provider, model, api, $/M tokens (input, output, cacheRead, cacheWrite)
PROVIDERS = (
    ("anthropic", "claude-sonnet-4-5", "anthropic-messages", (3.0, 15.0, 0.3, 3.75)),
    ("anthropic", "claude-opus-4-1", "anthropic-messages", (15.0, 75.0, 1.5, 18.75)),
    ("openrouter", "qwen/qwen3-coder", "openai-completions", (0.4, 1.6, 0.04, 0.0)),
    ("openrouter", "moonshotai/kimi-k2", "openai-completions", (0.6, 2.5, 0.15, 0.0)),
)
NAMES = (
    "refactor {w} module",
    "debug {w} {w2}",
    "{w} cleanup",
    "perf: {w} {w2}",
    "release prep",
    "spike: {w} {w2}",
    "fix flaky {w} tests",
)


def session_dir_name(cwd: str) -> str:
    return "--" + cwd.lstrip("/").replace("/", "-").replace(":", "-") + "--"


class PiSession:
    def __init__(self, ctx, spec: dict, rng: random.Random) -> None:
        self.ctx = ctx
        self.spec = spec
        self.rng = rng
        self.clock = Clock(rng, spec["start_ms"], spec["limit_ms"])
        self.sid = uuid7(rng, spec["start_ms"])
        self.cwd = spec["cwd"]
        self.lang = spec["lang"]
        self.provider = PROVIDERS[spec["provider"]]
        self.parent: str | None = None
        self.context = rng.randint(3_000, 9_000)
        self.pending = 0
        self.tokens = Tokens()
        self.cost = 0.0
        self.name: str | None = None
        self.first_prompt: str | None = None
        self.prompts = 0
        self.tool_calls = 0
        self.switched = False
        folder = ctx.home / ".pi" / "agent" / "sessions" / session_dir_name(self.cwd)
        self.path = folder / f"{iso_file_ms(spec['start_ms'])}_{self.sid}.jsonl"
        self.out = JsonlWriter(self.path)

    def entry(self, kind: str, **fields) -> None:
        entry_id = hexstr(self.rng, 8)
        obj = {
            "type": kind,
            "id": entry_id,
            "parentId": self.parent,
            "timestamp": iso_ms(self.clock.ms),
        }
        obj.update(fields)
        self.out.write(obj)
        self.parent = entry_id

    def message(self, message: dict) -> None:
        self.entry("message", message=message)

    def header(self) -> None:
        self.out.write(
            {
                "type": "session",
                "version": 3,
                "id": self.sid,
                "timestamp": iso_ms(self.clock.ms),
                "cwd": self.cwd,
            }
        )
        self.clock.tick(5, 15)
        provider, model, _api, _cost = self.provider
        self.entry("model_change", provider=provider, modelId=model)
        level = "medium" if self.spec.get("thinking") else "off"
        self.entry("thinking_level_change", thinkingLevel=level)

    def set_name(self) -> None:
        rng = self.rng
        self.clock.tick(3, 10)
        self.name = rng.choice(NAMES).format(w=rng.choice(text.WORDS), w2=rng.choice(text.WORDS))
        self.entry("session_info", name=self.name)

    def usage(self, out_tokens: int) -> dict:
        rng = self.rng
        _provider, _model, api, price = self.provider
        if api == "anthropic-messages":
            inp, cread, cwrite = rng.randint(1, 60), self.context, self.pending
        else:
            cread = int(self.context * rng.uniform(0.6, 0.95))
            inp, cwrite = self.context + self.pending - cread, 0
        self.context += self.pending + out_tokens
        if self.context > 180_000:
            self.context = rng.randint(15_000, 30_000)
        self.pending = 0
        cost = {
            k: n * p / 1e6
            for k, n, p in zip(
                ("input", "output", "cacheRead", "cacheWrite"),
                (inp, out_tokens, cread, cwrite),
                price,
                strict=True,
            )
        }
        cost["total"] = sum(cost.values())
        self.tokens.add(inp, out_tokens, cread, cwrite)
        self.cost += cost["total"]
        return {
            "input": inp,
            "output": out_tokens,
            "cacheRead": cread,
            "cacheWrite": cwrite,
            "totalTokens": inp + out_tokens + cread + cwrite,
            "cost": cost,
        }

    def assistant(self, content: list[dict], stop: str) -> None:
        rng = self.rng
        provider, model, api, _price = self.provider
        out_tokens = sum(len(str(b)) for b in content) // 4 + rng.randint(5, 80)
        started = self.clock.tick(1500, 25_000)
        rid = (
            ("msg_01" + b62(rng, 22))
            if api == "anthropic-messages"
            else "chatcmpl-" + hexstr(rng, 24)
        )
        self.message(
            {
                "role": "assistant",
                "content": content,
                "api": api,
                "provider": provider,
                "model": model,
                "usage": self.usage(out_tokens),
                "stopReason": stop,
                "timestamp": started - rng.randint(20, 900),
                "responseId": rid,
            }
        )

    def tool_round(self) -> None:
        rng = self.rng
        content: list[dict] = []
        if (
            self.provider[2] == "anthropic-messages"
            and self.spec.get("thinking")
            and rng.random() < 0.4
        ):
            content.append(
                {
                    "type": "thinking",
                    "thinking": text.thinking_text(rng, self.lang),
                    "thinkingSignature": b64_blob(rng, rng.randint(120, 500)),
                }
            )
        if rng.random() < 0.6:
            content.append(
                {"type": "text", "text": text.assistant_text(rng, self.lang, rng.randint(1, 2))}
            )
        calls = []
        for _ in range(rng.choice((1, 1, 1, 2))):
            call_id = (
                ("toolu_01" + b62(rng, 22))
                if self.provider[2] == "anthropic-messages"
                else "call_" + b62(rng, 24)
            )
            if rng.random() < 0.35:
                path = text.src_path(rng, self.lang)
                content.append(
                    {"type": "toolCall", "id": call_id, "name": "read", "arguments": {"path": path}}
                )
                calls.append((call_id, "read", f"code:{self.lang}"))
            else:
                cmd, _desc, kind = text.shell_command(rng, self.lang)
                content.append(
                    {
                        "type": "toolCall",
                        "id": call_id,
                        "name": "bash",
                        "arguments": {"command": cmd},
                    }
                )
                calls.append((call_id, "bash", kind))
        self.assistant(content, "toolUse")
        for call_id, name, kind in calls:
            output = self.ctx.pools.slice(rng, kind, text_size(rng, self.spec["verbosity"]))
            self.clock.tick(20, 20_000)
            self.message(
                {
                    "role": "toolResult",
                    "toolCallId": call_id,
                    "toolName": name,
                    "content": [{"type": "text", "text": output}],
                    "isError": False,
                    "timestamp": self.clock.ms,
                }
            )
            self.pending += len(output) // 4
            self.tool_calls += 1

    def turn(self, prompt: str) -> None:
        rng = self.rng
        self.clock.tick(20_000, 600_000)
        if self.first_prompt is None:
            self.first_prompt = prompt
        self.message(
            {
                "role": "user",
                "content": [{"type": "text", "text": prompt}],
                "timestamp": self.clock.ms - rng.randint(1, 5),
            }
        )
        self.pending += len(prompt) // 4
        for _ in range(rng.choice((0, 1, 1, 2, 3, 5, 8, 12))):
            if self.out.bytes >= self.spec["target"]:
                break
            self.tool_round()
        self.assistant([{"type": "text", "text": text.final_answer(rng, self.lang)}], "stop")
        self.prompts += 1

    def switch(self, announce: bool) -> None:
        self.provider = PROVIDERS[self.spec["switch_to"]]
        self.switched = True
        if announce:
            self.clock.tick(100, 2000)
            self.entry("model_change", provider=self.provider[0], modelId=self.provider[1])

    def run(self) -> dict:
        rng = self.rng
        self.header()
        if self.spec.get("named"):
            self.set_name()
        self.turn(
            self.spec.get("first_prompt") or text.first_prompt(rng, self.lang, self.ctx.pools)
        )
        switch_at = rng.randint(1, 3) if self.spec.get("switch") else -1
        while self.out.bytes < self.spec["target"]:
            if self.prompts == switch_at:
                self.switch(self.spec["switch"] == "model_change")
            if self.spec.get("named") == "renamed" and self.prompts == 2:
                self.set_name()
            self.turn(text.follow_up(rng, self.lang))
        self.out.close(self.clock.ms)
        return self.truth()

    def truth(self) -> dict:
        truth = {
            "harness": "pi",
            "id": self.sid,
            "path": str(self.path),
            "cwd": self.cwd,
            "model": self.provider[1],
            "provider": self.provider[0],
            "title": self.name or self.first_prompt,
            "first_prompt": self.first_prompt,
            "tokens": self.tokens.as_dict(),
            "cost_usd": round(self.cost, 6),
            "bytes": self.out.bytes,
            "started_ms": self.spec["start_ms"],
            "updated_ms": self.clock.ms,
            "prompts": self.prompts,
            "tool_calls": self.tool_calls,
        }
        if self.switched:
            truth["provider_switch"] = self.spec["switch"]
        if self.name:
            truth["name"] = self.name
        return truth


def text_size(rng: random.Random, verbosity: int) -> int:
    return lognormal_int(rng, verbosity, 1.1, 10, 300_000)


def write_session(ctx, spec: dict, rng: random.Random) -> dict:
    return PiSession(ctx, spec, rng).run()
