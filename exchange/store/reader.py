"""Rebuilding model objects from the tables, many works at a time.

:meth:`WorkReader.load_many` asks a fixed number of queries per chunk of works,
whatever the number of works, so an export of the whole repertoire streams.
:meth:`WorkReader.load` reads one work (the HTTP API's lookups) on PostgreSQL in a
single statement, each of those queries' rows as a JSON array.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Date,
    Executable,
    Select,
    String,
    Table,
    and_,
    bindparam,
    func,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from exchange.model import (
    Affiliation,
    Claim,
    InterestedParty,
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
from exchange.store.rows import (
    IDS,
    PERFORMER_COLUMNS,
    add_detail,
    chunks,
    in_ids,
    one_of,
    original_from_json,
    performer_from_row,
)

CHUNK = 500
AFFILIATION_CACHE = 100_000  # parties whose affiliations a reader keeps
SOURCE_CACHE = 100_000  # sources a reader keeps
_RIGHTS = {r.value: r for r in Right}
_SIDES = {s.value: s for s in Side}


def registered_by(conn: Connection, work_ids: Iterable[int]) -> set[tuple[int, str]]:
    """(work id, sender) for each of the works' work numbers that a sender gave it."""
    n = t.work_numbers
    held: set[tuple[int, str]] = set()
    ids = sorted(set(work_ids))
    if ids:
        rows = conn.execute(
            select(n.c.work_id, n.c.issuer).where(
                n.c.kind == "submitter", one_of(conn.dialect.name, n.c.work_id, ids)
            )
        )
        held.update((work_id, issuer) for work_id, issuer in rows.all())
    return held


# The statements of a reader, built once per database. Each one is also built for the
# statement of one work on PostgreSQL (``one_work``: see _work_query), which reads the
# rows of each as a JSON array.

#: The parameter of the statement of one work: its id.
WORK_ID = "work_id"


def _given(dialect: str, column: Any, one_work: bool) -> ColumnElement[bool]:
    """``column`` is one of the ids the statement runs for (:func:`in_ids`), or the
    work's id (:data:`WORK_ID`) in the statement of one work."""
    return column == bindparam(WORK_ID) if one_work else in_ids(dialect, column)


def _selecting(columns: Sequence[Any], order: Sequence[Any], one_work: bool) -> Select[Any]:
    """The start of a statement for ``columns`` in ``order`` (its FROM and WHERE to add):
    a row each, or in the statement of one work one JSON array of them (NULL: none),
    each row an array of the columns."""
    if one_work:
        rows = func.json_agg(aggregate_order_by(func.json_build_array(*columns), *order))
        return select(rows)
    return select(*columns).order_by(*order)


class _AsGiven(String):
    """A source's time of receipt as the driver gives it: the reader converts it once per
    source (:meth:`WorkReader._source`)."""


#: What a :class:`Source` is built of, joined to the rows that name a source. The time
#: of receipt comes as the driver gives it, converted once per source rather than for
#: every claim, affiliation and recording row (on SQLite, text to parse).
_SOURCE = (
    t.sources.c.id,
    t.sources.c.partner,
    t.sources.c.file_name,
    t.sources.c.transaction_seq,
    type_coerce(t.sources.c.received_at, _AsGiven()),
    t.sources.c.transaction_type,
)


@cache
def _by_ids(
    dialect: str, table: str, column: str, names: tuple[str, ...], one_work: bool = False
) -> Select[Any]:
    """The columns ``names`` of every row of ``table`` whose ``column`` is one of the ids
    given, in id order.

    The reader unpacks the rows as tuples: a row's values by name cost 20 times more.
    """
    of: Table = t.metadata.tables[table]
    columns = [of.c[name] for name in names]
    return (
        _selecting(columns, [of.c.id], one_work)
        .select_from(of)
        .where(_given(dialect, of.c[column], one_work))
    )


_WORK = (
    "id",
    "title",
    "iswc",
    "language",
    "duration",
    "version_type",
    "music_arrangement",
    "lyric_adaptation",
    "original",
    "excerpt_type",
    "composite_type",
    "composite_count",
    "distribution_category",
    "text_music_relationship",
    "copyright_date",
)
_TITLE = ("work_id", "title", "title_type", "language")
_NUMBER = ("work_id", "issuer", "number", "kind")
_DETAIL = ("work_id", "kind", "data")
_RECORDING = (
    "id",
    "work_id",
    "isrc",
    "title",
    "version_title",
    "duration",
    "label",
    "release_date",
    "album_title",
    "catalogue_number",
    "ean",
    "display_artist",
    "recording_format",
    "recording_technique",
    "media_type",
    "isrc_validity",
    "submitter_recording_id",
)


