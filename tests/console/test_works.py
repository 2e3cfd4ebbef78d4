"""The Works pages in a real browser: the search ``exchange works search`` does, and a work
with what ``exchange works show`` says of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.adapters.cwr.cwr_builder import CwrFile, change, valid_work
from tests.console.conftest import ConsoleNode, check_page
from tests.imports.test_acks import partner_ack

pytestmark = [pytest.mark.browser, pytest.mark.http]


def cli_json(node: ConsoleNode, *args: str) -> Any:
    done = node.cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_find_a_work_by_search_and_open_it(viewer_page: Any, console_node: ConsoleNode) -> None:
    viewer_page.goto(console_node.at("/works"))
    everything = cli_json(console_node, "works", "list")["works"]
    assert viewer_page.locator("#works tbody tr").count() == len(everything)
    viewer_page.fill("input[name=q]", "tide")  # an alternate title of work 2
    with viewer_page.expect_navigation():
        viewer_page.click("form.search button")
    found = cli_json(console_node, "works", "search", "tide")["works"]
    assert len(found) == 1
    rows = viewer_page.locator("#works tbody tr")
    assert [r.locator("td").first.inner_text() for r in rows.all()] == [str(w["id"]) for w in found]
    check_page(viewer_page, "works")
    with viewer_page.expect_navigation():
        rows.first.locator("a").click()
    assert viewer_page.url == console_node.at(f"/works/{found[0]['id']}")
    assert viewer_page.locator("h1").inner_text() == found[0]["title"]


def test_a_work_page_says_what_works_show_says(viewer_page: Any, console_node: ConsoleNode) -> None:
    shown = cli_json(console_node, "works", "show", "058:SACEM-7781")
    work = shown["work"]
    viewer_page.goto(console_node.at(f"/works/{work['id']}"))
    facts = viewer_page.inner_text("#work-facts")
    assert "T-010.171.314-7" in facts and f"language {work['language']}" in facts
    identifiers = viewer_page.inner_text("#identifiers")
    for t in work["titles"]:
        assert t["title"] in identifiers
    rows = [r.inner_text().split("\t") for r in viewer_page.locator("#identifiers tbody tr").all()]
    for n in work["numbers"]:
        assert [f"{n['kind']} work number", n["issuer"], n["number"]] in rows
    # claims by source: one table per partner's file, each of its claims in it
    sources = {(c["source"]["partner"], c["source"]["file"]) for c in work["claims"]}
    tables = viewer_page.locator("table.claims-of-source")
    assert tables.count() == len(sources) == 2
    for table in tables.all():
        caption = table.locator("caption").inner_text()
        [(partner, file)] = [s for s in sources if caption.startswith(f"{s[0]} · {s[1]}")]
        claims = [c for c in work["claims"] if c["source"]["partner"] == partner]
        assert table.locator("tbody tr").count() == len(claims)
        for c in claims:
            assert c["party"]["ipi_name_number"] in table.inner_text()
    # registrations per society with their ACK status
    registered = viewer_page.locator("#registrations tbody tr")
    assert [r.locator("td").nth(1).inner_text() for r in registered.all()] == [
        r["status"] for r in shown["registrations"]
    ]
    assert [r.locator("td").first.inner_text() for r in registered.all()] == [
        r["partner"] for r in shown["registrations"]
    ]
    # the history, line for line as the command prints it
    text = console_node.cli("works", "show", str(work["id"])).stdout
    printed = [line.strip() for line in text.split("history:\n")[1].splitlines() if line.strip()]
    listed = [li.inner_text() for li in viewer_page.locator("#history li").all()]
    assert [" ".join(line.split()) for line in listed] == [" ".join(p.split()) for p in printed]
    check_page(viewer_page, "work")


def test_a_work_is_found_by_any_of_its_keys(viewer_page: Any, console_node: ConsoleNode) -> None:
    work_id = cli_json(console_node, "works", "show", "T-010.171.314-7")["work"]["id"]
    for key in ("T-010.171.314-7", "T0101713147", "058:SACEM-7781", str(work_id)):
        viewer_page.goto(console_node.at(f"/works/{key}"))
        assert viewer_page.url.endswith(key)
        assert f"Work {work_id} " in viewer_page.inner_text("#work-facts")
    viewer_page.goto(console_node.at("/works?q=058:SACEM-7781"))
    assert viewer_page.locator(f"#named a[href$='/works/{work_id}']").count() == 1
    answer = viewer_page.request.get(console_node.at("/works/058:NO-SUCH-WORK"))
    assert answer.status == 404 and "no work" in answer.text()


def test_registrations_show_the_ack_status_and_messages(
    viewer_page: Any, console_node: ConsoleNode, tmp_path: Path
) -> None:
    [work] = cli_json(console_node, "works", "search", "northbound line")["works"]
    ack = partner_ack(str(work["id"]), "AC", "20261201", "GEMA-3")
    ack[1]["creation_title"] = work["title"]
    message = {
        "message_type": "F",
        "original_record_sequence": 0,
        "original_record_type": "NWR",
        "message_level": "F",
        "validation_number": "005",
        "message_text": "COPYRIGHT DATE REPLACED WITH ZEROS",
    }
    echo = change(valid_work(str(work["id"]), work["title"]), "NWR", iswc=None)
    path = CwrFile(sender="035").add("ACK", [ack, ("MSG", message), *echo])
    imported = cli_json(console_node, "import", str(path.write(tmp_path, "CW260005035_052.V21")))
    assert imported["files"][0]["statuses"] == {"AC": 1}
    viewer_page.goto(console_node.at(f"/works/{work['id']}"))
    [row] = [r for r in viewer_page.locator("#registrations tbody tr").all()
             if r.locator("td").first.inner_text() == "035"]  # fmt: skip
    cells = [c.inner_text() for c in row.locator("td").all()]
    assert cells[1:4] == ["AC", "2026-12-01", "GEMA-3"]
    assert cells[5] == "F NWR-F-005: COPYRIGHT DATE REPLACED WITH ZEROS"
