"""Importing partners' ACK files: what sister societies say of our registrations.

Each ACK transaction is matched to our work by its submitter creation number
(the number our exports wrote: our own work number, else the local id) and
recorded as a registration: the partner's status, date and messages, in a
history (RA first, then AS/AC/RJ/NP/CO... later). The partner's work number
(recipient creation number) becomes a society number of the work, which CWR
2.2 exports write as XRF. An ISWC the partner gives (in the echoed NWR/REV or
in an ISW group) is taken when we have none; one that differs from ours opens
a conflict and is never written over ours. An ACK for a work number we do not
know is recorded without a work and reported.

Real ACK files often break the structure rules (wrong control counts, a group
per original type, no echo). They are read anyway, even when a file-level (ER)
error would reject a registration file as a whole: the findings are reported,
a note (WARN) says the file was read despite them, and every ACK transaction
whose ACK record can be read is taken.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime, timedelta
from itertools import chain
from pathlib import Path

from sqlalchemy import insert, select

from adapters.cwr.ack import HELD, PartnerAck, read_ack
from adapters.cwr.layout import field_slice, record_prefix
from adapters.cwr.parser import CwrParser
from adapters.cwr.records import date_or_none, number_or_none
from adapters.cwr.source import CwrSource, CwrSourceError
from adapters.cwr.transactions import Transaction
from adapters.cwr.validator import CheckedTransaction, check_transaction
from exchange.errors import ExchangeError
from exchange.identifiers import iswc as iswc_id
from exchange.imports.apply import DEADLINE_DAYS
from exchange.imports.batch import BatchImporter
from exchange.imports.cwr import judge_header, open_source, sender_of
from exchange.imports.file_claims import claim_file
from exchange.imports.report import FileReport, Progress, duplicate
from exchange.model import Finding, Source, WorkNumber
from exchange.store import Store, conflicts, tables
from exchange.store.database import row_id
from exchange.store.ledger import DONE, IMPORTED
from exchange.store.writer import WorkWriter

BATCH = 500
#: Statuses of CWR 2.x and 3.x transaction status tables (2.x files carry some 3.x ones).
KNOWN_STATUSES = frozenset(
    {"CO", "DU", "RA", "AS", "AC", "SR", "CR", "RJ", "NP", "RC", "DR", "UN", "LD", "NA", "WA"}
)


def is_ack_file(source: CwrSource) -> bool:
    """Whether a CWR file is an acknowledgement file (its first group is ACK)."""
    record_type, group_type = record_prefix().record_type, field_slice("GRH", "transaction_type")
    try:
        with closing(source.lines()) as lines:
            for number, line in lines:
                if line[record_type] == b"GRH":
                    return line[group_type] == b"ACK"
                if number >= 5:
                    break
    except CwrSourceError as exc:
        raise ExchangeError(str(exc)) from None
    return False


def ignored(tx: Transaction, checked: CheckedTransaction) -> Finding | None:
    """Why a transaction of an acknowledgement file is not taken (None: it is taken).

    Taken: an ACK that gives a transaction status, and an ISW that names a work;
    what else breaks the rules is reported but does not keep the answer out.
    """
    if tx.type == "ACK":
        if tx.header["transaction_status"].strip():
            return None
        message = "an ACK without a transaction status; ignored"
        return Finding("WARN", message, tx.header.line, "ACK", "transaction_status", "")
    if tx.type == "ISW" and checked.mapped is not None:
        return None
    message = f"a {tx.type} transaction in an acknowledgement file; ignored"
    return Finding("WARN", message, tx.header.line, tx.type)


def validate_ack_file(path: Path, progress: Progress | None = None) -> FileReport:
    """Judge a partner's ACK file without touching the store, counting as an import does."""
    parser = CwrParser(open_source(path))
    report = FileReport(parser.source.name, format="ack")
    for tx in parser.transactions():
        checked = check_transaction(tx, parser.version, parser.encoding, "?")
        report.transactions += 1
        report.add(checked.findings)
        note = ignored(tx, checked)
        if note is None:
            report.accepted += 1
        else:
            report.rejected += 1
            report.add([note])
        if progress is not None:
            progress(parser.source.bytes_read, 0)
    judge_header(parser)
    report.version = parser.version
    report.add(parser.findings)
    # as the import: the answers of a file that breaks the rules are taken all the same
    report.file_rejected = parser.file_rejected and not report.transactions
    report.unsupported = parser.unsupported
    return report


