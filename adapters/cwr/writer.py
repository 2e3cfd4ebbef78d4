"""Writing CWR 2.1 / 2.2 files from model works: strict output, streamed.

Three layers, each usable on its own:

* :func:`work_records` maps one :class:`~exchange.model.Work` to the field
  values of its transaction (header, publishers, writers, titles, original
  work, performers, recordings, cross references), one dict per record, in
  the physical order that CWR 2.2 transaction edit 43 prescribes.
* :func:`encode_work` turns those values into fixed-width lines with the
  layout-driven codec of :mod:`adapters.cwr.records`.  A value that cannot be
  written raises :class:`WorkWriteError`, naming the work, record, field and
  value; nothing of that work is written, so a record is never shifted.
* :class:`CwrWriter` writes one file (HDR, groups, transactions, GRT, TRL with
  their control counts) to a binary stream.

Named files in a folder (``CWyynnnnsss_rrr.V2x``, zip packages, splitting) are
:mod:`adapters.cwr.export`'s.

Model -> record mapping (what :mod:`adapters.cwr.reader` takes back out):

=========  ===============================================================
Record     Fields, from the model
=========  ===============================================================
NWR/REV    work_title=title, language_code=language, submitter_work_number=
           ``work.number(sender)`` else ``str(work.id)``, iswc (compact),
           copyright_date, musical_work_distribution_category=
           distribution_category (UNC if blank), duration (seconds ->
           HHMMSS), recorded_indicator Y if recordings else U,
           text_music_relationship, version_type (ORI if blank),
           excerpt_type, composite_type, composite_component_count=
           composite_count
SPU / OPU  controlled / other publisher claim, by chain (SPU chains first):
           publisher_sequence=chain (a claim without chain gets the next
           free number), interested_party_number=IP number (below),
           publisher_name=party.last_name (OPU without name: unknown
           indicator Y), publisher_type=role, ipi_name_number,
           ipi_base_number, pr/mr/sr_society=the party's affiliation for
           that right (world-wide one first), pr/mr/sr_ownership_share
SPT / OPT  one per TerritoryShare after its SPU (OPT after OPU, 2.2 only):
           interested_party_number, pr/mr/sr_collection_share,
           inclusion_exclusion_indicator I/E, tis_code, territory_sequence
           1..n
SWR / OWR  controlled / other writer claim (SWR first): interested_party_
           number, writer_last_name, writer_first_name,
           writer_designation_code=role, ipi numbers, societies, ownership
           shares (OWR without name: unknown indicator Y)
SWT / OWT  like SPT, after the writer (OWT in 2.2 only)
PWR        after SWT (2.2: also after OWR/OWT), one per publisher claim whose
           ``writers`` names this writer: publisher_ip_number,
           publisher_name, writer_ip_number, publisher_sequence (2.2)
ALT        each work.titles entry except type OT: alternate_title,
           title_type, language_code
EWT / VER  work.entire_work / work.original, field for field as
           :mod:`adapters.cwr.work_details` says (title, ISWC, language,
           two writers with IPI numbers, source, submitter work number)
PER        each work.performers entry: last and first name, IPI numbers
REC        each recording: first_release_date=release_date,
           first_release_duration=duration, first_album_title=album_title,
           first_album_label=label, first_release_catalog_number=
           catalogue_number, ean, isrc; 2.2 also recording_title=title,
           version_title, display_artist, record_label=label,
           isrc_validity (Y when there is an ISRC and none is known),
           submitter_recording_identifier=submitter_recording_id; both
           versions recording_format, recording_technique, media_type
ORN        each work.productions entry (work_details); 2.1 has no EIDR
           and no check character for the ISAN version
INS / IND  each work.instrumentation / work.instruments entry
COM        each work.components entry
ARI        each work.notes entry
XRF        2.2 only, each WorkNumber of kind "society": organisation_code=
           issuer, identifier=number, identifier_type W, validity Y; then
           each work.references entry (types R, P, V)
=========  ===============================================================

Not written (nothing in the model carries it, or the version has no place
for it): 2.1 loses OPT/OWT territories, PWR of other writers, the REC
titles and XRF; non-Roman names and titles (NPN, NWN, NAT, NET, NVT, NCT,
NOW, NPR: the reader reports them, the model has no place); recording
performers are not written (CWR 2.x has no link
from PER to REC).

Decisions:

* A work that cannot be written raises :class:`WorkWriteError`; an export
  skips it and reports it (:class:`adapters.cwr.export.SkippedWork`).
* Text is written in ASCII by default, with a blank HDR character set, as
  the CIS character set asks.  ``encoding="latin-1"`` writes Latin-1 with a
  blank character set (what many senders do in practice, and what the CWR
  reader of this project assumes); ``encoding="utf-8"`` declares ``UTF-8``.
  Codes are checked against the CWR lookup tables shipped with the layouts;
  the CIS name/title character subsets are left to the validator.
* CWR 2.2 HDR: version ``2.2``, revision ``001`` (S22 edit 16 says the
  current value must be 1; other tools write 002).  GRH version ``02.10`` for
  2.1 and ``02.20`` for 2.2 (S22 group edit 4).
* Interested party numbers: the party's key (the number its source used)
  when it fits the 9-character field and no other party of the work uses it,
  else ``IP`` + the party's store id on 7 digits (or a counter), unique
  within the work.  The same party always gets the same number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import metadata
from typing import BinaryIO

from adapters.cwr.layout import EXTERNAL_LOOKUPS, layouts, lookup, record_prefix
from adapters.cwr.records import EncodeError, RecordCodec, codecs_for
from adapters.cwr.work_details import DETAILS
from exchange.identifiers import is_digits, known
from exchange.model import Claim, InterestedParty, Right, Side, Work

__all__ = [
    "CHARACTER_SETS",
    "FORMATS",
    "TRANSACTION_TYPES",
    "CwrWriteError",
    "CwrWriter",
    "FileCounts",
    "WorkWriteError",
    "encode_work",
    "work_records",
]

#: Export format names of the command line -> CWR version.
FORMATS: Mapping[str, str] = {"cwr21": "2.1", "cwr22": "2.2"}

#: Work transaction types this writer produces (they share one header layout).
TRANSACTION_TYPES = frozenset({"NWR", "REV", "ISW", "EXC"})

#: Text encodings and the HDR character set value that declares them.
CHARACTER_SETS: Mapping[str, str] = {"ascii": "", "latin-1": "", "utf-8": "UTF-8"}

CRLF = "\r\n"
_ISWC = re.compile(r"T\d{10}")
_SOFTWARE = "CMO-EXCHANGE"


class CwrWriteError(ValueError):
    """A CWR file cannot be written as asked (bad sender, name clash, sequence overflow)."""


class WorkWriteError(CwrWriteError):
    """One work cannot be written; says which work, record, field and value, and why."""

    def __init__(
        self,
        work: Work,
        record: str,
        field: str | None,
        value: object,
        reason: str,
    ) -> None:
        self.work_id = work.id
        self.title = work.title
        self.record = record
        self.field = field
        self.value = value
        self.reason = reason
        where = f"{record}.{field}" if field else record
        who = f"work {work.id}" if work.id is not None else "work"
        super().__init__(f"{who} ({work.title!r}): {where}: {reason} ({value!r})")


# ---------------------------------------------------------------------------
# Version profiles


@dataclass(frozen=True, slots=True)
class _Profile:
    version: str
    group_version: str
    opt: bool  # OPT records (non-controlled publisher collection)
    owt: bool  # OWT records (non-controlled writer collection)
    xrf: bool  # XRF records (work ID cross references)
    pwr_after_owr: bool  # PWR may follow an OWR
    pwr_sequence: bool  # PWR carries the publisher sequence
    rec_titles: bool  # REC carries recording title, version, artist, label, ISRC validity
    hdr_version: bool  # HDR carries version, revision and software package


_PROFILES = {
    "2.1": _Profile("2.1", "02.10", False, False, False, False, False, False, False),
    "2.2": _Profile("2.2", "02.20", True, True, True, True, True, True, True),
}


def version_profile(version: str) -> _Profile:
    try:
        return _PROFILES[version]
    except KeyError:
        raise CwrWriteError(
            f"unsupported CWR version {version!r}; expected one of {', '.join(_PROFILES)}"
        ) from None


# ---------------------------------------------------------------------------
# Model -> record values


def _text(value: str | None) -> str | None:
    """Blank strings count as absent."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def _code(value: str | None) -> str | None:
    value = _text(value)
    return value.upper() if value else None


