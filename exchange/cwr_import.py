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

from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, RootTransaction, select

from adapters.cwr.parser import CwrParser, FileName, Group
from adapters.cwr.pipeline import PARALLEL_FROM_BYTES, CheckedFile, process_pool, worker_count
from adapters.cwr.reader import MappedWork
from adapters.cwr.source import CwrSource, CwrSourceError
from adapters.cwr.validator import CheckedTransaction, check_header
from exchange.conflicts import record_work_conflicts, works_with_claims
from exchange.errors import ExchangeError
from exchange.identifiers import iswc as iswc_id
from exchange.jsonview import claim_view
from exchange.matching import Match, Matcher
from exchange.model import Finding, Source, Title, Work
from exchange.normalise import normalise_name, normalise_title
from exchange.store import FileEntry, Store, conflicts, tables
from exchange.store.bulk import insert_rows
from exchange.store.rows import chunks, now
from exchange.store.writer import PartyCache, WorkWriter

BATCH = 2000
#: Days a conflict may stay unresolved unless the configuration says otherwise.
DEADLINE_DAYS = 60
#: Statuses of a transaction whose content the store holds.
ACCEPTED = ("AS", "AC", "CO", "DU", "NP")
WORK_TYPES = frozenset({"NWR", "REV", "ISW"})
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
    matches_queued: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
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
                matches_queued=self.matches_queued,
                statuses=dict(sorted(self.statuses.items())),
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
    if parser.header_line is None:
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

    @property
    def rejects_something(self) -> bool:
        return self.file_rejected or any(g.rejected for g in self.groups)


