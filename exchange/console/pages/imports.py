"""Imports: the received files, and the findings of one (line, record, field, value, level,
edit), as the import kept them for the ACK."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from exchange.console.auth import NodeDep, SignedIn
from exchange.console.layout import page
from exchange.console.paging import paginate

router = APIRouter()


@router.get("/imports", response_class=HTMLResponse)
def imports(request: Request, who: SignedIn, node: NodeDep) -> HTMLResponse:
    """The received files, newest first, with how many findings each had."""
    received = node.store.ledger(direction="in")[::-1]
    return page(request, who, "imports.html", "Imports", files=paginate(request, received))


@router.get("/imports/{entry_id}", response_class=HTMLResponse)
def findings(request: Request, entry_id: int, who: SignedIn, node: NodeDep) -> HTMLResponse:
    entry = node.store.get_file(entry_id)
    if entry is None or entry.direction != "in":
        raise HTTPException(404, f"no received file {entry_id} in the ledger")
    found = paginate(request, node.store.findings_of(entry_id), size=100)
    return page(
        request, who, "findings.html", f"Findings of {entry.name}", entry=entry, findings=found
    )
