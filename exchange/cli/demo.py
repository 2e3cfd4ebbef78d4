"""``exchange demo``: the README's main job, three nodes on embedded SQLite stores."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from exchange.cli.common import NodeContext, emit, json_option
from exchange.config import NodeConfig, load_config
from exchange.conflicts.lifecycle import Conflicts
from exchange.conflicts.reports import write_report
from exchange.demo import OURS, SISTERS, demo_nodes, northbound_from_035, sister_work, write_inbox
from exchange.imports.cwr import CwrImporter
from exchange.store import Store
from exchange.sync.run import SyncReport
from exchange.sync.session import exchange_with

pass_node = click.make_pass_decorator(NodeContext)


def _sync(store: Store, config: NodeConfig, code: str) -> SyncReport:
    return exchange_with(store, config, config.partner(code), purpose="demo")


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("exchange-demo"),
    show_default=True,
    help="Folder for the demo nodes and files (emptied first).",
)
@json_option
@pass_node
def demo(node: NodeContext, directory: Path) -> None:
    """Run a small exchange between three nodes, each with its own SQLite store.

    Our society (052) holds a publisher's CWR registrations; two sister
    societies (058 and 035) run nodes of their own. Files travel through
    folders in DIR/exchange. The sisters send their registrations; we import
    them (035's work without ISWC is recognised as one of ours; 058's claims on
    another work conflict with the publisher's), answer with ACKs and send our
    repertoire; they import it and acknowledge; we import their ACKs. The demo
    ends with the conflicts, the conflict report (HTML and XLSX) and the ledger.

    \b
    Example:
      exchange demo --dir /tmp/exchange-demo
      exchange --config /tmp/exchange-demo/our-node/exchange.toml conflicts list
    """
    if directory.exists():
        shutil.rmtree(directory)
    configs = {code: load_config(path) for code, path in demo_nodes(directory).items()}
    stores = {}
    for code, config in configs.items():
        stores[code] = node.store(require_schema=False, url=config.store_url)
        stores[code].init()

    ours, our_config = stores[OURS], configs[OURS]
    [publisher_file, _] = write_inbox(directory / "publisher")
    loaded = CwrImporter(ours, society=OURS).import_file(publisher_file)
    stores["058"].add_works([(sister_work(), sister_work().claims[0].source)])
    stores["035"].add_works([(northbound_from_035(), northbound_from_035().claims[0].source)])

    steps: list[tuple[str, str, SyncReport]] = []
    for sister in SISTERS:  # they send their registrations
        steps.append((sister, OURS, _sync(stores[sister], configs[sister], OURS)))
    for sister in SISTERS:  # we import, answer, send ours
        steps.append((OURS, sister, _sync(ours, our_config, sister)))
    for sister in SISTERS:  # they import ours, answer, take our ACKs
        steps.append((sister, OURS, _sync(stores[sister], configs[sister], OURS)))
    for sister in SISTERS:  # we take their ACKs
        steps.append((OURS, sister, _sync(ours, our_config, sister)))

    conflicts = Conflicts(ours, our_config.deadline_days)
    found = conflicts.list()
    reports = directory / "reports"
    reports.mkdir()
    disputes = conflicts.disputes(found)
    report_paths = [reports / "conflicts.html", reports / "conflicts.xlsx"]
    for path in report_paths:
        write_report(disputes, path, path.suffix[1:])
    works = ours.list_works()
    registrations = ours.registrations()
    our_toml = our_config.path

    def human(out: Console) -> None:
        out.print(f"our node (052): {our_toml}")
        out.print(f"loaded the publisher's file: {loaded.works_created} works")
        for source, target, r in steps:
            out.print(
                f"sync {source} with {target}: {len(r.received)} files in, "
                f"{len(r.exported)} exported, {len(r.delivered)} delivered"
            )
        for w in works:
            out.print(f"  work {w.id}: {w.title}  [sources: {', '.join(w.sources)}]")
        for reg in registrations:
            out.print(f"  work {reg.work_id} at {reg.partner}: {reg.status}, their number "
                      f"{reg.society_number or '-'}")  # fmt: skip
        for c in found:
            out.print(f"  conflict {c.id}: {c.detail.get('message', c.kind)}")
        out.print(f"conflict reports: {', '.join(str(p) for p in report_paths)}")
        out.print(f"ledger: exchange --config {our_toml} ledger list")
        out.print(f"try:    exchange --config {our_toml} works show T-010.171.314-7")

    data: dict[str, Any] = {
        "store": ours.url,
        "config": str(our_toml),
        "syncs": [
            {"node": source, "partner": target, **r.as_dict()} for source, target, r in steps
        ],
        "works": len(works),
        "registrations": [r.as_dict() for r in registrations],
        "conflicts": [c.as_dict() for c in found],
        "reports": [str(p) for p in report_paths],
        "ledger": [e.as_dict() for e in ours.ledger()],
    }
    emit(node, data, human)
