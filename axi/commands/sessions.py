"""`axi sessions`: the catalog of every coding-agent session, and one session's details."""

from __future__ import annotations

import os
import shutil

import click

from axi import dirmap, views
from axi.commands.hosts import RoutedGroup
from axi.commands.session_list import FIELDS, STATUSES, index_note, list_command
from axi.commands.tree import AxiCommand
from axi.errors import AxiError, UsageFault
from axi.harnesses import NAMES, get
from axi.index.catalog import (
    open_index,
    token_totals,
)
from axi.index.rows import (
    cost_of,
    ctx_percent,
    keys_with_subagents,
    status_of,
    waiting_on,
)
from axi.index.rows import money as cost_text
from axi.index.status import ending
from axi.paths import tilde
from axi.sqlite import sqlite3
from axi.text import shell_word
from axi.views import clock

QUESTION_TEXT = 500  # a question as `view` shows it


CONTROL = {"new": "launch:new", "continue": "launch:continue_", "restart": "launch:restart",
           "attach": "drive:attach", "type": "drive:type_", "wait": "drive:wait",
           "result": "drive:result", "kill": "drive:kill", "tag": "drive:tag"}


@click.group(cls=RoutedGroup, invoke_without_command=True, lazy={
    "read": "axi.commands.transcripts:read", "search": "axi.commands.transcripts:search",
    **{verb: f"axi.commands.{target}" for verb, target in CONTROL.items()}},
    examples=("axi sessions --all --fields model,cost --tag team=web",
              "axi sessions --all --group-by tag:team", "axi sessions view 01a20071"))
@click.option("--all", "all_dirs", is_flag=True, help="Every folder, not just this one and below.")
@click.option("--dir", "directory", metavar="D", help="Sessions in folder D and below.")
@click.option("--harness", type=click.Choice(NAMES), help="Only this harness.")
@click.option("--status", type=click.Choice(STATUSES), help="Only sessions with this status.")
@click.option("--fields", metavar="F", help=f"Add fields: {','.join(FIELDS)}.")
@click.option("--limit", type=int, default=20, show_default=True, help="Rows to show.")
@click.option("--subagents", is_flag=True, help="List sub-agent sessions as rows too.")
@click.option("--host", metavar="H", help="local, all (the default with hosts configured) or "
              "one host's name (axi hosts).")
@click.option("--tag", "tags", metavar="K=V", multiple=True,
              help="Only sessions tagged K=V (K alone: with any value); repeat: all must match.")
@click.option("--group-by", "group_by", metavar="G",
              help="One row per group with totals: dir, run or tag:KEY.")
@click.pass_context
def sessions(ctx: click.Context, all_dirs: bool, directory: str | None, harness: str | None,
             status: str | None, fields: str | None, limit: int, subagents: bool,
             host: str | None, tags: tuple[str, ...], group_by: str | None) -> object:
    """Every Claude Code, Codex, opencode and pi session here (or everywhere), newest first."""
    if ctx.invoked_subcommand is not None:
        return None
    return list_command(all_dirs, directory, harness, status, fields, limit, subagents, host,
                        tags, group_by)


@sessions.command(cls=AxiCommand, examples=("axi sessions view 01a20071",
                                             "axi sessions view ses_dff8 --format json"))
@click.argument("session_id", metavar="ID")
def view(session_id: str) -> dict:
    """One session: every field and the exact command that resumes it."""
    from axi.commands.transcripts import resolve_session

    conn, fresh = open_index()
    row = resolve_session(conn, session_id)
    data = detail(conn, row)
    data["help"] = view_hints(row["id"], data)
    index_note(data, fresh)
    return data


