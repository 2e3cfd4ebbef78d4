"""Plain records of the ISWC database's file formats, shared by the JSON and EDI codecs.

They mirror the JSON format (SPE_20191118 v1.6), field for field, in Python
names: a submission carries the agency's work code (agency, source database,
work code), its titles with their types, its interested parties (IPI name
number and role), ISWCs, derived-work and disambiguation data, performers and
instrumentation. The format has no place for ISRCs, so neither have these
records. Transaction types and statuses are the EDI codes (``CAR``, ``FA``),
see :mod:`adapters.iswc.vocabulary`.

Codecs raise :class:`IswcFileError` for a file they refuse whole (its
findings say where and why) and :class:`IswcWriteError` for records that
cannot be written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from exchange.errors import ExchangeError
from exchange.model import Finding


class IswcFileError(ExchangeError):
    """An ISWC file refused whole; ``findings`` say where (line or JSON path) and why."""

    def __init__(self, message: str, findings: list[Finding]) -> None:
        super().__init__(message)
        self.findings = findings


class IswcWriteError(ValueError):
    """Records that cannot be written in an ISWC format (the message says which and why)."""


@dataclass(frozen=True, slots=True)
class Title:
    title: str
    type: str
    language: str | None = None


@dataclass(frozen=True, slots=True)
class InterestedParty:
    #: the IPI name number (an EDI CIP outside CAR, CUR and CIQ may give a base number only)
    name_number: int | None
    role: str
    name: str | None = None
    base_number: str | None = None


@dataclass(frozen=True, slots=True)
class Performer:
    last_name: str
    first_name: str | None = None


@dataclass(frozen=True, slots=True)
class DerivedFrom:
    """The work a derived work comes from: its ISWC or, when not known, its title."""

    iswc: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class WorkInfo:
    """A society's work on an ISWC (the ``workInfo`` of answers, the EDI CWI record)."""

    agency: str
    sourcedb: int
    workcode: str
    preferred_iswc: str | None = None
    archived_iswc: str | None = None


@dataclass(frozen=True, slots=True)
class Submission:
    """An AddSubmission (CAR) or, with ``preferred_iswc``, an UpdateSubmission (CUR).

    Read from EDI, ``submission_id`` is the transaction's sequence number in its group.
    """

    submission_id: int
    agency: str
    sourcedb: int
    workcode: str
    original_title: str
    interested_parties: tuple[InterestedParty, ...]
    #: DOM or INT (mandatory in JSON; the EDI records have no field for it)
    category: str | None = None
    other_titles: tuple[Title, ...] = ()
    #: the ISWC the agency submits (add only; the EDI archived ISWC field)
    iswc: str | None = None
    #: the Preferred ISWC an update applies to (mandatory for an update)
    preferred_iswc: str | None = None
    disambiguation: bool = False
    disambiguation_reason: str | None = None
    disambiguate_from: tuple[str, ...] = ()
    bvltr: str | None = None
    derived_work_type: str | None = None
    derived_from: tuple[DerivedFrom, ...] = ()
    performers: tuple[Performer, ...] = ()
    instrumentation: tuple[str, ...] = ()
    #: an ISWC allocated from the agency's local range (add only, FromLocalRange files)
    locally_allocated_iswc: str | None = None

    @property
    def transaction_type(self) -> str:
        return "CUR" if self.preferred_iswc else "CAR"


@dataclass(frozen=True, slots=True)
class Deletion:
    """A DeleteSubmission (CDR). The EDI record also needs the work's title."""

    submission_id: int
    preferred_iswc: str
    agency: str
    sourcedb: int
    workcode: str
    reason: str
    original_title: str | None = None
    transaction_type = "CDR"


@dataclass(frozen=True, slots=True)
class SearchByIswc:
    submission_id: int
    iswc: str
    transaction_type = "CMQ"


@dataclass(frozen=True, slots=True)
class SearchByWorkCode:
    submission_id: int
    agency: str
    sourcedb: int
    workcode: str
    transaction_type = "CIQ"


@dataclass(frozen=True, slots=True)
class Merge:
    """Merge ``merge_iswcs`` into ``preferred_iswc`` (MER)."""

    submission_id: int
    preferred_iswc: str
    agency: str
    sourcedb: int
    workcode: str
    merge_iswcs: tuple[str, ...]
    transaction_type = "MER"


@dataclass(frozen=True, slots=True)
class WorkflowTaskUpdate:
    submission_id: int
    task_id: int
    workflow_type: str
    status: str
    transaction_type = "WFT"


Transaction = Submission | Deletion | SearchByIswc | SearchByWorkCode | Merge | WorkflowTaskUpdate


@dataclass(frozen=True, slots=True)
class ErrorMessage:
    number: int
    message: str
    type: str | None = None


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """The ISWC database's answer to one transaction of a file we sent.

    The original transaction is ``original_submission`` (JSON: its submission
    id; EDI: its transaction sequence number in group ``original_group``) of
    the file created at ``original_file_created``.
    """

    original_file_created: datetime
    original_submission: int
    original_transaction_type: str
    processed: datetime
    status: str
    submission_id: int | None = None
    original_group: int | None = None
    preferred_iswc: str | None = None
    agency: str | None = None
    sourcedb: int | None = None
    workcode: str | None = None
    original_title: str | None = None
    other_titles: tuple[Title, ...] = ()
    interested_parties: tuple[InterestedParty, ...] = ()
    work_info: tuple[WorkInfo, ...] = ()
    errors: tuple[ErrorMessage, ...] = ()


@dataclass(frozen=True, slots=True)
class Notification:
    """Another agency's transaction on an ISWC we have a work on (CSN)."""

    preferred_iswc: str
    agency: str
    sourcedb: int
    workcode: str
    original_title: str
    processed: datetime
    original_file_created: datetime
    original_transaction_type: str | None = None
    submission_id: int | None = None
    original_submission: int | None = None
    status: str | None = None
    workflow_task_id: int | None = None
    #: Outstanding, Approved, Rejected or Cancelled
    workflow_status: str | None = None
    other_titles: tuple[Title, ...] = ()
    interested_parties: tuple[InterestedParty, ...] = ()
    work_info: tuple[WorkInfo, ...] = ()
    derived_work_type: str | None = None
    derived_from: tuple[DerivedFrom, ...] = ()
    performers: tuple[Performer, ...] = ()
    instrumentation: tuple[str, ...] = ()
    #: EDI only (MER detail records of a CSN): the works merged, as their agencies know them
    merges: tuple[WorkInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class FileHeader:
    """Who sent a file to whom, and when (UTC)."""

    sender: str
    receiver: str | None
    created: datetime
    sourcedb: int | None = None
