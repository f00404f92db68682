"""Claude Code: `~/.claude/projects/<mangled cwd>/<session>.jsonl` (honours CLAUDE_CONFIG_DIR).

Traps handled (see shared/corpus/README.md): one API response is written as several assistant
lines, one per content block, each repeating the full usage, so usage is counted once per
`message.id` + `requestId`; `--fork-session` copies earlier lines (with their original
timestamps) into the new file, so lines older than the file's first queued prompt are history,
not new spend; sub-agent transcripts live in `<session>/subagents/` and are indexed as their own
sessions with the parent linked.
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
    clean_prompt,
    is_wrapper,
    materialize,
    peek,
    text_blocks,
)

RECENT_IDS = 64  # duplicated usage lines of one response are adjacent; keep a small window
SAVED_IDS = 8  # of which this many are saved with the offset: a repeat spans an append at most
FORK_SLACK = 1.0  # seconds
HEAD = 600
STAMP_WITHIN = 2048
USAGE_KEYS = ("input_tokens", "output_tokens", "cache_read_input_tokens",
              "cache_creation_input_tokens")


class ClaudeParser(LineParser):
    harness = "claude"

    def load(self, s: dict) -> None:
        self.s = {
            "id": None, "dir": None, "branch": None, "created": None, "last": None,
            "birth": None, "model": None, "turns": 0, "title": None, "title_source": None,
            "prompt": None, "queued": None, "last_prompt": None, "ctx": None, "open": False,
            "recent": [], "usage": {}, "skipped": 0, "parent": None, "agent": None,
            "first_uuid": None,
        }
        self.s.update(s)
        self._recent = {tuple(r[0:2]): r[2] for r in self.s["recent"]}
        self._last: tuple = (None, None)  # the last response counted, and its usage

    def dump(self) -> dict:
        self.s["recent"] = [[k[0], k[1], v] for k, v in list(self._recent.items())[-SAVED_IDS:]]
        return self.s

    def skip(self, line: bytes) -> bool:
        head = line[:HEAD]
        if b'"tool_use_id"' in head and b'"type":"user"' in head:
            self.s["open"] = True  # a tool result: the turn goes on
        elif not (b'"type":"attachment"' in head and self.s["dir"] is not None):
            return False
        # The record's timestamp follows its content: look for it only in a short line's bytes.
        # A long tool result's time is soon covered by the reply that follows it.
        ts = stamp(line[:STAMP_WITHIN])
        if not self._copied(ts):
            self.touch(ts)
        return True

    schema = "ClaudeLine"

    def record(self, rec: dict, offset: int) -> None:
        # a cold index reads the common records through `sift.claude`: change both
        kind = rec.get("type")
        ts = parse_iso(rec.get("timestamp"))
        s = self.s
        if kind == "assistant":  # most records: the shortest way through
            message = rec.get("message")
            if isinstance(message, dict) and s["dir"] is not None and s["id"] is not None:
                self._assistant(rec, message, ts, offset)
                self.touch(ts)
                return
        if kind == "attachment" and s["dir"] is not None or kind == "user" and _tool_result(rec):
            # What `skip` passes over when it can tell from the first bytes; the same here.
            if kind == "user":
                s["open"] = True
            if not self._copied(ts):
                self.touch(ts)
            return
        if s["id"] is None and isinstance(rec.get("sessionId"), str):
            s["id"] = rec["sessionId"]
        if rec.get("agentId") and s["agent"] is None:
            s["agent"] = rec["agentId"]
        if kind in ("user", "assistant", "attachment"):
            self._envelope(rec, ts)
        if kind == "user":
            self._user(rec, ts, offset)
        elif kind == "assistant" and isinstance(rec.get("message"), dict):
            self._assistant(rec, rec["message"], ts, offset)
        elif kind == "queue-operation":
            if rec.get("operation") == "enqueue" and s["birth"] is None and s["turns"] == 0:
                s["birth"] = ts
            if s["queued"] is None and isinstance(rec.get("content"), str):
                s["queued"] = rec["content"]
        elif kind == "custom-title" and isinstance(rec.get("customTitle"), str):
            s["title"], s["title_source"] = rec["customTitle"], "name"
        elif kind in ("summary", "ai-title") and s["title_source"] != "name":
            value = rec.get("summary") or rec.get("aiTitle") or rec.get("title")
            if isinstance(value, str):
                s["title"], s["title_source"] = value, "generated"
        elif kind == "last-prompt" and isinstance(rec.get("lastPrompt"), str):
            s["last_prompt"] = rec["lastPrompt"]
        self.touch(ts)

    def _envelope(self, rec: dict, ts: float | None) -> None:
        s = self.s
        if s["dir"] is None and isinstance(rec.get("cwd"), str):
            s["dir"] = rec["cwd"]
        branch = rec.get("gitBranch")
        if isinstance(branch, str) and branch and branch != "HEAD":
            # "HEAD" is written outside a git repository and on a detached head alike: it
            # names no branch, so the last real branch recorded stands (else none).
            s["branch"] = branch
        if s["first_uuid"] is None and isinstance(rec.get("uuid"), str):
            s["first_uuid"] = rec["uuid"]

    def _copied(self, ts: float | None) -> bool:
        birth = self.s["birth"]
        return birth is not None and ts is not None and ts < birth - FORK_SLACK

    def _user(self, rec: dict, ts: float | None, offset: int) -> None:
        message = rec.get("message")
        if not isinstance(message, dict) or rec.get("isMeta"):
            return
        text = text_blocks(materialize(message.get("content")))
        if not text or is_wrapper(text):
            return
        self.s["turns"] += 1
        self.s["open"] = True
        if self.s["prompt"] is None:
            self.s["prompt"] = clean_prompt(text)
        self.text("user", ts, offset, text)

    def _assistant(self, rec: dict, message: dict, ts: float | None, offset: int) -> None:
        branch = rec.get("gitBranch")
        if branch and branch != self.s["branch"]:
            self._envelope(rec, ts)
        model = message.get("model")
        if isinstance(model, str) and model and model != "<synthetic>":
            self.s["model"] = model
        stop = message.get("stop_reason")
        if stop:
            self.s["open"] = stop == "tool_use"
        if self.keep_texts:
            text = text_blocks(materialize(message.get("content")))
            if text:
                self.text("assistant", ts, offset, text)
        usage = message.get("usage")
        if isinstance(usage, dict) and self.summarising and not self._copied(ts):
            self._count(rec, message, usage, ts)

    def _count(self, rec: dict, message: dict, usage: dict, ts: float | None) -> None:
        key = (message.get("id"), rec.get("requestId"))
        if key == self._last[0] and usage == self._last[1] and key != (None, None):
            return  # the usual repeat: one line per content block, the same usage on each
        self._last = (key, usage)
        self._fresh(key, [usage.get(k) for k in USAGE_KEYS], ts)

    def _fresh(self, key: tuple, fresh: list, ts: float | None) -> None:
        """Count one response's usage (`fresh`, in USAGE_KEYS order), once per response."""
        fresh = [v if type(v) is int else 0 for v in fresh]
        self.s["ctx"] = fresh[0] + fresh[2] + fresh[3]
        key = (str(key[0] or ""), str(key[1] or ""))
        seen = self._recent.get(key) if key != ("", "") else None
        if seen == fresh:
            return  # the usual repeat: one line per content block, the same usage on each
        if seen is not None:
            # The same response again (one line per content block): count only growth.
            delta = [max(0, f - o) for f, o in zip(fresh, seen, strict=True)]
            self._recent[key] = [max(f, o) for f, o in zip(fresh, seen, strict=True)]
        else:
            delta = fresh
            if key != ("", ""):
                self._recent[key] = fresh
                if len(self._recent) > RECENT_IDS * 2:
                    for old in list(self._recent)[:RECENT_IDS]:
                        del self._recent[old]
        if any(delta):
            # Claude Code records no thinking-token count: thinking is inside output_tokens.
            add_usage(self.s["usage"], ts, self.s["model"], *delta)

    def summary(self) -> SessionSummary | None:
        s = self.s
        session_id = _stem(self.path) if self._is_subagent() else (s["id"] or _stem(self.path))
        summary = SessionSummary(
            harness="claude", id=session_id, source=self.path, dir=s["dir"],
            model=s["model"], git_branch=s["branch"], created=s["created"], last=s["last"],
            turns=s["turns"], ctx_tokens=s["ctx"], turn_open=s["open"],
            skipped_lines=s["skipped"], first_uuid=s["first_uuid"],
        )
        if self._is_subagent():
            summary.is_subagent = True
            summary.parent_id = s["id"] or os.path.basename(
                os.path.dirname(os.path.dirname(self.path)))
        summary.title, summary.title_source = _title(s)
        summary.usage = s["usage"]
        return summary

    def _is_subagent(self) -> bool:
        return os.path.basename(os.path.dirname(self.path)) == "subagents"


