"""The Conflicts page over many conflicts, without a browser: pages of disputes, actions
that bring the operator back to the page they were taken from, the steps an operator
records and the ones the engine refuses."""

from __future__ import annotations

from datetime import timedelta

from exchange.conflicts.lifecycle import Conflicts
from exchange.operators import add_operator
from exchange.store import Store
from exchange.store.conflicts import open_conflict
from exchange.store.rows import now
from tests.console.test_auth import PASSWORD, console, signed_in


def test_long_lists_page_and_actions_come_back_to_their_page(store: Store) -> None:
    add_operator(store, "olivia", "operator", PASSWORD)
    with store.connect() as conn:
        for i in range(25):
            open_conflict(
                conn, kind="iswc", key=f"iswc:shared:T{i:010d}", work_id=None, partner="058",
                detail={"message": f"ISWC {i} is held by two works"},
                deadline=now() + timedelta(days=-2 if i < 3 else 10),
            )  # fmt: skip
    with console(store) as url:
        browser, csrf = signed_in(url, "olivia")
        first = browser.get("/conflicts").text
        assert first.count('<section class="dispute') == 20
        assert "1–20 of 25 conflicts" in first and 'href="?page=2"' in first
        second = browser.get("/conflicts", params={"page": "2"}).text
        assert second.count('<section class="dispute') == 5
        overdue = browser.get("/conflicts", params={"overdue": "1"}).text
        assert overdue.count('<section class="dispute') == 3
        assert overdue.count("overdue</strong>") == 3
        done = browser.post(
            "/conflicts/25/resolve",
            data={"csrf": csrf, "outcome": "amended", "note": "sorted", "back": "page=2&x=1"},
        )
        assert done.status_code == 303
        assert done.headers["location"] == "/console/conflicts?page=2&done=25"
        back = browser.get("/conflicts", params={"page": "2", "done": "25"}).text
        assert back.count('<section class="dispute') == 4
        assert "Conflict #25: resolved (amended) by olivia." in back
        asked = {"csrf": csrf, "status": "documents_requested", "note": "contracts, please"}
        assert browser.post("/conflicts/24/mark", data=asked).status_code == 303
        assert (
            browser.post("/conflicts/24/mark", data={**asked, "status": "resolved"}).status_code
            == 400
        )
        assert browser.post("/conflicts/25/mark", data=asked).status_code == 409  # resolved
    conflict, history = Conflicts(store, lambda _partner: 60).get(24)
    assert conflict.status == "documents_requested"
    assert (history[-1]["note"], history[-1]["by"]) == ("contracts, please", "olivia")
