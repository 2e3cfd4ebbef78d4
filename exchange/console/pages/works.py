"""Works: the repertoire, searched by title as ``exchange works search`` does, and one work
with everything ``exchange works show`` says of it."""

from __future__ import annotations

from itertools import groupby
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from exchange.console.auth import NodeDep, SignedIn
from exchange.console.layout import page
from exchange.console.paging import paginate, paginate_counted
from exchange.model import Claim, Source
from exchange.textview import history_lines, message_line

router = APIRouter()
#: A search shows at most this many works (in pages): a longer list wants a longer text.
SEARCH_LIMIT = 1000


@router.get("/works", response_class=HTMLResponse)
def works(
    request: Request,
    who: SignedIn,
    node: NodeDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """Every work by local id, or those whose title (or another title) contains ``q``;
    a ``q`` that is a work's id, ISWC or PARTNER:NUMBER also names that work."""
    store, text = node.store, q.strip()
    if text:
        found = store.list_works(limit=SEARCH_LIMIT + 1, search=text)
        listed = paginate(request, found[:SEARCH_LIMIT])
        named = store.find_work(text)
    else:
        listed = paginate_counted(
            request,
            store.count_works(),
            lambda offset, limit: store.list_works(limit=limit, offset=offset),
        )
        found, named = [], None
    return page(
        request,
        who,
        "works.html",
        "Works",
        works=listed,
        q=text,
        named=named,
        more=len(found) > SEARCH_LIMIT,
        limit=SEARCH_LIMIT,
    )


def claims_by_source(claims: list[Claim]) -> list[tuple[Source | None, list[Claim]]]:
    """The claims grouped by the source that states them (partner, file, transaction)."""

    def key(claim: Claim) -> tuple[str, str, int]:
        s = claim.source
        return ("", "", -1) if s is None else (s.partner, s.file or "", s.transaction or 0)

    ordered = sorted(claims, key=key)
    return [(group[0].source, group) for _k, g in groupby(ordered, key) if (group := list(g))]


@router.get("/works/{key}", response_class=HTMLResponse)
def work(request: Request, key: str, who: SignedIn, node: NodeDep) -> HTMLResponse:
    """``exchange works show KEY``: KEY is a local id, an ISWC or PARTNER:NUMBER."""
    store = node.store
    found = store.work_for(key)
    if found is None:
        raise HTTPException(
            404, f"no work {key!r} in the store (give a local id, an ISWC or PARTNER:NUMBER)"
        )
    return page(
        request,
        who,
        "work.html",
        found.title,
        work=found,
        sources=claims_by_source(found.claims),
        registrations=store.registrations(work_id=found.id),
        message_line=message_line,
        history=history_lines(store.history(found.id)),
    )
