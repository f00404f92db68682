"""opencode 1.18 store: every session in ~/.local/share/opencode/opencode.db (SQLite, WAL).

The DB is created from shared/corpus/opencode/opencode.db.schema.sql. Rows follow the corpus:
session aggregates (cost, tokens_*) are sums over assistant messages, message.data / part.data
are JSON without their own ids, the event table holds full snapshots again, session ids
descend over time while msg_/prt_/evt_ ids ascend, non-git dirs share project "global", and
prompts passed as one quoted argv entry are stored wrapped in literal double quotes.
"""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from . import text
from .common import Tokens, b62, dumps, iso_ms, lognormal_int, session_rng

VERSION = "1.18.33"
# providerID, modelID, $/M (input, output, cache read, cache write)
MODELS = (
    ("anthropic", "claude-sonnet-4-5", (3.0, 15.0, 0.3, 3.75)),
    ("openai", "gpt-5", (1.25, 10.0, 0.125, 0.0)),
    ("openrouter", "qwen/qwen3-coder", (0.4, 1.6, 0.04, 0.0)),
    ("opencode", "grok-code", (0.0, 0.0, 0.0, 0.0)),
)
SLUG_A = (
    "mighty",
    "stellar",
    "neon",
    "shiny",
    "quiet",
    "brave",
    "lucky",
    "cosmic",
    "silent",
    "swift",
)
SLUG_B = (
    "sailor",
    "mountain",
    "wolf",
    "lagoon",
    "circuit",
    "falcon",
    "harbor",
    "comet",
    "forest",
    "engine",
)
MASK48 = (1 << 48) - 1


def oc_id(prefix: str, ms: int, counter: int, rng: random.Random, descending: bool = False) -> str:
    """opencode Identifier: 12 hex of ms*0x1000+counter (inverted if descending) + 14 base62."""
    value = ms * 0x1000 + counter
    if descending:
        value = ~value
    return f"{prefix}_{value & MASK48:012x}{b62(rng, 14)}"


class IdClock:
    """Hands out strictly increasing (ms, counter) pairs like opencode's monotonic id counter."""

    def __init__(self, rng: random.Random, start_ms: int, limit_ms: int) -> None:
        self.rng = rng
        self.ms = start_ms
        self.limit = limit_ms
        self.counter = 0

    def tick(self, lo: int, hi: int) -> int:
        step = self.rng.randint(lo, hi)
        self.ms = self.ms + step if self.ms + step <= self.limit else self.ms + 1
        return self.ms

    def make(self, prefix: str, descending: bool = False) -> str:
        self.counter += 1
        return oc_id(prefix, self.ms, self.counter, self.rng, descending)