class AckImporter:
    """Imports partners' ACK files into one store."""

    def __init__(
        self,
        store: Store,
        own: str | None,
        partner: str | None = None,
        deadline_days: Callable[[str], int] | None = None,
    ) -> None:
        self.deadline_days = deadline_days or (lambda _partner: DEADLINE_DAYS)
        self.store = store
        #: our code: the issuer of the work numbers our exports write
        self.own = own
        self.partner = partner

    def import_file(self, path: Path, progress: Progress | None = None) -> FileReport:
        source = open_source(path)
        sha = source.sha256()
        previous = self.store.find_file(sha)
        if previous is not None and previous.state in DONE:
            return duplicate(source.name, previous)
        parser = CwrParser(open_source(path))
        transactions = parser.transactions()
        first = next(transactions, None)
        report = FileReport(source.name, format="ack", version=parser.version)
        if first is None:  # not one transaction: nothing to record
            judge_header(parser)
            report.add(parser.findings)
            report.file_rejected = parser.file_rejected
            report.unsupported = parser.unsupported
            return report
        partner = sender_of(parser, self.partner)
        claim = claim_file(
            self.store, sha, name=source.name, partner=partner, format="ack", version=parser.version
        )
        with claim:
            if claim.entry is None:
                assert claim.done is not None
                return duplicate(source.name, claim.done)
            entry = claim.entry
            skip = BatchImporter.resume(report, entry)
            batch: list[Transaction] = []
            received = datetime.now(UTC)
            done = 0
            for tx in chain([first], transactions):
                done += 1
                if done <= skip:
                    continue
                batch.append(tx)
                if len(batch) >= BATCH:
                    self._write(batch, entry.id, partner, done, report, received, parser.encoding)
                    batch = []
                    if progress is not None:
                        progress(parser.source.bytes_read, 0)
            judge_header(parser)
            report.version = parser.version
            self._write(batch, entry.id, partner, done, report, received, parser.encoding)
            report.add(parser.findings)
            report.add(_read_despite(parser.findings))
            self.store.update_file(entry.id, state=IMPORTED, summary=report.summary())
            return report

    def _write(
        self,
        batch: list[Transaction],
        file_id: int,
        partner: str,
        done: int,
        report: FileReport,
        received: datetime,
        encoding: str,
    ) -> None:
        version = report.version or "2.1"
        with self.store.connect() as conn:
            writer = self.store.writer(conn, file_id)
            deadline = received + timedelta(days=self.deadline_days(partner))
            applier = _AckApplier(writer, self.own, partner, report, received, deadline)
            for tx in batch:
                checked = check_transaction(tx, version, encoding, partner)
                report.transactions += 1
                report.add(checked.findings)
                note = ignored(tx, checked)
                if note is not None:
                    report.rejected += 1
                    report.add([note])
                elif tx.type == "ACK":
                    applier.acknowledgement(read_ack(tx, self.own or partner), tx)
                else:
                    assert checked.mapped is not None
                    work = checked.mapped.work
                    applier.notification(checked.mapped.submitter_number, work.iswc, tx)
            self.store.update_file(file_id, conn, transactions_done=done, summary=report.summary())


def _read_despite(findings: list[Finding]) -> list[Finding]:
    """The note that says an ACK file was read although the standard rejects it as a whole."""
    errors = [f for f in findings if f.level == "ER"]
    if not errors:
        return []
    first = errors[0]
    message = (
        f"ACK read despite {len(errors)} file-level error(s) (first: {first.message}): "
        "a partner's answers are recorded even from a file CWR rejects as a whole"
    )
    return [Finding("WARN", message, first.line, first.record)]


