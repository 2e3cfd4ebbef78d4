"""``exchange ledger``: every file received from or sent to partners."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from exchange.cli.common import NodeContext, emit, json_option, print_fields
from exchange.errors import NotFound
from exchange.store.ledger import FAILED, FileState

pass_node = click.make_pass_decorator(NodeContext)


@click.group()
def ledger() -> None:
    """Every file received from or sent to partners, and where it stands.

    \b
    Example:
      exchange ledger list --partner 058 --direction in
    """


@ledger.command("list")
@click.option("--partner", metavar="CODE", help="Only this partner's files.")
@click.option("--direction", type=click.Choice(["in", "out"]), help="Received or sent.")
@click.option(
    "--state", type=click.Choice([s.value for s in FileState]), help="Only entries in this state."
)
@json_option
@pass_node
def ledger_list(
    node: NodeContext, partner: str | None, direction: str | None, state: str | None
) -> None:
    """List ledger entries, oldest first.

    A received file is importing (or was left so by an import that died: the
    next import of the file takes it over), imported, rejected as a whole,
    failed (with its error: importing it again takes it up) or refused by an
    exchange; a sent one is writing (or was left so by a run that died),
    written, delivered or failed.

    \b
    Example:
      exchange ledger list --direction out --json
      exchange ledger list --state failed
    """
    entries = node.store().ledger(partner=partner, direction=direction, state=state)

    def human(out: Console) -> None:
        if not entries:
            out.print(
                "no ledger entries" if state or partner or direction else "the ledger is empty"
            )
            return
        table = Table("id", "partner", "dir", "name", "format", "state", "created", box=None)
        for e in entries:
            table.add_row(
                str(e.id),
                e.partner or "",
                e.direction,
                e.name,
                e.format or "",
                e.state,
                e.created_at.strftime("%Y-%m-%d %H:%M"),
            )
        out.print(table)
        for e in entries:
            if e.state == FAILED and e.error:
                out.print(f"{e.id}: {e.error}", markup=False)

    emit(node, {"entries": [e.as_dict() for e in entries]}, human)


@ledger.command("show")
@click.argument("entry_id", type=int)
@json_option
@pass_node
def ledger_show(node: NodeContext, entry_id: int) -> None:
    """One ledger entry with its counts and last error.

    \b
    Example:
      exchange ledger show 12
    """
    entry = node.store().get_file(entry_id)
    if entry is None:
        raise NotFound(f"no ledger entry {entry_id}")
    view = entry.as_dict()
    emit(node, {"entry": view}, lambda out: print_fields(out, view))