class Sink:
    """Batches rows and inserts them; tracks the bytes of JSON written."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        self.rows: dict[str, list[tuple]] = {"message": [], "part": [], "event": []}
        self.pending = 0
        self.total = 0

    def add(self, table: str, row: tuple, data: str) -> None:
        self.rows[table].append(row)
        self.pending += len(data)
        self.total += len(data)
        if self.pending > 4 << 20:
            self.flush()

    def flush(self) -> None:
        sql = {
            "message": "insert into message values (?,?,?,?,?)",
            "part": "insert into part values (?,?,?,?,?,?)",
            "event": "insert into event values (?,?,?,?,?)",
        }
        for table, rows in self.rows.items():
            if rows:
                self.con.executemany(sql[table], rows)
                rows.clear()
        self.pending = 0


class OpencodeSession:
    def __init__(self, ctx, spec: dict, rng: random.Random, sink: Sink) -> None:
        self.ctx = ctx
        self.spec = spec
        self.rng = rng
        self.sink = sink
        self.clock = IdClock(rng, spec["start_ms"], spec["limit_ms"])
        self.sid = self.clock.make("ses", descending=True)
        self.cwd = spec["cwd"]
        self.lang = spec["lang"]
        self.root = spec.get("worktree") or "/"
        self.provider, self.model, self.price = MODELS[spec["model"]]
        self.seq = 0
        self.start_bytes = sink.total
        self.tokens = Tokens()
        self.cost = 0.0
        self.context = rng.randint(8_000, 14_000)
        self.pending = 0
        self.first_text: str | None = None
        self.prompts = 0
        self.tool_calls = 0
        self.slug = f"{rng.choice(SLUG_A)}-{rng.choice(SLUG_B)}"
        self.placeholder = f"New session - {iso_ms(spec['start_ms'])}"

    # ------------------------------------------------------------------ rows
    def event(self, kind: str, payload: dict) -> None:
        data = dumps(payload).decode()
        self.sink.add("event", (self.clock.make("evt"), self.sid, self.seq, kind, data), data)
        self.seq += 1

    def message(self, msg_id: str, created: int, updated: int, data: dict) -> None:
        raw = dumps(data).decode()
        self.sink.add("message", (msg_id, self.sid, created, updated, raw), raw)
        self.event(
            "message.updated.1",
            {"sessionID": self.sid, "info": {"id": msg_id, "sessionID": self.sid} | data},
        )

    def part(self, msg_id: str, data: dict, start: int, end: int) -> None:
        part_id = self.clock.make("prt")
        raw = dumps(data).decode()
        self.sink.add("part", (part_id, msg_id, self.sid, start, end, raw), raw)
        snapshot = {"id": part_id, "sessionID": self.sid, "messageID": msg_id} | data
        self.event("message.part.updated.1", {"sessionID": self.sid, "part": snapshot, "time": end})

    def info(self, title: str) -> dict:
        info = {
            "id": self.sid,
            "slug": self.slug,
            "projectID": self.spec["project_id"],
            "directory": self.cwd,
            "path": self.rel_path(),
            "cost": self.cost,
            "tokens": {
                "input": self.tokens.input,
                "output": self.tokens.output,
                "reasoning": self.tokens.reasoning,
                "cache": {"read": self.tokens.cache_read, "write": self.tokens.cache_write},
            },
            "title": title,
            "version": VERSION,
            "time": {"created": self.spec["start_ms"], "updated": self.clock.ms},
        }
        return {"sessionID": self.sid, "info": info}

    def rel_path(self) -> str | None:
        if self.cwd == self.root:
            return None
        return self.cwd[len(self.root) :].lstrip("/") if self.root != "/" else self.cwd.lstrip("/")

    # ------------------------------------------------------------------ exchange
    def step_tokens(self, out_tokens: int, reasoning: int) -> tuple[dict, float]:
        rng = self.rng
        cread = int(self.context * rng.uniform(0.6, 0.97))
        inp = self.context + self.pending - cread
        cwrite = self.pending if self.provider == "anthropic" else 0
        if cwrite:
            inp = rng.randint(1, 60)
        self.context += self.pending + out_tokens
        if self.context > 180_000:
            self.context = rng.randint(15_000, 30_000)
        self.pending = 0
        tokens = {
            "total": inp + out_tokens + reasoning + cread + cwrite,
            "input": inp,
            "output": out_tokens,
            "reasoning": reasoning,
            "cache": {"write": cwrite, "read": cread},
        }
        p = self.price
        cost = round((inp * p[0] + out_tokens * p[1] + cread * p[2] + cwrite * p[3]) / 1e6, 7)
        self.tokens.add(inp, out_tokens, cread, cwrite, reasoning)
        self.cost += cost
        return tokens, cost

    def assistant_step(self, user_id: str, final: bool) -> None:
        rng = self.rng
        created = self.clock.tick(300, 3000)
        msg_id = self.clock.make("msg")
        parts: list[tuple[dict, int, int]] = [({"type": "step-start"}, created, created + 2)]
        reasoning = 0
        if rng.random() < 0.25:
            thought = text.thinking_text(rng, self.lang)
            t0 = self.clock.tick(200, 4000)
            parts.append(
                (
                    {"type": "reasoning", "text": thought, "time": {"start": t0, "end": t0 + 30}},
                    t0,
                    t0 + 31,
                )
            )
            reasoning = len(thought) // 4
        if final or rng.random() < 0.6:
            body = (
                text.final_answer(rng, self.lang)
                if final
                else text.assistant_text(rng, self.lang, 2)
            )
            t0 = self.clock.tick(200, 8000)
            parts.append(
                ({"type": "text", "text": body, "time": {"start": t0, "end": t0 + 40}}, t0, t0 + 41)
            )
        if not final:
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                parts.append(self.tool_part())
        out_tokens = sum(len(dumps(p[0])) for p in parts) // 5 + rng.randint(5, 60)
        tokens, cost = self.step_tokens(out_tokens, reasoning)
        reason = "stop" if final else "tool-calls"
        done = self.clock.tick(5, 50)
        parts.append(
            (
                {"reason": reason, "type": "step-finish", "tokens": tokens, "cost": cost},
                done,
                done + 1,
            )
        )
        for data, start, end in parts:
            self.part(msg_id, data, start, end)
        self.message(
            msg_id,
            created,
            done + 3,
            {
                "parentID": user_id,
                "role": "assistant",
                "mode": "build",
                "agent": "build",
                "path": {"cwd": self.cwd, "root": self.root},
                "cost": cost,
                "tokens": tokens,
                "modelID": self.model,
                "providerID": self.provider,
                "time": {"created": created, "completed": done + 2},
                "finish": reason,
            },
        )

    def tool_part(self) -> tuple[dict, int, int]:
        rng = self.rng
        cmd, desc, kind = text.shell_command(rng, self.lang)
        output = self.ctx.pools.slice(
            rng, kind, lognormal_int(rng, self.spec["verbosity"], 1.1, 10, 300_000)
        )
        t0 = self.clock.tick(100, 2000)
        t1 = self.clock.tick(20, 20_000)
        self.pending += len(output) // 4
        self.tool_calls += 1
        data = {
            "type": "tool",
            "tool": "bash",
            "callID": "call_" + b62(rng, 24),
            "state": {
                "status": "completed",
                "input": {"command": cmd, "description": desc},
                "output": output,
                "metadata": {"output": output, "exit": 0, "truncated": False},
                "title": cmd,
                "time": {"start": t0, "end": t1},
            },
        }
        return data, t0 - 5, t1 + 1

    def exchange(self, prompt: str) -> None:
        rng = self.rng
        shown = f'"{prompt}"' if self.spec.get("quoted") and self.prompts == 0 else prompt
        if self.first_text is None:
            self.first_text = shown
        created = self.clock.tick(20_000, 600_000)
        user_id = self.clock.make("msg")
        model = {"providerID": self.provider, "modelID": self.model}
        self.message(
            user_id,
            created,
            created + 5,
            {
                "role": "user",
                "time": {"created": created},
                "agent": "build",
                "model": model,
                "summary": {"diffs": []},
            },
        )
        t0 = self.clock.tick(10, 40)
        self.part(user_id, {"type": "text", "text": shown}, t0, t0 + 2)
        self.pending += len(prompt) // 4
        for _ in range(rng.choice((0, 1, 1, 2, 3, 5, 8))):
            if self.sink.total - self.start_bytes >= self.spec["target"]:
                break
            self.assistant_step(user_id, final=False)
        self.assistant_step(user_id, final=True)
        self.prompts += 1

    def title(self, prompt: str) -> str:
        mode = self.spec.get("title_mode", "generated")
        if mode == "placeholder":
            return self.placeholder
        if mode == "quoted":
            return text.title_from(f'"{prompt}"')
        return text.title_from(prompt).capitalize()

    def run(self) -> dict:
        rng = self.rng
        self.event("session.created.1", self.info(self.placeholder))
        prompt = self.spec.get("first_prompt") or text.first_prompt(rng, self.lang, self.ctx.pools)
        title = self.title(prompt)
        self.exchange(prompt)
        self.event("session.updated.1", self.info(title))
        while self.sink.total - self.start_bytes < self.spec["target"]:
            self.exchange(text.follow_up(rng, self.lang))
        self.event("session.updated.1", self.info(title))
        self.insert_session(title)
        return self.truth(title, prompt)

    def insert_session(self, title: str) -> None:
        t = self.tokens
        model = dumps(
            {"id": self.model, "providerID": self.provider, "variant": "default"}
        ).decode()
        self.sink.con.execute(
            f"insert into session values ({','.join('?' * 29)})",
            (
                self.sid,
                self.spec["project_id"],
                None,
                None,
                self.slug,
                self.cwd,
                self.rel_path(),
                title,
                VERSION,
                None,
                0,
                0,
                0,
                None,
                None,
                round(self.cost, 7),
                t.input,
                t.output,
                t.reasoning,
                t.cache_read,
                t.cache_write,
                None,
                self.ctx.templates.opencode_permission,
                "build",
                model,
                self.spec["start_ms"],
                self.clock.ms,
                None,
                None,
            ),
        )
        self.sink.con.execute(
            "insert into event_sequence values (?,?,?)", (self.sid, self.seq - 1, None)
        )

    def truth(self, title: str, prompt: str) -> dict:
        t = self.tokens.as_dict()
        t["total"] += t["reasoning"]  # opencode's tokens.total includes reasoning
        truth = {
            "harness": "opencode",
            "id": self.sid,
            "path": "opencode.db",
            "cwd": self.cwd,
            "model": self.model,
            "provider": self.provider,
            "title": title,
            "first_prompt": self.first_text,
            "tokens": t,
            "cost_usd": round(self.cost, 7),
            "bytes": self.sink.total - self.start_bytes,
            "started_ms": self.spec["start_ms"],
            "updated_ms": self.clock.ms,
            "prompts": self.prompts,
            "tool_calls": self.tool_calls,
        }
        if self.spec.get("quoted"):
            truth["quoted_prompt"] = True
        if self.spec.get("title_mode") == "placeholder":
            truth["placeholder_title"] = True
        return truth


# ---------------------------------------------------------------------- database


def create_db(ctx, path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("pragma journal_mode=wal")
    con.execute("pragma synchronous=off")
    con.executescript(ctx.templates.opencode_schema)
    con.execute("begin")
    con.executemany("insert into migration values (?,?)", ctx.templates.opencode_migrations)
    return con


def insert_projects(con: sqlite3.Connection, projects: list[dict], first_ms: int) -> None:
    rows = [("global", "/", None, None, None, None, None, first_ms, first_ms, None, "[]", None)]
    dirs = []
    for proj in projects:
        if proj.get("git_sha"):
            rows.append(
                (
                    proj["git_sha"],
                    proj["root"],
                    "git",
                    None,
                    None,
                    None,
                    None,
                    first_ms,
                    first_ms,
                    None,
                    "[]",
                    None,
                )
            )
            dirs.append((proj["git_sha"], proj["root"], None, None, first_ms))
    con.executemany("insert into project values (?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.executemany("insert into project_directory values (?,?,?,?,?)", dirs)


def write_db(ctx, specs: list[dict], projects: list[dict]) -> list[dict]:
    path = ctx.home / ".local" / "share" / "opencode" / "opencode.db"
    con = create_db(ctx, path)
    insert_projects(con, projects, min((s["start_ms"] for s in specs), default=ctx.anchor_ms))
    sink = Sink(con)
    truths = []
    for spec in sorted(specs, key=lambda s: s["start_ms"]):
        rng = session_rng(ctx.seed, "opencode", spec["index"])
        truths.append(
            OpencodeSession(ctx, spec, rng, sink).run()
            | {"path": str(path), "index": spec["index"]}
        )
    sink.flush()
    con.execute("commit")
    con.execute("pragma wal_checkpoint(truncate)")
    con.close()
    return truths
