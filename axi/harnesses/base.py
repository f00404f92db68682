"""The small protocol every harness adapter implements, and the records they produce.

An adapter knows one harness: where its store lives (honouring the harness's own env
overrides), how to summarise a session incrementally, how to read its turns, and how to resume
it. Append-only JSONL stores feed a `LineParser` one complete line at a time, so the index can
save the parser's state with the byte offset and continue from there when the file grows.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from axi.harnesses.jsonl import decode

MAX_LINE = 16 * 1024 * 1024  # a longer line is skipped (and counted), never held in memory
CHUNK = 1024 * 1024
HOUR = 3600


class SessionSummary:
    """What an adapter knows about one session; the index stores it as one row.

    Plain classes rather than dataclasses here and in the index: `dataclasses` imports
    `inspect`, about 10 ms of every hook's start-up.
    """

    def __init__(self, harness: str, id: str, source: str, dir: str | None = None,
                 title: str | None = None, title_source: str | None = None,
                 model: str | None = None, provider: str | None = None,
                 git_branch: str | None = None, created: float | None = None,
                 last: float | None = None, turns: int = 0, ctx_tokens: int | None = None,
                 ctx_window: int | None = None, turn_open: bool = False,
                 parent_id: str | None = None, is_subagent: bool = False,
                 first_uuid: str | None = None, skipped_lines: int = 0,
                 usage: dict[str, list] | None = None):
        self.harness, self.id, self.source, self.dir = harness, id, source, dir
        self.title = title
        self.title_source = title_source  # name | generated | prompt
        self.model, self.provider, self.git_branch = model, provider, git_branch
        self.created, self.last, self.turns = created, last, turns
        self.ctx_tokens, self.ctx_window, self.turn_open = ctx_tokens, ctx_window, turn_open
        self.parent_id, self.is_subagent = parent_id, is_subagent
        self.first_uuid, self.skipped_lines = first_uuid, skipped_lines
        # "<epoch hour>|<model>" -> [input, output, cache_read, cache_write,
        #                            recorded cost or None, reasoning or None] (see add_usage)
        self.usage = usage if usage is not None else {}

    @property
    def key(self) -> str:
        return f"{self.harness}:{self.id}"

    def __repr__(self) -> str:
        return f"SessionSummary({vars(self)!r})"


class SearchText:
    __slots__ = ("role", "ts", "cursor", "text")

    def __init__(self, role: str, ts: float | None, cursor: int, text: str):
        self.role, self.ts, self.cursor, self.text = role, ts, cursor, text


class Turn:
    __slots__ = ("role", "ts", "cursor", "text", "tools")

    def __init__(self, role: str, ts: float | None, cursor: int, text: str = "",
                 tools: list[str] | None = None):
        self.role = role  # user | assistant | tool
        self.ts, self.cursor, self.text = ts, cursor, text
        self.tools = tools if tools is not None else []


def add_usage(buckets: dict, ts: float | None, model: str | None, input: int, output: int,
              cache_read: int, cache_write: int, cost: float | None = None,
              reasoning: int | None = None) -> None:
    """Accumulate one response's tokens into `buckets` keyed "<epoch hour>|<model>" (JSON-safe).

    A bucket is [input, output, cache_read, cache_write, recorded cost, reasoning]. `output`
    includes reasoning for every harness; `reasoning` is the part of it the harness counted
    apart (None where it records no such count). A recorded cost of 0 for tokens is not a
    price: pi and opencode write 0 for a model they have no price for, so it stays unknown; nor
    is a cost that is not a finite number.
    """
    key = f"{int((ts or 0) // HOUR)}|{model or 'unknown'}"
    bucket = buckets.setdefault(key, [0, 0, 0, 0, None, None])
    if len(bucket) < 6:
        bucket.append(None)
    bucket[0] += input
    bucket[1] += output
    bucket[2] += cache_read
    bucket[3] += cache_write
    if cost and cost - cost == 0:  # not NaN nor infinite (`1e999` in a line reads as inf)
        bucket[4] = (bucket[4] or 0.0) + cost
    if reasoning is not None:
        bucket[5] = (bucket[5] or 0) + reasoning


class LineParser:
    """Summarises one JSONL transcript fed line by line; state survives as plain JSON.

    `feed` decodes a line and hands the object to `record`, which an adapter writes. A cold
    index decodes whole blocks of lines into the adapter's `schema` instead and hands each
    record to `record` the same way; with `keep_texts` off (the search text is read in a
    second pass) nothing is gathered for search.
    """

    harness = ""
    summarising = True  # off: only the search text is wanted (usage may be left uncounted)

    def __init__(self, path: str, state: dict | None = None, keep_texts: bool = True):
        self.path = path
        self.keep_texts = keep_texts
        self.texts: list[SearchText] = []
        self.load(state or {})

    def load(self, state: dict) -> None:  # pragma: no cover - each adapter overrides
        raise NotImplementedError

    def dump(self) -> dict:  # pragma: no cover
        raise NotImplementedError

    def feed(self, line: bytes, offset: int) -> None:
        rec = decode(line)
        if rec is None:
            self.s["skipped"] += 1
        else:
            self.record(rec, offset)

    def record(self, rec: dict, offset: int) -> None:  # pragma: no cover
        raise NotImplementedError

    # The name, in `axi.harnesses.schemas`, of the type a block of this harness's lines
    # decodes into; None: decode line by line.
    schema: str | None = None

    def text(self, role: str, ts: float | None, offset: int, text: str) -> None:
        if self.keep_texts:
            self.texts.append(SearchText(role, ts, offset, text))

    def skip(self, line: bytes) -> bool:
        """True for a line that cannot change the summary, decided from its first bytes.

        Most transcript bytes are tool output; not decoding them is what makes a cold index
        fast. The default decodes everything.
        """
        return False

    def summary(self) -> SessionSummary | None:  # pragma: no cover
        raise NotImplementedError

    def touch(self, ts: float | None) -> None:
        """Widen the session's first and last activity to include `ts`."""
        if ts is None:
            return
        s = self.s
        if s["created"] is None or ts < s["created"]:
            s["created"] = ts
        if s["last"] is None or ts > s["last"]:
            s["last"] = ts

    def take_texts(self) -> list[SearchText]:
        texts, self.texts = self.texts, []
        return texts


