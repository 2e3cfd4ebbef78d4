"""The stand-in's ISWC database, in memory: ISWCs, the agencies' submissions, merges, tasks.

An ISWC record holds the submissions (work information) of the agencies that
sent the same work; a merge points an ISWC at its parent, the preferred ISWC,
and leaves it archived. A change to an ISWC that other agencies share (an
update of its titles or creators, a merge, a de-merge) opens a workflow task
for each of them; rejecting the task undoes the change, and a task left
outstanding for ``auto_approve_days`` is approved (the guidelines' daily job).

Every operation raises :class:`~tests.iswc_standin.rules.Refused` with the
documented error code when a rule rejects it, and changes nothing then.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.iswc.vocabulary import CREATOR_ROLES
from exchange.identifiers import iswc as iswc_id
from tests.iswc_standin.models import MergeRequest, Submission, WorkflowTaskUpdate
from tests.iswc_standin.notices import Notices
from tests.iswc_standin.rules import check_agency, check_iswc, check_submission, refuse

#: The stand-in's ISWCs come from this range (T-900.000.001-x on), so they stand out.
FIRST_NUMBER = 900_000_000


@dataclass
class WorkInfo:
    """One agency's submission of a work."""

    id: int
    body: dict[str, Any]  # the Submission as received (optional fields left out)
    iswc: str  # the ISWC record it belongs to
    created: datetime
    modified: datetime
    archived: str | None = None  # the ISWC it was submitted with, if any
    deleted: bool = False

    @property
    def agency(self) -> str:
        return str(self.body["agency"])

    @property
    def workcode(self) -> str:
        return str(self.body["workcode"])


@dataclass
class Record:
    """An ISWC: preferred, or archived when merged into ``parent``."""

    iswc: str
    agency: str  # the agency whose submission was given the ISWC
    created: datetime
    modified: datetime
    modified_by: str
    parent: str | None = None


@dataclass
class Task:
    """A workflow task assigned to an agency that shares the changed ISWC."""

    id: int
    type: str
    created: datetime
    originating: str
    assigned: str
    iswc: str
    undo: Callable[[], None] = field(repr=False)
    status: str = "Outstanding"
    message: str | None = None


def _title(text: str) -> str:
    return " ".join(text.split()).casefold()


def _creators(body: dict[str, Any]) -> frozenset[int]:
    return frozenset(
        int(p["nameNumber"]) for p in body["interestedParties"] if p["role"] in CREATOR_ROLES
    )


