"""The request bodies of the ISWC REST API, as its schema declares them.

A body that breaks the schema (a required field missing, a value outside an
enumeration, an explicit null) is answered 400 with the problem document of the
specification's chapter 4.1; the business rules (error codes) are
:mod:`tests.iswc_standin.rules`. ISWC patterns are checked there, so that a bad
ISWC gets its documented code (113, 141) rather than a schema error.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from adapters.iswc import vocabulary
from exchange.iswc import codes

# The vocabularies are adapters.iswc.vocabulary's and exchange.iswc.codes's (one source each).
Role = Literal[tuple(sorted(codes.ROLES))]
TitleType = Literal[tuple(sorted(vocabulary.TITLE_TYPES))]
WorkflowType = Literal[tuple(sorted(vocabulary.WORKFLOW_TYPES))]
WorkflowStatus = Literal[codes.WORKFLOW_STATUSES]
ShowWorkflows = Literal[codes.SHOW_WORKFLOWS]


class Body(BaseModel):
    """Unknown fields are ignored; a field that is present must have a value (4.1)."""

    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("expects a non-null value")
        return value


class Title(Body):
    title: str
    type: TitleType


class InterestedParty(Body):
    nameNumber: int
    role: Role
    name: str | None = None
    baseNumber: str | None = None


class Performer(Body):
    lastName: str = Field(min_length=1)
    firstName: str | None = None


class Instrumentation(Body):
    code: str = Field(min_length=1, max_length=3)


class DerivedFrom(Body):
    iswc: str | None = None
    title: str | None = None


class DisambiguateFrom(Body):
    iswc: str


class Submission(Body):
    agency: str = Field(min_length=3, max_length=3)
    sourcedb: int
    workcode: str
    category: Literal[tuple(sorted(vocabulary.CATEGORIES))]
    originalTitle: str
    interestedParties: list[InterestedParty]
    iswc: str | None = None
    preferredIswc: str | None = None
    otherTitles: list[Title] | None = None
    disambiguation: bool | None = None
    disambiguationReason: Literal[tuple(sorted(vocabulary.DISAMBIGUATION_REASONS))] | None = None
    disambiguateFrom: list[DisambiguateFrom] | None = None
    bvltr: Literal[tuple(sorted(vocabulary.BVLTR))] | None = None
    derivedWorkType: Literal[tuple(sorted(vocabulary.DERIVED_WORK_TYPES))] | None = None
    derivedFromIswcs: list[DerivedFrom] | None = None
    performers: list[Performer] | None = None
    instrumentation: list[Instrumentation] | None = None
    cisnetCreatedDate: datetime | None = None
    cisnetLastModifiedDate: datetime | None = None


class SubmissionBatch(Body):
    submissionId: int
    submission: Submission


class IswcSearch(Body):
    iswc: str


class AgencyWorkCodeSearch(Body):
    agency: str = Field(min_length=3, max_length=3)
    workCode: str


class SearchParty(Body):
    nameNumber: int | None = None
    lastName: str | None = None
    name: str | None = None
    baseNumber: str | None = None
    role: Role | None = None


class TitleAndContributorSearch(Body):
    titles: list[Title] | None = None
    interestedParties: list[SearchParty] | None = None


class WorkNumber(Body):
    agencyCode: str = Field(min_length=3, max_length=3)
    agencyWorkCode: str


class MergeRequest(Body):
    iswcs: list[str] | None = None
    agencyWorks: list[WorkNumber] | None = None


class WorkflowTaskUpdate(Body):
    taskId: int
    workflowType: WorkflowType
    status: WorkflowStatus
    workflowMessage: str | None = Field(default=None, max_length=200)
