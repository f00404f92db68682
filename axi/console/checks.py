"""`axi doctor`'s checks of axi's own state: config, state dir, harness stores, index, mailbox,
price table, free disk. Each is read-only: SQLite files are opened `mode=ro`, nothing is
created. A check names the one command that fixes it and, when `--fix` may run that itself,
carries the repair. Details never hold a config value, a secret or a message body."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from axi.paths import tilde
from axi.sqlite import sqlite3

STATES = ("ok", "warn", "fail")
LOW_DISK = 1 << 30  # warn below this much free space where the state dir lives
FULL_DISK = 100 << 20  # fail below this
BIG_WAL = 64 << 20  # a mailbox WAL past this is not being checkpointed
STORE_ENV = {"claude": "CLAUDE_CONFIG_DIR", "codex": "CODEX_HOME", "opencode": "XDG_DATA_HOME",
             "pi": "PI_CODING_AGENT_DIR"}


@dataclass
class Check:
    name: str
    state: str
    detail: str
    fix: str | None = None  # the one command that fixes it (shown)
    repair: Callable[[], str] | list[str] | None = None  # what --fix runs; None: by hand

    def row(self) -> dict:
        return {"name": self.name, "state": self.state, "detail": self.detail, "fix": self.fix}


def shown(path: str) -> str:
    return str(tilde(path))


def open_ro(path: str) -> sqlite3.Connection:
    """A read-only connection that never creates, migrates or checkpoints anything. With no
    WAL file nobody has the database open, so it is read as immutable (no -wal or -shm is
    made); else as a plain reader of the live file (SQLite's -shm then holds its read lock)."""
    uri = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    mode = "ro" if os.path.exists(path + "-wal") else "ro&immutable=1"
    conn = sqlite3.connect(f"file:{uri}?mode={mode}", uri=True, timeout=2.0,
                           isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 2000")
    return conn


def size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def ago(seconds: float) -> str:
    for unit, scale in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= scale:
            return f"{int(seconds // scale)}{unit} ago"
    return "just now"


# -- config and state dir ------------------------------------------------------------------
def config_check() -> Check:
    from axi.control.config import load
    from axi.errors import AxiError
    from axi.paths import config_path

    path = config_path()
    origin = ("AXI_CONFIG" if os.environ.get("AXI_CONFIG") else
              "AXI_HOME" if os.environ.get("AXI_HOME") else "the XDG config dir")
    if not os.path.exists(path):
        return Check("config", "ok", f"none at {shown(path)} (from {origin}): defaults in use")
    try:
        config = load()
    except AxiError as err:
        return Check("config", "fail", f"{err.message} (from {origin}); commands that read it "
                     "stop with this error", fix=f"$EDITOR {shown(path)}")
    keys = _keys(config)
    what = f"sets {', '.join(keys)}" if keys else "is empty"
    return Check("config", "ok", f"{shown(path)} (from {origin}) {what}; "
                 "everything else is a default")


def _keys(config: dict) -> list[str]:
    """What the file sets, by key (never a value: a transport may name a secret)."""
    out = []
    for key, value in config.items():
        if isinstance(value, dict):
            out += [f"{key}.{sub}" for sub in value]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out.append(f"[[{key}]] x{len(value)}")
        else:
            out.append(key)
    return out


def state_dir_check() -> Check:
    from axi.paths import state_dir

    origin = ("AXI_HOME" if os.environ.get("AXI_HOME") else
              "XDG_STATE_HOME" if os.environ.get("XDG_STATE_HOME") else "the default")
    path = state_dir()
    if not os.access(path, os.W_OK):
        return Check("state dir", "fail", f"{shown(path)} (from {origin}) is not writable",
                     fix=f"chmod u+rwx {shown(path)}")
    return Check("state dir", "ok", f"{shown(path)} (from {origin}), private")


# -- harness stores -------------------------------------------------------------------------
def store_checks(index_counts: dict[str, tuple[int, float | None]] | None,
                 now: float) -> list[Check]:
    from axi.harnesses import all_harnesses

    out = []
    for harness in all_harnesses():
        root = harness.roots()[0]
        env = STORE_ENV.get(harness.name)
        where = f"{shown(root)}" + (f" (from {env})" if env and os.environ.get(env) else "")
        count, newest = (index_counts or {}).get(harness.name, (0, None))
        known = "" if index_counts is None else (
            f", {count} sessions" + (f", newest {ago(now - newest)}" if newest else ""))
        name = f"store {harness.name}"
        if os.path.exists(root):
            out.append(Check(name, "ok", f"{where}{known}"))
        elif count or (env and os.environ.get(env)):
            why = (f"the index holds {count} sessions from it" if count else
                   f"{env} is set, so {harness.name} was expected there")
            out.append(Check(name, "warn", f"not found at {where}; {why}: it moved or was "
                             "deleted", fix=f"export {env}=<its new folder>" if env else None))
        else:
            out.append(Check(name, "ok", f"none at {where}: {harness.name} not used here"))
    return out


# -- index --------------------------------------------------------------------------------
def index_check(now: float) -> tuple[Check, dict[str, tuple[int, float | None]] | None]:
    """The index's health, and (sessions, newest) per harness when it could be read."""
    from axi.index.store import SCHEMA_VERSION, index_path

    path = index_path()
    remove = Check("index", "fail", "", fix=f"rm {shown(path)} (a cache: the next command "
                   "rebuilds it)", repair=lambda: _remove_cache(path))
    if not os.path.exists(path):
        return Check("index", "ok", "not built yet: the next command builds it"), None
    try:
        conn = open_ro(path)
        try:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                remove.detail = f"integrity check failed: {_first_line(verdict)}"
                return remove, None
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            counts = {r[0]: (r[1], r[2]) for r in conn.execute(
                "SELECT harness, count(*), max(last) FROM sessions WHERE is_subagent = 0 "
                "GROUP BY harness")}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        remove.detail = f"cannot be read: {exc}"
        return remove, None
    rows = sum(c for c, _ in counts.values())
    schema = meta.get("schema")
    swept = meta.get("swept_at")
    parts = [f"schema {schema}", f"{rows} sessions", size(os.path.getsize(path))]
    parts.append(f"last sweep {ago(now - float(swept))}" if swept else "never swept")
    if schema != SCHEMA_VERSION:
        parts.append(f"this axi rebuilds it to schema {SCHEMA_VERSION} on next use")
    return Check("index", "ok", ", ".join(parts)), counts


def _remove_cache(path: str) -> str:
    import contextlib

    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path + suffix)
    return "removed; the next command rebuilds it"


def _first_line(text: str) -> str:
    return " ".join(str(text).split())[:160]


# -- mailbox ------------------------------------------------------------------------------
def mailbox_check() -> Check:
    from axi.mailbox.db import LATEST, mailbox_path, schema_version

    path = mailbox_path()
    if not os.path.exists(path):
        return Check("mailbox", "ok", "none yet: the first mail command creates it")
    wal = path + "-wal"
    wal_size = os.path.getsize(wal) if os.path.exists(wal) else 0
    try:
        conn = open_ro(path)
        try:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
            version = schema_version(conn)
            pending = 0
            if verdict == "ok" and 0 < version <= LATEST:
                pending = conn.execute(
                    "SELECT count(*) FROM agents WHERE state = 'pending'").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return Check("mailbox", "fail", f"cannot be read: {exc}",
                     fix=f"mv {shown(path)} {shown(path)}.broken (or restore a backup)")
    if verdict != "ok":
        return Check("mailbox", "fail", f"integrity check failed: {_first_line(verdict)}",
                     fix=f"mv {shown(path)} {shown(path)}.broken (or restore a backup)")
    if version > LATEST:
        return Check("mailbox", "fail", f"schema {version} is newer than this axi knows "
                     f"({LATEST}): a newer axi wrote it; mail commands refuse it",
                     fix="pipx upgrade axi (or reinstall a newer axi)")
    detail = f"schema {version}, WAL {size(wal_size)}, {pending} pending approvals"
    if wal_size > BIG_WAL:
        return Check("mailbox", "warn", detail + ": the WAL is not being checkpointed",
                     fix="stop long-running `axi listen`/`watch` readers, then run any mail "
                     "command")
    if pending:
        return Check("mailbox", "warn", detail, fix="axi agents approve <name> --confirm <code>")
    return Check("mailbox", "ok", detail)


# -- team mailbox -------------------------------------------------------------------------
RLS_TABLES = ("agents", "messages", "deliveries", "tasks", "progress", "history", "context",
              "blobs")
TEAM_GRANTS = {"meta": ("SELECT",),
               **{t: ("SELECT", "INSERT", "UPDATE") for t in RLS_TABLES[:4]},
               "progress": ("SELECT", "INSERT"), "history": ("SELECT", "INSERT"),  # append-only
               "context": ("SELECT", "INSERT", "UPDATE", "DELETE"),
               "blobs": ("SELECT", "INSERT", "DELETE")}
ADMIN_FIX = "the team's admin runs `axi mailbox status` as the database's owner"


def team_mailbox_check() -> Check | None:
    """With a team mailbox configured: it answers, its schema is this axi's, and this
    machine's role has its grants, is bound by row-level security (enabled on the tables), and
    neither owns them nor bypasses it. None without one (the `config` check reports a broken
    config). Only reads: the schema is never migrated here."""
    from axi.errors import AxiError
    from axi.mailbox import store

    try:
        url = store.url()
    except AxiError:
        return None
    if url is None:
        return None
    from axi.mailbox import pg

    try:
        conn = pg.Connection(url)
    except AxiError as err:
        return Check("team mailbox", "fail", err.message, fix="axi mailbox status")
    try:
        return _team_check(conn)
    except AxiError as err:
        return Check("team mailbox", "fail", err.message, fix="axi mailbox status")
    except sqlite3.Error as exc:  # what the team connection raises for any other refusal
        return Check("team mailbox", "fail", f"cannot be read: {_first_line(exc)}",
                     fix="axi mailbox status")
    finally:
        conn.close()


def _team_check(conn) -> Check:
    import time

    from axi.mailbox.pg_schema import LATEST, MEMBER_ROLE, schema_version

    started = time.monotonic()
    conn.execute("SELECT 1").fetchone()
    took = round((time.monotonic() - started) * 1000)
    role, superuser, bypass = conn.execute(
        "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles "
        "WHERE rolname = current_user").fetchone()
    version = schema_version(conn)
    detail = f"as role {role}, schema {version} (latest {LATEST}), {took} ms"
    if version > LATEST:
        return Check("team mailbox", "fail", f"{detail}: newer than this axi knows",
                     fix="pipx upgrade axi (or reinstall a newer axi)")
    if version < LATEST:
        return Check("team mailbox", "fail", f"{detail}: the schema is behind; mail commands "
                     "stop until it is migrated", fix=ADMIN_FIX)
    wanted = [(t, p) for t, ps in TEAM_GRANTS.items() for p in ps]
    missing = [f"{r[1]} on {r[0]}" for r in conn.execute(
        # UPDATE is granted on some columns only (pg_schema): any of them will do.
        "SELECT t, p, CASE WHEN p = 'UPDATE' THEN has_any_column_privilege(current_user, t, p) "
        "ELSE has_table_privilege(current_user, t, p) END "
        "FROM unnest(?::text[], ?::text[]) AS x(t, p)",
        ([t for t, _ in wanted], [p for _, p in wanted])) if not r[2]]
    tables_rls = conn.execute(
        "SELECT c.relname, c.relrowsecurity, pg_get_userbyid(c.relowner) = current_user "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relname = ANY(?)",
        (list(TEAM_GRANTS),)).fetchall()
    unguarded = sorted(r[0] for r in tables_rls if r[0] in RLS_TABLES and not r[1])
    owned = sorted(r[0] for r in tables_rls if r[2])
    if missing:
        return Check("team mailbox", "fail", f"{detail}: this role lacks "
                     f"{', '.join(missing[:6])}" + (" and more" if len(missing) > 6 else ""),
                     fix=f"the team's admin: GRANT {MEMBER_ROLE} TO {role}")
    if unguarded:
        return Check("team mailbox", "fail", f"{detail}: row-level security is off on "
                     f"{', '.join(unguarded)}: every machine reads everyone's mail",
                     fix=ADMIN_FIX + " (after ALTER TABLE ... ENABLE ROW LEVEL SECURITY)")
    if superuser or bypass or owned:
        why = ("a superuser" if superuser else "allowed to bypass row-level security" if bypass
               else "the owner of the tables")
        return Check("team mailbox", "warn", f"{detail}: this role is {why}, so row-level "
                     "security does not bind it: fine for the team's admin, but a machine "
                     "should connect as its own role",
                     fix=f"the team's admin: CREATE ROLE <machine> LOGIN IN ROLE {MEMBER_ROLE}, "
                     "then [mailbox] url names that role")
    return Check("team mailbox", "ok", f"{detail}; grants and row-level security in place")


# -- prices, disk -------------------------------------------------------------------------
def prices_check(now: float) -> Check:
    from axi.console.pricetable import STALE_DAYS, info

    table = info(now)
    age = table["age_days"]
    detail = f"{table['source']} {table['version']}, generated {table['generated']}"
    if age is None:
        return Check("prices", "warn", detail + ": no readable date")
    detail += f" ({age} days old)"
    if age > STALE_DAYS:
        return Check("prices", "warn", detail + f": older than {STALE_DAYS} days",
                     fix="pip install -U genai-prices && python scripts/refresh_prices.py")
    return Check("prices", "ok", detail)


def disk_check() -> Check:
    import shutil

    from axi.paths import state_dir

    free = shutil.disk_usage(state_dir()).free
    detail = f"{size(free)} free where the state dir is"
    if free < FULL_DISK:
        return Check("disk", "fail", detail + ": writes will fail", fix="free disk space")
    if free < LOW_DISK:
        return Check("disk", "warn", detail, fix="free disk space")
    return Check("disk", "ok", detail)
