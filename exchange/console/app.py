"""The console application: its pages, its stylesheet, its error pages and headers."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from exchange.config import NodeConfig
from exchange.console import signin
from exchange.console.auth import Node, SignInNeeded
from exchange.console.layout import page, root
from exchange.console.pages import conflicts, exchanges, home, imports, review, works
from exchange.console.rendering import STATIC
from exchange.store import Store

#: The pages' routers, in the order they are matched.
PAGES = (
    home.router,
    review.router,
    conflicts.router,
    works.router,
    exchanges.router,
    imports.router,
)
#: Every answer of the console: its own assets only, no frames, no caching of pages.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_console(store: Store, config: NodeConfig) -> FastAPI:
    """The console over ``store``, to mount under ``/console``."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.node = Node(store, config)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(signin.router)
    for router in PAGES:
        app.include_router(router)

    @app.middleware("http")
    async def headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        response.headers.update(HEADERS)
        if not request.url.path.startswith(root(request) + "/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(SignInNeeded)
    async def sign_in_first(request: Request, _exc: SignInNeeded) -> Response:
        wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = f"{root(request)}/login"
        if request.method == "GET":
            target += f"?next={quote(wanted, safe='/')}"
        return RedirectResponse(target, 303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> HTMLResponse:
        return page(
            request,
            None,
            "error.html",
            "Refused" if exc.status_code == 403 else "Error",
            exc.status_code,
            message=str(exc.detail),
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> HTMLResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        message = f"invalid request: {where}: {first.get('msg', '')}".rstrip(": ")
        return page(request, None, "error.html", "Error", 400, message=message)

    return app


def mount_console(app: FastAPI, store: Store, config: NodeConfig) -> bool:
    """Serve the console under ``/console/`` of ``app`` unless the configuration says not."""
    if not config.console_enabled:
        return False
    app.mount("/console", create_console(store, config))
    return True
