"""From CWR work transactions to model objects.

The mapping mirrors :mod:`adapters.cwr.work_records`: what the writer puts in a
field, :func:`work_from_transaction` takes back out, so that a work written
and read again is the same work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from adapters.cwr.records import date_or_none, number_or_none
from adapters.cwr.transactions import Record, Transaction
from adapters.cwr.work_details import DETAILS, duration_seconds
from exchange.identifiers import is_digits
from exchange.model import (
    Affiliation,
    Claim,
    Finding,
    InterestedParty,
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

PUBLISHER_RECORDS = {"SPU": True, "OPU": False}
WRITER_RECORDS = {"SWR": True, "OWR": False}
PUBLISHER_TERRITORIES = frozenset({"SPT", "OPT"})
WRITER_TERRITORIES = frozenset({"SWT", "OWT"})


def _int(value: str) -> int:
    return number_or_none(value) or 0


def _opt(value: str) -> str | None:
    return value or None


_SHARE_FIELDS = {
    kind: (f"pr_{kind}_share", f"mr_{kind}_share", f"sr_{kind}_share")
    for kind in ("ownership", "collection")
}
_SOCIETY_FIELDS = ((Right.PR, "pr_society"), (Right.MR, "mr_society"), (Right.SR, "sr_society"))


def _shares(record: Record, kind: str) -> Shares:
    values = record.values
    pr, mr, sr = _SHARE_FIELDS[kind]
    return _shares_of(values[pr], values[mr], values[sr])


# Shares and territory shares are values (frozen): the few that a file repeats are
# made once.
@lru_cache(maxsize=4096)
def _shares_of(pr: str, mr: str, sr: str) -> Shares:
    return Shares(_int(pr), _int(mr), _int(sr))


def _affiliations(record: Record) -> list[Affiliation]:
    values = record.values
    found = []
    for right, name in _SOCIETY_FIELDS:
        society = values[name]
        if is_digits(society):
            found.append(Affiliation(society.zfill(3), right))
    return found


def _territory(record: Record) -> TerritoryShare:
    values = record.values
    pr, mr, sr = _SHARE_FIELDS["collection"]
    return _territory_of(
        values.get("tis_code", ""),
        values.get("inclusion_exclusion_indicator", ""),
        values[pr],
        values[mr],
        values[sr],
    )


@lru_cache(maxsize=4096)
def _territory_of(tis: str, indicator: str, pr: str, mr: str, sr: str) -> TerritoryShare:
    return TerritoryShare(
        tis.zfill(4) if is_digits(tis) else tis, indicator != "E", _shares_of(pr, mr, sr)
    )


@dataclass(slots=True)
class MappedWork:
    """A work read from a transaction, with the file line of each claim (for findings)."""

    work: Work
    submitter_number: str
    claim_lines: dict[int, int] = field(default_factory=dict)
    #: WARN findings for the records read and not kept (non-Roman names and titles)
    findings: list[Finding] = field(default_factory=list)

    def line_of(self, claim: Claim) -> int | None:
        return self.claim_lines.get(id(claim))


def _publisher(record: Record, controlled: bool, source: Source | None) -> Claim:
    party = InterestedParty(
        last_name=record.values.get("publisher_name", ""),
        ipi_name_number=_opt(record.values.get("ipi_name_number", "")),
        ipi_base_number=_opt(record.values.get("ipi_base_number", "")),
        is_legal_entity=True,
        key=_opt(record.values.get("interested_party_number", "")),
        affiliations=_affiliations(record),
    )
    return Claim(
        party=party,
        role=record.values.get("publisher_type", ""),
        side=Side.PUBLISHER,
        ownership=_shares(record, "ownership"),
        controlled=controlled,
        chain=_int(record.values.get("publisher_sequence", "")) or None,
        source=source,
    )


def _writer(record: Record, controlled: bool, source: Source | None) -> Claim:
    party = InterestedParty(
        last_name=record.values.get("writer_last_name", ""),
        first_name=record.values.get("writer_first_name", ""),
        ipi_name_number=_opt(record.values.get("ipi_name_number", "")),
        ipi_base_number=_opt(record.values.get("ipi_base_number", "")),
        key=_opt(record.values.get("interested_party_number", "")),
        affiliations=_affiliations(record),
    )
    return Claim(
        party=party,
        role=record.values.get("writer_designation_code", ""),
        side=Side.WRITER,
        ownership=_shares(record, "ownership"),
        controlled=controlled,
        source=source,
    )


def _recording(record: Record, source: Source | None) -> Recording:
    return Recording(
        isrc=_opt(record.values.get("isrc", "")),
        title=_opt(record.values.get("recording_title", "")),
        version_title=_opt(record.values.get("version_title", "")),
        duration=duration_seconds(record.values.get("first_release_duration", "")),
        label=_opt(record.values.get("record_label", ""))
        or _opt(record.values.get("first_album_label", "")),
        release_date=date_or_none(record.values.get("first_release_date", "")),
        album_title=_opt(record.values.get("first_album_title", "")),
        catalogue_number=_opt(record.values.get("first_release_catalog_number", "")),
        ean=_opt(record.values.get("ean", "")),
        display_artist=_opt(record.values.get("display_artist", "")),
        recording_format=_opt(record.values.get("recording_format", "")),
        recording_technique=_opt(record.values.get("recording_technique", "")),
        media_type=_opt(record.values.get("media_type", "")),
        isrc_validity=_opt(record.values.get("isrc_validity", "")),
        submitter_recording_id=_opt(record.values.get("submitter_recording_identifier", "")),
        source=source,
    )


def _link_publisher(work: Work, record: Record) -> None:
    """PWR: the writer named on it is represented by the publisher (chain) named on it."""
    publisher_key = record.values.get("publisher_ip_number", "")
    writer_key = record.values.get("writer_ip_number", "")
    chain = (
        _int(record.values.get("publisher_sequence", ""))
        if record.values.get("publisher_sequence", "")
        else None
    )
    if not writer_key:
        return
    for claim in work.claims:
        if (
            claim.side is Side.PUBLISHER
            and claim.party.key == publisher_key
            and (chain is None or claim.chain == chain)
        ):
            if writer_key not in claim.writers:
                claim.writers = (*claim.writers, writer_key)
            return


_DETAIL: dict[str, Callable[[Work, Record, Source | None, MappedWork], None]] = {}


def _detail(*types: str) -> Callable[..., Callable[..., None]]:
    def register(fn: Callable[[Work, Record, Source | None, MappedWork], None]) -> Callable:
        for t in types:
            _DETAIL[t] = fn
        return fn

    return register


@_detail("SPU", "OPU")
def _on_publisher(work: Work, r: Record, source: Source | None, mapped: MappedWork) -> None:
    claim = _publisher(r, PUBLISHER_RECORDS[r.type], source)
    work.claims.append(claim)
    mapped.claim_lines[id(claim)] = r.line


@_detail("SWR", "OWR")
def _on_writer(work: Work, r: Record, source: Source | None, mapped: MappedWork) -> None:
    claim = _writer(r, WRITER_RECORDS[r.type], source)
    work.claims.append(claim)
    mapped.claim_lines[id(claim)] = r.line


@_detail("SPT", "OPT", "SWT", "OWT")
def _on_territory(work: Work, r: Record, source: Source | None, mapped: MappedWork) -> None:
    side = Side.PUBLISHER if r.type in PUBLISHER_TERRITORIES else Side.WRITER
    if work.claims and work.claims[-1].side is side:
        work.claims[-1].territories.append(_territory(r))


@_detail("PWR")
def _on_pwr(work: Work, r: Record, source: Source | None, mapped: MappedWork) -> None:
    _link_publisher(work, r)


@_detail("ALT")
def _on_alt(work: Work, r: Record, source: Source | None, mapped: MappedWork) -> None:
    work.titles.append(
        Title(
            r.values.get("alternate_title", ""),
            r.values.get("title_type", ""),
            _opt(r.values.get("language_code", "")),
        )
    )


def _on_detail(work: Work, r: Record, source: Source | None, mapped: MappedWork) -> None:
    """EWT, VER, ORN, INS, IND, COM, ARI: one model object each (:mod:`work_details`)."""
    detail = DETAILS[r.type]
    value = detail.read(r.values)
    if detail.single:
        setattr(work, detail.attribute, value)
    else:
        getattr(work, detail.attribute).append(value)


_DETAIL.update(dict.fromkeys(DETAILS.keys() - {"XRF"}, _on_detail))


@_detail("PER")
def _on_performer(work: Work, r: Record, source: Source | None, mapped: MappedWork) -> None:
    work.performers.append(
        Performer(
            last_name=r.values.get("performing_artist_last_name", ""),
            first_name=r.values.get("performing_artist_first_name", ""),
            ipi_name_number=_opt(r.values.get("ipi_name_number", "")),
            ipi_base_number=_opt(r.values.get("ipi_base_number", "")),
        )
    )


@_detail("REC")
def _on_recording(work: Work, r: Record, source: Source | None, mapped: MappedWork) -> None:
    work.recordings.append(_recording(r, source))


@_detail("XRF")
def _on_xrf(work: Work, r: Record, source: Source | None, mapped: MappedWork) -> None:
    """A work identifier (type W) is a society's work number; others are cross references."""
    if r.values.get("identifier_type", "") in ("W", "") and r.values.get("identifier", ""):
        work.numbers.append(
            WorkNumber(
                r.values.get("organisation_code", ""), r.values.get("identifier", ""), "society"
            )
        )
    elif r.values.get("identifier", ""):
        _on_detail(work, r, source, mapped)
    else:
        mapped.findings.append(_not_kept(r))


