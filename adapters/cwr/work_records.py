"""Model works as CWR 2.1 / 2.2 work transactions: record values, then lines.

* :func:`work_records` maps one :class:`~exchange.model.Work` to the field
  values of its transaction (header, publishers, writers, titles, original
  work, performers, recordings, cross references), one dict per record, in
  the physical order that CWR 2.2 transaction edit 43 prescribes (the party
  records are :mod:`adapters.cwr.party_records`').
* :func:`encode_work` turns those values into fixed-width lines with the
  layout-driven codec of :mod:`adapters.cwr.records`.  A value that cannot be
  written raises :class:`~adapters.cwr.work_values.WorkWriteError`, naming the
  work, record, field and value; nothing of that work is written, so a record
  is never shifted.

Files are :mod:`adapters.cwr.file_writer`'s.

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

from collections.abc import Iterator, Mapping
from functools import cache

from adapters.cwr.layout import EXTERNAL_LOOKUPS, layouts, lookup
from adapters.cwr.party_records import add_parties
from adapters.cwr.records import EncodeError, RecordCodec
from adapters.cwr.work_details import DETAILS
from adapters.cwr.work_values import (
    TRANSACTION_TYPES,
    CwrWriteError,
    WorkWriteError,
    code_value,
    iswc_value,
    society_value,
    text_value,
    version_profile,
)
from exchange.model import Work

__all__ = ["encode_work", "work_records"]


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
    title = text_value(work.title)
    if not title:
        raise WorkWriteError(work, transaction, "work_title", work.title, "the work has no title")
    number = work.number(sender) if sender else None
    if number is None and work.id is not None:
        number = str(work.id)
    if not text_value(number):
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
        "musical_work_distribution_category": code_value(work.distribution_category) or "UNC",
        "recorded_indicator": "Y" if work.recordings else "U",
        "version_type": code_value(work.version_type) or "ORI",
        "music_arrangement": code_value(work.music_arrangement),
        "lyric_adaptation": code_value(work.lyric_adaptation),
    }
    if work.language:
        header["language_code"] = code_value(work.language)
    iswc = iswc_value(work, work.iswc, transaction)
    if iswc:
        header["iswc"] = iswc
    if work.copyright_date:
        header["copyright_date"] = work.copyright_date
    if work.duration is not None:
        header["duration"] = work.duration
    if work.text_music_relationship:
        header["text_music_relationship"] = code_value(work.text_music_relationship)
    if work.excerpt_type:
        header["excerpt_type"] = code_value(work.excerpt_type)
    if work.composite_type:
        header["composite_type"] = code_value(work.composite_type)
    if work.composite_count:
        header["composite_component_count"] = work.composite_count
    add(transaction, header)

    add_parties(work, profile, add)

    # -- titles, original work, performers, recordings, cross references --------
    for t in work.titles:
        if t.type == "OT" or not text_value(t.title):  # the header has the original title
            continue
        alt: dict[str, object] = {"alternate_title": t.title, "title_type": code_value(t.type)}
        if t.language:
            alt["language_code"] = code_value(t.language)
        add("ALT", alt)

    names = _field_names(version)
    for record in ("EWT", "VER"):
        for values in _detail_records(work, record, names):
            add(record, values)

    for p in work.performers:
        if not text_value(p.last_name):
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
            code = code_value(getattr(r, name))
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
                rec["isrc_validity"] = code_value(r.isrc_validity) or "Y"
            if text_value(r.submitter_recording_id):
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
                        "organisation_code": society_value(n.issuer),
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
                value = code_value(value)
            elif slot.kind == "society":
                value = society_value(value)
            elif slot.kind == "iswc":
                value = iswc_value(work, value, record)
            elif slot.kind == "text" and not text_value(value):
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


@cache
def _codecs(version: str, encoding: str) -> Mapping[str, RecordCodec]:
    """The codecs of a version's records, refusing codes not in the CWR lookup tables."""
    return {
        record: RecordCodec(
            layout,
            encoding,
            codes={
                f.name: lookup(f.lookup)
                for f in layout.fields
                if f.lookup and f.lookup not in EXTERNAL_LOOKUPS and f.name != "record_type"
            },
        )
        for record, layout in layouts(version).items()
    }


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
    codecs = _codecs(version, encoding)
    lines: list[str] = []
    for values in work_records(work, version, transaction, sequence, sender):
        record = values["record_type"]
        assert isinstance(record, str)
        try:
            lines.append(codecs[record].encode(values))
        except EncodeError as exc:
            raise WorkWriteError(work, exc.record, exc.field, exc.value, exc.reason) from None
    return lines
