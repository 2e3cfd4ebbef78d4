"""Validating and importing CWR files into the store.

Import is two passes over the file, each streaming:

1. the *structure pass* reads only record types, prefixes and control records.
   A file the standard rejects as a whole (ER) changes nothing; groups it
   rejects (GR) are skipped.
2. the *content pass* validates each transaction, and writes the accepted ones
   in batches. Each batch is one database transaction that also advances the
   file's ledger entry (``transactions_done``), so a crash loses at most the
   batch in flight, never half a work, and a re-run resumes after the last
   committed batch.

A file whose content (sha256) was imported before is recognised and not
imported again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from adapters.cwr.parser import CwrParser
from adapters.cwr.pipeline import CheckedFile
from adapters.cwr.reader import MappedWork
from adapters.cwr.source import CwrSource, CwrSourceError
from adapters.cwr.validator import CheckedTransaction, check_header
from exchange.errors import ExchangeError
from exchange.identifiers import iswc as iswc_id
from exchange.model import Finding, Source, Title, Work
from exchange.normalise import normalise_title
from exchange.store import Store, tables
from exchange.store.rows import chunks
from exchange.store.writer import WorkWriter

BATCH = 500
#: How many findings one file report keeps (the counts stay exact).
MAX_FINDINGS = 10000

Progress = Callable[[int, int], None]


@dataclass(slots=True)
class FileReport:
    """What validating or importing one file found and did (the JSON of CLI.md)."""

    file: str
    format: str = "cwr"
    version: str | None = None
    duplicate_of: int | None = None
    transactions: int = 0
    accepted: int = 0
    rejected: int = 0
    works_created: int = 0
    works_updated: int = 0
    conflicts_opened: int = 0
    findings: list[Finding] = field(default_factory=list)
    findings_total: int = 0
    file_rejected: bool = False

    def add(self, findings: list[Finding]) -> None:
        self.findings_total += len(findings)
        room = MAX_FINDINGS - len(self.findings)
        if room > 0:
            self.findings.extend(findings[:room])

    @property
    def has_rejections(self) -> bool:
        return (
            self.file_rejected
            or self.rejected > 0
            or any(f.level in ("ER", "GR", "TR", "RR") for f in self.findings)
        )

    def as_dict(self, imported: bool) -> dict[str, Any]:
        data: dict[str, Any] = {"file": self.file, "format": self.format, "version": self.version}
        if imported:
            data["duplicate_of"] = self.duplicate_of
        data.update(transactions=self.transactions, accepted=self.accepted, rejected=self.rejected)
        if imported:
            data.update(
                works_created=self.works_created,
                works_updated=self.works_updated,
                conflicts_opened=self.conflicts_opened,
            )
        data["findings"] = [f.as_dict() for f in self.findings]
        if self.findings_total > len(self.findings):
            data["findings_omitted"] = self.findings_total - len(self.findings)
        return data


def open_source(path: Path) -> CwrSource:
    try:
        return CwrSource(path)
    except CwrSourceError as exc:
        raise ExchangeError(str(exc)) from None


def sender_of(parser: CwrParser, partner: str | None) -> str:
    """Who sent the file: the given partner, else the file name's sender, else the HDR."""
    if partner:
        return partner
    if parser.name is not None:
        return parser.name.sender
    sender_id = parser.header.get("sender_id", "").lstrip("0")
    return sender_id.zfill(3) if sender_id else "UNKNOWN"


def _judge_header(parser: CwrParser) -> None:
    """Add the HDR record's field findings to the file's (the parser checks only structure)."""
    if parser.header_line is None:
        return
    line, raw = parser.header_line
    findings = check_header(raw, line, parser.version, parser.encoding)
    parser.findings[:0] = findings
    if any(f.level == "ER" for f in findings):
        parser.file_rejected = True


def _structure(source: CwrSource) -> CwrParser:
    parser = CwrParser(source, decode=False, keep_records=False)
    for _ in parser.transactions():
        pass
    _judge_header(parser)
    return parser


def validate_file(path: Path, progress: Progress | None = None) -> FileReport:
    """Judge a file without touching the store."""
    source = open_source(path)
    report = FileReport(source.name)
    checked = CheckedFile(source, "?", datetime.now(UTC), with_works=False)
    for tx in checked:
        _count(report, tx)
        if progress is not None:
            progress(source.bytes_read, 0)
    parser = checked.parser
    _judge_header(parser)
    report.version = parser.version
    report.add(parser.findings)
    report.file_rejected = parser.file_rejected
    return report


