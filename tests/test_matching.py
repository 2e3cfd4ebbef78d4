"""Matching incoming works to the store: one work, however many times it arrives."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.matching import score
from exchange.model import WorkNumber
from exchange.store import Store
from tests.adapters.cwr_builder import CwrFile, change, valid_work
from tests.test_acks import Node, node_config


@pytest.fixture
def node(capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path) -> Node:
    return Node(capsys, db_url, node_config(tmp_path / "n", "052"))


def send(node: Node, tmp_path: Path, sender: str, records: list, kind: str = "NWR") -> dict:
    path = CwrFile(sender=sender).add(kind, records).write(tmp_path, f"CW260001{sender}_052.V21")
    _, report = node("import", "--json", str(path))
    return report["files"][0]


def test_three_societies_one_work(node: Node, tmp_path: Path) -> None:
    """The same work from three societies, once without ISWC and spelt otherwise: one work."""
    first = send(node, tmp_path, "058", valid_work("SACEM-1", "THE LONG ROAD HOME"))
    second = send(node, tmp_path, "035", valid_work("GEMA-77", "LONG ROAD HOME"))
    third = send(
        node,
        tmp_path,
        "010",
        change(valid_work("ASCAP-9", "Long Road Home!"), "NWR", iswc=None),
    )
    assert (first["works_created"], second["works_created"], third["works_created"]) == (1, 0, 0)
    store = Store(node.url)
    assert store.count_works() == 1
    [work] = store.list_works()
    assert work.sources == ["010", "035", "058"]
    assert store.find_work("010:ASCAP-9") == store.find_work("058:SACEM-1") == work.id


def test_a_society_number_from_an_ack_names_the_work(node: Node, tmp_path: Path) -> None:
    send(node, tmp_path, "PUB", valid_work("W1", "FIRST WORK"))
    store = Store(node.url)
    work_id = store.find_work("PUB:W1")
    with store.connect() as conn:
        store.writer(conn).add_number(work_id, WorkNumber("058", "SOC-9", "society"), None)
    # 058 registers it under its own number, with no ISWC and another title
    renamed = change(valid_work("SOC-9", "PREMIER OEUVRE"), "NWR", iswc=None)
    report = send(node, tmp_path, "058", renamed)
    assert report["works_created"] == 0 and report["works_updated"] == 1
    assert store.find_work("058:SOC-9") == work_id


def test_a_similar_title_waits_for_review(node: Node, tmp_path: Path) -> None:
    send(node, tmp_path, "PUB", valid_work("W1", "LANTERNS OVER THE BAY"))
    store = Store(node.url)
    work_id = store.find_work("PUB:W1")
    spelt = change(valid_work("X1", "LANTERN OVER THE BAY"), "NWR", iswc=None)
    report = send(node, tmp_path, "OTH", spelt)
    assert report["statuses"] == {"RA": 1} and report["matches_queued"] == 1
    assert report["works_created"] == 0 and store.count_works() == 1

    _, waiting = node("matches", "list", "--json")
    [entry] = waiting["matches"]
    assert entry["candidate"]["id"] == work_id and entry["incoming"]["number"] == "X1"
    assert 80 <= entry["score"] < 95
    _, confirmed = node("matches", "confirm", "--json", str(entry["id"]))
    assert confirmed["match"]["status"] == "confirmed"
    assert confirmed["match"]["work_id"] == work_id
    assert store.count_works() == 1
    assert store.find_work("OTH:X1") == work_id
    work = store.load_work(work_id)
    assert work is not None and {c.source.partner for c in work.claims} == {"PUB", "OTH"}
    _, none_left = node("matches", "list", "--json")
    assert none_left["matches"] == []
    # the ACK now says what became of it
    _, acked = node("ack", "--json", str(tmp_path / "CW260001OTH_052.V21"), "-o", str(tmp_path))
    assert acked["files"][0]["statuses"] in ({"AS": 1}, {"CO": 1})
    code, err = node.raw("matches", "confirm", str(entry["id"]))
    assert code == 2 and "already" in err


def test_a_rejected_match_becomes_a_new_work(node: Node, tmp_path: Path) -> None:
    send(node, tmp_path, "PUB", valid_work("W1", "LANTERNS OVER THE BAY"))
    send(node, tmp_path, "OTH", change(valid_work("X1", "LANTERN OVER THE BAY"), "NWR", iswc=None))
    _, waiting = node("matches", "list", "--json")
    _, rejected = node("matches", "reject", "--json", str(waiting["matches"][0]["id"]))
    store = Store(node.url)
    assert store.count_works() == 2
    assert rejected["match"]["work_id"] == store.find_work("OTH:X1") != store.find_work("PUB:W1")


def test_no_match_on_a_title_alone_or_other_numbers(node: Node, tmp_path: Path) -> None:
    send(node, tmp_path, "PUB", valid_work("W1", "SYMPHONY 1"))
    other_writer = change(
        change(valid_work("X1", "SYMPHONY 1"), "NWR", iswc=None),
        "SWR",
        writer_last_name="SOMEONE",
        ipi_name_number="00052210040",
    )
    send(node, tmp_path, "OTH", other_writer)
    send(node, tmp_path, "THR", change(valid_work("Y1", "SYMPHONY 2"), "NWR", iswc=None))
    store = Store(node.url)
    assert store.count_works() == 3
    _, waiting = node("matches", "list", "--json")
    assert waiting["matches"] == []


def test_score() -> None:
    assert score(100, 1.0) == 100 and score(100, -1) == 70 and score(90, 0.5) == 81
