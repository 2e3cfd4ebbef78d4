"""``exchange partners``, ``exchange sync`` and ``exchange ledger``: exchanging with partners."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from exchange.cli.common import NodeContext, emit, json_option
from exchange.cli.serve import token
from exchange.errors import EXIT_USAGE, ExchangeError, NotFound
from exchange.leases import partner_lease
from exchange.model import Partner
from exchange.sync import Sync, SyncReport
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


@click.command()
@click.argument("code", required=False)
@click.option("--all", "every", is_flag=True, help="Every configured partner, in code order.")
@click.option("--dry-run", is_flag=True, help="Say what would happen; change nothing.")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Seconds to wait for a partner another exchange holds (else: busy, exit 3).",
)
@json_option
@pass_node
def sync(node: NodeContext, code: str | None, every: bool, dry_run: bool, wait: float) -> None:
    """Exchange with a partner: collect and import what it left, answer with ACKs,
    export our changes since the last exchange, deliver.

    Every file in and out is in the ledger; a run killed at any point is
    finished by the next one, and nothing is delivered or imported twice. One
    exchange per partner at a time: a partner another exchange holds (the
    scheduler, another process or machine on the same store) is busy.

    \b
    Example:
      exchange sync 058
      exchange sync --all --dry-run --json
    """
    config = node.config
    if every == bool(code):
        raise ExchangeError("give a partner code or --all", EXIT_USAGE)
    chosen = sorted(config.partners) if every else [code or ""]
    store = node.store()
    reports: list[SyncReport] = []
    for partner_code in chosen:
        partner = config.partner(partner_code)
        with partner_lease(store, partner.code, "sync", wait=wait):
            transport = open_transport(partner, config)
            try:
                reports.append(Sync(store, config, partner, transport, dry_run=dry_run).run())
            finally:
                transport.close()

    def human(out: Console) -> None:
        for r in reports:
            verb = "would " if r.dry_run else ""
            out.print(
                f"{r.partner}: {verb}receive {len(r.received)}, {verb}export "
                f"{len(r.exported)}, {verb}deliver {len(r.delivered)} files"
            )
            for item in r.received:
                out.print(f"  in   {item['name']}")
            for item in r.exported:
                out.print(f"  out  {item.get('name', item['format'])} ({item['works']} works)")
            for name in r.delivered:
                out.print(f"  sent {name}")

    emit(node, {"partners": [r.as_dict() for r in reports]}, human)


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
@json_option
@pass_node
def ledger_list(node: NodeContext, partner: str | None, direction: str | None) -> None:
    """List ledger entries, oldest first.

    \b
    Example:
      exchange ledger list --direction out --json
    """
    entries = node.store().ledger(partner=partner, direction=direction)

    def human(out: Console) -> None:
        if not entries:
            out.print("the ledger is empty")
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
    emit(node, {"entry": view}, lambda out: out.print(view))
