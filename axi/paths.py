"""Where axi keeps its state, and how paths are shown to people and agents."""

from __future__ import annotations

import os
import stat

from axi.quiet import suppress

PRIVATE_MARK = ".private-v1"  # present once every file below the state dir was made private
_CHECKED: set[str] = set()


def state_dir() -> str:
    """`AXI_HOME` if set, else platformdirs' user state dir for axi (honours XDG_STATE_HOME).

    It is private: 0700, every file in it 0600. The first call in a process checks that with
    one stat (and the marker), and tightens the whole tree when it finds it wider."""
    override = os.environ.get("AXI_HOME")
    path = os.path.expanduser(override) if override else xdg_dir("state")
    if path not in _CHECKED:
        _make_private(path)
        _CHECKED.add(path)
    return path


XDG = {"state": ("XDG_STATE_HOME", "~/.local/state"), "config": ("XDG_CONFIG_HOME", "~/.config")}


def xdg_dir(kind: str) -> str:
    """platformdirs' user `kind` dir for axi. On Linux that is the XDG Base Directory rule,
    applied here without importing platformdirs (about 9 ms of every command's start);
    tests/test_paths.py checks both give the same answer."""
    import sys

    if sys.platform.startswith("linux"):
        var, default = XDG[kind]
        base = os.environ.get(var, "").strip()
        return os.path.join(base if os.path.isabs(base) else os.path.expanduser(default), "axi")
    import platformdirs

    return getattr(platformdirs, f"user_{kind}_dir")("axi", appauthor=False)


def _make_private(path: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
            os.chmod(path, 0o700)
        except OSError as exc:
            raise _unusable(path, exc.strerror or type(exc).__name__) from exc
        _mark(path)
        return
    except NotADirectoryError as exc:
        raise _unusable(path, "a file stands in its path") from exc
    except OSError:
        return
    if not stat.S_ISDIR(mode):
        raise _unusable(path, "it is not a folder")
    if mode & 0o077 or not os.path.exists(os.path.join(path, PRIVATE_MARK)):
        tighten(path)
        _mark(path)


def _unusable(path: str, why: str):
    """axi's state dir cannot be where AXI_HOME (or the XDG state dir) puts it."""
    from axi.errors import AxiError

    named = "AXI_HOME" if os.environ.get("AXI_HOME") else "the state dir"
    return AxiError(f"{named} {path} cannot hold axi's state: {why}", code="STATE_DIR",
                    help=["point AXI_HOME at a folder you can write (`export AXI_HOME=~/.axi`)",
                          "or unset it: axi then keeps its state in its default state dir "
                          "(~/.local/state/axi on Linux)"])


def tighten(root: str) -> None:
    """Folders 0700 and files 0600 below `root`; links are not followed (nor changed)."""
    with suppress(OSError):
        os.chmod(root, 0o700)
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            full = os.path.join(folder, name)
            with suppress(OSError):
                if not os.path.islink(full):
                    os.chmod(full, 0o700 if name in dirs else 0o600)


def _mark(path: str) -> None:
    with suppress(OSError):
        os.close(private_open(os.path.join(path, PRIVATE_MARK), os.O_WRONLY | os.O_CREAT))


def private_open(path: str, flags: int) -> int:
    """`os.open` for a file of axi's own: created 0600, never through a planted link."""
    return os.open(path, flags | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)


def stamp(path: str, wal: bool = False) -> str:
    """What a file is now, as a short text, to tell later whether it moved: its size, mtime and
    inode; for a SQLite WAL, its size and header, whose salts and checkpoint count change when
    it restarts (opening a database may touch its WAL's mtime without a commit). "-": absent,
    or a WAL with no frame, which the last connection to close removes."""
    try:
        if wal:  # never waits on a FIFO planted in its place
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode) or st.st_size <= WAL_HEADER:
                    return "-"
                return f"{st.st_size} {os.pread(fd, WAL_HEADER, 0).hex()}"
            finally:
                os.close(fd)
        return stat_stamp(os.stat(path))
    except OSError:
        return "-"


WAL_HEADER = 32


def stat_stamp(st: os.stat_result | None) -> str:
    """`stamp` from a stat already made."""
    return "-" if st is None else f"{st.st_size} {st.st_mtime_ns} {st.st_ino}"


def home() -> str:
    return os.path.expanduser("~")


def tilde(path: str | None) -> str | None:
    """Show `path` with the home directory collapsed to `~`."""
    if not path:
        return path
    h = home().rstrip("/")
    if h and (path == h or path.startswith(h + "/")):
        from axi.shown import Folder

        return Folder("~" + path[len(h):], path)  # JSON gets the absolute path
    return path


def module_argv(module: str, *args: str) -> list[str]:
    """The argv that runs one of axi's own modules in a new interpreter. `-P`: the working
    directory (the user's project, whatever it holds) is never searched for modules, so a
    folder with an `axi` package of its own cannot stand in for this one."""
    import sys

    return [sys.executable, "-P", "-m", module, *args]


def cwd() -> str:
    """The caller's directory as the shell sees it (keeps symlinked paths when PWD agrees)."""
    real = os.getcwd()
    pwd = os.environ.get("PWD")
    if pwd and os.path.isabs(pwd):
        try:
            if os.path.samefile(pwd, real):
                return os.path.normpath(pwd)
        except OSError:
            pass
    return real


def dir_candidates(path: str) -> list[str]:
    """The spellings of one directory a transcript may have recorded (as given, and resolved)."""
    spellings = {os.path.normpath(path)}
    with suppress(OSError):
        spellings.add(os.path.realpath(path))
    return sorted(spellings)


def config_path() -> str:
    """config.toml: AXI_CONFIG, else in AXI_HOME, else the user config dir (here, not in
    control.config, so that `axi sessions` can look for [[host]] without importing it)."""
    explicit = os.environ.get("AXI_CONFIG")
    if explicit:
        return os.path.expanduser(explicit)
    if os.environ.get("AXI_HOME"):
        return os.path.join(os.path.expanduser(os.environ["AXI_HOME"]), "config.toml")
    return os.path.join(xdg_dir("config"), "config.toml")


def config_at_a_glance() -> dict:
    """config.toml read with the stdlib's tomllib, for a value or two on a person's path (the
    picker's `[ui]`, the person's name); {} when it is missing or does not parse: the commands
    that load it in full (`axi.control.config.load`) say what is wrong."""
    import tomllib

    try:
        with open(config_path(), "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_atomic(path: str, data: bytes | str, mode: int = 0o600, durable: bool = True) -> str:
    """Replace `path` with `data` in one rename, so a reader sees the old file or the new one,
    never half of either. A new file gets `mode`; an existing one keeps its own. The temporary
    file sits beside it, created exclusively and never through a link. `durable`: fsync the
    file and its folder (off for marks rewritten every second, such as heartbeats)."""
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    with suppress(FileNotFoundError):
        mode = os.stat(path).st_mode & 0o7777
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.{id(payload)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                 | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        with suppress(OSError):
            folder_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(folder_fd)
            finally:
                os.close(folder_fd)
    return path
