"""How a cold index reads the records of a block of transcript lines, decoded at once into
structs (`axi.harnesses.schemas`): what each adapter's `record` does with a record, written
out for the structs, with the session's first and last times (`touch`) kept in locals.

A dict per record (with every usage field in nested dicts and lists), a datetime read back
through `parse_iso` and a few method calls per line were most of a cold index's time; most
lines take a path here that costs a few attribute reads. Rarer records are handed to `record`
as the dicts the line decoder would give (a missing field reads as None, as a missing key
does), so each adapter's rules stay in one place and the tests compare both ways of reading
on every recorded transcript. A change to how an adapter's `record` reads a common record
(an assistant message, a token count, a completed item) is made here too: `record` says so.
"""

from __future__ import annotations

import msgspec

from axi.harnesses import jsonl
from axi.harnesses.base import parse_iso
from axi.harnesses.claude import FORK_SLACK
from axi.harnesses.codex import HANDLERS
from axi.harnesses.jsonl import as_int, materialize, text_blocks

BLANK = frozenset(b" \t\r\n")  # a line starting so may be blank: the block decoder skips those
_asdict = msgspec.structs.asdict


def past_blank(block: bytes, pos: int) -> int:
    """The start of the first line from `pos` that is not blank."""
    while block[pos] in BLANK:
        end = block.find(b"\n", pos)
        if block[pos:end].strip():
            break
        pos = end + 1
    return pos


# ------------------------------------------------------------------------------ Claude Code


def claude(p, records: list, block: bytes, offset: int, exact: bool) -> None:
    """`ClaudeParser.record` over a block's structs: its shortest ways (replies, tool results,
    attachments, queue and prompt records: nearly every line) written out here, the rest
    handed to it as the dicts it reads. The session's first and last times and its fork
    point are kept in locals meanwhile (`touch` and `_copied`, inline)."""
    s, record = p.s, p.record
    summarising, keep, find, pos, at = p.summarising, p.keep_texts, block.find, 0, offset
    created, last, birth = s["created"], s["last"], s["birth"]
    cut = None if birth is None else birth - FORK_SLACK
    for rec in records:
        if exact:
            if block[pos] in BLANK:
                pos = past_blank(block, pos)
            at, pos = offset + pos, find(b"\n", pos) + 1
        try:
            kind, ts = rec.type, rec.timestamp
            if ts is not None:
                ts = ts.timestamp() if ts.tzinfo is not None else parse_iso(ts)
            message = rec.message
            if kind == "assistant":
                if message is not None and s["dir"] is not None and s["id"] is not None:
                    _claude_reply(p, s, rec, message, ts, at, summarising, keep,
                                  cut is not None and ts is not None and ts < cut)
                    if ts is not None:
                        if created is None or ts < created:
                            created = ts
                        if last is None or ts > last:
                            last = ts
                    continue
            elif kind == "user":
                if message is not None and _claude_tool_result(message.content):
                    s["open"] = True
                    if ts is not None and (cut is None or ts >= cut):
                        if created is None or ts < created:
                            created = ts
                        if last is None or ts > last:
                            last = ts
                    continue
            elif kind == "attachment":
                if s["dir"] is not None:
                    if ts is not None and (cut is None or ts >= cut):
                        if created is None or ts < created:
                            created = ts
                        if last is None or ts > last:
                            last = ts
                    continue
            elif kind in _CLAUDE_PLAIN:  # a tuple: `in` compares; a kind may be any JSON
                if s["id"] is None and isinstance(rec.sessionId, str):
                    s["id"] = rec.sessionId
                if rec.agentId and s["agent"] is None:
                    s["agent"] = rec.agentId
                if kind == "queue-operation":
                    if rec.operation == "enqueue" and birth is None and s["turns"] == 0:
                        s["birth"] = birth = ts
                        cut = None if birth is None else birth - FORK_SLACK
                    if s["queued"] is None and isinstance(rec.content, str):
                        s["queued"] = rec.content
                elif kind == "last-prompt" and isinstance(rec.lastPrompt, str):
                    s["last_prompt"] = rec.lastPrompt
                if ts is not None:
                    if created is None or ts < created:
                        created = ts
                    if last is None or ts > last:
                        last = ts
                continue
            s["created"], s["last"] = created, last
            try:
                record(_claude_dict(rec), at)
            finally:
                created, last, birth = s["created"], s["last"], s["birth"]
                cut = None if birth is None else birth - FORK_SLACK
        except Exception:  # a record of a shape nobody expected costs only itself
            s["skipped"] += 1
    s["created"], s["last"] = created, last


