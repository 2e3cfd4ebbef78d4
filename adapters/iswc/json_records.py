"""ISWC records to the JSON objects of the file format and back.

Writing follows the conventions of the format and of the REST API it shares
them with: optional fields are left out, never written empty; dates and times
are ISO 8601 in UTC (``2019-10-01T18:25:43.511Z``). Reading expects an object
the schema has accepted, so its shape is known; ``from_*`` functions only turn
names and types into the records of :mod:`adapters.iswc.model`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from adapters.iswc import vocabulary as v
from adapters.iswc.model import (
    Acknowledgement,
    Deletion,
    DerivedFrom,
    ErrorMessage,
    FileHeader,
    InterestedParty,
    Merge,
    Notification,
    Performer,
    SearchByIswc,
    SearchByWorkCode,
    Submission,
    Title,
    Transaction,
    WorkflowTaskUpdate,
    WorkInfo,
)

Json = dict[str, Any]


def _drop_empty(pairs: Mapping[str, Any]) -> Json:
    return {k: val for k, val in pairs.items() if val is not None and val != [] and val != ""}


def format_time(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z``, as the specification's samples."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    """An ISO 8601 date and time with a zone (the schema has checked it), in UTC."""
    return datetime.fromisoformat(text).astimezone(UTC)


# -- small parts ------------------------------------------------------------------------


def _title(t: Title) -> Json:
    return _drop_empty({"title": t.title, "type": t.type, "languageCode": t.language})


def _party(p: InterestedParty) -> Json:
    return _drop_empty(
        {"nameNumber": p.name_number, "role": p.role, "name": p.name, "baseNumber": p.base_number}
    )


def _performer(p: Performer) -> Json:
    return _drop_empty({"firstName": p.first_name, "lastName": p.last_name})


def _derived(d: DerivedFrom) -> Json:
    return _drop_empty({"iswc": d.iswc, "title": d.title})


def _work_info(w: WorkInfo) -> Json:
    return _drop_empty(
        {
            "agency": w.agency,
            "sourcedb": w.sourcedb,
            "workcode": w.workcode,
            "preferredIswc": w.preferred_iswc,
            "archivedIswc": w.archived_iswc,
        }
    )


def _titles_back(items: list[Json] | None) -> tuple[Title, ...]:
    return tuple(Title(t["title"], t["type"], t.get("languageCode")) for t in items or ())


def _parties_back(items: list[Json] | None) -> tuple[InterestedParty, ...]:
    return tuple(
        InterestedParty(p["nameNumber"], p["role"], p.get("name"), p.get("baseNumber"))
        for p in items or ()
    )


def _performers_back(items: list[Json] | None) -> tuple[Performer, ...]:
    return tuple(Performer(p["lastName"], p.get("firstName")) for p in items or ())


def _derived_back(items: list[Json] | None) -> tuple[DerivedFrom, ...]:
    return tuple(DerivedFrom(d.get("iswc"), d.get("title")) for d in items or ())


def _work_info_back(items: list[Json] | None) -> tuple[WorkInfo, ...]:
    return tuple(
        WorkInfo(
            w["agency"], w["sourcedb"], w["workcode"], w.get("preferredIswc"), w.get("archivedIswc")
        )
        for w in items or ()
    )


# -- transactions -----------------------------------------------------------------------


def _ident(t: Submission | Deletion | SearchByWorkCode | Merge) -> Json:
    return {
        "submissionId": t.submission_id,
        "agency": t.agency,
        "sourcedb": t.sourcedb,
        "workcode": t.workcode,
    }


def _submission(s: Submission) -> Json:
    update = s.preferred_iswc is not None
    return _drop_empty(
        {
            "submissionId": s.submission_id,
            "preferredIswc": s.preferred_iswc,
            **_ident(s),
            "category": s.category,
            "disambiguation": True if s.disambiguation else None,
            "disambiguationReason": s.disambiguation_reason,
            "disambiguateFrom": list(s.disambiguate_from),
            "bvltr": s.bvltr,
            "derivedWorkType": s.derived_work_type,
            "derivedFromIswcs": [_derived(d) for d in s.derived_from],
            "performers": [_performer(p) for p in s.performers],
            "instrumentation": [{"code": code} for code in s.instrumentation],
            "iswc": None if update else s.iswc,
            "originalTitle": s.original_title,
            "otherTitles": [_title(t) for t in s.other_titles],
            "interestedParties": [_party(p) for p in s.interested_parties],
            "locallyAllocatedIswc": None if update else s.locally_allocated_iswc,
        }
    )


def _submission_back(o: Json) -> Submission:
    return Submission(
        submission_id=o["submissionId"],
        agency=o["agency"],
        sourcedb=o["sourcedb"],
        workcode=o["workcode"],
        category=o["category"],
        original_title=o["originalTitle"],
        interested_parties=_parties_back(o["interestedParties"]),
        other_titles=_titles_back(o.get("otherTitles")),
        iswc=o.get("iswc"),
        preferred_iswc=o.get("preferredIswc"),
        disambiguation=o.get("disambiguation", False),
        disambiguation_reason=o.get("disambiguationReason"),
        disambiguate_from=tuple(o.get("disambiguateFrom") or ()),
        bvltr=o.get("bvltr"),
        derived_work_type=o.get("derivedWorkType"),
        derived_from=_derived_back(o.get("derivedFromIswcs")),
        performers=_performers_back(o.get("performers")),
        instrumentation=tuple(i["code"] for i in o.get("instrumentation") or ()),
        locally_allocated_iswc=o.get("locallyAllocatedIswc"),
    )


def _deletion(d: Deletion) -> Json:
    return {
        "submissionId": d.submission_id,
        "preferredIswc": d.preferred_iswc,
        **_ident(d),
        "reasonCode": d.reason,
    }


def _deletion_back(o: Json) -> Deletion:
    return Deletion(
        o["submissionId"], o["preferredIswc"], o["agency"], o["sourcedb"], o["workcode"],
        o["reasonCode"],
    )  # fmt: skip


def _merge(m: Merge) -> Json:
    return {**_ident(m), "preferredIswc": m.preferred_iswc, "mergeIswcs": list(m.merge_iswcs)}


def _merge_back(o: Json) -> Merge:
    return Merge(
        o["submissionId"], o["preferredIswc"], o["agency"], o["sourcedb"], o["workcode"],
        tuple(o["mergeIswcs"]),
    )  # fmt: skip


def _task(t: WorkflowTaskUpdate) -> Json:
    return {
        "submissionId": t.submission_id,
        "taskId": t.task_id,
        "workflowType": t.workflow_type,
        "status": t.status,
    }


#: Transaction groups of a submission file: name, record class, writer, reader.
GROUPS: tuple[tuple[str, type, Callable[[Any], Json], Callable[[Json], Transaction]], ...] = (
    ("addSubmissions", Submission, _submission, _submission_back),
    ("updateSubmissions", Submission, _submission, _submission_back),
    ("deleteSubmissions", Deletion, _deletion, _deletion_back),
    (
        "searchByIswcSubmissions",
        SearchByIswc,
        lambda s: {"submissionId": s.submission_id, "iswc": s.iswc},
        lambda o: SearchByIswc(o["submissionId"], o["iswc"]),
    ),
    (
        "searchByAgencyWorkCodeSubmissions",
        SearchByWorkCode,
        _ident,
        lambda o: SearchByWorkCode(o["submissionId"], o["agency"], o["sourcedb"], o["workcode"]),
    ),
    ("mergeSubmissions", Merge, _merge, _merge_back),
    (
        "updateWorkflowTasks",
        WorkflowTaskUpdate,
        _task,
        lambda o: WorkflowTaskUpdate(
            o["submissionId"], o["taskId"], o["workflowType"], o["status"]
        ),
    ),
)


def group_of(t: Transaction) -> str:
    """The transaction group a transaction belongs in."""
    if isinstance(t, Submission):
        return "updateSubmissions" if t.preferred_iswc is not None else "addSubmissions"
    return next(name for name, kind, _, _ in GROUPS if isinstance(t, kind))


def transaction_to_json(t: Transaction) -> Json:
    return next(write for _, kind, write, _ in GROUPS if isinstance(t, kind))(t)


def transaction_from_json(group: str, o: Json) -> Transaction:
    """The transaction of an object of ``group`` (``addSubmissions``...)."""
    return next(back for name, _, _, back in GROUPS if name == group)(o)


# -- answers ----------------------------------------------------------------------------


def _answer(a: Acknowledgement | Notification) -> Json:
    return {
        "submissionId": a.submission_id,
        "originalFileCreationDateTime": format_time(a.original_file_created),
        "originalSubmissionId": a.original_submission,
        "originalTransactionType": v.TRANSACTION_TYPES.get(a.original_transaction_type or ""),
        "preferredIswc": a.preferred_iswc,
        "agency": a.agency,
        "sourcedb": a.sourcedb,
        "workcode": a.workcode,
        "originalTitle": a.original_title,
        "processingDateTime": format_time(a.processed),
        "transactionStatus": v.STATUSES.get(a.status or ""),
        "otherTitles": [_title(t) for t in a.other_titles],
        "interestedParties": [_party(p) for p in a.interested_parties],
        "workInfo": [_work_info(w) for w in a.work_info],
    }


def acknowledgement_to_json(a: Acknowledgement) -> Json:
    errors = [_drop_empty({"errorType": e.type, "errorNumber": e.number,
                           "errorMessage": e.message}) for e in a.errors]  # fmt: skip
    return _drop_empty({**_answer(a), "errorMessages": errors})


def notification_to_json(n: Notification) -> Json:
    status = v.WORKFLOW_STATUS_NUMBERS.get(n.workflow_status or "")
    out = _drop_empty(
        {
            **_answer(n),
            "workflowTaskId": n.workflow_task_id,
            "workflowStatus": status,
            "derivedWorkType": n.derived_work_type,
            "derivedFromIswcs": [_derived(d) for d in n.derived_from],
            "performers": [_performer(p) for p in n.performers],
            "instrumentation": [{"code": code} for code in n.instrumentation],
        }
    )
    out.setdefault("originalTitle", n.original_title)  # mandatory, even when blank
    return out


def _processed(o: Json) -> datetime:
    return parse_time(o.get("processingDateTime") or o["processingDate"])


def acknowledgement_from_json(o: Json) -> Acknowledgement:
    return Acknowledgement(
        original_file_created=parse_time(o["originalFileCreationDateTime"]),
        original_submission=o["originalSubmissionId"],
        original_transaction_type=v.TRANSACTION_CODES[o["originalTransactionType"]],
        processed=_processed(o),
        status=v.STATUS_CODES[o["transactionStatus"]],
        submission_id=o["submissionId"],
        preferred_iswc=o.get("preferredIswc"),
        agency=o.get("agency"),
        sourcedb=o.get("sourcedb"),
        workcode=o.get("workcode"),
        original_title=o.get("originalTitle") or None,
        other_titles=_titles_back(o.get("otherTitles")),
        interested_parties=_parties_back(o.get("interestedParties")),
        work_info=_work_info_back(o.get("workInfo")),
        errors=tuple(
            ErrorMessage(e["errorNumber"], e["errorMessage"], e.get("errorType"))
            for e in o.get("errorMessages") or ()
        ),
    )


def notification_from_json(o: Json) -> Notification:
    status = o.get("workflowStatus")
    status_name = v.WORKFLOW_STATUSES.get(status, status) if status is not None else None
    transaction_status = o.get("transactionStatus")
    return Notification(
        preferred_iswc=o["preferredIswc"],
        agency=o["agency"],
        sourcedb=o["sourcedb"],
        workcode=o["workcode"],
        original_title=o["originalTitle"],
        processed=_processed(o),
        original_file_created=parse_time(o["originalFileCreationDateTime"]),
        original_transaction_type=v.TRANSACTION_CODES[o["originalTransactionType"]],
        submission_id=o["submissionId"],
        original_submission=o["originalSubmissionId"],
        status=v.STATUS_CODES[transaction_status] if transaction_status else None,
        workflow_task_id=o.get("workflowTaskId"),
        workflow_status=status_name,
        other_titles=_titles_back(o.get("otherTitles")),
        interested_parties=_parties_back(o.get("interestedParties")),
        work_info=_work_info_back(o.get("workInfo")),
        derived_work_type=o.get("derivedWorkType"),
        derived_from=_derived_back(o.get("derivedFromIswcs")),
        performers=_performers_back(o.get("performers")),
        instrumentation=tuple(i["code"] for i in o.get("instrumentation") or ()),
    )


def header_to_json(h: FileHeader) -> Json:
    return {
        "submittingAgency": h.sender,
        "submittingSourcedb": h.sourcedb if h.sourcedb is not None else int(h.sender),
        "fileCreationDateTime": format_time(h.created),
        "receivingAgency": h.receiver,
    }


def header_from_json(o: Json) -> FileHeader:
    sourcedb = o["submittingSourcedb"] if "submittingSourcedb" in o else o["sunmittingSourcedb"]
    return FileHeader(
        o["submittingAgency"], o["receivingAgency"], parse_time(o["fileCreationDateTime"]), sourcedb
    )
