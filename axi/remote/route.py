"""`axi sessions VERB host/id ...`: one request over the host's transport (`view`, `read`,
`type`, `wait`, `result`, `kill`, `tag`, `resume --print`), a stream (`read --follow`), or the
interactive transport with a terminal (`attach`, `resume`). The host's ids come back
addressed `host/id`, so every id and hint in the answer works here as printed.

Imported only when a command names a host: never by bare `axi` or `axi hook`."""

from __future__ import annotations

import json
import os
import re
import shlex

from axi import views
from axi.errors import AxiError
from axi.remote.hosts import Host

# Verbs whose first argument is a session id, and which of them `host/id` routes.
ID_VERBS = ("view", "read", "resume", "attach", "type", "wait", "result", "continue",
            "restart", "kill", "tag")
ROUTED = ("view", "read", "resume", "attach", "type", "wait", "result", "kill", "tag",
          "continue", "restart", "new")
MANY_IDS = ("wait", "kill")  # verbs taking several ids: all of them on one host
# a drop mid-call leaves it unknown whether these took effect
CHANGES = ("type", "kill", "tag", "continue", "restart", "new", "reply")
HOST_ID = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)/([A-Za-z0-9][A-Za-z0-9_-]*)")
ID_KEYS = ("id", "session", "restarted")


def run(verb: str, host_name: str, sids: list[str], words: list[str]) -> dict | None:
    """Run `sessions VERB words...` on the host (`sids`: the ids in `words`, host-free)."""
    from axi.remote.hosts import find, load_hosts

    host = find(host_name, load_hosts())
    if verb not in ROUTED:
        raise not_routed(host, verb, words)
    if verb == "attach":
        return attach(host, sids[0])
    if verb == "resume":
        return resume(host, sids[0], "--print" in words)
    if verb == "read" and "--follow" in words:
        stream(host, ["sessions", "read", *words], set(sids), _duration(words, "--timeout"))
        return None
    extra = 0.0
    if verb == "wait":
        seconds = _duration(words, "--timeout")
        extra = None if seconds is None else seconds
    elif verb in ("new", "continue", "restart") and "--wait" in words:
        extra = None  # it waits for the session to finish, on purpose
    return forward(host, ["sessions", verb, *words], set(sids), extra)


def reply(host_name: str, sid: str, words: list[str]) -> dict | None:
    """`axi reply host/id ANSWER`: the host's session answered there."""
    from axi.remote.hosts import find, load_hosts

    return forward(find(host_name, load_hosts()), ["reply", *words], {sid}, 0.0)


def not_routed(host: Host, verb: str, words: list[str]) -> AxiError:
    there = host.attach_transport or host.transport
    return AxiError(f"`sessions {verb}` on a host is not built yet (axi routes "
                    f"{', '.join(ROUTED)})", code="NOT_ROUTED", help=[
                        "run it on the host: `" + shlex.join(
                            [*there, *host.axi, "sessions", verb, *words]) + "`"])


def _duration(words: list[str], flag: str) -> float | None:
    for i, word in enumerate(words):
        if word == flag and i + 1 < len(words):
            return views.parse_duration(words[i + 1])
        if word.startswith(flag + "="):
            return views.parse_duration(word.split("=", 1)[1])
    return None


# One request -------------------------------------------------------------------------------

def forward(host: Host, argv: list[str], ids: set[str], extra: float | None = 0.0) -> dict:
    """One request; the host's answer with its ids addressed `host/id`."""
    from axi.remote.transport import call

    reply = call(host, argv, extra)
    answer = checked(host, reply, argv, ids)
    result = answer.get("result")
    if not isinstance(result, dict):
        raise AxiError(f"host {host.name} answered without a result", code="REMOTE_ERROR",
                       help=[f"`axi hosts check {host.name}`"])
    return addressed(result, host.name, ids)


def checked(host: Host, reply, argv: list[str], ids: set[str]) -> dict:
    """The answer of an online host, or the error it stands for: offline (or dropped
    mid-call), no axi, old axi, or the host's own error with its ids addressed."""
    from axi.remote.transport import ONLINE

    if reply.status != ONLINE:
        raise unreachable(host, reply.status, reply.reason, reply.help, argv, ids)
    answer = reply.answer
    if "error" in answer:
        raise remote_error(host, answer["error"], ids)
    return answer


def unreachable(host: Host, status: str, reason: str | None, hints: list[str],
                argv: list[str], ids: set[str]) -> AxiError:
    code = "HOST_" + status.upper().replace(" ", "_")
    what = " ".join(argv[:2])
    hints = list(hints) or [f"`axi hosts check {host.name}` tries it again"]
    if len(argv) > 1 and argv[1] in CHANGES and ids:
        sid = sorted(ids)[0]
        hints.append(views.hint(views.command("sessions", "result", f"{host.name}/{sid}"),
                                f"shows whether the {argv[1]} took effect"))
    if status == "offline":
        message = (f"`{what}` on host {host.name} did not complete: {reason} ({host.name} is "
                   "offline or the connection dropped)")
    else:
        message = f"host {host.name} is {status}: {reason}"
    return AxiError(message, code=code, help=hints)


