"""Matching incoming works to the store: one work, however many times it arrives."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.imports.cwr import CwrImporter
from exchange.matching.matcher import Matcher, score
from exchange.matching.queue import Matches
from exchange.model import Claim, InterestedParty, Side, Work, WorkNumber
from exchange.store import Store
from tests.adapters.cwr.cwr_builder import CwrFile, change, valid_work
from tests.catalogues import common_title_catalogue, write_catalogue
from tests.imports.test_acks import Node, acks_in, node_config


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


# -- one sender's registrations under two numbers are two works ---------------------------


def _conflicts(node: Node) -> list[dict]:
    _, found = node("conflicts", "list", "--json")
    return found["conflicts"]


@pytest.mark.parametrize("iswc", ["T0345246801", None], ids=["same-iswc", "no-iswc"])
@pytest.mark.parametrize("files", [1, 2], ids=["one-file", "two-files"])
def test_two_numbers_of_one_sender_are_two_works(
    node: Node, tmp_path: Path, files: int, iswc: str | None
) -> None:
    """Same title and writers (and ISWC), two submitter numbers: two works, one entry in
    the review queue as a possible duplicate, the second answered RA, no conflict."""
    first = change(valid_work("W1", "LOVE"), "NWR", iswc=iswc)
    second = change(valid_work("W2", "LOVE"), "NWR", iswc=iswc)
    if files == 1:
        path = CwrFile(sender="PUB").add("NWR", first).add("NWR", second).write(tmp_path)
        _, imported = node("import", "--json", str(path))
        reports = imported["files"]
    else:
        path = tmp_path / "second" / "CW260001PUB_052.V21"
        reports = [send(node, tmp_path, "PUB", first)]
        path.parent.mkdir()
        reports.append(send(node, path.parent, "PUB", second))
    assert sum(r["works_created"] for r in reports) == 2
    assert sum(r["matches_queued"] for r in reports) == 1
    store = Store(node.url)
    one, two = store.find_work("PUB:W1"), store.find_work("PUB:W2")
    assert store.count_works() == 2 and None not in (one, two) and one != two
    _, waiting = node("matches", "list", "--json")
    [entry] = waiting["matches"]
    assert entry["kind"] == "duplicate" and entry["candidate"]["id"] == one
    assert entry["work_id"] == two and entry["incoming"]["number"] == "W2"
    _, detected = node("conflicts", "detect", "--json")  # one ISWC on two works of one sender
    assert detected["conflicts_found"] == 0 and _conflicts(node) == []
    _, acked = node("ack", "--json", str(path), "-o", str(tmp_path / "acks"))
    statuses = acked["files"][0]["statuses"]
    assert statuses == ({"AS": 1, "RA": 1} if files == 1 else {"RA": 1})
    [ack_file] = (tmp_path / "acks").iterdir()
    acks, _ = acks_in(ack_file)
    assert acks[-1].status == "RA" and acks[-1].recipient_number == str(two)


def test_a_rejected_duplicate_stays_two_works(node: Node, tmp_path: Path) -> None:
    send(node, tmp_path, "PUB", valid_work("W1", "HOME"))
    (tmp_path / "b").mkdir()
    send(node, tmp_path / "b", "PUB", valid_work("W2", "HOME"))
    _, waiting = node("matches", "list", "--json")
    _, rejected = node("matches", "reject", "--json", str(waiting["matches"][0]["id"]))
    store = Store(node.url)
    assert store.count_works() == 2
    assert rejected["match"]["work_id"] == store.find_work("PUB:W2")
    path = tmp_path / "b" / "CW260001PUB_052.V21"
    _, acked = node("ack", "--json", str(path), "-o", str(tmp_path / "acks"))
    assert acked["files"][0]["statuses"] == {"AS": 1}
    assert _conflicts(node) == []


def test_a_confirmed_duplicate_becomes_one_work(node: Node, tmp_path: Path) -> None:
    send(node, tmp_path, "PUB", valid_work("W1", "INTRO"))
    (tmp_path / "b").mkdir()
    again = change(valid_work("W2", "Intro!"), "NWR", iswc=None)
    again.append(("ALT", {"alternate_title": "INTRO REPRISE", "title_type": "AT"}))
    send(node, tmp_path / "b", "PUB", again)
    store = Store(node.url)
    one, two = store.find_work("PUB:W1"), store.find_work("PUB:W2")
    _, waiting = node("matches", "list", "--json")
    [entry] = waiting["matches"]
    assert entry["candidate"]["id"] == one and entry["work_id"] == two
    _, confirmed = node("matches", "confirm", "--json", str(entry["id"]))
    assert confirmed["match"]["status"] == "confirmed" and confirmed["match"]["work_id"] == one
    assert store.count_works() == 1
    assert store.find_work("PUB:W2") == one
    work = store.load_work(one)
    assert work is not None and "INTRO REPRISE" in [t.title for t in work.titles]
    assert {c.source.transaction for c in work.claims if c.source} == {0}
    assert _conflicts(node) == []
    path = tmp_path / "b" / "CW260001PUB_052.V21"
    _, acked = node("ack", "--json", str(path), "-o", str(tmp_path / "acks"))
    assert acked["files"][0]["statuses"] == {"AS": 1}


def test_the_same_number_again_revises_its_work(node: Node, tmp_path: Path) -> None:
    send(node, tmp_path, "PUB", valid_work("W1", "LOVE"))
    (tmp_path / "b").mkdir()
    revised = change(valid_work("W1", "LOVE"), "NWR", duration=300)
    report = send(node, tmp_path / "b", "PUB", revised, kind="REV")
    assert report["works_created"] == 0 and report["works_updated"] == 1
    assert report["matches_queued"] == 0 and Store(node.url).count_works() == 1


def test_other_senders_still_conflict(node: Node, tmp_path: Path) -> None:
    """The sender's duplicates raise nothing; another sender's counterclaim does."""
    send(node, tmp_path, "PUB", valid_work("W1", "LOVE"))
    (tmp_path / "b").mkdir()
    send(node, tmp_path / "b", "PUB", valid_work("W2", "LOVE"))
    assert _conflicts(node) == []
    other = change(
        change(valid_work("X1", "LOVE"), "SPU", publisher_name="OTHER MUSIC"),
        "SPU",
        ipi_name_number="00052210040",
    )
    other = change(other, "PWR", publisher_name="OTHER MUSIC")
    report = send(node, tmp_path, "OTH", other)
    assert report["conflicts_opened"] >= 1
    found = _conflicts(node)
    assert found and all(set(c["partners"]) == {"OTH", "PUB"} for c in found)


def test_a_catalogue_with_common_titles_is_all_its_own_works(db_url: str, tmp_path: Path) -> None:
    """5,000 works of one sender, many called LOVE, HOME or INTRO: 5,000 works, no
    conflict; those resembling an earlier one wait for review as possible duplicates."""
    works = common_title_catalogue(5000, "199")
    path = write_catalogue(works, tmp_path, "199")
    store = Store(db_url)
    store.init()
    report = CwrImporter(store).import_file(path)
    assert (report.rejected, report.works_created, report.works_updated) == (0, 5000, 0)
    assert report.conflicts_opened == 0 and store.count_works() == 5000
    assert report.statuses.get("RA", 0) == report.matches_queued > 0
    assert set(report.statuses) == {"AS", "RA"}
    queued = Matches(store, None, lambda _partner: 60).list()
    assert len(queued) == report.matches_queued
    assert {m.kind for m in queued} == {"duplicate"}
    assert all(m.work_id != m.candidate_id for m in queued)


def test_a_common_title_is_matched_through_its_writers(db_url: str) -> None:
    """Of many works called LOVE, the one by the incoming work's writer is found; a title
    alone reaches a ``review`` as low as a title without writers scores."""

    def love(last_name: str, ipi: str) -> Work:
        writer = InterestedParty(last_name=last_name, ipi_name_number=ipi)
        return Work(title="LOVE", claims=[Claim(writer, "CA", Side.WRITER)])

    store = Store(db_url)
    store.init()
    with store.connect() as conn:
        others = [love(f"OTHER {n}", None) for n in range(30)]
        ids = store.writer(conn).create_works(
            [(w, None) for w in [*others, love("SMITH", "00014107338")]]
        )
        incoming = love("SMITH", "00014107338")
        [found] = Matcher(conn).match_many([(incoming, "OTH")])
        assert found is not None and (found.work_id, found.score) == (ids[-1], 100)
        stranger = love("NOBODY", "00052210040")
        assert Matcher(conn).match_many([(stranger, "OTH")]) == [None]
        [alone] = Matcher(conn, review=score(100, 0)).match_many([(stranger, "OTH")])
        assert alone is not None and alone.score == score(100, 0)
