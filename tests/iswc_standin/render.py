"""The stand-in's answers as the REST specification shapes them (optional fields left out).

ISWCMetadata (3.2.1), VerifiedSubmission and SubmissionResponse (3.1.1),
VerifiedSubmissionBatch (3.1.4), ISWCMetadataBatch and WorkflowTask.
"""

from __future__ import annotations

from typing import Any

from exchange.iswc.answers import Rejection
from exchange.iswc.payloads import iso
from tests.iswc_standin.database import Database, Task, WorkInfo


def _parties(infos: list[WorkInfo]) -> list[dict[str, Any]]:
    seen: dict[tuple[int, str], dict[str, Any]] = {}
    for info in infos:
        for party in info.body["interestedParties"]:
            seen.setdefault((int(party["nameNumber"]), party["role"]), party)
    return list(seen.values())


def verified(db: Database, info: WorkInfo) -> dict[str, Any]:
    """A VerifiedSubmission: the submission as the database holds it."""
    record = db.records[info.iswc]
    out: dict[str, Any] = {
        **info.body,
        "iswc": db.root(info.iswc),
        "createdDate": iso(info.created),
        "lastModifiedDate": iso(info.modified),
        "lastModifiedBy": info.agency,
        "id": info.id,
        "iswcEligible": True,
        "deleted": info.deleted,
    }
    out.pop("preferredIswc", None)
    if record.parent is not None:
        out["linkedTo"] = record.parent
    if info.archived:
        out["archivedIswc"] = info.archived
    return out


def metadata(db: Database, iswc: str) -> dict[str, Any]:
    """ISWCMetadata of ``iswc``: a preferred ISWC with every work under it, or an archived one
    with its parent."""
    record = db.records[iswc]
    infos = db.active(iswc)
    titles: dict[tuple[str, str], dict[str, str]] = {}
    for info in infos:
        for title in info.body.get("otherTitles", []):
            titles.setdefault((title["title"], title["type"]), title)
    out: dict[str, Any] = {
        "createdDate": iso(record.created),
        "lastModifiedDate": iso(record.modified),
        "lastModifiedBy": record.modified_by,
        "iswc": iswc,
        "agency": record.agency,
        "originalTitle": infos[0].body["originalTitle"] if infos else "",
        "interestedParties": _parties(infos),
        "works": [verified(db, i) for i in infos],
    }
    if titles:
        out["otherTitles"] = list(titles.values())
    if record.parent is not None:
        out["parentISWC"] = db.root(iswc)
    linked = db.children(iswc)
    if linked:
        out["linkedISWC"] = linked
    return out


def submission_response(db: Database, info: WorkInfo) -> dict[str, Any]:
    """SubmissionResponse: the verified submission and the ISWCs linked to its ISWC."""
    preferred = db.root(info.iswc)
    out: dict[str, Any] = {"verifiedSubmission": verified(db, info)}
    linked = db.children(preferred)
    if linked:
        out["linkedIswcs"] = [metadata(db, i) for i in linked]
    return out


def rejection(r: Rejection) -> dict[str, str]:
    return r.as_dict()


def submission_item(
    number: int, db: Database, info: WorkInfo | None, refused: Rejection | None
) -> dict[str, Any]:
    """One VerifiedSubmissionBatch of a 207 answer."""
    if refused is not None:
        return {"submissionId": number, "rejection": rejection(refused)}
    assert info is not None
    return {"submissionId": number, "submission": submission_response(db, info)}


def search_item(number: int, found: list[dict[str, Any]], refused: Rejection | None) -> dict:
    """One ISWCMetadataBatch of a 207 answer."""
    out: dict[str, Any] = {"searchId": number, "searchResults": found}
    if refused is not None:
        out["rejection"] = rejection(refused)
    return out


def task(db: Database, t: Task, refused: Rejection | None = None) -> dict[str, Any]:
    """A WorkflowTask."""
    out: dict[str, Any] = {
        "workflowTaskId": t.id,
        "workflowType": t.type,
        "status": t.status,
        "createdDate": iso(t.created),
        "originatingSociety": t.originating,
        "assignedSociety": t.assigned,
        "iswcMetadata": metadata(db, t.iswc),
    }
    if t.message:
        out["workflowMessage"] = t.message
    if refused is not None:
        out["rejection"] = rejection(refused)
    return out
