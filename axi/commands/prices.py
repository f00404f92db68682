"""`axi prices [MODEL]`: the price table in use, a model's prices, and models without one;
`axi prices update`: a newer table, into the state dir."""

from __future__ import annotations

import click

from axi import views
from axi.commands.tree import AxiCommand, AxiGroup


class PricesGroup(AxiGroup):
    """`axi prices MODEL` and `axi prices update`: a word that is not a verb is a model."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [n for n in super().list_commands(ctx)
                if not getattr(self.commands.get(n), "hidden", False)]

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and not args[0].startswith("-") and args[0] not in self.list_commands(ctx):
            return "model", self.get_command(ctx, "model"), args
        return super().resolve_command(ctx, args)


@click.group(cls=PricesGroup, invoke_without_command=True, examples=(
    "axi prices", "axi prices claude-sonnet-4-5", "axi prices update --from prices.json"))
@click.pass_context
def prices(ctx: click.Context) -> dict | None:
    """Price table in use, a model's prices; `update` refreshes it."""
    if ctx.invoked_subcommand is not None:
        return None
    return _view(None, None)


@prices.command("model", cls=AxiCommand, hidden=True, examples=(
    "axi prices claude-sonnet-4-5", "axi prices gpt-5 --provider openai"))
@click.argument("model")
@click.option("--provider", metavar="P", help="The provider's table (openai, ...).")
def model_cmd(model: str, provider: str | None) -> dict:
    """One model's prices in the table in use."""
    return _view(model, provider)


@prices.command("update", cls=AxiCommand, examples=(
    "axi prices update --from prices.json", "axi prices update"))
@click.option("--from", "source", metavar="FILE", help="Read the table from this JSON file "
              "(the shape of axi/pricing/prices.json), offline.")
def update(source: str | None) -> dict:
    """Rebuild the price table into the state dir, from a file or the genai-prices package."""
    import time

    from axi.console import pricetable

    now = views.clock()
    before = pricetable.info(now)
    if source:
        data = pricetable.load_file(source)
    else:
        data = pricetable.from_package(time.strftime("%Y-%m-%d", time.gmtime(now)))
        pricetable.refuse(data, "the table built from genai-prices")
    path = pricetable.install(data)
    after = pricetable.info(now)
    from axi.paths import tilde

    out: dict = {"updated": tilde(path), "table": after["table"],
                 "source": after["source"], "version": after["version"],
                 "generated": after["generated"], "age_days": after["age_days"],
                 "models": after["models"],
                 "was": f"{before['source']} {before['version']}, generated "
                        f"{before['generated']} ({before['table']})"}
    out["help"] = [views.hint("axi prices", "shows the table in use and the models it lacks"),
                   f"to go back to the packaged snapshot, remove {tilde(path)}"]
    return out


def _view(model: str | None, provider: str | None) -> dict:
    from axi.console import pricetable

    now = views.clock()
    info = pricetable.info(now)
    data: dict = {"table": info["table"], "source": info["source"], "version": info["version"],
                  "generated": info["generated"], "age_days": info["age_days"],
                  "models": info["models"]}
    if info["age_days"] is not None and info["age_days"] > pricetable.STALE_DAYS:
        data["warning"] = (f"the table is {info['age_days']} days old; estimated costs may "
                           "miss newer prices")
    hints = []
    if model:
        found = pricetable.model_prices(model, provider)
        if found is None:
            from axi.errors import NotFound

            raise NotFound(f"no price for {model!r} in the table",
                           help=[views.hint("axi prices", "lists the models the catalog uses "
                                            "that have no price"),
                                 "its cost shows as unknown, never zero"])
        data["price"] = found
    else:
        from axi.index.catalog import open_index

        conn, _ = open_index(budget=1.0)
        missing = pricetable.unpriced(conn)
        data["unpriced"] = missing or "none: every model in the catalog has a price"
        hints.append(views.hint("axi prices <model>", "shows one model's prices"))
    hints.append(views.hint("axi prices update", "rebuilds the table from genai-prices "
                            "(or `--from FILE`, offline)"))
    data["help"] = hints
    return data