_CLAUDE_PLAIN = ("queue-operation", "last-prompt", "mode")


def _claude_reply(p, s: dict, rec, message, ts: float | None, at: int, summarising: bool,
                  keep: bool, copied: bool) -> None:
    """`ClaudeParser._assistant` (and `_count`) for a struct."""
    branch = rec.gitBranch
    if branch and branch != s["branch"]:
        p._envelope({"cwd": rec.cwd, "gitBranch": branch, "uuid": rec.uuid}, ts)
    model = message.model
    if isinstance(model, str) and model and model != "<synthetic>":
        s["model"] = model
    stop = message.stop_reason
    if stop:
        s["open"] = stop == "tool_use"
    if keep:
        text = text_blocks(materialize(message.content))
        if text:
            p.text("assistant", ts, at, text)
    usage = message.usage
    if usage is not None and summarising and not copied:
        key = (message.id, rec.requestId)
        last = p._last
        if key != last[0] or usage != last[1] or key == (None, None):
            p._last = (key, usage)
            p._fresh(key, [usage.input_tokens, usage.output_tokens,
                           usage.cache_read_input_tokens, usage.cache_creation_input_tokens],
                     ts)


def _claude_tool_result(content) -> bool:
    """`claude._tool_result` of a raw content."""
    head = bytes(memoryview(content)[:300])
    if b'"tool_use_id"' in head or b'"type":"tool_result"' in head:
        return True
    if head[:1] != b"[":
        return False
    value = materialize(content)
    return isinstance(value, list) and any(
        isinstance(b, dict) and b.get("type") == "tool_result" for b in value)


def _claude_dict(rec) -> dict:
    """A struct as the dict the line decoder would give (a missing key reads as None)."""
    out = _asdict(rec)
    out["timestamp"] = rec.timestamp
    message = rec.message
    if message is not None:
        out["message"] = _asdict(message)
        if message.usage is not None:
            out["message"]["usage"] = _asdict(message.usage)
    return out


# ------------------------------------------------------------------------------ Codex


def codex(p, records: list, block: bytes, offset: int, exact: bool) -> None:
    """`CodexParser.record` over a block's structs: token events, completed items and
    response messages here; the other handlers get the payload as a dict."""
    s, summarising, keep = p.s, p.summarising, p.keep_texts
    find, pos, at = block.find, 0, offset
    created, last = s["created"], s["last"]
    for rec in records:
        if exact:
            if block[pos] in BLANK:
                pos = past_blank(block, pos)
            at, pos = offset + pos, find(b"\n", pos) + 1
        try:
            ts, kind, payload = rec.timestamp, rec.type, rec.payload
            if ts is not None:
                ts = ts.timestamp() if ts.tzinfo is not None else parse_iso(ts)
            ptype = payload.type if payload is not None and kind != "turn_context" else None
            if kind == "token_usage_record":
                if payload is not None and payload.thread_token_usage is not None and summarising:
                    p._grow(_codex_totals(payload.thread_token_usage), ts)
            elif kind == "event_msg" and ptype == "token_count":
                info = payload.info
                if info is not None:
                    if as_int(info.model_context_window):
                        s["window"] = info.model_context_window
                    if info.last_token_usage is not None:
                        s["ctx"] = as_int(info.last_token_usage.input_tokens)
                    if info.total_token_usage is not None and summarising:
                        p._grow(_codex_totals(info.total_token_usage), ts)
            elif kind == "event_msg" and ptype == "item_completed":
                item = payload.item
                if item is not None and item.type == "UserMessage":
                    p._prompt(text_blocks(materialize(item.content)), ts, at, legacy=False)
                elif item is not None and item.type == "AgentMessage" and keep:
                    text = text_blocks(materialize(item.content), ("Text", "text"))
                    if text:
                        p.text("assistant", ts, at, text)
            elif kind == "response_item" and ptype == "message":
                if payload.role == "user" and s["fallback_prompt"] is None:
                    p._response_message({"role": "user", "content": payload.content}, ts, at)
            else:
                handler = HANDLERS.get((kind, ptype))
                if handler is not None:
                    s["created"], s["last"] = created, last
                    try:
                        handler(p, _codex_dict(payload), ts, at)
                    finally:
                        created, last = s["created"], s["last"]
            if ts is not None:
                if created is None or ts < created:
                    created = ts
                if last is None or ts > last:
                    last = ts
        except Exception:  # a record of a shape nobody expected costs only itself
            s["skipped"] += 1
    s["created"], s["last"] = created, last