def _society(code: str | None) -> str | None:
    code = _text(code)
    if code and is_digits(code) and len(code) < 3:
        return code.zfill(3)
    return code


def _societies(party: InterestedParty) -> tuple[str | None, str | None, str | None]:
    """PR, MR and SR society of a party: the world-wide affiliation, else the first one."""
    pick = party.societies()
    return _society(pick.get(Right.PR)), _society(pick.get(Right.MR)), _society(pick.get(Right.SR))


def _tis(code: str) -> str:
    code = code.strip()
    return code.zfill(4) if is_digits(code) else code


def _identity(party: InterestedParty) -> object:
    return ("id", party.id) if party.id is not None else ("object", id(party))


def _usable_key(key: str | None) -> str | None:
    key = _text(key)
    if key and len(key) <= 9 and key.isascii() and key.isprintable():
        return key.upper()
    return None


def _ip_numbers(claims: Sequence[Claim]) -> dict[object, str]:
    """Interested party number per party identity, unique within the work."""
    numbers: dict[object, str] = {}
    used: set[str] = set()
    pending: dict[object, InterestedParty] = {}
    for claim in claims:
        ident = _identity(claim.party)
        if ident in numbers or ident in pending:
            continue
        key = _usable_key(claim.party.key)
        if key and key not in used:
            numbers[ident] = key
            used.add(key)
        else:
            pending[ident] = claim.party
    counter = 0
    for ident, party in pending.items():
        number = None
        if party.id is not None and 0 <= party.id < 10**7:
            number = f"IP{party.id:07d}"
        while number is None or number in used:
            counter += 1
            number = f"IP{counter:07d}"
        numbers[ident] = number
        used.add(number)
    return numbers


