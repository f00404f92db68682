"""Launch, run and question records, kept in the mailbox database (the user's data).

A launch is one session axi started: its spec (enough to start it again), the processes that
hold it, how it ended and the outcome it was tagged with. A run groups the launches of one
job (a coordinator and the workers it started). An ask is a question a session is blocked on.
"""

from __future__ import annotations

import json
import time
import uuid

from axi.errors import AxiError, NotFound, UsageFault
from axi.mailbox import db
from axi.sqlite import sqlite3
from axi.text import is_safe_id

ENDED_OUTCOMES = ("success", "gave_up", "budget_hit", "crashed", "killed")


def connect() -> sqlite3.Connection:
    return db.connect()


def new_id() -> str:
    return str(uuid.uuid4())


def run_id() -> str:
    return "run-" + uuid.uuid4().hex[:8]


def insert_launch(conn: sqlite3.Connection, fields: dict) -> None:
    """Record a launch (inside the caller's `db.write`, with the `join_run` it belongs to)."""
    names = ", ".join(fields)
    marks = ", ".join("?" for _ in fields)
    conn.execute(f"INSERT INTO launches ({names}) VALUES ({marks})", list(fields.values()))


def update(conn: sqlite3.Connection, launch_id: str, **fields: object) -> None:
    sets = ", ".join(f"{k} = ?" for k in fields)
    with db.write(conn):
        conn.execute(f"UPDATE launches SET {sets} WHERE id = ?", [*fields.values(), launch_id])


