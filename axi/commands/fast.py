"""The agents' most frequent verbs without click, whose import alone costs about 2.5 times the
interpreter's own start on 2 cores.

A line is taken here only when it is plain: the verb, then long options exactly as click
declares them for it (`--limit 5` or `--limit=5`) with well-formed values, and words where the
command takes words. Anything else (help, a short or unknown flag, a value that does not
convert, an option missing its value) returns None, and click takes the line and answers it as
always, errors included. `tests/commands/test_fast.py` holds each table against the click
command it stands for, option by option, and checks on generated lines that whatever this
module parses, click parses to the same values.
"""

from __future__ import annotations

FLAG = "flag"
MANY = "many"  # a repeatable text option: click passes a tuple


class Verb:
    """One verb's options as click declares them: `--name` -> (parameter, type, default),
    the type being FLAG, MANY, int, float, str or a tuple of choices; `words`: the parameter that
    takes the remaining words (`nargs=-1`), if any."""

    def __init__(self, target: str, options: dict[str, tuple[str, object, object]],
                 words: str | None = None):
        self.target = target
        self.options = options
        self.words = words


AS = {"--as": ("as_name", str, None)}
HARNESSES = ("claude", "codex", "opencode", "pi")  # axi.harnesses.NAMES, not imported here
STATUSES = ("working", "idle", "needs-you", "needs-auth", "review", "done", "crashed",
            "ended")

VERBS = {
    "sessions": Verb("axi.commands.session_list:list_command", {
        "--all": ("all_dirs", FLAG, False),
        "--dir": ("directory", str, None),
        "--harness": ("harness", HARNESSES, None),
        "--status": ("status", STATUSES, None),
        "--fields": ("fields", str, None),
        "--limit": ("limit", int, 20),
        "--subagents": ("subagents", FLAG, False),
        "--host": ("host", str, None),
        "--tag": ("tags", MANY, ()),
        "--group-by": ("group_by", str, None)}),
    "inbox": Verb("axi.commands.mail_run:inbox_view", {
        "--unread": ("unread", FLAG, False),
        "--wait": ("wait_s", float, None),
        "--after": ("after", int, 0),
        "--fields": ("fields", str, None),
        "--limit": ("limit", int, 20),
        **AS}),
    "send": Verb("axi.commands.mail_run:send_mail", {
        "--reply": ("reply_to", int, None),
        "--file": ("path", str, None),
        "--ack": ("ack_required", FLAG, False),
        "--idem": ("idem", str, None),
        "--attach": ("attach", MANY, ()),
        "--token-file": ("token_file", str, None),
        **AS}, words="words"),
}


def run(args: list[str], keep: tuple | None = None) -> tuple[bool, object]:
    """(True, the command's data) when the line was taken here; (False, None) for click.
    `keep`: a plain `sessions` line's `replay_key`, under which it keeps its answer."""
    verb = VERBS.get(args[0]) if args else None
    values = parse(verb, args[1:]) if verb is not None else None
    if values is None:
        return False, None
    module, name = verb.target.split(":")
    function = getattr(__import__(module, fromlist=[name]), name)
    if keep is not None:
        return True, function(**values, keep=keep)
    return True, function(**values)


def replay_key(args: list[str]) -> tuple | None:
    """The replay key of a plain `sessions` line (`replay.list_key`), else None."""
    if args[:1] != ["sessions"]:
        return None
    values = parse(VERBS["sessions"], args[1:])
    if values is None:
        return None
    from axi.commands.replay import list_key
    from axi.paths import cwd

    return list_key(values, cwd())


def parse(verb: Verb, args: list[str]) -> dict | None:
    """The values click would pass the command for `args`, or None when click should parse."""
    values = {dest: default for dest, _kind, default in verb.options.values()}
    words: list[str] = []
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg == "--" or not arg.startswith("-") or arg == "-":
            if verb.words is None:
                return None
            words += rest if arg == "--" else [arg]
            if arg == "--":
                break
            continue
        name, equals, value = arg.partition("=")
        option = verb.options.get(name)
        if option is None:
            return None
        dest, kind, _default = option
        if kind == FLAG:
            if equals:
                return None
            values[dest] = True
            continue
        if not equals:
            if not rest:
                return None
            value = rest.pop(0)
        if kind == MANY:
            values[dest] += (value,)
            continue
        converted = _convert(kind, value)
        if converted is None:
            return None
        values[dest] = converted
    if verb.words is not None:
        values[verb.words] = tuple(words)
    return values


def _convert(kind: object, value: str) -> object:
    if isinstance(kind, tuple):
        return value if value in kind else None
    if kind is str:
        return value
    try:
        return kind(value)  # int() and float(), as click's INT and FLOAT types call them
    except ValueError:
        return None
