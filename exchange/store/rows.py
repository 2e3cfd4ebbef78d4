"""Conversions between model objects and table rows, shared by the store's reader and writer."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any

from exchange.identifiers import iswc as iswc_id
from exchange.model import Claim, InterestedParty, Performer, Work
from exchange.normalise import normalise_title


def now() -> datetime:
    return datetime.now(UTC)


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


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
    }


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


def performer_from_row(row: Any) -> Performer:
    return Performer(
        last_name=row.last_name,
        first_name=row.first_name,
        ipi_name_number=row.ipi_name_number,
        ipi_base_number=row.ipi_base_number,
        isni=row.isni,
    )
