"""`axi pick`: the session picker, a full-screen terminal UI for the person at the keyboard."""

from __future__ import annotations

import os
import sys

import click

from axi.commands.tree import AxiCommand
from axi.errors import AxiError


@click.command(cls=AxiCommand, examples=("axi pick", "axi pick --return", "axi pick --keys"))
@click.option("--return", "return_after", is_flag=True,
              help="Come back to the picker after a resumed or attached session ends.")
@click.option("--keys", "keys_only", is_flag=True,
              help="Print the keys in force ([keys] applied and checked), without a terminal.")
def pick(return_after: bool, keys_only: bool) -> dict | None:
    """Every session in one table with a preview; act on one with a key (needs a terminal)."""
    from axi.control.config import load
    from axi.paths import config_path

    config = load()
    keymap = check_config(config, config_path())
    if keys_only:
        return keys_table(keymap)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise AxiError("the picker is a terminal UI and needs a terminal", code="NO_TTY",
                       help=["`axi sessions --all` lists the same sessions as TOON"])
    ui = config.get("ui") if isinstance(config.get("ui"), dict) else {}
    return_after = return_after or bool(ui.get("return"))
    from axi.picker.model import Preload

    rows = Preload()  # reads the index while Textual is imported
    from axi.picker.app import run

    handed = run(config, keymap, return_after, rows)
    if not handed:
        return None
    _kind, argv, folder = handed
    # Textual has put the terminal back as it found it; the harness (through `axi sessions
    # resume` or `attach`, which check the folder and the PATH; or, for a resume with the
    # harness's args, directly in the session's folder, checked by the picker) takes over.
    if folder:
        os.chdir(folder)
    os.execvp(argv[0], argv)
    return None  # pragma: no cover - exec does not return


def keys_table(keymap: dict) -> dict:
    from axi.picker.keys import ACTIONS, FIXED

    return {"keys": [{"action": a.name, "keys": " ".join(keymap[a.name]), "where": a.scope,
                      "does": a.help} for a in ACTIONS],
            "fixed": ", ".join(FIXED),
            "help": ["rebind under [keys] in config.toml: action = \"key\" or a list of keys",
                     "`axi pick` in a terminal opens the picker"]}


def check_config(config: dict, where: str) -> dict:
    """The key map after `[keys]`, or a TOON error before the terminal is taken."""
    from axi.picker.keys import bindings
    from axi.picker.view import check_columns

    columns = config.get("columns")
    if columns is not None:
        problem = (check_columns(columns) if isinstance(columns, list)
                   and all(isinstance(c, str) for c in columns)
                   else "columns must be a list of column names")
        if problem:
            raise AxiError(f"{where} {problem}", code="CONFIG_INVALID",
                           help=[f"fix it in {where}"])
    return bindings(config, where)
