"""`axi recipes`: behaviour prompts shipped with axi (such as the coordinator), for
`axi sessions new ... --behavior FILE`."""

from __future__ import annotations

import os

import click

from axi import views
from axi.commands.tree import AxiCommand
from axi.errors import NotFound, UsageFault
from axi.paths import tilde

RECIPE_TEXT = 1500


def recipes_dir() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "recipes")


def shipped() -> dict[str, str]:
    """Recipe name -> absolute path, by name."""
    folder = recipes_dir()
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".md"))
    except OSError:
        return {}
    return {n[:-3]: os.path.join(folder, n) for n in names}


def summary(path: str) -> str | None:
    """The recipe's first paragraph line after its title."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            text = line.strip()
            if text and not text.startswith("#"):
                return views.one_line(text, 120)
    return None


@click.command(cls=AxiCommand, examples=(
    "axi recipes", "axi recipes coordinator",
    'axi sessions new claude "GOAL" --behavior $(axi recipes --path coordinator) '
    "--max-depth 2"))
@click.argument("name", metavar="NAME", required=False)
@click.option("--path", "path_of", metavar="NAME",
              help="Print only recipe NAME's path (a bare TOON string), for --behavior.")
@click.option("--full", is_flag=True, help="Do not truncate the recipe's text.")
def recipes(name: str | None, path_of: str | None, full: bool) -> dict | str:
    """Behaviour prompts shipped with axi (the coordinator), for --behavior."""
    if name and path_of:
        raise UsageFault("give NAME or --path NAME, not both",
                         help=["example: axi recipes --path coordinator"])
    found = shipped()
    if path_of:
        return _path(found, path_of)
    if name:
        path = _path(found, name)
        with open(path, encoding="utf-8") as fh:
            text, _ = views.truncate(fh.read(), RECIPE_TEXT, full, hint=views.command(
                "recipes", name, flags={"--full": True}))
        return {"name": name, "path": tilde(path), "summary": summary(path), "text": text,
                "help": [_launch_hint(name)]}
    if not found:
        return {"recipes": f"0 recipes in {tilde(recipes_dir())} (the install is incomplete)"}
    rows = [{"name": n, "summary": summary(p), "path": tilde(p)} for n, p in found.items()]
    return {"count": views.count_line(len(rows), len(rows)), "recipes": rows,
            "help": [views.hint(views.command("recipes", "<name>"), "shows one"),
                     _launch_hint(rows[0]["name"])]}


def _path(found: dict[str, str], name: str) -> str:
    if name not in found:
        raise NotFound(f"no recipe {name!r}", help=[
            "recipes: " + (", ".join(found) or "none"), "`axi recipes` lists them"])
    return found[name]


def _launch_hint(name: str) -> str:
    return views.hint(f'axi sessions new claude "GOAL. Done when: ..." --behavior '
                      f"$(axi recipes --path {name}) --max-depth 2 --max-cost 20",
                      "starts a session that follows it")