def _structure(source: CwrSource) -> Structure:
    parser = CwrParser(source, decode=False, keep_records=False)
    for _ in parser.transactions():
        pass
    judge_header(parser)
    return Structure(
        parser.version,
        parser.header,
        parser.name,
        parser.file_rejected,
        parser.findings,
        parser.groups,
        parser.transaction_count,
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
    worker: committed once it says nothing of the file is rejected, else rolled back
    (and :class:`_Rejects` raised, for the import to start again knowing the structure).
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
            structure = self.ahead.result()
        except CwrSourceError as exc:
            raise ExchangeError(str(exc)) from None
        except BrokenProcessPool:  # the worker died (memory?): do the pass here
            structure = _structure(open_source(self.path))
        if structure.rejects_something:
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
    """The structure pass, done beside the content pass, rejects part of the file."""

    def __init__(self, structure: Structure) -> None:
        self.structure = structure


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
    judge_header(parser)
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

    def __init__(
        self,
        store: Store,
        partner: str | None = None,
        society: str | None = None,
        deadline_days: Callable[[str], int] | None = None,
        thresholds: tuple[int, int] | None = (95, 80),
    ) -> None:
        self.store = store
        self.partner = partner
        #: our own society code: a work without any of its members is answered NP
        self.society = society
        #: days a conflict a partner brings in may stay unresolved
        self.deadline_days = deadline_days or (lambda _partner: DEADLINE_DAYS)
        #: match scores: (certain, review), see exchange.matching; None: ISWCs and the
        #: sender's own numbers only
        self.thresholds = thresholds
        self.group_findings: dict[int, list[Finding]] = {}
        self.parties = PartyCache()

    def import_file(self, path: Path, progress: Progress | None = None) -> FileReport:
        source = open_source(path)
        sha = source.sha256()
        previous = self.store.find_file(sha)
        if previous is not None and previous.state in ("imported", "rejected"):
            report = FileReport(source.name, duplicate_of=previous.id, version=previous.version)
            return report
        if source.size < PARALLEL_FROM_BYTES or worker_count() < 1:
            return self._import(path, sha, previous, _structure(source), progress)
        # A large file: the structure pass runs in a worker beside the content pass,
        # whose first batches wait uncommitted until it says nothing is rejected.
        ahead = process_pool(worker_count()).submit(_structure_of, str(source.path))
        try:
            return self._import(path, sha, previous, ahead, progress)
        except _Rejects as rejects:
            entry = self.store.find_file(sha)
            return self._import(path, sha, entry, rejects.structure, progress)

    def _import(
        self,
        path: Path,
        sha: str,
        previous: FileEntry | None,
        structure: Structure | Future[Structure],
        progress: Progress | None,
    ) -> FileReport:
        source = open_source(path)
        report = FileReport(source.name)
        self.parties = PartyCache()  # ids of parties this import's batches made
        known = structure if isinstance(structure, Structure) else None
        head: Structure | CwrParser = known or head_of(source)
        report.version = head.version
        sender = sender_of(head, self.partner)
        entry = previous or self.store.start_file(
            source.name, sha, partner=sender, format="cwr", version=head.version
        )
        if known is not None and known.file_rejected:
            report.file_rejected = True
            report.add(known.findings)
            report.transactions = known.transaction_count
            report.rejected = known.transaction_count
            self.store.update_file(entry.id, state="rejected", summary=_summary(report))
            return report
        rejected_groups = frozenset(g.id for g in known.groups if g.rejected) if known else None
        self.group_findings = _group_findings(known) if known else {}

        skip = entry.transactions_done
        totals = entry.summary or {}
        report.works_created = totals.get("works_created", 0)
        report.works_updated = totals.get("works_updated", 0)
        report.transactions = totals.get("transactions", 0)
        report.accepted = totals.get("accepted", 0)
        report.rejected = totals.get("rejected", 0)
        report.conflicts_opened = totals.get("conflicts_opened", 0)
        report.matches_queued = totals.get("matches_queued", 0)
        report.statuses = dict(totals.get("statuses", {}))

        received = datetime.now(UTC)
        checked = CheckedFile(source, sender, received, rejected_groups or frozenset())
        pending = (
            None if isinstance(structure, Structure) else _Pending(self.store, structure, path)
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
        self.store.update_file(entry.id, state="imported", summary=_summary(report))
        return report

    def _write(
        self,
        conn: Connection,
        batch: list[CheckedTransaction],
        file_id: int,
        sender: str,
        done: int,
        report: FileReport,
        received: datetime,
    ) -> None:
        file_name = report.file
        writer = self.store.writer(conn, file_id, self.parties)
        sources = [Source(sender, file_name, tx.sequence, received, tx.type) for tx in batch]
        deadline = now() + timedelta(days=self.deadline_days(sender))
        matcher = Matcher(conn, *self.thresholds) if self.thresholds else None
        applier = Applier(writer, sender, report, self.society, deadline, matcher)
        outcomes = applier.apply(list(zip(batch, sources, strict=True)))
        for outcome in outcomes:
            outcome.group_findings = self.group_findings.get(outcome.tx.group_id, [])
        insert_rows(conn, tables.transaction_outcomes, [o.row(file_id) for o in outcomes])
        for tx in batch:
            _count(report, tx)
        for outcome in outcomes:
            report.statuses[outcome.status] = report.statuses.get(outcome.status, 0) + 1
        self.store.update_file(file_id, conn, transactions_done=done, summary=_summary(report))


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


def _summary(report: FileReport) -> dict[str, Any]:
    return {
        "transactions": report.transactions,
        "accepted": report.accepted,
        "rejected": report.rejected,
        "works_created": report.works_created,
        "works_updated": report.works_updated,
        "conflicts_opened": report.conflicts_opened,
        "matches_queued": report.matches_queued,
        "statuses": report.statuses,
        "findings": report.findings_total,
    }


#: Transaction types that the ACK we send answers.
ACKNOWLEDGED = frozenset({"NWR", "REV", "AGR"})


@dataclass(slots=True)
class Outcome:
    """What the import made of one received transaction (what its ACK will say)."""

    tx: CheckedTransaction
    status: str  # RJ, AS, AC, CO, DU, NP (transaction status table)
    submitter_number: str | None = None
    title: str | None = None
    work_id: int | None = None
    conflict_work_id: int | None = None
    #: the findings that rejected the transaction's whole group, if it was
    group_findings: list[Finding] = field(default_factory=list)

    def row(self, file_id: int) -> dict[str, Any]:
        findings = self.group_findings + self.tx.findings
        messages = [f.as_dict() for f in findings[:MAX_MESSAGES]]
        return {
            "file_id": file_id,
            "group_id": self.tx.group_id,
            "transaction_seq": self.tx.sequence,
            "transaction_type": self.tx.type,
            "submitter_number": (self.submitter_number or "")[:20] or None,
            "title": (self.title or "")[:60] or None,
            "work_id": self.work_id,
            "status": self.status,
            "digest": self.tx.digest or None,
            "messages": messages or None,
            "conflict_work_id": self.conflict_work_id,
        }


#: Messages kept per transaction outcome (an ACK carries at most these).
MAX_MESSAGES = 200


class Applier:
    """Applies the transactions of one batch to the store and says what became of each."""

    def __init__(
        self,
        writer: WorkWriter,
        sender: str,
        report: FileReport,
        society: str | None,
        deadline: datetime,
        matcher: Matcher | None = None,
    ) -> None:
        self.deadline = deadline
        self.writer = writer
        self.conn = writer.conn
        self.sender = sender
        self.report = report
        self.society = society
        self.by_number: dict[str, int] = {}
        self.by_iswc: dict[str, int] = {}
        self.digests: dict[str, str] = {}  # the sender's last accepted content per work number
        self.pending: list[tuple[Work, Source]] = []
        self.pending_keys: list[tuple[str, str | None]] = []
        self.pending_outcomes: list[Outcome] = []
        #: works that this batch added claims to, with the outcomes that did it
        self.updated: dict[int, list[Outcome]] = {}
        self.matcher = matcher
        self.matched: dict[int, Match] = {}  # by id() of the mapped work

    def _lookup(self, items: list[tuple[CheckedTransaction, Source]]) -> None:
        mapped = [tx.mapped for tx, _ in items if tx.mapped is not None]
        numbers = list({m.submitter_number for m in mapped if m.submitter_number})
        n, o, f = tables.work_numbers, tables.transaction_outcomes, tables.files
        for chunk in chunks(numbers, 500):
            rows = self.conn.execute(
                select(n.c.number, n.c.work_id).where(
                    n.c.kind == "submitter", n.c.issuer == self.sender, n.c.number.in_(chunk)
                )
            )
            self.by_number.update(dict(rows.all()))
            rows = self.conn.execute(
                select(o.c.submitter_number, o.c.digest)
                .join(f, f.c.id == o.c.file_id)
                .where(
                    f.c.partner == self.sender,
                    o.c.submitter_number.in_(chunk),
                    o.c.status.in_(ACCEPTED),
                )
                .order_by(o.c.id)
            )
            self.digests.update(dict(rows.all()))
        iswcs = list({iswc_id.compact(m.work.iswc) for m in mapped if m.work.iswc})
        for chunk in chunks(iswcs, 500):
            rows = self.conn.execute(
                select(tables.works.c.iswc, tables.works.c.id)
                .where(tables.works.c.iswc.in_(chunk))
                .order_by(tables.works.c.id.desc())
            )
            self.by_iswc.update(dict(rows.all()))
        if self.matcher is None:
            return
        unknown = [
            m
            for m in mapped
            if m.submitter_number not in self.by_number
            and not (m.work.iswc and iswc_id.compact(m.work.iswc) in self.by_iswc)
        ]
        found = self.matcher.match_many([(m.work, self.sender) for m in unknown])
        self.matched = {id(m): match for m, match in zip(unknown, found, strict=True) if match}

    def _flush(self) -> None:
        if not self.pending:
            return
        ids = self.writer.create_works(self.pending)
        for (number, iswc), work_id, outcome in zip(
            self.pending_keys, ids, self.pending_outcomes, strict=True
        ):
            if number:
                self.by_number[number] = work_id
            if iswc:
                self.by_iswc.setdefault(iswc, work_id)
            outcome.work_id = work_id
        self.report.works_created += len(ids)
        self.pending, self.pending_keys, self.pending_outcomes = [], [], []

    def _existing(self, mapped: MappedWork) -> tuple[int | None, bool, Match | None]:
        """(work id, registered by this sender before?, an uncertain match) for a mapped work."""
        number = mapped.submitter_number
        iswc = iswc_id.compact(mapped.work.iswc) if mapped.work.iswc else None
        if number in self.by_number:
            return self.by_number[number], True, None
        if iswc and iswc in self.by_iswc:
            return self.by_iswc[iswc], False, None
        match = self.matched.get(id(mapped))
        if match is not None and self.matcher is not None:
            if match.score >= self.matcher.certain:
                return match.work_id, False, None
            return None, False, match
        return None, False, None

    def apply(self, items: list[tuple[CheckedTransaction, Source]]) -> list[Outcome]:
        """Store what is accepted; the outcome of every transaction that an ACK answers."""
        self._lookup([(tx, s) for tx, s in items if not tx.rejected])
        outcomes: list[Outcome] = []
        pending: set[str] = set()  # work numbers and ISWCs of works waiting to be created
        for tx, source in items:
            mapped = tx.mapped
            outcome = Outcome(tx, "RJ")
            if mapped is not None:
                outcome.submitter_number = mapped.submitter_number
                outcome.title = mapped.work.title
            if tx.type in ACKNOWLEDGED:
                outcomes.append(outcome)
            if tx.rejected or mapped is None or tx.type not in WORK_TYPES:
                if tx.type == "AGR" and not tx.rejected:
                    outcome.status = "NP"
                    tx.findings.append(
                        Finding("WARN", "agreements are not kept by this node", tx.line, "AGR")
                    )
                continue
            work = mapped.work
            if work.iswc:
                work.iswc = iswc_id.compact(work.iswc)
            if mapped.submitter_number in pending or (work.iswc and work.iswc in pending):
                self._flush()  # a work of this batch again: create the first one now
                pending.clear()
            work_id, own, uncertain = self._existing(mapped)
            kind = tx.type
            if kind == "ISW":
                self._notify_iswc(work_id, work, tx, source)
                continue
            if own and self.digests.get(mapped.submitter_number) == tx.digest:
                outcome.status, outcome.work_id = "DU", work_id
                tx.findings.append(
                    Finding(
                        "WARN",
                        f"the same registration of work {mapped.submitter_number!r} was "
                        "received before; nothing changed",
                        tx.line,
                        kind,
                        "submitter_work_number",
                        mapped.submitter_number,
                    )
                )
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
            self.digests[mapped.submitter_number] = tx.digest
            outcome.status = self._status(tx, work)
            if uncertain is not None:
                self._queue(work, tx, source, uncertain, outcome)
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
                    outcome.status = self._status(tx, work)
                self.pending.append((work, source))
                self.pending_keys.append((mapped.submitter_number, work.iswc))
                self.pending_outcomes.append(outcome)
                pending.add(mapped.submitter_number)
                if work.iswc:
                    pending.add(work.iswc)
                continue
            outcome.work_id = work_id
            if self._update(work_id, work, tx, source, replace=own):
                outcome.status, outcome.conflict_work_id = "CO", work_id
            self.updated.setdefault(work_id, []).append(outcome)
        self._flush()
        self._find_conflicts()
        self._renamed_parties(outcomes)
        return outcomes

    def _renamed_parties(self, outcomes: list[Outcome]) -> None:
        """A known IPI name number under another name: an identity conflict on the work."""
        renamed, self.writer.renamed = self.writer.renamed, []
        by_work = {o.work_id: o for o in outcomes if o.work_id is not None}
        for work_id, claim, held in renamed:
            ipi = claim.party.ipi_name_number
            name = normalise_name(claim.party.name)
            _, new = conflicts.open_conflict(
                self.conn,
                kind="identity",
                key=f"identity:name:{ipi}:{name}",
                work_id=work_id,
                partner=self.sender,
                detail={
                    "message": f"{self.sender} names IPI {ipi} {claim.party.name!r}; "
                    f"the store knows it as {held!r}",
                    "ipi_name_number": ipi,
                    "held": held,
                    "received": name,
                },
                claims=[claim_view(claim)],
                deadline=self.deadline,
            )
            self.report.conflicts_opened += new
            outcome = by_work.get(work_id)
            if new and outcome is not None and outcome.status in ("AS", "AC", "NP"):
                outcome.status, outcome.conflict_work_id = "CO", work_id

    def _queue(
        self, work: Work, tx: CheckedTransaction, source: Source, match: Match, outcome: Outcome
    ) -> None:
        """An uncertain match: the work waits for a person rather than being duplicated."""
        [match_id] = self.writer.queue_match(work, source, match)
        outcome.status = "RA"
        self.report.matches_queued += 1
        tx.findings.append(
            Finding(
                "WARN",
                f"may be work {match.work_id} ({match.reason}, score {match.score}): "
                f"waits for review as match {match_id}",
                tx.line,
                tx.type,
                "work_title",
                work.title,
            )
        )

    def merge(self, work_id: int, work: Work, tx: CheckedTransaction, source: Source) -> Outcome:
        """Add a sender's registration to a work a person said it is (a confirmed match)."""
        outcome = Outcome(tx, self._status(tx, work), work_id=work_id)
        if self._update(work_id, work, tx, source, replace=False):
            outcome.status, outcome.conflict_work_id = "CO", work_id
        self.updated.setdefault(work_id, []).append(outcome)
        self._find_conflicts()
        return outcome

    def create(self, work: Work, tx: CheckedTransaction, source: Source) -> Outcome:
        """Store a sender's registration as a new work (a rejected match)."""
        outcome = Outcome(tx, self._status(tx, work))
        self.pending.append((work, source))
        self.pending_keys.append((work.number(self.sender) or "", work.iswc))
        self.pending_outcomes.append(outcome)
        self._flush()
        return outcome

    def _find_conflicts(self) -> None:
        """Works that gained claims from this sender: a new conflict makes their status CO."""
        if not self.updated:
            return
        works = works_with_claims(self.conn, sorted(self.updated))
        opened = record_work_conflicts(self.conn, works, self.sender, self.deadline)
        for work_id, count in opened.items():
            self.report.conflicts_opened += count
            for outcome in self.updated[work_id]:
                if outcome.status in ("AS", "AC", "NP"):
                    outcome.status, outcome.conflict_work_id = "CO", work_id

    def _status(self, tx: CheckedTransaction, work: Work) -> str:
        """AS, AC (we changed something: fields defaulted, records dropped) or NP."""
        if self.society and not any(
            a.society == self.society for c in work.claims for a in c.party.affiliations
        ):
            return "NP"
        changed = any(f.level in ("FR", "RR") for f in tx.findings)
        return "AC" if changed else "AS"

    def _update(
        self, work_id: int, work: Work, tx: CheckedTransaction, source: Source, *, replace: bool
    ) -> bool:
        """Apply a REV (replace this sender's statements) or add claims to a known work.

        The ISWC held is never overwritten: a different one opens a conflict (returns True).
        """
        writer = self.writer
        [source_id] = writer.source_ids([source])
        held_iswc, held_title = self.conn.execute(
            select(tables.works.c.iswc, tables.works.c.title_norm).where(
                tables.works.c.id == work_id
            )
        ).one()
        conflict = bool(held_iswc and work.iswc and work.iswc != held_iswc)
        if conflict:
            tx.findings.append(
                Finding(
                    "WARN",
                    f"ISWC {work.iswc} differs from {held_iswc} held for this work; "
                    "kept, and a conflict opened",
                    tx.line,
                    tx.type,
                    "iswc",
                    work.iswc,
                )
            )
            new = conflicts.open_iswc_conflict(
                self.conn, work_id, self.sender, held_iswc, work.iswc, source_id, self.deadline
            )
            self.report.conflicts_opened += new
        if replace:
            work.iswc = held_iswc or work.iswc
            writer.remove_statements(work_id, self.sender, source_id)
            writer.update_works([(work_id, work, source)])
        elif normalise_title(work.title) != held_title:
            work.titles.insert(0, Title(work.title, "OT", work.language))
        writer.add_details([(work_id, work, source, source_id)])
        self.report.works_updated += 1
        return conflict

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
