"""Exchanges: the file ledger per partner (states, counts, errors) and the files themselves."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

from exchange.console.auth import NodeDep, SignedIn
from exchange.console.layout import page
from exchange.console.paging import Filter, paginate
from exchange.store.ledger import DIRECTIONS, FileState
from exchange.sync.run import ledger_copy

router = APIRouter()


@router.get("/exchanges", response_class=HTMLResponse)
def exchanges(
    request: Request,
    who: SignedIn,
    node: NodeDep,
    partner: Filter = None,
    direction: Filter = None,
    state: Filter = None,
) -> HTMLResponse:
    """The ledger, newest first, as ``exchange ledger list`` filters it."""
    partner, direction, state = partner or None, direction or None, state or None
    if direction is not None and direction not in DIRECTIONS:
        raise HTTPException(400, f"direction {direction!r}: give in or out")
    if state is not None and state not in {s.value for s in FileState}:
        raise HTTPException(400, f"unknown state {state!r}")
    entries = node.store.ledger(partner=partner, direction=direction, state=state)
    listed = paginate(request, entries[::-1])
    return page(
        request,
        who,
        "exchanges.html",
        "Exchanges",
        entries=listed,
        partners=sorted(node.config.partners),
        states=[s.value for s in FileState],
        chosen={"partner": partner, "direction": direction, "state": state},
    )


@router.get("/exchanges/{entry_id}/file")
def download(entry_id: int, who: SignedIn, node: NodeDep) -> FileResponse:
    """The file of a ledger entry, as the node received or wrote it."""
    entry = node.store.get_file(entry_id)
    if entry is None:
        raise HTTPException(404, f"no ledger entry {entry_id}")
    path = ledger_copy(node.config, entry)
    if path is None:
        raise HTTPException(404, f"the node no longer keeps the file {entry.name!r}")
    return FileResponse(path, media_type="application/octet-stream", filename=entry.name)