def _tool_result(rec: dict) -> bool:
    """A user record that carries tool results, not a prompt: the turn goes on."""
    message = rec.get("message")
    if not isinstance(message, dict):
        return False
    content = message.get("content")
    if isinstance(content, list):
        return any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content)
    head = peek(content)
    if b'"tool_use_id"' in head or b'"type":"tool_result"' in head:
        return True
    return head[:1] == b"[" and _tool_result({"message": {"content": materialize(content)}})


def _title(s: dict) -> tuple[str | None, str | None]:
    if s["title"]:
        return s["title"], s["title_source"]
    for candidate in (s["prompt"], s["queued"], s["last_prompt"]):
        if isinstance(candidate, str) and not is_wrapper(candidate):
            return clean_prompt(candidate), "prompt"
    return None, None


def project_folder(projects: str, folder: str) -> str:
    """Claude Code's folder for a project: the path with every character but letters and
    digits turned into `-` (longer paths get a hash suffix axi does not know: refused)."""
    from axi.errors import AxiError

    mangled = "".join(c if c.isascii() and c.isalnum() else "-" for c in folder)
    if len(mangled) > 200:
        raise AxiError(f"the folder path is too long for axi to find Claude Code's project "
                       f"folder for it ({len(mangled)} characters)", code="RELOCATE_UNKNOWN",
                       help=["resume it once by hand from the new folder: claude --resume <id>"])
    return os.path.join(projects, mangled)


