"""`axi metrics`: sessions and runs by outcome, spend, durations and what is live now."""

from __future__ import annotations

import click

from axi import views
from axi.commands.tree import AxiCommand
from axi.errors import AxiError


@click.command(cls=AxiCommand, examples=(
    "axi metrics", "axi metrics --prom /var/lib/node_exporter/textfile/axi.prom"))
@click.option("--prom", "prom_file", metavar="FILE",
              help="Also write the numbers to FILE in Prometheus text format (atomically).")
def metrics(prom_file: str | None) -> dict:
    """Launched sessions and runs: outcomes, tokens, cost, durations."""
    from axi.control import metrics as numbers_of
    from axi.control import records

    numbers = numbers_of.gather(records.connect())
    data = summary(numbers)
    if prom_file:
        try:
            data["prom"] = numbers_of.write_atomically(prom_file, numbers_of.prom_text(numbers))
        except OSError as exc:
            raise AxiError(f"cannot write {prom_file}: {exc.strerror or exc}",
                           code="PROM_UNWRITABLE",
                           help=["give a path in a folder that exists and you can write to"]
                           ) from None
    if isinstance(data["runs"], str):
        data["help"] = [views.hint('axi sessions new claude "task"', "launches one")]
        return data
    data["help"] = [views.hint(views.command("runs"), "lists the runs")]
    if numbers["runs"]["live"]:
        data["help"].append(views.hint(views.command("runs", flags={"--outcome": "live"}),
                                       "lists the live ones"))
    return data


def summary(numbers: dict) -> dict:
    from axi.control.metrics import median
    from axi.index.rows import money

    sessions, runs = numbers["sessions"], numbers["runs"]
    if not sum(sessions.values()) and not sum(runs.values()):
        return {"sessions": "0 sessions launched by axi", "runs": "0 runs"}
    seconds = numbers["run_seconds"]
    return {
        "sessions": {"total": sum(sessions.values()), **sessions},
        "runs": {"total": sum(runs.values()), **runs,
                 "duration_p50": views.duration(median(seconds)),
                 "duration_max": views.duration(max(seconds)) if seconds else None},
        "usage": {**{k: views.tokens(v) for k, v in numbers["tokens"].items()},
                  "cost": money(*numbers["cost"])}}
