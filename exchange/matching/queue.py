"""The review queue: incoming works that may be works we hold, waiting for a person.

Two kinds of entries, both answered RA (further processing pending) until a
person decides:

* ``match``: an import found a work resembling one of ours, but not surely
  enough to merge (see :mod:`exchange.matching`), and keeps the incoming work
  here instead of creating a duplicate. Confirming adds the sender's
  registration to our work, as if the import had matched it; rejecting stores
  it as a new work.
* ``duplicate``: the incoming work resembles (or has the ISWC of) a work the
  same sender registered under another work number. A sender's two numbers are
  two works, so it is stored as a work of its own and waits here as a possible
  duplicate. Rejecting keeps the two works; confirming makes the new work part
  of the earlier one (its numbers, titles, claims and recordings move there).

Either way the transaction's outcome is brought up to date, so a later ACK
says AS, AC, NP or CO.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from adapters.cwr.validator import CheckedTransaction
from exchange.errors import ExchangeError, NotFound
from exchange.imports.apply import Applier, Outcome
from exchange.imports.report import FileReport
from exchange.model import Source, Work
from exchange.model_json import work_from_json
from exchange.store import Store, tables
from exchange.store.rows import now


@dataclass(frozen=True, slots=True)
class MatchEntry:
    """One incoming work in the queue and the work it may be."""

    id: int
    kind: str  # match | duplicate
    status: str
    score: int
    reason: str
    partner: str
    work: Work
    transaction: int | None
    transaction_type: str
    candidate_id: int
    candidate_title: str | None
    candidate_iswc: str | None
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    work_id: int | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "score": self.score,
            "reason": self.reason,
            "partner": self.partner,
            "transaction": self.transaction,
            "incoming": {
                "title": self.work.title,
                "iswc": self.work.iswc,
                "number": self.work.number(self.partner),
                "writers": [c.party.name for c in self.work.writers],
            },
            "candidate": {
                "id": self.candidate_id,
                "title": self.candidate_title,
                "iswc": self.candidate_iswc,
            },
            "created": self.created_at.isoformat(),
            "decided": self.decided_at.isoformat() if self.decided_at else None,
            "by": self.decided_by,
            "work_id": self.work_id,
        }


class Matches:
    """The review queue of one store."""

    def __init__(
        self, store: Store, society: str | None, deadline_days: Callable[[str], int]
    ) -> None:
        self.store = store
        self.society = society
        self.deadline_days = deadline_days

    def _query(self) -> Any:
        m, w = tables.matches, tables.works
        return select(m, w.c.title.label("candidate_title"), w.c.iswc.label("candidate_iswc")).join(
            w, w.c.id == m.c.candidate_id
        )

    @staticmethod
    def _entry(row: Any) -> MatchEntry:
        return MatchEntry(
            id=row.id,
            kind=row.kind,
            status=row.status,
            score=row.score,
            reason=row.reason,
            partner=row.partner,
            work=work_from_json(row.work),
            transaction=row.transaction_seq,
            transaction_type=row.transaction_type or "NWR",
            candidate_id=row.candidate_id,
            candidate_title=row.candidate_title,
            candidate_iswc=row.candidate_iswc,
            created_at=row.created_at,
            decided_at=row.decided_at,
            decided_by=row.decided_by,
            work_id=row.work_id,
        )

    def list(
        self, status: str | None = "pending", limit: int | None = None, offset: int = 0
    ) -> list[MatchEntry]:
        """The entries with ``status`` (None: all), oldest first; ``limit`` of them from
        position ``offset``."""
        query = self._query().order_by(tables.matches.c.id).limit(limit).offset(offset)
        if status is not None:
            query = query.where(tables.matches.c.status == status)
        with self.store.connect() as conn:
            return [self._entry(row) for row in conn.execute(query)]

    def count(self, status: str | None = "pending") -> int:
        query = select(func.count()).select_from(tables.matches)
        if status is not None:
            query = query.where(tables.matches.c.status == status)
        with self.store.connect() as conn:
            return conn.execute(query).scalar_one()

    def get(self, match_id: int) -> MatchEntry:
        with self.store.connect() as conn:
            row = conn.execute(self._query().where(tables.matches.c.id == match_id)).first()
        if row is None:
            raise NotFound(f"no match {match_id} in the review queue")
        return self._entry(row)

    def confirm(self, match_id: int, by: str) -> MatchEntry:
        """The incoming work is the candidate: add the sender's registration to it (a
        possible duplicate: make its work part of the candidate)."""
        return self._decide(match_id, by, confirmed=True)

    def reject(self, match_id: int, by: str) -> MatchEntry:
        """The incoming work is another work: store it as a new one (a possible
        duplicate: keep it as it is stored)."""
        return self._decide(match_id, by, confirmed=False)

    def _decide(self, match_id: int, by: str, *, confirmed: bool) -> MatchEntry:
        entry = self.get(match_id)
        if entry.status != "pending":
            raise ExchangeError(f"match {match_id} was {entry.status} already")
        duplicate = entry.work_id if entry.kind == "duplicate" else None
        if duplicate is None and entry.kind == "duplicate":
            raise ExchangeError(f"match {match_id}: its work is no longer in the store")
        if confirmed and duplicate is not None:
            self._check_foldable(entry, duplicate)
        m, o = tables.matches, tables.transaction_outcomes
        with self.store.connect() as conn:
            file_id = conn.execute(select(m.c.file_id).where(m.c.id == match_id)).scalar()
            file_name = None
            if file_id is not None:
                file_name = conn.execute(
                    select(tables.files.c.name).where(tables.files.c.id == file_id)
                ).scalar()
            writer = self.store.writer(conn, file_id)
            report = FileReport(file_name or "")
            deadline = now() + timedelta(days=self.deadline_days(entry.partner))
            applier = Applier(writer, entry.partner, report, self.society, deadline)
            kind = entry.transaction_type
            tx = CheckedTransaction(kind, 0, entry.transaction or 0, None, False, [], None)
            source = Source(entry.partner, file_name, entry.transaction, entry.created_at, kind)
            outcome: Outcome
            if duplicate is not None and confirmed:
                outcome = applier.fold(duplicate, entry.candidate_id, entry.work, tx, source, by)
            elif duplicate is not None:
                outcome = applier.keep(duplicate, entry.work, tx)
            elif confirmed:
                outcome = applier.merge(entry.candidate_id, entry.work, tx, source)
            else:
                outcome = applier.create(entry.work, tx, source)
            conn.execute(
                update(m)
                .where(m.c.id == match_id)
                .values(
                    status="confirmed" if confirmed else "rejected",
                    decided_at=now(),
                    decided_by=by[:100],
                    work_id=outcome.work_id,
                )
            )
            if file_id is not None and entry.transaction is not None:
                conn.execute(
                    update(o)
                    .where(
                        o.c.file_id == file_id,
                        o.c.transaction_seq == entry.transaction,
                        o.c.status == "RA",
                    )
                    .values(
                        status=outcome.status,
                        work_id=outcome.work_id,
                        conflict_work_id=outcome.conflict_work_id,
                    )
                )
        return self.get(match_id)

    def _check_foldable(self, entry: MatchEntry, work_id: int) -> None:
        """Two works with different ISWCs are not one work: refuse to fold them."""
        w = tables.works
        with self.store.connect() as conn:
            both = select(w.c.id, w.c.iswc).where(w.c.id.in_([work_id, entry.candidate_id]))
            iswcs = dict(conn.execute(both).all())
        mine, theirs = iswcs.get(work_id), iswcs.get(entry.candidate_id)
        if mine and theirs and mine != theirs:
            raise ExchangeError(
                f"match {entry.id}: work {work_id} has ISWC {mine} and work "
                f"{entry.candidate_id} has {theirs}: they are two works; reject the match"
            )