def _not_kept(r: Record) -> Finding:
    return Finding(
        "WARN",
        f"{r.type} record read and not kept: the node does not store what it says, "
        "and an export of the work will not carry it",
        r.line,
        r.type,
    )


def work_from_records(
    header: Record, details: list[Record], sender: str, source: Source | None = None
) -> MappedWork:
    """The work that a work header (NWR/REV/ISW/EXC) and its detail records describe."""
    number = header.values.get("submitter_work_number", "")
    work = Work(
        title=header.values.get("work_title", ""),
        iswc=_opt(header.values.get("iswc", "")),
        language=_opt(header.values.get("language_code", "")),
        duration=duration_seconds(header.values.get("duration", "")),
        version_type=header.values.get("version_type", "") or "ORI",
        music_arrangement=_opt(header.values.get("music_arrangement", "")),
        lyric_adaptation=_opt(header.values.get("lyric_adaptation", "")),
        distribution_category=header.values.get("musical_work_distribution_category", "") or "UNC",
        text_music_relationship=_opt(header.values.get("text_music_relationship", "")),
        copyright_date=date_or_none(header.values.get("copyright_date", "")),
        excerpt_type=_opt(header.values.get("excerpt_type", "")),
        composite_type=_opt(header.values.get("composite_type", "")),
        composite_count=_int(header.values.get("composite_component_count", "")) or None,
        numbers=[WorkNumber(sender, number)] if number else [],
    )
    mapped = MappedWork(work, number)
    for record in details:
        if record.dropped:
            continue
        handler = _DETAIL.get(record.type)
        if handler is not None:
            handler(work, record, source, mapped)
        else:
            mapped.findings.append(_not_kept(record))
    return mapped


WORK_HEADERS = frozenset({"NWR", "REV", "ISW", "EXC"})


def work_from_transaction(
    tx: Transaction, sender: str, source: Source | None = None
) -> MappedWork | None:
    """The work of a work transaction (None for ACK/AGR transactions)."""
    if tx.type not in WORK_HEADERS:
        return None
    return work_from_records(tx.header, tx.records[1:], sender, source)
