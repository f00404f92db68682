"""pi coding agent: `~/.pi/agent/sessions/--<mangled cwd>--/<ts>_<id>.jsonl` (PI_CODING_AGENT_DIR).

Session format v3: a header line, then a tree of entries (`id`/`parentId`). pi records cost per
response (computed from its own price table), so its cost is recorded, not estimated. A resumed
session may switch provider without a `model_change` entry: the assistant message's own
`provider`/`model` is the truth. `session_info.name` is an explicit title.
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
    dumps,
    is_wrapper,
    materialize,
    text_blocks,
)


class PiParser(LineParser):
    harness = "pi"

    def load(self, s: dict) -> None:
        self.s = {
            "id": None, "dir": None, "created": None, "last": None, "model": None,
            "provider": None, "turns": 0, "name": None, "prompt": None, "ctx": None,
            "open": False, "usage": {}, "skipped": 0, "parent": None,
        }
        self.s.update(s)

    def dump(self) -> dict:
        return self.s

    def skip(self, line: bytes) -> bool:
        head = line[:300]
        if b'"role":"toolResult"' not in head:
            return False
        self.s["open"] = True
        self.touch(stamp(head))
        return True

    schema = "PiLine"

    def record(self, rec: dict, offset: int) -> None:
        # a cold index reads the common records through `sift.pi`: change both
        s = self.s
        kind = rec.get("type")
        ts = parse_iso(rec.get("timestamp"))
        if kind == "session":
            s["id"] = rec.get("id") or s["id"]
            s["dir"] = rec.get("cwd") or s["dir"]
            parent = rec.get("parentSession")
            if isinstance(parent, str):
                s["parent"] = os.path.basename(parent).rsplit(".", 1)[0].rsplit("_", 1)[-1]
        elif kind == "model_change":
            s["provider"] = rec.get("provider") or s["provider"]
            s["model"] = rec.get("modelId") or s["model"]
        elif kind == "session_info" and isinstance(rec.get("name"), str):
            s["name"] = rec["name"].strip() or None
        elif kind == "message" and isinstance(rec.get("message"), dict):
            self._message(rec["message"], ts, offset)
        self.touch(ts)

    def _message(self, m: dict, ts: float | None, offset: int) -> None:
        s = self.s
        role = m.get("role")
        if role == "user":
            text = text_blocks(materialize(m.get("content")))
            if text and not is_wrapper(text):
                s["turns"] += 1
                s["open"] = True
                s["prompt"] = s["prompt"] or clean_prompt(text)
                self.text("user", ts, offset, text)
        elif role == "assistant":
            s["provider"] = m.get("provider") or s["provider"]
            s["model"] = m.get("model") or s["model"]
            s["open"] = m.get("stopReason") == "toolUse"
            if self.keep_texts:
                text = text_blocks(materialize(m.get("content")))
                if text:
                    self.text("assistant", ts, offset, text)
            if self.summarising:
                self._usage(m.get("usage"), ts)
        elif role == "toolResult":
            s["open"] = True

    def _usage(self, usage: object, ts: float | None) -> None:
        if not isinstance(usage, dict):
            return
        cost = usage.get("cost")
        self._count([as_int(usage.get(k)) for k in ("input", "output", "cacheRead", "cacheWrite")],
                    cost.get("total") if isinstance(cost, dict) else None,
                    usage.get("reasoning"), ts)

    def _count(self, counts: list[int], total: object, reasoning: object,
               ts: float | None) -> None:
        """One response's tokens, its recorded cost `total` and reasoning count."""
        self.s["ctx"] = counts[0] + counts[2] + counts[3]
        recorded = float(total) if isinstance(total, (int, float)) else None
        # pi's `output` includes reasoning (completion_tokens; Anthropic output_tokens). 0.73
        # records no reasoning count; a later `usage.reasoning` is read as the part of output.
        add_usage(self.s["usage"], ts, self.s["model"], *counts, cost=recorded,
                  reasoning=reasoning if type(reasoning) is int and reasoning >= 0 else None)

    def summary(self) -> SessionSummary | None:
        s = self.s
        session_id = s["id"] or os.path.basename(self.path).rsplit(".", 1)[0].rsplit("_", 1)[-1]
        title, source = (s["name"], "name") if s["name"] else (
            s["prompt"], "prompt" if s["prompt"] else None)
        return SessionSummary(
            harness="pi", id=session_id, source=self.path, dir=s["dir"], title=title,
            title_source=source, model=s["model"], provider=s["provider"],
            created=s["created"], last=s["last"], turns=s["turns"], ctx_tokens=s["ctx"],
            ctx_window=context_window(s["provider"], s["model"]), turn_open=s["open"],
            parent_id=s["parent"], skipped_lines=s["skipped"], usage=s["usage"],
        )


def agent_dir() -> str:
    return env_dir("PI_CODING_AGENT_DIR", "~/.pi/agent")


_WINDOWS: dict[str, dict] = {}


def context_window(provider: str | None, model: str | None) -> int | None:
    """Context windows of the user's custom models, from pi's own models.json."""
    path = os.path.join(agent_dir(), "models.json")
    if path not in _WINDOWS:
        windows: dict = {}
        try:
            with open(path, encoding="utf-8") as fh:
                providers = _load(fh).get("providers", {})
            for pname, pdata in providers.items():
                for m in pdata.get("models", []) if isinstance(pdata, dict) else []:
                    if isinstance(m, dict) and as_int(m.get("contextWindow")):
                        windows[(pname, m.get("id"))] = m["contextWindow"]
        except (OSError, ValueError, AttributeError):
            pass
        _WINDOWS[path] = windows
    return _WINDOWS[path].get((provider, model))


class Pi(Harness):
    name = "pi"
    label = "pi"

    def roots(self) -> list[str]:
        return [os.path.join(agent_dir(), "sessions")]

    def discover(self) -> Iterator[tuple[str, os.stat_result]]:
        yield from scan_files([(self.roots()[0], 2)])

    def parser(self, path: str, state: dict | None, keep_texts: bool = True) -> LineParser:
        return PiParser(path, state, keep_texts)

    def read_turns(self, source: str, session_id: str, since: int) -> Iterator[Turn]:
        for offset, rec in records(source, since):
            if rec.get("type") != "message":
                continue
            m = rec.get("message")
            if not isinstance(m, dict):
                continue
            ts = parse_iso(rec.get("timestamp"))
            role = m.get("role")
            content = m.get("content")
            if role == "toolResult":
                yield Turn("tool", ts, offset, text_blocks(content))
            elif role in ("user", "assistant"):
                tools = [
                    f"{b.get('name')} {dumps(b.get('arguments'))}"
                    for b in content if isinstance(b, dict) and b.get("type") == "toolCall"
                ] if isinstance(content, list) else []
                yield Turn(role, ts, offset, text_blocks(content), tools)

    # pi 0.73.1 has no `--session-id` ("Unknown option", exit 1) and `--session <new id>` fails
    # ("No session found"): it mints its own id and the holder adopts it. Its parser takes no
    # `--` either, so a task starting with "-" (or "@", a file to attach) cannot be passed.
    launch = ("pi", "--model", "{model}", "{task}")
    launch_headless = ("pi", "-p", "--model", "{model}", "{task}")
    resume_input = ("pi", "--session", "{id}", "{task}")
    resume_input_headless = ("pi", "-p", "--session", "{id}", "{task}")

    def resume_argv(self, session_id: str, source: str) -> list[str]:
        return ["pi", "--session", session_id]


def _load(fh) -> dict:
    import json

    return json.load(fh)
