"""From CWR work transactions to model objects.

The mapping mirrors :mod:`adapters.cwr.work_records`: what the writer puts in a
field, :func:`work_from_transaction` takes back out, so that a work written
and read again is the same work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter

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
    return [
        Affiliation(society, right) for society, right in _societies(_SOCIETIES_OF(record.values))
    ]


_SOCIETIES_OF = itemgetter(*(name for _, name in _SOCIETY_FIELDS))


@lru_cache(maxsize=4096)
def _societies(societies: tuple[str, str, str]) -> tuple[tuple[str, Right], ...]:
    """The (society, right) pairs of a record's PR, MR and SR society fields."""
    return tuple(
        (society.zfill(3), right)
        for (right, _), society in zip(_SOCIETY_FIELDS, societies, strict=True)
        if is_digits(society)
    )


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
    #: False: the claims' parties are not read (a work mapped for its rules alone, which
    #: read none of them); every claim names :data:`UNREAD_PARTY`
    parties: bool = True

    def line_of(self, claim: Claim) -> int | None:
        return self.claim_lines.get(id(claim))


#: The party of the claims of a work mapped for its rules alone (``parties=False``).
UNREAD_PARTY = InterestedParty(last_name="")

# The record readers below run for every record of a file: they look values up through
# a local ``get``; an empty value is None (``or None``).


def _publisher(record: Record, controlled: bool, source: Source | None, parties: bool) -> Claim:
    get = record.values.get
    party = (
        InterestedParty(
            last_name=get("publisher_name", ""),
            ipi_name_number=get("ipi_name_number", "") or None,
            ipi_base_number=get("ipi_base_number", "") or None,
            is_legal_entity=True,
            key=get("interested_party_number", "") or None,
            affiliations=_affiliations(record),
        )
        if parties
        else UNREAD_PARTY
    )
    return Claim(
        party=party,
        role=get("publisher_type", ""),
        side=Side.PUBLISHER,
        ownership=_shares(record, "ownership"),
        controlled=controlled,
        chain=_int(get("publisher_sequence", "")) or None,
        source=source,
    )


def _writer(record: Record, controlled: bool, source: Source | None, parties: bool) -> Claim:
    get = record.values.get
    party = (
        InterestedParty(
            last_name=get("writer_last_name", ""),
            first_name=get("writer_first_name", ""),
            ipi_name_number=get("ipi_name_number", "") or None,
            ipi_base_number=get("ipi_base_number", "") or None,
            key=get("interested_party_number", "") or None,
            affiliations=_affiliations(record),
        )
        if parties
        else UNREAD_PARTY
    )
    return Claim(
        party=party,
        role=get("writer_designation_code", ""),
        side=Side.WRITER,
        ownership=_shares(record, "ownership"),
        controlled=controlled,
        source=source,
    )


def _recording(record: Record, source: Source | None) -> Recording:
    get = record.values.get
    return Recording(
        isrc=get("isrc", "") or None,
        title=get("recording_title", "") or None,
        version_title=get("version_title", "") or None,
        duration=duration_seconds(get("first_release_duration", "")),
        label=get("record_label", "") or get("first_album_label", "") or None,
        release_date=date_or_none(get("first_release_date", "")),
        album_title=get("first_album_title", "") or None,
        catalogue_number=get("first_release_catalog_number", "") or None,
        ean=get("ean", "") or None,
        display_artist=get("display_artist", "") or None,
        recording_format=get("recording_format", "") or None,
        recording_technique=get("recording_technique", "") or None,
        media_type=get("media_type", "") or None,
        isrc_validity=get("isrc_validity", "") or None,
        submitter_recording_id=get("submitter_recording_identifier", "") or None,
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
    claim = _publisher(r, PUBLISHER_RECORDS[r.type], source, mapped.parties)
    work.claims.append(claim)
    mapped.claim_lines[id(claim)] = r.line


@_detail("SWR", "OWR")
def _on_writer(work: Work, r: Record, source: Source | None, mapped: MappedWork) -> None:
    claim = _writer(r, WRITER_RECORDS[r.type], source, mapped.parties)
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
            r.values.get("language_code", "") or None,
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
            ipi_name_number=r.values.get("ipi_name_number", "") or None,
            ipi_base_number=r.values.get("ipi_base_number", "") or None,
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


def _unread(work: Work, r: Record, source: Source | None, mapped: MappedWork) -> None:
    """A record that the work rules do not read, and that a full mapping keeps."""


#: The records whose values the transaction rules (:mod:`adapters.cwr.work_rules`) read:
#: the claims and their territories; and XRF, for whether it is kept depends on its values.
RULE_RECORDS = (
    PUBLISHER_RECORDS.keys()
    | WRITER_RECORDS.keys()
    | PUBLISHER_TERRITORIES
    | WRITER_TERRITORIES
    | {"XRF"}
)
_RULE_DETAIL = {t: h if t in RULE_RECORDS else _unread for t, h in _DETAIL.items()}


def work_from_records(
    header: Record,
    details: list[Record],
    sender: str,
    source: Source | None = None,
    *,
    for_rules: bool = False,
) -> MappedWork:
    """The work that a work header (NWR/REV/ISW/EXC) and its detail records describe.

    ``for_rules``: only what the transaction rules read (the header's version type
    and text-music relationship, the claims and their territories), for a check
    whose work is not kept; the rest of the header, the claims' parties, titles,
    performers, recordings and the other details are left out. Its findings are
    the same.
    """
    get = header.values.get
    number = get("submitter_work_number", "")
    version_type = get("version_type", "") or "ORI"
    relationship = get("text_music_relationship", "") or None
    if for_rules:
        work = Work("", version_type=version_type, text_music_relationship=relationship)
    else:
        work = Work(
            title=get("work_title", ""),
            iswc=get("iswc", "") or None,
            language=get("language_code", "") or None,
            duration=duration_seconds(get("duration", "")),
            version_type=version_type,
            music_arrangement=get("music_arrangement", "") or None,
            lyric_adaptation=get("lyric_adaptation", "") or None,
            distribution_category=get("musical_work_distribution_category", "") or "UNC",
            text_music_relationship=relationship,
            copyright_date=date_or_none(get("copyright_date", "")),
            excerpt_type=get("excerpt_type", "") or None,
            composite_type=get("composite_type", "") or None,
            composite_count=_int(get("composite_component_count", "")) or None,
            numbers=[WorkNumber(sender, number)] if number else [],
        )
    mapped = MappedWork(work, number, parties=not for_rules)
    handlers = _RULE_DETAIL if for_rules else _DETAIL
    for record in details:
        if record.dropped:
            continue
        handler = handlers.get(record.type)
        if handler is not None:
            handler(work, record, source, mapped)
        else:
            mapped.findings.append(_not_kept(record))
    return mapped


WORK_HEADERS = frozenset({"NWR", "REV", "ISW", "EXC"})


def work_from_transaction(
    tx: Transaction, sender: str, source: Source | None = None, *, for_rules: bool = False
) -> MappedWork | None:
    """The work of a work transaction (None for ACK/AGR transactions)."""
    if tx.type not in WORK_HEADERS:
        return None
    return work_from_records(tx.header, tx.records[1:], sender, source, for_rules=for_rules)
