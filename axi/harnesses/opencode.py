"""opencode: one SQLite database, `$XDG_DATA_HOME/opencode/opencode.db` (default ~/.local/share).

The database belongs to a running opencode, so it is opened read-only (`mode=ro`) with a short
busy timeout and read in one short transaction: in WAL mode a reader never blocks opencode's
writer. Columns are detected from the schema, so an older database without the newer aggregate
columns still reads. Costs are recorded per assistant message by opencode itself. `tokens.input`
already excludes cached input. Prompts given as one quoted shell argument are stored wrapped in
literal quotes; titles and prompts are shown without them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from axi.errors import AxiError
from axi.harnesses.base import Harness, SearchText, SessionSummary, Turn, add_usage
from axi.harnesses.jsonl import as_int, clean_prompt, decode, dumps, is_wrapper
from axi.sqlite import sqlite3
from axi.text import safe_id

PLACEHOLDER_TITLE = "New session - "
BUSY_MS = 300


class Opencode(Harness):
    name = "opencode"
    label = "opencode"
    kind = "db"

    def db_path(self) -> str:
        data = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
        return os.path.join(data, "opencode", "opencode.db")

    def roots(self) -> list[str]:
        return [self.db_path()]

    def fingerprint_paths(self) -> list[str]:
        return [self.db_path() + suffix for suffix in ("", "-wal")]

    def fingerprint(self, stats: list[tuple[str, os.stat_result | None]]) -> list[int] | None:
        """Size and mtime of the database and its WAL, from their `stats` (each path of
        `fingerprint_paths` with its stat, None where it failed): unchanged means nothing to
        read; None without a database."""
        parts = []
        for path, st in stats:
            if st is not None:
                parts += [st.st_size, st.st_mtime_ns]
            elif not path.endswith("-wal"):
                return None
            else:
                parts += [0, 0]
        return parts

    def changed_sessions(self, known: dict[str, float], present: set[str],
                         warnings: list[str]
                         ) -> Iterator[tuple[SessionSummary, list[SearchText]]]:
        """Yield the sessions whose update time differs from `known`, one at a time (a cold
        index of 25,000 held at once cost 57 MB). Meanwhile `present` gets the ids present now
        (as the index keys them: safe ids) and `warnings` one line for each session that could
        not be read; both are complete once the iterator is."""
        with connect(self.db_path()) as conn:
            cols = columns(conn, "session")
            for row in conn.execute(_session_query(cols)).fetchall():
                raw = row["id"]
                key = safe_id(raw if isinstance(raw, str) else repr(raw))
                present.add(key)
                updated = _ms(row["time_updated"]) or 0
                if known.get(key) == updated:
                    continue
                try:
                    loaded = self._load(conn, row, cols)
                except (sqlite3.Error, ValueError, TypeError, AttributeError,
                        RecursionError) as exc:
                    warnings.append(f"opencode session {key}: unreadable "
                                    f"({type(exc).__name__}); skipped")
                    continue
                yield loaded

    def _load(self, conn: sqlite3.Connection, row: sqlite3.Row, cols: set[str]
              ) -> tuple[SessionSummary, list[SearchText]]:
        summary = SessionSummary(
            harness="opencode", id=row["id"], source=self.db_path(), dir=row["directory"],
            created=_ms(row["time_created"]), last=_ms(row["time_updated"]),
            parent_id=row["parent_id"] if "parent_id" in cols else None,
        )
        summary.is_subagent = bool(summary.parent_id)
        texts: list[SearchText] = []
        prompt = None
        for index, (data, parts) in enumerate(_messages(conn, row["id"], text_only=True)):
            role = data.get("role")
            ts = _created(data)
            text = "\n".join(p["text"] for p in parts if p.get("type") == "text"
                             and isinstance(p.get("text"), str))
            if role == "user":
                if text and not is_wrapper(text):
                    summary.turns += 1
                    prompt = prompt or clean_prompt(text)
                    texts.append(SearchText("user", ts, index, text))
                summary.turn_open = True
            elif role == "assistant":
                _assistant(summary, data, ts)
                if text:
                    texts.append(SearchText("assistant", ts, index, text))
        title = row["title"] if isinstance(row["title"], str) else None
        if title and not title.startswith(PLACEHOLDER_TITLE):
            named = _titled_at_creation(conn, row["id"])
            summary.title = clean_prompt(title)
            summary.title_source = "name" if named else "generated"
        elif prompt:
            summary.title, summary.title_source = prompt, "prompt"
        if not summary.model and "model" in cols:
            summary.model, summary.provider = _model_column(row["model"])
        summary.git_branch = _branch(conn, row["workspace_id"])
        summary.ctx_window = context_window(summary.provider, summary.model)
        return summary, texts

    def read_turns(self, source: str, session_id: str, since: int) -> Iterator[Turn]:
        with connect(source) as conn:
            for index, (data, parts) in enumerate(_messages(conn, session_id)):
                if index < since:
                    continue
                ts = _created(data)
                role = data.get("role") if data.get("role") in ("user", "assistant") else "tool"
                text = "\n".join(p["text"] for p in parts if p.get("type") == "text"
                                 and isinstance(p.get("text"), str))
                tools = [_tool(p) for p in parts if p.get("type") == "tool"]
                yield Turn(role, ts, index, text, tools)

    launch = ("opencode", "--model", "{model}", "--prompt", "{task}")
    launch_headless = ("opencode", "run", "--model", "{model}", "{task}")
    resume_input = ("opencode", "--session", "{id}", "--prompt", "{task}")
    resume_input_headless = ("opencode", "run", "--session", "{id}", "{task}")

    def resume_argv(self, session_id: str, source: str) -> list[str]:
        return ["opencode", "--session", session_id]


def connect(path: str) -> sqlite3.Connection:
    """Read-only and lock-friendly; falls back to `immutable` only when no WAL is live."""
    if not os.path.exists(path):
        raise AxiError(f"opencode database not found at {path}", code="NO_STORE")
    try:
        conn = _open(f"file:{path}?mode=ro")
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.OperationalError as exc:
        if os.path.exists(path + "-wal") or "locked" in str(exc) or "busy" in str(exc):
            raise AxiError(f"opencode database is busy or unreadable: {exc}",
                           code="STORE_BUSY") from exc
        conn = _open(f"file:{path}?mode=ro&immutable=1")
    return conn


def _open(uri: str) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_MS / 1000, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.text_factory = _text  # invalid UTF-8 in a column costs its bytes, not the read
    conn.execute("PRAGMA query_only = 1")
    return conn


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def _titled_at_creation(conn: sqlite3.Connection, session_id: str) -> bool:
    """Whether the session was created with its title (`--title`, an explicit name).

    opencode creates every other session under a `New session - <date>` placeholder and
    generates the title after the first reply; its event log (the `event` table, opencode
    1.18+) keeps the `session.created` event with the title the session started with."""
    try:
        found = conn.execute("SELECT data FROM event WHERE aggregate_id = ? AND type LIKE "
                             "'session.created%' ORDER BY seq LIMIT 1", (session_id,)).fetchone()
    except sqlite3.OperationalError:  # an older database, without the event log
        return False
    data = _json(found[0]) if found else None
    info = data.get("info") if isinstance(data, dict) else None
    first = info.get("title") if isinstance(info, dict) else None
    return isinstance(first, str) and bool(first) and not first.startswith(PLACEHOLDER_TITLE)


def _session_query(cols: set[str]) -> str:
    wanted = ["id", "directory", "title", "time_created", "time_updated", "parent_id", "model",
              "workspace_id"]
    select = [c if c in cols else f"NULL AS {c}" for c in wanted]
    archived = " WHERE time_archived IS NULL" if "time_archived" in cols else ""
    return f"SELECT {', '.join(select)} FROM session{archived}"


# A part that may be text: one holding a text key, unless its data starts with a `type` of
# another kind, written plainly (no escape in it, its closing quote within the first bytes).
# opencode writes `type` first, so tool calls and their output, most of the bytes, are passed
# over after a few bytes instead of searched whole. What is text is decided after decoding.
TEXT_PART = ("NOT (substr(data, 1, 9) = '{\"type\":\"' AND substr(data, 10, 5) != 'text\"'"
             " AND instr(substr(data, 10, 40), '\\') = 0"
             " AND instr(substr(data, 10, 40), '\"') > 0)"
             " AND instr(data, '\"text\"') > 0")


def _messages(conn: sqlite3.Connection, session_id: str, text_only: bool = False
              ) -> Iterator[tuple[dict, list[dict]]]:
    """Each message with its parts; `text_only` leaves out parts that cannot be text (tool
    calls and their output are most of the bytes), before they are decoded."""
    parts: dict[str, list[dict]] = {}
    only = f" AND {TEXT_PART}" if text_only else ""
    for message_id, data in conn.execute(
        f"SELECT message_id, data FROM part WHERE session_id = ?{only} ORDER BY id", (session_id,)
    ):
        parts.setdefault(message_id, []).append(_json(data))
    for message_id, data in conn.execute(
        "SELECT id, data FROM message WHERE session_id = ? ORDER BY time_created, id",
        (session_id,),
    ):
        yield _json(data), parts.get(message_id, [])


def _assistant(summary: SessionSummary, data: dict, ts: float | None) -> None:
    model, provider = data.get("modelID"), data.get("providerID")
    if isinstance(model, str):
        summary.model = model
        summary.provider = provider if isinstance(provider, str) else None
    summary.turn_open = data.get("finish") in (None, "tool-calls")
    tokens = data.get("tokens") if isinstance(data.get("tokens"), dict) else {}
    cache = tokens.get("cache") if isinstance(tokens.get("cache"), dict) else {}
    # `tokens.output` leaves reasoning out (tokens.total = input + output + reasoning + cache):
    # output here includes it, as for every harness, and reasoning is kept as its part.
    reasoning = as_int(tokens.get("reasoning"))
    counts = [as_int(tokens.get("input")), as_int(tokens.get("output")) + reasoning,
              as_int(cache.get("read")), as_int(cache.get("write"))]
    if any(counts):
        summary.ctx_tokens = counts[0] + counts[2] + counts[3]
    cost = data.get("cost")
    add_usage(summary.usage, ts, summary.model, *counts,
              cost=float(cost) if isinstance(cost, (int, float)) else None, reasoning=reasoning)


def _branch(conn: sqlite3.Connection, workspace: object) -> str | None:
    """The branch of the session's workspace (`session.workspace_id` -> `workspace.branch`)."""
    if not isinstance(workspace, str) or not workspace:
        return None
    try:
        found = conn.execute("SELECT branch FROM workspace WHERE id = ?", (workspace,)).fetchone()
    except sqlite3.OperationalError:  # an older database, without workspaces
        return None
    return found[0] if found and isinstance(found[0], str) and found[0] else None