@cache
def _claims_query(dialect: str, one_work: bool = False) -> Select[Any]:
    """The claims of the works given, with their parties, the key each source gave,
    and their territories (a row for each, in order; none: one row)."""
    c, p, key, ct = t.claims, t.parties, t.party_keys, t.claim_territories
    columns = (
        c.c.id,
        c.c.work_id,
        c.c.role,
        c.c.side,
        c.c.controlled,
        c.c.chain,
        c.c.writers,
        c.c.pr_ownership,
        c.c.mr_ownership,
        c.c.sr_ownership,
        *_SOURCE,
        p.c.id,
        p.c.last_name,
        p.c.first_name,
        p.c.ipi_name_number,
        p.c.ipi_base_number,
        p.c.is_legal_entity,
        key.c.key,
        ct.c.id,
        ct.c.tis,
        ct.c.include,
        ct.c.pr_collection,
        ct.c.mr_collection,
        ct.c.sr_collection,
    )
    order = (c.c.work_id, c.c.source_id, c.c.position, c.c.id, ct.c.position)
    return (
        _selecting(columns, order, one_work)
        .select_from(c)
        .join(p, p.c.id == c.c.party_id)
        .outerjoin(t.sources, t.sources.c.id == c.c.source_id)
        .outerjoin(
            key,
            and_(key.c.party_id == c.c.party_id, key.c.issuer == t.sources.c.partner),
        )
        .outerjoin(ct, ct.c.claim_id == c.c.id)
        .where(_given(dialect, c.c.work_id, one_work))
    )


@cache
def _affiliations_query(dialect: str, one_work: bool = False) -> Select[Any]:
    """The affiliations of the parties given, or of those that claim on the one work."""
    a, c = t.affiliations, t.claims
    if one_work:
        given = a.c.party_id.in_(select(c.c.party_id).where(_given(dialect, c.c.work_id, True)))
    else:
        given = in_ids(dialect, a.c.party_id)
    return (
        _selecting(
            (a.c.party_id, a.c.right, a.c.territory, a.c.society, *_SOURCE), [a.c.id], one_work
        )
        .select_from(a)
        .outerjoin(t.sources, t.sources.c.id == a.c.source_id)
        .where(given)
    )


@cache
def _recordings_query(dialect: str, one_work: bool = False) -> Select[Any]:
    """The recordings of the works given, each with its source (the last columns)."""
    r = t.recordings
    return (
        _selecting((*(r.c[name] for name in _RECORDING), *_SOURCE), [r.c.id], one_work)
        .select_from(r)
        .outerjoin(t.sources, t.sources.c.id == r.c.source_id)
        .where(_given(dialect, r.c.work_id, one_work))
    )


@cache
def _performers_query(dialect: str, one_work: bool = False) -> Select[Any] | CompoundSelect[Any]:
    """The performers of the works given and of their recordings, in id order."""
    p, r = t.performers, t.recordings
    columns = (p.c.id, p.c.work_id, p.c.recording_id, *(p.c[n] for n in PERFORMER_COLUMNS))
    of_works = select(*columns).where(_given(dialect, p.c.work_id, one_work))
    of_recordings = (
        select(*columns)
        .join(r, r.c.id == p.c.recording_id)
        .where(_given(dialect, r.c.work_id, one_work))
    )
    performers = union_all(of_works, of_recordings)
    if one_work:
        both = performers.subquery()
        return _selecting(list(both.c), [both.c.id], True).select_from(both)
    return performers.order_by(p.c.id.name)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


#: What turns a value of these types, which JSON holds as text, into the driver's.
_FROM_JSON_TEXT: tuple[tuple[type, Callable[[str], Any]], ...] = (
    (t.UtcDateTime, _utc),
    (_AsGiven, _utc),
    (Date, date.fromisoformat),
)


