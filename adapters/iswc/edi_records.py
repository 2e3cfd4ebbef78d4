"""ISWC EDI v3.00 records: the layout table, and records to field values and back.

The layouts are data (``adapters/iswc/layouts/edi300.csv``, one row per field,
positions as printed in SPE_20190806), read by the same layout parser and
fixed-width codec as CWR's. The control records HDR, GRH, GRT and TRL are not
laid out in SPE_20190806, which refers to the CIS EDI standard for them: the
table gives them the CIS EDI layout CWR 2.1 uses too (version 01.10 in HDR,
03.00 in GRH).

What the document leaves open is decided here and said where it matters:

* Disambiguation is a Boolean field (Y/N) whose description says T/F: Y and N
  are written; Y, T, N, F and blank are read.
* The CAR's Preferred ISWC is the JSON ``iswc`` of an addition (an ISWC the
  agency knows, which must exist as preferred); the CUR's is the ISWC updated.
* Titles with a language or with characters beyond ASCII go in NAT records
  (UTF-8), the others in CTL records.
* A CSN's original group and transaction sequence are zeros (read as none).
* JSON-only data (a submission's category and locally allocated ISWC, IP names,
  error messages) has no EDI field and is not written; a CSN's MER records
  (``Notification.merges``) have no JSON field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from adapters.cwr.layout import RecordLayout, parse_layout_table
from adapters.cwr.records import RecordCodec
from adapters.iswc import vocabulary as v
from adapters.iswc.model import (
    Acknowledgement,
    Deletion,
    DerivedFrom,
    InterestedParty,
    Merge,
    Notification,
    Performer,
    SearchByIswc,
    SearchByWorkCode,
    Submission,
    Title,
    WorkflowTaskUpdate,
    WorkInfo,
)

Values = dict[str, Any]
Record = tuple[str, Values]

VERSION = "03.00"
EDI_STANDARD_VERSION = "01.10"
CONTROL = frozenset({"HDR", "GRH", "GRT", "TRL"})
#: Transaction headers, and the detail records each may carry.
DETAILS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "CAR": frozenset({"CTL", "NAT", "CIP", "DIS", "DER", "PER", "INS"}),
        "CUR": frozenset({"CTL", "NAT", "CIP", "DIS", "DER", "PER", "INS"}),
        "CDR": frozenset({"CTL", "NAT", "CIP"}),
        "CMQ": frozenset({"CTL", "NAT", "CIP"}),
        "CIQ": frozenset({"CTL", "NAT", "CIP"}),
        "MER": frozenset({"MLI"}),
        "WFT": frozenset(),
        "ACK": frozenset({"CWI", "CTL", "NAT", "CIP", "DER", "PER", "INS"}),
        "CSN": frozenset({"CWI", "CIP", "CTL", "NAT", "DER", "INS", "PER", "MER"}),
    }
)


@cache
def layouts() -> Mapping[str, RecordLayout]:
    """Every record layout of ISWC EDI v3.00, keyed by record type."""
    text = resources.files("adapters.iswc.layouts").joinpath("edi300.csv").read_text("utf-8")
    return MappingProxyType(parse_layout_table(text, "edi300.csv", VERSION))


@cache
def codec(record_type: str) -> RecordCodec:
    """The codec of a record type: ASCII, except NAT (UTF-8)."""
    return RecordCodec(layouts()[record_type], "utf-8" if record_type == "NAT" else "ascii")


def _at(day: date | None, moment: time | None = None) -> datetime | None:
    return None if day is None else datetime.combine(day, moment or time(), UTC)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# -- records to field values (writing) --------------------------------------------------


def _titles(titles: tuple[Title, ...]) -> list[Record]:
    out: list[Record] = []
    for t in titles:
        if t.language or not t.title.isascii():
            out.append(("NAT", {"title_type": t.type, "language_code": t.language,
                                "work_title": t.title}))  # fmt: skip
        else:
            out.append(("CTL", {"work_title": t.title, "title_type": t.type}))
    return out


def _parties(parties: tuple[InterestedParty, ...]) -> list[Record]:
    return [
        (
            "CIP",
            {"ip_name_number": p.name_number, "ip_base_number": p.base_number, "ip_role": p.role},
        )  # fmt: skip
        for p in parties
    ]


def _extras(derived: tuple[DerivedFrom, ...], performers: tuple[Performer, ...],
            instruments: tuple[str, ...]) -> list[Record]:  # fmt: skip
    return [
        *(("DER", {"iswc": d.iswc, "title": d.title}) for d in derived),
        *(("PER", {"first_name": p.first_name, "last_name": p.last_name}) for p in performers),
        *(("INS", {"code": code}) for code in instruments),
    ]


def _work_info(items: tuple[WorkInfo, ...], record: str = "CWI") -> list[Record]:
    out: list[Record] = []
    for w in items:
        code = "society_work_code" if record == "CWI" else "agency_work_code"
        out.append((record, {"agency_code": w.agency, code: w.workcode,
                             "source_db_code": w.sourcedb, "preferred_iswc": w.preferred_iswc,
                             "archived_iswc": w.archived_iswc}))  # fmt: skip
    return out


def transaction_records(t: Submission | Deletion | Acknowledgement | Notification) -> list[Record]:
    """The header and detail records of one transaction, as field values."""
    if isinstance(t, Submission):
        head = {
            "work_title": t.original_title,
            "agency_code": t.agency,
            "agency_work_code": t.workcode,
            "source_db_code": t.sourcedb,
            "preferred_iswc": t.preferred_iswc if t.preferred_iswc else t.iswc,
            "derived_work_type": t.derived_work_type,
            "disambiguation": t.disambiguation,
            "disambiguation_reason": t.disambiguation_reason,
            "bvltr": v.BVLTR_LETTERS[t.bvltr] if t.bvltr else None,
        }
        return [
            (t.transaction_type, head),
            *_titles(t.other_titles),
            *_parties(t.interested_parties),
            *(("DIS", {"iswc": iswc}) for iswc in t.disambiguate_from),
            *_extras(t.derived_from, t.performers, t.instrumentation),
        ]
    if isinstance(t, Deletion):
        head = {
            "work_title": t.original_title,
            "agency_code": t.agency,
            "agency_work_code": t.workcode,
            "source_db_code": t.sourcedb,
            "preferred_iswc": t.preferred_iswc,
            "deletion_reason": t.reason,
        }
        return [("CDR", head)]
    head = {
        "creation_date": _utc(t.original_file_created).date(),
        "creation_time": _utc(t.original_file_created).time().replace(microsecond=0),
        "original_transaction_type": t.original_transaction_type,
        "work_title": t.original_title,
        "agency_code": t.agency,
        "agency_work_code": t.workcode,
        "source_db_code": t.sourcedb,
        "preferred_iswc": t.preferred_iswc,
        "processing_date": _utc(t.processed).date(),
        "transaction_status": t.status,
    }
    if isinstance(t, Acknowledgement):
        head["original_group_number"] = t.original_group
        head["original_transaction_sequence"] = t.original_submission
        return [
            ("ACK", head),
            *_work_info(t.work_info),
            *_titles(t.other_titles),
            *_parties(t.interested_parties),
        ]
    head["original_group_number"] = None
    head["original_transaction_sequence"] = t.original_submission
    head["workflow_task_id"] = t.workflow_task_id
    if t.workflow_status is not None:
        head["workflow_status"] = v.WORKFLOW_STATUS_NUMBERS[t.workflow_status]
    return [
        ("CSN", head),
        *_work_info(t.work_info),
        *_parties(t.interested_parties),
        *_titles(t.other_titles),
        *_extras(t.derived_from, t.performers, t.instrumentation),
        *_work_info(t.merges, "MER"),
    ]


# -- field values to records (reading) --------------------------------------------------


def _children(details: list[Record], record: str) -> list[Values]:
    return [values for kind, values in details if kind == record]


def _titles_back(details: list[Record]) -> tuple[Title, ...]:
    out = []
    for kind, d in details:
        if kind == "CTL":
            out.append(Title(d["work_title"], d["title_type"]))
        elif kind == "NAT":
            out.append(Title(d["work_title"], d["title_type"], d["language_code"] or None))
    return tuple(out)


def _parties_back(details: list[Record]) -> tuple[InterestedParty, ...]:
    return tuple(
        InterestedParty(d["ip_name_number"], d["ip_role"], base_number=d["ip_base_number"] or None)
        for d in _children(details, "CIP")
    )


def _work_info_back(details: list[Record], record: str = "CWI") -> tuple[WorkInfo, ...]:
    code = "society_work_code" if record == "CWI" else "agency_work_code"
    return tuple(
        WorkInfo(
            d["agency_code"],
            d["source_db_code"],
            d[code],
            d["preferred_iswc"] or None,
            d["archived_iswc"] or None,
        )  # fmt: skip
        for d in _children(details, record)
    )


def _derived_back(details: list[Record]) -> tuple[DerivedFrom, ...]:
    return tuple(
        DerivedFrom(d["iswc"] or None, d["title"] or None) for d in _children(details, "DER")
    )


def _performers_back(details: list[Record]) -> tuple[Performer, ...]:
    return tuple(
        Performer(d["last_name"], d["first_name"] or None) for d in _children(details, "PER")
    )


def _instruments_back(details: list[Record]) -> tuple[str, ...]:
    return tuple(d["code"] for d in _children(details, "INS"))


def transaction_from_records(kind: str, sequence: int, head: Values, details: list[Record]):
    """The record of one transaction from its converted field values (see :mod:`edi`)."""
    if kind in ("CAR", "CUR"):
        return Submission(
            submission_id=sequence,
            agency=head["agency_code"],
            sourcedb=head["source_db_code"],
            workcode=head["agency_work_code"],
            original_title=head["work_title"],
            interested_parties=_parties_back(details),
            other_titles=_titles_back(details),
            iswc=head["preferred_iswc"] if kind == "CAR" else None,
            preferred_iswc=head["preferred_iswc"] if kind == "CUR" else None,
            disambiguation=head["disambiguation"],
            disambiguation_reason=head["disambiguation_reason"],
            disambiguate_from=tuple(d["iswc"] for d in _children(details, "DIS")),
            bvltr=head["bvltr"],
            derived_work_type=head["derived_work_type"],
            derived_from=_derived_back(details),
            performers=_performers_back(details),
            instrumentation=_instruments_back(details),
        )
    if kind == "CDR":
        return Deletion(sequence, head["preferred_iswc"], head["agency_code"],
                        head["source_db_code"], head["agency_work_code"], head["deletion_reason"],
                        head["work_title"] or None)  # fmt: skip
    if kind == "CMQ":
        return SearchByIswc(sequence, head["preferred_iswc"])
    if kind == "CIQ":
        return SearchByWorkCode(sequence, head["agency_code"], head["source_db_code"],
                                head["agency_work_code"])  # fmt: skip
    if kind == "MER":
        return Merge(sequence, head["preferred_iswc"], head["agency_code"], head["source_db_code"],
                     head["agency_work_code"],
                     tuple(d["iswc"] for d in _children(details, "MLI")))  # fmt: skip
    if kind == "WFT":
        types = {n: name for name, n in v.WORKFLOW_TYPE_NUMBERS.items()}
        return WorkflowTaskUpdate(sequence, head["workflow_task_id"], types[head["workflow_type"]],
                                  v.WORKFLOW_STATUSES[head["status"]])  # fmt: skip
    created = _at(head["creation_date"], head["creation_time"])
    if kind == "ACK":
        return Acknowledgement(
            original_file_created=created,
            original_submission=head["original_transaction_sequence"],
            original_transaction_type=head["original_transaction_type"],
            processed=_at(head["processing_date"]),
            status=head["transaction_status"],
            submission_id=sequence,
            original_group=head["original_group_number"],
            preferred_iswc=head["preferred_iswc"] or None,
            agency=head["agency_code"] or None,
            sourcedb=head["source_db_code"] or None,
            workcode=head["agency_work_code"] or None,
            original_title=head["work_title"] or None,
            other_titles=_titles_back(details),
            interested_parties=_parties_back(details),
            work_info=_work_info_back(details),
        )
    status, task = head["workflow_status"], head["workflow_task_id"]
    return Notification(
        preferred_iswc=head["preferred_iswc"],
        agency=head["agency_code"],
        sourcedb=head["source_db_code"],
        workcode=head["agency_work_code"],
        original_title=head["work_title"],
        processed=_at(head["processing_date"]),
        original_file_created=created,
        original_transaction_type=head["original_transaction_type"],
        submission_id=sequence,
        original_submission=head["original_transaction_sequence"] or None,
        status=head["transaction_status"],
        workflow_task_id=task,
        workflow_status=None if task is None or status is None else v.WORKFLOW_STATUSES[status],
        other_titles=_titles_back(details),
        interested_parties=_parties_back(details),
        work_info=_work_info_back(details),
        derived_from=_derived_back(details),
        performers=_performers_back(details),
        instrumentation=_instruments_back(details),
        merges=_work_info_back(details, "MER"),
    )
