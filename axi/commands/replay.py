"""The dashboard again, without the index: bare `axi` and the session-start hook print the
answer last made for this folder while nothing it was made from has moved; so does a plain
`axi sessions [--all] [--limit N]`.

Made from: the index and the mailbox (their files, and their WALs' size and header, which
change with every commit), the hooks' journal, the config, the folder map, the remote hosts'
lines, this folder's identity pointers, axi itself, and every file and folder the quick
refresh behind it stat'ed (`ScanReport.seen`). A change to any of them, a different folder,
program or environment, or the first moment an age or a status on it would read differently
(`until`), and the answer is made again the usual way, which saves the next one. What the
quick refresh would have started, a background sweep once the last is SWEEP_EVERY old, a
replay starts too, so the index is kept up to date alike.

An answer that rests on more than that is never saved: a session axi launched (its status is
the control plane's, kept by heartbeats), a team mailbox (the network), an index being built or
updated by another axi, a hook's warning, a person at a terminal, JSON.

This runs on every agent session start: it imports nothing beyond `os`, `marshal`, `zlib` (a
CRC-32) and axi's paths, and costs a few hundred stats.
"""

from __future__ import annotations

import marshal
import os
import sys

from axi.paths import stamp
from axi.quiet import suppress

FORMAT = 3
FOLDER = "replay"
IDS_MAX = 4096  # a folder with more sessions keeps no id list: a hook there is never replayed
# (nor is one after an answer bare `axi` made: it keeps no id list either)
SWEEP_EVERY = 30.0  # axi.index.scan.SWEEP_EVERY (tests/commands/test_replay.py holds them equal)
ENV_NAMES = ("HOME", "CLAUDE_CONFIG_DIR", "CODEX_HOME", "PI_CODING_AGENT_DIR")
ENV_PREFIXES = ("AXI_", "XDG_")
# set per launched session or run; none of them changes what the dashboard shows
ENV_IGNORED = ("AXI_SESSION_ID", "AXI_RUN", "AXI_DEPTH", "AXI_ARGV")
# How a path is stamped (`axi.paths.stamp`): a file whole; a SQLite WAL; a WAL whose every
# frame was already in the database when stamped, so that its removal (the last connection to
# close checkpoints and removes it) moves nothing; a folder, only whether it is there (a
# session's folder, shown with `!` once gone)
FILE, WAL, WAL_MERGED, FOLDER_THERE = "f", "w", "m", "d"


def take(path: str, kind: str) -> str:
    if kind == FOLDER_THERE:
        return "1" if os.path.isdir(path) else "0"
    return stamp(path, kind != FILE)


def context(key: tuple) -> tuple:
    """What, besides the stamped files, the answer depends on: the command and its folder
    (`key`), the program (the script, the interpreter, the axi it imports), the environment
    the stores and the state are found through (and PATH, where the dashboard finds its own
    command by it)."""
    argv0 = sys.argv[0] if sys.argv else ""
    env = sorted((k, v) for k, v in os.environ.items()
                 if (k in ENV_NAMES or k.startswith(ENV_PREFIXES)) and k not in ENV_IGNORED)
    if os.path.basename(argv0) != "axi":
        env.append(("PATH", os.environ.get("PATH", "")))
    program = getattr(sys.modules.get("axi"), "__file__", None)
    return (FORMAT, key, argv0, sys.executable, program, tuple(env))


def dashboard_key(here: str) -> tuple:
    """`here` as given and as it resolves: a symlinked folder pointed elsewhere is another."""
    return ("dashboard", here, os.path.realpath(here))


# `axi sessions` as the fast path parsed it, when nothing but the folder and the count chooses
# the rows (a status filter would also move with the clock for rows not shown)
LIST_DEFAULTS = {"directory": None, "harness": None, "status": None, "fields": None,
                 "subagents": False, "host": None, "tags": (), "group_by": None}


def list_key(values: dict, here: str) -> tuple | None:
    """The key of `axi sessions` with these option `values`, or None when it is never kept."""
    if any(values.get(name) != value for name, value in LIST_DEFAULTS.items()):
        return None
    return ("sessions", bool(values["all_dirs"]), values["limit"], here, os.path.realpath(here))


def replayed(key: tuple, exclude: str | None = None, now: float | None = None) -> str | None:
    """The saved text for `key` when it still holds, else None. `exclude`: the session a hook
    starts, which the answer must not list (it holds only when that session is not among
    this folder's)."""
    saved = _load(context(key))
    if saved is None:
        return None
    if now is None:
        from axi.views import clock

        now = clock()
    if now >= saved["until"]:
        return None
    if exclude and (saved["ids"] is None or f"\n{exclude}\n" in saved["ids"]):
        return None
    for path, kind, was in zip(saved["paths"].split("\0"), saved["kinds"],
                               saved["stamps"].split("\n"), strict=True):
        now_is = take(path, kind)
        if now_is != was and not (kind == WAL_MERGED and now_is == "-"):
            return None
    _sweep_if_due(saved["swept_at"])
    global _last
    _last = saved
    return saved["text"]


_last: dict | None = None  # the answer `replayed` last gave in this process, for `carry`