def remote_error(host: Host, error: object, ids: set[str]) -> AxiError:
    err = error if isinstance(error, dict) else {}
    extra = {k: addressed(v, host.name, ids) if isinstance(v, (dict, list)) else v
             for k, v in err.items() if k not in ("error", "code", "help")}
    return AxiError(f"{host.name}: {err.get('error', 'the call failed')}",
                    code=str(err.get("code", "REMOTE_ERROR")),
                    help=hints_for(err.get("help") or [], host.name, ids | _ids_in(err)),
                    **extra)


def addressed(value, host: str, ids: set[str]):
    """A host's answer as this machine shows it: JSON's exact ages as short forms, session
    ids as `host/id` (an `id`/`session` key, or a list of ids under `already`), the host's
    hints with its ids addressed."""
    from axi.remote.federate import revive

    ids = ids | _ids_in(value)

    def walk(node, key=None):
        if isinstance(node, dict):
            out: dict = {}
            for k, v in revive(node).items():
                if k in ID_KEYS and isinstance(v, str):
                    out[k] = f"{host}/{v}"
                    if key is None and "host" not in node:
                        out["host"] = host
                elif k == "help" and isinstance(v, list):
                    out[k] = hints_for(v, host, ids)
                elif k == "hint" and isinstance(v, str):
                    out[k] = (hints_for([v], host, ids) or [f"on {host}: {v}"])[0]
                else:
                    out[k] = walk(v, k)
            return out
        if isinstance(node, list):
            if key == "already":
                return [f"{host}/{v}" if isinstance(v, str) else v for v in node]
            return [walk(v, key) for v in node]
        return node

    return walk(value)


def _ids_in(value) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            if k in ID_KEYS and isinstance(v, str):
                found.add(v)
            elif k == "already" and isinstance(v, list):
                found |= {x for x in v if isinstance(x, str)}
            else:
                found |= _ids_in(v)
    elif isinstance(value, list):
        for v in value:
            found |= _ids_in(v)
    return found


def hints_for(hints: list, host: str, ids: set[str]) -> list[str]:
    """The host's own hints with its session ids addressed `host/id`, so they work here;
    hints to verbs not routed are left out."""
    unrouted = re.compile(r"axi sessions (" + "|".join(set(ID_VERBS) - set(ROUTED)) + ") ")
    hints = [str(h).replace(" to resume it here", f" to resume it on {host}") for h in hints
             if not unrouted.search(str(h))]
    ids = {i for i in ids if i}
    if not ids:
        return hints
    pattern = re.compile(r"(?<![\w/-])(" + "|".join(
        re.escape(i) for i in sorted(ids, key=len, reverse=True)) + r")(?![\w-])")
    return [pattern.sub(lambda m: f"{host}/{m.group(1)}", h) for h in hints]


# A stream ----------------------------------------------------------------------------------

def stream(host: Host, argv: list[str], ids: set[str], seconds: float | None) -> None:
    """`read --follow` over the transport: the envelope line, then each event as it comes
    (ids addressed), until the host's `end` line. A transport that ends before it is a host
    that dropped: a clear error after the events already shown, with the cursor to go on."""
    import queue
    import subprocess
    import threading
    import time

    from axi.output import event
    from axi.remote.protocol import parse_answer
    from axi.remote.transport import classify, request_argv

    full = request_argv(host, argv, stream=True)
    try:
        proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
    except FileNotFoundError:
        raise unreachable(host, "offline", f"{full[0]} is not on PATH here", [], argv,
                          ids) from None
    lines: queue.Queue = queue.Queue()
    err: list[bytes] = []

    def pump() -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True).start()
    deadline = None if seconds is None else time.monotonic() + seconds + host.timeout
    shown, resume_at, last_id = 0, None, None
    try:
        try:
            first = lines.get(timeout=host.timeout)
        except queue.Empty:
            raise unreachable(host, "offline", f"no answer within {host.timeout:g}s", [],
                              argv, ids) from None
        envelope = parse_answer(first) if first else None
        if envelope is None or "protocol" not in envelope:
            rest = b"".join(_drain(lines))
            code = proc.wait()
            reply = classify(host, code, (first or b"") + rest, b"".join(err))
            raise unreachable(host, reply.status, reply.reason, reply.help, argv, ids)
        reply = classify(host, 0, first, b"")
        checked(host, reply, argv, ids)
        while True:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            try:
                line = lines.get(timeout=left)
            except queue.Empty:
                line = None
            data = parse_answer(line) if line else None
            if data is None:
                break
            if "end" in data:
                if isinstance(data.get("error"), dict):
                    raise remote_error(host, data["error"], ids)
                return
            data = addressed(data, host.name, ids)
            if data.get("event") == "turn" and data.get("next") is not None:
                resume_at, last_id = data["next"], data.get("id")
            event(data)
            shown += 1
        _stop(proc)
        code = proc.wait()
        said = b"".join(err).decode("utf-8", "replace").strip().splitlines()
        why = f"the transport exited {code}" + (f": {said[-1][:300]}" if said else "")
        sid = last_id or (f"{host.name}/{sorted(ids)[0]}" if ids else "<id>")
        flags: dict = {"--follow": True}
        if resume_at is not None:
            flags["--since"] = resume_at
        raise AxiError(f"host {host.name} dropped mid-stream after {shown} events: {why}",
                       code="HOST_DROPPED", help=[
                           views.hint(views.command("sessions", "read", sid, flags=flags),
                                      "goes on where it stopped"),
                           f"`axi hosts check {host.name}` tries it again"])
    finally:
        _stop(proc)


