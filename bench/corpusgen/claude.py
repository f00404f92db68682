"""Claude Code 2.1.197 transcripts: ~/.claude/projects/<mangled cwd>/<uuid>.jsonl.

Line shapes and key order follow the real files in shared/corpus/claude. Traps reproduced:
one assistant line per content block repeating message.id/requestId/usage, forks that copy
history (same uuid and message.id, new sessionId), sidechain sub-agent files under
<sessionId>/subagents/ that carry the parent's sessionId, resumed invocations that append
last-prompt and mode lines mid-file, and mid-session model switches.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from . import text
from .common import (
    CaptureWriter,
    Clock,
    JsonlWriter,
    Tokens,
    b62,
    b64_blob,
    hexstr,
    iso_ms,
    lognormal_int,
    parse_iso,
    session_rng,
    uuid4,
)

VERSION = "2.1.197"
MODELS = ("claude-opus-4-8", "claude-sonnet-4-5", "claude-haiku-4-5")


def mangle(cwd: str) -> str:
    """Claude Code's project-folder name: every non-alphanumeric character becomes '-'."""
    return re.sub(r"[^a-zA-Z0-9]", "-", cwd)


def usage(inp: int, cwrite: int, cread: int, out: int) -> dict:
    return {
        "input_tokens": inp,
        "cache_creation_input_tokens": cwrite,
        "cache_read_input_tokens": cread,
        "output_tokens": out,
        "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0},
        "service_tier": "standard",
        "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": cwrite},
        "inference_geo": "",
        "iterations": [],
        "speed": "standard",
    }


