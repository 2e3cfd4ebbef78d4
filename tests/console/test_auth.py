"""The console's dependencies without a browser: who may decide, and the CSRF check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

from exchange.config import ConfigError, NodeConfig, parse_config
from exchange.console.app import create_console
from exchange.console.auth import Deciding
from exchange.operators import add_operator
from exchange.store import Store
from tests.http_server import serving

PASSWORD = "a long password 1"


@contextmanager
def console(store: Store) -> Iterator[str]:
    """The console with a decision of its own, served as ``exchange serve`` mounts it."""
    app = create_console(store, NodeConfig())

    @app.post("/decide")
    def decide(who: Deciding) -> PlainTextResponse:  # a decision: records who.actor
        return PlainTextResponse(who.actor)

    node = FastAPI()
    node.mount("/console", app)
    with serving(node) as url:
        yield url + "/console"


def client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, follow_redirects=False, timeout=60)


def signed_in(url: str, name: str) -> tuple[httpx.Client, str]:
    browser = client(url)
    form = browser.get("/login")
    csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
    answer = browser.post("/login", data={"name": name, "password": PASSWORD, "csrf": csrf})
    assert answer.status_code == 303, answer.text
    home = browser.get("/")
    assert home.status_code == 200
    return browser, home.text.split('name="csrf" value="')[1].split('"')[0]


def test_only_an_operator_decides_and_only_with_the_token(store: Store) -> None:
    add_operator(store, "olivia", "operator", PASSWORD)
    add_operator(store, "victor", "viewer", PASSWORD)
    with console(store) as url:
        decisions(url)


def decisions(url: str) -> None:
    operator, token = signed_in(url, "olivia")
    assert operator.post("/decide", data={"csrf": token}).text == "olivia"
    assert operator.post("/decide", headers={"X-CSRF-Token": token}).text == "olivia"
    assert operator.post("/decide", data={}).status_code == 403
    assert operator.post("/decide", data={"csrf": token[:-1] + "x"}).status_code == 403
    viewer, token = signed_in(url, "victor")
    refused = viewer.post("/decide", data={"csrf": token})
    assert refused.status_code == 403 and "viewer" in refused.text
    nobody = client(url).post("/decide", data={"csrf": token})
    assert nobody.status_code == 303 and nobody.headers["location"] == "/console/login"


def test_sign_in_goes_back_only_into_the_console(store: Store) -> None:
    add_operator(store, "olivia", "operator", PASSWORD)
    with console(store) as url:
        going_back(url)


def going_back(url: str) -> None:
    browser = client(url)
    form = browser.get("/login")
    csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
    for wanted, lands in (
        ("https://elsewhere.example/", "/console/"),
        ("//elsewhere.example/", "/console/"),
        ("/console/exchanges?partner=058", "/console/exchanges?partner=058"),
    ):
        data = {"name": "olivia", "password": PASSWORD, "csrf": csrf, "next": wanted}
        browser.cookies.set("exchange_console_login", csrf)
        assert browser.post("/login", data=data).headers["location"] == lands


def test_the_console_section_of_the_configuration() -> None:
    file = Path("node.toml")
    config = parse_config({"console": {"enabled": False, "session_hours": 2}}, file)
    assert not config.console_enabled and config.console_session_hours == 2
    with pytest.raises(ConfigError, match="did you mean 'enabled'"):
        parse_config({"console": {"enable": False}}, file)
    with pytest.raises(ConfigError, match="at least 1 minute"):
        parse_config({"console": {"lockout_minutes": 0}}, file)