def _iswc(work: Work, value: str | None, record: str) -> str | None:
    value = _text(value)
    if value is None:
        return None
    compact = value.upper().replace("-", "").replace(".", "").replace(" ", "")
    if not _ISWC.fullmatch(compact):
        raise WorkWriteError(work, record, "iswc", value, "not an ISWC (T and 10 digits)")
    return compact


def _chains(publishers: list[Claim]) -> list[tuple[int, Claim]]:
    """Publishers with their chain number, sorted by chain (stable within a chain).

    A publisher without a chain gets a chain of its own after the highest one.
    """
    highest = max((c.chain for c in publishers if c.chain is not None), default=0)
    numbered: list[tuple[int, Claim]] = []
    for claim in publishers:
        if claim.chain is None:
            highest += 1
            numbered.append((highest, claim))
        else:
            numbered.append((claim.chain, claim))
    numbered.sort(key=lambda item: item[0])
    return numbered


def _party_values(
    claim: Claim, ip: str, name_field: str, first_field: str | None, role_field: str
) -> dict[str, object]:
    party = claim.party
    pr, mr, sr = _societies(party)
    own = claim.ownership
    values: dict[str, object] = {
        "interested_party_number": ip,
        role_field: _code(claim.role),
        "pr_ownership_share": own.pr,
        "mr_ownership_share": own.mr,
        "sr_ownership_share": own.sr,
    }
    name = _text(party.last_name)
    if name:
        values[name_field] = name
    if first_field:
        first = _text(party.first_name)
        if first:
            values[first_field] = first
    ipi, base = known(party.ipi_name_number), known(party.ipi_base_number)
    if ipi:  # a placeholder (zeros) is written as what it means: no number
        values["ipi_name_number"] = ipi
    if base:
        values["ipi_base_number"] = base
    if pr:
        values["pr_society"] = pr
    if mr:
        values["mr_society"] = mr
    if sr:
        values["sr_society"] = sr
    return values


