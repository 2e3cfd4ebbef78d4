"""``exchange validate`` and ``exchange import``: judge and load registration files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from exchange import formats
from exchange.cli.common import LazyChoice, NodeContext, console, emit, json_option
from exchange.errors import EXIT_FINDINGS, EXIT_USAGE, ExchangeError
from exchange.imports.report import FileReport

pass_node = click.make_pass_decorator(NodeContext)
SHOWN_FINDINGS = 20


@contextmanager
def progress_for(node: NodeContext, path: Path) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr for files over 1 MB (none with --json or -q)."""
    size = path.stat().st_size if path.is_file() else 0
    if node.json or node.quiet or size < 1_000_000 or not console(stderr=True).is_terminal:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(path.name, total=size)
        yield lambda done, _total: bar.update(task, completed=done)


def _human(
    reports: list[FileReport], errors: list[dict[str, str]], imported: bool
) -> Callable[[Console], None]:
    def show(out: Console) -> None:
        for r in reports:
            if r.unsupported:
                out.print(f"{r.file}: {r.unsupported}", markup=False)
                continue
            if r.duplicate_of is not None:
                out.print(
                    f"{r.file}: already imported (ledger entry {r.duplicate_of}), nothing changed"
                )
                continue
            kind = {"ack": "ACK", "mwn": "DDEX MWN"}.get(r.format, r.format.upper())
            version = f" {r.version}" if r.version else ""
            line = (
                f"{escape(r.file)}: {kind}{version}, {r.transactions} transactions, "
                f"{r.accepted} accepted, {r.rejected} rejected"
            )
            if imported:
                line += f", {r.works_created} works created, {r.works_updated} updated"
                if r.statuses:
                    line += " (" + ", ".join(f"{n} {s}" for s, n in r.statuses.items()) + ")"
            if r.file_rejected:
                line += " [bold red](file rejected)[/]"
            out.print(line, markup=True)
            if r.findings:
                table = Table(
                    "line",
                    "level",
                    "record",
                    "field",
                    "value",
                    "edit",
                    "message",
                    box=None,
                    pad_edge=False,
                )
                for f in r.findings[:SHOWN_FINDINGS]:
                    table.add_row(
                        str(f.line or ""),
                        f.level,
                        f.record or "",
                        f.field or "",
                        f.value or "",
                        f.edit or "",
                        f.message,
                    )
                out.print(table)
                if r.findings_total > SHOWN_FINDINGS:
                    out.print(
                        f"  ... {r.findings_total - SHOWN_FINDINGS} more findings "
                        "(--json lists them)"
                    )
        for e in errors:
            out.print(f"error: {e['error']}")

    return show


def _finish(
    node: NodeContext, reports: list[FileReport], errors: list[dict[str, str]], imported: bool
) -> None:
    files: list[dict[str, Any]] = [r.as_dict(imported) for r in reports] + errors
    emit(node, {"files": files}, _human(reports, errors, imported))
    if errors or any(r.unsupported for r in reports):
        raise SystemExit(EXIT_USAGE)
    if any(r.has_rejections for r in reports):
        raise SystemExit(EXIT_FINDINGS)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@json_option
@pass_node
def validate(node: NodeContext, files: tuple[Path, ...]) -> None:
    """Check registration files without writing to the store.

    CWR files are judged by CISAC's rules; DDEX MWN messages by the MWN 1.3
    schema and the node's reading of them; spreadsheets by their documented
    columns. Every finding says where (line or row, record, field or column,
    value), its level (ER file, GR group, TR transaction, RR record, FR field
    rejected; WARN rejects nothing) and the CISAC edit it comes from, if any.
    Exit code 1 when something would be rejected.

    \b
    Example:
      exchange validate CW260001PUB_052.V21
      exchange validate --json incoming/*.V22 | jq '.files[].rejected'
      exchange validate catalogue.xlsx MWN_058_052_000001.xml
    """
    reports, errors = [], []
    for path in files:
        try:
            fmt = formats.detect(path)
            with progress_for(node, path) as progress:
                reports.append(fmt.validate(path, node.config, progress))
        except ExchangeError as exc:
            errors.append({"file": str(path), "error": str(exc)})
    _finish(node, reports, errors, imported=False)


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--partner", metavar="CODE", help="The sender's code (else taken from the file name or header)."
)
@click.option(
    "--format",
    "fmt",
    type=LazyChoice(formats.families, before=["auto"]),
    default="auto",
    show_default=True,
    help="Input format (auto: from the file name and content; cwr: CWR 2.1 or 2.2, as the "
    "file says).",
)
@json_option
@pass_node
def import_(node: NodeContext, files: tuple[Path, ...], partner: str | None, fmt: str) -> None:
    """Load registration files into the store, with the source of every claim.

    Accepted transactions are stored; a rejected one changes nothing. NWR adds
    the sender's claims (to a new or known work), REV replaces them, ISW
    notifies an ISWC. A file imported before (same content) is recognised and
    changes nothing; an import interrupted by a crash resumes where it stopped.

    An ACK file (recognised by its ACK group) records what the partner says of
    our registrations: status, its work number, its ISWC (a different ISWC
    opens a conflict); see `exchange registrations list`.

    A DDEX MWN claim notification (.xml) is parsed safely and validated against
    the MWN 1.3 schema ([ddex] schema_dir) before import; its sender is the
    partner whose dpid the message names, or --partner. A registration
    spreadsheet (.csv, .xlsx; see `exchange template`) needs --partner. Each
    work of these revises the sender's earlier registration of it, if any.

    \b
    Example:
      exchange import CW260001PUB_052.V21 --partner PUB
      exchange import --json incoming/*.V21
      exchange import MWN_058_052_000001.xml
      exchange import catalogue.xlsx --partner PUB
    """
    store = node.store()
    importers: dict[str, formats.Importer] = {}
    reports, errors = [], []
    for path in files:
        try:
            kind = (formats.detect(path) if fmt == "auto" else formats.reader(fmt)).family
            if kind not in importers:
                importers[kind] = formats.reader(kind).importer(store, node.config, partner)
            with progress_for(node, path) as progress:
                reports.append(importers[kind].import_file(path, progress))
        except ExchangeError as exc:
            errors.append({"file": str(path), "error": str(exc)})
    _finish(node, reports, errors, imported=True)
