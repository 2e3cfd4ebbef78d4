"""``exchange demo``: the README's main job, three nodes on embedded SQLite stores."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from exchange.cli.common import NodeContext, emit, json_option
from exchange.config import NodeConfig, load_config
from exchange.conflicts.lifecycle import Conflicts
from exchange.conflicts.reports import write_report
from exchange.demo import (
    DEMO_ISWC_KEY,
    DEMO_ISWC_KEY_ENV,
    OURS,
    SISTERS,
    STANDIN,
    demo_nodes,
    iswc_config,
    iswc_standin,
    northbound_from_035,
    sister_work,
    write_inbox,
)
from exchange.imports.cwr import CwrImporter
from exchange.iswc import repertoire, tasks
from exchange.iswc.client import IswcClient
from exchange.iswc.collect import collect
from exchange.iswc.payloads import submission
from exchange.store import Store
from exchange.store.iswc_works import ISWC_DATABASE
from exchange.sync.run import SyncReport
from exchange.sync.session import exchange_with

pass_node = click.make_pass_decorator(NodeContext)


def _sync(store: Store, config: NodeConfig, code: str) -> SyncReport:
    return exchange_with(store, config, config.partner(code), purpose="demo")


def _iswc_round(ours: Store, config_path: Path, directory: Path) -> dict[str, Any]:
    """Our works without ISWC submitted to the stand-in of the ISWC database; a sister
    society (058) then registers one of them too and retitles it: the stand-in's CSN
    files of that come back and are applied; the workflow task waits for us."""
    if not STANDIN.is_dir():
        return {"skipped": "the stand-in of the ISWC database comes with the source tree"}
    notifications = (directory / "iswc-notifications").resolve()  # the stand-in runs elsewhere
    with iswc_standin(notifications) as url:
        with config_path.open("a", encoding="utf-8") as toml:
            toml.write(iswc_config(url, notifications))
        os.environ[DEMO_ISWC_KEY_ENV] = DEMO_ISWC_KEY  # what [iswc] key_env names
        config = load_config(config_path)
        assert config.iswc is not None
        days = config.deadline_days(ISWC_DATABASE)
        with IswcClient.from_settings(config.iswc, ours) as api:
            sent = repertoire.submit(ours, api, deadline_days=days)
            given = next((w for w in sent.works if w.outcome == "accepted"), None)
            work = ours.load_work(given.work_id) if given else None
            if given is not None and given.iswc and work is not None:
                with IswcClient(url, agency="058", source_db=58, key=DEMO_ISWC_KEY,
                                store=ours, requests_per_minute=600) as sister:  # fmt: skip
                    theirs = submission(work, agency="058", source_db=58)
                    sister.add(theirs)
                    sister.update({**theirs, "originalTitle": f"{work.title} (RADIO EDIT)"},
                                  given.iswc)  # fmt: skip
            again = repertoire.submit(ours, api, deadline_days=days)
            collected = collect(ours, config)
            waiting = tasks.list_tasks(ours, api, auto_approve_days=config.iswc.auto_approve_days)
    return {
        "submitted": sent.as_dict(),
        "submitted_again": again.as_dict(),
        "notifications": collected["received"],
        "tasks": [t.as_dict() for t in waiting],
    }


def _iswc_lines(out: Console, round_: dict[str, Any]) -> None:
    if "skipped" in round_:
        out.print(f"ISWC database: {round_['skipped']}")
        return
    sent = round_["submitted"]
    out.print(f"ISWC database (the stand-in, not CISAC's): {sent['sent']} works submitted")
    for w in sent["works"]:
        why = f" ({w['rejection']['code']} {w['rejection']['message']})" if w["rejection"] else ""
        out.print(f"  work {w['work']}: {w['outcome']} {w['iswc'] or ''}{why}")
    out.print(f"  submitted again: {round_['submitted_again']['sent']} sent")
    for item in round_["notifications"]:
        outcomes = ", ".join(f"{n} {o}" for o, n in sorted((item.get("statuses") or {}).items()))
        out.print(f"  notification {item['name']}: {outcomes}")
    for task in round_["tasks"]:
        out.print(f"  workflow task {task['id']} ({task['type']} by {task['originating_agency']})"
                  f" on work {(task['work'] or {}).get('id')}, approved on "
                  f"{(task['auto_approved_on'] or '-')[:10]} unless rejected")  # fmt: skip


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
    Then one round with a stand-in of CISAC's ISWC database on a loopback port:
    our works are submitted (ISWCs assigned, rejections kept), a sister society
    changes one of them there, and its notification (CSN) comes back and is applied.

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
    our_toml = our_config.path
    assert our_toml is not None
    iswc_round = _iswc_round(ours, our_toml, directory)
    works = ours.list_works()
    registrations = ours.registrations()

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
        _iswc_lines(out, iswc_round)
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
        "iswc": iswc_round,
    }
    emit(node, data, human)