def view_hints(sid: str, data: dict) -> list[str]:
    """What to do next: answer it when it waits on you; reach a held session where it runs
    (resuming it would start a second copy)."""
    answer_with = data.get("answer_with") or ""
    hints = [views.hint(answer_with, "answers it")] if answer_with.startswith("axi ") else []
    if data.pop("held", False):
        hints += [views.hint(views.command("sessions", "attach", sid),
                             "shows it here (Ctrl-A d detaches)"),
                  views.hint(views.command("sessions", "type", sid, "<text>"),
                             "types into it")]
    hints.append(views.hint(views.command("sessions", "read", sid), "for its turns"))
    if not any("sessions attach" in h for h in hints):
        hints.append(views.hint(views.command("sessions", "resume", sid), "to resume it here"))
    return hints


def detail(conn: sqlite3.Connection, row: sqlite3.Row) -> dict:
    everyone = keys_with_subagents(conn, row)
    end = ending(conn, row)
    from axi.control.overlay import statuses
    from axi.index.status import of_rows

    control = statuses([row]).get(row["id"])
    state = status_of(control, of_rows(conn, [row], clock())[row["key"]])
    name = control.name if control else None
    question, answer_with = waiting_on(control, row["id"]) if state == "needs you" else (
        None, None)
    from axi.control.tags import read

    data = {
        "id": row["id"], "launch": control.launch if control else None,
        "harness": row["harness"], "status": state,
        "question": views.truncate(question, QUESTION_TEXT)[0], "answer_with": answer_with,
        "ended": f"{views.iso(end[0])} ({end[1] or 'reason not given'})" if end else None,
        "title": name or row["title"], "title_source": "axi name" if name else
        row["title_source"], "dir": dirmap.shown(row["dir"]),
        "tags": read([row["key"]]).get(row["key"]),
        "model": row["model"], "provider": row["provider"], "branch": row["git_branch"],
        "created": views.iso(row["created"]), "last": views.iso(row["last"]),
        "age": views.age(row["last"]), "turns": row["turns"],
        "ctx": ctx_percent(row), "ctx_tokens": row["ctx_tokens"],
        **own_and_total(conn, row, everyone), "parent": row["parent_id"],
        "forked_from": _forked_from(conn, row),
        "transcript": tilde(row["source"]),
        "resume": resume_line(row),
    }
    from axi.control.overlay import launch_details

    data["launched"] = launch_details(row["id"])
    data["held"] = bool(control and control.held)
    if row["skipped"]:
        data["skipped_lines"] = f"{row['skipped']} unreadable lines were skipped"
    return {k: v for k, v in data.items() if v is not None}


def own_and_total(conn: sqlite3.Connection, row: sqlite3.Row, everyone: list[str]) -> dict:
    """The session's own tokens and cost, and (when it has sub-agents) the totals with them.
    `reasoning` is the part of `output` the harness counted apart (null: it records none)."""
    out = {"tokens": token_totals(conn, [row["key"]]),
           "cost": cost_text(*cost_of(conn, [row["key"]])), "subagents": len(everyone) - 1}
    if len(everyone) > 1:
        out["tokens_with_subagents"] = token_totals(conn, everyone)
        out["cost_with_subagents"] = cost_text(*cost_of(conn, everyone))
    return out


def _forked_from(conn: sqlite3.Connection, row: sqlite3.Row) -> str | None:
    if not row["first_uuid"]:
        return None
    other = conn.execute(
        "SELECT id FROM sessions WHERE first_uuid = ? AND key != ? AND created < ? "
        "ORDER BY created LIMIT 1", (row["first_uuid"], row["key"], row["created"] or 0)
    ).fetchone()
    return other[0] if other else None


def resume_argv(row: sqlite3.Row) -> list[str]:
    return get(row["harness"]).resume_argv(row["id"], row["source"])


def resume_line(row: sqlite3.Row) -> str:
    from axi.dirmap import effective

    argv = " ".join(shell_word(a) for a in resume_argv(row))
    folder = effective(row["dir"])[0]
    return f"cd {shell_word(folder)} && {argv}" if folder else argv


@sessions.command(cls=AxiCommand, examples=("axi sessions resume 01a20071 --print",
                                             "axi sessions resume cb4228d5"))
@click.argument("session_id", metavar="ID")
@click.option("--print", "print_only", is_flag=True,
              help="Print the resume command instead of running it.")
