"""The repertoire store: model objects in and out of SQLite or PostgreSQL.

One code path serves both engines. Writes go through :class:`WorkWriter`, which
batches rows into Core ``INSERT`` statements (the CWR import pushes hundreds of
thousands of rows); reads rebuild :mod:`exchange.model` objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib.resources import files as package_files
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from exchange import tables as t
from exchange.identifiers import iswc as iswc_id
from exchange.model import (
    Affiliation,
    Claim,
    InterestedParty,
    OriginalWork,
    Performer,
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
from exchange.normalise import normalise_name, normalise_title

DEFAULT_URL = "sqlite:///exchange.db"
BATCH = 2000


class StoreError(Exception):
    """A problem with the store that the operator can act on (one clear line)."""


def now() -> datetime:
    return datetime.now(UTC)


def normalise_url(url: str) -> str:
    """Pick the psycopg 3 driver for plain ``postgresql://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(package_files("exchange") / "migrations"))
    config.attributes["connection"] = connection
    return config


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


class Store:
    """A repertoire store at a SQLAlchemy URL."""

    def __init__(self, url: str = DEFAULT_URL) -> None:
        self.url = normalise_url(url)
        try:
            self.engine: Engine = create_engine(self.url, future=True)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise StoreError(f"cannot use database URL {url!r}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.dialect = self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection inside one database transaction (commit on success)."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreError(f"database {self._safe_url()}: {exc.orig}") from None

    def _safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    # -- schema ---------------------------------------------------------------

    def head_revision(self) -> str:
        with self.connect() as conn:
            script = ScriptDirectory.from_config(_alembic_config(conn))
            return script.get_current_head() or ""

    def current_revision(self) -> str | None:
        with self.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def init(self) -> tuple[str | None, str]:
        """Create or upgrade the schema to the newest revision; returns (before, after)."""
        before = self.current_revision()
        with self.connect() as conn:
            command.upgrade(_alembic_config(conn), "head")
        return before, self.head_revision()

    def require_schema(self) -> None:
        current = self.current_revision()
        if current is None:
            raise StoreError(f"the store at {self._safe_url()} is empty: run `exchange init` first")
        if current != self.head_revision():
            raise StoreError(
                f"the store at {self._safe_url()} is at revision {current}: "
                "run `exchange init` to upgrade it"
            )

    # -- writing --------------------------------------------------------------

    def writer(self, conn: Connection) -> WorkWriter:
        return WorkWriter(conn)

    def add_works(self, items: Iterable[tuple[Work, Source | None]]) -> list[int]:
        """Insert new works, each with the source that states it, in one transaction."""
        with self.connect() as conn:
            return self.writer(conn).create_works(list(items))

    def next_file_sequence(self, sender: str, receiver: str) -> int:
        """The next file sequence number for sender to receiver; never repeats."""
        ins = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        with self.connect() as conn:
            conn.execute(
                ins(t.file_sequences)
                .values(sender=sender, receiver=receiver, last_number=0)
                .on_conflict_do_nothing()
            )
            return conn.execute(
                update(t.file_sequences)
                .where(t.file_sequences.c.sender == sender)
                .where(t.file_sequences.c.receiver == receiver)
                .values(last_number=t.file_sequences.c.last_number + 1)
                .returning(t.file_sequences.c.last_number)
            ).scalar_one()

    # -- reading --------------------------------------------------------------

    def count_works(self) -> int:
        with self.connect() as conn:
            return conn.execute(select(func.count()).select_from(t.works)).scalar_one()

    def find_work(self, key: str) -> int | None:
        """A work id from a local id, an ISWC or ``ISSUER:WORKNUMBER``."""
        key = key.strip()
        with self.connect() as conn:
            if key.isdigit():
                return conn.execute(select(t.works.c.id).where(t.works.c.id == int(key))).scalar()
            if iswc_id.is_valid(key):
                return conn.execute(
                    select(t.works.c.id)
                    .where(t.works.c.iswc == iswc_id.compact(key))
                    .order_by(t.works.c.id)
                ).scalar()
            if ":" in key:
                issuer, number = (part.strip() for part in key.split(":", 1))
                return conn.execute(
                    select(t.work_numbers.c.work_id)
                    .where(t.work_numbers.c.issuer == issuer)
                    .where(t.work_numbers.c.number == number)
                    .order_by(t.work_numbers.c.kind)
                ).scalar()
        return None

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
        for chunk in _chunks(work_ids, 500):
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

    def load_work(self, work_id: int) -> Work | None:
        with self.connect() as conn:
            return WorkReader(conn).load(work_id)

    def history(self, work_id: int) -> list[HistoryEntry]:
        with self.connect() as conn:
            reader = WorkReader(conn)
            rows = conn.execute(
                select(t.history).where(t.history.c.work_id == work_id).order_by(t.history.c.id)
            ).all()
            return [
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

    def list_parties(self, limit: int | None = None) -> list[InterestedParty]:
        query = select(t.parties).order_by(t.parties.c.last_name, t.parties.c.id)
        if limit is not None:
            query = query.limit(limit)
        with self.connect() as conn:
            return [_party(r) for r in conn.execute(query)]

    def get_party(self, key: str) -> tuple[InterestedParty, list[int]] | None:
        """A party by IPI name number (or local id ``#N``) and the works it claims on."""
        key = key.strip()
        with self.connect() as conn:
            if key.startswith("#") and key[1:].isdigit():
                where = t.parties.c.id == int(key[1:])
            else:
                where = t.parties.c.ipi_name_number == key.zfill(11)
            row = conn.execute(select(t.parties).where(where)).first()
            if row is None:
                return None
            party = _party(row)
            party.affiliations = WorkReader(conn).affiliations(row.id)
            work_ids = list(
                conn.execute(
                    select(t.claims.c.work_id)
                    .where(t.claims.c.party_id == row.id)
                    .distinct()
                    .order_by(t.claims.c.work_id)
                ).scalars()
            )
        return party, work_ids


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _identity(party: InterestedParty, issuer: str | None) -> tuple[Any, ...]:
    if party.ipi_name_number:
        return ("ipi", party.ipi_name_number)
    if party.key and issuer:
        return ("key", issuer, party.key)
    return ("new", id(party))


def _party(row: Any) -> InterestedParty:
    return InterestedParty(
        last_name=row.last_name,
        first_name=row.first_name,
        ipi_name_number=row.ipi_name_number,
        ipi_base_number=row.ipi_base_number,
        is_legal_entity=row.is_legal_entity,
        id=row.id,
    )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


class WorkWriter:
    """Batched writes of works, claims and their sources on one connection.

    Lookups of parties are cached for the life of the writer, so a large import
    asks the database once per party, not once per claim.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._party_ids: dict[tuple[Any, ...], int] = {}
        self._source_ids: dict[Source, int] = {}

    def _insert_returning(self, table: Any, rows: list[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        result = self.conn.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
        )
        return list(result.scalars())

    def _insert(self, table: Any, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(insert(table), rows)

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
                    "file_id": None,
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

    def link_file(self, file_id: int, source_ids: Iterable[int]) -> None:
        ids = list(source_ids)
        for chunk in _chunks(ids, 500):
            self.conn.execute(
                update(t.sources).where(t.sources.c.id.in_(chunk)).values(file_id=file_id)
            )

    def party_ids(self, parties: Sequence[tuple[InterestedParty, str | None]]) -> list[int]:
        """Ids for (party, issuer) pairs: by IPI name number, else by the issuer's key.

        Parties not known yet are created; a known party gains the issuer's key.
        """
        wanted = {_identity(p, issuer) for p, issuer in parties} - self._party_ids.keys()
        ipis = [i[1] for i in wanted if i[0] == "ipi"]
        for chunk in _chunks(ipis, 500):
            rows = self.conn.execute(
                select(t.parties.c.ipi_name_number, t.parties.c.id).where(
                    t.parties.c.ipi_name_number.in_(chunk)
                )
            )
            self._party_ids.update({("ipi", ipi): pid for ipi, pid in rows})
        for issuer in {i[1] for i in wanted if i[0] == "key"}:
            keys = [i[2] for i in wanted if i[0] == "key" and i[1] == issuer]
            for chunk in _chunks(keys, 500):
                rows = self.conn.execute(
                    select(t.party_keys.c.key, t.party_keys.c.party_id)
                    .where(t.party_keys.c.issuer == issuer)
                    .where(t.party_keys.c.key.in_(chunk))
                )
                self._party_ids.update({("key", issuer, k): pid for k, pid in rows})

        to_create: dict[tuple[Any, ...], InterestedParty] = {}
        for party, issuer in parties:
            identity = _identity(party, issuer)
            if identity not in self._party_ids:
                to_create.setdefault(identity, party)
        created = list(to_create.items())
        ids = self._insert_returning(
            t.parties,
            [
                {
                    "ipi_name_number": p.ipi_name_number,
                    "ipi_base_number": p.ipi_base_number,
                    "last_name": p.last_name,
                    "first_name": p.first_name or "",
                    "name_norm": normalise_name(p.name),
                    "is_legal_entity": p.is_legal_entity,
                }
                for _, p in created
            ],
        )
        self._party_ids.update(
            {identity: pid for (identity, _), pid in zip(created, ids, strict=True)}
        )

        result = [self._party_ids[_identity(p, issuer)] for p, issuer in parties]
        new_keys: dict[tuple[Any, ...], int] = {}
        for (party, issuer), pid in zip(parties, result, strict=True):
            if party.key and issuer and ("key", issuer, party.key) not in self._party_ids:
                new_keys[("key", issuer, party.key)] = pid
        self._insert(
            t.party_keys,
            [{"issuer": i, "key": k, "party_id": pid} for (_, i, k), pid in new_keys.items()],
        )
        self._party_ids.update(new_keys)
        return result

    # -- works -----------------------------------------------------------------

    def create_works(self, items: Sequence[tuple[Work, Source | None]]) -> list[int]:
        """Insert new works with everything they carry; returns their ids."""
        stamp = now()
        source_ids = self.source_ids([s for _, s in items])
        ids = self._insert_returning(
            t.works,
            [
                {**_work_row(w), "source_id": sid, "created_at": stamp, "updated_at": stamp}
                for (w, _), sid in zip(items, source_ids, strict=True)
            ],
        )
        for (work, _), wid in zip(items, ids, strict=True):
            work.id = wid
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
        for chunk in _chunks(list(by_id), 500):
            for row in self.conn.execute(select(*columns).where(t.works.c.id.in_(chunk))):
                before = _jsonable(row._asdict())
                _, sid = by_id[row.id]
                history.append(_history(row.id, "work", row.id, "update", before, sid, stamp))
        self._insert(t.history, history)
        for wid, (work, sid) in by_id.items():
            self.conn.execute(
                update(t.works)
                .where(t.works.c.id == wid)
                .values(**_work_row(work), source_id=sid, updated_at=stamp)
            )

    def add_details(self, items: Sequence[tuple[int, Work, Source | None, int | None]]) -> None:
        """Titles, numbers, claims, performers and recordings of works (new rows only)."""
        title_rows, number_rows, perf_rows = [], [], []
        claim_items: list[tuple[int, int, Claim, int | None]] = []
        rec_items: list[tuple[int, Recording, int | None]] = []
        existing_numbers = self._existing_numbers([wid for wid, _, _, _ in items])
        own = [c.source for _, w, _, _ in items for c in w.claims] + [
            r.source for _, w, _, _ in items for r in w.recordings
        ]
        own_ids = dict(zip(map(id, own), self.source_ids(own), strict=True))
        for wid, work, _source, sid in items:
            for title in work.titles:
                title_rows.append(
                    {
                        "work_id": wid,
                        "title": title.title,
                        "title_type": title.type,
                        "language": title.language,
                        "title_norm": normalise_title(title.title),
                        "source_id": sid,
                    }
                )
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
                claim_items.append((wid, position, claim, own_ids[id(claim.source)] or sid))
            perf_rows += [_performer_row(p, wid, None, sid) for p in work.performers]
            rec_items += [(wid, r, own_ids[id(r.source)] or sid) for r in work.recordings]
        self._insert(t.titles, title_rows)
        self._insert(t.work_numbers, number_rows)
        self._insert(t.performers, perf_rows)
        self._add_claims(claim_items)
        self._add_recordings(rec_items)

    def _existing_numbers(self, work_ids: Sequence[int]) -> set[tuple[str, str, str]]:
        found: set[tuple[str, str, str]] = set()
        for chunk in _chunks([w for w in work_ids if w is not None], 500):
            rows = self.conn.execute(
                select(
                    t.work_numbers.c.kind, t.work_numbers.c.issuer, t.work_numbers.c.number
                ).where(t.work_numbers.c.work_id.in_(chunk))
            )
            found.update(tuple(r) for r in rows)
        return found

    def _add_claims(self, items: Sequence[tuple[int, int, Claim, int | None]]) -> None:
        if not items:
            return
        party_ids = self.party_ids(
            [(c.party, c.source.partner if c.source else None) for _, _, c, _ in items]
        )
        claim_ids = self._insert_returning(
            t.claims,
            [
                {
                    "work_id": wid,
                    "party_id": pid,
                    "side": str(c.side),
                    "role": c.role,
                    "controlled": c.controlled,
                    "chain": c.chain,
                    "writer": c.writer,
                    "pr_ownership": c.ownership.pr,
                    "mr_ownership": c.ownership.mr,
                    "sr_ownership": c.ownership.sr,
                    "position": position,
                    "source_id": sid,
                }
                for (wid, position, c, sid), pid in zip(items, party_ids, strict=True)
            ],
        )
        territory_rows = []
        affiliation_rows = []
        for (_, _, claim, sid), cid, pid in zip(items, claim_ids, party_ids, strict=True):
            claim.id = cid
            for position, ter in enumerate(claim.territories):
                territory_rows.append(
                    {
                        "claim_id": cid,
                        "position": position,
                        "tis": ter.tis,
                        "include": ter.include,
                        "pr_collection": ter.collection.pr,
                        "mr_collection": ter.collection.mr,
                        "sr_collection": ter.collection.sr,
                    }
                )
            for aff in claim.party.affiliations:
                affiliation_rows.append(
                    {
                        "party_id": pid,
                        "society": aff.society,
                        "right": str(aff.right),
                        "territory": aff.territory,
                        "source_id": sid,
                    }
                )
        self._insert(t.claim_territories, territory_rows)
        self._insert(t.affiliations, affiliation_rows)

    def _add_recordings(self, items: Sequence[tuple[int, Recording, int | None]]) -> None:
        ids = self._insert_returning(
            t.recordings,
            [
                {
                    "work_id": wid,
                    "isrc": r.isrc,
                    "title": r.title,
                    "version_title": r.version_title,
                    "duration": r.duration,
                    "label": r.label,
                    "release_date": r.release_date,
                    "album_title": r.album_title,
                    "catalogue_number": r.catalogue_number,
                    "ean": r.ean,
                    "display_artist": r.display_artist,
                    "source_id": sid,
                }
                for wid, r, sid in items
            ],
        )
        self._insert(
            t.performers,
            [
                _performer_row(p, None, rid, sid)
                for (_, r, sid), rid in zip(items, ids, strict=True)
                for p in r.performers
            ],
        )

    def remove_statements(self, work_id: int, partner: str, source_id: int | None) -> int:
        """Remove what ``partner`` said about a work (claims, titles, recordings...).

        Each removed claim is kept in the history. Returns the number of claims removed.
        """
        stamp = now()
        by_partner = select(t.sources.c.id).where(t.sources.c.partner == partner)
        reader = WorkReader(self.conn)
        old_claims = [c for c in reader.claims(work_id) if c.source and c.source.partner == partner]
        self._insert(
            t.history,
            [
                _history(work_id, "claim", c.id, "delete", _claim_json(c), source_id, stamp)
                for c in old_claims
                if c.id is not None
            ],
        )
        for table in (t.claims, t.titles, t.recordings, t.performers):
            self.conn.execute(
                delete(table)
                .where(table.c.work_id == work_id)
                .where(table.c.source_id.in_(by_partner))
            )
        return len(old_claims)


def _history(
    work_id: int,
    entity: str,
    entity_id: int,
    action: str,
    before: dict[str, Any],
    source_id: int | None,
    stamp: datetime,
) -> dict[str, Any]:
    return {
        "work_id": work_id,
        "entity": entity,
        "entity_id": entity_id,
        "action": action,
        "before": before,
        "source_id": source_id,
        "changed_at": stamp,
    }


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in row.items()}


def _claim_json(claim: Claim) -> dict[str, Any]:
    return {
        "party": claim.party.name,
        "ipi_name_number": claim.party.ipi_name_number,
        "role": claim.role,
        "side": str(claim.side),
        "controlled": claim.controlled,
        "chain": claim.chain,
        "ownership": [claim.ownership.pr, claim.ownership.mr, claim.ownership.sr],
        "territories": [
            [ter.tis, ter.include, ter.collection.pr, ter.collection.mr, ter.collection.sr]
            for ter in claim.territories
        ],
    }


def _work_row(work: Work) -> dict[str, Any]:
    original = None
    if work.original is not None:
        o = work.original
        original = {
            "title": o.title,
            "iswc": o.iswc,
            "language": o.language,
            "writer_last_name": o.writer_last_name,
            "writer_first_name": o.writer_first_name,
        }
    return {
        "iswc": work.iswc,
        "title": work.title,
        "title_norm": normalise_title(work.title),
        "language": work.language,
        "duration": work.duration,
        "version_type": work.version_type,
        "distribution_category": work.distribution_category,
        "text_music_relationship": work.text_music_relationship,
        "copyright_date": work.copyright_date,
        "original": original,
    }


def _performer_row(
    p: Performer, work_id: int | None, recording_id: int | None, sid: int | None
) -> dict[str, Any]:
    return {
        "work_id": work_id,
        "recording_id": recording_id,
        "last_name": p.last_name,
        "first_name": p.first_name or "",
        "ipi_name_number": p.ipi_name_number,
        "ipi_base_number": p.ipi_base_number,
        "isni": p.isni,
        "source_id": sid,
    }


def _performer(row: Any) -> Performer:
    return Performer(
        last_name=row.last_name,
        first_name=row.first_name,
        ipi_name_number=row.ipi_name_number,
        ipi_base_number=row.ipi_base_number,
        isni=row.isni,
    )


class WorkReader:
    """Rebuilds model objects from the tables on one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._sources: dict[int, Source] = {}

    def source(self, source_id: int | None) -> Source | None:
        if source_id is None:
            return None
        if source_id not in self._sources:
            r = self.conn.execute(select(t.sources).where(t.sources.c.id == source_id)).one()
            self._sources[source_id] = Source(
                partner=r.partner,
                file=r.file_name,
                transaction=r.transaction_seq,
                received_at=r.received_at,
                transaction_type=r.transaction_type,
                id=r.id,
            )
        return self._sources[source_id]

    def affiliations(self, party_id: int) -> list[Affiliation]:
        rows = self.conn.execute(
            select(t.affiliations)
            .where(t.affiliations.c.party_id == party_id)
            .order_by(t.affiliations.c.id)
        )
        seen: dict[tuple[str, str, str], Affiliation] = {}
        for r in rows:  # the latest statement per right and territory wins
            seen[(r.right, r.territory, r.society)] = Affiliation(
                r.society, Right(r.right), r.territory, self.source(r.source_id)
            )
        return list(seen.values())

    def claims(self, work_id: int) -> list[Claim]:
        rows = self.conn.execute(
            select(t.claims, t.parties)
            .join(t.parties, t.parties.c.id == t.claims.c.party_id)
            .where(t.claims.c.work_id == work_id)
            .order_by(t.claims.c.source_id, t.claims.c.position, t.claims.c.id)
        ).all()
        territories: dict[int, list[TerritoryShare]] = {}
        if rows:
            for ter in self.conn.execute(
                select(t.claim_territories)
                .where(t.claim_territories.c.claim_id.in_([r.id for r in rows]))
                .order_by(t.claim_territories.c.claim_id, t.claim_territories.c.position)
            ):
                territories.setdefault(ter.claim_id, []).append(
                    TerritoryShare(
                        ter.tis,
                        ter.include,
                        Shares(ter.pr_collection, ter.mr_collection, ter.sr_collection),
                    )
                )
        claims = []
        for r in rows:
            m = r._mapping
            party = InterestedParty(
                last_name=m[t.parties.c.last_name],
                first_name=m[t.parties.c.first_name],
                ipi_name_number=m[t.parties.c.ipi_name_number],
                ipi_base_number=m[t.parties.c.ipi_base_number],
                is_legal_entity=m[t.parties.c.is_legal_entity],
                id=m[t.parties.c.id],
            )
            claims.append(
                Claim(
                    party=party,
                    role=m[t.claims.c.role],
                    side=Side(m[t.claims.c.side]),
                    ownership=Shares(
                        m[t.claims.c.pr_ownership],
                        m[t.claims.c.mr_ownership],
                        m[t.claims.c.sr_ownership],
                    ),
                    territories=territories.get(m[t.claims.c.id], []),
                    controlled=m[t.claims.c.controlled],
                    chain=m[t.claims.c.chain],
                    writer=m[t.claims.c.writer],
                    source=self.source(m[t.claims.c.source_id]),
                    id=m[t.claims.c.id],
                )
            )
        return claims

    def load(self, work_id: int) -> Work | None:
        row = self.conn.execute(select(t.works).where(t.works.c.id == work_id)).first()
        if row is None:
            return None
        original = OriginalWork(**row.original) if row.original else None
        work = Work(
            title=row.title,
            iswc=row.iswc,
            language=row.language,
            duration=row.duration,
            version_type=row.version_type,
            original=original,
            distribution_category=row.distribution_category,
            text_music_relationship=row.text_music_relationship,
            copyright_date=row.copyright_date,
            id=row.id,
        )
        work.titles = [
            Title(r.title, r.title_type, r.language)
            for r in self.conn.execute(
                select(t.titles).where(t.titles.c.work_id == work_id).order_by(t.titles.c.id)
            )
        ]
        work.numbers = [
            WorkNumber(r.issuer, r.number, r.kind)
            for r in self.conn.execute(
                select(t.work_numbers)
                .where(t.work_numbers.c.work_id == work_id)
                .order_by(t.work_numbers.c.id)
            )
        ]
        work.claims = self.claims(work_id)
        work.performers = [
            _performer(r)
            for r in self.conn.execute(
                select(t.performers)
                .where(t.performers.c.work_id == work_id)
                .order_by(t.performers.c.id)
            )
        ]
        recordings = self.conn.execute(
            select(t.recordings)
            .where(t.recordings.c.work_id == work_id)
            .order_by(t.recordings.c.id)
        ).all()
        for r in recordings:
            work.recordings.append(
                Recording(
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
                    performers=[
                        _performer(p)
                        for p in self.conn.execute(
                            select(t.performers)
                            .where(t.performers.c.recording_id == r.id)
                            .order_by(t.performers.c.id)
                        )
                    ],
                    source=self.source(r.source_id),
                )
            )
        return work