def _territory_values(claim: Claim, ip: str | None) -> Iterator[tuple[int, dict[str, object]]]:
    for n, territory in enumerate(claim.territories, start=1):
        shares = territory.collection
        values: dict[str, object] = {
            "pr_collection_share": shares.pr,
            "mr_collection_share": shares.mr,
            "sr_collection_share": shares.sr,
            "inclusion_exclusion_indicator": "I" if territory.include else "E",
            "tis_code": _tis(territory.tis),
            "territory_sequence": n,
        }
        if ip:
            values["interested_party_number"] = ip
        yield n, values


def work_records(
    work: Work, version: str, transaction: str, sequence: int, sender: str
) -> list[dict[str, object]]:
    """The records of one work transaction, as field values keyed by layout field name.

    Every dict carries ``record_type``, ``transaction_sequence`` (``sequence``)
    and ``record_sequence`` (0 for the header, then +1 per record), so it can
    be passed to :meth:`RecordCodec.encode` as it is.  ``sender`` is the
    submitter whose work number goes into the header (``work.number(sender)``,
    else the local id).  Empty values are left out (the codec writes blanks or
    zeros for them).  Raises :class:`WorkWriteError` when the work lacks
    something the transaction cannot do without.

    >>> from exchange.demo import sample_works
    >>> records = work_records(sample_works()[0], "2.2", "NWR", 0, "DMO")
    >>> [r["record_type"] for r in records]
    ['NWR', 'SPU', 'SPT', 'SWR', 'SWT', 'ALT', 'REC']
    >>> records[0]["submitter_work_number"], records[1]["interested_party_number"]
    ('DMO0001', 'P001')
    """
    profile = version_profile(version)
    if transaction not in TRANSACTION_TYPES:
        raise CwrWriteError(
            f"unsupported transaction type {transaction!r}; "
            f"expected one of {', '.join(sorted(TRANSACTION_TYPES))}"
        )
    out: list[dict[str, object]] = []

    def add(record: str, values: dict[str, object]) -> None:
        values["record_type"] = record
        values["transaction_sequence"] = sequence
        values["record_sequence"] = len(out)
        out.append(values)

    # -- header ---------------------------------------------------------------
    title = _text(work.title)
    if not title:
        raise WorkWriteError(work, transaction, "work_title", work.title, "the work has no title")
    number = work.number(sender) if sender else None
    if number is None and work.id is not None:
        number = str(work.id)
    if not _text(number):
        raise WorkWriteError(
            work,
            transaction,
            "submitter_work_number",
            number,
            f"no work number from {sender!r} and no local id",
        )
    header: dict[str, object] = {
        "work_title": title,
        "submitter_work_number": number,
        "musical_work_distribution_category": _code(work.distribution_category) or "UNC",
        "recorded_indicator": "Y" if work.recordings else "U",
        "version_type": _code(work.version_type) or "ORI",
        "music_arrangement": _code(work.music_arrangement),
        "lyric_adaptation": _code(work.lyric_adaptation),
    }
    if work.language:
        header["language_code"] = _code(work.language)
    iswc = _iswc(work, work.iswc, transaction)
    if iswc:
        header["iswc"] = iswc
    if work.copyright_date:
        header["copyright_date"] = work.copyright_date
    if work.duration is not None:
        header["duration"] = work.duration
    if work.text_music_relationship:
        header["text_music_relationship"] = _code(work.text_music_relationship)
    if work.excerpt_type:
        header["excerpt_type"] = _code(work.excerpt_type)
    if work.composite_type:
        header["composite_type"] = _code(work.composite_type)
    if work.composite_count:
        header["composite_component_count"] = work.composite_count
    add(transaction, header)

    # -- parties --------------------------------------------------------------
    claims = work.claims
    publishers: list[Claim] = []
    writers: list[Claim] = []
    for claim in claims:
        if claim.side is Side.PUBLISHER:
            publishers.append(claim)
        elif claim.side is Side.WRITER:
            writers.append(claim)
        else:
            raise WorkWriteError(
                work, "SPU/SWR", "side", claim.side, "neither writer nor publisher"
            )
    ips = _ip_numbers(claims)

    def ip_of(claim: Claim) -> str:
        return ips[_identity(claim.party)]

    chained = _chains(publishers)

    # Publishers: every controlled chain (SPU, SPT...), then the others (OPU, OPT...).
    for controlled in (True, False):
        record, territory_record = ("SPU", "SPT") if controlled else ("OPU", "OPT")
        for chain, claim in chained:
            if claim.controlled is not controlled:
                continue
            ip = ip_of(claim)
            values = _party_values(claim, ip, "publisher_name", None, "publisher_type")
            values["publisher_sequence"] = chain
            if not controlled and "publisher_name" not in values:
                values["publisher_unknown_indicator"] = "Y"
            if controlled and "publisher_name" not in values:
                raise WorkWriteError(
                    work, "SPU", "publisher_name", claim.party.last_name, "no publisher name"
                )
            if controlled and values["publisher_type"] is None:
                raise WorkWriteError(work, "SPU", "publisher_type", claim.role, "no role")
            add(record, values)
            if controlled or profile.opt:
                for _, territory in _territory_values(claim, ip):
                    add(territory_record, territory)

    # Which writers does a publisher represent?  ``Claim.writers`` holds the
    # writers' keys as the publisher's source gives them (an IPI name number
    # is accepted too).
    by_source: dict[tuple[str | None, str], str] = {}
    by_ref: dict[str, str] = {}
    for claim in writers:
        ip = ip_of(claim)
        partner = claim.source.partner if claim.source else None
        for ref in (claim.party.key, known(claim.party.ipi_name_number), ip):
            ref = _text(ref)
            if ref:
                by_source.setdefault((partner, ref.upper()), ip)
                by_ref.setdefault(ref.upper(), ip)
    represented: dict[str, list[tuple[int, Claim]]] = {}
    for chain, claim in chained:
        partner = claim.source.partner if claim.source else None
        for ref in claim.writers:
            ref = _text(ref)
            if not ref:
                continue
            writer_ip = by_source.get((partner, ref.upper())) or by_ref.get(ref.upper())
            if writer_ip:
                links = represented.setdefault(writer_ip, [])
                if (chain, claim) not in links:
                    links.append((chain, claim))

    # Writers: every controlled writer (SWR, SWT..., PWR...), then the others.
    for controlled in (True, False):
        record, territory_record = ("SWR", "SWT") if controlled else ("OWR", "OWT")
        for claim in writers:
            if claim.controlled is not controlled:
                continue
            ip = ip_of(claim)
            values = _party_values(
                claim, ip, "writer_last_name", "writer_first_name", "writer_designation_code"
            )
            if not controlled and "writer_last_name" not in values:
                values["writer_unknown_indicator"] = "Y"
            if controlled and "writer_last_name" not in values:
                raise WorkWriteError(
                    work, "SWR", "writer_last_name", claim.party.last_name, "no writer name"
                )
            if controlled and values["writer_designation_code"] is None:
                raise WorkWriteError(work, "SWR", "writer_designation_code", claim.role, "no role")
            add(record, values)
            if controlled or profile.owt:
                for _, territory in _territory_values(claim, ip):
                    add(territory_record, territory)
            if controlled or profile.pwr_after_owr:
                # Each publisher link is written once, under the first writer record.
                for chain, publisher in represented.pop(ip, ()):
                    link: dict[str, object] = {
                        "publisher_ip_number": ip_of(publisher),
                        "writer_ip_number": ip,
                    }
                    name = _text(publisher.party.last_name)
                    if name:
                        link["publisher_name"] = name
                    if profile.pwr_sequence:
                        link["publisher_sequence"] = chain
                    add("PWR", link)

    # -- titles, original work, performers, recordings, cross references --------
    for t in work.titles:
        if t.type == "OT" or not _text(t.title):  # the header has the original title
            continue
        alt: dict[str, object] = {"alternate_title": t.title, "title_type": _code(t.type)}
        if t.language:
            alt["language_code"] = _code(t.language)
        add("ALT", alt)

    names = _field_names(version)
    for record in ("EWT", "VER"):
        for values in _detail_records(work, record, names):
            add(record, values)

    for p in work.performers:
        if not _text(p.last_name):
            continue
        per: dict[str, object] = {"performing_artist_last_name": p.last_name}
        if p.first_name:
            per["performing_artist_first_name"] = p.first_name
        if p.ipi_name_number:
            per["ipi_name_number"] = p.ipi_name_number
        if p.ipi_base_number:
            per["ipi_base_number"] = p.ipi_base_number
        add("PER", per)

    for r in work.recordings:
        rec: dict[str, object] = {}
        if r.release_date:
            rec["first_release_date"] = r.release_date
        if r.duration is not None:
            rec["first_release_duration"] = r.duration
        if r.album_title:
            rec["first_album_title"] = r.album_title
        if r.label:
            rec["first_album_label"] = r.label
        if r.catalogue_number:
            rec["first_release_catalog_number"] = r.catalogue_number
        if r.ean:
            rec["ean"] = r.ean
        if r.isrc:
            rec["isrc"] = r.isrc.replace("-", "").upper()
        for name in ("recording_format", "recording_technique", "media_type"):
            code = _code(getattr(r, name))
            if code:
                rec[name] = code
        if profile.rec_titles:
            if r.title:
                rec["recording_title"] = r.title
            if r.version_title:
                rec["version_title"] = r.version_title
            if r.display_artist:
                rec["display_artist"] = r.display_artist
            if r.label:
                rec["record_label"] = r.label
            if r.isrc:
                rec["isrc_validity"] = _code(r.isrc_validity) or "Y"
            if _text(r.submitter_recording_id):
                rec["submitter_recording_identifier"] = r.submitter_recording_id
        add("REC", rec)

    for record in ("ORN", "INS", "IND", "COM", "ARI"):
        for values in _detail_records(work, record, names):
            add(record, values)

    if profile.xrf:
        for n in work.numbers:
            if n.kind == "society":
                add(
                    "XRF",
                    {
                        "organisation_code": _society(n.issuer),
                        "identifier": n.number,
                        "identifier_type": "W",
                        "validity": "Y",
                    },
                )
    for values in _detail_records(work, "XRF", names):
        add("XRF", values)
    return out


