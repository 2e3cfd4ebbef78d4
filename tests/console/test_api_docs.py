"""The HTTP API's documentation page of ``exchange serve`` in a real browser: it renders
with nothing fetched from another host, and its CSP refuses nothing it needs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.console.conftest import ConsoleNode, check_page

pytestmark = [pytest.mark.browser, pytest.mark.http]


def watched(page: Any) -> tuple[list[str], list[str]]:
    """Every URL the page asks for, and what the console says of a refused policy."""
    asked: list[str] = []
    refused: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return asked, refused


#: The name the node is reached by in the browser: Swagger UI treats ``127.0.0.1`` and
#: ``localhost`` apart (it asks its online validator for any other host).
NODE_NAME = "exchange-node.test"


def by_name(page: Any, node: ConsoleNode) -> str:
    """Serve the node at http://NODE_NAME in ``page`` (its requests go to the node); gives
    the URL."""
    named = f"http://{NODE_NAME}"

    def forward(route: Any) -> None:
        answer = route.fetch(url=route.request.url.replace(named, node.url, 1))
        route.fulfill(response=answer)

    page.route(f"{named}/**", forward)
    return named


def test_swagger_ui_renders_from_the_node_alone(page: Any, console_node: ConsoleNode) -> None:
    asked, refused = watched(page)
    node_url = by_name(page, console_node)
    page.goto(f"{node_url}/docs")
    page.wait_for_selector(".swagger-ui .opblock")
    assert "cmo-exchange node" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".swagger-ui .opblock").count() == 6  # the routes of openapi.json
    page.locator(".opblock-summary").first.click()  # an operation opens
    page.wait_for_selector(".opblock-body")
    page.wait_for_load_state("networkidle")
    check_page(page, "api-docs")
    assert f"{node_url}/openapi.json" in asked
    others = [url for url in asked if urlsplit(url).scheme not in ("data", "blob")
              and urlsplit(url).netloc != NODE_NAME]  # fmt: skip
    assert not others, others
    assert not refused, refused
