"""`axi hook session-start|session-end|state --host H`: what agent hosts run at session start,
at session end, and as a session's state changes.

The host passes JSON on stdin (`session_id`, `cwd`, `source` or `reason`, `hook_event_name`),
read and bounded by `axi/integrations/payload.py`. Start: record it, then print the dashboard
for `cwd`, leaving the starting session out, in the shape the host hands to the model (Claude
Code and Codex: `hookSpecificOutput.additionalContext`; OpenCode's plugin and a person: plain
TOON). End: record how it ended. State: record the word the event means
(`axi/integrations/states.py`) and print nothing for a host: Claude Code and Codex add
UserPromptSubmit's stdout to the model's context, and a PermissionRequest's output would be an
approval decision. It runs on every prompt, so it imports only what the record needs. It is a
command (it runs the dashboard and the click tree's help), so it lives here, not with the
hook installers in `axi/integrations/`; `axi.cli` calls it without loading click.

Every `axi hook ...` exits 0 whatever its arguments and stdin: an unknown host runs as `none`,
an unknown flag is ignored, a refused payload field is left out, and each such problem is one
`axi: hook <verb>: ...` line on stderr (and a `warning` in the dashboard). A failure becomes a
one-line note, never a traceback, so a broken store never breaks a session.
"""

from __future__ import annotations

import os

from axi.integrations.payload import path, read, session_id, why
from axi.quiet import suppress

HOSTS = ("claude", "codex", "opencode", "none")
EVENTS = ("session-start", "session-end", "state")
ENVELOPE = ("claude", "codex")
FORMATS = ("toon", "json")
BUDGET = 1.0  # seconds of indexing at most; a cold index answers with what it has
AT_SKEW = 60.0  # a payload's own event time is believed only this close to now


def run_line(args: list[str], fmt: str = "toon") -> int:
    """Any arguments after `axi hook`; 0 always. Help, and words that are no hook verb, get
    the click tree's help or usage error."""
    problems: list[str] = []
    fmt, args = _format(args, fmt, problems)
    if not args or args[0] not in EVENTS or {"--help", "-h"} & set(args):
        return _by_click(args or ["--help"], fmt)
    host = parse_host(args[1:], problems)
    return run_hook(args[0], host, fmt, problems)


def _format(args: list[str], fmt: str, problems: list[str]) -> tuple[str, list[str]]:
    rest, i = [], 0
    while i < len(args):
        arg = args[i]
        if arg == "--format" or arg.startswith("--format="):
            value = arg[9:] if "=" in arg else (args[i + 1] if i + 1 < len(args) else "")
            i += 1 if "=" in arg else 2
            if value in FORMATS:
                fmt = value
            else:
                problems.append(f"--format {_quoted(value)} is not toon or json: {fmt} used")
            continue
        rest.append(arg)
        i += 1
    return fmt, rest


def parse_host(rest: list[str], problems: list[str]) -> str:
    """The `--host` among a hook verb's arguments; anything else is named in `problems`."""
    host, i = "none", 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--host" and i + 1 < len(rest):
            value, i = rest[i + 1], i + 2
        elif arg.startswith("--host="):
            value, i = arg[7:], i + 1
        else:
            problems.append(f"ignored {_quoted(arg)} (the only flag is --host)")
            i += 1
            continue
        if value in HOSTS:
            host = value
        else:
            problems.append(f"unknown --host {_quoted(value)} (one of {', '.join(HOSTS)}): "
                            f"ran as --host {host}; `axi setup hooks` rewrites axi's hooks")
    return host


def _by_click(args: list[str], fmt: str) -> int:
    from axi.commands.tree import run_click
    from axi.errors import AxiError
    from axi.output import emit

    try:
        data = run_click(["hook", *args])
    except AxiError as err:
        data = err.payload()
    except Exception as exc:
        data = {"axi": f"hook failed: {_one_line(exc)}"}
    with suppress(Exception):
        if data is not None:
            emit(data, fmt)
    return 0


def run_hook(event: str, host: str = "none", fmt: str = "toon",
             problems: list[str] | None = None) -> int:
    problems = problems if problems is not None else []
    runner = {"state": run_state, "session-end": run_end}.get(event, run_start)
    try:
        runner(host, fmt, problems)
    except Exception as exc:  # never fail the session, never a traceback
        problems.append(f"failed: {_one_line(exc)}")
    _report(event, problems)
    return 0


def run_start(host: str, fmt: str, problems: list[str]) -> None:
    try:
        payload = read(problems)
        sid = session_id(payload, problems)
        cwd = path(payload.get("cwd"), problems)
        # before the record: the replay rests on the journal as it was (`replay_start`)
        text = replay_start(cwd, sid, fmt, problems)
        source = why(payload.get("source"))
        written = _record("start", host, sid, cwd, payload, source)
        if text is not None and source == "startup":  # a new session: keep the replay
            from axi.commands.replay import carry
            from axi.index.journal import path as journal

            carry(journal(), written)
        data = start(cwd, sid, fmt, problems) if text is None else None
    except Exception as exc:
        text, data = None, {"axi": f"dashboard unavailable: {_one_line(exc)}"}
    with suppress(Exception):
        _print(data, host, fmt, text)


