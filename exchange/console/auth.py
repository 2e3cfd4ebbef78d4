"""Who is signed in to the console, whether they may decide, and the CSRF check.

A page takes ``who: SignedIn`` (any operator, viewers included); a form that
decides takes ``who: Deciding`` (role ``operator``, with the session's CSRF
token); another form of a signed-in person (signing out) takes ``who: Posted``.
A request without a session goes to the sign-in page; a viewer's decision or a
form without the right CSRF token is refused with 403. The console reads only
its own cookie: a partner's bearer token opens nothing here.

Record a decision with ``who.actor``: the operator's name, which the engine
writes into the event history as the CLI writes the login name.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from exchange.config import NodeConfig
from exchange.operators import Operator, Session, find_session
from exchange.store import Store

#: The session cookie: HttpOnly, SameSite=Strict, limited to the console's path.
COOKIE = "exchange_console"
#: The field (or ``X-CSRF-Token`` header) that carries the session's CSRF token.
CSRF_FIELD = "csrf"


class SignInNeeded(Exception):
    """No session: the console answers with the sign-in page."""


@dataclass(frozen=True, slots=True)
class Node:
    """What the console's pages work on: the store and the configuration."""

    store: Store
    config: NodeConfig


@dataclass(frozen=True, slots=True)
class Who:
    """The signed-in operator of a request and its session's CSRF token."""

    operator: Operator
    csrf_token: str

    @property
    def actor(self) -> str:
        """Who a decision is recorded as, in the event history."""
        return self.operator.name


def node(request: Request) -> Node:
    return request.app.state.node


def signed_in(request: Request) -> Who:
    session: Session | None = find_session(node(request).store, request.cookies.get(COOKIE))
    if session is None:
        raise SignInNeeded()
    return Who(session.operator, session.csrf_token)


async def check_csrf(request: Request, expected: str) -> None:
    """Refuse (403) a form whose CSRF token is not ``expected``."""
    given = request.headers.get("x-csrf-token")
    if given is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else ""
    if not given or not secrets.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            403, "the form's CSRF token is missing or wrong: reload the page and send it again"
        )


async def posted(request: Request, who: Annotated[Who, Depends(signed_in)]) -> Who:
    await check_csrf(request, who.csrf_token)
    return who


async def deciding(request: Request, who: Annotated[Who, Depends(signed_in)]) -> Who:
    if not who.operator.can_decide:
        raise HTTPException(
            403, f"{who.operator.name} is a viewer: only an operator may decide (ask for the role)"
        )
    await check_csrf(request, who.csrf_token)
    return who


NodeDep = Annotated[Node, Depends(node)]
SignedIn = Annotated[Who, Depends(signed_in)]
Posted = Annotated[Who, Depends(posted)]
Deciding = Annotated[Who, Depends(deciding)]
