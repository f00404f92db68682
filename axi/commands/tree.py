"""The click command tree: lazy command groups, TOON help, and usage errors as data."""

from __future__ import annotations

import importlib

import click

from axi import DESCRIPTION, __version__
from axi.errors import UsageFault

# Top-level nouns, loaded only when called so each command pays for its own imports.
COMMANDS = {
    "sessions": "axi.commands.sessions:sessions",
    "usage": "axi.commands.usage:usage",
    "agents": "axi.commands.agents:agents",
    "whoami": "axi.commands.agents:whoami",
    "inbox": "axi.commands.mail:inbox",
    "send": "axi.commands.mail:send",
    "mail": "axi.commands.mail:mail_group",
    "tasks": "axi.commands.tasks:tasks",
    "handoff": "axi.commands.coordination:handoff",
    "listen": "axi.commands.coordination:listen",
    "watch": "axi.commands.coordination:watch",
    "setup": "axi.commands.setup:setup",
    "hook": "axi.commands.hook:hook",
    "ask": "axi.commands.attention:ask",
    "reply": "axi.commands.attention:reply",
    "runs": "axi.commands.runs:runs",
    "metrics": "axi.commands.metrics:metrics",
    "recipes": "axi.commands.recipes:recipes",
    "context": "axi.commands.context:context_group",
    "mailbox": "axi.commands.mailbox:mailbox",
    "check": "axi.commands.check:check",
    "pick": "axi.commands.pick:pick",
    "hosts": "axi.commands.hosts:hosts",
    "doctor": "axi.commands.doctor:doctor",
    "log": "axi.commands.log:log",
    "prices": "axi.commands.prices:prices",
    "activity": "axi.commands.activity:activity",
    "serve": "axi.commands.serve:serve",
}


class HelpRequested(Exception):
    def __init__(self, ctx: click.Context):
        super().__init__("help")
        self.ctx = ctx