class ClaudeSession:
    """Streams one session file. ``agent_id`` set = a sidechain (sub-agent) transcript."""

    def __init__(
        self,
        ctx,
        spec: dict,
        rng: random.Random,
        out,
        agent_id: str | None = None,
        agent_type: str = "",
        sid: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.ctx = ctx
        self.spec = spec
        self.rng = rng
        self.out = out
        self.agent_id = agent_id
        self.agent_type = agent_type
        self.sid = sid or uuid4(rng)
        self.clock = clock or Clock(rng, spec["start_ms"], spec["limit_ms"])
        self.cwd = spec["cwd"]
        self.lang = spec["lang"]
        self.branch = spec.get("branch") or "HEAD"
        self.model = spec["model"]
        self.last_uuid: str | None = None
        self.prompt_id = ""
        self.context = rng.randint(12_000, 22_000)
        self.pending = 0
        self.tokens = Tokens()
        self.seen_ids: set[str] = set()
        self.first_prompt: str | None = None
        self.prompts = 0
        self.responses = 0
        self.tool_calls = 0
        self.sub_truths: list[dict] = []
        self.verbosity = spec.get("verbosity", 2000)
        self.block_uuids: list[str] = []

    # ------------------------------------------------------------------ envelopes
    def _tail(self, obj: dict) -> dict:
        obj["userType"] = "external"
        obj["entrypoint"] = "sdk-cli"
        obj["cwd"] = self.cwd
        obj["sessionId"] = self.sid
        obj["version"] = VERSION
        obj["gitBranch"] = self.branch
        return obj

    def _emit(self, obj: dict) -> str:
        self.out.write(obj)
        self.last_uuid = obj["uuid"]
        return obj["uuid"]

    def user_prompt(self, content: str) -> None:
        obj: dict = {
            "parentUuid": self.last_uuid,
            "isSidechain": self.agent_id is not None,
            "promptId": self.prompt_id,
        }
        if self.agent_id:
            obj["agentId"] = self.agent_id
        obj |= {
            "type": "user",
            "message": {"role": "user", "content": content},
            "uuid": uuid4(self.rng),
            "timestamp": iso_ms(self.clock.tick(50, 200)),
        }
        if not self.agent_id:
            obj["permissionMode"] = "default"
            obj["promptSource"] = "sdk"
        self._emit(self._tail(obj))

    def attachment(self, payload: dict) -> None:
        obj: dict = {"parentUuid": self.last_uuid, "isSidechain": self.agent_id is not None}
        if self.agent_id:
            obj["agentId"] = self.agent_id
        obj |= {
            "attachment": payload,
            "type": "attachment",
            "uuid": uuid4(self.rng),
            "timestamp": iso_ms(self.clock.tick(0, 2)),
        }
        self._emit(self._tail(obj))

    def assistant_lines(
        self, blocks: list[dict], stop: str, use: dict, msg_id: str, req_id: str
    ) -> None:
        self.block_uuids = []
        for i, block in enumerate(blocks):
            obj: dict = {"parentUuid": self.last_uuid, "isSidechain": self.agent_id is not None}
            if self.agent_id:
                obj["agentId"] = self.agent_id
            obj["message"] = {
                "id": msg_id,
                "type": "message",
                "role": "assistant",
                "model": self.model,
                "content": [block],
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": use,
                "stop_details": None,
            }
            obj["requestId"] = req_id
            if self.agent_id:
                obj["attributionAgent"] = self.agent_type
            obj |= {
                "type": "assistant",
                "uuid": uuid4(self.rng),
                "timestamp": iso_ms(self.clock.tick(1, 40) if i else self.clock.tick(1500, 25_000)),
            }
            self.block_uuids.append(self._emit(self._tail(obj)))

    def tool_result(self, tool_id: str, source_uuid: str, content, result: dict) -> None:
        obj: dict = {
            "parentUuid": self.last_uuid,
            "isSidechain": self.agent_id is not None,
            "promptId": self.prompt_id,
        }
        if self.agent_id:
            obj["agentId"] = self.agent_id
        obj |= {
            "type": "user",
            "message": {
                "role": "user",
                "content": [
                    {
                        "tool_use_id": tool_id,
                        "type": "tool_result",
                        "content": content,
                        "is_error": False,
                    }
                ],
            },
            "uuid": uuid4(self.rng),
            "timestamp": iso_ms(self.clock.tick(40, 30_000)),
            "toolUseResult": result,
            "sourceToolAssistantUUID": source_uuid,
        }
        self._emit(self._tail(obj))

    # ------------------------------------------------------------------ model calls
    def response(self, blocks: list[dict]) -> dict:
        rng = self.rng
        out_tokens = (
            sum(len(str(b.get("text") or b.get("thinking") or b.get("input"))) for b in blocks) // 4
        )
        out_tokens += rng.randint(5, 60)
        inp = rng.randint(1, 45)
        cwrite = self.pending + rng.randint(0, 40)
        cread = self.context
        self.context += cwrite + inp
        if self.context > 170_000:  # auto-compaction shrinks the context again
            self.context = rng.randint(18_000, 40_000)
        self.pending = out_tokens
        msg_id = "msg_01" + b62(rng, 22)
        req_id = "req_011C" + b62(rng, 20)
        use = usage(inp, cwrite, cread, out_tokens)
        if msg_id not in self.seen_ids:
            self.seen_ids.add(msg_id)
            self.tokens.add(inp, out_tokens, cread, cwrite)
        stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
        self.assistant_lines(blocks, stop, use, msg_id, req_id)
        self.responses += 1
        return use

    def thinking_block(self) -> dict:
        return {
            "type": "thinking",
            "thinking": text.thinking_text(self.rng, self.lang),
            "signature": b64_blob(self.rng, self.rng.randint(120, 600)),
        }

    def wants_subagent(self) -> bool:
        return (
            self.agent_id is None
            and bool(self.spec.get("subagent"))
            and not self.sub_truths
            and hasattr(self.out, "path")
            and self.rng.random() < 0.5
        )

    def bash_round(self, n_calls: int) -> None:
        rng = self.rng
        blocks: list[dict] = []
        if rng.random() < 0.25:
            blocks.append(self.thinking_block())
        if rng.random() < 0.7:
            blocks.append(
                {"type": "text", "text": text.assistant_text(rng, self.lang, rng.randint(1, 3))}
            )
        calls = []
        for _ in range(n_calls):
            cmd, desc, kind = text.shell_command(rng, self.lang)
            tool_id = "toolu_01" + b62(rng, 22)
            calls.append((tool_id, kind))
            blocks.append(
                {
                    "type": "tool_use",
                    "id": tool_id,
                    "name": "Bash",
                    "input": {"command": cmd, "description": desc},
                }
            )
        self.response(blocks)
        sources = self.block_uuids[-len(calls) :]
        for (tool_id, kind), source in zip(calls, sources, strict=True):
            size = self.tool_output_size()
            output = self.ctx.pools.slice(rng, kind, size).rstrip("\n")
            self.tool_result(
                tool_id,
                source,
                output,
                {
                    "stdout": output,
                    "stderr": "",
                    "interrupted": False,
                    "isImage": False,
                    "noOutputExpected": False,
                },
            )
            self.pending += len(output) // 4
            self.tool_calls += 1

    def tool_output_size(self) -> int:
        return lognormal_int(self.rng, self.verbosity, 1.1, 20, 400_000)

    # ------------------------------------------------------------------ turns
    def turn(self, prompt: str, first: bool) -> None:
        rng = self.rng
        self.prompt_id = uuid4(rng)
        self.user_prompt(prompt)
        if first and self.agent_id is None:
            for payload in self.ctx.templates.claude_attachments:
                self.attachment(payload)
        elif first:
            self.attachment(self.ctx.templates.claude_sub_skill)
        self.pending += len(prompt) // 4 + 40
        rounds = rng.choice((0, 1, 1, 2, 3, 4, 6, 8, 12))
        for _ in range(rounds):
            if self.out.bytes >= self.spec["target"]:
                break
            if self.wants_subagent():
                self.agent_round()
            else:
                self.bash_round(rng.choice((1, 1, 1, 1, 2, 3)))
        blocks = [self.thinking_block()] if rng.random() < 0.2 else []
        blocks.append({"type": "text", "text": text.final_answer(rng, self.lang)})
        self.response(blocks)

    def invocation(self, prompt: str, first_turn: bool, resumed: bool) -> None:
        self.queue_ops(prompt)
        if self.first_prompt is None:
            self.first_prompt = prompt
        self.turn(prompt, first_turn)
        self.prompts += 1
        self.last_prompt(prompt)
        if resumed:
            self.out.write({"type": "mode", "mode": "normal", "sessionId": self.sid})

    def queue_ops(self, prompt: str) -> None:
        ts = self.clock.tick(20_000, 600_000)
        self.out.write(
            {
                "type": "queue-operation",
                "operation": "enqueue",
                "timestamp": iso_ms(ts),
                "sessionId": self.sid,
                "content": prompt,
            }
        )
        self.out.write(
            {
                "type": "queue-operation",
                "operation": "dequeue",
                "timestamp": iso_ms(self.clock.tick(0, 2)),
                "sessionId": self.sid,
            }
        )

    def last_prompt(self, prompt: str) -> None:
        self.out.write(
            {
                "type": "last-prompt",
                "lastPrompt": prompt,
                "leafUuid": self.last_uuid,
                "sessionId": self.sid,
            }
        )

    def run(self) -> None:
        rng = self.rng
        switch_at = rng.randint(1, 4) if self.spec.get("model_switch") else -1
        if self.prompts == 0:  # a fork arrives here with its copied history already written
            first = self.spec.get("first_prompt") or text.first_prompt(
                rng, self.lang, self.ctx.pools
            )
            self.invocation(first, True, False)
        while self.out.bytes < self.spec["target"]:
            if self.prompts == switch_at:
                self.model = self.spec["switch_to"]
            self.invocation(text.follow_up(rng, self.lang), False, True)

    # ------------------------------------------------------------------ sub-agents
    def agent_round(self) -> None:
        rng = self.rng
        agent_id = "a" + hexstr(rng, 16)
        agent_type = rng.choice(("general-purpose", "Explore", "Plan"))
        desc = (
            text.title_from(text.follow_up(rng, self.lang)).capitalize() or "Inspect project files"
        )
        sub_prompt = text.first_prompt(rng, self.lang, self.ctx.pools)
        tool_id = "toolu_01" + b62(rng, 22)
        self.response(
            [
                {"type": "text", "text": "I'll delegate this to a sub-agent."},
                {
                    "type": "tool_use",
                    "id": tool_id,
                    "name": "Agent",
                    "input": {"description": desc, "prompt": sub_prompt},
                },
            ]
        )
        source = self.last_uuid or ""
        sub = self.run_subagent(agent_id, agent_type, sub_prompt, desc, tool_id)
        answer = sub["answer"]
        total = sub["tokens"]["total"]
        content = [
            {"type": "text", "text": answer},
            {
                "type": "text",
                "text": f"agentId: {agent_id} (use SendMessage with to: '{agent_id}', "
                f"summary: '<5-10 word recap>' to continue this agent)\n<usage>"
                f"subagent_tokens: {total}\ntool_uses: {sub['tool_calls']}\n"
                f"duration_ms: {sub['duration_ms']}</usage>",
            },
        ]
        self.tool_result(
            tool_id,
            source,
            content,
            {
                "status": "completed",
                "prompt": sub_prompt,
                "agentId": agent_id,
                "agentType": agent_type,
                "content": [{"type": "text", "text": answer}],
                "resolvedModel": sub["model"] + "[1m]",
                "totalDurationMs": sub["duration_ms"],
                "totalTokens": total,
                "totalToolUseCount": sub["tool_calls"],
                "usage": sub["last_usage"],
            },
        )
        self.pending += len(answer) // 4

    def run_subagent(
        self, agent_id: str, agent_type: str, prompt: str, desc: str, tool_id: str
    ) -> dict:
        base = Path(self.out.path).with_suffix("") / "subagents"
        path = base / f"agent-{agent_id}.jsonl"
        writer = JsonlWriter(path)
        spec = dict(
            self.spec,
            target=self.spec["target"] // 6,
            subagent=False,
            model="claude-haiku-4-5" if agent_type == "Explore" else self.model,
        )
        start = self.clock.ms
        sub = ClaudeSession(
            self.ctx,
            spec,
            self.rng,
            writer,
            agent_id=agent_id,
            agent_type=agent_type,
            sid=self.sid,
            clock=self.clock,
        )
        sub.prompt_id = self.prompt_id
        sub.user_prompt(prompt)
        sub.attachment(self.ctx.templates.claude_sub_skill)
        for _ in range(self.rng.randint(1, 8)):
            sub.bash_round(1)
            if writer.bytes >= spec["target"]:
                break
        answer = text.final_answer(self.rng, self.lang)
        last_usage = sub.response([{"type": "text", "text": answer}])
        writer.close(self.clock.ms)
        (base / f"agent-{agent_id}.meta.json").write_text(
            f'{{"agentType":"{agent_type}","description":{_json_str(desc)},"toolUseId":"{tool_id}",'
            f'"spawnDepth":1}}'
        )
        truth = {
            "agent_id": agent_id,
            "path": str(path),
            "model": sub.model,
            "bytes": writer.bytes,
            "tokens": sub.tokens.as_dict(),
        }
        self.sub_truths.append(truth)
        return truth | {
            "answer": answer,
            "tool_calls": sub.tool_calls,
            "duration_ms": self.clock.ms - start,
            "last_usage": last_usage,
        }


def _json_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


# ---------------------------------------------------------------------- entry points


def session_path(home: Path, cwd: str, sid: str) -> Path:
    return home / ".claude" / "projects" / mangle(cwd) / f"{sid}.jsonl"


def write_session(ctx, spec: dict, rng: random.Random) -> dict:
    sid = uuid4(rng)
    path = session_path(ctx.home, spec["cwd"], sid)
    writer = JsonlWriter(path)
    sess = ClaudeSession(ctx, spec, rng, writer, sid=sid)
    copied: set[str] = set()
    if spec.get("fork_of"):
        copied = write_fork_prelude(ctx, spec, sess)
    sess.run()
    writer.close(sess.clock.ms)
    return truth_of(sess, spec, path, writer.bytes, copied)


def write_fork_prelude(ctx, spec: dict, sess: ClaudeSession) -> set[str]:
    """Replays the parent deterministically and copies its history lines, as --fork-session does."""
    parent = spec["fork_of"]
    prng = session_rng(ctx.seed, "claude", parent["index"])
    cap = CaptureWriter()
    psid = uuid4(prng)
    psess = ClaudeSession(ctx, parent, prng, cap, sid=psid)
    psess.run()
    spec["parent_tokens"] = psess.tokens.as_dict()
    sess.out.write({"type": "mode", "mode": "normal", "sessionId": sess.sid})
    sess.clock.ms = max(sess.clock.ms, psess.clock.ms + 60_000)
    new_prompt = text.follow_up(sess.rng, sess.lang)
    sess.queue_ops(new_prompt)
    for obj in cap.objs:
        if "uuid" in obj:
            obj["sessionId"] = sess.sid
            sess.out.write(obj)
            sess.last_uuid = obj["uuid"]
    sess.first_prompt = psess.first_prompt
    sess.tokens.add(
        *(spec["parent_tokens"][k] for k in ("input", "output", "cache_read", "cache_write"))
    )
    sess.seen_ids = set(psess.seen_ids)
    sess.context = psess.context
    sess.model = psess.model
    sess.turn(new_prompt, False)
    sess.prompts = psess.prompts + 1
    sess.last_prompt(
        psess.first_prompt or new_prompt
    )  # Claude writes the chain's first prompt here
    spec["parent_id"] = psid
    spec["first_new_prompt"] = new_prompt
    return set(psess.seen_ids)


def truth_of(sess: ClaudeSession, spec: dict, path: Path, nbytes: int, copied: set[str]) -> dict:
    truth = {
        "harness": "claude",
        "id": sess.sid,
        "path": str(path),
        "cwd": sess.cwd,
        "model": sess.model,
        "title": sess.first_prompt,
        "tokens": sess.tokens.as_dict(),
        "bytes": nbytes,
        "started_ms": spec["start_ms"],
        "updated_ms": sess.clock.ms,
        "prompts": sess.prompts,
        "responses": sess.responses,
        "tool_calls": sess.tool_calls,
        "git_branch": sess.branch,
    }
    if sess.sub_truths:
        truth["subagents"] = sess.sub_truths
        truth["bytes_with_subagents"] = nbytes + sum(s["bytes"] for s in sess.sub_truths)
    if copied:
        parent_tokens = spec["parent_tokens"]
        truth["tokens_unique"] = {k: v - parent_tokens[k] for k, v in truth["tokens"].items()}
        truth["fork_of"] = spec["parent_id"]
        truth["first_new_prompt"] = spec["first_new_prompt"]
        truth["copied_message_ids"] = len(copied)
    if spec.get("model_switch") and sess.model != spec["model"]:
        truth["model_switch"] = True
    return truth


def append_turns(
    ctx, path: Path, nbytes: int, rng: random.Random, now_ms: int | None = None
) -> int:
    """Appends about ``nbytes`` of new invocations to an existing transcript (re-index bench).

    With ``now_ms`` the new lines are stamped in the half hour before it, as a live session would.
    """
    tail, model = _last_envelope(path)
    last = parse_iso(tail["timestamp"])
    start = max(last + 60_000, (now_ms or last) - 30 * 60_000)
    spec = {
        "start_ms": start,
        "limit_ms": max(now_ms or (1 << 62), start + 1),
        "cwd": tail["cwd"],
        "lang": "python",
        "branch": tail.get("gitBranch"),
        "model": model,
        "target": nbytes,
    }
    writer = JsonlWriter(path, append=True)
    sess = ClaudeSession(ctx, spec, rng, writer, sid=tail["sessionId"])
    sess.last_uuid = tail["uuid"]
    while writer.bytes < nbytes:
        sess.invocation(text.follow_up(rng, sess.lang), False, True)
    writer.close()
    return writer.bytes


def _last_envelope(path: Path) -> tuple[dict, str]:
    """The last line with uuid/cwd/timestamp, and the model of the last assistant line."""
    with open(path, "rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        back = min(size, 4 << 20)
        fh.seek(size - back)
        lines = fh.read().splitlines()
    envelope, model = None, None
    for raw in reversed(lines):
        try:
            obj = json.loads(raw)
        except ValueError:
            continue
        if envelope is None and "uuid" in obj and "cwd" in obj and "timestamp" in obj:
            envelope = obj
        if model is None and obj.get("type") == "assistant":
            model = obj["message"]["model"]
        if envelope and model:
            return envelope, model
    if envelope is None:
        raise ValueError(f"no envelope line near the end of {path}")
    return envelope, model or MODELS[0]


def _ms_of(ts: str) -> int:
    return parse_iso(ts)
