"""Conversions between model objects and table rows, shared by the store's reader and writer."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, any_, bindparam, func, select
from sqlalchemy.types import ARRAY, TypeDecorator, TypeEngine, UserDefinedType

from exchange.identifiers import iswc as iswc_id
from exchange.model import (
    Claim,
    Component,
    CrossReference,
    Instrument,
    Instrumentation,
    InterestedParty,
    OriginalWork,
    Performer,
    Production,
    Work,
    WorkNote,
)
from exchange.model_json import from_json, to_json
from exchange.normalise import normalise_title

#: Work attributes kept in the ``work_details`` table (its ``kind``), and their model class.
DETAIL_KINDS: dict[str, type] = {
    "entire_work": OriginalWork,
    "productions": Production,
    "instrumentation": Instrumentation,
    "instruments": Instrument,
    "components": Component,
    "notes": WorkNote,
    "references": CrossReference,
}
#: Those of them that hold one object, not a list.
SINGLE_DETAILS = frozenset({"entire_work"})


def now() -> datetime:
    return datetime.now(UTC)


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def one_of(dialect: str, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values``, the values bound as one parameter (see :func:`_in_list`): the
    lookups of every batch are then one statement, however many values they have, rather
    than a statement of hundreds of parameters rendered anew each time (and on SQLite no
    more than 999 of them).
    """
    return _in_list(dialect, column, None, value=list(values))


#: The parameter of :func:`in_ids`.
IDS = "ids"


class _JsonList(TypeDecorator[Sequence[Any]]):
    """A list of values bound as one JSON text (for SQLite's ``json_each``)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Sequence[Any] | None, dialect: Any) -> str | None:
        return None if value is None else json.dumps(list(value))


class _ArrayText(UserDefinedType[Sequence[Any]]):
    """PostgreSQL: a list bound as the text of one array of ``item`` values (``{1,2}``,
    ``{"a","b"}``), which the server reads as it reads a list the driver sends (the
    parameter is cast to the array type, the planner sees the values): the driver
    converts a list value by value in Python, which for the thousands of ids of an
    import's batch costs more than the query."""

    cache_ok = True
    render_bind_cast = True

    def __init__(self, item: TypeEngine[Any]) -> None:
        self.item = item
        self.numbers = isinstance(item, Integer)

    def get_col_spec(self, identifier_preparer: Any, **kw: Any) -> str:
        """The array type the parameter is cast to, as the dialect names it."""
        types = identifier_preparer.dialect.type_compiler_instance
        return str(types.process(ARRAY(self.item), identifier_preparer=identifier_preparer, **kw))

    def bind_processor(self, dialect: Any) -> Callable[[Sequence[Any] | None], str | None]:
        def process(value: Sequence[Any] | None) -> str | None:
            if value is None:
                return None
            if self.numbers and None not in value:
                return "{" + ",".join(map(str, value)) + "}"
            return "{" + ",".join(map(_array_element, value)) + "}"

        return process


def _array_element(value: Any) -> str:
    """A value as an element of the text of a PostgreSQL array."""
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def in_ids(dialect: str, column: Any) -> ColumnElement[bool]:
    """:func:`one_of` with the values given when the statement runs (``{IDS: [...]}``),
    for a statement built once and run for every batch: building a statement costs
    three times what running it on a few rows does (the HTTP API's lookups).
    """
    return _in_list(dialect, column, IDS)


def _in_list(dialect: str, column: Any, key: str | None, **value: Any) -> ColumnElement[bool]:
    """``column IN`` a list bound as the one parameter ``key`` (with its ``value``, if
    given): an array on PostgreSQL, a JSON list on SQLite (``IN (SELECT value FROM
    json_each(...))``, which SQLite plans as an ``IN`` list).
    """
    if dialect == "postgresql":
        return column == any_(bindparam(key, type_=_ArrayText(column.type), **value))
    listed = func.json_each(bindparam(key, type_=_JsonList(), **value)).table_valued("value")
    return column.in_(select(listed.c.value).scalar_subquery())


def party_from_row(row: Any) -> InterestedParty:
    return InterestedParty(
        last_name=row.last_name,
        first_name=row.first_name,
        ipi_name_number=row.ipi_name_number,
        ipi_base_number=row.ipi_base_number,
        is_legal_entity=row.is_legal_entity,
        id=row.id,
    )


def history_row(
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


def jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in row.items()}


def claim_json(claim: Claim) -> dict[str, Any]:
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


def work_row(work: Work) -> dict[str, Any]:
    original = to_json(work.original) if work.original is not None else None
    return {
        "iswc": iswc_id.compact(work.iswc) if work.iswc else None,  # as CWR and lookups have it
        "title": work.title,
        "title_norm": normalise_title(work.title),
        "language": work.language,
        "duration": work.duration,
        "version_type": work.version_type,
        "music_arrangement": work.music_arrangement,
        "lyric_adaptation": work.lyric_adaptation,
        "distribution_category": work.distribution_category,
        "text_music_relationship": work.text_music_relationship,
        "copyright_date": work.copyright_date,
        "original": original,
        "excerpt_type": work.excerpt_type,
        "composite_type": work.composite_type,
        "composite_count": work.composite_count,
    }


def detail_rows(work: Work, work_id: int, sid: int | None) -> list[dict[str, Any]]:
    """The ``work_details`` rows of a work: one per object, in the work's order."""
    rows = []
    for kind in DETAIL_KINDS:
        held = getattr(work, kind)
        items = ([] if held is None else [held]) if kind in SINGLE_DETAILS else held
        rows += [
            {
                "work_id": work_id,
                "kind": kind,
                "position": n,
                "data": to_json(item),
                "source_id": sid,
            }
            for n, item in enumerate(items)
        ]
    return rows


def add_detail(work: Work, kind: str, data: Any) -> None:
    """Give a work the object of a ``work_details`` row (the first one of a single kind)."""
    value = from_json(DETAIL_KINDS[kind], data)
    if kind in SINGLE_DETAILS:
        if getattr(work, kind) is None:
            setattr(work, kind, value)
    else:
        getattr(work, kind).append(value)


def original_from_json(data: dict[str, Any] | None) -> OriginalWork | None:
    return from_json(OriginalWork, data) if data else None


def performer_row(
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


#: The columns of a ``performers`` row that :func:`performer_from_row` takes, in order.
PERFORMER_COLUMNS = ("last_name", "first_name", "ipi_name_number", "ipi_base_number", "isni")


def performer_from_row(
    last_name: str,
    first_name: str,
    ipi_name_number: str | None,
    ipi_base_number: str | None,
    isni: str | None,
) -> Performer:
    return Performer(
        last_name=last_name,
        first_name=first_name,
        ipi_name_number=ipi_name_number,
        ipi_base_number=ipi_base_number,
        isni=isni,
    )