@cache
def _field_names(version: str) -> Mapping[str, frozenset[str]]:
    return {record: frozenset(layout.names) for record, layout in layouts(version).items()}


def _detail_records(
    work: Work, record: str, names: Mapping[str, frozenset[str]]
) -> Iterator[dict[str, object]]:
    """The field values of the work's objects that ``record`` carries (:mod:`work_details`).

    Nothing when the version has no such record (XRF in 2.1); a field the
    version lacks is left out.
    """
    layout = names.get(record)
    if layout is None:
        return
    detail = DETAILS[record]
    held = getattr(work, detail.attribute)
    for item in [held] if detail.single else held:
        if item is None:
            continue
        values: dict[str, object] = {}
        for slot in detail.slots:
            name = slot.field_in(layout)
            value = getattr(item, slot.attribute)
            if name is None or value is None or value == "":
                continue
            if slot.kind == "code":
                value = _code(value)
            elif slot.kind == "society":
                value = _society(value)
            elif slot.kind == "iswc":
                value = _iswc(work, value, record)
            elif slot.kind == "text" and not _text(value):
                continue
            if value is not None:
                values[name] = value
        for slot in detail.slots:
            if slot.attribute in detail.required and slot.field_in(values) is None:
                name = slot.field_in(layout) or slot.fields[0]
                raise WorkWriteError(
                    work, record, name, getattr(item, slot.attribute), f"no {slot.attribute}"
                )
        yield values


