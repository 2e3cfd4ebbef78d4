"""Applying the accepted transactions of an import to the store, and saying what
became of each (its ACK status).

The transactions come from CWR files, or from the other registration formats
as ``REG`` transactions (:mod:`adapters.registrations`): a ``REG`` revises a work
its sender registered before and registers any other.

:class:`Applier` takes one batch: it finds each work in the store (the sender's
own number, the ISWC, then :mod:`exchange.matching`), creates new works, adds or
replaces the sender's claims on known ones, keeps uncertain matches for review,
records ISWC notifications, and finds the conflicts the batch brings in. Each
transaction an ACK answers gets an :class:`Outcome`: AS, AC, RJ, DU, CO, NP or
RA.

A sender's registrations under two work numbers are two works: one is never
merged into a work the same sender registered under another number, however
sure the match (same ISWC, title and writers). It is stored as a work of its
own and waits in the review queue as a possible duplicate (status RA), which
also looks among the works the batch created before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from adapters.cwr.reader import MappedWork
from adapters.cwr.validator import CheckedTransaction
from adapters.registrations import REGISTRATION
from exchange.conflicts.lifecycle import record_work_conflicts, works_with_claims
from exchange.identifiers import iswc as iswc_id
from exchange.imports.report import FileReport
from exchange.jsonview import claim_view
from exchange.matching.matcher import Match, Matcher, SeenTitles
from exchange.model import Finding, Source, Title, Work
from exchange.normalise import normalise_name, normalise_title
from exchange.store import conflicts, tables
from exchange.store.reader import registered_by
from exchange.store.rows import one_of
from exchange.store.writer import WorkWriter

if TYPE_CHECKING:
    from exchange.imports.report import FileReport

#: Days a conflict may stay unresolved unless the configuration says otherwise.
DEADLINE_DAYS = 60

#: Statuses of a transaction whose content the store holds.
ACCEPTED = ("AS", "AC", "CO", "DU", "NP")
WORK_TYPES = frozenset({"NWR", "REV", "ISW", REGISTRATION})

#: Transaction types that the ACK we send answers.
ACKNOWLEDGED = frozenset({"NWR", "REV", "AGR"})
#: Transaction types whose outcome is recorded (those of other formats too).
ANSWERED = ACKNOWLEDGED | {REGISTRATION}


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


@dataclass(frozen=True, slots=True)
class _Duplicate:
    """A work about to be created that may be another work of its sender."""

    outcome: Outcome
    work: Work
    source: Source
    match: Match | None  # None: a work of this batch, by its number
    score: int = 0
    reason: str = ""
    number: str | None = None


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
        #: works this sender registered (under any of its work numbers)
        self.own_works: set[int] = set()
        #: works of this batch, for possible duplicates the store cannot show yet
        self.seen = SeenTitles() if matcher is not None else None
        #: possible duplicates to queue once their works are created
        self.duplicates: list[_Duplicate] = []

    def _lookup(self, items: list[tuple[CheckedTransaction, Source]]) -> None:
        mapped = [tx.mapped for tx, _ in items if tx.mapped is not None]
        numbers = list({m.submitter_number for m in mapped if m.submitter_number})
        n, o, f = tables.work_numbers, tables.transaction_outcomes, tables.files
        files = set(self.conn.execute(select(f.c.id).where(f.c.partner == self.sender)).scalars())
        if numbers:
            rows = self.conn.execute(
                select(n.c.number, n.c.work_id).where(
                    n.c.kind == "submitter",
                    n.c.issuer == self.sender,
                    one_of(self.conn.dialect.name, n.c.number, numbers),
                )
            )
            self.by_number.update(dict(rows.all()))
            # By number only, the sender's files filtered here: joined with files, the
            # database would read every outcome of the file being imported instead.
            rows = self.conn.execute(
                select(o.c.id, o.c.submitter_number, o.c.digest, o.c.file_id).where(
                    one_of(self.conn.dialect.name, o.c.submitter_number, numbers),
                    o.c.status.in_(ACCEPTED),
                )
            )
            latest = sorted(row for row in rows if row[3] in files)
            self.digests.update({number: digest for _, number, digest, _ in latest})
        iswcs = list({iswc_id.compact(m.work.iswc) for m in mapped if m.work.iswc})
        if iswcs:
            rows = self.conn.execute(
                select(tables.works.c.iswc, tables.works.c.id)
                .where(one_of(self.conn.dialect.name, tables.works.c.iswc, iswcs))
                .order_by(tables.works.c.id.desc())
            )
            self.by_iswc.update(dict(rows.all()))
        self.own_works.update(self.by_number.values())
        held = registered_by(self.conn, self.by_iswc.values())
        self.own_works.update(work_id for work_id, issuer in held if issuer == self.sender)
        if self.matcher is None:
            return
        unknown = [
            m
            for m in mapped
            if m.submitter_number not in self.by_number
            and not (m.work.iswc and iswc_id.compact(m.work.iswc) in self.by_iswc)
        ]
        keys = self.seen.keys if self.seen is not None else None
        found = self.matcher.match_many([(m.work, self.sender) for m in unknown], keys)
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
        self.own_works.update(ids)
        self.report.works_created += len(ids)
        self.pending, self.pending_keys, self.pending_outcomes = [], [], []
        self._queue_duplicates()

    def _existing(self, mapped: MappedWork) -> tuple[int | None, bool, Match | None]:
        """(work id, registered by this sender before?, a match) for a mapped work.

        The match is an uncertain one (the work waits for review), or one with a
        work the sender registered under another number (``own``: a possible
        duplicate, the work is created).
        """
        number = mapped.submitter_number
        iswc = iswc_id.compact(mapped.work.iswc) if mapped.work.iswc else None
        if number in self.by_number:
            return self.by_number[number], True, None
        if iswc and iswc in self.by_iswc:
            work_id = self.by_iswc[iswc]
            if work_id in self.own_works:
                return None, False, Match(work_id, 100, "the same ISWC", own=True)
            return work_id, False, None
        match = self.matched.get(id(mapped))
        if match is not None and self.matcher is not None:
            if match.own or match.work_id in self.own_works:
                return None, False, Match(match.work_id, match.score, match.reason, own=True)
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
            if tx.type in ANSWERED:
                outcomes.append(outcome)
            if tx.rejected or mapped is None or tx.type not in WORK_TYPES:
                if tx.type == "AGR" and not tx.rejected:
                    outcome.status = "NP"
                    tx.findings.append(
                        Finding("WARN", "agreements are not kept by this node", tx.line, "AGR")
                    )
                elif tx.type == "EXC" and not tx.rejected:
                    tx.findings.append(
                        Finding(
                            "WARN",
                            "EXC transactions (a work in conflict, as a society reports it) "
                            "are not kept by this node",
                            tx.line,
                            "EXC",
                        )
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
            if uncertain is not None and not uncertain.own:
                self._queue(work, tx, source, uncertain, outcome)
                continue
            if work_id is None:
                if kind == "REV":  # (a REG does not claim an earlier registration)
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
                self._possible_duplicate(outcome, work, source, uncertain, mapped.submitter_number)
                continue
            outcome.work_id = work_id
            self.own_works.add(work_id)
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
        [match_id] = self.writer.queue_matches([(work, source, match, None)])
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

    def _possible_duplicate(
        self, outcome: Outcome, work: Work, source: Source, match: Match | None, number: str
    ) -> None:
        """A work to create under the sender's ``number``: if it is like another work of
        its sender (``match``, or one earlier in this batch), it waits for review once
        created."""
        if match is not None:
            self.duplicates.append(_Duplicate(outcome, work, source, match))
        if self.seen is None or not number:
            return
        similar = self.seen.add(work, number, find=match is None)
        if similar is not None:
            earlier, value, reason = similar
            reason = f"{reason} of its work {earlier!r} earlier in the file"
            self.duplicates.append(_Duplicate(outcome, work, source, None, value, reason, earlier))

    def _queue_duplicates(self) -> None:
        """Created works that may be other works of their sender: a person decides."""
        matches = []
        for duplicate in self.duplicates:
            match = duplicate.match
            if match is None:
                work_id = self.by_number[duplicate.number or ""]
                match = Match(work_id, duplicate.score, duplicate.reason, own=True)
            matches.append(match)
        ids = self.writer.queue_matches(
            [
                (d.work, d.source, match, d.outcome.work_id)
                for d, match in zip(self.duplicates, matches, strict=True)
            ]
        )
        for duplicate, match, match_id in zip(self.duplicates, matches, ids, strict=True):
            outcome = duplicate.outcome
            outcome.status = "RA"
            outcome.tx.findings.append(
                Finding(
                    "WARN",
                    f"may be work {match.work_id} that {self.sender} registered under another "
                    f"work number ({match.reason}, score {match.score}): stored as work "
                    f"{outcome.work_id}, waits for review as possible duplicate {match_id}",
                    outcome.tx.line,
                    outcome.tx.type,
                    "submitter_work_number",
                    duplicate.work.number(self.sender) or "",
                )
            )
        self.report.matches_queued += len(ids)
        self.duplicates = []

    def merge(self, work_id: int, work: Work, tx: CheckedTransaction, source: Source) -> Outcome:
        """Add a sender's registration to a work a person said it is (a confirmed match)."""
        outcome = Outcome(tx, self._status(tx, work), work_id=work_id)
        if self._update(work_id, work, tx, source, replace=False):
            outcome.status, outcome.conflict_work_id = "CO", work_id
        self.updated.setdefault(work_id, []).append(outcome)
        self._find_conflicts()
        return outcome

    def fold(
        self, work_id: int, into: int, work: Work, tx: CheckedTransaction, source: Source, by: str
    ) -> Outcome:
        """Make a possible duplicate part of the sender's other work (a confirmed duplicate,
        ``by`` whom).

        The duplicate's open conflicts are settled (its claims are checked anew
        on the work they join).
        """
        [source_id] = self.writer.source_ids([source])
        c = tables.conflicts
        open_ids = self.conn.execute(
            select(c.c.id).where(c.c.work_id == work_id, c.c.status != "resolved")
        ).scalars()
        note = f"work {work_id} is one work with work {into}"
        for conflict_id in list(open_ids):
            conflicts.set_status(
                self.conn, conflict_id, "resolved", outcome="amended", note=note, by=by
            )
        self.writer.fold_work(work_id, into, source_id)
        outcome = Outcome(tx, self._status(tx, work), work_id=into)
        self.updated.setdefault(into, []).append(outcome)
        self._find_conflicts()
        return outcome

    def keep(self, work_id: int, work: Work, tx: CheckedTransaction) -> Outcome:
        """A possible duplicate that is a work of its own (a rejected duplicate): as stored."""
        return Outcome(tx, self._status(tx, work), work_id=work_id)

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