class Harness:
    """One adapter. JSONL harnesses list files; database harnesses override `kind`."""

    name = ""
    label = ""
    kind = "jsonl"

    def roots(self) -> list[str]:  # pragma: no cover
        raise NotImplementedError

    def discover(self) -> Iterator[tuple[str, os.stat_result]]:  # pragma: no cover
        raise NotImplementedError

    def parser(self, path: str, state: dict | None, keep_texts: bool = True
               ) -> LineParser:  # pragma: no cover
        raise NotImplementedError

    def read_turns(self, source: str, session_id: str, since: int) -> Iterator[Turn]:
        raise NotImplementedError  # pragma: no cover

    def resume_argv(self, session_id: str, source: str) -> list[str]:  # pragma: no cover
        raise NotImplementedError

    def relocate(self, source: str, session_id: str, folder: str) -> str:
        """Make the session resumable from `folder` (its folder moved there); returns where
        its transcript is now. Most harnesses find a session by id wherever they run."""
        return source

    # Launch templates (argv lists). `{newid}` is an id axi mints for the harness to use;
    # a harness whose template lacks it mints its own and is adopted once its transcript
    # appears. An element whose placeholder is empty drops out, with the flag before it.
    launch: tuple[str, ...] = ()
    launch_headless: tuple[str, ...] = ()
    resume_input: tuple[str, ...] = ()
    resume_input_headless: tuple[str, ...] = ()


def stamp(line: bytes) -> float | None:
    """A line's `"timestamp":"…"`, found without decoding it (for lines skipped by `skip`).

    The first such key is the record's own: inside a JSON string a quote is always escaped,
    so the pattern cannot come from text, and transcripts write the record's stamp before
    any nested object that could carry one.
    """
    at = line.find(b'"timestamp":"')
    if at < 0:
        return None
    end = line.find(b'"', at + 13, at + 64)
    return parse_iso(line[at + 13:end].decode("ascii", "replace")) if end > 0 else None


