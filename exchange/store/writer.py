"""Batched writes of works, claims and their sources (Core statements, not ORM objects)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, select, update

from exchange.identifiers import isrc as isrc_id
from exchange.identifiers import known
from exchange.model import Claim, InterestedParty, Recording, Source, Work, WorkNumber
from exchange.model_json import work_to_json
from exchange.normalise import normalise_name, normalise_title
from exchange.store import tables as t
from exchange.store.bulk import (
    insert_returning_ids,
    insert_rows,
    insert_values,
    insert_values_returning_ids,
)
from exchange.store.reader import WorkReader
from exchange.store.rows import (
    claim_json,
    detail_rows,
    history_row,
    jsonable,
    now,
    one_of,
    performer_row,
    work_row,
)


def _identity(party: InterestedParty, issuer: str | None, work_id: int | None) -> tuple[Any, ...]:
    """How the store recognises a party: by IPI name number, else the issuer's key, else name.

    A placeholder IPI (zeros) is no IPI. A party with neither IPI nor key is the one
    of that name (and kind, person or legal entity) that the issuer states on the
    work, so a revision finds it again and two such parties of different works, or
    of different names, are never one.
    """
    ipi = known(party.ipi_name_number)
    if ipi:
        return ("ipi", ipi)
    if party.key and issuer:
        return ("key", issuer, party.key)
    if work_id is not None:
        return _named(issuer, work_id, party)
    return ("new", id(party))


def _named(issuer: str | None, work_id: int, party: InterestedParty) -> tuple[Any, ...]:
    """The identity of a stored party without IPI on a work (as :func:`_identity` makes it)."""
    return ("name", issuer, work_id, party.is_legal_entity, normalise_name(party.name))


#: The columns of the rows of claims, territories and titles, which are made as tuples.
_CLAIM_COLUMNS = (
    "work_id",
    "party_id",
    "side",
    "role",
    "controlled",
    "chain",
    "writers",
    "pr_ownership",
    "mr_ownership",
    "sr_ownership",
    "position",
    "source_id",
)
_TERRITORY_COLUMNS = (
    "claim_id",
    "position",
    "tis",
    "include",
    "pr_collection",
    "mr_collection",
    "sr_collection",
)
_TITLE_COLUMNS = ("work_id", "title", "title_type", "language", "title_norm", "source_id")


def _other(stated: Source | None, source: Source | None) -> bool:
    """Whether a claim's or recording's source is not its work's (an equal one is: the
    mapping of a work makes its own)."""
    return stated is not source and stated != source


@dataclass(slots=True)
class PartyCache:
    """What a writer knows of parties: their ids, names and current affiliations.

    Shared by the writers of one import's batches (each its own database
    transaction), so a large file asks for each party once, not once per batch.
    Only valid while what those batches wrote is committed: an import that rolls
    a batch back starts again with a new cache.
    """

    ids: dict[tuple[Any, ...], int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    same_names: set[tuple[int, str, str]] = field(default_factory=set)
    affiliations: dict[tuple[int, str, str], str] = field(default_factory=dict)
    affiliations_loaded: set[int] = field(default_factory=set)


class WorkWriter:
    """Batched writes of works, claims and their sources on one connection.

    Lookups of parties are cached for the life of the writer, so a large import
    asks the database once per party, not once per claim.
    """

    def __init__(
        self, conn: Connection, file_id: int | None = None, parties: PartyCache | None = None
    ) -> None:
        self.conn = conn
        self.file_id = file_id
        cache = parties or PartyCache()
        self._party_ids = cache.ids
        self._party_names = cache.names  # normalised names of parties met by IPI
        self._same_names = cache.same_names  # names seen to agree
        #: (work id, claim, name the store has) for claims naming a known IPI otherwise
        self.renamed: list[tuple[int, Claim, str]] = []
        self._source_ids: dict[Source, int] = {}
        self._affiliations = cache.affiliations
        self._affiliations_loaded = cache.affiliations_loaded
        #: works this writer created: no party is named on them but by this writer
        self._new_works: set[int] = set()
        #: parties known by name on a work (or by nothing): for this writer only, not
        #: cached across batches (one entry per work, and no use beyond its batch)
        self._by_work: dict[tuple[Any, ...], int] = {}

    def _insert_returning(self, table: Any, rows: list[dict[str, Any]]) -> list[int]:
        return insert_returning_ids(self.conn, table, rows)

    def _insert(self, table: Any, rows: list[dict[str, Any]]) -> None:
        insert_rows(self.conn, table, rows)

    # -- sources and parties ---------------------------------------------------

    def source_ids(self, sources: Sequence[Source | None]) -> list[int | None]:
        """Database ids for sources, inserting those not stored yet."""
        new = list(
            dict.fromkeys(
                s for s in sources if s is not None and s.id is None and s not in self._source_ids
            )
        )
        ids = self._insert_returning(
            t.sources,
            [
                {
                    "partner": s.partner,
                    "file_name": s.file,
                    "file_id": self.file_id,
                    "transaction_seq": s.transaction,
                    "transaction_type": s.transaction_type,
                    "received_at": s.received_at or now(),
                }
                for s in new
            ],
        )
        self._source_ids.update(zip(new, ids, strict=True))
        return [
            None if s is None else (s.id if s.id is not None else self._source_ids[s])
            for s in sources
        ]

    def party_ids(
        self,
        parties: Sequence[tuple[InterestedParty, str | None]],
        work_ids: Sequence[int | None] | None = None,
    ) -> list[int]:
        """Ids for (party, issuer) pairs: by IPI name number, else by the issuer's key, else
        (with ``work_ids``, one per pair) by name on the work (see :func:`_identity`).

        Parties not known yet are created; a known party gains the issuer's key.
        """
        works = list(work_ids) if work_ids is not None else [None] * len(parties)
        identities = [
            _identity(p, issuer, wid) for (p, issuer), wid in zip(parties, works, strict=True)
        ]
        wanted = {i for i in identities if i not in self._held(i)}
        ipis = [i[1] for i in wanted if i[0] == "ipi"]
        if ipis:
            rows = self.conn.execute(
                select(t.parties.c.ipi_name_number, t.parties.c.id, t.parties.c.name_norm).where(
                    one_of(self.conn.dialect.name, t.parties.c.ipi_name_number, ipis)
                )
            )
            for ipi, pid, name in rows.all():
                self._party_ids[("ipi", ipi)] = pid
                self._party_names[pid] = name
        keyed = {
            ("key", issuer, p.key) for p, issuer in parties if p.key and issuer
        } - self._party_ids.keys()
        for issuer in {i[1] for i in keyed}:
            keys = [i[2] for i in keyed if i[1] == issuer]
            if keys:
                rows = self.conn.execute(
                    select(t.party_keys.c.key, t.party_keys.c.party_id)
                    .where(t.party_keys.c.issuer == issuer)
                    .where(one_of(self.conn.dialect.name, t.party_keys.c.key, keys))
                )
                self._party_ids.update({("key", issuer, k): pid for k, pid in rows})
        self._named_on_works({i[2] for i in wanted if i[0] == "name"} - self._new_works)

        to_create: dict[tuple[Any, ...], InterestedParty] = {}
        for (party, _), identity in zip(parties, identities, strict=True):
            if identity not in self._held(identity):
                to_create.setdefault(identity, party)
        created = list(to_create.items())
        ids = self._insert_returning(
            t.parties,
            [
                {
                    "ipi_name_number": known(p.ipi_name_number),
                    "ipi_base_number": known(p.ipi_base_number),
                    "last_name": p.last_name,
                    "first_name": p.first_name or "",
                    "name_norm": normalise_name(p.name),
                    "is_legal_entity": p.is_legal_entity,
                }
                for _, p in created
            ],
        )
        for (identity, party), pid in zip(created, ids, strict=True):
            self._held(identity)[identity] = pid
            if identity[0] == "ipi":
                self._party_names[pid] = normalise_name(party.name)

        result = [self._held(identity)[identity] for identity in identities]
        # A party just created because of its key has no key row yet either.
        created_by_key = {identity for identity, _ in created if identity[0] == "key"}
        new_keys: dict[tuple[Any, ...], int] = {}
        for (party, issuer), pid in zip(parties, result, strict=True):
            key = ("key", issuer, party.key)
            if party.key and issuer and (key not in self._party_ids or key in created_by_key):
                new_keys[key] = pid
        self._insert(
            t.party_keys,
            [{"issuer": i, "key": k, "party_id": pid} for (_, i, k), pid in new_keys.items()],
        )
        self._party_ids.update(new_keys)
        return result

    def _held(self, identity: tuple[Any, ...]) -> dict[tuple[Any, ...], int]:
        """Where the id of a party of this identity is kept (see ``_by_work``)."""
        return self._party_ids if identity[0] in ("ipi", "key") else self._by_work

    def _named_on_works(self, work_ids: Iterable[int]) -> None:
        """Learn the parties without IPI that each issuer names on these works."""
        c, p, s = t.claims, t.parties, t.sources
        ids = sorted(work_ids)
        if ids:
            rows = self.conn.execute(
                select(c.c.work_id, s.c.partner, p.c.id, p.c.is_legal_entity, p.c.name_norm)
                .select_from(
                    c.join(p, p.c.id == c.c.party_id).outerjoin(s, s.c.id == c.c.source_id)
                )
                .where(
                    one_of(self.conn.dialect.name, c.c.work_id, ids),
                    p.c.ipi_name_number.is_(None),
                )
                .order_by(p.c.id)
            )
            for wid, issuer, pid, legal, name in rows.all():
                self._by_work.setdefault(("name", issuer, wid, legal, name), pid)

    # -- works -----------------------------------------------------------------

    def create_works(self, items: Sequence[tuple[Work, Source | None]]) -> list[int]:
        """Insert new works with everything they carry; returns their ids."""
        stamp = now()
        source_ids = self.source_ids([s for _, s in items])
        ids = self._insert_returning(
            t.works,
            [
                {**work_row(w), "source_id": sid, "created_at": stamp, "updated_at": stamp}
                for (w, _), sid in zip(items, source_ids, strict=True)
            ],
        )
        for (work, _), wid in zip(items, ids, strict=True):
            work.id = wid
        self._new_works.update(ids)
        self.add_details(
            [(wid, w, s, sid) for (w, s), wid, sid in zip(items, ids, source_ids, strict=True)]
        )
        return ids

    def update_works(self, items: Sequence[tuple[int, Work, Source | None]]) -> None:
        """Overwrite work headers with what a source says, keeping the previous version."""
        if not items:
            return
        stamp = now()
        source_ids = self.source_ids([s for _, _, s in items])
        by_id = {wid: (w, sid) for (wid, w, _), sid in zip(items, source_ids, strict=True)}
        columns = [c for c in t.works.c if c.name not in ("created_at",)]
        history = []
        for row in self.conn.execute(
            select(*columns).where(one_of(self.conn.dialect.name, t.works.c.id, list(by_id)))
        ):
            before = jsonable(row._asdict())
            _, sid = by_id[row.id]
            history.append(history_row(row.id, "work", row.id, "update", before, sid, stamp))
        self._insert(t.history, history)
        for wid, (work, sid) in by_id.items():
            self.conn.execute(
                update(t.works)
                .where(t.works.c.id == wid)
                .values(**work_row(work), source_id=sid, updated_at=stamp)
            )

    def add_details(self, items: Sequence[tuple[int, Work, Source | None, int | None]]) -> None:
        """Titles, numbers, claims, performers, recordings and details of works (new rows only)."""
        title_rows, number_rows, perf_rows, details = [], [], [], []
        claim_items: list[tuple[int, int, Claim, int | None, str | None]] = []
        rec_items: list[tuple[int, Recording, int | None]] = []
        existing_numbers = self._existing_numbers(
            {(n.kind, n.issuer, n.number) for _, w, _, _ in items for n in w.numbers}
        )
        # sources of claims and recordings other than their work's (most have none); one
        # of them that is also a work's own (equal to it) has that work's id
        own = [c.source for _, w, s, _ in items for c in w.claims if _other(c.source, s)] + [
            r.source for _, w, s, _ in items for r in w.recordings if _other(r.source, s)
        ]
        own_ids = dict(zip(map(id, own), self.source_ids(own), strict=True))
        for wid, work, source, sid in items:
            title_rows += [
                (wid, title.title, title.type, title.language, normalise_title(title.title), sid)
                for title in work.titles
            ]
            for number in work.numbers:
                key = (number.kind, number.issuer, number.number)
                if key in existing_numbers:
                    continue
                existing_numbers.add(key)
                number_rows.append(
                    {
                        "work_id": wid,
                        "kind": number.kind,
                        "issuer": number.issuer,
                        "number": number.number,
                        "source_id": sid,
                    }
                )
            for position, claim in enumerate(work.claims):
                # A claim without a source of its own is stated by the work's source: the
                # party keys are that source's (WorkReader.claims_of reads them so).
                stated_by = claim.source or source
                issuer = stated_by.partner if stated_by is not None else None
                claim_sid = own_ids.get(id(claim.source)) or sid
                claim_items.append((wid, position, claim, claim_sid, issuer))
            perf_rows += [performer_row(p, wid, None, sid) for p in work.performers]
            details += detail_rows(work, wid, sid)
            rec_items += [(wid, r, own_ids.get(id(r.source)) or sid) for r in work.recordings]
        insert_values(self.conn, t.titles, _TITLE_COLUMNS, title_rows)
        self._insert(t.work_numbers, number_rows)
        self._insert(t.performers, perf_rows)
        self._insert(t.work_details, details)
        self._add_claims(claim_items)
        self._add_recordings(rec_items)

    def add_number(self, work_id: int, number: WorkNumber, source_id: int | None) -> bool:
        """Give a work one more number; False when any work holds that number already."""
        key = (number.kind, number.issuer, number.number)
        if self._existing_numbers({key}):
            return False
        self._insert(
            t.work_numbers,
            [
                {
                    "work_id": work_id,
                    "kind": number.kind,
                    "issuer": number.issuer,
                    "number": number.number,
                    "source_id": source_id,
                }
            ],
        )
        return True

    def _existing_numbers(self, wanted: set[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
        """Which of these (kind, issuer, number) are held already, by any work.

        A number belongs to one work: one held by another work is not given to a
        second (that is an identifier conflict, not a new number).
        """
        n = t.work_numbers
        found: set[tuple[str, str, str]] = set()
        numbers = sorted({number for _, _, number in wanted})
        if numbers:
            rows = self.conn.execute(
                select(n.c.kind, n.c.issuer, n.c.number).where(
                    one_of(self.conn.dialect.name, n.c.number, numbers)
                )
            )
            found.update(row for row in map(tuple, rows.all()) if row in wanted)
        return found

    def _add_claims(self, items: Sequence[tuple[int, int, Claim, int | None, str | None]]) -> None:
        """Claims as (work id, position, claim, source id, issuer of the party keys)."""
        if not items:
            return
        party_ids = self.party_ids(
            [(c.party, issuer) for _, _, c, _, issuer in items], [wid for wid, *_ in items]
        )
        same = self._same_names
        for (wid, _, claim, _, _), pid in zip(items, party_ids, strict=True):
            party = claim.party
            if (pid, party.last_name, party.first_name) in same or not known(party.ipi_name_number):
                continue
            held = self._party_names.get(pid)
            if held is None or not party.last_name:
                continue
            if normalise_name(party.name) == held:
                same.add((pid, party.last_name, party.first_name))
            else:
                self.renamed.append((wid, claim, held))
        claim_ids = insert_values_returning_ids(
            self.conn,
            t.claims,
            _CLAIM_COLUMNS,
            [
                (
                    wid,
                    pid,
                    str(c.side),
                    c.role,
                    c.controlled,
                    c.chain,
                    ",".join(c.writers) or None,
                    c.ownership.pr,
                    c.ownership.mr,
                    c.ownership.sr,
                    position,
                    sid,
                )
                for (wid, position, c, sid, _), pid in zip(items, party_ids, strict=True)
            ],
        )
        territory_rows = []
        affiliation_rows = []
        current = self._current_affiliations(party_ids)
        for (_, _, claim, sid, _), cid, pid in zip(items, claim_ids, party_ids, strict=True):
            claim.id = cid
            for position, ter in enumerate(claim.territories):
                shares = ter.collection
                territory_rows.append(
                    (cid, position, ter.tis, ter.include, shares.pr, shares.mr, shares.sr)
                )
            for aff in claim.party.affiliations:
                key = (pid, str(aff.right), aff.territory)
                if current.get(key) == aff.society:
                    continue  # said before: no new statement
                current[key] = aff.society
                affiliation_rows.append(
                    {
                        "party_id": pid,
                        "society": aff.society,
                        "right": key[1],
                        "territory": aff.territory,
                        "source_id": sid,
                    }
                )
        insert_values(self.conn, t.claim_territories, _TERRITORY_COLUMNS, territory_rows)
        self._insert(t.affiliations, affiliation_rows)

    def _current_affiliations(self, party_ids: Iterable[int]) -> dict[tuple[int, str, str], str]:
        """The latest society per (party, right, territory), loaded once per party."""
        current = self._affiliations
        missing = [pid for pid in set(party_ids) if pid not in self._affiliations_loaded]
        if missing:
            rows = self.conn.execute(
                select(
                    t.affiliations.c.party_id,
                    t.affiliations.c.right,
                    t.affiliations.c.territory,
                    t.affiliations.c.society,
                )
                .where(one_of(self.conn.dialect.name, t.affiliations.c.party_id, missing))
                .order_by(t.affiliations.c.id)
            )
            for pid, right, territory, society in rows.all():
                current[(pid, right, territory)] = society
        self._affiliations_loaded.update(missing)
        return current

    def _add_recordings(self, items: Sequence[tuple[int, Recording, int | None]]) -> None:
        ids = self._insert_returning(
            t.recordings,
            [
                {
                    "work_id": wid,
                    "isrc": isrc_id.compact(r.isrc) if r.isrc else None,
                    "title": r.title,
                    "version_title": r.version_title,
                    "duration": r.duration,
                    "label": r.label,
                    "release_date": r.release_date,
                    "album_title": r.album_title,
                    "catalogue_number": r.catalogue_number,
                    "ean": r.ean,
                    "display_artist": r.display_artist,
                    "recording_format": r.recording_format,
                    "recording_technique": r.recording_technique,
                    "media_type": r.media_type,
                    "isrc_validity": r.isrc_validity,
                    "submitter_recording_id": r.submitter_recording_id,
                    "source_id": sid,
                }
                for wid, r, sid in items
            ],
        )
        self._insert(
            t.performers,
            [
                performer_row(p, None, rid, sid)
                for (_, r, sid), rid in zip(items, ids, strict=True)
                for p in r.performers
            ],
        )

    def set_iswc(self, work_id: int, iswc: str | None, source_id: int | None) -> None:
        """Give a work its ISWC, keeping the previous header in the history."""
        row = self.conn.execute(select(t.works).where(t.works.c.id == work_id)).one()
        before = jsonable(row._asdict())
        self._insert(
            t.history, [history_row(work_id, "work", work_id, "update", before, source_id, now())]
        )
        self.conn.execute(
            update(t.works).where(t.works.c.id == work_id).values(iswc=iswc, updated_at=now())
        )

    def remove_statements(self, work_id: int, partner: str, source_id: int | None) -> int:
        """Remove what ``partner`` said about a work (claims, titles, recordings, details...).

        Each removed claim is kept in the history. Returns the number of claims removed.
        """
        stamp = now()
        by_partner = select(t.sources.c.id).where(t.sources.c.partner == partner)
        reader = WorkReader(self.conn)
        old_claims = [c for c in reader.claims(work_id) if c.source and c.source.partner == partner]
        for claim in old_claims:  # what the statements that replace these find again
            if claim.party.id is not None and not claim.party.ipi_name_number:
                self._by_work.setdefault(_named(partner, work_id, claim.party), claim.party.id)
        self._insert(
            t.history,
            [
                history_row(work_id, "claim", c.id, "delete", claim_json(c), source_id, stamp)
                for c in old_claims
                if c.id is not None
            ],
        )
        for table in (t.claims, t.titles, t.recordings, t.performers, t.work_details):
            self.conn.execute(
                delete(table)
                .where(table.c.work_id == work_id)
                .where(table.c.source_id.in_(by_partner))
            )
        return len(old_claims)

    def remove_claims(self, work_id: int, claim_ids: Iterable[int], source_id: int | None) -> int:
        """Remove some claims of a work, keeping each in the history; returns how many."""
        wanted = set(claim_ids)
        gone = [c for c in WorkReader(self.conn).claims(work_id) if c.id in wanted]
        stamp = now()
        self._insert(
            t.history,
            [
                history_row(work_id, "claim", c.id, "delete", claim_json(c), source_id, stamp)
                for c in gone
                if c.id is not None
            ],
        )
        if gone:
            self.conn.execute(delete(t.claims).where(t.claims.c.id.in_([c.id for c in gone])))
            self.conn.execute(
                update(t.works).where(t.works.c.id == work_id).values(updated_at=stamp)
            )
        return len(gone)

    def queue_matches(self, items: Sequence[tuple[Work, Source, Any, int | None]]) -> list[int]:
        """Keep incoming works that may be ``match.work_id`` until a person decides.

        Each item is (work, source, match, work id). With a work id, the work is
        stored already and may be another work of the same sender: a possible
        duplicate; without, it waits to be merged or created.
        """
        stamp = now()
        return self._insert_returning(
            t.matches,
            [
                {
                    "kind": "match" if work_id is None else "duplicate",
                    "work_id": work_id,
                    "status": "pending",
                    "candidate_id": match.work_id,
                    "score": match.score,
                    "reason": match.reason[:200],
                    "work": work_to_json(work),
                    "partner": source.partner,
                    "file_id": self.file_id,
                    "transaction_seq": source.transaction,
                    "transaction_type": source.transaction_type,
                    "created_at": stamp,
                }
                for work, source, match, work_id in items
            ],
        )

    def fold_work(self, work_id: int, into: int, source_id: int | None) -> None:
        """Make work ``work_id`` part of work ``into`` (a person found they are one work).

        Its titles (its main title as an alternate title), numbers, claims,
        recordings, performers, outcomes, registrations and review entries move
        to ``into``, which takes its ISWC if it has none; the work itself is
        removed, kept in the history.
        """
        w = t.works
        moved, kept = (
            self.conn.execute(select(w).where(w.c.id == wid)).one() for wid in (work_id, into)
        )
        stamp = now()
        titles = select(t.titles.c.title_norm).where(t.titles.c.work_id == into)
        known = set(self.conn.execute(titles).scalars())
        if moved.title_norm != kept.title_norm and moved.title_norm not in known:
            row = {"title": moved.title, "title_type": "AT", "language": moved.language}
            self._insert(
                t.titles,
                [{**row, "work_id": into, "title_norm": moved.title_norm, "source_id": source_id}],
            )
        # its ISWCs in the ISWC database (those ``into`` has not), its rejections there
        held = select(t.work_iswcs.c.iswc).where(t.work_iswcs.c.work_id == into)
        self.conn.execute(
            delete(t.work_iswcs).where(
                t.work_iswcs.c.work_id == work_id, t.work_iswcs.c.iswc.in_(held)
            )
        )
        self.conn.execute(delete(t.iswc_submissions).where(t.iswc_submissions.c.work_id == work_id))
        for table in (
            *(t.titles, t.work_numbers, t.claims, t.recordings, t.performers),
            *(t.transaction_outcomes, t.registrations, t.conflicts, t.history),
            *(t.work_iswcs, t.iswc_rejections, t.iswc_notifications),
        ):
            self.conn.execute(update(table).where(table.c.work_id == work_id).values(work_id=into))
        o, m = t.transaction_outcomes, t.matches
        self.conn.execute(
            update(o).where(o.c.conflict_work_id == work_id).values(conflict_work_id=into)
        )
        self.conn.execute(update(m).where(m.c.work_id == work_id).values(work_id=into))
        self.conn.execute(update(m).where(m.c.candidate_id == work_id).values(candidate_id=into))
        before = {"id": work_id, "title": moved.title, "iswc": moved.iswc, "into": into}
        gone = history_row(into, "work", work_id, "delete", before, source_id, stamp)
        self._insert(t.history, [gone])
        if moved.iswc and not kept.iswc:
            self.conn.execute(update(w).where(w.c.id == into).values(iswc=moved.iswc))
        self.conn.execute(update(w).where(w.c.id == into).values(updated_at=stamp))
        self.conn.execute(delete(w).where(w.c.id == work_id))
