"""The Review page in a real browser: the queue side by side, and decisions that change the
store exactly as ``exchange matches confirm`` and ``reject`` change it."""

from __future__ import annotations

import json
import sqlite3
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.adapters.cwr.cwr_builder import CwrFile, change, valid_work
from tests.console.conftest import OPERATOR, ConsoleNode, check_page

pytestmark = [pytest.mark.browser, pytest.mark.http]
#: Tables a sign-in changes, not a decision.
SESSIONS = {"operators", "operator_sessions"}
#: Titles 058 sends, each close to the demo's LANTERNS OVER THE BAY but not surely it.
SPELLINGS = ("LANTERN OVER THE BAY", "LANTERNS OVER A BAY", "THE LANTERN OVER THE BAY",
             "LANTERNS OVR THE BAY", "LANTERN OVER THE BAYS")  # fmt: skip


def demo_parties(number: str, title: str) -> list:
    """A work from 058 by the demo's publisher and writer (under their IPI numbers)."""
    work = change(valid_work(number, title), "NWR", iswc=None)
    work = change(work, "SPU", publisher_name="HARBOUR LIGHT MUSIC")
    work = change(work, "SWR", writer_last_name="ORCHARD", writer_first_name="MAIA",
                  ipi_name_number="00045620792")  # fmt: skip
    return change(work, "PWR", publisher_name="HARBOUR LIGHT MUSIC")


def sent_by_058(folder: Path) -> Path:
    """From 058: works resembling the demo's LANTERNS OVER THE BAY (by the same parties),
    and two works each under two of 058's numbers (the second, a possible duplicate)."""
    cwr = CwrFile(sender="058")
    for number, title in enumerate(SPELLINGS):
        cwr.add("NWR", demo_parties(f"R{number}", title))
    for numbers, title in ((("D1", "D2"), "HARBOUR SONG"), (("D3", "D4"), "NIGHT FERRY")):
        for number in numbers:
            cwr.add("NWR", demo_parties(number, title))
    return cwr.write(folder, "CW260099058_052.V21")


@pytest.fixture(scope="module")
def queued(console_node: ConsoleNode, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """The demo's node with matches waiting: one per spelling, and two duplicates."""
    done = console_node.cli("import", "--json", str(sent_by_058(tmp_path_factory.mktemp("cwr"))))
    assert done.returncode == 0, done.stderr
    return pending(console_node)


def pending(node: ConsoleNode) -> list[dict]:
    return json.loads(node.cli("matches", "list", "--json").stdout)["matches"]


def database(config: Path) -> Path:
    url = tomllib.loads(config.read_text())["store"]["url"]
    assert url.startswith("sqlite:///"), url
    return Path(url.removeprefix("sqlite:///"))


@pytest.fixture
def twin(console_node: ConsoleNode, tmp_path: Path) -> Iterator[ConsoleNode]:
    """A copy of the node's store as it is now, for the CLI to decide on."""
    folder = tmp_path / "twin"
    folder.mkdir()
    copy = folder / "exchange.db"
    with sqlite3.connect(database(console_node.config)) as source, sqlite3.connect(copy) as dest:
        source.backup(dest)
    config = console_node.config.read_text().replace(str(database(console_node.config)), str(copy))
    (folder / "exchange.toml").write_text(config)
    yield ConsoleNode("", folder / "exchange.toml", folder / "data")


def dump(config: Path, since: datetime) -> dict[str, list[tuple]]:
    """Every row of the store but the sessions'; a moment from ``since`` on reads "now"."""

    def value(v: Any) -> Any:
        if isinstance(v, str) and len(v) >= 19 and v[4] == "-" and v[10] in " T":
            try:
                moment = datetime.fromisoformat(v)
            except ValueError:
                return v
            return "now" if moment.replace(tzinfo=moment.tzinfo or UTC) >= since else v
        return v

    with sqlite3.connect(database(config)) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            name: [tuple(map(value, row)) for row in conn.execute(f'SELECT * FROM "{name}"')]
            for name in sorted(set(names) - SESSIONS)
        }


def decide_on_both(
    page: Any, node: ConsoleNode, twin: ConsoleNode, match_id: int, button: str, command: str
) -> None:
    """Click ``button`` of match ``match_id`` in the page, run ``exchange matches COMMAND``
    on the twin as the same operator, and compare the two stores."""
    since = datetime.now(UTC).replace(microsecond=0)
    page.goto(node.at("/review"))
    with page.expect_navigation():
        page.click(f"#match-{match_id} button[value={button}]")
    assert page.url == node.at(f"/review/{match_id}")
    by_cli = twin.cli("matches", command, str(match_id), "--json")
    assert by_cli.returncode == 0, by_cli.stderr
    assert dump(node.config, since) == dump(twin.config, since)
    decided = json.loads(by_cli.stdout)["match"]
    assert decided["by"] == OPERATOR[0]
    assert (
        page.locator(".decided")
        .inner_text()
        .startswith(f"{decided['status'].capitalize()} by {OPERATOR[0]}")
    )
    assert f"work {decided['work_id']}" in page.locator(".decided").inner_text()