def _count(report: FileReport, tx: CheckedTransaction) -> None:
    report.transactions += 1
    if tx.rejected:
        report.rejected += 1
    else:
        report.accepted += 1
    report.add(tx.findings)


class CwrImporter:
    """Imports CWR files into one store."""

    def __init__(self, store: Store, partner: str | None = None) -> None:
        self.store = store
        self.partner = partner

    def import_file(self, path: Path, progress: Progress | None = None) -> FileReport:
        source = open_source(path)
        sha = source.sha256()
        report = FileReport(source.name)
        previous = self.store.find_file(sha)
        if previous is not None and previous.state in ("imported", "rejected"):
            report.duplicate_of = previous.id
            report.version = previous.version
            return report

        structure = _structure(source)
        report.version = structure.version
        sender = sender_of(structure, self.partner)
        if structure.file_rejected:
            report.file_rejected = True
            report.add(structure.findings)
            report.transactions = structure.transaction_count
            report.rejected = structure.transaction_count
            entry = previous or self.store.start_file(
                source.name, sha, partner=sender, format="cwr", version=structure.version
            )
            self.store.update_file(entry.id, state="rejected", summary=_summary(report))
            return report
        rejected_groups = {g.id for g in structure.groups if g.rejected}

        entry = previous or self.store.start_file(
            source.name, sha, partner=sender, format="cwr", version=structure.version
        )
        skip = entry.transactions_done
        totals = entry.summary or {}
        report.works_created = totals.get("works_created", 0)
        report.works_updated = totals.get("works_updated", 0)
        report.transactions = totals.get("transactions", 0)
        report.accepted = totals.get("accepted", 0)
        report.rejected = totals.get("rejected", 0)

        content = open_source(path)
        received = datetime.now(UTC)
        checked = CheckedFile(content, sender, received, frozenset(rejected_groups))
        batch: list[CheckedTransaction] = []
        done = 0
        for tx in checked:
            done += 1
            if done <= skip:
                continue
            batch.append(tx)
            if len(batch) >= BATCH:
                self._write(batch, entry.id, sender, done, report, content.name, received)
                batch = []
                if progress is not None:
                    progress(content.bytes_read, 0)
        self._write(batch, entry.id, sender, done, report, content.name, received)
        report.add(structure.findings)
        self.store.update_file(entry.id, state="imported", summary=_summary(report))
        return report

    def _write(
        self,
        batch: list[CheckedTransaction],
        file_id: int,
        sender: str,
        done: int,
        report: FileReport,
        file_name: str,
        received: datetime,
    ) -> None:
        with self.store.connect() as conn:
            writer = self.store.writer(conn, file_id)
            accepted = [
                (tx, Source(sender, file_name, tx.sequence, received, tx.type))
                for tx in batch
                if not tx.rejected and tx.mapped is not None and tx.type != "EXC"
            ]
            _Applier(writer, sender, report).apply(accepted)
            for tx in batch:
                _count(report, tx)
            self.store.update_file(file_id, conn, transactions_done=done, summary=_summary(report))


def _summary(report: FileReport) -> dict[str, Any]:
    return {
        "transactions": report.transactions,
        "accepted": report.accepted,
        "rejected": report.rejected,
        "works_created": report.works_created,
        "works_updated": report.works_updated,
        "findings": report.findings_total,
    }


