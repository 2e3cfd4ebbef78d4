"""``exchange demo``: the README's main job, on an embedded SQLite store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console

from adapters.cwr.export import export_works
from exchange.cli.common import NodeContext, emit, json_option
from exchange.conflict_report import write_report
from exchange.conflicts import Conflicts
from exchange.cwr_ack import AckWriter
from exchange.cwr_export import works_to_export
from exchange.cwr_import import CwrImporter, validate_file
from exchange.demo import write_inbox

pass_node = click.make_pass_decorator(NodeContext)
OUR_SOCIETY = "052"


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("exchange-demo"),
    show_default=True,
    help="Folder for the demo store and files (created if missing).",
)
@json_option
@pass_node
def demo(node: NodeContext, directory: Path) -> None:
    """Run a small exchange on a fresh SQLite store in DIR.

    Two sample partners leave CWR files in DIR/inbox: a publisher (DMO, CWR
    2.1) and a sister society (058, CWR 2.2) that registers one of the same
    works. The demo validates and imports both (the shared work ends as one
    work with two sources), answers each file with an ACK (statuses, our work
    numbers; the sister society's claims conflict with the publisher's: CO) and
    exports our repertoire for 058 as CWR 2.2, both in DIR/outbox, and writes
    the conflict report (HTML and XLSX) in DIR/reports. Running it again starts
    from a fresh demo store.

    \b
    Example:
      exchange demo --dir /tmp/exchange-demo
      exchange --db sqlite:////tmp/exchange-demo/exchange.db works show T-010.171.314-7
    """
    directory.mkdir(parents=True, exist_ok=True)
    stale_files = [*directory.glob("exchange.db*"), *directory.glob("outbox/*")]
    for stale in [*stale_files, *directory.glob("reports/*")]:
        stale.unlink()
    url = f"sqlite:///{directory / 'exchange.db'}"
    store = node.store(require_schema=False, url=url)
    store.init()

    inbox = write_inbox(directory / "inbox")
    checked = [validate_file(path) for path in inbox]
    importer = CwrImporter(store, society=OUR_SOCIETY)
    imported = [importer.import_file(path) for path in inbox]
    outbox = directory / "outbox"
    outbox.mkdir(exist_ok=True)
    answers = AckWriter(store, OUR_SOCIETY, "DEMO SOCIETY")
    acks = [answers.write(path, outbox) for path in inbox]
    works_out = works_to_export(
        store,
        store.work_ids(),
        version="2.2",
        transaction="NWR",
        sender=OUR_SOCIETY,
        encoding="latin-1",
    )
    exported = export_works(
        works_out,
        outbox,
        version="2.2",
        sender=OUR_SOCIETY,
        sender_name="DEMO SOCIETY",
        receiver="058",
        next_sequence=lambda: store.next_file_sequence(OUR_SOCIETY, "058"),
        encoding="latin-1",
    )
    works = store.list_works()
    conflicts = Conflicts(store, lambda _partner: 60)
    found = conflicts.list()
    reports = directory / "reports"
    reports.mkdir(exist_ok=True)
    rows = conflicts.report_rows(found)
    report_paths = [reports / "conflicts.html", reports / "conflicts.xlsx"]
    for path in report_paths:
        write_report(rows, path, path.suffix[1:])

    def human(out: Console) -> None:
        out.print(f"demo store: {directory / 'exchange.db'}")
        for report in checked:
            out.print(
                f"validated {report.file}: {report.transactions} transactions, "
                f"{len(report.findings)} findings"
            )
        for report in imported:
            out.print(
                f"imported  {report.file}: {report.works_created} works created, "
                f"{report.works_updated} updated"
            )
        for ack in acks:
            statuses = ", ".join(f"{n} {s}" for s, n in sorted(ack.statuses.items()))
            out.print(f"answered  {ack.answers} with {ack.path.name}: {statuses}")
        for written in exported.files:
            out.print(f"exported  {written.path.name}: {written.works} works for 058")
        for w in works:
            out.print(f"  work {w.id}: {w.title}  [sources: {', '.join(w.sources)}]")
        for c in found:
            out.print(f"  conflict {c.id}: {c.detail.get('message', c.kind)}")
        out.print(f"conflict reports: {', '.join(str(p) for p in report_paths)}")
        out.print(f"try: exchange --db {url} works show T-010.171.314-7")

    data: dict[str, Any] = {
        "store": url,
        "validated": [r.as_dict(imported=False) for r in checked],
        "imported": [r.as_dict(imported=True) for r in imported],
        "acks": [a.as_dict() for a in acks],
        "exported": [f.as_dict() for f in exported.files],
        "works": len(works),
        "conflicts": [c.as_dict() for c in found],
        "reports": [str(p) for p in report_paths],
    }
    emit(node, data, human)
