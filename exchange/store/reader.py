"""Rebuilding model objects from the tables, many works at a time.

:meth:`WorkReader.load_many` asks a fixed number of queries per chunk of works,
whatever the number of works, so an export of the whole repertoire streams.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, select

from exchange.model import (
    Affiliation,
    Claim,
    InterestedParty,
    OriginalWork,
    Recording,
    Right,
    Shares,
    Side,
    Source,
    TerritoryShare,
    Title,
    Work,
    WorkNumber,
)
from exchange.store import tables as t
from exchange.store.rows import chunks, performer_from_row

CHUNK = 500


class WorkReader:
    """Reads works, claims and sources on one connection, caching sources."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._sources: dict[int, Source] = {}

    # -- sources ------------------------------------------------------------------

    def _load_sources(self, ids: set[int | None]) -> None:
        missing = [i for i in ids if i is not None and i not in self._sources]
        for chunk in chunks(missing, CHUNK):
            for r in self.conn.execute(select(t.sources).where(t.sources.c.id.in_(chunk))):
                self._sources[r.id] = Source(
                    partner=r.partner,
                    file=r.file_name,
                    transaction=r.transaction_seq,
                    received_at=r.received_at,
                    transaction_type=r.transaction_type,
                    id=r.id,
                )

    def source(self, source_id: int | None) -> Source | None:
        if source_id is None:
            return None
        self._load_sources({source_id})
        return self._sources[source_id]

    # -- parties ------------------------------------------------------------------

    def affiliations_of(self, party_ids: Sequence[int]) -> dict[int, list[Affiliation]]:
        """Current affiliations per party: the latest statement per right, territory, society."""
        rows = []
        for chunk in chunks(list(party_ids), CHUNK):
            rows += self.conn.execute(
                select(t.affiliations)
                .where(t.affiliations.c.party_id.in_(chunk))
                .order_by(t.affiliations.c.id)
            ).all()
        self._load_sources({r.source_id for r in rows})
        latest: dict[int, dict[tuple[str, str], Affiliation]] = defaultdict(dict)
        for r in rows:
            latest[r.party_id][(r.right, r.territory)] = Affiliation(
                r.society, Right(r.right), r.territory, self.source(r.source_id)
            )
        return {pid: list(by_key.values()) for pid, by_key in latest.items()}

    # -- claims -------------------------------------------------------------------

    def claims_of(self, work_ids: Sequence[int]) -> dict[int, list[Claim]]:
        """Claims per work, each with its party (and the key its source uses for it)."""
        key = t.party_keys
        query = (
            select(t.claims, t.parties, t.sources.c.partner, key.c.key.label("party_key"))
            .join(t.parties, t.parties.c.id == t.claims.c.party_id)
            .outerjoin(t.sources, t.sources.c.id == t.claims.c.source_id)
            .outerjoin(
                key,
                and_(key.c.party_id == t.claims.c.party_id, key.c.issuer == t.sources.c.partner),
            )
            .order_by(t.claims.c.work_id, t.claims.c.source_id, t.claims.c.position, t.claims.c.id)
        )
        rows: list[Any] = []
        for chunk in chunks(list(work_ids), CHUNK):
            rows += self.conn.execute(query.where(t.claims.c.work_id.in_(chunk))).all()
        territories: dict[int, list[TerritoryShare]] = defaultdict(list)
        claim_ids = list(dict.fromkeys(r._mapping[t.claims.c.id] for r in rows))
        for chunk in chunks(claim_ids, CHUNK):
            for ter in self.conn.execute(
                select(t.claim_territories)
                .where(t.claim_territories.c.claim_id.in_(chunk))
                .order_by(t.claim_territories.c.claim_id, t.claim_territories.c.position)
            ):
                territories[ter.claim_id].append(
                    TerritoryShare(
                        ter.tis,
                        ter.include,
                        Shares(ter.pr_collection, ter.mr_collection, ter.sr_collection),
                    )
                )
        self._load_sources({r._mapping[t.claims.c.source_id] for r in rows})
        affiliations = self.affiliations_of(
            list(dict.fromkeys(r._mapping[t.parties.c.id] for r in rows))
        )
        result: dict[int, list[Claim]] = defaultdict(list)
        seen: set[int] = set()
        for r in rows:
            m = r._mapping
            claim_id = m[t.claims.c.id]
            if claim_id in seen:  # a party with two keys from one sender
                continue
            seen.add(claim_id)
            party_id = m[t.parties.c.id]
            party = InterestedParty(
                last_name=m[t.parties.c.last_name],
                first_name=m[t.parties.c.first_name],
                ipi_name_number=m[t.parties.c.ipi_name_number],
                ipi_base_number=m[t.parties.c.ipi_base_number],
                is_legal_entity=m[t.parties.c.is_legal_entity],
                key=m["party_key"],
                affiliations=affiliations.get(party_id, []),
                id=party_id,
            )
            result[m[t.claims.c.work_id]].append(
                Claim(
                    party=party,
                    role=m[t.claims.c.role],
                    side=Side(m[t.claims.c.side]),
                    ownership=Shares(
                        m[t.claims.c.pr_ownership],
                        m[t.claims.c.mr_ownership],
                        m[t.claims.c.sr_ownership],
                    ),
                    territories=territories.get(claim_id, []),
                    controlled=m[t.claims.c.controlled],
                    chain=m[t.claims.c.chain],
                    writers=tuple(filter(None, (m[t.claims.c.writers] or "").split(","))),
                    source=self.source(m[t.claims.c.source_id]),
                    id=claim_id,
                )
            )
        return result

    def claims(self, work_id: int) -> list[Claim]:
        return self.claims_of([work_id]).get(work_id, [])

    # -- works --------------------------------------------------------------------

    def _rows(self, table: Any, column: Any, ids: Sequence[int]) -> list[Any]:
        rows: list[Any] = []
        for chunk in chunks(list(ids), CHUNK):
            rows += self.conn.execute(
                select(table).where(column.in_(chunk)).order_by(table.c.id)
            ).all()
        return rows

    def load_many(self, work_ids: Sequence[int]) -> list[Work]:
        """The works with these ids, in the order given (unknown ids are left out)."""
        works: dict[int, Work] = {}
        for r in self._rows(t.works, t.works.c.id, work_ids):
            works[r.id] = Work(
                title=r.title,
                iswc=r.iswc,
                language=r.language,
                duration=r.duration,
                version_type=r.version_type,
                original=OriginalWork(**r.original) if r.original else None,
                distribution_category=r.distribution_category,
                text_music_relationship=r.text_music_relationship,
                copyright_date=r.copyright_date,
                id=r.id,
            )
        ids = list(works)
        for r in self._rows(t.titles, t.titles.c.work_id, ids):
            works[r.work_id].titles.append(Title(r.title, r.title_type, r.language))
        for r in self._rows(t.work_numbers, t.work_numbers.c.work_id, ids):
            works[r.work_id].numbers.append(WorkNumber(r.issuer, r.number, r.kind))
        for work_id, claims in self.claims_of(ids).items():
            works[work_id].claims = claims
        for r in self._rows(t.performers, t.performers.c.work_id, ids):
            works[r.work_id].performers.append(performer_from_row(r))
        recordings = self._rows(t.recordings, t.recordings.c.work_id, ids)
        self._load_sources({r.source_id for r in recordings})
        by_id: dict[int, Recording] = {}
        for r in recordings:
            recording = Recording(
                isrc=r.isrc,
                title=r.title,
                version_title=r.version_title,
                duration=r.duration,
                label=r.label,
                release_date=r.release_date,
                album_title=r.album_title,
                catalogue_number=r.catalogue_number,
                ean=r.ean,
                display_artist=r.display_artist,
                source=self.source(r.source_id),
            )
            by_id[r.id] = recording
            works[r.work_id].recordings.append(recording)
        for r in self._rows(t.performers, t.performers.c.recording_id, list(by_id)):
            by_id[r.recording_id].performers.append(performer_from_row(r))
        return [works[i] for i in work_ids if i in works]

    def load(self, work_id: int) -> Work | None:
        found = self.load_many([work_id])
        return found[0] if found else None
