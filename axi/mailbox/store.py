"""Which mailbox: the embedded SQLite file (the default), or a team's PostgreSQL database.

`AXI_MAILBOX_URL`, else `[mailbox] url` in config.toml, names the team database; an empty
`AXI_MAILBOX_URL` means the embedded file whatever the config says. Identities, mail, tasks,
shared context and their history go there; launches, runs and the index stay on each machine
(`db.connect()`, always the local file). Both backends give the same connection surface
(`axi/mailbox/pg.py`), so the mailbox modules do not know which one they talk to.

The config is looked at cheaply: only a file that mentions `mailbox` is parsed, so the hot
paths pay nothing for this unless a team mailbox may be set.
"""

from __future__ import annotations

import os

from axi.errors import AxiError
from axi.mailbox import db
from axi.paths import config_path

ENV = "AXI_MAILBOX_URL"
SCHEMES = ("postgresql://", "postgres://")


def url() -> str | None:
    """The team mailbox's URL, or None for the embedded file."""
    explicit = os.environ.get(ENV)
    if explicit is not None:
        return _checked(explicit.strip(), ENV) if explicit.strip() else None
    path = config_path()
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    if b"mailbox" not in raw:
        return None
    return _from_config(path, raw)


def _from_config(path: str, raw: bytes) -> str | None:
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        # Never fall back to the local file: mail meant for the team would go astray.
        raise AxiError(f"{path} is not valid TOML ({exc}); the mailbox it names is unknown",
                       code="CONFIG_INVALID", help=[f"fix it in {path}; it was not changed"]
                       ) from None
    table = data.get("mailbox")
    if table is None:
        return None
    value = table.get("url") if isinstance(table, dict) else None
    if value is None:
        return None
    if not isinstance(value, str):
        raise AxiError(f"{path}: [mailbox] url must be a string", code="CONFIG_INVALID",
                       help=[f"fix it in {path}; it was not changed"])
    return _checked(value.strip(), f"[mailbox] url in {path}") if value.strip() else None


def _checked(value: str, where: str) -> str:
    if not value.startswith(SCHEMES):
        raise AxiError(f"{where} is not a postgresql:// URL", code="CONFIG_INVALID",
                       help=["the team mailbox is `postgresql://ROLE@HOST/DATABASE`; unset it "
                             "for this machine's own mailbox"])
    return value


def is_team() -> bool:
    return url() is not None


def exists() -> bool:
    """Whether there is a mailbox to read: a team one is always there (it may not answer)."""
    return is_team() or db.exists()


def connect():
    """The mailbox connection: the team database when one is configured (its schema brought
    up to date), else the local file."""
    address = url()
    if address is None:
        return db.connect()
    conn = connect_team(address)
    if db.exists():
        from axi.mailbox import outbox

        outbox.flush(conn, address)  # sends that waited while it was unreachable
    return conn


def connect_team(address: str):
    try:
        from axi.mailbox import pg, pg_schema
    except ImportError as exc:
        raise AxiError(f"a team mailbox is configured but psycopg cannot be imported ({exc})",
                       code="MAILBOX_DRIVER_MISSING",
                       help=["pip install 'psycopg[binary]>=3.2' (the `team` extra), or unset "
                             f"{ENV} / [mailbox] url for this machine's own mailbox"]) from None

    conn = pg.Connection(address)
    try:
        pg_schema.migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def connect_readonly():
    """For a reader that must not create or migrate anything (the dashboard, lists): the team
    database, or the local file opened read-only (None when it does not exist yet)."""
    address = url()
    if address is not None:
        return connect_team(address)
    path = db.mailbox_path()
    if not os.path.exists(path):
        return None
    return db.connect_readonly(path)


def backend_of(conn) -> str:
    return getattr(conn, "backend", "sqlite")
