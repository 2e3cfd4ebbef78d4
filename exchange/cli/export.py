"""``exchange export``: write works from the store into files for a partner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from adapters.cwr.file_writer import CHARACTER_SETS
from exchange import formats
from exchange.cli.common import LazyChoice, NodeContext, console, emit, json_option
from exchange.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, ExchangeError
from exchange.store import Store

pass_node = click.make_pass_decorator(NodeContext)

DEFAULT_MAX_WORKS = 10000


def _since(value: str | None) -> datetime | None:
    """An ISO date or date-time; without a zone it is taken as UTC."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ExchangeError(
            f"--changed-since {value!r} is not an ISO date (e.g. 2026-01-31 or "
            "2026-01-31T18:00:00+01:00)",
            EXIT_USAGE,
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _selected_ids(store: Store, keys: tuple[str, ...], since: datetime | None) -> list[int]:
    if not keys:
        return store.work_ids(changed_since=since)
    wanted: dict[int, None] = {}
    for key in keys:
        work_id = store.find_work(key)
        if work_id is None:
            raise ExchangeError(
                f"no work {key!r} in the store (give a local id, an ISWC or PARTNER:NUMBER)",
                EXIT_USAGE,
            )
        wanted[work_id] = None
    ids = sorted(wanted)
    if since is not None:
        changed = set(store.work_ids(changed_since=since))
        ids = [i for i in ids if i in changed]
    return ids


@contextmanager
def _progress(node: NodeContext, total: int) -> Iterator[Callable[[object], None]]:
    """A progress bar on stderr while works are exported: call the result once per work."""
    if node.json or node.quiet or total == 0:
        yield lambda _work: None
        return
    progress = Progress(
        TextColumn("exporting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("works"),
        TimeElapsedColumn(),
        console=console(stderr=True),
        transient=True,
    )
    with progress:
        task = progress.add_task("export", total=total)
        yield lambda _work: progress.advance(task)


@click.command()
@click.option(
    "--format",
    "fmt",
    required=True,
    type=LazyChoice(lambda: formats.names("write"), case_sensitive=False),
    help="File format to write (docs/formats.md).",
)
@click.option(
    "--transaction",
    type=click.Choice(["NWR", "REV"], case_sensitive=False),
    metavar="NWR|REV",
    default="NWR",
    show_default=True,
    help="CWR transaction type: NWR for new registrations, REV for revisions.",
)
@click.option(
    "--partner",
    metavar="CODE",
    help="Receiver code for the file name (else 000, any receiver); a configured "
    "partner also gives max_works_per_file.",
)
@click.option(
    "--changed-since",
    metavar="ISO-DATE",
    help="Only works changed at or after this date or time (UTC unless a zone is given).",
)
@click.option(
    "--work",
    "work_keys",
    multiple=True,
    metavar="KEY",
    help="Only this work (local id, ISWC or PARTNER:NUMBER); repeat for more.",
)
@click.option(
    "--share-of",
    metavar="SOCIETY",
    help="Only works on which members of this society (by affiliation) hold claims.",
)
@click.option("--zip", "package", is_flag=True, help="Package each file as CWyynnnnsss_rrr.zip.")
@click.option(
    "--max-works",
    type=click.IntRange(min=1),
    help=f"At most this many works per file (else the partner's max_works_per_file, "
    f"else {DEFAULT_MAX_WORKS}).",
)
@click.option(
    "--charset",
    type=click.Choice(list(CHARACTER_SETS), case_sensitive=False),
    default="ascii",
    show_default=True,
    help="Text encoding: ascii (the CIS rule), latin-1 (common practice), or utf-8 "
    "(declared in the HDR record).",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the files (created if missing).",
)
@json_option
@pass_node
def export(
    node: NodeContext,
    fmt: str,
    transaction: str,
    partner: str | None,
    changed_since: str | None,
    work_keys: tuple[str, ...],
    share_of: str | None,
    package: bool,
    max_works: int | None,
    charset: str,
    output: Path,
) -> int:
    """Write works from the store into CWR, DDEX MWN or spreadsheet files.

    CWR: each file is named CWyynnnnsss_rrr.V21 (or .V22): year, file sequence
    (never repeated for a sender and receiver), our society code, receiver
    code. A work that cannot be written (a name too long for its field, a
    character the file cannot carry...) is left out and listed, and the
    command exits with 1.

    mwn: ShareNotification messages MWN_sss_rrr_nnnnnn.xml (max-works works
    each, at most 1,000), validated against the DDEX MWN 1.3 schema when [ddex] schema_dir is
    set ("validated" in the JSON says whether they were). csv, xlsx: one
    registration spreadsheet WORKS_sss_rrr_nnnnnn.csv (docs/spreadsheets.md).

    Files are written under a temporary name and renamed when complete. A
    format another package adds (docs/formats.md) is one more --format choice.

    \b
    Example:
      exchange export --format cwr22 --partner 058 --changed-since 2026-01-01 -o outbox
      exchange export --format cwr21 --work 12 --work T-034.524.680-1 --zip -o outbox --json
      exchange export --format mwn --partner 058 --share-of 058 -o outbox
      exchange export --format xlsx -o reports
    """
    fmt = fmt.lower()
    config = node.config
    sender = config.society_code
    if sender == "000":
        raise ExchangeError(
            "the node's society code is not configured: set [node] society_code in the "
            "configuration (--config or $EXCHANGE_CONFIG)",
            EXIT_USAGE,
        )
    receiver = (partner or "000").strip().upper()
    if not (2 <= len(receiver) <= 3 and receiver.isascii() and receiver.isalnum()):
        raise ExchangeError(
            f"--partner {partner!r} cannot be a receiver code in a CWR 2.x file name "
            "(2 or 3 letters or digits)",
            EXIT_USAGE,
        )
    per_file = max_works
    if per_file is None:
        configured = config.partners.get(partner.strip()) if partner else None
        per_file = configured.max_works_per_file if configured else DEFAULT_MAX_WORKS
    since = _since(changed_since)

    store = node.store()
    ids = _selected_ids(store, work_keys, since)
    if share_of is not None:
        ids = store.works_with_members_of(share_of, ids)
    with _progress(node, len(ids)) as advance:
        export = formats.Export(
            store,
            config,
            ids,
            output,
            receiver,
            per_file,
            transaction=transaction.upper(),
            package=package,
            encoding=charset.lower(),
            progress=advance,
        )
        try:
            written = formats.writer(fmt).write(export)
        except OSError as exc:
            where = exc.filename or output
            raise ExchangeError(f"cannot write to {where}: {exc.strerror}", EXIT_USAGE) from None
    _report(node, written)
    return EXIT_FINDINGS if any(s.rejected for s in written.skipped) else EXIT_OK


def _report(node: NodeContext, written: formats.Written) -> None:
    def human(out: Console) -> None:
        if not written.files:
            out.print("nothing written")
        for f in written.files:
            line = f"{f.path}  {f.works} works"
            if "records" in f.details:
                line += f"  {f.details['records']} records"
            if f.details.get("validated") is False:
                line += "  (not validated: no [ddex] schema_dir)"
            out.print(line)
        for s in written.skipped:
            out.print(f"skipped {s.text}")

    data = {
        "files": [f.as_dict() for f in written.files],
        "skipped": [s.data for s in written.skipped],
    }
    emit(node, data, human)