def resume(session_id: str, print_only: bool) -> dict | None:
    """Resume a session with its harness's own command, in the session's folder."""
    from axi.commands.transcripts import resolve_session

    conn, _ = open_index(budget=1.0)
    row = resolve_session(conn, session_id)
    if row["is_subagent"]:
        raise AxiError("sub-agent sessions cannot be resumed on their own", code="NOT_RESUMABLE",
                       help=[views.hint(views.command("sessions", "resume", row["parent_id"]),
                                        "resumes the parent session")])
    from axi.dirmap import effective

    argv = resume_argv(row)
    folder, missing = effective(row["dir"])
    data = {"id": row["id"], "harness": row["harness"], "dir": tilde(folder),
            "command": resume_line(row)}
    if folder != row["dir"]:
        data["moved_from"] = tilde(row["dir"])
    if print_only:
        return data
    if not folder or missing:
        raise AxiError(f"the session's folder {row['dir']!r} no longer exists",
                       code="DIR_MISSING", help=[
                           views.hint(views.command("sessions", "relink", row["id"][:8],
                                                    "<its new folder>"),
                                      "remembers where it went, then resume works"),
                           "or recreate it, or run the command by hand: " + data["command"]])
    if folder != row["dir"]:
        get(row["harness"]).relocate(row["source"], row["id"], folder)
    if shutil.which(argv[0]) is None:
        raise AxiError(f"{argv[0]} is not on PATH", code="NOT_INSTALLED",
                       help=[f"install {get(row['harness']).label}, then: {data['command']}"])
    if not os.isatty(0):
        raise AxiError("resuming starts the harness interactively and needs a terminal",
                       code="NO_TTY", help=[
                           views.hint(views.command("sessions", "resume", row["id"],
                                                    flags={"--print": True}),
                                      "prints the command to run where a terminal is")])
    os.chdir(folder)
    os.execvp(argv[0], argv)
    return None  # pragma: no cover - exec does not return


@sessions.command(cls=AxiCommand, examples=(
    "axi sessions relink 01a20071 ~/work/app-renamed",
    "axi sessions relink ~/work/app ~/work/app-renamed"))
@click.argument("old", metavar="ID|OLD_DIR")
@click.argument("new", metavar="NEW_DIR")
def relink(old: str, new: str) -> dict:
    """Remember that a moved folder (a session's, or OLD_DIR) is now NEW_DIR; resume uses it."""
    from axi import dirmap
    from axi.index.catalog import check_dir

    target = check_dir(new)
    if not os.path.isdir(target):
        raise UsageFault(f"{new!r} is not a folder", help=[
            "give the folder the session's files are in now"])
    source = _relink_source(old)
    if source.rstrip("/") == target.rstrip("/"):
        raise UsageFault("the old and the new folder are the same", help=[
            "give the folder it was moved to"])
    dirmap.remember(source.rstrip("/") or "/", target.rstrip("/") or "/")
    conn, _ = open_index(budget=1.0)
    from axi.index.catalog import scope_clause

    clause, args = scope_clause([source])
    moved = conn.execute(f"SELECT count(*) FROM sessions WHERE {clause}", args).fetchone()[0]
    return {"relinked": tilde(source), "to": tilde(target), "sessions": moved,
            "help": [views.hint(views.command("sessions", flags={"--dir": tilde(target)}),
                                "lists them where they are now")]}


def _relink_source(old: str) -> str:
    """The folder a session id names, or OLD_DIR itself (an absolute path, `~` or relative)."""
    looks_like_path = old.startswith(("/", "~", ".")) or os.sep in old
    if not looks_like_path:
        from axi.commands.transcripts import resolve_session

        conn, _ = open_index(budget=1.0)
        row = resolve_session(conn, old)
        if not row["dir"]:
            raise AxiError(f"session {old!r} records no folder", code="NO_DIR",
                           help=["relink its folder by path: axi sessions relink OLD_DIR NEW_DIR"])
        return row["dir"]
    from axi.index.catalog import check_dir

    return check_dir(old)
