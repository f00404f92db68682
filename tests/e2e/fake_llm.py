"""A loopback stand-in for the model APIs the agent CLIs call: the e2e tests' fake model, and
the one the recorded stores (tests/corpus, tests/heldout) are made with.

It serves, streamed as server-sent events when asked and as one JSON body otherwise:
Anthropic Messages (`/v1/messages`: Claude Code, pi's anthropic provider), OpenAI Responses
(`/v1/responses`: Codex) and Chat Completions (`/v1/chat/completions`: opencode, pi), plus
`/v1/messages/count_tokens` and `GET /v1/models`. Every request body is appended to
`<log dir>/requests.jsonl`, so a test can look for what reached the model.

What it answers is decided by the last turn of the conversation only:

* the last message is a tool's result (injected messages after it aside):
  `<prefix>: tool said: <the result's first characters>`, except that Codex's `spawn_agent`
  result (the new agent's id) is answered with a `wait_agent` call on that id;
* else the last text the user typed (skipping injected `<system-reminder>`-style blocks) is the
  prompt, and these trigger words in it change the answer:
  `THINK`    a reasoning block first (Anthropic `thinking` with a signature, a Responses
             `reasoning` item with a summary, chat completions `reasoning_content`);
  `SUBAGENT` a call of the offered sub-agent tool, after a line of text: Claude Code's
             `Agent` (`Task`), opencode's `task`, Codex's `spawn_agent` (in its
             `multi_agent_v1` namespace); the sub-agent's own prompt has no trigger word;
  `TOOLCALL` a call of the offered shell tool (`Bash`, `bash`, `exec_command`, ...) running
             `ls`, after a line of text (none on the Responses API, as Codex's models do);
  a trigger whose tool is not offered is ignored, and the answer is `<prefix>: <prompt>`.

Two styles (`--style`):
  `e2e` (default)  prefix `ok from the fake model`, prompt cut to 60 characters, flat usage
                   (10 tokens in, 5 out);
  `corpus`         prefix `ok`, prompt cut to 40 characters, and usage worked out from the size
                   of the request body (`usage()` below), so every recorded figure is fixed by
                   what the CLI sent.

Run: `python fake_llm.py --log-dir DIR [--port N] [--style corpus]`; it prints `port <n>` on
stdout once listening.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_ids = itertools.count(1)
_log_lock = threading.Lock()

REASONING = "Thinking it over: a short fixed reply will do here."
SIGNATURE = "ZmFrZS1tb2RlbC1zaWduYXR1cmU="  # base64 of "fake-model-signature"
SHELL_TOOLS = ("Bash", "bash", "exec_command", "shell_command", "shell")
# Claude Code's `Agent` (`Task` before 2.1), opencode's `task`, Codex's `spawn_agent` (in its
# `multi_agent_v1` namespace, followed by `wait_agent` on the id it returns)
AGENT_TOOLS = ("Agent", "Task", "task", "spawn_agent")
SUBAGENT_TASK = {"description": "Inspect project files",
                 "prompt": "Look at the current directory and report what it contains."}
SPAWNED = re.compile(r'\{"agent_id":"([^"]+)"')  # spawn_agent's result


@dataclass(frozen=True)
class Style:
    prefix: str
    width: int
    sized: bool  # usage from the request size (else flat)


STYLES = {"e2e": Style("ok from the fake model", 60, False), "corpus": Style("ok", 40, True)}
STYLE = STYLES["e2e"]


# ---------------------------------------------------------------------------- the last turn


@dataclass
class Turn:
    prompt: str = ""  # the last text the user typed
    tool_output: str | None = None  # set when the conversation ends with a tool's result
    tools: dict[str, dict] = field(default_factory=dict)  # offered tool -> its properties
    namespaces: dict[str, str] = field(default_factory=dict)  # tool -> its namespace (Codex)


def texts(content: object) -> list[str]:
    """The text pieces of a message's content, whatever its shape."""
    if isinstance(content, str):
        return [content]
    if isinstance(content, dict):
        content = [content]
    out = []
    for piece in content if isinstance(content, list) else []:
        if isinstance(piece, str):
            out.append(piece)
        elif isinstance(piece, dict) and isinstance(piece.get("text"), str):
            out.append(piece["text"])
    return out


def typed(content: object) -> str:
    """The last piece the user typed: injected blocks (`<system-reminder>`,
    `<environment_context>`, ...) start with `<` and are skipped."""
    kept = [t for t in texts(content) if t.strip() and not t.lstrip().startswith("<")]
    return kept[-1] if kept else ""