# ---------------------------------------------------------------------------
# Record values -> lines


@dataclass(frozen=True, slots=True)
class _Encoder:
    codecs: Mapping[str, RecordCodec]
    lookups: Mapping[str, tuple[tuple[str, frozenset[str]], ...]]


@cache
def _encoder(version: str, encoding: str) -> _Encoder:
    codecs = codecs_for(version, encoding)
    checks: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {}
    for record, layout in layouts(version).items():
        checks[record] = tuple(
            (f.name, lookup(f.lookup))
            for f in layout.fields
            if f.lookup and f.lookup not in EXTERNAL_LOOKUPS and f.name != "record_type"
        )
    return _Encoder(codecs, checks)


def encode_work(
    work: Work,
    version: str,
    transaction: str,
    sequence: int,
    sender: str,
    encoding: str = "ascii",
) -> list[str]:
    """The lines (without line ends) of one work transaction.

    Raises :class:`WorkWriteError` for the first value that cannot be written:
    too long, a character the encoding or the field cannot carry, a code that
    is not in the CWR lookup table, a number out of range.

    >>> from exchange.demo import sample_works
    >>> lines = encode_work(sample_works()[0], "2.1", "NWR", 0, "DMO")
    >>> [(line[:3], len(line)) for line in lines[:3]]
    [('NWR', 260), ('SPU', 183), ('SPT', 58)]
    """
    encoder = _encoder(version, encoding)
    codecs = encoder.codecs
    lookups = encoder.lookups
    lines: list[str] = []
    for values in work_records(work, version, transaction, sequence, sender):
        record = values["record_type"]
        assert isinstance(record, str)
        for name, allowed in lookups[record]:
            code = values.get(name)
            if code is not None and code not in allowed:
                raise WorkWriteError(work, record, name, code, "not a code of the CWR lookup table")
        try:
            lines.append(codecs[record].encode(values))
        except EncodeError as exc:
            raise WorkWriteError(work, exc.record, exc.field, exc.value, exc.reason) from None
    return lines


