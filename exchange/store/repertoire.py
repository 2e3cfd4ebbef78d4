"""The repertoire in the store: works, their history and registrations, parties.

Writes go through :class:`~exchange.store.writer.WorkWriter`, which batches rows
into Core ``INSERT`` statements (the CWR import pushes hundreds of thousands of
rows); reads rebuild :mod:`exchange.model` objects
(:class:`~exchange.store.reader.WorkReader`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, func, or_, select

from exchange.identifiers import is_digits
from exchange.identifiers import iswc as iswc_id
from exchange.model import InterestedParty, Source, Work
from exchange.normalise import normalise_title
from exchange.store import tables as t
from exchange.store.database import Database, row_id
from exchange.store.iswc_works import work_with_archived
from exchange.store.reader import WorkReader
from exchange.store.rows import chunks, party_from_row
from exchange.store.writer import PartyCache, WorkWriter

BATCH = 2000


@dataclass(frozen=True, slots=True)
class Registration:
    """What a partner's ACK said of one of our works."""

    id: int
    work_id: int | None
    work_title: str | None
    iswc: str | None  # the work's ISWC in the store
    partner: str
    submitter_number: str
    society_number: str | None
    status: str
    processed_on: date | None
    received_at: datetime
    title: str | None
    partner_iswc: str | None  # the ISWC the partner gave
    messages: list[dict[str, str]]

    @classmethod
    def from_row(cls, row: Any) -> Registration:
        return cls(
            id=row.id,
            work_id=row.work_id,
            work_title=row.work_title,
            iswc=row.work_iswc,
            partner=row.partner,
            submitter_number=row.submitter_number,
            society_number=row.society_number,
            status=row.status,
            processed_on=row.processed_on,
            received_at=row.received_at,
            title=row.title,
            partner_iswc=row.iswc,
            messages=list(row.messages or []),
        )

    def as_dict(self) -> dict[str, Any]:
        work = (
            None
            if self.work_id is None
            else {"id": self.work_id, "iswc": self.iswc, "title": self.work_title}
        )
        return {
            "work": work,
            "partner": self.partner,
            "submitter_number": self.submitter_number,
            "society_number": self.society_number,
            "status": self.status,
            "processed": self.processed_on.isoformat() if self.processed_on else None,
            "received": self.received_at.isoformat(),
            "iswc": self.partner_iswc,
            "messages": self.messages,
        }


@dataclass(frozen=True, slots=True)
class WorkSummary:
    id: int
    iswc: str | None
    title: str
    sources: list[str]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    entity: str
    entity_id: int
    action: str
    before: dict[str, Any]
    source: Source | None
    changed_at: datetime