def last_user_prompt(messages: list) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            text = typed(message.get("content"))
            if text:
                return text
    return ""


def properties(schema: object) -> dict:
    return (schema or {}).get("properties") or {} if isinstance(schema, dict) else {}


def anthropic_turn(body: dict) -> Turn:
    tools = {t["name"]: properties(t.get("input_schema")) for t in body.get("tools") or []
             if isinstance(t, dict) and t.get("name")}
    # Claude Code may end the list with `system` messages: only the conversation counts
    talk = [m for m in body.get("messages") or []
            if isinstance(m, dict) and m.get("role") in ("user", "assistant")]
    if talk and talk[-1]["role"] == "user" and isinstance(talk[-1].get("content"), list):
        results = [c for c in talk[-1]["content"]
                   if isinstance(c, dict) and c.get("type") == "tool_result"]
        if results:
            return Turn(tool_output=" ".join(texts(results[-1].get("content"))), tools=tools)
    return Turn(prompt=last_user_prompt(talk), tools=tools)


def responses_turn(body: dict) -> Turn:
    tools: dict[str, dict] = {}
    namespaces: dict[str, str] = {}
    for t in body.get("tools") or []:
        if not isinstance(t, dict):
            continue
        if t.get("type") == "function" and t.get("name"):
            tools[t["name"]] = properties(t.get("parameters"))
        elif t.get("type") == "namespace" and t.get("name"):  # Codex's `multi_agent_v1`
            for inner in t.get("tools") or []:
                if isinstance(inner, dict) and inner.get("name"):
                    tools[inner["name"]] = properties(inner.get("parameters"))
                    namespaces[inner["name"]] = t["name"]
    items = body.get("input") or []
    if isinstance(items, str):
        return Turn(prompt=items, tools=tools, namespaces=namespaces)
    # Codex follows `wait_agent`'s result with an injected `<subagent_notification>` message:
    # a tool's result followed by injected messages only still ends the conversation
    end = len(items)
    while end > 1 and isinstance(items[end - 1], dict) and items[end - 1].get("role") == "user" \
            and not typed(items[end - 1].get("content")):
        end -= 1
    last = items[end - 1] if end and isinstance(items[end - 1], dict) else {}
    if str(last.get("type", "")).endswith("_call_output"):
        output = last.get("output")
        if isinstance(output, dict):
            output = output.get("content", json.dumps(output))
        return Turn(tool_output=output if isinstance(output, str) else " ".join(texts(output)),
                    tools=tools, namespaces=namespaces)
    return Turn(prompt=last_user_prompt(items), tools=tools, namespaces=namespaces)


def chat_turn(body: dict) -> Turn:
    tools = {}
    for t in body.get("tools") or []:
        fn = t.get("function") if isinstance(t, dict) else None
        if isinstance(fn, dict) and fn.get("name"):
            tools[fn["name"]] = properties(fn.get("parameters"))
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    if messages and messages[-1].get("role") == "tool":
        return Turn(tool_output=" ".join(texts(messages[-1].get("content"))), tools=tools)
    return Turn(prompt=last_user_prompt(messages), tools=tools)


# ---------------------------------------------------------------------------- the answer


@dataclass
class Answer:
    text: str  # the visible text (before the call, when there is one)
    thinking: str | None = None
    call: tuple[str, dict] | None = None  # (tool name, its input)


def echo(what: str) -> str:
    cut = " ".join(what.split())[:STYLE.width]
    return f"{STYLE.prefix}: {cut}" if cut else STYLE.prefix


def shell_input(props: dict) -> dict:
    """`ls` in the shape the offered shell tool takes: `cmd` or `command`, a string or an
    argv list, plus a `description` when the tool has one (Claude's and opencode's do)."""
    key = "cmd" if "cmd" in props else "command"
    args: dict = {key: ["ls"] if (props.get(key) or {}).get("type") == "array" else "ls"}
    if "description" in props:
        args["description"] = "List the files in this folder"
    return args


def agent_input(name: str, props: dict) -> dict:
    """The sub-agent's task in the shape the offered tool takes: Codex's `spawn_agent` has a
    `message`; opencode's `task` requires a `subagent_type` (its built-in `general`)."""
    if "message" in props and "prompt" not in props:
        return {"message": SUBAGENT_TASK["prompt"]}
    return {**SUBAGENT_TASK, "subagent_type": "general"} if name == "task" else dict(SUBAGENT_TASK)


