"""`axi prices [MODEL]`: the price table in use, a model's prices, and models without one."""

from __future__ import annotations

import click

from axi import views
from axi.commands.tree import AxiCommand


@click.command(cls=AxiCommand, examples=(
    "axi prices", "axi prices claude-sonnet-4-5", "axi prices gpt-5 --provider openai"))
@click.argument("model", required=False)
@click.option("--provider", metavar="P", help="With MODEL: the provider's table (openai, ...).")
def prices(model: str | None, provider: str | None) -> dict:
    """The price table in use: source, version, age; a model's prices; models with none."""
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
    hints.append("refresh: pip install -U genai-prices && python scripts/refresh_prices.py "
                 "(in a checkout)")
    data["help"] = hints
    return data
