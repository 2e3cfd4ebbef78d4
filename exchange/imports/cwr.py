"""Validating and importing CWR files into the store.

Import is two passes over the file, each streaming:

1. the *structure pass* reads only record types, prefixes and control records.
   A file the standard rejects as a whole (ER) changes nothing; groups it
   rejects (GR) are skipped. For a large file it runs in a worker process beside
   the content pass, whose batches stay uncommitted until it has spoken.
2. the *content pass* validates each transaction, matches its work to the store
   (:mod:`exchange.matching`), and writes the accepted ones in batches, with the
   outcome of each transaction (its ACK status) and the conflicts it opens. Each
   batch is one database transaction that also advances the file's ledger entry
   (``transactions_done``), so a crash loses at most the batch in flight, never
   half a work, and a re-run resumes after the last committed batch.

A file whose content (sha256) was imported before is recognised and not
imported again.
"""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, RootTransaction

from adapters.cwr.file_names import FileName
from adapters.cwr.parser import CwrParser
from adapters.cwr.pipeline import (
    PARALLEL_FROM_BYTES,
    CheckedFile,
    drop_broken_pool,
    process_pool,
    worker_count,
)
from adapters.cwr.record_rules import check_header
from adapters.cwr.source import CwrSource, CwrSourceError
from adapters.cwr.transactions import Group
from adapters.cwr.validator import CheckedTransaction
from exchange.errors import ExchangeError
from exchange.imports.batch import BATCH, BatchImporter
from exchange.imports.file_claims import claim_file
from exchange.imports.report import FileReport, Progress, count, duplicate
from exchange.model import Finding
from exchange.store import Store
from exchange.store.ledger import DONE, IMPORTED, REJECTED, FileEntry
from exchange.store.writer import PartyCache


def open_source(path: Path) -> CwrSource:
    try:
        return CwrSource(path)
    except CwrSourceError as exc:
        raise ExchangeError(str(exc)) from None


def sender_of(parser: CwrParser | Structure, partner: str | None) -> str:
    """Who sent the file: the given partner, else the file name's sender, else the HDR."""
    if partner:
        return partner
    if parser.name is not None:
        return parser.name.sender
    sender_id = parser.header.get("sender_id", "").lstrip("0")
    return sender_id.zfill(3) if sender_id else "UNKNOWN"


def judge_header(parser: CwrParser) -> None:
    """Add the HDR record's field findings to the file's (the parser checks only structure)."""
    if parser.header_line is None or parser.unsupported:
        return
    line, raw = parser.header_line
    findings = check_header(raw, line, parser.version, parser.encoding)
    parser.findings[:0] = findings
    if any(f.level == "ER" for f in findings):
        parser.file_rejected = True


@dataclass(slots=True)
class Structure:
    """What the structure pass found: enough to decide what of the file may be stored."""

    version: str
    header: dict[str, str]
    name: FileName | None
    file_rejected: bool
    findings: list[Finding]
    groups: list[Group]
    transaction_count: int
    unsupported: str | None = None
    #: the walk found nothing to say of the file's structure or of a transaction's (the
    #: HDR's fields aside): scanning the file for its transactions finds them all
    sound: bool = False

    @property
    def rejects_something(self) -> bool:
        return self.file_rejected or any(g.rejected for g in self.groups)


def _structure(source: CwrSource) -> Structure:
    parser = CwrParser(source, decode=False, keep_records=False)
    quiet = True
    for tx in parser.transactions():
        quiet = quiet and not tx.findings
    sound = quiet and not parser.findings and not parser.file_rejected
    judge_header(parser)
    return Structure(
        parser.version,
        parser.header,
        parser.name,
        parser.file_rejected,
        parser.findings,
        parser.groups,
        parser.transaction_count,
        parser.unsupported,
        sound,
    )


def _structure_of(path: str) -> Structure:
    """In a worker process: the structure pass over a file."""
    return _structure(CwrSource(Path(path)))


def head_of(source: CwrSource) -> CwrParser:
    """A parser that has read the HDR only: version, header fields, file name."""
    parser = CwrParser(source, decode=False, keep_records=False)
    walk = parser.transactions()
    next(walk, None)
    walk.close()
    return parser


class _Pending:
    """Batches written in one database transaction while the structure pass runs in a
    worker: committed once it finds the file sound, else rolled back (and
    :class:`_Rejects` raised, for the import to start again knowing the structure).
    Meanwhile the transactions are only scanned for (:func:`scan_transactions`).
    """

    def __init__(self, store: Store, ahead: Future[Structure], path: Path) -> None:
        self.store = store
        self.ahead = ahead
        self.path = path
        self.structure: Structure | None = None
        self._conn: Connection | None = None
        self._transaction: RootTransaction | None = None

    def connection(self) -> Connection:
        if self._conn is None:
            self._conn = self.store.engine.connect()
            self._transaction = self._conn.begin()
        return self._conn

    def settled(self, wait: bool) -> bool:
        """Whether the structure is known (and what was written committed)."""
        if self.structure is not None:
            return True
        if not wait and not self.ahead.done():
            return False
        try:
            structure = self.ahead.result()  # a CwrSourceError from the worker goes on up
        except BrokenProcessPool:  # the worker died (memory?): do the pass here
            drop_broken_pool()
            structure = _structure(open_source(self.path))
        if not structure.sound:  # the transactions were only scanned for: walk the file
            self.close()
            raise _Rejects(structure)
        if self._transaction is not None:
            self._transaction.commit()
        self.close()
        self.structure = structure
        return True

    def close(self) -> None:
        """Roll back what is not committed."""
        if self._conn is not None:
            self._conn.close()  # rolls back a transaction still open
            self._conn = self._transaction = None


