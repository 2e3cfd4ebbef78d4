"""Review: the incoming works that may be works we hold, each beside the work it may be,
with the score and why; an operator confirms or rejects them as ``exchange matches`` does.

The decisions call :class:`exchange.matching.queue.Matches`, the service of
``exchange matches confirm`` and ``reject``, with the signed-in operator as the
one who decides (``who.actor``), where the CLI gives the login name.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from exchange.console.auth import Deciding, NodeDep, SignedIn
from exchange.console.layout import page, root
from exchange.console.paging import paginate_counted
from exchange.errors import ExchangeError, NotFound
from exchange.matching.queue import MatchEntry, Matches

router = APIRouter()
#: The queue's filters, as ``exchange matches list --status`` takes them.
STATUSES = ("pending", "confirmed", "rejected", "all")
#: Entries on a page: each shows two works side by side.
PER_PAGE = 10


def queue(node: NodeDep) -> Matches:
    config = node.config
    return Matches(node.store, config.own_society, config.deadline_days)


def shown(node: NodeDep, entries: list[MatchEntry]) -> list[dict[str, Any]]:
    """Each entry with the work it may be, as the store holds it now."""
    return [{"entry": e, "candidate": node.store.load_work(e.candidate_id)} for e in entries]


@router.get("/review", response_class=HTMLResponse)
def review(
    request: Request,
    who: SignedIn,
    node: NodeDep,
    status: Annotated[str, Query(max_length=20)] = "pending",
) -> HTMLResponse:
    """The queue, oldest first, as ``exchange matches list`` gives it."""
    if status not in STATUSES:
        raise HTTPException(400, f"status {status!r}: give one of {', '.join(STATUSES)}")
    service, chosen = queue(node), None if status == "all" else status
    entries = paginate_counted(
        request,
        service.count(chosen),
        lambda offset, limit: service.list(chosen, limit=limit, offset=offset),
        PER_PAGE,
    )
    return page(
        request,
        who,
        "review.html",
        "Review",
        entries=entries,
        shown=shown(node, list(entries.items)),
        statuses=STATUSES,
        chosen=status,
    )


@router.get("/review/{match_id}", response_class=HTMLResponse)
def one(request: Request, match_id: int, who: SignedIn, node: NodeDep) -> HTMLResponse:
    try:
        entry = queue(node).get(match_id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return page(request, who, "match.html", f"Match {entry.id}", item=shown(node, [entry])[0])


def _decide(request: Request, node: NodeDep, who: Deciding, match_id: int, confirm: bool) -> Any:
    service = queue(node)
    try:
        if confirm:
            service.confirm(match_id, who.actor)
        else:
            service.reject(match_id, who.actor)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except ExchangeError as exc:  # decided already, or works that cannot be one
        raise HTTPException(409, str(exc)) from exc
    return RedirectResponse(f"{root(request)}/review/{match_id}", 303)


@router.post("/review/{match_id}/confirm")
def confirm(request: Request, match_id: int, who: Deciding, node: NodeDep) -> RedirectResponse:
    """``exchange matches confirm``: the incoming work is the work it resembles."""
    return _decide(request, node, who, match_id, confirm=True)


@router.post("/review/{match_id}/reject")
def reject(request: Request, match_id: int, who: Deciding, node: NodeDep) -> RedirectResponse:
    """``exchange matches reject``: another work (a new work; a duplicate: two works)."""
    return _decide(request, node, who, match_id, confirm=False)