def answer(turn: Turn) -> Answer:
    if turn.tool_output is not None:
        spawned = SPAWNED.match(turn.tool_output)
        if spawned and "wait_agent" in turn.tools:  # Codex: the child runs on its own thread
            return Answer("", None, ("wait_agent", {"targets": [spawned[1]],
                                                    "timeout_ms": 60000}))
        return Answer(echo(f"tool said: {turn.tool_output}"))
    prompt = turn.prompt
    thinking = REASONING if "THINK" in prompt else None
    agent = next((n for n in AGENT_TOOLS if n in turn.tools), None)
    shell = next((n for n in SHELL_TOOLS if n in turn.tools), None)
    if "SUBAGENT" in prompt and agent:
        return Answer("I'll delegate this to a sub-agent.", thinking,
                      (agent, agent_input(agent, turn.tools[agent])))
    if "TOOLCALL" in prompt and shell:
        return Answer("I'll list the files.", thinking, (shell, shell_input(turn.tools[shell])))
    return Answer(echo(prompt), thinking)


@dataclass
class Usage:
    prompt: int  # every input token of the request
    cached: int  # of which read from the cache
    written: int  # of which written to the cache (Anthropic only)
    output: int  # visible output tokens
    reasoning: int  # reasoning tokens, on top of `output`

    @property
    def fresh(self) -> int:
        return self.prompt - self.cached - self.written


