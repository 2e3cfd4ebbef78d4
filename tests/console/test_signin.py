"""Signing in to the console in a real browser, and what a session may and may not do."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from exchange.console.auth import COOKIE
from tests.console.conftest import OPERATOR, VIEWER, ConsoleNode, check_page, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.http]


def test_a_page_without_a_session_goes_to_sign_in(page: Any, console_node: ConsoleNode) -> None:
    page.goto(console_node.at("/exchanges?partner=058"))
    assert page.url.startswith(console_node.at("/login"))
    assert page.locator("input[name=name]").count() == 1
    assert page.locator("input[name=password][type=password]").count() == 1
    check_page(page, "login")
    # signing in brings the page asked for
    page.fill("input[name=name]", OPERATOR[0])
    page.fill("input[name=password]", OPERATOR[1])
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == console_node.at("/exchanges?partner=058")


def test_sign_in_sets_a_strict_httponly_cookie(operator_page: Any) -> None:
    cookies = {c["name"]: c for c in operator_page.context.cookies()}
    session = cookies[COOKIE]
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    assert session["path"] == "/console/" and session["expires"] > 0
    assert operator_page.locator(".who").inner_text().startswith(OPERATOR[0])
    check_page(operator_page, "home")


def test_a_wrong_password_is_refused(page: Any, console_node: ConsoleNode) -> None:
    sign_in(page, console_node, VIEWER[0], "not the password")
    assert "/login" in page.url
    assert page.locator(".error").inner_text() == "wrong user name or password"


def test_signing_out_ends_the_session(operator_page: Any, console_node: ConsoleNode) -> None:
    cookie = {c["name"]: c for c in operator_page.context.cookies()}[COOKIE]["value"]
    with operator_page.expect_navigation():
        operator_page.click(".who button")
    assert operator_page.url.startswith(console_node.at("/login"))
    answer = httpx.get(console_node.at("/"), cookies={COOKIE: cookie})
    assert answer.status_code == 303 and "/console/login" in answer.headers["location"]


def test_lockout_after_repeated_failures(page: Any, console_node: ConsoleNode) -> None:
    name, password = "lena", "lockout password 1"
    assert console_node.cli("operators", "add", name, "--role", "viewer",
                            input=password + "\n").returncode == 0  # fmt: skip
    for _ in range(5):  # [console] max_failed_signins, by default
        sign_in(page, console_node, name, "wrong password!")
    sign_in(page, console_node, name, password)  # the right one: still refused
    assert "/login" in page.url
    assert "too many failed sign-ins" in page.locator(".error").inner_text()
    listed = console_node.cli("operators", "list", "--json")
    assert '"locked_until": null' not in listed.stdout.split(name)[1].split("}")[0]
    # a new password lifts the lockout
    assert console_node.cli("operators", "passwd", name, input=password + "\n").returncode == 0
    sign_in(page, console_node, name, password)
    assert page.url == console_node.at("/")


def test_a_partner_token_opens_no_page(console_node: ConsoleNode) -> None:
    issued = console_node.cli("partners", "token", "058", "--json")
    token = json.loads(issued.stdout)["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{console_node.url}/v1/outbox", headers=headers).status_code == 200
    answer = httpx.get(console_node.at("/"), headers=headers)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/login")
    assert httpx.get(console_node.at("/exchanges/1/file"), headers=headers).status_code == 303


def test_an_operator_session_opens_no_partner_api(
    operator_page: Any, console_node: ConsoleNode
) -> None:
    answer = operator_page.request.get(f"{console_node.url}/v1/outbox")
    assert answer.status == 401
    cookie = {c["name"]: c for c in operator_page.context.cookies()}[COOKIE]["value"]
    direct = httpx.get(f"{console_node.url}/v1/outbox", cookies={COOKIE: cookie})
    assert direct.status_code == 401


def test_a_form_without_its_csrf_token_is_refused(
    operator_page: Any, console_node: ConsoleNode
) -> None:
    answer = operator_page.request.post(console_node.at("/logout"), form={"csrf": "forged"})
    assert answer.status == 403
    assert "CSRF" in answer.text()
    answer = operator_page.request.post(console_node.at("/logout"), form={})
    assert answer.status == 403
    operator_page.goto(console_node.at("/"))  # still signed in
    assert operator_page.url == console_node.at("/")


def test_the_sign_in_form_needs_its_csrf_token(console_node: ConsoleNode) -> None:
    answer = httpx.post(
        console_node.at("/login"), data={"name": OPERATOR[0], "password": OPERATOR[1]}
    )
    assert answer.status_code == 403