def env_dir(var: str, default: str) -> str:
    value = os.environ.get(var)
    return os.path.expanduser(value) if value else os.path.expanduser(default)


_MINUTES: dict[str, int | None] = {}  # "YYYY-MM-DDTHH:MM" -> epoch seconds


def parse_iso(value: object) -> float | None:
    """ISO-8601 (`2026-11-21T23:28:47.917Z`, or with a `+02:00` offset) to epoch seconds; also
    a datetime decoded from one.

    None when unreadable. Every transcript line carries one, so this avoids `strptime`: each
    minute is worked out once, the seconds are read from fixed positions.
    """
    if type(value) is not str:
        return _aware_epoch(value)
    if len(value) < 19:
        return None
    if len(value) == 24 and value[23] == "Z" and value[19] == ".":  # the usual `…:47.917Z`
        minute = _MINUTES.get(value[:16])
        if (minute is not None and value[16] == ":" and value[17:19].isdigit()
                and value[20:23].isdigit()):
            return minute + float(value[17:23])
    minute = _MINUTES.get(value[:16], -1)
    if minute == -1:
        if len(_MINUTES) > 50_000:
            _MINUTES.clear()
        minute = _MINUTES[value[:16]] = _epoch_minute(value[:16])
    second = value[17:19]
    if minute is None or value[16] != ":" or not second.isdigit():
        return None
    seconds = minute + int(second)
    rest = value[19:]
    if rest == "Z" or not rest:
        return seconds
    if rest[0] == ".":
        digits = len(rest) - len(rest[1:].lstrip("0123456789")) - 1
        if digits:
            seconds += int(rest[1:1 + digits]) / 10 ** digits
        rest = rest[1 + digits:]
    if rest in ("", "Z"):
        return seconds
    if len(rest) == 6 and rest[0] in "+-" and rest[3] == ":" and (rest[1:3] + rest[4:6]).isdigit():
        shift = int(rest[1:3]) * 3600 + int(rest[4:6]) * 60
        return seconds - shift if rest[0] == "+" else seconds + shift
    return None


def _aware_epoch(value: object) -> float | None:
    """A datetime a block decoder made of a timestamp (see `axi.harnesses.schemas`)."""
    tzinfo = getattr(value, "tzinfo", False)
    if tzinfo is False:
        return None
    return value.timestamp() if tzinfo is not None else parse_iso(value.isoformat())


def _epoch_minute(text: str) -> int | None:
    day = _DAYS.get(text[:10], -1)
    if day == -1:
        day = _DAYS[text[:10]] = _epoch_day(text[:10])
    hour, minute = text[11:13], text[14:16]
    if day is None or text[10] not in "T " or text[13] != ":" or not (hour + minute).isdigit():
        return None
    return day + int(hour) * 3600 + int(minute) * 60


_DAYS: dict[str, int | None] = {}  # "YYYY-MM-DD" -> epoch seconds at midnight UTC


def _epoch_day(date: str) -> int | None:
    import calendar

    try:
        return calendar.timegm(time.strptime(date, "%Y-%m-%d"))
    except ValueError:
        return None


# While a sweep runs, every directory listed is recorded here with its mtime, so the next
# quick refresh can tell from a few stats whether any file was created or removed.
DIR_LOG: list[tuple[str, int]] | None = None


def scan_files(pattern_dirs: list[tuple[str, int]], suffix: str = ".jsonl"
               ) -> Iterator[tuple[str, os.stat_result]]:
    """Files ending in `suffix` exactly `depth` levels below each root, with their stat."""
    for root, depth in pattern_dirs:
        yield from _walk(root, depth, suffix)


