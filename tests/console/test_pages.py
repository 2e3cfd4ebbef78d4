"""Home, Exchanges and Imports in a real browser, over the demo's node."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.console.conftest import ConsoleNode, check_page

pytestmark = [pytest.mark.browser, pytest.mark.http]


def test_home_shows_partners_and_what_waits(operator_page: Any, console_node: ConsoleNode) -> None:
    listed = json.loads(console_node.cli("conflicts", "list", "--json").stdout)["conflicts"]
    unresolved = [c for c in listed if c["status"] != "resolved"]
    waiting = json.loads(console_node.cli("matches", "list", "--json").stdout)["matches"]
    assert operator_page.inner_text("#open-conflicts") == str(len(unresolved))
    assert operator_page.inner_text("#overdue-conflicts") == str(
        sum(c["overdue"] for c in unresolved)
    )
    assert operator_page.inner_text("#matches-waiting") == str(len(waiting))
    partners = operator_page.locator("#partners tbody tr")
    assert partners.count() == 2 and "058" in operator_page.inner_text("#partners")
    check_page(operator_page, "home")


def test_exchanges_lists_the_ledger_and_downloads_a_file(
    viewer_page: Any, console_node: ConsoleNode
) -> None:
    entries = json.loads(console_node.cli("ledger", "list", "--json").stdout)["entries"]
    viewer_page.goto(console_node.at("/exchanges"))
    rows = viewer_page.locator("#ledger tbody tr")
    assert rows.count() == min(len(entries), 50)
    check_page(viewer_page, "exchanges")
    received = next(e for e in entries if e["direction"] == "in" and e["partner"] == "058")
    viewer_page.goto(console_node.at("/exchanges?partner=058&direction=in"))
    assert viewer_page.locator("#ledger tbody tr").count() == sum(
        1 for e in entries if e["direction"] == "in" and e["partner"] == "058"
    )
    with viewer_page.expect_download() as started:
        viewer_page.click(f"a[href$='/exchanges/{received['id']}/file']")
    download = started.value
    assert download.suggested_filename == received["name"]
    content = Path(download.path()).read_bytes()
    assert hashlib.sha256(content).hexdigest() == received["sha256"]


def test_a_file_the_node_no_longer_keeps_is_not_found(
    viewer_page: Any, console_node: ConsoleNode
) -> None:
    answer = viewer_page.request.get(console_node.at("/exchanges/99999/file"))
    assert answer.status == 404


def test_imports_and_the_findings_of_a_file(viewer_page: Any, console_node: ConsoleNode) -> None:
    viewer_page.goto(console_node.at("/imports"))
    assert viewer_page.locator("#imports tbody tr").count() >= 1
    check_page(viewer_page, "imports")
    with viewer_page.expect_navigation():
        viewer_page.locator("#imports tbody tr a").first.click()
    assert viewer_page.locator("h1").inner_text().startswith("Findings of ")
    check_page(viewer_page, "findings")