class _Rejects(Exception):
    """The structure pass, done beside the content pass, rejects part of the file or
    has something to say of it: the import starts again, walking the file."""

    def __init__(self, structure: Structure) -> None:
        self.structure = structure


def validate_file(path: Path, progress: Progress | None = None) -> FileReport:
    """Judge a file without touching the store."""
    source = open_source(path)
    report = FileReport(source.name)
    checked = CheckedFile(source, "?", datetime.now(UTC), with_works=False)
    accepted_in: dict[int, int] = {}  # accepted transactions by group id
    for tx in checked:
        count(report, tx)
        if not tx.rejected:
            accepted_in[tx.group_id] = accepted_in.get(tx.group_id, 0) + 1
        if progress is not None:
            progress(source.bytes_read, 0)
    parser = checked.parser
    judge_header(parser)
    report.version = parser.version
    report.add(parser.findings)
    report.file_rejected = parser.file_rejected
    report.unsupported = parser.unsupported
    # as an import counts: nothing of a rejected file or group is accepted, and a
    # rejected file counts every transaction begun, read to its end or not
    if parser.file_rejected:
        report.transactions = report.rejected = parser.transaction_count
        report.accepted = 0
        return report
    refused = sum(accepted_in.get(g, 0) for g in {g.id for g in parser.groups if g.rejected})
    report.accepted -= refused
    report.rejected += refused
    return report


class CwrImporter(BatchImporter):
    """Imports CWR files into one store."""

    def import_file(self, path: Path, progress: Progress | None = None) -> FileReport:
        source = open_source(path)
        sha = source.sha256()
        previous = self.store.find_file(sha)
        if previous is not None and previous.state in DONE:
            return duplicate(source.name, previous)
        head = head_of(source)
        here = source.size < PARALLEL_FROM_BYTES or worker_count() < 1
        # a small file is read through before it gets a ledger entry: one found unreadable
        # leaves none (a large one, read beside the import, is marked failed)
        known = _structure(source) if here else None
        claim = claim_file(
            self.store,
            sha,
            name=source.name,
            partner=sender_of(head, self.partner),
            format="cwr",
            version=head.version,
        )
        with claim:
            if claim.entry is None:
                assert claim.done is not None
                return duplicate(source.name, claim.done)
            entry = claim.entry
            if known is not None:
                return self._import(path, entry, known, progress)
            # A large file: the structure pass runs in a worker beside the content pass,
            # whose first batches wait uncommitted until it finds the file sound.
            ahead = process_pool(worker_count()).submit(_structure_of, str(source.path))
            try:
                return self._import(path, entry, ahead, progress)
            except _Rejects as rejects:
                again = self.store.get_file(entry.id)
                assert again is not None
                return self._import(path, again, rejects.structure, progress)

    def _import(
        self,
        path: Path,
        entry: FileEntry,
        structure: Structure | Future[Structure],
        progress: Progress | None,
    ) -> FileReport:
        source = open_source(path)
        report = FileReport(source.name, version=entry.version)
        self.parties = PartyCache()  # ids of parties this import's batches made
        known = structure if isinstance(structure, Structure) else None
        head = head_of(source)
        sender = entry.partner or sender_of(head, self.partner)
        if known is not None and known.file_rejected:
            report.file_rejected = True
            report.unsupported = known.unsupported
            report.add(known.findings)
            report.transactions = known.transaction_count
            report.rejected = known.transaction_count
            self.store.update_file(entry.id, state=REJECTED, summary=report.summary())
            return report
        rejected_groups = frozenset(g.id for g in known.groups if g.rejected) if known else None
        self.group_findings = _group_findings(known) if known else {}

        skip = self.resume(report, entry)

        received = datetime.now(UTC)
        pending = (
            None if isinstance(structure, Structure) else _Pending(self.store, structure, path)
        )
        checked = CheckedFile(
            source,
            sender,
            received,
            rejected_groups or frozenset(),
            head=head if pending is not None else None,
        )

        def write(batch: list[CheckedTransaction], done: int) -> None:
            if pending is not None and not pending.settled(wait=False):
                self._write(pending.connection(), batch, entry.id, sender, done, report, received)
                return
            with self.store.connect() as conn:
                self._write(conn, batch, entry.id, sender, done, report, received)

        try:
            batch: list[CheckedTransaction] = []
            done = 0
            for tx in checked:
                done += 1
                if done <= skip:
                    continue
                batch.append(tx)
                if len(batch) >= BATCH:
                    write(batch, done)
                    batch = []
                    if progress is not None:
                        progress(source.bytes_read, 0)
            write(batch, done)
            if pending is not None:
                pending.settled(wait=True)
                known = pending.structure
        finally:
            if pending is not None:
                pending.close()
        assert known is not None
        report.add(known.findings)
        self.store.update_file(entry.id, state=IMPORTED, summary=report.summary())
        return report


def _group_findings(parser: Structure) -> dict[int, list[Finding]]:
    """The findings that reject each rejected group, by group id."""
    found: dict[int, list[Finding]] = {}
    groups = sorted(parser.groups, key=lambda g: g.line)
    for finding in parser.findings:
        if finding.level != "GR" or finding.line is None:
            continue
        owner = None
        for group in groups:
            if group.line <= finding.line:
                owner = group
        if owner is not None and owner.rejected:
            found.setdefault(owner.id, []).append(finding)
    return found
