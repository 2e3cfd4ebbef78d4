"""``exchange registrations``: what partners' ACKs say of our registrations."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from exchange.cli.common import NodeContext, emit, json_option
from exchange.store.repertoire import Registration
from exchange.textview import message_line

pass_node = click.make_pass_decorator(NodeContext)


def registration_line(reg: Registration) -> str:
    """One line for a work's status at one partner."""
    when = reg.processed_on.isoformat() if reg.processed_on else reg.received_at.date().isoformat()
    line = f"  registration at {reg.partner}: {reg.status} on {when}"
    if reg.society_number:
        line += f", their work number {reg.society_number}"
    if reg.partner_iswc:
        line += f", ISWC {reg.partner_iswc}"
    return line


@click.group()
def registrations() -> None:
    """The status of our works at partner societies, from their ACK files.

    \b
    Example:
      exchange registrations list --partner 058 --status RJ
    """


@registrations.command("list")
@click.option("--partner", metavar="CODE", help="Only this partner's acknowledgements.")
@click.option(
    "--status", metavar="CODE", help="Only works whose last status is this (AS, RJ, CO...)."
)
@click.option("--history", is_flag=True, help="Every acknowledgement, not only the last.")
@json_option
@pass_node
def list_(node: NodeContext, partner: str | None, status: str | None, history: bool) -> None:
    """Per work and partner: the last status, its date, the partner's work number and
    messages (ACKs for work numbers we do not know are listed without a work).

    \b
    Example:
      exchange registrations list
      exchange registrations list --partner 058 --status RJ --json
    """
    found = node.store().registrations(
        partner=partner.strip() if partner else None,
        status=status.strip().upper() if status else None,
        history=history,
    )

    def human(out: Console) -> None:
        if not found:
            out.print("no acknowledgements")
            return
        table = Table(
            "work", "title", "partner", "status", "date", "their number", "messages", box=None
        )
        for reg in found:
            when = reg.processed_on or reg.received_at.date()
            table.add_row(
                str(reg.work_id) if reg.work_id is not None else f"? {reg.submitter_number}",
                reg.work_title or reg.title or "",
                reg.partner,
                reg.status,
                when.isoformat(),
                reg.society_number or "",
                "; ".join(message_line(m) for m in reg.messages),
            )
        out.print(table)

    emit(node, {"registrations": [r.as_dict() for r in found]}, human)
