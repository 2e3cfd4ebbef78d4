"""``exchange partners``: the partners of the configuration, checked and given tokens."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from exchange.cli.common import NodeContext, emit, json_option
from exchange.cli.serve import token
from exchange.model import Partner
from exchange.transports.kinds import open_transport

pass_node = click.make_pass_decorator(NodeContext)


def _partner_view(partner: Partner) -> dict[str, object]:
    transport = {k: v for k, v in partner.transport.items() if "token" not in k}
    return {
        "code": partner.code,
        "name": partner.name,
        "send": list(partner.send),
        "max_works_per_file": partner.max_works_per_file,
        "schedule": partner.schedule,
        "timezone": partner.timezone,
        "transport": transport,
        "conflict_deadline_days": partner.conflict_deadline_days,
    }


@click.group()
def partners() -> None:
    """The sister societies, hubs and publishers of the configuration.

    \b
    Example:
      exchange --config node.toml partners list
      exchange --config node.toml partners check 058
    """


@partners.command("list")
@json_option
@pass_node
def list_(node: NodeContext) -> None:
    """List the configured partners.

    \b
    Example:
      exchange partners list --json
    """
    found = list(node.config.partners.values())

    def human(out: Console) -> None:
        if not found:
            out.print("no partners configured")
            return
        table = Table("code", "name", "sends", "transport", "schedule", box=None)
        for p in found:
            kind = str(p.transport.get("kind", "-"))
            table.add_row(p.code, p.name, ", ".join(p.send), kind, p.schedule or "")
        out.print(table)

    emit(node, {"partners": [_partner_view(p) for p in found]}, human)


@partners.command()
@click.argument("code")
@json_option
@pass_node
def show(node: NodeContext, code: str) -> None:
    """One partner's settings (secrets are never in the configuration).

    \b
    Example:
      exchange partners show 058
    """
    partner = node.config.partner(code)
    view = _partner_view(partner)
    emit(node, {"partner": view}, lambda out: out.print(view))


@partners.command()
@click.argument("code")
@json_option
@pass_node
def check(node: NodeContext, code: str) -> None:
    """Connect to a partner, authenticate, list its folders: change nothing.

    For SFTP it shows the server's host key fingerprint; an unknown or changed
    host key is refused (exit code 3), never accepted.

    \b
    Example:
      exchange partners check 058
    """
    partner = node.config.partner(code)
    transport = open_transport(partner, node.config)
    try:
        described = transport.describe()
    finally:
        transport.close()
    emit(node, {"partner": code, "check": described}, lambda out: out.print(described))


partners.add_command(token)
