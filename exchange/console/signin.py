"""The sign-in page (``/console/login``) and signing out.

The sign-in form is protected from cross-site posts like every other form: the
page sets a random token in a short-lived cookie and in the form, and a sign-in
whose two do not agree is refused. A successful sign-in opens a server-side
session (:mod:`exchange.operators`) and sets its cookie: HttpOnly, SameSite
Strict, Secure over HTTPS, limited to the console's path, expiring with the session.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from exchange.console.auth import COOKIE, NodeDep, Posted
from exchange.console.layout import page, root
from exchange.operators import Lockout, close_session, find_session, open_session, sign_in

router = APIRouter()
#: The cookie that carries the sign-in form's CSRF token.
LOGIN_COOKIE = "exchange_console_login"
LOGIN_MAX_AGE = 3600


def safe_next(request: Request, wanted: str | None) -> str:
    """Where to go after signing in: a path of the console, never another site."""
    home = root(request) + "/"
    if not wanted or not wanted.startswith(home) or wanted.startswith("//") or "\\" in wanted:
        return home
    return wanted


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=root(request) + "/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _form(request: Request, status_code: int = 200, **context: object) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    nxt = safe_next(request, request.query_params.get("next") or str(context.pop("nxt", "")))
    response = page(
        request,
        None,
        "login.html",
        "Sign in",
        status_code,
        login_csrf=token,
        next=nxt,
        **{"error": None, "name": "", **context},
    )
    _cookie(request, response, LOGIN_COOKIE, token, LOGIN_MAX_AGE)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, node: NodeDep) -> Response:
    if find_session(node.store, request.cookies.get(COOKIE)) is not None:
        return RedirectResponse(safe_next(request, request.query_params.get("next")), 303)
    return _form(request)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    node: NodeDep,
    name: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",  # noqa: A002 - the form's field
) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not csrf or not expected or not secrets.compare_digest(csrf.encode(), expected.encode()):
        raise HTTPException(
            403, "the sign-in form's CSRF token is missing or wrong: reload the page"
        )
    config = node.config
    lockout = Lockout(config.console_max_failed_signins, config.console_lockout_minutes)
    result = sign_in(node.store, name.strip(), password, lockout)
    if result.operator is None:
        return _form(request, 401, error=result.refused, name=name.strip(), nxt=next)
    token, _session = open_session(node.store, result.operator, config.console_session_hours)
    response = RedirectResponse(safe_next(request, next), 303)
    _cookie(request, response, COOKIE, token, config.console_session_hours * 3600)
    response.delete_cookie(LOGIN_COOKIE, path=root(request) + "/")
    return response


@router.post("/logout")
def logout(request: Request, node: NodeDep, who: Posted) -> Response:
    close_session(node.store, request.cookies.get(COOKIE))
    response = RedirectResponse(root(request) + "/login", 303)
    response.delete_cookie(COOKIE, path=root(request) + "/")
    return response
