"""The ISWC database's answers read into typed results: ISWCs, rejections, tasks.

Each reader takes the JSON object of the REST specification (SubmissionResponse,
VerifiedSubmissionBatch, ISWCMetadata, ISWCMetadataBatch, WorkflowTask) and
raises :class:`AnswerError` on one that is not what the specification describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from exchange.errors import ExchangeError


class AnswerError(ExchangeError):
    """An answer of the ISWC database that is not the JSON the specification describes."""


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why the database refused something: an error code (100-247) and its message."""

    code: str
    message: str

    @classmethod
    def from_json(cls, data: Any) -> Rejection:
        if not isinstance(data, dict) or "code" not in data:
            raise AnswerError(f"a rejection without a code: {str(data)[:200]}")
        return cls(str(data["code"]), str(data.get("message") or ""))

    def __str__(self) -> str:
        return f"{self.code} {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class IswcMetadata:
    """What the database holds on one ISWC (ISWCMetadata)."""

    iswc: str
    agency: str | None
    original_title: str | None
    other_titles: list[dict[str, Any]]
    interested_parties: list[dict[str, Any]]
    #: the agencies' submissions (VerifiedSubmission objects) under this ISWC
    works: list[dict[str, Any]]
    #: the preferred ISWC this one was merged into (None: this one is preferred)
    parent_iswc: str | None
    #: the ISWCs merged into this one
    linked_iswcs: list[str]
    raw: dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any) -> IswcMetadata:
        if not isinstance(data, dict) or not data.get("iswc"):
            raise AnswerError(f"ISWC metadata without an ISWC: {str(data)[:200]}")
        return cls(
            iswc=str(data["iswc"]),
            agency=_text(data, "agency"),
            original_title=_text(data, "originalTitle"),
            other_titles=list(data.get("otherTitles") or []),
            interested_parties=list(data.get("interestedParties") or []),
            works=list(data.get("works") or []),
            parent_iswc=_text(data, "parentISWC"),
            linked_iswcs=[str(i) for i in data.get("linkedISWC") or []],
            raw=data,
        )

    @property
    def preferred_iswc(self) -> str:
        """The preferred ISWC: the parent this one was merged into, else this one."""
        return self.parent_iswc or self.iswc

    def workcodes(self, agency: str) -> list[str]:
        """The work codes ``agency`` submitted under this ISWC."""
        return [str(w["workcode"]) for w in self.works if w.get("agency") == agency]


@dataclass(frozen=True, slots=True)
class SubmissionResult:
    """The answer to one submission: the ISWC it holds now, or its rejection."""

    submission_id: int | None
    iswc: str | None
    agency: str | None
    workcode: str | None
    rejection: Rejection | None
    linked_iswcs: list[str] = field(default_factory=list)
    potential_matches: list[IswcMetadata] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rejection is None

    @classmethod
    def from_response(cls, data: Any, submission_id: int | None = None) -> SubmissionResult:
        """From a SubmissionResponse (the answer to a single submission)."""
        if not isinstance(data, dict):
            raise AnswerError(f"a submission answer that is not an object: {str(data)[:200]}")
        verified = data.get("verifiedSubmission") or {}
        rejection = verified.get("rejection")
        linked = [
            str(m.get("iswc") or (m.get("iswcMetadata") or {}).get("iswc"))
            for m in data.get("linkedIswcs") or []
            if isinstance(m, dict)
        ]
        return cls(
            submission_id=submission_id,
            iswc=_text(verified, "iswc"),
            agency=_text(verified, "agency"),
            workcode=_text(verified, "workcode"),
            rejection=Rejection.from_json(rejection) if rejection else None,
            linked_iswcs=linked,
            potential_matches=[
                IswcMetadata.from_json(m) for m in data.get("potentialMatches") or []
            ],
        )

    @classmethod
    def rejected(cls, rejection: Rejection, submission_id: int | None = None) -> SubmissionResult:
        return cls(submission_id, None, None, None, rejection)

    @classmethod
    def from_batch_item(cls, data: Any) -> SubmissionResult:
        """From one VerifiedSubmissionBatch of a 207 answer."""
        if not isinstance(data, dict) or "submissionId" not in data:
            raise AnswerError(f"a batch answer without a submissionId: {str(data)[:200]}")
        number = int(data["submissionId"])
        if data.get("rejection"):
            return cls.rejected(Rejection.from_json(data["rejection"]), number)
        return cls.from_response(data.get("submission") or {}, number)

    def as_dict(self) -> dict[str, Any]:
        return {
            "submission_id": self.submission_id,
            "iswc": self.iswc,
            "agency": self.agency,
            "workcode": self.workcode,
            "rejection": self.rejection.as_dict() if self.rejection else None,
        }


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The ISWCs one search found (none, with or without a rejection)."""

    search_id: int | None
    results: list[IswcMetadata]
    rejection: Rejection | None = None

    @classmethod
    def from_batch_item(cls, data: Any) -> SearchResult:
        """From one ISWCMetadataBatch of a 207 answer."""
        if not isinstance(data, dict):
            raise AnswerError(f"a search answer that is not an object: {str(data)[:200]}")
        rejection = data.get("rejection")
        return cls(
            search_id=int(data["searchId"]) if data.get("searchId") is not None else None,
            results=[IswcMetadata.from_json(m) for m in data.get("searchResults") or []],
            rejection=Rejection.from_json(rejection) if rejection else None,
        )


@dataclass(frozen=True, slots=True)
class WorkflowTask:
    """A workflow task: a change another agency made to a work of ours, awaiting approval."""

    task_id: int
    workflow_type: str
    status: str
    created: datetime | None
    originating_agency: str | None
    assigned_agency: str | None
    metadata: IswcMetadata | None
    message: str | None
    rejection: Rejection | None

    @classmethod
    def from_json(cls, data: Any) -> WorkflowTask:
        if not isinstance(data, dict) or data.get("workflowTaskId") is None:
            raise AnswerError(f"a workflow task without an id: {str(data)[:200]}")
        created = data.get("createdDate")
        metadata = data.get("iswcMetadata")
        rejection = data.get("rejection")
        return cls(
            task_id=int(data["workflowTaskId"]),
            workflow_type=str(data.get("workflowType") or ""),
            status=str(data.get("status") or ""),
            created=datetime.fromisoformat(created) if created else None,
            originating_agency=_text(data, "originatingSociety"),
            assigned_agency=_text(data, "assignedSociety"),
            metadata=IswcMetadata.from_json(metadata) if metadata else None,
            message=_text(data, "workflowMessage"),
            rejection=Rejection.from_json(rejection) if rejection else None,
        )


@dataclass(frozen=True, slots=True)
class TaskUpdate:
    """A new status for a workflow task (PATCH /iswc/workflowTasks)."""

    task_id: int
    workflow_type: str
    status: str  # Approved, Rejected (or Cancelled, for one's own)
    message: str | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "taskId": self.task_id,
            "workflowType": self.workflow_type,
            "status": self.status,
        }
        if self.message:
            body["workflowMessage"] = self.message[:200]
        return body
