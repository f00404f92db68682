"""What a cold index decodes of each harness's lines: the fields the adapters' `record` reads.

msgspec decodes a block of lines into these structs at once, skipping every other field in C,
and `axi.harnesses.sift` reads them. The large fields a summary rarely needs (message content,
tool output) stay raw JSON bytes (`msgspec.Raw`) that `jsonl.materialize` decodes on demand;
token counts are structs too (decoding the other usage fields into dicts cost more than the
rest of a record), and a record's timestamp is read in C as a datetime. Values are `object`
so any JSON fits; a record or a nested record that is not an object, or a timestamp that is
not RFC 3339, fails its block, which is then read a line at a time. A missing field reads as
None, as a missing key does. Imported only by a cold index (msgspec costs ~18 ms to import).
"""

from datetime import datetime

from msgspec import Raw, Struct

NULL = Raw(b"null")  # a missing raw field reads as null, as a missing key reads as None


class ClaudeUsage(Struct, gc=False):
    input_tokens: object = None
    output_tokens: object = None
    cache_read_input_tokens: object = None
    cache_creation_input_tokens: object = None


class ClaudeMessage(Struct, gc=False):
    model: object = None
    id: object = None
    stop_reason: object = None
    usage: ClaudeUsage | None = None
    content: Raw = NULL


class ClaudeLine(Struct, gc=False):
    type: object = None
    timestamp: datetime | None = None
    sessionId: object = None
    agentId: object = None
    cwd: object = None
    gitBranch: object = None
    uuid: object = None
    isMeta: object = None
    requestId: object = None
    message: ClaudeMessage | None = None
    operation: object = None
    content: object = None
    customTitle: object = None
    summary: object = None
    aiTitle: object = None
    title: object = None
    lastPrompt: object = None


class CodexItem(Struct, gc=False):
    type: object = None
    content: Raw = NULL


class CodexTotals(Struct, gc=False):
    input_tokens: object = None
    cached_input_tokens: object = None
    cache_write_input_tokens: object = None
    output_tokens: object = None
    reasoning_output_tokens: object = None


class CodexInfo(Struct, gc=False):
    model_context_window: object = None
    last_token_usage: CodexTotals | None = None
    total_token_usage: CodexTotals | None = None


class CodexPayload(Struct, gc=False):
    type: object = None
    id: object = None
    session_id: object = None
    cwd: object = None
    model_provider: object = None
    git: object = None
    source: object = None
    parent_thread_id: object = None
    timestamp: object = None
    model: object = None
    model_context_window: object = None
    item: CodexItem | None = None
    message: object = None
    info: CodexInfo | None = None
    thread_name: object = None
    name: object = None
    role: object = None
    content: Raw = NULL
    thread_token_usage: CodexTotals | None = None


class CodexLine(Struct, gc=False):
    timestamp: datetime | None = None
    type: object = None
    payload: CodexPayload | None = None


class PiCost(Struct, gc=False):
    total: object = None


class PiUsage(Struct, gc=False):
    input: object = None
    output: object = None
    cacheRead: object = None
    cacheWrite: object = None
    cost: PiCost | None = None
    reasoning: object = None


class PiMessage(Struct, gc=False):
    role: object = None
    content: Raw = NULL
    provider: object = None
    model: object = None
    stopReason: object = None
    usage: PiUsage | None = None


class PiLine(Struct, gc=False):
    type: object = None
    timestamp: datetime | None = None
    id: object = None
    cwd: object = None
    parentSession: object = None
    provider: object = None
    modelId: object = None
    name: object = None
    message: PiMessage | None = None