def get(conn: sqlite3.Connection, launch_id: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM launches WHERE id = ?", (launch_id,)).fetchone()


def find(conn: sqlite3.Connection, prefix: str) -> sqlite3.Row | None:
    """The newest launch whose launch id or session id starts with `prefix` (None: not ours).

    Several launches may share one session (`continue`); the newest holds it now."""
    ident = prefix.strip().rpartition(":")[2]
    if len(ident) < 4:
        raise UsageFault(f"id prefix {prefix!r} is too short",
                         help=["give at least 4 characters of the id `axi sessions new` printed"])
    pattern = "".join(f"[{c}]" if c in "*?[]" else c for c in ident) + "*"
    rows = conn.execute("SELECT * FROM launches WHERE id GLOB ? OR session GLOB ? "
                        "ORDER BY created DESC", (pattern, pattern)).fetchall()
    if not rows:
        return None
    sessions = {r["session"] or r["id"] for r in rows}
    if len(sessions) > 1 and not any(ident in (r["id"], r["session"]) for r in rows):
        raise AxiError(f"id prefix {prefix!r} matches {len(sessions)} launched sessions",
                       code="AMBIGUOUS", matches=sorted(sessions)[:5],
                       help=["give more characters of the id"])
    by_launch = [r for r in rows if r["id"] == ident]
    by_session = [r for r in rows if r["session"] == ident]
    return (by_launch or by_session or rows)[0]


def require(conn: sqlite3.Connection, prefix: str) -> sqlite3.Row:
    row = find(conn, prefix)
    if row is None:
        raise NotFound(f"no session launched by axi has id {prefix!r}", help=[
            "`axi sessions --all` lists every session; `axi sessions new <harness> \"task\"` "
            "launches one under axi",
            f'`axi sessions continue {prefix} "task"` takes over a session axi did not launch'])
    return row


def members(conn: sqlite3.Connection, run: str) -> list[sqlite3.Row]:
    """A run's launches, oldest first (the newest launch of each session only)."""
    rows = conn.execute("SELECT * FROM launches WHERE run = ? ORDER BY created", (run,))
    latest: dict[str, sqlite3.Row] = {}
    for row in rows:
        latest[row["session"] or row["id"]] = row
    return list(latest.values())


def spec_of(row: sqlite3.Row) -> dict:
    return json.loads(row["spec"])


def labels_of(row: sqlite3.Row) -> dict:
    try:
        labels = json.loads(row["labels"] or "{}")
    except ValueError:
        return {}
    return labels if isinstance(labels, dict) else {}


# Runs -------------------------------------------------------------------------------------

def edit_labels(current: dict, edits) -> dict:
    """`key=value` sets, `-key` (or `key=`) removes, a bare word is a flag: the edits of
    `sessions tag --label` and of the picker's `l`, applied to a copy of `current`."""
    out = dict(current)
    for item in edits:
        if item.startswith("-"):
            out.pop(item[1:], None)
        elif "=" in item:
            key, value = item.split("=", 1)
            if value:
                out[key] = value
            else:
                out.pop(key, None)
        elif item:
            out[item] = True
    return out


def merge_fences(asked: dict, handed_down: dict) -> dict:
    """The tighter of each limit: a worker cannot raise what its run allows."""
    out = dict(handed_down)
    for key, value in asked.items():
        if value is None:
            continue
        out[key] = min(value, out[key]) if key in out else value
    return out


def join_run(conn: sqlite3.Connection, run: str, root: str | None, task: str | None,
             fences: dict, defaults: dict) -> dict:
    """Create the run or join it, inside the caller's `db.write` (with the launch itself, so
    the run cannot conclude in between). Its limits only ever tighten, and a run every session
    of which had ended opens again; returns its limits now (`defaults` fill the unset ones).

    A run stopped by a fence stays over (`RunOver`): a new session would trip it at once."""
    if not is_safe_id(run):  # run ids go into hints other agents paste into a shell
        raise UsageFault(f"{run!r} is not a run id: use letters, digits and ._- (at most 128)",
                         help=["`axi runs` lists the runs"])
    row = get_run(conn, run)
    if row is not None and row["outcome"] == "budget_hit":
        raise RunOver(row)
    merged = merge_fences(fences, json.loads(row["fences"] or "{}")) if row else dict(fences)
    merged.update({k: v for k, v in defaults.items() if merged.get(k) is None})
    if row is None:
        conn.execute("INSERT INTO runs (id, root, task, fences, started) VALUES (?, ?, ?, ?, ?)",
                     (run, root, task, json.dumps(merged), time.time()))
    else:
        # A concluded run that opens again starts its clock again (its --timeout counts anew).
        conn.execute("UPDATE runs SET fences = ?, started = CASE WHEN concluded IS NULL "
                     "THEN started ELSE ? END, concluded = NULL, outcome = NULL, reason = NULL, "
                     "totals = NULL WHERE id = ?", (json.dumps(merged), time.time(), run))
    return merged


class RunOver(AxiError):
    def __init__(self, row: sqlite3.Row):
        super().__init__(f"launch refused: run {row['id']} was stopped by a fence "
                         f"({row['reason']})", code="RUN_OVER", help=[
                             "start a new run: launch without --run (and outside the run's "
                             "sessions)", f"`axi runs {row['id']}` shows what it spent"])


def run_policy(conn: sqlite3.Connection, run: str) -> dict | None:
    """The launch policy recorded when the run started (None: not recorded yet)."""
    row = conn.execute("SELECT policy FROM runs WHERE id = ?", (run,)).fetchone()
    if row is None or row["policy"] is None:
        return None
    policy = json.loads(row["policy"])
    return policy if isinstance(policy, dict) else {}


def set_run_policy(conn: sqlite3.Connection, run: str, policy: dict) -> None:
    conn.execute("UPDATE runs SET policy = ? WHERE id = ? AND policy IS NULL",
                 (json.dumps(policy), run))


def get_run(conn: sqlite3.Connection, run: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM runs WHERE id = ?", (run,)).fetchone()


def conclude_run(conn: sqlite3.Connection, run: str, outcome: str, reason: str | None,
                 totals: dict | None) -> bool:
    """Record the run's outcome once; False when it had already concluded."""
    with db.write(conn):
        cur = conn.execute("UPDATE runs SET concluded = ?, outcome = ?, reason = ?, totals = ? "
                           "WHERE id = ? AND concluded IS NULL",
                           (time.time(), outcome, reason, json.dumps(totals or {}), run))
    return cur.rowcount == 1


# Questions --------------------------------------------------------------------------------

def ask(conn: sqlite3.Connection, launch_id: str, question: str, kind: str) -> int:
    with db.write(conn):
        cur = conn.execute("INSERT INTO asks (launch, question, kind, asked) VALUES (?, ?, ?, ?)",
                           (launch_id, question, kind, time.time()))
    return int(cur.lastrowid)


def open_asks(conn: sqlite3.Connection, launch_ids: list[str] | None = None
              ) -> list[sqlite3.Row]:
    sql = "SELECT * FROM asks WHERE answered IS NULL"
    args: list = []
    if launch_ids is not None:
        sql += f" AND launch IN ({','.join('?' for _ in launch_ids)})"
        args = list(launch_ids)
    return conn.execute(sql + " ORDER BY id", args).fetchall()


def answer(conn: sqlite3.Connection, ask_id: int, text: str) -> bool:
    with db.write(conn):
        cur = conn.execute("UPDATE asks SET answer = ?, answered = ? "
                           "WHERE id = ? AND answered IS NULL", (text, time.time(), ask_id))
    return cur.rowcount == 1


def get_ask(conn: sqlite3.Connection, ask_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM asks WHERE id = ?", (ask_id,)).fetchone()