class _AckApplier:
    """Records the ACK transactions of one batch."""

    def __init__(
        self,
        writer: WorkWriter,
        own: str | None,
        partner: str,
        report: FileReport,
        received: datetime,
        deadline: datetime,
    ) -> None:
        self.deadline = deadline
        self.writer = writer
        self.conn = writer.conn
        self.own = own
        self.partner = partner
        self.report = report
        self.received = received

    def _work_id(self, number: str) -> int | None:
        """Our work with this submitter number: our own number, else the local id."""
        if not number:
            return None
        n = tables.work_numbers
        if self.own:
            found = self.conn.execute(
                select(n.c.work_id).where(
                    n.c.kind == "submitter", n.c.issuer == self.own, n.c.number == number
                )
            ).scalar()
            if found is not None:
                return found
        local_id = row_id(number)
        if local_id is not None:
            w = tables.works
            return self.conn.execute(select(w.c.id).where(w.c.id == local_id)).scalar()
        return None

    def _note(self, message: str, tx: Transaction, field: str, value: str) -> None:
        self.report.add([Finding("WARN", message, tx.header.line, tx.type, field, value)])

    def _source_id(self, tx: Transaction) -> int | None:
        source = Source(self.partner, self.report.file, tx.sequence, self.received, tx.type)
        return self.writer.source_ids([source])[0]

    def acknowledgement(self, ack: PartnerAck, tx: Transaction) -> None:
        status, number = ack.status, ack.submitter_number
        self.report.accepted += 1
        self.report.statuses[status] = self.report.statuses.get(status, 0) + 1
        if status not in KNOWN_STATUSES:
            self._note(f"unknown transaction status {status!r}", tx, "transaction_status", status)
        work_id = self._work_id(number)
        if work_id is None:
            self._note(
                f"ACK for work number {number!r}, which this node does not know: "
                "recorded without a work",
                tx,
                "submitter_creation_number",
                number,
            )
        iswc = ack.work.iswc if ack.work is not None else None
        iswc = iswc_id.compact(iswc) if iswc and iswc_id.is_valid(iswc) else None
        values = ack.values
        self.conn.execute(
            insert(tables.registrations).values(
                work_id=work_id,
                partner=self.partner,
                submitter_number=number[:20],
                society_number=ack.recipient_number[:20] or None,
                title=values.get("creation_title", "").strip()[:60] or None,
                status=status[:2],
                processed_on=date_or_none(values.get("processing_date", "")),
                original_type=values.get("original_transaction_type", "").strip() or None,
                original_created=(
                    values.get("creation_date", "") + values.get("creation_time", "")
                ).strip()
                or None,
                original_group=number_or_none(values.get("original_group_id", "")),
                original_seq=number_or_none(values.get("original_transaction_sequence", "")),
                iswc=iswc,
                messages=ack.messages or None,
                file_id=self.writer.file_id,
                received_at=self.received,
            )
        )
        if work_id is None:
            return
        if ack.recipient_number and status in HELD:
            number_held = WorkNumber(self.partner, ack.recipient_number, "society")
            if not self.writer.add_number(work_id, number_held, self._source_id(tx)):
                self._known_number(work_id, number_held, tx)
        if iswc:
            self._iswc(work_id, iswc, tx)
        self.report.works_updated += 1

    def _known_number(self, work_id: int, number: WorkNumber, tx: Transaction) -> None:
        n = tables.work_numbers
        holder = self.conn.execute(
            select(n.c.work_id).where(
                n.c.kind == "society", n.c.issuer == number.issuer, n.c.number == number.number
            )
        ).scalar()
        if holder not in (None, work_id):
            self._note(
                f"{number.issuer} work number {number.number} is held by work {holder}, "
                f"not by work {work_id}; not moved",
                tx,
                "recipient_creation_number",
                number.number,
            )

    def notification(self, number: str, iswc: str | None, tx: Transaction) -> None:
        """An ISW transaction: the ISWC of one of our works."""
        self.report.accepted += 1
        work_id = self._work_id(number)
        if work_id is None or not iswc:
            self._note(
                f"ISWC notification for work number {number!r}, which this node does not "
                "know; nothing changed",
                tx,
                "submitter_work_number",
                number,
            )
            return
        self._iswc(work_id, iswc_id.compact(iswc), tx)

    def _iswc(self, work_id: int, iswc: str, tx: Transaction) -> None:
        """Take a partner's ISWC for a work without one; a different one is a conflict."""
        held = self.conn.execute(
            select(tables.works.c.iswc).where(tables.works.c.id == work_id)
        ).scalar_one()
        if held == iswc:
            return
        source_id = self._source_id(tx)
        if held is None:
            self.writer.set_iswc(work_id, iswc, source_id)
            return
        new = conflicts.open_iswc_conflict(
            self.conn, work_id, self.partner, held, iswc, source_id, self.deadline
        )
        self.report.conflicts_opened += new
        self._note(
            f"{self.partner} gives ISWC {iswc} for work {work_id}, which has {held}: "
            "kept ours, conflict opened",
            tx,
            "iswc",
            iswc,
        )