# ---------------------------------------------------------------------------
# One file


@dataclass(frozen=True, slots=True)
class FileCounts:
    """Control totals of a finished file."""

    groups: int
    transactions: int
    records: int


class CwrWriter:
    """Writes one CWR 2.x file to a binary stream, one transaction at a time.

    The HDR is written at once; :meth:`add` (or :meth:`add_lines`) appends a
    transaction, opening a group (GRH) for its transaction type when needed;
    :meth:`close` ends the open group (GRT) and the file (TRL).  Lines end with
    CR/LF.  A file may hold several groups, but each transaction type only once
    (pass works sorted by transaction type).  The stream is not closed.

    >>> import io
    >>> from exchange.demo import sample_works
    >>> buffer = io.BytesIO()
    >>> writer = CwrWriter(buffer, "2.2", sender="052", sender_name="PRS",
    ...                    created=datetime(2026, 3, 1, 12, 0, 0))
    >>> for number, work in enumerate(sample_works(), start=1):
    ...     work.id = number
    ...     _ = writer.add(work)
    >>> writer.close()
    FileCounts(groups=1, transactions=3, records=21)
    >>> buffer.getvalue().splitlines()[-1]
    b'TRL000010000000300000021'
    """

    def __init__(
        self,
        stream: BinaryIO,
        version: str,
        *,
        sender: str,
        sender_name: str,
        sender_type: str = "SO",
        transaction: str = "NWR",
        created: datetime | None = None,
        encoding: str = "ascii",
        buffer_lines: int = 4096,
        numbers_from: str | None = None,
    ) -> None:
        self.profile = version_profile(version)
        self.version = version
        if encoding not in CHARACTER_SETS:
            raise CwrWriteError(
                f"unsupported encoding {encoding!r}; expected one of {', '.join(CHARACTER_SETS)}"
            )
        width = layouts(version)["HDR"].field("sender_id").length
        if not is_digits(sender) or len(sender) > width:
            raise CwrWriteError(
                f"sender id must be a number of up to {width} digits, not {sender!r}"
            )
        self.stream = stream
        self.sender = sender
        #: whose work numbers go into the submitter work number field (default: the sender)
        self.numbers_from = numbers_from or sender
        self.encoding = encoding
        self.transaction = transaction
        self.created = created or datetime.now()
        self._codecs = codecs_for(version, encoding)
        self._prefix = record_prefix()
        self._buffer: list[str] = []
        self._buffer_lines = buffer_lines
        self._groups_done: set[str] = set()
        self._group: str | None = None
        self._group_id = 0
        self._group_transactions = 0
        self._group_records = 0
        self.transactions = 0
        self.records = 0
        self.works = 0
        self._closed = False
        header: dict[str, object] = {
            "sender_type": sender_type,
            "sender_id": sender,
            "sender_name": sender_name,
            "edi_standard_version": "01.10",
            "creation_date": self.created.date(),
            "creation_time": self.created.time().replace(microsecond=0),
            "transmission_date": self.created.date(),
            "character_set": CHARACTER_SETS[encoding] or None,
        }
        if self.profile.hdr_version:
            header.update(
                version="2.2",
                revision=1,
                software_package=_SOFTWARE,
                software_package_version=_software_version(),
            )
        self._control("HDR", header)

    @property
    def next_sequence(self) -> int:
        """Transaction sequence number the next transaction of the open group gets."""
        return self._group_transactions if self._group is not None else 0

    def sequence_for(self, transaction: str) -> int:
        """Transaction sequence number the next transaction of this type gets."""
        return self._group_transactions if self._group == transaction else 0

    def _control(self, record: str, values: dict[str, object]) -> None:
        try:
            line = self._codecs[record].encode(values)
        except EncodeError as exc:
            raise CwrWriteError(f"cannot write the {record} record: {exc}") from None
        self._emit(line)

    def _emit(self, line: str) -> None:
        self._buffer.append(line)
        self.records += 1
        if len(self._buffer) >= self._buffer_lines:
            self.flush()

    def flush(self) -> None:
        """Write buffered lines to the stream."""
        if self._buffer:
            self._buffer.append("")
            self.stream.write(CRLF.join(self._buffer).encode(self.encoding))
            self._buffer.clear()

    def _open_group(self, transaction: str) -> None:
        if self._group is not None:
            self._close_group()
        if transaction in self._groups_done:
            raise CwrWriteError(
                f"a {transaction} group was already written to this file; "
                "give the transactions sorted by type"
            )
        self._group = transaction
        self._group_id += 1
        self._group_transactions = 0
        self._group_records = 1
        self._control(
            "GRH",
            {
                "transaction_type": transaction,
                "group_id": self._group_id,
                "version_number": self.profile.group_version,
            },
        )

    def _close_group(self) -> None:
        assert self._group is not None
        self._group_records += 1
        self._control(
            "GRT",
            {
                "group_id": self._group_id,
                "transaction_count": self._group_transactions,
                "record_count": self._group_records,
            },
        )
        self._groups_done.add(self._group)
        self._group = None

    def add(self, work: Work, transaction: str | None = None) -> int:
        """Append one work as a transaction; returns the number of records written.

        Raises :class:`WorkWriteError` (and writes nothing) if the work cannot
        be written.
        """
        transaction = transaction or self.transaction
        lines = encode_work(
            work,
            self.version,
            transaction,
            self.sequence_for(transaction),
            self.numbers_from,
            self.encoding,
        )
        return self.add_lines(lines)

    def add_lines(self, lines: Sequence[str]) -> int:
        """Append one already encoded transaction (from :func:`encode_work`)."""
        if self._closed:
            raise CwrWriteError("the file is closed")
        if not lines:
            raise CwrWriteError("a transaction has at least its header record")
        prefix = self._prefix
        transaction = lines[0][prefix.record_type]
        if transaction != self._group:
            self._open_group(transaction)
        sequence = prefix.transaction_sequence
        given = lines[0][sequence]
        expected = str(self._group_transactions).zfill(sequence.stop - sequence.start)
        if given != expected:
            raise CwrWriteError(f"transaction sequence {given} given where {expected} is due")
        self._buffer.extend(lines)
        self.records += len(lines)
        if len(self._buffer) >= self._buffer_lines:
            self.flush()
        self._group_transactions += 1
        self._group_records += len(lines)
        self.transactions += 1
        self.works += 1
        return len(lines)

    def close(self) -> FileCounts:
        """End the open group and the file; flush.  Returns the control totals."""
        if self._closed:
            raise CwrWriteError("the file is already closed")
        if self._group is not None:
            self._close_group()
        self._closed = True
        groups = self._group_id
        self._control(
            "TRL",
            {
                "group_count": groups,
                "transaction_count": self.transactions,
                "record_count": self.records + 1,
            },
        )
        self.flush()
        return FileCounts(groups, self.transactions, self.records)


@cache
def _software_version() -> str:
    try:
        return metadata.version("cmo-exchange")
    except metadata.PackageNotFoundError:
        return ""
