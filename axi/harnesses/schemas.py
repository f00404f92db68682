"""What a cold index decodes of each harness's lines: the fields the adapters' `record` reads.

msgspec decodes a block of lines into these at once, skipping every other field in C; the
large fields a summary rarely needs (message content, tool output) stay raw JSON bytes
(`msgspec.Raw`) that `jsonl.materialize` decodes on demand, and a record's timestamp is read
in C as a datetime (`parse_iso` takes either). Values are `object` so any JSON fits; a record
or a nested record that is not an object, or a timestamp that is not RFC 3339, fails its
block, which is then read line by line. Imported only by a cold index (msgspec costs ~18 ms
to import).
"""

from datetime import datetime
from typing import TypedDict

from msgspec import Raw


class ClaudeMessage(TypedDict, total=False):
    model: object
    id: object
    stop_reason: object
    usage: object
    content: Raw


class ClaudeLine(TypedDict, total=False):
    type: object
    timestamp: datetime
    sessionId: object
    agentId: object
    cwd: object
    gitBranch: object
    uuid: object
    isMeta: object
    requestId: object
    message: ClaudeMessage
    operation: object
    content: object
    customTitle: object
    summary: object
    aiTitle: object
    title: object
    lastPrompt: object


class CodexItem(TypedDict, total=False):
    type: object
    content: object


class CodexPayload(TypedDict, total=False):
    type: object
    id: object
    session_id: object
    cwd: object
    model_provider: object
    git: object
    source: object
    timestamp: object
    model: object
    model_context_window: object
    item: CodexItem
    message: object
    info: object
    thread_name: object
    name: object
    role: object
    content: Raw
    thread_token_usage: object


class CodexLine(TypedDict, total=False):
    timestamp: datetime
    type: object
    payload: CodexPayload


class PiMessage(TypedDict, total=False):
    role: object
    content: Raw
    provider: object
    model: object
    stopReason: object
    usage: object


class PiLine(TypedDict, total=False):
    type: object
    timestamp: datetime
    id: object
    cwd: object
    parentSession: object
    provider: object
    modelId: object
    name: object
    message: PiMessage
