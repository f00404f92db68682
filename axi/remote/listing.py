"""`axi sessions` across hosts, without click: the sessions group and (when it takes
`--host`) the fast path both call `with_hosts` with the local `list_view`."""

from __future__ import annotations

from axi import views

SERVING = False  # set while answering another axi: a host lists its own sessions only


def with_hosts(host: str | None, list_view, **kw) -> dict:
    """`local`, `all` or one host's name (default: `all` when hosts are configured; this
    machine alone, as before, when none are). `kw` are `list_view`'s parameters."""
    from axi.remote import maybe_configured

    if SERVING or (host is None and not maybe_configured()):
        return list_view(**kw)
    from axi.remote.federate import listing, merge
    from axi.remote.hosts import find, load_hosts, machine_name

    known = load_hosts()
    named = host_dir(kw.get("directory"), known)
    if named is not None:  # `--dir box:/path`: that folder on that host
        host, kw = named[0], {**kw, "directory": named[1]}
    if host is None and not known:
        return list_view(**kw)
    machine = machine_name()
    here_only = host in ("local", machine)
    chosen = [] if here_only else known if host in (None, "all") else [find(host, known)]
    local = None
    if here_only or host in (None, "all"):
        local = list_view(**{**kw, "fields": _with_dir(kw.get("fields"))})
    asked = listing(chosen, remote_argv(kw, there=named is not None),
                    force=host not in (None, "all"))
    data = merge(local, machine, asked, kw["limit"])
    data["help"] = _hints(data)
    return data


def _with_dir(spec: str | None) -> str:
    """Rows from several machines always say which folder they are in."""
    names = spec.split(",") if spec else []
    return ",".join(names if "dir" in names else [*names, "dir"])


def host_dir(directory: str | None, known) -> tuple[str, str] | None:
    """`box:/path` (a configured host, then a folder there) as ("box", "/path")."""
    if not directory or ":" not in directory:
        return None
    name, _, path = directory.partition(":")
    if path and any(h.name == name for h in known):
        return name, path
    return None


def remote_argv(kw: dict, there: bool = False) -> list[str]:
    """Hosts list every folder (this machine's folders mean nothing there), or, `there`, the
    folder named for that host (`--dir box:/path`)."""
    where = ["--dir", kw["directory"]] if there else ["--all"]
    argv = ["sessions", *where, "--limit", str(kw["limit"])]
    for flag, key in (("--harness", "harness"), ("--status", "status"), ("--fields", "fields")):
        if kw.get(key):
            argv += [flag, kw[key]]
    for wanted in kw.get("tags") or ():
        argv += ["--tag", wanted]
    return argv + (["--subagents"] if kw.get("subagents") else [])


def _hints(data: dict) -> list[str]:
    hints = [views.hint("axi sessions view <host/id>", "for every field"),
             views.hint("axi sessions read <host/id>", "for its turns")]
    hints += [views.hint(f"axi hosts check {note['host']}", "tries it again")
              for note in data.get("hosts", [])]
    return hints