class Repertoire(Database):
    """The store's works and parties (see :class:`exchange.store.Store`)."""

    def writer(
        self, conn: Connection, file_id: int | None = None, parties: PartyCache | None = None
    ) -> WorkWriter:
        return WorkWriter(conn, file_id, parties)

    def add_works(self, items: Iterable[tuple[Work, Source | None]]) -> list[int]:
        """Insert new works, each with the source that states it, in one transaction."""
        with self.connect() as conn:
            return self.writer(conn).create_works(list(items))

    def count_works(self) -> int:
        with self.connect() as conn:
            return conn.execute(select(func.count()).select_from(t.works)).scalar_one()

    def find_work(self, key: str) -> int | None:
        """A work id from a local id, an ISWC or ``ISSUER:WORKNUMBER`` (None: no such work,
        also for a key no work can have: other digits than ASCII, an id too large, a NUL)."""
        with self.reading() as conn:
            return _find_work(conn, key)

    def work_for(self, key: str) -> Work | None:
        """The work :meth:`find_work` finds for ``key``, read on the same connection."""
        with self.reading() as conn:
            work_id = _find_work(conn, key)
            return None if work_id is None else WorkReader(conn).load(work_id)

    def list_works(
        self, limit: int | None = None, offset: int = 0, search: str | None = None
    ) -> list[WorkSummary]:
        query = select(t.works.c.id, t.works.c.iswc, t.works.c.title).order_by(t.works.c.id)
        if search:
            pattern = f"%{normalise_title(search)}%"
            titled = select(t.titles.c.work_id).where(t.titles.c.title_norm.like(pattern))
            query = query.where(or_(t.works.c.title_norm.like(pattern), t.works.c.id.in_(titled)))
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        with self.connect() as conn:
            rows = conn.execute(query).all()
            partners = self._partners_of(conn, [r.id for r in rows])
        return [WorkSummary(r.id, r.iswc, r.title, partners.get(r.id, [])) for r in rows]

    def _partners_of(self, conn: Connection, work_ids: Sequence[int]) -> dict[int, list[str]]:
        found: dict[int, set[str]] = {}
        for chunk in chunks(work_ids, 500):
            for table in (t.works, t.claims, t.titles):
                work_col = table.c.id if table is t.works else table.c.work_id
                rows = conn.execute(
                    select(work_col, t.sources.c.partner)
                    .join(t.sources, t.sources.c.id == table.c.source_id)
                    .where(work_col.in_(chunk))
                    .distinct()
                )
                for work_id, partner in rows:
                    found.setdefault(work_id, set()).add(partner)
        return {k: sorted(v) for k, v in found.items()}

    def work_ids(
        self, changed_since: datetime | None = None, news_for: str | None = None
    ) -> list[int]:
        """Ids of all works, or of those changed at or after ``changed_since``, in id order.

        ``news_for``: only works with claims from someone else than that partner.
        """
        query = select(t.works.c.id).order_by(t.works.c.id)
        if changed_since is not None:
            query = query.where(t.works.c.updated_at >= changed_since)
        if news_for is not None:
            others = (
                select(t.claims.c.work_id)
                .join(t.sources, t.sources.c.id == t.claims.c.source_id)
                .where(t.sources.c.partner != news_for)
            )
            query = query.where(t.works.c.id.in_(others))
        with self.connect() as conn:
            return list(conn.execute(query).scalars())

    def works_with_members_of(self, society: str, work_ids: Sequence[int]) -> list[int]:
        """Those of ``work_ids`` on which a party affiliated with ``society`` has a claim."""
        members = select(t.affiliations.c.party_id).where(
            t.affiliations.c.society == society.strip().zfill(3)
        )
        query = select(t.claims.c.work_id).where(t.claims.c.party_id.in_(members)).distinct()
        with self.connect() as conn:
            found = set(conn.execute(query).scalars())
        return [i for i in work_ids if i in found]

    def iter_works(self, work_ids: Sequence[int], chunk: int = 500) -> Iterator[Work]:
        """The works with these ids, loaded ``chunk`` at a time (bounded memory)."""
        with self.connect() as conn:
            reader = WorkReader(conn)
            for part in chunks(list(work_ids), chunk):
                yield from reader.load_many(part)

    def load_work(self, work_id: int) -> Work | None:
        with self.reading() as conn:
            return WorkReader(conn).load(work_id)

    def history(self, work_id: int) -> list[HistoryEntry]:
        """What happened to a work, oldest first.

        Its creation (``create``, with the source that first stated it), each claim a
        later source added (``add``), and every change or removal the store kept
        (``update``, ``delete``, with what was there before).
        """
        with self.connect() as conn:
            reader = WorkReader(conn)
            work = conn.execute(
                select(t.works.c.source_id, t.works.c.created_at).where(t.works.c.id == work_id)
            ).first()
            if work is None:
                return []
            rows = conn.execute(
                select(t.history).where(t.history.c.work_id == work_id).order_by(t.history.c.id)
            ).all()
            changes = [
                HistoryEntry(
                    r.entity,
                    r.entity_id,
                    r.action,
                    r.before,
                    reader.source(r.source_id),
                    r.changed_at,
                )
                for r in rows
            ]
            # The header names its latest source; the first one is in the oldest header kept.
            headers = [r.before for r in rows if r.entity == "work" and r.action == "update"]
            first_source = headers[0].get("source_id") if headers else work.source_id
            created = HistoryEntry(
                "work", work_id, "create", {}, reader.source(first_source), work.created_at
            )
            query = select(t.claims.c.id, t.claims.c.source_id).where(
                t.claims.c.work_id == work_id, t.claims.c.source_id.is_not(None)
            )
            if first_source is not None:
                query = query.where(t.claims.c.source_id != first_source)
            claims = conn.execute(query.order_by(t.claims.c.id)).all()
            added = []
            for claim in claims:
                source = reader.source(claim.source_id)
                when = source.received_at if source and source.received_at else work.created_at
                added.append(HistoryEntry("claim", claim.id, "add", {}, source, when))
        later = sorted(added + changes, key=lambda h: h.changed_at)  # stable: kept in order
        return [created, *later]

    # -- registrations (what partners' ACKs say of our works) -------------------------

    def registrations(
        self,
        *,
        work_id: int | None = None,
        partner: str | None = None,
        status: str | None = None,
        history: bool = False,
    ) -> list[Registration]:
        """The last ACK status per work and partner (every ACK with ``history``).

        ``status`` filters on the last status. ACKs for work numbers the node did
        not know have no work; they are keyed by their submitter number.
        """
        r, w = t.registrations, t.works
        query = (
            select(r, w.c.iswc.label("work_iswc"), w.c.title.label("work_title"))
            .outerjoin(w, w.c.id == r.c.work_id)
            .order_by(r.c.id)
        )
        if work_id is not None:
            query = query.where(r.c.work_id == work_id)
        if partner is not None:
            query = query.where(r.c.partner == partner)
        with self.connect() as conn:
            rows = conn.execute(query).all()
        if history:
            found = [Registration.from_row(row) for row in rows]
        else:
            last: dict[tuple[Any, str], Any] = {}
            for row in rows:
                key = (
                    row.work_id if row.work_id is not None else row.submitter_number,
                    row.partner,
                )
                last.pop(key, None)  # keep the order of the last ACKs
                last[key] = row
            found = [Registration.from_row(row) for row in last.values()]
        if status is not None:
            found = [f for f in found if f.status == status]
        return found

    def list_parties(self, limit: int | None = None) -> list[InterestedParty]:
        query = select(t.parties).order_by(t.parties.c.last_name, t.parties.c.id)
        if limit is not None:
            query = query.limit(limit)
        with self.connect() as conn:
            return [party_from_row(r) for r in conn.execute(query)]

    def get_party(self, key: str) -> tuple[InterestedParty, list[int]] | None:
        """A party by IPI name number (or local id ``#N``) and the works it claims on."""
        key = key.strip()
        with self.connect() as conn:
            if key.startswith("#") and is_digits(key[1:]):
                where = t.parties.c.id == (row_id(key[1:]) or 0)
            else:
                where = t.parties.c.ipi_name_number == key.zfill(11)
            row = conn.execute(select(t.parties).where(where)).first()
            if row is None:
                return None
            party = party_from_row(row)
            party.affiliations = WorkReader(conn).affiliations_of([row.id]).get(row.id, [])
            work_ids = list(
                conn.execute(
                    select(t.claims.c.work_id)
                    .where(t.claims.c.party_id == row.id)
                    .distinct()
                    .order_by(t.claims.c.work_id)
                ).scalars()
            )
        return party, work_ids


def _find_work(conn: Connection, key: str) -> int | None:
    key = key.strip()
    if "\x00" in key:  # PostgreSQL takes no NUL in text
        return None
    if is_digits(key):
        local_id = row_id(key)
        if local_id is None:
            return None
        return conn.execute(select(t.works.c.id).where(t.works.c.id == local_id)).scalar()
    if iswc_id.is_valid(key):
        iswc = iswc_id.compact(key)
        found = conn.execute(
            select(t.works.c.id).where(t.works.c.iswc == iswc).order_by(t.works.c.id)
        ).scalar()
        # an ISWC archived by a merge still finds its work
        return found if found is not None else work_with_archived(conn, iswc)
    if ":" in key:
        issuer, number = (part.strip() for part in key.split(":", 1))
        return conn.execute(
            select(t.work_numbers.c.work_id)
            .where(t.work_numbers.c.issuer == issuer)
            .where(t.work_numbers.c.number == number)
            .order_by(t.work_numbers.c.kind)
        ).scalar()
    return None
