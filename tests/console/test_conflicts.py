"""The Conflicts page in a real browser, over the demo's node: the disputes as the HTML report
shows them, the operators' decisions as the CLI makes them, and who may not make them."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.console.conftest import ConsoleNode, check_page

pytestmark = [pytest.mark.browser, pytest.mark.http]

#: ISO moments differ between two runs of the same decision: they are left out of comparisons.
MOMENT = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d")


def unresolved(node: ConsoleNode, *args: str) -> list[dict[str, Any]]:
    listed = json.loads(node.cli("conflicts", "list", *args, "--json").stdout)["conflicts"]
    return [c for c in listed if c["status"] != "resolved"]


def without_moments(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_moments(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_moments(v) for v in value]
    return "<moment>" if isinstance(value, str) and MOMENT.match(value) else value


def store_file(node: ConsoleNode) -> Path:
    url = next(line for line in node.config.read_text().splitlines() if line.startswith("url"))
    return Path(url.split("sqlite:///", 1)[1].rstrip('"'))


def copy_store(node: ConsoleNode, target: Path) -> str:
    """A consistent copy of the node's SQLite store (served, in WAL mode); gives its URL."""
    with sqlite3.connect(store_file(node)) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return f"sqlite:///{target}"


def test_the_page_shows_each_dispute_as_the_html_report(
    viewer_page: Any, console_node: ConsoleNode, tmp_path: Path
) -> None:
    listed = unresolved(console_node)
    viewer_page.goto(console_node.at("/conflicts"))
    cards = viewer_page.locator("section.dispute")
    assert cards.count() == len(listed) > 0
    assert viewer_page.locator("section.dispute form").count() == 0  # a viewer: no actions
    check_page(viewer_page, "conflicts-viewer")
    # the same card as the report's, from the same template
    report = tmp_path / "conflicts.html"
    made = console_node.cli("conflicts", "report", "--format", "html", "-o", str(report))
    assert made.returncode == 0, made.stderr
    shown = viewer_page.inner_text("#conflict-1")
    viewer_page.goto(report.as_uri())
    assert viewer_page.inner_text("#conflict-1") == shown


def test_filters_select_as_conflicts_list(viewer_page: Any, console_node: ConsoleNode) -> None:
    listed = unresolved(console_node, "--type", "overclaim", "--partner", "058")
    viewer_page.goto(console_node.at("/conflicts"))
    viewer_page.select_option("select[name=type]", "overclaim")
    viewer_page.fill("input[name=partner]", "058")
    with viewer_page.expect_navigation():
        viewer_page.click("form.filters button")
    assert "type=overclaim" in viewer_page.url and "partner=058" in viewer_page.url
    shown = viewer_page.locator("section.dispute").evaluate_all(
        "cards => cards.map(c => Number(c.dataset.conflict))"
    )
    assert shown == [c["id"] for c in listed]
    viewer_page.goto(console_node.at("/conflicts?partner=none-such"))
    assert viewer_page.locator("section.dispute").count() == 0
    assert "no conflicts" in viewer_page.inner_text(".paging")
    assert viewer_page.request.get(console_node.at("/conflicts?status=lost")).status == 400


def test_the_export_is_the_cli_report(
    viewer_page: Any, console_node: ConsoleNode, tmp_path: Path
) -> None:
    viewer_page.goto(console_node.at("/conflicts?type=overclaim"))
    with viewer_page.expect_download() as started:
        viewer_page.click("p.export a:text-is('CSV')")
    download = started.value
    assert download.suggested_filename == "conflicts.csv"
    by_cli = tmp_path / "by-cli.csv"
    made = console_node.cli(
        "conflicts", "report", "--format", "csv", "--type", "overclaim", "-o", str(by_cli)
    )
    assert made.returncode == 0, made.stderr
    assert Path(download.path()).read_bytes() == by_cli.read_bytes()
    answer = viewer_page.request.get(console_node.at("/conflicts/export?format=xlsx"))
    assert answer.status == 200 and answer.body()[:2] == b"PK"
    assert viewer_page.request.get(console_node.at("/conflicts/export?format=pdf")).status == 400


def test_a_viewer_cannot_decide(viewer_page: Any, console_node: ConsoleNode) -> None:
    before = console_node.cli("conflicts", "show", "2", "--json").stdout
    viewer_page.goto(console_node.at("/conflicts"))
    csrf = viewer_page.locator(".who input[name=csrf]").get_attribute("value")
    for action, form in (
        ("resolve", {"outcome": "withdrawn", "note": "a viewer tries"}),
        ("mark", {"status": "notified"}),
    ):
        answer = viewer_page.request.post(
            console_node.at(f"/conflicts/2/{action}"), form={"csrf": csrf, **form}
        )
        assert answer.status == 403 and "viewer" in answer.text()
    assert console_node.cli("conflicts", "show", "2", "--json").stdout == before


