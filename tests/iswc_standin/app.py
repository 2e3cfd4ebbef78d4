"""The stand-in's HTTP side: CISAC's API gateway in front, the REST operations behind it.

The gateway (Azure API Management on CISAC's portals) wants the subscription
key in the ``Ocp-Apim-Subscription-Key`` header: none, or a wrong one, is
answered 401; then the rate limit (``rpm`` requests a ``window``, 429 with
``Retry-After``) and the month's quota (403). The operations follow the REST
specification: a single submission answers 201 or 200, a rejection 400 with
``{code, message}``; a batch answers 207 with one result per item; a body that
breaks the schema 400 with a problem document (4.1).
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations.
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from exchange.iswc.limits import REQUESTS_PER_MONTH
from exchange.iswc.rate import month_of
from exchange.iswc.transport import KEY_HEADER
from tests.iswc_standin import render
from tests.iswc_standin.database import Database
from tests.iswc_standin.models import (
    AgencyWorkCodeSearch,
    IswcSearch,
    MergeRequest,
    ShowWorkflows,
    Submission,
    SubmissionBatch,
    TitleAndContributorSearch,
    WorkflowStatus,
    WorkflowTaskUpdate,
    WorkflowType,
)
from tests.iswc_standin.notices import Notices
from tests.iswc_standin.rules import Refused, check_iswc

MISSING_KEY = (
    "Access denied due to missing subscription key. Make sure to include subscription key "
    "when making requests to an API."
)
WRONG_KEY = (
    "Access denied due to invalid subscription key. Make sure to provide a valid key for an "
    "active subscription."
)

#: What anyone may read without a key: the API's description.
OPEN_PATHS = frozenset({"/openapi.json", "/docs", "/docs/oauth2-redirect"})


class Gateway:
    """The key, the rate limit (a sliding window) and the month's quota; failures to inject."""

    def __init__(self, key: str, rpm: int, window: float, per_month: int, clock: Callable) -> None:
        self.key, self.rpm, self.window, self.per_month = key, rpm, window, per_month
        self.clock = clock
        self.recent: deque[float] = deque()
        self.month, self.month_calls = "", 0
        #: statuses to answer the next requests with (a test's 503s), oldest first
        self.failures: deque[int] = deque()
        self._lock = threading.Lock()

    def admit(self, key: str | None) -> JSONResponse | None:
        if not key:
            return _gateway(401, MISSING_KEY)
        if not secrets.compare_digest(key.encode(), self.key.encode()):
            return _gateway(401, WRONG_KEY)
        with self._lock:
            moment = self.clock()
            while self.recent and self.recent[0] <= moment - self.window:
                self.recent.popleft()
            if len(self.recent) >= self.rpm:
                wait = max(1, math.ceil(self.recent[0] + self.window - moment))
                message = f"Rate limit is exceeded. Try again in {wait} seconds."
                return _gateway(429, message, {"Retry-After": str(wait)})
            month = month_of(moment)
            if month != self.month:
                self.month, self.month_calls = month, 0
            if self.month_calls >= self.per_month:
                return _gateway(403, "Out of call volume quota. Quota will be replenished soon.")
            self.recent.append(moment)
            self.month_calls += 1
            if self.failures:
                return _gateway(self.failures.popleft(), "The stand-in was told to fail.")
        return None


def _gateway(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"statusCode": status, "message": message}, status, headers=headers)


def _rejected(refused: Refused, status: int = 400) -> JSONResponse:
    return JSONResponse(refused.rejection.as_dict(), status)