def _help_callback(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        raise HelpRequested(ctx)


def _help_option() -> click.Option:
    return click.Option(["--help", "-h"], is_flag=True, expose_value=False, is_eager=True,
                        callback=_help_callback, help="Show this help.")


class AxiCommand(click.Command):
    """A command whose help is TOON data with 2-3 examples."""

    def __init__(self, *args, examples: tuple[str, ...] = (), **kwargs):
        kwargs.setdefault("context_settings", {})["help_option_names"] = []
        super().__init__(*args, **kwargs)
        self.examples = list(examples)
        self.params.append(_help_option())


class AxiGroup(click.Group):
    """A noun: its own options act as the default verb; subcommands may load lazily."""

    command_class = AxiCommand

    def __init__(self, *args, examples: tuple[str, ...] = (), lazy: dict | None = None,
                 **kwargs):
        kwargs.setdefault("context_settings", {})["help_option_names"] = []
        super().__init__(*args, **kwargs)
        self.examples = list(examples)
        self.lazy = dict(lazy or {})
        self.params.append(_help_option())

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy and name not in self.commands:
            module, attr = self.lazy[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return super().get_command(ctx, name)


@click.group(cls=AxiGroup, lazy=COMMANDS, invoke_without_command=True, examples=(
    "axi", "axi sessions --all", "axi usage --by model"))
@click.option("--version", "-V", is_flag=True, help="Print the version.")
@click.pass_context
def root(ctx: click.Context, version: bool) -> object:
    """Agent-first switchboard for coding-agent sessions, in TOON."""
    if version:
        return {"version": __version__}
    if ctx.invoked_subcommand is None:
        from axi.commands.home import dashboard

        return dashboard()
    return None


def help_data(ctx: click.Context) -> dict:
    cmd = ctx.command
    path = ctx.command_path
    data: dict = {"command": path}
    if cmd is root:
        data["description"] = DESCRIPTION
    else:
        data["description"] = (cmd.help or "").strip().split("\n\n")[0].replace("\n", " ")
    data["usage"] = f"{path} {' '.join(_usage_words(cmd))}".strip()
    flags = [_flag_row(p) for p in cmd.params if isinstance(p, click.Option)]
    flags.append({"flag": "--format toon|json", "default": "toon",
                  "help": "Output encoding (every command)."})
    data["flags"] = flags
    if isinstance(cmd, click.Group):
        data["commands"] = [
            {"name": name, "help": (sub.get_short_help_str(80) if sub else "")}
            for name in cmd.list_commands(ctx)
            for sub in [cmd.get_command(ctx, name)]
        ]
    examples = getattr(cmd, "examples", [])
    if examples:
        data["examples"] = examples
    return data


def _usage_words(cmd: click.Command) -> list[str]:
    words = ["[flags]"] if any(isinstance(p, click.Option) for p in cmd.params) else []
    for p in cmd.params:
        if isinstance(p, click.Argument):
            name = p.human_readable_name.lower()
            words.append(f"<{name}>" if p.required else f"[{name}]")
    if isinstance(cmd, click.Group):
        words.append("[command]")
    return words


def _flag_row(opt: click.Option) -> dict:
    names = ", ".join(opt.opts + opt.secondary_opts)
    if not opt.is_flag and opt.metavar:
        names += f" {opt.metavar}"
    elif not opt.is_flag:
        names += f" {_metavar(opt)}"
    default = opt.default
    if opt.is_flag:
        default = default is True  # click 8.3+ marks "no default" with a truthy sentinel
    elif not isinstance(default, (str, int, float, list, tuple)):
        default = None
    return {"flag": names, "default": default, "help": opt.help or ""}


def _metavar(opt: click.Option) -> str:
    if isinstance(opt.type, click.Choice):
        return "|".join(str(c) for c in opt.type.choices)
    return opt.name.upper() if opt.name else "VALUE"


def usage_fault(err: click.UsageError) -> UsageFault:
    """A click usage error as a TOON error that names what would have been valid."""
    ctx = err.ctx
    cmd = ctx.command if ctx else root
    path = ctx.command_path if ctx else "axi"
    message = err.format_message().rstrip(".")
    helps = []
    if isinstance(err, click.NoSuchOption):
        message = f"unknown flag {err.option_name} for `{path}`"
        helps += _did_you_mean(err.option_name, _valid_flags(cmd))
        helps.append("valid flags: " + ", ".join(_valid_flags(cmd)))
    elif isinstance(cmd, click.Group) and "No such command" in message:
        name = message.split("'")[1] if "'" in message else message
        message = f"unknown command {name!r} for `{path}`"
        helps += _did_you_mean(name, cmd.list_commands(ctx), path)
        helps.append("valid commands: " + ", ".join(cmd.list_commands(ctx)))
    elif isinstance(err, click.BadParameter) and isinstance(
            getattr(err.param, "type", None), click.Choice):
        helps.append("valid values: " + ", ".join(map(str, err.param.type.choices)))
    helps.append(f"run `{path} --help`")
    return UsageFault(message[:1].lower() + message[1:], help=helps)


def _did_you_mean(typed: str, valid: list[str], path: str | None = None) -> list[str]:
    """A hint naming the closest valid word, when one is close (a typo)."""
    from difflib import get_close_matches

    close = get_close_matches(typed, valid, n=1, cutoff=0.75)
    if not close:
        return []
    return [f"did you mean `{path} {close[0]}`?" if path else f"did you mean {close[0]}?"]


def _valid_flags(cmd: click.Command) -> list[str]:
    flags = []
    for p in cmd.params:
        if isinstance(p, click.Option):
            flags += [o for o in p.opts if o.startswith("--")]
    return flags + ["--format"]


def run_click(args: list[str]) -> object:
    """Run one command line through the click tree; returns the command's data (help is data
    too). Errors are raised for `axi.cli` to hand to the output boundary."""
    from axi.errors import AxiError
    from axi.output import warn

    try:
        return root.main(args=args, prog_name="axi", standalone_mode=False)
    except HelpRequested as req:
        return help_data(req.ctx)
    except click.UsageError as err:
        raise usage_fault(err) from None
    except click.exceptions.Exit as exit_:
        if exit_.exit_code:
            raise AxiError("exited", code="EXIT") from None
        return None
    except click.Abort:
        warn("aborted")
        raise KeyboardInterrupt from None


def as_option(fn):
    """`--as NAME`, for every command that acts as an agent identity."""
    return click.option("--as", "as_name", metavar="NAME",
                        help="Act as this identity (else AXI_AGENT, else this folder's pointer "
                             "file): an agent of this folder (with this shell's AXI_AGENT_TAG), "
                             "a service sender with its token, or the person at a terminal.")(fn)