class Database:
    """ISWCs and submissions; one lock makes every operation atomic."""

    def __init__(
        self,
        *,
        ipis: frozenset[int] | None = None,
        clock: Callable[[], float],
        auto_approve_days: int = 30,
    ) -> None:
        self.ipis = ipis
        self.clock = clock
        self.auto_approve = timedelta(days=auto_approve_days)
        self.records: dict[str, Record] = {}
        self.infos: dict[int, WorkInfo] = {}
        self.by_code: dict[tuple[str, str], int] = {}  # the newest info of a work code
        self.tasks: dict[int, Task] = {}
        self.lock = threading.RLock()
        self._next_number = FIRST_NUMBER
        #: writes CSN files for other agencies when a folder is given (tests.iswc_standin.notices)
        self.notices: Notices | None = None

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # -- reading --------------------------------------------------------------

    def root(self, iswc: str) -> str:
        """The preferred ISWC that ``iswc`` was merged into (itself if preferred)."""
        while (parent := self.records[iswc].parent) is not None:
            iswc = parent
        return iswc

    def children(self, iswc: str) -> list[str]:
        return sorted(r.iswc for r in self.records.values() if r.parent == iswc)

    def family(self, iswc: str) -> list[str]:
        """``iswc`` and every ISWC merged into it, at any depth."""
        out = [iswc]
        for child in self.children(iswc):
            out += self.family(child)
        return out

    def active(self, iswc: str, *, merged: bool = True) -> list[WorkInfo]:
        """The submissions under ``iswc`` (and the ISWCs merged into it), oldest first."""
        members = set(self.family(iswc) if merged else [iswc])
        return [i for i in self.infos.values() if i.iswc in members and not i.deleted]

    def info(self, agency: str, workcode: str) -> WorkInfo | None:
        """The agency's submission of ``workcode`` that is not deleted."""
        found = self.by_code.get((agency, workcode))
        info = self.infos.get(found) if found is not None else None
        return info if info is not None and not info.deleted else None

    def lookup(self, iswc: str) -> Record | None:
        return self.records.get(iswc)

    def preferred(self, iswc: str) -> Record:
        """IV/13, PV/22: an existing ISWC that is preferred (117 otherwise)."""
        check_iswc(iswc)
        record = self.records.get(iswc)
        if record is None or not self.active(iswc):
            refuse("117", iswc)
        return record

    # -- submissions ------------------------------------------------------------

    def _allocate(self, agency: str, moment: datetime) -> str:
        self._next_number += 1
        body = f"{self._next_number:09d}"
        iswc = f"T{body}{iswc_id.calc_check_digit(body)}"
        self.records[iswc] = Record(iswc, agency, moment, moment, agency)
        return iswc

    def _match(self, body: dict[str, Any]) -> str | None:
        """MAT: a preferred ISWC with the same original title and the same creators."""
        title, creators = _title(body["originalTitle"]), _creators(body)
        for record in self.records.values():
            infos = self.active(record.iswc)
            if (
                record.parent is None
                and infos
                and any(
                    _title(i.body["originalTitle"]) == title and _creators(i.body) == creators
                    for i in infos
                )
            ):
                return record.iswc
        return None

    def add(self, sub: Submission, touched: set[tuple[str, str]]) -> WorkInfo:
        """CAR. An add of a work code the agency has already submitted is its update (PV/02)."""
        check_submission(sub, self.ipis)
        held = self.info(sub.agency, sub.workcode)
        if held is not None:
            return self.update(sub, sub.preferredIswc or self.root(held.iswc), touched)
        self._touch(sub, touched)
        moment = self.now()
        body = sub.model_dump(mode="json", exclude_none=True)
        if sub.preferredIswc is not None:
            target = self.preferred(sub.preferredIswc).iswc  # PV/24
            if self.records[target].parent is not None:
                refuse("117", target)
        elif sub.iswc is not None:
            if sub.iswc not in self.records:
                refuse("117", sub.iswc)  # PV/24: a submitted ISWC must be known
            target = self.root(sub.iswc)
        else:
            target = self._match(body) or self._allocate(sub.agency, moment)
        info = WorkInfo(len(self.infos) + 1, body, target, moment, moment, archived=sub.iswc)
        self.infos[info.id] = info
        self.by_code[(sub.agency, sub.workcode)] = info.id
        if self.notices is not None:
            self.notices.changed(self, "CAR", info, self.root(target), moment)
        return info

    def _touch(self, sub: Submission, touched: set[tuple[str, str]]) -> None:
        """155: one request changes a submission once."""
        key = (sub.agency, sub.workcode)
        if key in touched:
            refuse("155", f"work code {sub.workcode} twice in one request")
        touched.add(key)

    def update(
        self, sub: Submission, preferred: str | None, touched: set[tuple[str, str]]
    ) -> WorkInfo:
        """CUR, found by agency and work code; one not submitted yet is added (PV/03)."""
        check_submission(sub, self.ipis)
        iswc = sub.preferredIswc or preferred
        if iswc is None:
            refuse("107")  # IV/13
        record = self.preferred(iswc)
        if record.parent is not None:
            refuse("116", iswc)  # PV/23: an archived ISWC
        info = self.info(sub.agency, sub.workcode)
        if info is None:
            last = self.by_code.get((sub.agency, sub.workcode))
            if last is not None:
                refuse("131", sub.workcode)  # PV/05: deleted
            return self.add(sub.model_copy(update={"preferredIswc": iswc}), touched)
        sent = sub.cisnetLastModifiedDate
        held = info.body.get("cisnetLastModifiedDate")
        if sent is not None and held is not None and datetime.fromisoformat(held) > sent:
            refuse("155", f"changed at {held}")
        self._touch(sub, touched)
        before_body, before_iswc, moment = info.body, info.iswc, self.now()
        info.body = sub.model_dump(mode="json", exclude_none=True)
        if self.root(info.iswc) != record.iswc:
            info.iswc = record.iswc  # PV/26: the work moves to another ISWC
        info.modified = moment
        self.records[record.iswc].modified = moment
        self.records[record.iswc].modified_by = sub.agency
        changed = _title(before_body["originalTitle"]) != _title(info.body["originalTitle"]) or (
            _creators(before_body) != _creators(info.body)
        )

        def undo() -> None:
            info.body, info.iswc = before_body, before_iswc

        if changed:
            self._open_tasks("UpdateApproval", sub.agency, record.iswc, undo)
        if self.notices is not None:
            self.notices.changed(self, "CUR", info, record.iswc, moment)
        return info

    def delete(
        self, agency: str, workcode: str, sourcedb: int, preferred: str, reason: str | None
    ) -> None:
        """CDR (PV/01, PV/13, PV/22, PV/25)."""
        check_agency(agency)
        check_iswc(preferred)
        if not reason:
            refuse("133")
        info = self.info(agency, workcode)
        if info is None or int(info.body["sourcedb"]) != sourcedb:
            refuse("130", workcode)
        if self.root(info.iswc) != preferred:
            refuse("117", preferred)
        info.deleted, info.modified = True, self.now()

    # -- merges -------------------------------------------------------------------

    def merge(self, preferred: str, agency: str, request: MergeRequest) -> None:
        """MER: the preferred ISWCs listed, or of the work codes listed, go under ``preferred``."""
        check_agency(agency)
        check_iswc(preferred)
        target = self.records.get(preferred)
        if target is None or target.parent is not None or not self.active(preferred):
            refuse("132", preferred)  # PV/09
        merged: list[str] = []
        for iswc in request.iswcs or []:
            check_iswc(iswc)
            record = self.records.get(iswc)
            if record is None or not self.active(iswc):
                refuse("132", iswc)
            if record.parent is not None:
                refuse("157", iswc)
            merged.append(iswc)
        for work in request.agencyWorks or []:
            info = self.info(work.agencyCode, work.agencyWorkCode)
            if info is None:
                refuse("203", f"{work.agencyCode} {work.agencyWorkCode}")
            merged.append(self.root(info.iswc))
        if not merged:
            refuse("132", "no ISWC to merge")
        if preferred in merged:
            refuse("156", preferred)
        for iswc in [preferred, *merged]:
            if not any(i.agency == agency for i in self.active(iswc)):
                refuse("150", iswc)  # PV/10
        moment = self.now()
        for iswc in dict.fromkeys(merged):
            self.records[iswc].parent, self.records[iswc].modified = preferred, moment

            def undo(child: str = iswc) -> None:
                self.records[child].parent = None

            self._open_tasks("MergeApproval", agency, preferred, undo)
            by = next(i for i in self.active(preferred) if i.agency == agency)
            if self.notices is not None:
                self.notices.changed(self, "MER", by, preferred, moment, merged=iswc)

    def demerge(self, preferred: str, agency: str, workcode: str) -> None:
        """Take ``agency``'s work out of ``preferred``, where it was merged or matched."""
        check_agency(agency)
        check_iswc(preferred)
        if preferred not in self.records or not self.active(preferred):
            refuse("153", preferred)
        info = self.info(agency, workcode)
        if info is None:
            refuse("143", workcode)
        if self.root(info.iswc) != preferred:
            refuse("153", preferred)
        moment = self.now()
        if info.iswc != preferred:  # in an ISWC merged into the preferred one: unmerge it
            child = info.iswc
            while self.records[child].parent != preferred:
                child = self.records[child].parent or preferred
            self.records[child].parent = None

            def undo() -> None:
                self.records[child].parent = preferred
        else:  # matched into it: the work gets an ISWC of its own
            info.iswc = self._allocate(agency, moment)

            def undo() -> None:
                info.iswc = preferred

        self._open_tasks("DemergeApproval", agency, preferred, undo)

    # -- workflow tasks -----------------------------------------------------------

    def _open_tasks(self, kind: str, origin: str, iswc: str, undo: Callable[[], None]) -> None:
        others = sorted({i.agency for i in self.active(iswc)} - {origin})
        for agency in others:
            number = len(self.tasks) + 1
            self.tasks[number] = Task(number, kind, self.now(), origin, agency, iswc, undo)

    def _age(self) -> None:
        """Tasks outstanding longer than the configured days are approved."""
        moment = self.now()
        for task in self.tasks.values():
            if task.status == "Outstanding" and moment - task.created >= self.auto_approve:
                task.status = "Approved"

    def find_tasks(
        self, agency: str, show: str, kind: str | None, statuses: list[str]
    ) -> list[Task]:
        check_agency(agency)
        self._age()
        mine = (
            (lambda t: t.assigned == agency)
            if show == "AssignedToMe"
            else (lambda t: t.originating == agency)
        )
        return [
            t
            for t in self.tasks.values()
            if mine(t)
            and (kind is None or t.type == kind)
            and (not statuses or t.status in statuses)
        ]

    def update_task(self, agency: str, change: WorkflowTaskUpdate) -> Task:
        """COA: an outstanding task of the agency approved, rejected (undone) or cancelled."""
        self._age()
        task = self.tasks.get(change.taskId)
        own = task is not None and (
            task.originating == agency if change.status == "Cancelled" else task.assigned == agency
        )
        if task is None or not own or task.type != change.workflowType:
            refuse("152", str(change.taskId))
        if task.status != "Outstanding" or change.status == "Outstanding":
            refuse("152", f"task {task.id} is {task.status}")
        if change.status == "Rejected":
            task.undo()
        task.status, task.message = change.status, change.workflowMessage
        return task

    # -- searches -----------------------------------------------------------------

    def search_titles(self, titles: list[str], numbers: set[int], names: list[str]) -> list[str]:
        """Preferred ISWCs with one of ``titles`` (if any are given) whose parties include
        every name number of ``numbers`` and a party for each last name of ``names``."""
        wanted = {_title(t) for t in titles}
        if not wanted and not numbers and not names:
            return []
        found = []
        for record in self.records.values():
            infos = self.active(record.iswc)
            if record.parent is not None or not infos:
                continue
            held = {_title(i.body["originalTitle"]) for i in infos} | {
                _title(t["title"]) for i in infos for t in i.body.get("otherTitles", [])
            }
            parties = [p for i in infos for p in i.body["interestedParties"]]
            held_numbers = {int(p["nameNumber"]) for p in parties}
            held_names = [str(p.get("name", "")).casefold() for p in parties]
            if wanted and not wanted & held:
                continue
            if not numbers <= held_numbers:
                continue
            if not all(any(n.startswith(name.casefold()) for n in held_names) for name in names):
                continue
            found.append(record.iswc)
        return found