class _Applier:
    """Applies accepted work transactions of one batch to the store."""

    def __init__(self, writer: WorkWriter, sender: str, report: FileReport) -> None:
        self.writer = writer
        self.conn = writer.conn
        self.sender = sender
        self.report = report
        self.by_number: dict[str, int] = {}
        self.by_iswc: dict[str, int] = {}
        self.pending: list[tuple[Work, Source]] = []
        self.pending_keys: list[tuple[str, str | None]] = []

    def _lookup(self, items: list[tuple[CheckedTransaction, Source]]) -> None:
        mapped = [tx.mapped for tx, _ in items if tx.mapped is not None]
        numbers = list({m.submitter_number for m in mapped if m.submitter_number})
        for chunk in chunks(numbers, 500):
            rows = self.conn.execute(
                select(tables.work_numbers.c.number, tables.work_numbers.c.work_id).where(
                    tables.work_numbers.c.kind == "submitter",
                    tables.work_numbers.c.issuer == self.sender,
                    tables.work_numbers.c.number.in_(chunk),
                )
            )
            self.by_number.update(dict(rows.all()))
        iswcs = list({iswc_id.compact(m.work.iswc) for m in mapped if m.work.iswc})
        for chunk in chunks(iswcs, 500):
            rows = self.conn.execute(
                select(tables.works.c.iswc, tables.works.c.id)
                .where(tables.works.c.iswc.in_(chunk))
                .order_by(tables.works.c.id.desc())
            )
            self.by_iswc.update(dict(rows.all()))

    def _flush(self) -> None:
        if not self.pending:
            return
        ids = self.writer.create_works(self.pending)
        for (number, iswc), work_id in zip(self.pending_keys, ids, strict=True):
            if number:
                self.by_number[number] = work_id
            if iswc:
                self.by_iswc.setdefault(iswc, work_id)
        self.report.works_created += len(ids)
        self.pending, self.pending_keys = [], []

    def _existing(self, mapped: MappedWork) -> tuple[int | None, bool]:
        """(work id, registered by this sender before?) for a mapped work."""
        number = mapped.submitter_number
        iswc = iswc_id.compact(mapped.work.iswc) if mapped.work.iswc else None
        if number in self.by_number:
            return self.by_number[number], True
        if iswc and iswc in self.by_iswc:
            return self.by_iswc[iswc], False
        return None, False

    def apply(self, items: list[tuple[CheckedTransaction, Source]]) -> None:
        self._lookup(items)
        pending: set[str] = set()  # work numbers and ISWCs of works waiting to be created
        for tx, source in items:
            mapped = tx.mapped
            assert mapped is not None
            work = mapped.work
            if work.iswc:
                work.iswc = iswc_id.compact(work.iswc)
            if mapped.submitter_number in pending or (work.iswc and work.iswc in pending):
                self._flush()  # a work of this batch again: create the first one now
                pending.clear()
            work_id, own = self._existing(mapped)
            kind = tx.type
            if kind == "ISW":
                self._notify_iswc(work_id, work, tx, source)
                continue
            if work_id is None:
                if kind == "REV":
                    tx.findings.append(
                        Finding(
                            "FR",
                            "revision of a work not registered before: taken as a new registration",
                            tx.line,
                            "REV",
                            "record_type",
                            "REV",
                            "NWR-T-002",
                        )
                    )
                self.pending.append((work, source))
                self.pending_keys.append((mapped.submitter_number, work.iswc))
                pending.add(mapped.submitter_number)
                if work.iswc:
                    pending.add(work.iswc)
                continue
            if kind == "NWR" and own:
                tx.add(
                    Finding(
                        "TR",
                        f"work {mapped.submitter_number!r} was registered by {self.sender} "
                        "before; send a revision (REV)",
                        tx.line,
                        "NWR",
                        "submitter_work_number",
                        mapped.submitter_number,
                        "NWR-T-013",
                    )
                )
                continue
            self._update(work_id, work, source, replace=own)
        self._flush()

    def _update(self, work_id: int, work: Work, source: Source, *, replace: bool) -> None:
        """Apply a REV (replace this sender's statements) or add claims to a known work."""
        writer = self.writer
        [source_id] = writer.source_ids([source])
        if replace:
            writer.remove_statements(work_id, self.sender, source_id)
            writer.update_works([(work_id, work, source)])
        else:
            current = self.conn.execute(
                select(tables.works.c.title_norm).where(tables.works.c.id == work_id)
            ).scalar_one()
            if normalise_title(work.title) != current:
                work.titles.insert(0, Title(work.title, "OT", work.language))
        writer.add_details([(work_id, work, source, source_id)])
        self.report.works_updated += 1

    def _notify_iswc(
        self, work_id: int | None, work: Work, tx: CheckedTransaction, source: Source
    ) -> None:
        if work_id is None or not work.iswc:
            tx.findings.append(
                Finding(
                    "WARN",
                    "ISWC notification for a work this node does not know; nothing changed",
                    tx.line,
                    "ISW",
                    "submitter_work_number",
                    work.number(self.sender) or "",
                )
            )
            return
        current = self.conn.execute(
            select(tables.works.c.iswc).where(tables.works.c.id == work_id)
        ).scalar_one()
        if current == work.iswc:
            return
        if current:
            tx.findings.append(
                Finding(
                    "WARN",
                    f"notified ISWC {work.iswc} differs from {current} held for work "
                    f"{work_id}; not overwritten",
                    tx.line,
                    "ISW",
                    "iswc",
                    work.iswc,
                )
            )
            return
        self.writer.set_iswc(work_id, work.iswc, self.writer.source_ids([source])[0])
        self.report.works_updated += 1
