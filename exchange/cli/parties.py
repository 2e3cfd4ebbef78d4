"""``exchange parties``: the writers and publishers the store knows."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from adapters.spreadsheet.parties import write_parties
from adapters.spreadsheet.table import format_of
from exchange.cli.common import NodeContext, emit, json_option
from exchange.cli.files import _finish, progress_for
from exchange.errors import ExchangeError, NotFound
from exchange.imports.parties import PartyImporter
from exchange.imports.report import FileReport
from exchange.jsonview import party_view
from exchange.store.reader import WorkReader

pass_node = click.make_pass_decorator(NodeContext)


@click.group()
def parties() -> None:
    """Look at interested parties (writers and publishers); exchange them as sheets.

    \b
    Example:
      exchange parties list --limit 10
      exchange parties show 00014107338
      exchange parties import writers.xlsx --partner PUB
      exchange parties export --format csv -o parties.csv
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


@parties.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--partner", metavar="CODE", required=True, help="The partner who sent the sheets.")
@json_option
@pass_node
def import_(node: NodeContext, files: tuple[Path, ...], partner: str) -> None:
    """Load parties sheets (CSV or XLSX): writers, publishers and their societies.

    New parties are created with the partner's key; a party the store holds
    under an IPI name number keeps its name, and another name or IPI base
    number opens an identity conflict (see `exchange conflicts list`); society
    memberships that differ from the current ones are recorded with their
    source. A file imported before (same content) changes nothing. Exit code 1
    when a party was rejected. The columns are in docs/spreadsheets.md
    (`exchange template xlsx --parties -o parties.xlsx` writes an empty sheet).

    \b
    Example:
      exchange parties import writers.xlsx --partner PUB
      exchange parties import --json sheets/*.csv --partner PUB
    """
    store = node.store()
    importer = PartyImporter(store, partner, node.config.deadline_days)
    reports: list[FileReport] = []
    errors: list[dict[str, str]] = []
    for path in files:
        try:
            with progress_for(node, path) as progress:
                reports.append(importer.import_file(path, progress))
        except ExchangeError as exc:
            errors.append({"file": str(path), "error": str(exc)})
    _finish(node, reports, errors, imported=True)


@parties.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    help="Sheet format (else from the name given with -o).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="The file to write (a folder: parties.csv or parties.xlsx in it).",
)
@json_option
@pass_node
def export(node: NodeContext, fmt: str | None, output: Path) -> None:
    """Write every party with its current society memberships as a parties sheet.

    One row per party and membership (one row for a party without any). The
    party_key column holds the store's own id of the party, so that a party
    without an IPI name number is known again when the sheet comes back.

    \b
    Example:
      exchange parties export --format xlsx -o parties.xlsx
      exchange parties export -o out/ --format csv --json
    """
    if output.is_dir():
        output = output / f"parties.{fmt or 'csv'}"
    fmt = format_of(output, fmt)
    store = node.store()
    found = store.list_parties()
    with store.connect() as conn:
        memberships = WorkReader(conn).affiliations_of([p.id for p in found if p.id is not None])
    for party in found:
        party.key = str(party.id)
        party.affiliations = memberships.get(party.id or 0, [])
    count = write_parties(output, found, fmt)

    def human(out: Console) -> None:
        out.print(f"{escape(str(output))}: {count} parties")

    emit(node, {"files": [{"path": str(output), "parties": count}]}, human)
