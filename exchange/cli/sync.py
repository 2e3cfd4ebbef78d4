"""``exchange sync``: one exchange with a partner, or with all of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from rich.console import Console

from exchange.cli.common import NodeContext, console, emit, json_option
from exchange.errors import EXIT_FINDINGS, EXIT_USAGE, ExchangeError
from exchange.store.leases import Holder
from exchange.sync.run import SyncReport
from exchange.sync.session import exchange_with

pass_node = click.make_pass_decorator(NodeContext)


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
    scheduler, another process or machine on the same store) is busy (exit 3,
    naming the holder: host, process, since when); a holder that died (killed,
    power cut) does not hold it. Exit 1 when a received file was rejected,
    refused or failed, or held rejected transactions (the report says which).

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
        report = exchange_with(
            store,
            config,
            partner,
            wait=wait,
            on_wait=None if node.quiet else waiting_for(partner.code, wait),
            dry_run=dry_run,
        )
        reports.append(report)

    def human(out: Console) -> None:
        for r in reports:
            verb = "would " if r.dry_run else ""
            out.print(
                f"{r.partner}: {verb}receive {len(r.received)}, {verb}export "
                f"{len(r.exported)}, {verb}deliver {len(r.delivered)} files"
            )
            for item in r.received:
                out.print(f"  in   {received_line(item)}", markup=False)
            for item in r.exported:
                out.print(f"  out  {item.get('name', item['format'])} ({item['works']} works)")
            for name in r.delivered:
                out.print(f"  sent {name}")
            for m in r.manifests:
                way = "manifest in " if m["direction"] == "in" else "manifest out"
                state = m.get("state") or m.get("action", "")
                error = f": {m['error']}" if m.get("error") else ""
                out.print(f"  {way} {m['name']} ({state}){error}", markup=False)

    emit(node, {"partners": [r.as_dict() for r in reports]}, human)
    if any(r.has_rejections for r in reports):
        raise SystemExit(EXIT_FINDINGS)


def waiting_for(code: str, wait: float) -> Callable[[Holder | None], None]:
    """What ``--wait`` says on stderr while another exchange holds the partner."""

    def tell(holder: Holder | None) -> None:
        who = holder.describe() if holder else "another exchange"
        console(stderr=True).print(
            f"partner {code} is held by {who}; waiting up to {wait:g} s", markup=False
        )

    return tell


def received_line(item: dict[str, Any]) -> str:
    """One received file as the text report shows it: what came of it, and why."""
    name, state = item["name"], item.get("state") or item.get("action", "")
    if not name.isprintable():  # a refused name: its newlines and bidi controls escaped
        name = repr(name)[1:-1]
    if item.get("imported_before"):
        return f"{name}: imported before, nothing changed"
    said = f"{name}: {state}"
    if "transactions" in item:
        said += (
            f", {item['transactions']} transactions, {item['accepted']} accepted, "
            f"{item['rejected']} rejected"
        )
    if item.get("ack"):
        said += f", answered with {item['ack']}"
    if item.get("error"):
        said += f": {item['error']}"
    return said