def test_no_session_and_partner_tokens_decide_nothing(console_node: ConsoleNode) -> None:
    before = console_node.cli("conflicts", "show", "2", "--json").stdout
    token = json.loads(console_node.cli("partners", "token", "058", "--json").stdout)["token"]
    for headers in ({}, {"Authorization": f"Bearer {token}"}):
        page = httpx.get(console_node.at("/conflicts"), headers=headers)
        assert page.status_code == 303
        assert page.headers["location"] == "/console/login?next=/console/conflicts"
        post = httpx.post(
            console_node.at("/conflicts/2/resolve"),
            data={"outcome": "withdrawn", "note": "not signed in"},
            headers=headers,
        )
        assert post.status_code == 303 and post.headers["location"] == "/console/login"
    assert console_node.cli("conflicts", "show", "2", "--json").stdout == before


def test_an_operator_sees_the_actions(operator_page: Any, console_node: ConsoleNode) -> None:
    operator_page.goto(console_node.at("/conflicts"))
    cards = operator_page.locator("section.dispute")
    assert cards.count() == len(unresolved(console_node))
    assert cards.locator("form.resolve").count() == cards.count()
    assert cards.locator("input[name=csrf]").count() == 2 * cards.count()
    check_page(operator_page, "conflicts")


def test_an_operator_notifies_then_resolves_as_the_cli_would(
    operator_page: Any, console_node: ConsoleNode, tmp_path: Path
) -> None:
    page = operator_page
    page.goto(console_node.at("/conflicts"))
    card = page.locator("#conflict-2")
    card.locator("input[name=note]").first.fill("report sent to 058 and DMO")
    with page.expect_navigation():
        card.locator("button[value=notified]").click()
    assert page.inner_text("#decided") == "Conflict #2: notified by olivia."
    shown = json.loads(console_node.cli("conflicts", "show", "2", "--json").stdout)
    assert shown["conflict"]["status"] == "notified"
    assert shown["history"][-1] | {"at": None} == {
        "status": "notified", "outcome": None, "note": "report sent to 058 and DMO",
        "by": "olivia", "at": None,
    }  # fmt: skip

    # the same decision by the CLI, on a copy of the store as it is now
    copy = copy_store(console_node, tmp_path / "copy.db")
    reason = "058 withdrew its registration, letter of 2026-03-02"
    by_cli = console_node.cli(
        "--db", copy, "conflicts", "resolve", "1", "--outcome", "withdrawn", "--note", reason
    )
    assert by_cli.returncode == 0, by_cli.stderr

    work = json.loads(console_node.cli("works", "show", "2", "--json").stdout)
    theirs = [c for c in work["work"]["claims"] if (c.get("source") or {}).get("partner") == "058"]
    assert theirs, "the demo's work 2 has 058's claims"
    page.goto(console_node.at("/conflicts"))
    card = page.locator("#conflict-1")
    card.locator("select[name=outcome]").select_option("withdrawn")
    card.locator("form.resolve input[name=note]").fill(reason)
    with page.expect_navigation():
        card.locator("form.resolve button").click()
    said = page.inner_text("#decided")
    assert said.startswith("Conflict #1: resolved (withdrawn) by olivia")
    assert page.locator("#conflict-1").count() == 0  # no longer among the unresolved
    check_page(page, "conflicts-resolved")

    # 058's claims are gone from the work, and the store is as the CLI left its copy
    work = json.loads(console_node.cli("works", "show", "2", "--json").stdout)
    sources = {(c.get("source") or {}).get("partner") for c in work["work"]["claims"]}
    assert "058" not in sources
    for args in (("works", "show", "2"), ("conflicts", "list", "--status", "resolved")):
        served = json.loads(console_node.cli(*args, "--json").stdout)
        copied = json.loads(console_node.cli("--db", copy, *args, "--json").stdout)
        assert without_moments(served) == without_moments(copied)
    history = json.loads(console_node.cli("conflicts", "show", "1", "--json").stdout)["history"]
    assert (history[-1]["status"], history[-1]["outcome"], history[-1]["note"]) == (
        "resolved", "withdrawn", reason,
    )  # fmt: skip
    assert history[-1]["by"] == "olivia"

    # settled already: the engine's refusal, said on the page
    csrf = page.locator(".who input[name=csrf]").get_attribute("value")
    again = page.request.post(
        console_node.at("/conflicts/1/resolve"),
        form={"csrf": csrf, "outcome": "upheld", "note": "again"},
    )
    assert again.status == 409 and "resolved already" in again.text()
