"""The base layout of every page: the navigation, who is signed in, the rendering."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse
from starlette.requests import Request

from exchange.console.auth import Who, node
from exchange.console.rendering import render

#: The navigation: label and path under the console's root.
NAV = (
    ("Home", "/"),
    ("Review", "/review"),
    ("Conflicts", "/conflicts"),
    ("Works", "/works"),
    ("Exchanges", "/exchanges"),
    ("Imports", "/imports"),
)


def root(request: Request) -> str:
    """Where the console is mounted (``/console``): every link starts with it."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def current(request: Request) -> str:
    """The navigation path the request is under (``/exchanges`` for ``/exchanges/3``)."""
    path = request.url.path[len(root(request)) :] or "/"
    under = [p for _label, p in NAV if p != "/" and (path == p or path.startswith(p + "/"))]
    return under[0] if under else "/"


def page(
    request: Request,
    who: Who | None,
    template: str,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """``template`` in the base layout, with what every page shows."""
    html = render(
        template,
        request=request,
        base=root(request),
        nav=NAV,
        current=current(request),
        who=who,
        csrf=who.csrf_token if who else "",
        node=node(request).config,
        title=title,
        **context,
    )
    return HTMLResponse(html, status_code)