def _stem(path: str) -> str:
    return os.path.basename(path).rsplit(".", 1)[0]


class Claude(Harness):
    name = "claude"
    label = "Claude Code"

    def base(self) -> str:
        return env_dir("CLAUDE_CONFIG_DIR", "~/.claude")

    def roots(self) -> list[str]:
        return [os.path.join(self.base(), "projects")]

    def discover(self) -> Iterator[tuple[str, os.stat_result]]:
        projects = self.roots()[0]
        yield from scan_files([(projects, 2)])
        # Sub-agents: projects/<dir>/<session>/subagents/agent-*.jsonl
        yield from scan_files([(projects, 4)])

    def parser(self, path: str, state: dict | None, keep_texts: bool = True) -> LineParser:
        return ClaudeParser(path, state, keep_texts)

    def read_turns(self, source: str, session_id: str, since: int) -> Iterator[Turn]:
        for offset, rec in records(source, since):
            if rec.get("type") not in ("user", "assistant"):
                continue
            turn = _turn(rec, offset)
            if turn is not None:
                yield turn

    # `--` ends the options: without it a task such as "-v is broken" is read as flags (2.1.197
    # printed its version and exited 0). It drops out with an empty task, like a flag.
    launch = ("claude", "--session-id", "{newid}", "--model", "{model}", "--", "{task}")
    launch_headless = ("claude", "-p", "--session-id", "{newid}", "--model", "{model}", "--",
                       "{task}")
    resume_input = ("claude", "--resume", "{id}", "--", "{task}")
    resume_input_headless = ("claude", "-p", "--resume", "{id}", "--", "{task}")

    def resume_argv(self, session_id: str, source: str) -> list[str]:
        return ["claude", "--resume", session_id]

    def relocate(self, source: str, session_id: str, folder: str) -> str:
        """`claude --resume` looks only in the project folder of the current directory: move
        the transcript (and its sub-agents' folder) to the moved folder's project, by rename,
        so nothing is copied or lost; a file already there is never replaced."""
        from axi.errors import AxiError

        project = project_folder(self.roots()[0], folder)
        target = os.path.join(project, os.path.basename(source))
        if os.path.abspath(source) == os.path.abspath(target):
            return source
        if os.path.exists(target):
            raise AxiError(f"{target} already exists; the transcript was left at {source}",
                           code="RELOCATE_CONFLICT", help=[
                               "move one of them aside, then resume again"])
        os.makedirs(project, mode=0o700, exist_ok=True)
        sidecar = os.path.splitext(source)[0]
        os.rename(source, target)
        if os.path.isdir(sidecar) and not os.path.exists(os.path.splitext(target)[0]):
            os.rename(sidecar, os.path.splitext(target)[0])
        return target


def _turn(rec: dict, offset: int) -> Turn | None:
    message = rec.get("message")
    if not isinstance(message, dict) or rec.get("isMeta"):
        return None
    ts = parse_iso(rec.get("timestamp"))
    content = message.get("content")
    if rec["type"] == "user":
        if isinstance(content, list) and any(
            isinstance(b, dict) and b.get("type") == "tool_result" for b in content
        ):
            return Turn("tool", ts, offset, _tool_result_text(content))
        text = text_blocks(content)
        return Turn("user", ts, offset, text) if text else None
    tools = [
        f"{b.get('name')} {_brief(b.get('input'))}".strip()
        for b in content if isinstance(b, dict) and b.get("type") == "tool_use"
    ] if isinstance(content, list) else []
    text = text_blocks(content)
    if not text and not tools:
        return None
    return Turn("assistant", ts, offset, text, tools)


def _tool_result_text(content: list) -> str:
    parts = []
    for block in content:
        if isinstance(block, dict) and block.get("type") == "tool_result":
            inner = block.get("content")
            parts.append(inner if isinstance(inner, str) else text_blocks(inner))
    return "\n".join(p for p in parts if p)


def _brief(value: object) -> str:
    if isinstance(value, dict):
        for key in ("command", "cmd", "file_path", "path", "pattern", "description", "prompt"):
            if isinstance(value.get(key), str):
                return value[key]
    return ""