def run_end(host: str, fmt: str, problems: list[str]) -> None:
    payload = read(problems)
    sid = session_id(payload, problems)
    cwd = path(payload.get("cwd"), problems)
    _record("end", host, sid, cwd, payload, why(payload.get("reason")))
    if host == "none":
        from axi.output import emit

        emit({"recorded": "session end", "id": sid}, fmt)


def run_state(host: str, fmt: str, problems: list[str]) -> None:
    word = None
    with suppress(Exception):
        from axi.integrations.states import word as state_word

        payload = read(problems)
        sid = session_id(payload, problems)
        word = state_word(host, payload)
        if word:
            _record("state", host, sid, path(payload.get("cwd"), problems), payload, word)
    if host == "none":  # a person trying it: say what the payload meant
        from axi.output import emit

        emit({"state": word or "none (no state event in the payload)",
              "recorded": "only with --host claude|codex|opencode"}, fmt)


def replay_start(cwd: str | None, sid: str | None, fmt: str, problems: list[str]
                 ) -> str | None:
    """The dashboard's text as last made for this folder, when nothing it was made from has
    moved (`axi.commands.replay`). Checked before this start is recorded in the journal: the
    record changes the journal, but what it says is about `sid` alone, which the dashboard
    leaves out, and which the replay holds only when `sid` is none of this folder's sessions.
    """
    if fmt != "toon" or problems or (cwd is not None and not os.path.isdir(cwd)):
        return None
    from axi.commands.replay import dashboard_key, replayed
    from axi.paths import cwd as here

    return replayed(dashboard_key(cwd or here()), exclude=sid)


def start(cwd: str | None, sid: str | None, fmt: str, problems: list[str]) -> dict:
    """The dashboard for `cwd`; for the hook's own folder when `cwd` is not a folder and the
    catalog has no session there either (a deleted folder's sessions are still shown)."""
    from axi.commands.home import dashboard
    from axi.dashboard import fit

    try:
        data = dashboard(cwd, exclude=sid, budget=BUDGET, fmt=fmt)
        if cwd and not os.path.isdir(cwd) and isinstance(data.get("sessions"), str):
            problems.append("cwd ignored: not a folder, and no session was there; "
                            "this is the hook's own folder")
            data = dashboard(None, exclude=sid, budget=BUDGET, fmt=fmt)
    except Exception as exc:
        return {"axi": f"dashboard unavailable: {_one_line(exc)}"}
    if not problems:
        return data
    return fit(with_warning(data, problems), fmt=fmt)


def with_warning(data: dict, problems: list[str]) -> dict:
    """`data` with the hook's problems as `warning`, just before `left_out` and `help`."""
    tail = ("left_out", "help")
    out = {k: v for k, v in data.items() if k not in tail}
    out["warning"] = "axi hook: " + "; ".join(dict.fromkeys(problems))
    out.update({k: data[k] for k in tail if k in data})
    return out


def _print(data: dict | None, host: str, fmt: str, text: str | None = None) -> None:
    """`data`, or the dashboard's TOON `text` when it was replayed."""
    from axi.output import emit, encode, write_text

    if host in ENVELOPE:
        context = text if text is not None else encode(data, "toon")
        emit({"hookSpecificOutput": {"hookEventName": "SessionStart",
                                     "additionalContext": context}}, "json")
    elif text is not None:
        write_text(text + "\n")
    else:
        emit(data, fmt)


def _record(kind: str, host: str, sid: str | None, cwd: str | None, payload: dict,
            reason: str | None) -> int:
    """The bytes appended to the hooks' journal (0: nothing, and `axi log` says why)."""
    if not sid:
        return 0
    lost: Exception | None = None
    try:
        from axi.index.journal import record
        from axi.views import clock

        written = record(kind, host, sid, cwd, _when(payload, clock()), reason)
        if written:
            return written
    except Exception as exc:
        lost = exc
    from axi.diaglog import note  # the session goes on; `axi log` shows what was lost

    note("hook", f"{kind} of a {host} session not recorded: "
         + (_one_line(lost, log=False) if lost else "the journal could not be written"),
         lost, level="error")
    return 0


def _when(payload: dict, now: float) -> float:
    """The event's time: OpenCode's plugin starts state hooks without waiting for the last one,
    so it sends when each event happened (`at`, epoch s); the hooks may finish out of order."""
    at = payload.get("at")
    if isinstance(at, (int, float)) and not isinstance(at, bool) and abs(at - now) < AT_SKEW:
        return float(at)
    return now


def _report(event: str, problems: list[str]) -> None:
    with suppress(Exception):
        from axi.output import warn

        for problem in dict.fromkeys(problems):
            warn(f"hook {event}: {problem}")


def _quoted(value: str) -> str:
    from axi.text import shown

    text = shown(value)
    return repr(text if len(text) <= 40 else text[:39] + "…")


def _one_line(exc: BaseException, log: bool = True) -> str:
    """The error as one line; every error the hook swallows passes here, so it also goes to
    the diagnostic log (`axi log`) with its traceback (imported only on this error path)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if log:
        from axi.diaglog import note

        note("hook", text[:200], exc)
    return text[:200]