def _walk(path: str, depth: int, suffix: str) -> Iterator[tuple[str, os.stat_result]]:
    try:
        if DIR_LOG is not None:
            DIR_LOG.append((path, os.stat(path).st_mtime_ns))
        entries = os.scandir(path)
    except OSError:
        if DIR_LOG is not None:
            DIR_LOG.append((path, 0))  # watch for it to appear
        return
    with entries:
        for entry in entries:
            try:
                if depth > 1:
                    if entry.is_dir(follow_symlinks=False):
                        yield from _walk(entry.path, depth - 1, suffix)
                elif entry.name.endswith(suffix) and entry.is_file():
                    yield entry.path, entry.stat()
            except OSError:
                continue


def iter_lines(path: str, start: int = 0) -> Iterator[tuple[int, bytes | None, int]]:
    """Complete lines from byte `start` as (offset, line, next offset); over-long ones as None.

    A last line without its newline is not yielded: it may still be being written, so the
    caller's saved offset stays before it and the next read picks it up whole.
    """
    with open(path, "rb") as fh:
        fh.seek(start)
        base = start  # absolute offset of the current chunk's first byte
        line_start = start
        pending: list[bytes] = []
        pending_len = 0
        skipping = False
        while True:
            chunk = fh.read(CHUNK)
            if not chunk:
                return
            pos = 0
            while True:
                nl = chunk.find(b"\n", pos)
                if nl < 0:
                    if not skipping:
                        pending.append(chunk[pos:])
                        pending_len += len(chunk) - pos
                        if pending_len > MAX_LINE:
                            pending, pending_len, skipping = [], 0, True
                    break
                end = base + nl + 1
                if skipping or pending_len + (nl - pos) > MAX_LINE:
                    yield line_start, None, end
                elif pending:
                    pending.append(chunk[pos:nl])
                    yield line_start, b"".join(pending), end
                else:
                    yield line_start, chunk[pos:nl], end
                pending, pending_len, skipping = [], 0, False
                line_start = end
                pos = nl + 1
            base += len(chunk)



BLOCK = 4 * 1024 * 1024  # below MAX_LINE: only a line carried over between reads can be too long


def iter_blocks(path: str, start: int = 0, size: int | None = None
                ) -> Iterator[tuple[int, bytes | None, int]]:
    """Runs of complete lines from byte `start` as (offset, block, next offset), each block
    about BLOCK bytes and ending with a newline; an over-long line comes alone as None.
    Like `iter_lines`, a last line without its newline is left for the next read. `size`:
    the file's size when it was listed, so a small file's first read asks for what it holds
    (a read of BLOCK bytes allocates them all first); the file is read to its end either way."""
    # A descriptor, not `open()`: its buffered reader cost more than the read itself on the
    # thousands of small files a cold index reads once each.
    fd = os.open(path, os.O_RDONLY)
    try:
        base = start
        rest = b""
        skipping = False
        skipped_from = start  # where the over-long line being passed over began
        want = min(BLOCK, size - start + 1) if size is not None and size >= start else BLOCK
        while True:
            chunk = os.pread(fd, want, base + len(rest))
            want = BLOCK
            if not chunk:
                return
            data = rest + chunk if rest else chunk
            cut = data.rfind(b"\n") + 1
            if rest and not skipping:
                # The line carried over may end past MAX_LINE: too long to keep, as in
                # `iter_lines` (a line that begins in this read is shorter than BLOCK).
                end = data.find(b"\n", len(rest))
                skipping, skipped_from = end > MAX_LINE, base
            if skipping:
                if not cut:
                    base, rest = base + len(data), b""
                    continue
                first = data.find(b"\n") + 1
                yield skipped_from, None, base + first
                data, base, cut, skipping = data[first:], base + first, cut - first, False
            if cut:
                yield base, data[:cut], base + cut
                base, rest = base + cut, data[cut:]
            else:
                rest = data
            if len(rest) > MAX_LINE:
                skipping, skipped_from, base, rest = True, base, base + len(rest), b""
    finally:
        os.close(fd)


def records(path: str, since: int = 0) -> Iterator[tuple[int, dict]]:
    """(offset, object) for every readable JSON line from byte `since`; others are passed over."""
    for offset, line, _end in iter_lines(path, since):
        rec = decode(line) if line is not None else None
        if rec is not None:
            yield offset, rec
