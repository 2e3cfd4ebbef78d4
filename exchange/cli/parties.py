"""``exchange parties``: the writers and publishers the store knows."""

from __future__ import annotations

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from exchange.cli.common import NodeContext, emit, json_option
from exchange.errors import NotFound
from exchange.jsonview import party_view

pass_node = click.make_pass_decorator(NodeContext)


@click.group()
def parties() -> None:
    """Look at interested parties (writers and publishers).

    \b
    Example:
      exchange parties list --limit 10
      exchange parties show 00014107338
    """


@parties.command("list")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many parties.")
@json_option
@pass_node
def list_(node: NodeContext, limit: int | None) -> None:
    """List parties by name with their IPI numbers.

    \b
    Example:
      exchange parties list --json
    """
    rows = node.store().list_parties(limit=limit)

    def human(out: Console) -> None:
        table = Table("id", "name", "IPI name #", "IPI base #", box=None)
        for p in rows:
            table.add_row(str(p.id), p.name, p.ipi_name_number or "", p.ipi_base_number or "")
        out.print(table)

    emit(node, {"parties": [party_view(p) for p in rows]}, human)


@parties.command()
@click.argument("ipi")
@json_option
@pass_node
def show(node: NodeContext, ipi: str) -> None:
    """One party by IPI name number (or #ID for a local id), its affiliations and works.

    \b
    Example:
      exchange parties show 00014107338
      exchange parties show '#12'
    """
    found = node.store().get_party(ipi)
    if found is None:
        raise NotFound(f"no party with IPI name number {ipi!r} in the store")
    party, work_ids = found

    def human(out: Console) -> None:
        out.print(f"[bold]{escape(party.name)}[/]  (party {party.id})", markup=True)
        out.print(
            f"IPI name #: {party.ipi_name_number or '-'}   "
            f"IPI base #: {party.ipi_base_number or '-'}   "
            f"{'legal entity' if party.is_legal_entity else 'natural person'}"
        )
        for a in party.affiliations:
            out.print(f"  {a.right} in {a.territory}: society {a.society}")
        out.print(f"  claims on works: {', '.join(map(str, work_ids)) or 'none'}")

    emit(node, {"party": party_view(party), "works": work_ids}, human)
