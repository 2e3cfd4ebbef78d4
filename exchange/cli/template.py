"""``exchange template``: an empty spreadsheet for publishers to fill in."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from adapters.spreadsheet import columns
from adapters.spreadsheet.table import write_header
from exchange.cli.common import NodeContext, emit, json_option

pass_node = click.make_pass_decorator(NodeContext)


@click.command()
@click.argument("fmt", metavar="csv|xlsx", type=click.Choice(["csv", "xlsx"]))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write.",
)
@click.option(
    "--parties", is_flag=True, help="A parties sheet (writers and publishers), not a works sheet."
)
@json_option
@pass_node
def template(node: NodeContext, fmt: str, output: Path, parties: bool) -> None:
    """Write an empty works (or parties) sheet: the header row to fill in below.

    The XLSX template explains every column in a comment on its header and on a
    second worksheet, and keeps codes and identifiers as text. The columns are
    described in docs/spreadsheets.md.

    \b
    Example:
      exchange template xlsx -o works.xlsx
      exchange template csv --parties -o parties.csv --json
    """
    kind = "parties" if parties else "works"
    write_header(output, kind, fmt)
    names = [c.name for c in columns(kind)]

    def human(out: Console) -> None:
        out.print(f"{escape(str(output))}: empty {kind} sheet ({fmt}), {len(names)} columns")

    emit(node, {"path": str(output), "format": fmt, "kind": kind, "columns": names}, human)
