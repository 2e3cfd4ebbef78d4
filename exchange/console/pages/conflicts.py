"""Conflicts: the disputes, one card each as in the HTML report, and the operators' decisions.

The filters are those of ``exchange conflicts list`` (status, type, partner,
overdue); by default the page shows the unresolved conflicts. An operator
notifies, requests documents or resolves through the engine functions the
``conflicts mark`` and ``conflicts resolve`` commands call, recorded under the
operator's name; the export writes the filtered conflicts with the report
writer of ``conflicts report``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from exchange.conflicts.lifecycle import Conflicts
from exchange.conflicts.reports import FORMATS, write_report
from exchange.console.auth import Deciding, Node, NodeDep, SignedIn
from exchange.console.layout import page, root
from exchange.console.paging import Filter, paginate
from exchange.errors import ExchangeError, NotFound
from exchange.store.conflicts import KINDS, OUTCOMES, STATUSES, Conflict

router = APIRouter()
T = TypeVar("T")
Note = Annotated[str, Form(max_length=2000)]
#: Disputes on a page: each is a card with its claims side by side.
PAGE_SIZE = 20
#: The status filter's choices: ``unresolved`` (the default) and ``any`` besides the states.
UNRESOLVED, ANY = "unresolved", "any"
#: The steps ``Notify`` and ``Request documents`` record (``exchange conflicts mark``).
STEPS = ("notified", "documents_requested")
#: Query parameters the list keeps when an action sends the operator back to it.
LIST_PARAMETERS = ("status", "type", "partner", "overdue", "page")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
    "json": "application/json",
}


def _service(node: Node) -> Conflicts:
    return Conflicts(node.store, node.config.deadline_days)


def _found(
    node: Node, status: str | None, kind: str | None, partner: str | None, overdue: str | None
) -> tuple[list[Conflict], dict[str, str]]:
    """The conflicts the filters select (as ``conflicts list`` selects them), and the
    filters as chosen."""
    status = status or UNRESOLVED
    if status not in (UNRESOLVED, ANY, *STATUSES):
        raise HTTPException(400, f"status {status!r}: give one of {', '.join(STATUSES)}")
    if kind and kind not in KINDS:
        raise HTTPException(400, f"type {kind!r}: give one of {', '.join(KINDS)}")
    found = _service(node).list(
        status=None if status in (UNRESOLVED, ANY) else status,
        partner=partner or None,
        kind=kind or None,
        overdue=bool(overdue),
    )
    if status == UNRESOLVED:
        found = [c for c in found if c.status != "resolved"]
    chosen = {"status": status, "type": kind or "", "partner": partner or "", "overdue": overdue}
    return found, {k: v or "" for k, v in chosen.items()}


def _ids(text: str | None) -> list[int]:
    """``closed=3,4``: the conflicts an action also closed (numbers only)."""
    return [int(part) for part in (text or "").split(",") if part.isdigit()][:100]


@router.get("/conflicts", response_class=HTMLResponse)
def conflicts(
    request: Request,
    who: SignedIn,
    node: NodeDep,
    status: Filter = None,
    type: Filter = None,  # noqa: A002 - the filter's name, as the CLI's --type
    partner: Filter = None,
    overdue: Filter = None,
    done: Filter = None,
    closed: Annotated[str | None, Query(max_length=1000)] = None,
) -> HTMLResponse:
    """The disputes the filters select, a page at a time, with the operators' actions."""
    found, chosen = _found(node, status, type, partner, overdue)
    listed = paginate(request, found, PAGE_SIZE)
    service = _service(node)
    decided = None
    if done and done.isdigit():
        try:
            decided = service.get(int(done))
        except NotFound:
            decided = None
    back = urlencode(
        [(k, v) for k, v in request.query_params.multi_items() if k in LIST_PARAMETERS]
    )
    return page(
        request,
        who,
        "conflicts.html",
        "Conflicts",
        conflicts=listed,
        disputes=service.disputes(listed.items),
        chosen=chosen,
        statuses=(UNRESOLVED, *STATUSES, ANY),
        kinds=KINDS,
        outcomes=OUTCOMES,
        partners=sorted(node.config.partners),
        formats=FORMATS,
        export_query=urlencode([(k, v) for k, v in chosen.items() if v]),
        back=back,
        decided=decided,
        closed=_ids(closed),
    )


@router.get("/conflicts/export")
def export(
    who: SignedIn,
    node: NodeDep,
    format: Filter = "csv",  # noqa: A002 - the report's format, as the CLI's --format
    status: Filter = None,
    type: Filter = None,  # noqa: A002
    partner: Filter = None,
    overdue: Filter = None,
) -> Response:
    """The conflicts of the current filters (every page) as ``conflicts report`` writes them."""
    fmt = (format or "csv").lower()
    if fmt not in FORMATS:
        raise HTTPException(400, f"format {format!r}: give one of {', '.join(FORMATS)}")
    found, _ = _found(node, status, type, partner, overdue)
    disputes = _service(node).disputes(found)
    name = f"conflicts.{fmt}"
    with tempfile.TemporaryDirectory(prefix="exchange-console-") as folder:
        path = Path(folder) / name
        write_report(disputes, path, fmt)
        content = path.read_bytes()
    return Response(
        content,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _back_to_list(request: Request, back: str, conflict_id: int, closed: list[int]) -> Response:
    """To the list the operator acted from (its filters and page), at the conflict."""
    kept = [(k, v) for k, v in parse_qsl(back) if k in LIST_PARAMETERS]
    kept.append(("done", str(conflict_id)))
    if closed:
        kept.append(("closed", ",".join(map(str, closed))))
    return RedirectResponse(f"{root(request)}/conflicts?{urlencode(kept)}", 303)


def _decided(action: str, conflict_id: int, call: Callable[[], T]) -> T:
    """The engine's answer, or its refusal as the page's: 404 unknown, 409 settled already."""
    try:
        return call()
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    except ExchangeError as exc:
        raise HTTPException(409, f"cannot {action} conflict {conflict_id}: {exc}") from None


@router.post("/conflicts/{conflict_id}/mark")
def mark(
    request: Request,
    conflict_id: int,
    who: Deciding,
    node: NodeDep,
    status: Annotated[str, Form(max_length=40)],
    note: Note = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Notify or request documents: ``exchange conflicts mark ID --status S --note N``."""
    if status not in STEPS:
        raise HTTPException(400, f"status {status!r}: give one of {', '.join(STEPS)}")
    _decided(
        "mark",
        conflict_id,
        lambda: _service(node).mark(conflict_id, status, note.strip() or None, who.actor),
    )
    return _back_to_list(request, back, conflict_id, [])


@router.post("/conflicts/{conflict_id}/resolve")
def resolve(
    request: Request,
    conflict_id: int,
    who: Deciding,
    node: NodeDep,
    outcome: Annotated[str, Form(max_length=40)],
    note: Note = "",
    back: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Settle a conflict with a reason: ``exchange conflicts resolve ID --outcome O --note N``."""
    if outcome not in OUTCOMES:
        raise HTTPException(400, f"outcome {outcome!r}: give one of {', '.join(OUTCOMES)}")
    if not note.strip():
        raise HTTPException(400, "give the reason for the resolution (it stays in the history)")
    _, closed = _decided(
        "resolve",
        conflict_id,
        lambda: _service(node).resolve(conflict_id, outcome, note.strip(), who.actor),
    )
    return _back_to_list(request, back, conflict_id, closed)