def _drain(lines):
    while True:
        line = lines.get()
        if line is None:
            return
        yield line


def _stop(proc) -> None:
    import contextlib
    import signal

    if proc.poll() is None:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# The interactive transport -----------------------------------------------------------------

def interactive(host: Host, verb: str, sid: str, what: str) -> list[str]:
    """The argv that runs `axi sessions VERB sid` there with a terminal, or an error saying
    how to configure `attach_transport`."""
    if not host.attach_transport:
        guess = shlex.join(["ssh", "-t", *host.transport[2:]]) if host.transport[:2] == [
            "ssh", "-T"] else "ssh -t " + host.name
        raise AxiError(f"{what} needs a terminal on {host.name}, and host {host.name} has no "
                       "attach_transport", code="NO_ATTACH_TRANSPORT", help=[
                           f"set it: `axi hosts remove {host.name}` then `axi hosts add "
                           f"{host.name} --transport {shlex.quote(shlex.join(host.transport))} "
                           f"--attach-transport {shlex.quote(guess)}`",
                           f"or add `attach_transport = {json.dumps(guess)}` to its [[host]] "
                           "block in "
                           "config.toml"])
    return [*host.attach_transport, *host.axi, "sessions", verb, sid]


def attach(host: Host, sid: str) -> dict:
    argv = interactive(host, "attach", sid, "attaching")
    if not (os.isatty(0) and os.isatty(1)):
        raise AxiError("attaching needs a terminal", code="NO_TTY", help=[
            views.hint(views.command("sessions", "read", f"{host.name}/{sid}",
                                     flags={"--follow": True}),
                       "streams its turns without one"),
            f"where a terminal is: `{shlex.join(argv)}`"])
    os.execvp(argv[0], argv)
    return {}  # pragma: no cover - exec does not return


def resume(host: Host, sid: str, print_only: bool) -> dict:
    """What resumes it there (asked over the protocol), then that, run with a terminal."""
    found = forward(host, ["sessions", "resume", sid, "--print"], {sid})
    data = dict(found)
    data["command"] = found.get("command")
    data["runs_on"] = host.name
    if host.attach_transport:
        full_id = str(found.get("id", sid)).split("/", 1)[-1]
        argv = [*host.attach_transport, *host.axi, "sessions", "resume", full_id]
        data["here"] = shlex.join(argv)
    else:
        argv = None
    if print_only or argv is None:
        if argv is None:
            try:
                interactive(host, "resume", sid, "resuming")
            except AxiError as exc:
                if not print_only:
                    raise
                data["help"] = exc.help
        return data
    if not os.isatty(0):
        raise AxiError("resuming starts the harness interactively and needs a terminal",
                       code="NO_TTY", help=[
                           views.hint(views.command("sessions", "resume", data["id"],
                                                    flags={"--print": True}),
                                      "prints the command to run where a terminal is")])
    os.execvp(argv[0], argv)
    return data  # pragma: no cover - exec does not return


# Bare ids ----------------------------------------------------------------------------------

def elsewhere(verb: str, sid: str) -> AxiError | None:
    """A bare id this machine does not know, found in the hosts' last-known rows (the cache:
    no network): one host -> the routed command; several -> ambiguous. None: nowhere."""
    from axi.remote import cache
    from axi.remote.hosts import load_hosts

    found = []
    for host in load_hosts():
        rows = cache.read(host.name).get("rows") or []
        ids = sorted({str(r.get("id")) for r in rows if isinstance(r, dict)
                      and str(r.get("id", "")).startswith(sid)})
        if ids:
            found.append((host.name, ids[0]))
    if not found:
        return None
    hints = [views.hint(views.command("sessions", verb, f"{name}/{ident}"), f"on {name}")
             for name, ident in found]
    if len(found) == 1:
        return AxiError(f"no session {sid!r} on this machine; host {found[0][0]} has it",
                        code="NOT_FOUND", help=hints)
    names = ", ".join(name for name, _ in found)
    return AxiError(f"{sid!r} is not on this machine and is ambiguous across hosts "
                    f"({names}): name the host", code="AMBIGUOUS_HOST", help=hints)