def carry(grown: str, written: int) -> None:
    """A hook replayed the answer for a new session, then recorded that session's start in
    the hooks' journal (`grown`, `written` bytes). What it recorded is about that session
    alone, which the answer leaves out and a refresh would find no transcript of, so the
    answer is kept with the journal as it is now: when nothing else was written in between,
    the next session's hook replays it too, instead of every other one making it anew."""
    saved = _last
    if saved is None or written <= 0:
        return
    paths, stamps = saved["paths"].split("\0"), saved["stamps"].split("\n")
    if grown not in paths:
        return
    at = paths.index(grown)
    was, now = stamps[at].split(), stamp(grown).split()
    if len(was) != 3 or len(now) != 3 or now[2] != was[2] or int(now[0]) != int(was[0]) + written:
        return  # another writer too: the next answer is made anew
    stamps[at] = " ".join(now)
    _write({**saved, "stamps": "\n".join(stamps)})


def _sweep_if_due(swept_at: float) -> None:
    """Start the background sweep a refresh would start (the last one is SWEEP_EVERY old),
    at most once in that time however many replays come while it runs."""
    import time

    now = time.time()  # the sweep's clock is the machine's, never a pinned one
    if now - swept_at <= SWEEP_EVERY:
        return
    mark = os.path.join(_folder(), "sweep.started")
    try:
        if now - os.stat(mark).st_mtime < SWEEP_EVERY:
            return
    except OSError:
        pass
    try:
        os.close(os.open(mark, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o600))
        os.utime(mark)
    except OSError:
        return
    from axi.index.background import sweep_in_background

    sweep_in_background()


def save(key: tuple, text: str, stamps: list[tuple[str, str, str]], until: float,
         ids: list[str] | None, swept_at: float) -> None:
    """Keep `text` for `key`, resting on `stamps` ((path, kind, `stamp`) each). Saved as a
    few long strings, which `marshal` reads back at once, not an object per file."""
    _write({"context": context(key), "text": text, "until": until, "swept_at": swept_at,
            "paths": "\0".join(p for p, _k, _s in stamps),
            "kinds": "".join(k for _p, k, _s in stamps),
            "stamps": "\n".join(s for _p, _k, s in stamps),
            "ids": None if ids is None else "\n" + "\n".join(ids) + "\n"})


KEPT = 64  # answers kept, the most recently written (a fleet works in many folders)


MAGIC = b"axi-replay\n"


def _write(entry: dict) -> None:
    """Never raises: a replay is only ever a shortcut. Written as MAGIC, the length and CRC-32
    of what follows, then `marshal`'s bytes: `marshal` must never read a damaged file (a
    length field gone wrong can ask it for gigabytes)."""
    import zlib

    from axi.paths import write_atomic

    path = _file(entry["context"])
    try:
        body = marshal.dumps(entry)
        os.makedirs(_folder(), mode=0o700, exist_ok=True)
        new = not os.path.exists(path)
        head = MAGIC + len(body).to_bytes(8, "big") + zlib.crc32(body).to_bytes(4, "big")
        write_atomic(path, head + body, durable=False)
        if new:
            _prune()
    except (OSError, ValueError):
        pass


def _prune() -> None:
    """Past KEPT answers, the least recently written go."""
    folder = _folder()
    kept = []
    for name in os.listdir(folder):
        if name.endswith(".bin"):
            try:
                kept.append((os.stat(os.path.join(folder, name)).st_mtime_ns, name))
            except OSError:
                continue
    for _mtime, name in sorted(kept, reverse=True)[KEPT:]:
        with suppress(OSError):
            os.unlink(os.path.join(folder, name))


def _load(ctx: tuple) -> dict | None:
    try:
        with open(_file(ctx), "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    start = len(MAGIC) + 12
    if not raw.startswith(MAGIC) or int.from_bytes(raw[len(MAGIC):start - 4], "big") != len(
            raw) - start:
        return None
    import zlib

    if zlib.crc32(memoryview(raw)[start:]) != int.from_bytes(raw[start - 4:start], "big"):
        return None
    try:
        saved = marshal.loads(memoryview(raw)[start:])
    except Exception:  # noqa: BLE001 - whatever it is, the answer is made anew
        return None
    if not isinstance(saved, dict) or saved.get("context") != ctx:
        return None  # another folder's answer with the same file name, or an older format
    if any(not isinstance(saved.get(name), kind) for name, kind in SHAPE.items()):
        return None  # damaged: made anew, and saved over
    if saved["ids"] is not None and not isinstance(saved["ids"], str):
        return None
    if not (len(saved["paths"].split("\0")) == len(saved["kinds"])
            == len(saved["stamps"].split("\n"))):
        return None
    return saved


SHAPE = {"text": str, "until": (int, float), "swept_at": (int, float), "paths": str,
         "kinds": str, "stamps": str}


def _folder() -> str:
    from axi.paths import state_dir

    return os.path.join(state_dir(), FOLDER)


def _file(ctx: tuple) -> str:
    """One file per context, named by a 64-bit FNV-1a of it (hashlib costs a library load)."""
    digest = 0xCBF29CE484222325
    for byte in repr(ctx).encode("utf-8", "surrogatepass"):
        digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return os.path.join(_folder(), f"{digest:016x}.bin")
