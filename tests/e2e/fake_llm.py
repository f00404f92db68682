"""A loopback stand-in for the model APIs the agent CLIs call, for the end-to-end tests.

It answers every request with `ok from the fake model: <the prompt>` (the last text the user
typed, cut to 60 characters; the bare phrase when there is none), in the wire shape each CLI
expects: Anthropic Messages (Claude Code), OpenAI Responses (Codex) and Chat Completions
(opencode, pi), streamed as server-sent events when asked. Every request body is appended to
`<log dir>/requests.jsonl`, so a test can look for what reached the model.
Run: `python fake_llm.py --log-dir DIR [--port N]`; it prints `port <n>` once listening.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY = "ok from the fake model"
_ids = itertools.count(1)
_log_lock = threading.Lock()


def prompt_of(body: dict) -> str:
    """The last text of the last user message, skipping injected `<system-reminder>`-style
    blocks (Claude Code, Codex) and non-user roles (Claude's trailing `system` message)."""
    items = body.get("messages") or body.get("input") or []
    if isinstance(items, str):
        return items
    for message in reversed(items):
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        parts = [content] if isinstance(content, str) else [
            c.get("text") for c in content or [] if isinstance(c, dict)]
        texts = [t for t in parts if isinstance(t, str) and t.strip()
                 and not t.lstrip().startswith("<")]
        if texts:
            return texts[-1]
    return ""


def reply_for(body: dict) -> str:
    prompt = " ".join(prompt_of(body).split())[:60]
    return f"{REPLY}: {prompt}" if prompt else REPLY


def new_id(prefix: str) -> str:
    return f"{prefix}_{next(_ids):06d}"


def sse(event: str | None, data: object) -> bytes:
    head = f"event: {event}\n" if event else ""
    body = data if isinstance(data, str) else json.dumps(data)
    return f"{head}data: {body}\n\n".encode()


def anthropic(body: dict) -> tuple[dict, list[bytes]]:
    model, text = body.get("model", "fake"), reply_for(body)
    usage = {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 0,
             "cache_creation_input_tokens": 0}
    message = {"id": new_id("msg"), "type": "message", "role": "assistant", "model": model,
               "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
               "stop_sequence": None, "usage": usage}
    events = [
        sse("message_start", {"type": "message_start", "message": {
            **message, "content": [], "stop_reason": None, "usage": {**usage,
                                                                       "output_tokens": 1}}}),
        sse("content_block_start", {"type": "content_block_start", "index": 0,
                                    "content_block": {"type": "text", "text": ""}}),
        sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                    "delta": {"type": "text_delta", "text": text}}),
        sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
        sse("message_delta", {"type": "message_delta",
                              "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                              "usage": {"output_tokens": 5}}),
        sse("message_stop", {"type": "message_stop"}),
    ]
    return message, events


def responses(body: dict) -> tuple[dict, list[bytes]]:
    rid, mid, text = new_id("resp"), new_id("msg"), reply_for(body)
    item = {"id": mid, "type": "message", "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": []}]}
    usage = {"input_tokens": 10, "input_tokens_details": {"cached_tokens": 0},
             "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 0},
             "total_tokens": 15}
    shell = {"id": rid, "object": "response", "model": body.get("model", "fake"),
             "status": "in_progress", "output": [], "usage": None}
    done = {**shell, "status": "completed", "output": [item], "usage": usage}
    seq = itertools.count()

    def ev(kind: str, **fields: object) -> bytes:
        return sse(kind, {"type": kind, "sequence_number": next(seq), **fields})

    part = {"type": "output_text", "text": "", "annotations": []}
    where = {"item_id": mid, "output_index": 0, "content_index": 0}
    events = [
        ev("response.created", response=shell),
        ev("response.output_item.added", output_index=0,
           item={**item, "status": "in_progress", "content": []}),
        ev("response.content_part.added", **where, part=part),
        ev("response.output_text.delta", **where, delta=text),
        ev("response.output_text.done", **where, text=text),
        ev("response.content_part.done", **where, part=item["content"][0]),
        ev("response.output_item.done", output_index=0, item=item),
        ev("response.completed", response=done),
    ]
    return done, events


def chat(body: dict) -> tuple[dict, list[bytes]]:
    cid, model, text = new_id("chatcmpl"), body.get("model", "fake"), reply_for(body)
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    whole = {"id": cid, "object": "chat.completion", "created": 0, "model": model,
             "choices": [{"index": 0, "finish_reason": "stop",
                          "message": {"role": "assistant", "content": text}}],
             "usage": usage}

    def chunk(delta: dict | None, finish: str | None = None, **extra: object) -> bytes:
        choices = [] if delta is None else [{"index": 0, "delta": delta,
                                             "finish_reason": finish}]
        return sse(None, {"id": cid, "object": "chat.completion.chunk", "created": 0,
                          "model": model, "choices": choices, **extra})

    events = [chunk({"role": "assistant", "content": ""}), chunk({"content": text}),
              chunk({}, "stop"), chunk(None, usage=usage), sse(None, "[DONE]")]
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
        if self.path.split("?")[0].endswith("/models"):
            names = ["fake-model", "gpt-5-codex", "claude-sonnet-4-5"]
            self._send(200, {"object": "list", "data": [
                {"id": n, "object": "model", "type": "model", "owned_by": "fake",
                 "display_name": n} for n in names], "has_more": False})
        else:
            self._send(404, {"error": {"message": "not found", "type": "not_found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"unparsed": raw.decode("utf-8", "replace")}
        path = self.path.split("?")[0]
        with _log_lock, open(os.path.join(self.log_dir, "requests.jsonl"), "a") as log:
            log.write(json.dumps({"path": path, "body": body}) + "\n")
        if path.endswith("/count_tokens"):
            self._send(200, {"input_tokens": 10})
            return
        route = next((fn for suffix, fn in ROUTES.items() if path.endswith(suffix)), None)
        if route is None:
            self._send(404, {"error": {"message": f"no route {path}", "type": "not_found"}})
            return
        whole, events = route(body)
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
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--log-dir", required=True)
    args = parser.parse_args()
    os.makedirs(args.log_dir, exist_ok=True)
    Handler.log_dir = args.log_dir
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"port {server.server_address[1]}", flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
