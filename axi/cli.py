"""Entry point: argument parsing, help, and translation of every outcome into TOON.

Bare `axi` (the dashboard) and `axi hook ...` (what agent hosts run at every session start and
end) take a fast path that never imports click; so do plain lines of the hottest verbs
(`axi.commands.fast`). Everything else goes through the click tree, whose commands return
data; this module hands that data, or the error, to the output boundary and picks the exit
code.
"""

from __future__ import annotations

import sys

from axi.errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE, AxiError, UsageFault
from axi.output import FORMATS, emit


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    leave = _leave if argv is None else sys.exit
    if args[:1] == ["hook"]:  # what agent hosts run: exit 0 whatever it is given
        from axi.commands.hook_entry import run_line

        leave(run_line(args[1:]))
    try:
        fmt, args = _split_format(args)
    except UsageFault as fault:
        emit(fault.payload())
        sys.exit(EXIT_USAGE)
    leave(run(args, fmt))


def _leave(code: int) -> None:
    """Exit a process that ran one command. On the click-free paths (the dashboard, the
    hooks, `axi.commands.fast`) nothing is left to tear down but the interpreter itself:
    freeing every module costs about 2.5 ms of a run that should take a few more than the
    interpreter's start, so those end at once once stdout and stderr are flushed."""
    if "click" in sys.modules or "textual" in sys.modules:
        sys.exit(code)
    import os

    from axi.quiet import suppress

    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a reader that went away: nothing more to say
            stream.flush()
    os._exit(code)


def run(args: list[str], fmt: str = "toon") -> int:
    """Run one command line; returns the exit code. Only `emit` writes stdout."""
    try:
        if not args:
            from axi.terminal import person_at_terminal

            person = person_at_terminal()
            if not person and fmt == "toon" and _replayed():
                return EXIT_OK
            from axi.commands.home import bare_choice, dashboard

            if not (person and fmt == "toon" and bare_choice() == "pick"):
                emit(dashboard(fmt=fmt, person=person), fmt)
                return EXIT_OK
            args = ["pick"]  # `[ui] bare = "pick"`, for a person at a terminal
        if args[0] == "hook":
            from axi.commands.hook_entry import run_line

            return run_line(args[1:], fmt)
        from axi.commands import fast

        keep = fast.replay_key(args) if fmt == "toon" else None  # a plain `sessions` line
        if keep is not None and _replayed(keep):
            return EXIT_OK
        taken, data = fast.run(args, keep=keep)
        if not taken:
            from axi.commands.tree import run_click

            data = run_click(args)
    except AxiError as err:
        emit(err.payload(), fmt)
        return err.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _reader_gone()
    except Exception as exc:  # last resort: never a traceback on stdout
        import traceback

        traceback.print_exc(file=sys.stderr)
        emit({"error": f"unexpected {type(exc).__name__}: {exc}", "code": "UNKNOWN",
              "help": ["this is a bug in axi; the traceback is on stderr"]}, fmt)
        return EXIT_ERROR
    if data is not None:
        try:
            emit(data, fmt)
        except BrokenPipeError:
            return _reader_gone()
    return EXIT_OK


def _replayed(key: tuple | None = None) -> bool:
    """Whether the answer last made for `key` (by default, the dashboard here) was printed
    again: nothing it was made from has moved (`axi.commands.replay`)."""
    from axi.commands.replay import dashboard_key, replayed
    from axi.output import write_text

    if key is None:
        from axi.paths import cwd

        key = dashboard_key(cwd())
    text = replayed(key)
    if text is None:
        return False
    write_text(text + "\n")
    return True


def _reader_gone() -> int:
    """stdout's reader went away (`axi sessions --all | head -1`): nothing more to say, and
    nothing for the interpreter's last flush to fail on either."""
    import os

    from axi.quiet import suppress

    with suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK


def _split_format(args: list[str]) -> tuple[str, list[str]]:
    """Pull the global `--format toon|json` out of the arguments, wherever it stands."""
    fmt, rest, i = "toon", [], 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg == "--format" or arg.startswith("--format="):
            if "=" in arg:
                value = arg.split("=", 1)[1]
            elif i + 1 < len(args):
                value = args[i + 1]
                i += 1
            else:
                value = ""
            if value not in FORMATS:
                raise UsageFault(f"--format must be one of {', '.join(FORMATS)}, not {value!r}",
                                 help=["example: axi sessions --format json"])
            fmt = value
        else:
            rest.append(arg)
        i += 1
    return fmt, rest