def _codex_totals(t) -> list[int]:
    """`as_int` of each total (a decoded int is of type int exactly, a bool is not)."""
    return [v if type(v) is int else 0 for v in (
        t.input_tokens, t.cached_input_tokens, t.cache_write_input_tokens, t.output_tokens,
        t.reasoning_output_tokens)]


def _codex_dict(payload) -> dict:
    if payload is None:
        return {}
    out = _asdict(payload)
    if payload.item is not None:
        out["item"] = {"type": payload.item.type, "content": materialize(payload.item.content)}
    for name in ("info", "thread_token_usage"):
        value = out[name]
        if value is not None:
            out[name] = _asdict(value)
            for inner in ("last_token_usage", "total_token_usage"):
                if out[name].get(inner) is not None:
                    out[name][inner] = _asdict(out[name][inner])
    return out


# ------------------------------------------------------------------------------ pi


def pi(p, records: list, block: bytes, offset: int, exact: bool) -> None:
    """`PiParser.record` over a block's structs: messages here, the rest as dicts."""
    s, summarising, keep, record = p.s, p.summarising, p.keep_texts, p.record
    find, pos, at = block.find, 0, offset
    created, last = s["created"], s["last"]
    for rec in records:
        if exact:
            if block[pos] in BLANK:
                pos = past_blank(block, pos)
            at, pos = offset + pos, find(b"\n", pos) + 1
        try:
            kind, ts, m = rec.type, rec.timestamp, rec.message
            if ts is not None:
                ts = ts.timestamp() if ts.tzinfo is not None else parse_iso(ts)
            if kind == "message" and m is not None:
                role = m.role
                if role == "toolResult":
                    s["open"] = True
                elif role == "assistant":
                    s["provider"] = m.provider or s["provider"]
                    s["model"] = m.model or s["model"]
                    s["open"] = m.stopReason == "toolUse"
                    if keep:
                        text = text_blocks(materialize(m.content))
                        if text:
                            p.text("assistant", ts, at, text)
                    usage = m.usage
                    if summarising and usage is not None:
                        p._count([as_int(usage.input), as_int(usage.output),
                                  as_int(usage.cacheRead), as_int(usage.cacheWrite)],
                                 usage.cost.total if usage.cost is not None else None,
                                 usage.reasoning, ts)
                elif role == "user":
                    p._message({"role": "user", "content": m.content}, ts, at)
            elif kind == "session" or kind == "model_change" or kind == "session_info":
                s["created"], s["last"] = created, last
                try:
                    record(_pi_dict(rec), at)
                finally:
                    created, last = s["created"], s["last"]
                continue
            if ts is not None:
                if created is None or ts < created:
                    created = ts
                if last is None or ts > last:
                    last = ts
        except Exception:  # a record of a shape nobody expected costs only itself
            s["skipped"] += 1
    s["created"], s["last"] = created, last


def _pi_dict(rec) -> dict:
    out = _asdict(rec)
    out["message"] = None  # only records without a message come here
    return out


READERS = {"claude": claude, "codex": codex, "pi": pi}


def block_feeder(parser, decode_block, feed_line):
    """`feed(block, offset, exact)`: a block of lines decoded at once into the harness's
    structs and read by its reader above. A block with any line that does not fit (torn,
    invalid, hostile) is read a line at a time, so such a line costs only itself: decoded
    alone into its struct, or else fed to `feed_line` (the adapter's own decoding). `exact`:
    each record gets its own line's offset (search text needs it), not the block's."""
    read, decode_line = READERS[parser.harness], jsonl.line_decoder(parser.schema)
    errors = jsonl.errors()

    def feed(block: bytes | None, offset: int, exact: bool) -> None:
        if block is None:
            parser.s["skipped"] = parser.s.get("skipped", 0) + 1
            return
        try:
            records = decode_block(block)
        except errors:
            records = None
        if records is not None:
            read(parser, records, block, offset, exact)
            return
        pos = 0
        while pos < len(block):
            end = block.index(b"\n", pos)
            line = block[pos:end]
            try:
                one = [decode_line(line)]
            except errors:
                feed_line(line, offset + pos)
            else:
                try:
                    read(parser, one, line, offset + pos, exact)
                except Exception:  # a record of a shape nobody expected costs only itself
                    parser.s["skipped"] = parser.s.get("skipped", 0) + 1
            pos = end + 1

    return feed
