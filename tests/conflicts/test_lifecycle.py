"""Disputed claims: found on import and on demand, settled, reported."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import update

from exchange.store import Store, tables
from tests.adapters.cwr.cwr_builder import CwrFile, change, valid_work
from tests.imports.test_acks import Node, node_config


def other_publisher(number: str = "X1") -> list:
    """The work of valid_work() as a second sender has it: another publisher for the same share."""
    work = change(valid_work(number, "A TEST WORK"), "SPU", publisher_name="RIVAL MUSIC",
                  ipi_name_number="00045620792", interested_party_number="R01")  # fmt: skip
    work = change(work, "SPT", interested_party_number="R01")
    return change(work, "PWR", publisher_ip_number="R01", publisher_name="RIVAL MUSIC")


@pytest.fixture
def node(capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path) -> Node:
    config = node_config(tmp_path / "n", "052")
    config.write_text(
        config.read_text()
        + "\n[conflicts]\ndeadline_days = 45\n\n"
        + '[[partners]]\ncode = "OTH"\nname = "OTHER"\nconflict_deadline_days = 10\n'
    )
    return Node(capsys, db_url, config)


def disputed(node: Node, tmp_path: Path) -> dict:
    """PUB registers a work; OTH registers the same work (same ISWC) with another publisher."""
    node("import", str(CwrFile().add("NWR", valid_work()).write(tmp_path, "CW260001PUB_052.V21")))
    second = CwrFile(sender="OTH").add("NWR", other_publisher())
    _, report = node("import", "--json", str(second.write(tmp_path, "CW260001OTH_052.V21")))
    return report["files"][0]


def test_a_counterclaiming_registration_opens_conflicts_and_is_answered_co(
    node: Node, tmp_path: Path
) -> None:
    report = disputed(node, tmp_path)
    assert report["statuses"] == {"CO": 1}
    assert report["conflicts_opened"] >= 1

    _, listed = node("conflicts", "list", "--json")
    conflicts = listed["conflicts"]
    ownership = next(c for c in conflicts if c["type"] == "overclaim" and c["right"] == "PR"
                     and c["territory"] is None)  # fmt: skip
    assert (ownership["total"], ownership["excess"]) == (15000, 5000)
    assert ownership["status"] == "open" and ownership["partners"] == ["OTH", "PUB"]
    assert ownership["work"]["iswc"] == "T0345246801"
    opened = datetime.fromisoformat(ownership["opened"])
    deadline = datetime.fromisoformat(ownership["deadline"])
    assert timedelta(days=9) < deadline - opened <= timedelta(days=10)  # OTH's own deadline
    assert {"counterclaim"} <= {c["type"] for c in conflicts}

    # the ACK says CO and describes the work as held
    out = tmp_path / "out"
    _, acked = node("ack", "--json", str(tmp_path / "CW260001OTH_052.V21"), "-o", str(out))
    assert acked["files"][0]["statuses"] == {"CO": 1}
    assert "EXC" in {line[:3] for line in Path(acked["files"][0]["path"]).read_text().split()}

    # filters
    _, theirs = node("conflicts", "list", "--json", "--partner", "PUB")
    assert len(theirs["conflicts"]) == len(conflicts)
    _, nobody = node("conflicts", "list", "--json", "--partner", "999")
    assert nobody["conflicts"] == []
    _, overdue = node("conflicts", "list", "--json", "--overdue")
    assert overdue["conflicts"] == []
    store = Store(node.url)
    with store.connect() as conn:
        conn.execute(
            update(tables.conflicts)
            .where(tables.conflicts.c.id == ownership["id"])
            .values(deadline=datetime.now(UTC) - timedelta(days=1))
        )
    _, overdue = node("conflicts", "list", "--json", "--overdue")
    assert [c["id"] for c in overdue["conflicts"]] == [ownership["id"]]
    assert overdue["conflicts"][0]["overdue"] is True


def test_lifecycle_and_resolution_change_the_claims(node: Node, tmp_path: Path) -> None:
    disputed(node, tmp_path)
    store = Store(node.url)
    _, listed = node("conflicts", "list", "--json")
    first = listed["conflicts"][0]["id"]
    _, marked = node("conflicts", "mark", "--json", str(first), "--status", "notified",
                     "--note", "report sent")  # fmt: skip
    assert marked["conflict"]["status"] == "notified"
    node("conflicts", "mark", str(first), "--status", "documents_requested")

    work_id = store.find_work("PUB:W0001")
    assert work_id is not None
    before = store.load_work(work_id)
    assert before is not None and {c.source.partner for c in before.claims} == {"PUB", "OTH"}
    _, resolved = node("conflicts", "resolve", "--json", str(first), "--outcome", "withdrawn",
                       "--note", "OTH withdrew")  # fmt: skip
    assert resolved["conflict"]["status"] == "resolved"
    assert resolved["conflict"]["outcome"] == "withdrawn"
    assert sorted(resolved["closed"]) == sorted(
        c["id"] for c in listed["conflicts"] if c["id"] != first
    )  # the others settle with it
    after = store.load_work(work_id)
    assert after is not None and {c.source.partner for c in after.claims} == {"PUB"}
    assert any(h.action == "delete" for h in store.history(work_id))

    _, shown = node("conflicts", "show", "--json", str(first))
    assert [e["status"] for e in shown["history"]] == [
        "open", "notified", "documents_requested", "resolved",
    ]  # fmt: skip
    assert shown["history"][1]["note"] == "report sent"
    code, _out = node.raw("conflicts", "resolve", str(first), "--outcome", "amended")
    assert code == 2  # resolved already


def test_upheld_keeps_the_newcomer(node: Node, tmp_path: Path) -> None:
    disputed(node, tmp_path)
    store = Store(node.url)
    _, listed = node("conflicts", "list", "--json")
    node("conflicts", "resolve", str(listed["conflicts"][0]["id"]), "--outcome", "upheld")
    work = store.load_work(store.find_work("PUB:W0001") or 0)
    assert work is not None
    publishers = {c.party.name for c in work.claims if c.side == "publisher"}
    assert publishers == {"RIVAL MUSIC"}


def test_reports_hold_every_claim(node: Node, tmp_path: Path) -> None:
    disputed(node, tmp_path)
    _, listed = node("conflicts", "list", "--json")
    _, shown = node("conflicts", "show", "--json", str(listed["conflicts"][0]["id"]))
    involved = len(shown["conflict"]["claims"])
    for fmt in ("csv", "xlsx", "html", "json"):
        path = tmp_path / f"report.{fmt}"
        _, written = node("conflicts", "report", "--json", "--format", fmt, "-o", str(path))
        assert written["conflicts"] == len(listed["conflicts"])
        rows = written["rows"]
        assert rows >= involved
    with (tmp_path / "report.csv").open(encoding="utf-8-sig") as fh:
        assert len(list(csv.DictReader(fh))) == rows
    book = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert "Overclaims" in book.sheetnames and "Counterclaims" in book.sheetnames
    assert sum(sheet.max_row - 1 for sheet in book.worksheets) == rows
    assert book["Overclaims"].freeze_panes == "A2"

    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.count('<div class="claim">') == rows  # one per claim, side by side per source
    assert page.count('<section class="dispute') == len(listed["conflicts"])
    data = json.loads((tmp_path / "report.json").read_text())
    assert sum(len(c["claims"]) for c in data["conflicts"]) == rows
    assert {c["party"] for c in data["conflicts"][0]["claims"]} >= {"RIVAL MUSIC"}


def test_detect_on_demand_and_shared_iswcs(node: Node, tmp_path: Path) -> None:
    disputed(node, tmp_path)
    store = Store(node.url)
    with store.connect() as conn:  # conflicts forgotten: detection finds them again
        conn.execute(tables.conflict_events.delete())
        conn.execute(tables.conflicts.delete())
    node("import", str(CwrFile(sender="THR").add("NWR", change(
        valid_work("Z9", "SOMETHING ELSE"), "NWR", iswc="T0101713147")).write(tmp_path,
        "CW260001THR_052.V21")))  # fmt: skip
    work = store.find_work("THR:Z9")
    with store.connect() as conn:  # a second work with the first one's ISWC
        conn.execute(
            update(tables.works).where(tables.works.c.id == work).values(iswc="T0345246801")
        )
    _, found = node("conflicts", "detect", "--json")
    assert found["works_checked"] == 1
    assert found["by_kind"]["iswc"] == 1 and found["by_kind"]["overclaim"] >= 1
    assert found["conflicts_opened"] == found["conflicts_found"]
    _, again = node("conflicts", "detect", "--json")
    assert again["conflicts_opened"] == 0  # found again, not opened twice
    _, listed = node("conflicts", "list", "--json")
    [shared] = [c for c in listed["conflicts"] if c["type"] == "iswc"]
    assert "T0345246801" in shared["message"]


def test_identity_conflicts(node: Node, tmp_path: Path) -> None:
    """One IPI name number under another name; one writer in another role."""
    node("import", str(CwrFile().add("NWR", valid_work()).write(tmp_path, "CW260001PUB_052.V21")))
    renamed = change(valid_work("X1"), "SWR", writer_last_name="SMITH", writer_first_name="JOHN")
    node("import", str(CwrFile(sender="OTH").add("NWR", renamed).write(tmp_path,
         "CW260001OTH_052.V21")))  # fmt: skip
    other_role = change(valid_work("Z1"), "SWR", writer_designation_code="C")
    other_role = change(other_role, "SWT", pr_collection_share=5000)
    node("import", str(CwrFile(sender="THR").add("NWR", other_role).write(tmp_path,
         "CW260001THR_052.V21")))  # fmt: skip
    _, listed = node("conflicts", "list", "--json")
    identity = [c for c in listed["conflicts"] if c["type"] == "identity"]
    messages = " ".join(c["message"] for c in identity)
    assert "00014107338" in messages and "SMITH" in messages
    assert any("role" in c["message"].lower() or "C" in c["message"] for c in identity)
    assert len(identity) == 2
