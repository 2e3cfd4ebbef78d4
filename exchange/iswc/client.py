"""A client of CISAC's ISWC database REST API (the agency API of 2019-12-17).

:class:`IswcClient` speaks for one agency (``agency``, ``source_db``) with one
subscription key. Its methods are the API's operations: submissions (add,
update, delete, one or a batch), searches (by ISWC, by agency work code, by
titles and contributors, one or a batch), merge and de-merge, and workflow
tasks (list, update). Requests wait for the shared rate limit, are retried and
recorded (:mod:`exchange.iswc.transport`); a retried add is no second
submission, since the database takes an add of a work code it holds as an
update (rule PV/02).

What the database refuses comes back typed: a :class:`Rejection` (code 100-247
and message) on the item it concerns. What the operator must act on (a refused
key, the month's quota used up, the service unreachable) raises
:class:`IswcError` with one clear line.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import httpx

from exchange.errors import ConfigError
from exchange.identifiers import iswc as iswc_id
from exchange.iswc.answers import (
    IswcMetadata,
    Rejection,
    SearchResult,
    SubmissionResult,
    TaskUpdate,
    WorkflowTask,
)
from exchange.iswc.limits import BATCH_SIZE, REQUESTS_PER_MINUTE, REQUESTS_PER_MONTH
from exchange.iswc.rate import RateLimit
from exchange.iswc.transport import IswcError, Transport, gateway_message, json_of
from exchange.store import Store

if TYPE_CHECKING:
    from exchange.config import IswcSettings


class IswcClient:
    """The agency REST API of the ISWC database at ``base_url``, for ``agency``."""

    def __init__(
        self,
        base_url: str,
        *,
        agency: str,
        source_db: int,
        key: str,
        store: Store,
        requests_per_minute: int = REQUESTS_PER_MINUTE,
        requests_per_month: int = REQUESTS_PER_MONTH,
        window: float = 60.0,
        batch_size: int = BATCH_SIZE,
        attempts: int = 5,
        timeout: float = 60.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.agency = agency
        self.source_db = source_db
        self.batch_size = batch_size
        self.limit = RateLimit(
            store,
            self.base_url,
            per_minute=requests_per_minute,
            per_month=requests_per_month,
            window=window,
            clock=clock,
            sleep=sleep,
        )
        self._t = Transport(
            self.base_url,
            key,
            store=store,
            limit=self.limit,
            attempts=attempts,
            timeout=timeout,
            sleep=sleep,
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: IswcSettings, store: Store, **options: Any) -> IswcClient:
        """The client that ``[iswc]`` describes; the key is read from its variable."""
        if settings.url is None:
            raise ConfigError(
                "[iswc] url is not set: the node does not call the ISWC database's API "
                "(`exchange iswc submit --file DIR` writes a submission file instead)"
            )
        return cls(
            settings.url,
            agency=settings.agency,
            source_db=settings.source_db,
            key=settings.key(),
            store=store,
            requests_per_minute=settings.requests_per_minute,
            requests_per_month=settings.requests_per_month,
            batch_size=settings.batch_size,
            **options,
        )

    def close(self) -> None:
        self._t.close()

    def __enter__(self) -> IswcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- submissions ------------------------------------------------------------

    def add(self, submission: dict[str, Any]) -> SubmissionResult:
        """POST /submission: a new work; its ISWC (assigned or matched) or its rejection."""
        return self._submit("POST", submission, None)

    def update(self, submission: dict[str, Any], preferred_iswc: str) -> SubmissionResult:
        """PUT /submission: our submission of a work the database holds under ``preferred_iswc``."""
        return self._submit("PUT", {**submission, "preferredIswc": preferred_iswc}, preferred_iswc)

    def _submit(self, method: str, body: dict[str, Any], preferred: str | None) -> SubmissionResult:
        params = {"preferredIswc": preferred} if preferred else None
        response = self._t.call(method, "/submission", params=params, body=body, items=1)
        data = self._t.answer(response)
        rejection = self._t.rejection(data)
        if rejection is not None:
            return SubmissionResult.rejected(rejection)
        return self._t.read(SubmissionResult.from_response, data)

    def delete(self, preferred_iswc: str, workcode: str, reason: str) -> Rejection | None:
        """DELETE /submission: withdraw our work ``workcode`` (``reason``: 3 characters)."""
        params = {
            "preferredIswc": preferred_iswc,
            "agency": self.agency,
            "workcode": workcode,
            "sourceDb": self.source_db,
            "reasonCode": reason,
        }
        response = self._t.call("DELETE", "/submission", params=params, items=1)
        return self._done(response)

    def add_batch(self, submissions: Sequence[dict[str, Any]]) -> list[SubmissionResult]:
        """POST /submission/batch, ``batch_size`` at a time: one result per submission, in
        order (``submission_id`` is its position, from 1)."""
        return self._batch("POST", list(submissions))

    def update_batch(self, submissions: Sequence[dict[str, Any]]) -> list[SubmissionResult]:
        """PUT /submission/batch; each submission carries its ``preferredIswc``."""
        return self._batch("PUT", list(submissions))

    def _batch(self, method: str, submissions: list[dict[str, Any]]) -> list[SubmissionResult]:
        results: list[SubmissionResult] = []
        for start in range(0, len(submissions), self.batch_size):
            chunk = submissions[start : start + self.batch_size]
            body = [{"submissionId": start + i + 1, "submission": s} for i, s in enumerate(chunk)]
            response = self._t.call(method, "/submission/batch", body=body, items=len(body))
            answered = self._batch_items(response, SubmissionResult.from_batch_item)
            by_id = {r.submission_id: r for r in answered}
            missing = Rejection("100", "the ISWC database gave no answer for this submission")
            results += [
                by_id.get(b["submissionId"])
                or SubmissionResult.rejected(missing, b["submissionId"])
                for b in body
            ]
        return results

    def _batch_items(self, response: httpx.Response, reader: Callable[[Any], Any]) -> list[Any]:
        data = self._t.answer(response)
        if response.status_code != 207 or not isinstance(data, list):
            rejection = self._t.rejection(data)
            raise IswcError(
                f"ISWC database at {self.base_url}: a batch answered {response.status_code}"
                + (f": {rejection}" if rejection else "")
            )
        return [self._t.read(reader, item) for item in data]

    # -- searches ---------------------------------------------------------------

    def search_by_iswc(self, iswc: str) -> SearchResult:
        """GET /iswc/searchByIswc: what the database holds on ``iswc`` (preferred or archived)."""
        response = self._t.call("GET", "/iswc/searchByIswc", params={"iswc": iswc}, items=1)
        return self._found(response, single=True)

    def search_by_agency_work_code(self, workcode: str, agency: str | None = None) -> SearchResult:
        """GET /iswc/searchByAgencyWorkCode: the ISWC of ``agency``'s work ``workcode``."""
        params = {"agency": agency or self.agency, "workCode": workcode, "detailLevel": "full"}
        response = self._t.call("GET", "/iswc/searchByAgencyWorkCode", params=params, items=1)
        return self._found(response, single=False)

    def search_by_title_and_contributor(
        self, titles: Iterable[dict[str, str]], parties: Iterable[dict[str, Any]]
    ) -> SearchResult:
        """POST /iswc/searchByTitleAndContributor (titles: {title, type}; parties: at least
        nameNumber or lastName)."""
        body = {"titles": list(titles), "interestedParties": list(parties)}
        response = self._t.call("POST", "/iswc/searchByTitleAndContributor", body=body, items=1)
        return self._found(response, single=False)

    def _found(self, response: httpx.Response, *, single: bool) -> SearchResult:
        if response.status_code == 404:
            return SearchResult(None, [])
        data = self._t.answer(response)
        rejection = self._t.rejection(data)
        if rejection is not None:
            return SearchResult(None, [], rejection)
        found = [data] if single else data
        if not isinstance(found, list):
            raise IswcError(f"ISWC database at {self.base_url}: a search answered {data!r:.200}")
        return SearchResult(None, [self._t.read(IswcMetadata.from_json, m) for m in found])

    def search_by_iswc_batch(self, iswcs: Sequence[str]) -> list[SearchResult]:
        """POST /iswc/searchByIswc/batch: one result per ISWC, in order."""
        return self._search_batch("/iswc/searchByIswc/batch", [{"iswc": i} for i in iswcs])

    def search_by_agency_work_code_batch(
        self, workcodes: Sequence[str], agency: str | None = None
    ) -> list[SearchResult]:
        """POST /iswc/searchByAgencyWorkCode/batch: one result per work code, in order."""
        who = agency or self.agency
        body = [{"agency": who, "workCode": code} for code in workcodes]
        return self._search_batch("/iswc/searchByAgencyWorkCode/batch", body)

    def search_by_title_and_contributor_batch(
        self, searches: Sequence[tuple[list[dict[str, str]], list[dict[str, Any]]]]
    ) -> list[SearchResult]:
        """POST /iswc/searchByTitleAndContributor/batch: (titles, parties) pairs."""
        body = [{"titles": titles, "interestedParties": parties} for titles, parties in searches]
        return self._search_batch("/iswc/searchByTitleAndContributor/batch", body)

    def _search_batch(self, path: str, items: list[dict[str, Any]]) -> list[SearchResult]:
        results: list[SearchResult] = []
        for start in range(0, len(items), self.batch_size):
            chunk = items[start : start + self.batch_size]
            response = self._t.call("POST", path, body=chunk, items=len(chunk))
            answered = self._batch_items(response, SearchResult.from_batch_item)
            if len(answered) != len(chunk):
                raise IswcError(
                    f"ISWC database at {self.base_url}: {len(answered)} answers to "
                    f"{len(chunk)} searches"
                )
            # searchId numbers the searches of a request from 1, in the order sent
            answered.sort(key=lambda r: r.search_id if r.search_id is not None else 0)
            results += answered
        return results

    # -- merges -----------------------------------------------------------------

    def merge(
        self,
        preferred_iswc: str,
        iswcs: Iterable[str] = (),
        agency_works: Iterable[tuple[str, str]] = (),
    ) -> Rejection | None:
        """POST /iswc/merge: merge ``iswcs`` and the ISWCs of ``agency_works`` ((agency,
        work code) pairs) into ``preferred_iswc``; None when done."""
        body: dict[str, Any] = {}
        listed = [iswc_id.compact(i) for i in iswcs]
        if listed:
            body["iswcs"] = listed
        works = [{"agencyCode": a, "agencyWorkCode": w} for a, w in agency_works]
        if works:
            body["agencyWorks"] = works
        params = {"preferredIswc": preferred_iswc, "agency": self.agency}
        response = self._t.call(
            "POST", "/iswc/merge", params=params, body=body, items=len(listed) + len(works)
        )
        return self._done(response)

    def demerge(self, preferred_iswc: str, workcode: str) -> Rejection | None:
        """DELETE /iswc/merge: take our work ``workcode`` out of ``preferred_iswc``, where it
        was merged or matched in error; None when done."""
        params = {"preferredIswc": preferred_iswc, "agency": self.agency, "workcode": workcode}
        response = self._t.call("DELETE", "/iswc/merge", params=params, items=1)
        return self._done(response)

    def _done(self, response: httpx.Response) -> Rejection | None:
        if response.is_success:
            return None
        rejection = self._t.rejection(json_of(response))
        if rejection is None:
            raise IswcError(
                f"ISWC database at {self.base_url}: {response.request.method} "
                f"{response.request.url.path} answered {response.status_code} "
                f"{gateway_message(response)}"
            )
        return rejection

    # -- workflow tasks -----------------------------------------------------------

    def workflow_tasks(
        self,
        *,
        show: str = "AssignedToMe",
        statuses: Iterable[str] = (),
        workflow_type: str | None = None,
        start: int | None = None,
        page_length: int | None = None,
    ) -> list[WorkflowTask]:
        """GET /iswc/workflowTasks: tasks assigned to (or created by) our agency."""
        params: list[tuple[str, Any]] = [("agency", self.agency), ("showWorkflows", show)]
        params += [("status", s) for s in statuses]
        if workflow_type:
            params.append(("workflowType", workflow_type))
        if start is not None:
            params.append(("startIndex", start))
        if page_length is not None:
            params.append(("pageLength", page_length))
        response = self._t.call("GET", "/iswc/workflowTasks", params=params)
        if response.status_code == 404:
            rejection = self._t.rejection(json_of(response))
            raise IswcError(f"ISWC database at {self.base_url}: no workflow tasks: {rejection}")
        data = self._t.answer(response)
        if not isinstance(data, list):
            raise IswcError(f"ISWC database at {self.base_url}: tasks answered {data!r:.200}")
        return [self._t.read(WorkflowTask.from_json, task) for task in data]

    def update_workflow_tasks(self, updates: Sequence[TaskUpdate]) -> list[WorkflowTask]:
        """PATCH /iswc/workflowTasks: new statuses; each task as it is now, with a rejection
        where the update was refused."""
        body = [u.as_json() for u in updates]
        response = self._t.call(
            "PATCH",
            "/iswc/workflowTasks",
            params={"agency": self.agency},
            body=body,
            items=len(body),
        )
        return self._batch_items(response, WorkflowTask.from_json)