class _JsonRows:
    """The rows of one of the reader's statements, from the JSON array that the statement
    of one work holds of them: the values the driver gives, times and dates included."""

    def __init__(self, statement: Select[Any] | CompoundSelect[Any]) -> None:
        #: The columns that JSON holds as text, each with what reads it.
        self.from_text = tuple(
            (index, convert)
            for index, column in enumerate(statement.selected_columns)
            for kind, convert in _FROM_JSON_TEXT
            if isinstance(column.type, kind)
        )

    def rows(self, document: list[list[Any]] | None) -> list[list[Any]]:
        if document is None:  # no row
            return []
        if self.from_text:
            for row in document:
                for index, convert in self.from_text:
                    if row[index] is not None:
                        row[index] = convert(row[index])
        return document


#: The statements of a work's parts, in the order the reader reads them (the works'
#: rows first): each one's builder and its arguments after the dialect.
_PARTS: tuple[tuple[Callable[..., Any], tuple[Any, ...]], ...] = (
    (_by_ids, ("works", "id", _WORK)),
    (_by_ids, ("titles", "work_id", _TITLE)),
    (_by_ids, ("work_numbers", "work_id", _NUMBER)),
    (_claims_query, ()),
    (_affiliations_query, ()),
    (_by_ids, ("work_details", "work_id", _DETAIL)),
    (_recordings_query, ()),
    (_performers_query, ()),
)


@cache
def _work_query() -> tuple[Select[Any], tuple[_JsonRows, ...]]:
    """PostgreSQL's statement of one work (:data:`WORK_ID`), and its parts: one row,
    each column the rows of one of the reader's statements (:data:`_PARTS`) as JSON.

    One round trip rather than eight, and one plan, which the server keeps (the
    statements of many works, on an array of ids, are planned again on every call).
    """
    columns = [
        build("postgresql", *arguments, one_work=True).scalar_subquery()
        for build, arguments in _PARTS
    ]
    parts = tuple(_JsonRows(build("postgresql", *arguments)) for build, arguments in _PARTS)
    return select(*columns), parts


# Shares and territory shares are frozen and few values recur across claims: one
# object per value (making a frozen object costs more than finding it).
@lru_cache(maxsize=65536)
def _shares(pr: int, mr: int, sr: int) -> Shares:
    return Shares(pr, mr, sr)


@lru_cache(maxsize=65536)
def _territory_share(tis: str, include: bool, pr: int, mr: int, sr: int) -> TerritoryShare:
    return TerritoryShare(tis, include, _shares(pr, mr, sr))