@pytest.fixture
def as_olivia(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's operator is the login name, or $EXCHANGE_USER: the console's operator."""
    monkeypatch.setenv("EXCHANGE_USER", OPERATOR[0])


def test_the_queue_side_by_side(
    operator_page: Any, console_node: ConsoleNode, queued: list[dict]
) -> None:
    operator_page.goto(console_node.at("/review"))
    waiting = pending(console_node)
    assert operator_page.locator("section.match").count() == len(waiting)
    first = waiting[0]
    card = operator_page.locator(f"#match-{first['id']}")
    assert card.locator(".incoming-title").inner_text() == first["incoming"]["title"]
    assert card.locator(".candidate-title").inner_text() == first["candidate"]["title"]
    assert card.locator(".score").inner_text() == str(first["score"])
    assert card.locator(".reason").inner_text() == first["reason"]
    text = card.inner_text()
    assert "T-034.524.680-1" in text and "ORCHARD, MAIA" in text and "IPI 00045620792" in text
    assert "PR 50.00 · MR 0.00 · SR 0.00" in text
    duplicate = next(m for m in waiting if m["kind"] == "duplicate")
    assert "Possible duplicate" in operator_page.inner_text(f"#match-{duplicate['id']}")
    check_page(operator_page, "review")


@pytest.mark.usefixtures("as_olivia")
def test_confirm_changes_the_store_as_the_cli_does(
    operator_page: Any, console_node: ConsoleNode, twin: ConsoleNode, queued: list[dict]
) -> None:
    match = next(m for m in pending(console_node) if m["kind"] == "match")
    decide_on_both(operator_page, console_node, twin, match["id"], "confirm", "confirm")
    check_page(operator_page, "match")


@pytest.mark.usefixtures("as_olivia")
def test_new_work_changes_the_store_as_reject_does(
    operator_page: Any, console_node: ConsoleNode, twin: ConsoleNode, queued: list[dict]
) -> None:
    before = json.loads(console_node.cli("works", "count", "--json").stdout)["works"]
    match = next(m for m in pending(console_node) if m["kind"] == "match")
    decide_on_both(operator_page, console_node, twin, match["id"], "new-work", "reject")
    after = json.loads(console_node.cli("works", "count", "--json").stdout)["works"]
    assert after == before + 1


@pytest.mark.usefixtures("as_olivia")
@pytest.mark.parametrize(("button", "command"), [("reject", "reject"), ("confirm", "confirm")])
def test_a_duplicate_decided_changes_the_store_as_the_cli_does(
    operator_page: Any,
    console_node: ConsoleNode,
    twin: ConsoleNode,
    queued: list[dict],
    button: str,
    command: str,
) -> None:
    """Reject: the two works stay; confirm: the second becomes part of the first."""
    before = json.loads(console_node.cli("works", "count", "--json").stdout)["works"]
    duplicate = next(m for m in pending(console_node) if m["kind"] == "duplicate")
    decide_on_both(operator_page, console_node, twin, duplicate["id"], button, command)
    after = json.loads(console_node.cli("works", "count", "--json").stdout)["works"]
    assert after == before - (command == "confirm")


def test_a_viewer_sees_no_button_and_cannot_decide(
    viewer_page: Any, console_node: ConsoleNode, queued: list[dict]
) -> None:
    match = pending(console_node)[0]
    viewer_page.goto(console_node.at("/review"))
    assert viewer_page.locator("section.match").count() >= 1
    assert viewer_page.locator("section.match button").count() == 0
    token = viewer_page.locator("input[name=csrf]").first.get_attribute("value")
    answer = viewer_page.request.post(
        console_node.at(f"/review/{match['id']}/confirm"), form={"csrf": token}
    )
    assert answer.status == 403 and "viewer" in answer.text()
    assert pending(console_node)[0] == match


def test_a_decision_without_its_csrf_token_is_refused(
    operator_page: Any, console_node: ConsoleNode, queued: list[dict]
) -> None:
    match = pending(console_node)[0]
    for form in ({}, {"csrf": "forged"}):
        answer = operator_page.request.post(
            console_node.at(f"/review/{match['id']}/reject"), form=form
        )
        assert answer.status == 403 and "CSRF" in answer.text()
    assert pending(console_node)[0] == match


def test_a_match_is_decided_once(
    operator_page: Any, console_node: ConsoleNode, queued: list[dict]
) -> None:
    match = pending(console_node)[-1]
    assert console_node.cli("matches", "confirm", str(match["id"])).returncode == 0
    token = operator_page.locator("input[name=csrf]").first.get_attribute("value")
    answer = operator_page.request.post(
        console_node.at(f"/review/{match['id']}/reject"), form={"csrf": token}
    )
    assert answer.status == 409 and "already" in answer.text()
    assert operator_page.request.get(console_node.at("/review?status=maybe")).status == 400
    missing = operator_page.request.post(console_node.at("/review/9999/confirm"),
                                         form={"csrf": token})  # fmt: skip
    assert missing.status == 404
    listed = json.loads(console_node.cli("matches", "list", "--status", "all", "--json").stdout)
    operator_page.goto(console_node.at("/review?status=all"))
    total = len(listed["matches"])
    assert operator_page.locator("section.match").count() == total
    assert operator_page.locator("nav.paging").first.inner_text() == f"1–{total} of {total} matches"
    operator_page.goto(console_node.at("/review?status=confirmed&page=7"))  # the last page
    confirmed = [m for m in listed["matches"] if m["status"] == "confirmed"]
    shown = [int(s.get_attribute("id").split("-")[1]) for s in
             operator_page.locator("section.match").all()]  # fmt: skip
    assert shown == [m["id"] for m in confirmed] and len(confirmed) >= 1
    operator_page.goto(console_node.at(f"/review/{match['id']}"))
    assert operator_page.locator("section.match button").count() == 0
