"""The HTTP API's documentation page, served from the node alone.

``/docs`` (Swagger UI) loads its script, style and icon from ``/docs-assets/``: the
copies that the ``fastapi-offline`` package ships, so the page asks no other host
(a CDN) and works on a network cut off from the Internet. Its
Content-Security-Policy allows only the node itself, and the page's one inline
script (the one that starts Swagger UI) by its hash.

There is no ``/redoc``: ReDoc's bundle shows the Redocly logo from Redocly's CDN
whatever its options say, so it would always ask another host.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from exchange.console.app import HEADERS

#: Swagger UI's files (script, style, icon), as the package ships them.
ASSETS = Path(str(files("fastapi_offline") / "static"))
#: Where the node serves them.
ASSETS_PATH = "/docs-assets"
#: Only the node's own files and API; no frames, no base, no plugins.
_POLICY = (
    "default-src 'none'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def swagger_policy(html: str) -> str:
    """The Swagger page's policy: the node's scripts, and the page's inline ones by hash."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(html)
    )
    return f"{_POLICY}; script-src 'self' {hashes}"


def serve_docs(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets for ``app`` (built with ``docs_url=None,
    redoc_url=None``)."""
    openapi_url = str(app.openapi_url)
    app.mount(ASSETS_PATH, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        page = get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_PATH}/favicon.png",
            # never Swagger's online validator: it would send the document's URL elsewhere
            swagger_ui_parameters={**(app.swagger_ui_parameters or {}), "validatorUrl": None},
        )
        policy = swagger_policy(bytes(page.body).decode())
        page.headers.update({**HEADERS, "Content-Security-Policy": policy})
        return page
