"""JSON-ready views of model objects, shared by the command line and the HTTP API.

Shares stay integers in hundredths of a percent; ISWCs are in the compact form.
"""

from __future__ import annotations

from typing import Any

from exchange.model import Claim, InterestedParty, Recording, Source, Work
from exchange.model_json import to_json


def source_view(source: Source | None) -> dict[str, Any] | None:
    if source is None:
        return None
    return {
        "partner": source.partner,
        "file": source.file,
        "transaction": source.transaction,
        "transaction_type": source.transaction_type,
        "received_at": source.received_at.isoformat() if source.received_at else None,
    }


def party_view(party: InterestedParty) -> dict[str, Any]:
    return {
        "id": party.id,
        "name": party.name,
        "last_name": party.last_name,
        "first_name": party.first_name,
        "ipi_name_number": party.ipi_name_number,
        "ipi_base_number": party.ipi_base_number,
        "legal_entity": party.is_legal_entity,
        "affiliations": [
            {
                "society": a.society,
                "right": str(a.right),
                "territory": a.territory,
                "source": source_view(a.source),
            }
            for a in party.affiliations
        ],
    }


def claim_view(claim: Claim) -> dict[str, Any]:
    return {
        "id": claim.id,
        "party": party_view(claim.party),
        "side": str(claim.side),
        "role": claim.role,
        "controlled": claim.controlled,
        "chain": claim.chain,
        "writers": list(claim.writers),
        "ownership": {"pr": claim.ownership.pr, "mr": claim.ownership.mr, "sr": claim.ownership.sr},
        "territories": [
            {
                "tis": t.tis,
                "include": t.include,
                "collection": {"pr": t.collection.pr, "mr": t.collection.mr, "sr": t.collection.sr},
            }
            for t in claim.territories
        ],
        "source": source_view(claim.source),
    }


def recording_view(recording: Recording) -> dict[str, Any]:
    return {
        "isrc": recording.isrc,
        "title": recording.title,
        "version_title": recording.version_title,
        "duration": recording.duration,
        "label": recording.label,
        "release_date": recording.release_date.isoformat() if recording.release_date else None,
        "album_title": recording.album_title,
        "display_artist": recording.display_artist,
        "recording_format": recording.recording_format,
        "recording_technique": recording.recording_technique,
        "media_type": recording.media_type,
        "isrc_validity": recording.isrc_validity,
        "submitter_recording_id": recording.submitter_recording_id,
        "performers": [
            {"last_name": p.last_name, "first_name": p.first_name, "isni": p.isni}
            for p in recording.performers
        ],
        "source": source_view(recording.source),
    }


def work_view(work: Work) -> dict[str, Any]:
    original = work.original
    return {
        "id": work.id,
        "iswc": work.iswc,
        "title": work.title,
        "language": work.language,
        "duration": work.duration,
        "version_type": work.version_type,
        "music_arrangement": work.music_arrangement,
        "lyric_adaptation": work.lyric_adaptation,
        "original": None if original is None else to_json(original),
        "excerpt_type": work.excerpt_type,
        "entire_work": None if work.entire_work is None else to_json(work.entire_work),
        "composite_type": work.composite_type,
        "composite_count": work.composite_count,
        "distribution_category": work.distribution_category,
        "titles": [{"title": t.title, "type": t.type, "language": t.language} for t in work.titles],
        "numbers": [{"issuer": n.issuer, "number": n.number, "kind": n.kind} for n in work.numbers],
        "claims": [claim_view(c) for c in work.claims],
        "performers": [
            {"last_name": p.last_name, "first_name": p.first_name} for p in work.performers
        ],
        "recordings": [recording_view(r) for r in work.recordings],
        "productions": [to_json(p) for p in work.productions],
        "instrumentation": [to_json(i) for i in work.instrumentation],
        "instruments": [to_json(i) for i in work.instruments],
        "components": [to_json(c) for c in work.components],
        "notes": [to_json(n) for n in work.notes],
        "references": [to_json(r) for r in work.references],
    }