def usage(raw: bytes, reply: Answer, caches_writes: bool) -> Usage:
    """Flat in the e2e style. In the corpus style: a token per 4 bytes of the request body
    (at least 20); two thirds of it (after a small fresh part, 2 + prompt % 17) read from the
    cache and, on the Anthropic API, the rest written to it; output a token per 4 characters of
    the visible answer (its JSON, for a call) plus 3; reasoning a token per 4 characters."""
    if not STYLE.sized:
        return Usage(10, 0, 0, 5, 0)
    prompt = max(20, len(raw) // 4)
    fresh = 2 + prompt % 17
    cached = (prompt - fresh) * 2 // 3
    written = prompt - fresh - cached if caches_writes else 0
    shown = len(reply.text) + (len(json.dumps(reply.call[1])) if reply.call else 0)
    return Usage(prompt, cached, written, 3 + shown // 4,
                 len(reply.thinking) // 4 if reply.thinking else 0)


# ---------------------------------------------------------------------------- wire formats


def new_id(prefix: str, sep: str = "_") -> str:
    return f"{prefix}{sep}{next(_ids):06d}"


def sse(event: str | None, data: object) -> bytes:
    head = f"event: {event}\n" if event else ""
    body = data if isinstance(data, str) else json.dumps(data)
    return f"{head}data: {body}\n\n".encode()


def pieces(text: str, size: int = 16) -> list[str]:
    """A text cut into a few deltas, as a model streams it."""
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def anthropic(body: dict, raw: bytes) -> tuple[dict, list[bytes]]:
    reply = answer(anthropic_turn(body))
    used = usage(raw, reply, caches_writes=True)
    blocks: list[dict] = []
    if reply.thinking:
        blocks.append({"type": "thinking", "thinking": reply.thinking, "signature": SIGNATURE})
    blocks.append({"type": "text", "text": reply.text})
    if reply.call:
        blocks.append({"type": "tool_use", "id": new_id("toolu_fake"), "name": reply.call[0],
                       "input": reply.call[1]})
    stop = "tool_use" if reply.call else "end_turn"
    totals = {"input_tokens": used.fresh, "cache_creation_input_tokens": used.written,
              "cache_read_input_tokens": used.cached,
              "output_tokens": used.output + used.reasoning}
    message = {"id": new_id("msg_fake"), "type": "message", "role": "assistant",
               "model": body.get("model", "fake-model"), "content": blocks,
               "stop_reason": stop, "stop_sequence": None,
               "usage": {**totals, "service_tier": "standard"}}
    events = [sse("message_start", {"type": "message_start", "message": {
        **message, "content": [], "stop_reason": None,
        "usage": {**message["usage"], "output_tokens": 1}}})]
    for index, block in enumerate(blocks):
        def delta(kind: str, index: int = index, **fields: object) -> bytes:
            return sse("content_block_delta", {"type": "content_block_delta", "index": index,
                                               "delta": {"type": kind, **fields}})

        if block["type"] == "thinking":
            start = {"type": "thinking", "thinking": "", "signature": ""}
            deltas = [delta("thinking_delta", thinking=p) for p in pieces(block["thinking"])]
            deltas.append(delta("signature_delta", signature=block["signature"]))
        elif block["type"] == "text":
            start = {"type": "text", "text": ""}
            deltas = [delta("text_delta", text=p) for p in pieces(block["text"])]
        else:
            start = {**block, "input": {}}
            deltas = [delta("input_json_delta", partial_json=p)
                      for p in pieces(json.dumps(block["input"]), 24)]
        events.append(sse("content_block_start", {"type": "content_block_start",
                                                  "index": index, "content_block": start}))
        events.extend(deltas)
        events.append(sse("content_block_stop", {"type": "content_block_stop", "index": index}))
    events += [
        sse("message_delta", {"type": "message_delta",
                              "delta": {"stop_reason": stop, "stop_sequence": None},
                              "usage": totals}),
        sse("message_stop", {"type": "message_stop"}),
    ]
    return message, events


def responses(body: dict, raw: bytes) -> tuple[dict, list[bytes]]:
    turn = responses_turn(body)
    reply = answer(turn)
    used = usage(raw, reply, caches_writes=False)
    output: list[dict] = []
    if reply.thinking:
        output.append({"id": new_id("rs_fake"), "type": "reasoning", "encrypted_content": None,
                       "summary": [{"type": "summary_text", "text": reply.thinking}]})
    if reply.call:  # a call alone, no text before it
        call = {"id": new_id("fc_fake"), "type": "function_call", "status": "completed",
                "call_id": new_id("call_fake"), "name": reply.call[0],
                "arguments": json.dumps(reply.call[1])}
        if reply.call[0] in turn.namespaces:
            call["namespace"] = turn.namespaces[reply.call[0]]
        output.append(call)
    else:
        output.append({"id": new_id("msg_fake"), "type": "message", "role": "assistant",
                       "status": "completed", "content": [
                           {"type": "output_text", "text": reply.text, "annotations": []}]})
    out_tokens = used.output + used.reasoning
    totals = {"input_tokens": used.prompt, "input_tokens_details": {"cached_tokens": used.cached},
              "output_tokens": out_tokens,
              "output_tokens_details": {"reasoning_tokens": used.reasoning},
              "total_tokens": used.prompt + out_tokens}
    shell = {"id": new_id("resp_fake"), "object": "response", "created_at": 0,
             "model": body.get("model", "fake-model"), "status": "in_progress", "output": [],
             "usage": None, "error": None, "incomplete_details": None}
    done = {**shell, "status": "completed", "output": output, "usage": totals}
    seq = itertools.count()

    def ev(kind: str, **fields: object) -> bytes:
        return sse(kind, {"type": kind, "sequence_number": next(seq), **fields})

    events = [ev("response.created", response=shell), ev("response.in_progress", response=shell)]
    for n, item in enumerate(output):
        at = {"item_id": item["id"], "output_index": n}
        if item["type"] == "reasoning":
            summary = item["summary"][0]
            events += [
                ev("response.output_item.added", output_index=n, item={**item, "summary": []}),
                ev("response.reasoning_summary_part.added", **at, summary_index=0,
                   part={"type": "summary_text", "text": ""}),
                *[ev("response.reasoning_summary_text.delta", **at, summary_index=0, delta=p)
                  for p in pieces(summary["text"])],
                ev("response.reasoning_summary_text.done", **at, summary_index=0,
                   text=summary["text"]),
                ev("response.reasoning_summary_part.done", **at, summary_index=0, part=summary),
            ]
        elif item["type"] == "function_call":
            events += [
                ev("response.output_item.added", output_index=n,
                   item={**item, "status": "in_progress", "arguments": ""}),
                *[ev("response.function_call_arguments.delta", **at, delta=p)
                  for p in pieces(item["arguments"], 24)],
                ev("response.function_call_arguments.done", **at, arguments=item["arguments"]),
            ]
        else:
            part = item["content"][0]
            at["content_index"] = 0
            events += [
                ev("response.output_item.added", output_index=n,
                   item={**item, "status": "in_progress", "content": []}),
                ev("response.content_part.added", **at, part={**part, "text": ""}),
                *[ev("response.output_text.delta", **at, delta=p) for p in pieces(part["text"])],
                ev("response.output_text.done", **at, text=part["text"]),
                ev("response.content_part.done", **at, part=part),
            ]
        events.append(ev("response.output_item.done", output_index=n, item=item))
    events.append(ev("response.completed", response=done))
    return done, events


def chat(body: dict, raw: bytes) -> tuple[dict, list[bytes]]:
    reply = answer(chat_turn(body))
    used = usage(raw, reply, caches_writes=False)
    cid, model = new_id("chatcmpl-fake", ""), body.get("model", "fake-model")
    finish = "tool_calls" if reply.call else "stop"
    calls = [{"id": new_id("call_fake"), "type": "function", "function": {
        "name": reply.call[0], "arguments": json.dumps(reply.call[1])}}] if reply.call else []
    out_tokens = used.output + used.reasoning
    totals = {"prompt_tokens": used.prompt, "completion_tokens": out_tokens,
              "total_tokens": used.prompt + out_tokens,
              "prompt_tokens_details": {"cached_tokens": used.cached},
              "completion_tokens_details": {"reasoning_tokens": used.reasoning}}
    message: dict = {"role": "assistant", "content": reply.text}
    if reply.thinking:
        message["reasoning_content"] = reply.thinking
    if calls:
        message["tool_calls"] = calls
    whole = {"id": cid, "object": "chat.completion", "created": 0, "model": model,
             "choices": [{"index": 0, "finish_reason": finish, "message": message}],
             "usage": totals}

    def chunk(delta: dict | None, finish: str | None = None, **extra: object) -> bytes:
        choices = [] if delta is None else [{"index": 0, "delta": delta,
                                             "finish_reason": finish}]
        return sse(None, {"id": cid, "object": "chat.completion.chunk", "created": 0,
                          "model": model, "choices": choices, **extra})

    events = [chunk({"role": "assistant", "content": ""})]
    events += [chunk({"reasoning_content": p}) for p in pieces(reply.thinking or "") if p]
    events += [chunk({"content": p}) for p in pieces(reply.text)]
    for n, call in enumerate(calls):
        events.append(chunk({"tool_calls": [{"index": n, "id": call["id"], "type": "function",
                                             "function": {"name": call["function"]["name"],
                                                          "arguments": ""}}]}))
        events += [chunk({"tool_calls": [{"index": n, "function": {"arguments": p}}]})
                   for p in pieces(call["function"]["arguments"], 24)]
    events += [chunk({}, finish), chunk(None, usage=totals), sse(None, "[DONE]")]
    return whole, events


ROUTES = {"/v1/messages": anthropic, "/v1/responses": responses,
          "/v1/chat/completions": chat}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    log_dir = "."

    def log_message(self, fmt: str, *args: object) -> None:
        pass

    def _send(self, code: int, payload: object) -> None:
        data = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        if self.path.split("?")[0].rstrip("/").endswith("/models"):
            names = ["fake-model", "gpt-5-codex", "claude-sonnet-4-5"]
            self._send(200, {"object": "list", "data": [
                {"id": n, "object": "model", "type": "model", "owned_by": "fake",
                 "display_name": n} for n in names], "has_more": False})
        else:
            self._send(404, {"error": {"message": "not found", "type": "not_found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            raw = gzip.decompress(raw)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"unparsed": raw.decode("utf-8", "replace")}
        if not isinstance(body, dict):
            body = {"unparsed": body}
        path = self.path.split("?")[0]
        with _log_lock, open(os.path.join(self.log_dir, "requests.jsonl"), "a") as log:
            log.write(json.dumps({"path": path, "body": body}) + "\n")
        if path.endswith("/count_tokens"):
            self._send(200, {"input_tokens": max(20, len(raw) // 4) if STYLE.sized else 10})
            return
        route = next((fn for suffix, fn in ROUTES.items() if path.endswith(suffix)), None)
        if route is None:
            self._send(404, {"error": {"message": f"no route {path}", "type": "not_found"}})
            return
        whole, events = route(body, raw)
        if not body.get("stream"):
            self._send(200, whole)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        for event in events:
            self.wfile.write(event)
        self.wfile.flush()


def main() -> None:
    global STYLE
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log-dir", required=True)
    parser.add_argument("--style", choices=sorted(STYLES), default="e2e")
    args = parser.parse_args()
    STYLE = STYLES[args.style]
    os.makedirs(args.log_dir, exist_ok=True)
    Handler.log_dir = args.log_dir
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"port {server.server_address[1]}", flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