_WINDOWS: dict[str, dict] = {}
CONFIGS = ("opencode.json", "opencode.jsonc", "config.json")


def context_window(provider: str | None, model: str | None) -> int | None:
    """A model's context window from the user's opencode config (`provider.<id>.models.<id>
    .limit.context`); None when not configured there (the price table may know it)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    folder = os.path.join(base, "opencode")
    if folder not in _WINDOWS:
        _WINDOWS[folder] = _configured_windows(folder)
    return _WINDOWS[folder].get((provider, model))


def _configured_windows(folder: str) -> dict:
    windows: dict = {}
    for name in CONFIGS:
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                lines = [ln for ln in fh if not ln.lstrip().startswith("//")]
        except OSError:
            continue
        providers = _json("".join(lines)).get("provider")
        for pid, pdata in (providers.items() if isinstance(providers, dict) else ()):
            models = pdata.get("models") if isinstance(pdata, dict) else None
            for mid, mdata in (models.items() if isinstance(models, dict) else ()):
                limit = mdata.get("limit") if isinstance(mdata, dict) else None
                context = limit.get("context") if isinstance(limit, dict) else None
                if as_int(context) and (pid, mid) not in windows:
                    windows[(pid, mid)] = context
    return windows


def _model_column(value: object) -> tuple[str | None, str | None]:
    data = _json(value) if isinstance(value, str) else {}
    model = data.get("id") or data.get("modelID")
    provider = data.get("providerID")
    return (model if isinstance(model, str) else None,
            provider if isinstance(provider, str) else None)


def _tool(part: dict) -> str:
    state = part.get("state") if isinstance(part.get("state"), dict) else {}
    args = state.get("input")
    return f"{part.get('tool')} {dumps(args) if args is not None else ''}".strip()


def _json(value: object) -> dict:
    return (decode(value) or {}) if isinstance(value, (str, bytes)) else {}


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def _created(data: dict) -> float | None:
    times = data.get("time")
    return _ms(times.get("created")) if isinstance(times, dict) else None


def _ms(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value / 1000 if value else None