class WorkReader:
    """Reads works, claims and sources on one connection.

    Sources and the parties' affiliations recur from work to work: a reader keeps them
    for its life, up to a bound (a long export keeps memory flat).
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        received_at = t.sources.c.received_at.type.dialect_impl(conn.dialect)
        to_datetime = received_at.result_processor(conn.dialect, None)
        assert to_datetime is not None  # UtcDateTime makes every driver's value aware
        self._received_at = to_datetime
        self._sources: dict[int, Source] = {}
        self._affiliations: dict[int, list[Affiliation]] = {}

    # -- sources ------------------------------------------------------------------

    def _source(
        self,
        source_id: int | None,
        partner: str,
        file_name: str | None,
        transaction: int | None,
        received_at: object,
        transaction_type: str | None,
    ) -> Source | None:
        """The source of these columns (:data:`_SOURCE`), one object per id."""
        if source_id is None:
            return None
        found = self._sources.get(source_id)
        if found is None:
            if len(self._sources) >= SOURCE_CACHE:
                self._sources.clear()
            found = self._sources[source_id] = Source(
                partner=partner,
                file=file_name,
                transaction=transaction,
                received_at=self._received_at(received_at),
                transaction_type=transaction_type,
                id=source_id,
            )
        return found

    def source(self, source_id: int | None) -> Source | None:
        if source_id is None:
            return None
        found = self._sources.get(source_id)
        if found is None:
            row = self.conn.execute(select(*_SOURCE).where(t.sources.c.id == source_id)).one()
            found = self._source(*row)
        return found

    # -- parties ------------------------------------------------------------------

    def affiliations_of(self, party_ids: Sequence[int]) -> dict[int, list[Affiliation]]:
        """Current affiliations per party: the latest statement per right and territory.

        Kept for the reader's life, up to a bound.
        """
        known = self._affiliations
        wanted = [pid for pid in party_ids if pid not in known]
        if len(known) + len(wanted) > AFFILIATION_CACHE:
            known.clear()
            wanted = list(party_ids)
        latest = self._affiliations_from(self._run(_affiliations_query(self.dialect), wanted))
        for pid in wanted:
            known[pid] = latest.get(pid, [])
        return {pid: known[pid] for pid in party_ids}

    def _affiliations_from(self, rows: Iterable[Sequence[Any]]) -> dict[int, list[Affiliation]]:
        """The current affiliations of the parties in these rows of the affiliations."""
        latest: dict[int, dict[tuple[str, str], Affiliation]] = defaultdict(dict)
        source = self._source
        for party_id, right, territory, society, *of_source in rows:
            latest[party_id][(right, territory)] = Affiliation(
                society, _RIGHTS[right], territory, source(*of_source)
            )
        return {pid: list(by_right.values()) for pid, by_right in latest.items()}

    # -- claims -------------------------------------------------------------------

    def claims_of(self, work_ids: Sequence[int]) -> dict[int, list[Claim]]:
        """Claims per work, each with its party (and the key its source uses for it)."""
        rows = self._run(_claims_query(self.dialect), work_ids)
        affiliations = self.affiliations_of(list(dict.fromkeys(r[16] for r in rows)))
        return self._claims_from(rows, affiliations)

    def _claims_from(
        self, rows: Sequence[Sequence[Any]], affiliations: dict[int, list[Affiliation]]
    ) -> dict[int, list[Claim]]:
        """Claims per work, from these rows of the claims (:func:`_claims_query`)."""
        result: dict[int, list[Claim]] = defaultdict(list)
        territories: dict[int, list[TerritoryShare]] = {}  # of each claim, as it is built
        placed: set[int] = set()  # territory rows (a party with two keys repeats them)
        source = self._source
        shares = _shares
        territory_share = _territory_share
        for (
            claim_id,
            work_id,
            role,
            side,
            controlled,
            chain,
            writers,
            pr,
            mr,
            sr,
            source_id,
            partner,
            file_name,
            transaction,
            received_at,
            transaction_type,
            party_id,
            last_name,
            first_name,
            ipi_name,
            ipi_base,
            legal,
            party_key,
            territory_id,
            tis,
            include,
            pr_collection,
            mr_collection,
            sr_collection,
        ) in rows:
            if territory_id is not None and territory_id not in placed:
                placed.add(territory_id)
                share = territory_share(tis, include, pr_collection, mr_collection, sr_collection)
            else:
                share = None
            if claim_id in territories:  # a further territory, or the party's other key
                if share is not None:
                    territories[claim_id].append(share)
                continue
            territories[claim_id] = [] if share is None else [share]
            party = InterestedParty(
                last_name=last_name,
                first_name=first_name,
                ipi_name_number=ipi_name,
                ipi_base_number=ipi_base,
                is_legal_entity=legal,
                key=party_key,
                affiliations=affiliations.get(party_id, []),
                id=party_id,
            )
            result[work_id].append(
                Claim(
                    party=party,
                    role=role,
                    side=_SIDES[side],
                    ownership=shares(pr, mr, sr),
                    territories=territories[claim_id],
                    controlled=controlled,
                    chain=chain,
                    writers=tuple(writers.split(",")) if writers else (),
                    source=source(
                        source_id, partner, file_name, transaction, received_at, transaction_type
                    ),
                    id=claim_id,
                )
            )
        return result

    def claims(self, work_id: int) -> list[Claim]:
        return self.claims_of([work_id]).get(work_id, [])

    # -- works --------------------------------------------------------------------

    def _run(self, statement: Executable, ids: Sequence[int]) -> list[Any]:
        """The rows of a statement of :data:`IDS` for these ids, a chunk at a time."""
        rows: list[Any] = []
        for chunk in chunks(list(ids), CHUNK):
            # all at once: iterating a result fetches row by row
            rows += self.conn.execute(statement, {IDS: list(chunk)}).all()
        return rows

    def _rows(
        self, table: Table, column: str, ids: Sequence[int], names: tuple[str, ...]
    ) -> list[Any]:
        return self._run(_by_ids(self.dialect, table.name, column, names), ids)

    def load_many(self, work_ids: Sequence[int]) -> list[Work]:
        """The works with these ids, in the order given (unknown ids are left out)."""
        dialect = self.dialect
        works = self._works_from(self._rows(t.works, "id", work_ids, _WORK))
        ids = list(works)
        self._complete(
            works,
            self._rows(t.titles, "work_id", ids, _TITLE),
            self._rows(t.work_numbers, "work_id", ids, _NUMBER),
            self.claims_of(ids),
            self._rows(t.work_details, "work_id", ids, _DETAIL),
            self._run(_recordings_query(dialect), ids),
            self._run(_performers_query(dialect), ids),
        )
        return [works[i] for i in work_ids if i in works]

    def load(self, work_id: int) -> Work | None:
        """The work with this id (None: no such work); on PostgreSQL in one statement."""
        if self.dialect != "postgresql":
            found = self.load_many([work_id])
            return found[0] if found else None
        statement, parts = _work_query()
        documents = self.conn.execute(statement, {WORK_ID: work_id}).one()
        work_rows, titles, numbers, claims, affiliations, details, recordings, performers = (
            part.rows(document) for part, document in zip(parts, documents, strict=True)
        )
        works = self._works_from(work_rows)
        if not works:
            return None
        self._complete(
            works,
            titles,
            numbers,
            self._claims_from(claims, self._affiliations_from(affiliations)),
            details,
            recordings,
            performers,
        )
        return works[work_id]

    def _works_from(self, rows: Iterable[Sequence[Any]]) -> dict[int, Work]:
        """The works of these rows of the works (:data:`_WORK`), by id, without their parts."""
        works: dict[int, Work] = {}
        for (
            work_id,
            title,
            iswc,
            language,
            duration,
            version_type,
            music_arrangement,
            lyric_adaptation,
            original,
            excerpt_type,
            composite_type,
            composite_count,
            distribution_category,
            text_music_relationship,
            copyright_date,
        ) in rows:
            works[work_id] = Work(
                title=title,
                iswc=iswc,
                language=language,
                duration=duration,
                version_type=version_type,
                music_arrangement=music_arrangement,
                lyric_adaptation=lyric_adaptation,
                original=original_from_json(original),
                excerpt_type=excerpt_type,
                composite_type=composite_type,
                composite_count=composite_count,
                distribution_category=distribution_category,
                text_music_relationship=text_music_relationship,
                copyright_date=copyright_date,
                id=work_id,
            )
        return works

    def _complete(
        self,
        works: dict[int, Work],
        titles: Iterable[Sequence[Any]],
        numbers: Iterable[Sequence[Any]],
        claims: dict[int, list[Claim]],
        details: Iterable[Sequence[Any]],
        recordings: Iterable[Sequence[Any]],
        performers: Iterable[Sequence[Any]],
    ) -> None:
        """Give the works their parts, from the rows of the reader's statements."""
        for work_id, title, kind, language in titles:
            works[work_id].titles.append(Title(title, kind, language))
        for work_id, issuer, number, kind in numbers:
            works[work_id].numbers.append(WorkNumber(issuer, number, kind))
        for work_id, of_work in claims.items():
            works[work_id].claims = of_work
        for work_id, kind, data in details:
            add_detail(works[work_id], kind, data)
        by_id: dict[int, Recording] = {}
        source = self._source
        for (
            recording_id,
            work_id,
            isrc,
            title,
            version_title,
            duration,
            label,
            release_date,
            album_title,
            catalogue_number,
            ean,
            display_artist,
            recording_format,
            recording_technique,
            media_type,
            isrc_validity,
            submitter_recording_id,
            *of_source,
        ) in recordings:
            recording = Recording(
                isrc=isrc,
                title=title,
                version_title=version_title,
                duration=duration,
                label=label,
                release_date=release_date,
                album_title=album_title,
                catalogue_number=catalogue_number,
                ean=ean,
                display_artist=display_artist,
                recording_format=recording_format,
                recording_technique=recording_technique,
                media_type=media_type,
                isrc_validity=isrc_validity,
                submitter_recording_id=submitter_recording_id,
                source=source(*of_source),
            )
            by_id[recording_id] = recording
            works[work_id].recordings.append(recording)
        for _, work_id, recording_id, *performer in performers:
            of = works[work_id] if work_id is not None else by_id[recording_id]
            of.performers.append(performer_from_row(*performer))