def create_app(
    key: str,
    *,
    rpm: int = 10,
    window: float = 60.0,
    per_month: int = REQUESTS_PER_MONTH,
    ipis: frozenset[int] | None = None,
    auto_approve_days: int = 30,
    clock: Callable[[], float] = time.time,
    notifications: Path | None = None,
) -> FastAPI:
    """The stand-in; ``app.state.db`` is its database and ``app.state.gateway`` its gateway.

    ``notifications``: a folder where it writes the CSN files the database sends
    other agencies (:mod:`tests.iswc_standin.notices`).
    """
    app = FastAPI(title="ISWC Database REST API - Agency (stand-in)", version="1.0.0")
    db = Database(ipis=ipis, clock=clock, auto_approve_days=auto_approve_days)
    if notifications is not None:
        db.notices = Notices(notifications)
    gateway = Gateway(key, rpm, window, per_month, clock)
    app.state.db, app.state.gateway = db, gateway

    @app.middleware("http")
    async def gate(request: Request, call_next: Callable) -> Any:
        if request.url.path in OPEN_PATHS:  # the API's description, as on the portal
            return await call_next(request)
        refused = gateway.admit(request.headers.get(KEY_HEADER))
        return refused if refused is not None else await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def malformed(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors: dict[str, list[str]] = {}
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"][1:]) or str(error["loc"][0])
            errors.setdefault(where, []).append(error["msg"])
        problem = {
            "errors": errors,
            "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
            "title": "One or more validation errors occurred.",
            "status": 400,
            "traceId": f"|{secrets.token_hex(16)}.",
        }
        return JSONResponse(problem, 400, media_type="application/problem+json")

    # -- submissions --------------------------------------------------------------

    @app.post("/submission", status_code=201)
    def add_submission(body: Submission) -> Any:
        with db.lock:
            try:
                info = db.add(body, set())
            except Refused as refused:
                return _rejected(refused)
            return JSONResponse(render.submission_response(db, info), 201)

    @app.put("/submission")
    def update_submission(body: Submission, preferredIswc: str | None = None) -> Any:
        with db.lock:
            try:
                info = db.update(body, preferredIswc, set())
            except Refused as refused:
                return _rejected(refused)
            return render.submission_response(db, info)

    @app.delete("/submission", status_code=204, response_model=None)
    def delete_submission(
        preferredIswc: str, agency: str, workcode: str, sourceDb: int, reasonCode: str = ""
    ) -> Any:
        with db.lock:
            try:
                db.delete(agency, workcode, sourceDb, preferredIswc, reasonCode)
            except Refused as refused:
                return _rejected(refused)
        return Response(status_code=204)

    def batch(items: list[SubmissionBatch], update: bool) -> JSONResponse:
        answers, touched = [], set()
        with db.lock:
            for item in items:
                try:
                    if update:
                        info = db.update(item.submission, None, touched)
                    else:
                        info = db.add(item.submission, touched)
                    answers.append(render.submission_item(item.submissionId, db, info, None))
                except Refused as refused:
                    answers.append(
                        render.submission_item(item.submissionId, db, None, refused.rejection)
                    )
        return JSONResponse(answers, 207)

    @app.post("/submission/batch", status_code=207)
    def add_submission_batch(body: list[SubmissionBatch]) -> Any:
        return batch(body, update=False)

    @app.put("/submission/batch", status_code=207)
    def update_submission_batch(body: list[SubmissionBatch]) -> Any:
        return batch(body, update=True)

    # -- searches -----------------------------------------------------------------

    def by_iswc(iswc: str) -> list[dict[str, Any]]:
        check_iswc(iswc)
        record = db.lookup(iswc)
        return [render.metadata(db, iswc)] if record is not None and db.active(iswc) else []

    def by_work_code(agency: str, workcode: str) -> list[dict[str, Any]]:
        info = db.info(agency, workcode)
        return [] if info is None else [render.metadata(db, db.root(info.iswc))]

    def by_titles(search: TitleAndContributorSearch) -> list[dict[str, Any]]:
        parties = search.interestedParties or []
        found = db.search_titles(
            [t.title for t in search.titles or []],
            {p.nameNumber for p in parties if p.nameNumber},
            [p.lastName for p in parties if p.lastName],
        )
        return [render.metadata(db, iswc) for iswc in found]

    def single(find: Callable[[], list[dict[str, Any]]], one: bool = False) -> Any:
        with db.lock:
            try:
                found = find()
            except Refused as refused:
                return _rejected(refused)
        if not found:
            return JSONResponse("ISWC not found.", 404)
        return found[0] if one else found

    def searches(finds: list[Callable[[], list[dict[str, Any]]]]) -> JSONResponse:
        answers = []
        with db.lock:
            for number, find in enumerate(finds, 1):
                try:
                    answers.append(render.search_item(number, find(), None))
                except Refused as refused:
                    answers.append(render.search_item(number, [], refused.rejection))
        return JSONResponse(answers, 207)

    @app.get("/iswc/searchByIswc")
    def search_by_iswc(iswc: str) -> Any:
        return single(lambda: by_iswc(iswc), one=True)

    @app.post("/iswc/searchByIswc/batch", status_code=207)
    def search_by_iswc_batch(body: list[IswcSearch]) -> Any:
        return searches([lambda s=s: by_iswc(s.iswc) for s in body])

    @app.get("/iswc/searchByAgencyWorkCode")
    def search_by_agency_work_code(agency: str, workCode: str, detailLevel: str = "full") -> Any:
        found = single(lambda: by_work_code(agency, workCode))
        if isinstance(found, list) and detailLevel != "full":
            for item in found:
                item.pop("works", None)
        return found

    @app.post("/iswc/searchByAgencyWorkCode/batch", status_code=207)
    def search_by_agency_work_code_batch(body: list[AgencyWorkCodeSearch]) -> Any:
        return searches([lambda s=s: by_work_code(s.agency, s.workCode) for s in body])

    @app.post("/iswc/searchByTitleAndContributor")
    def search_by_title_and_contributor(body: TitleAndContributorSearch) -> Any:
        return single(lambda: by_titles(body))

    @app.post("/iswc/searchByTitleAndContributor/batch", status_code=207)
    def search_by_title_and_contributor_batch(body: list[TitleAndContributorSearch]) -> Any:
        return searches([lambda s=s: by_titles(s) for s in body])

    # -- merges -------------------------------------------------------------------

    @app.post("/iswc/merge", status_code=204, response_model=None)
    def merge(preferredIswc: str, agency: str, body: MergeRequest) -> Any:
        with db.lock:
            try:
                db.merge(preferredIswc, agency, body)
            except Refused as refused:
                return _rejected(refused)
        return Response(status_code=204)

    @app.delete("/iswc/merge", status_code=204, response_model=None)
    def demerge(preferredIswc: str, agency: str, workcode: str) -> Any:
        with db.lock:
            try:
                db.demerge(preferredIswc, agency, workcode)
            except Refused as refused:
                return _rejected(refused)
        return Response(status_code=204)

    # -- workflow tasks -------------------------------------------------------------

    @app.get("/iswc/workflowTasks")
    def find_workflow_tasks(
        agency: str,
        showWorkflows: ShowWorkflows,
        workflowType: WorkflowType | None = None,
        status: Annotated[list[WorkflowStatus] | None, Query()] = None,
        startIndex: Annotated[int, Query(ge=0)] = 0,
        pageLength: Annotated[int, Query(ge=1, le=1000)] = 1000,
    ) -> Any:
        with db.lock:
            try:
                tasks = db.find_tasks(agency, showWorkflows, workflowType, status or [])
            except Refused as refused:
                return _rejected(refused, 404)
            page = tasks[startIndex : startIndex + pageLength]
            return [render.task(db, t) for t in page]

    @app.patch("/iswc/workflowTasks", status_code=207)
    def update_workflow_tasks(
        agency: str, body: Annotated[list[WorkflowTaskUpdate], Body()]
    ) -> Any:
        answers = []
        with db.lock:
            for change in body:
                try:
                    answers.append(render.task(db, db.update_task(agency, change)))
                except Refused as refused:
                    task = db.tasks.get(change.taskId)
                    if task is not None:
                        answers.append(render.task(db, task, refused.rejection))
                    else:
                        answers.append({
                            "workflowTaskId": change.taskId,
                            "workflowType": change.workflowType,
                            "rejection": refused.rejection.as_dict(),
                        })  # fmt: skip
        return JSONResponse(answers, 207)

    return app
