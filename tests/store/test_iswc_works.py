"""What the store keeps of our works in the ISWC database, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from exchange.model import Source, Work
from exchange.store import Store
from exchange.store import iswc_works as iw

pytestmark = pytest.mark.iswc

OLD, NEW = "T9000000011", "T9000000022"


def test_submissions_rejections_and_iswcs_with_their_sources(store: Store) -> None:
    [work_id] = store.add_works([(Work("A WORK"), None)])
    with store.connect() as conn:
        iw.record_submission(
            conn, work_id, workcode="7", digest="d1", method="add", iswc=None,
            rejection=("137", "IP not found"),
        )  # fmt: skip
        iw.record_submission(
            conn, work_id, workcode="7", digest="d2", method="add", iswc=OLD, rejection=None
        )
        writer = store.writer(conn)
        [sid] = writer.source_ids([Source(iw.ISWC_DATABASE, received_at=datetime.now(UTC))])
        assert iw.set_preferred(writer, work_id, OLD, sid, {"by": "submit"})
        assert not iw.set_preferred(writer, work_id, OLD, sid, {"by": "submit"})
    state = store.iswc_state(work_id)
    assert state["submission"]["digest"] == "d2" and state["submission"]["outcome"] == "accepted"
    assert [(r["code"], r["message"]) for r in state["rejections"]] == [("137", "IP not found")]
    [held] = state["iswcs"]
    assert held["iswc"] == OLD and held["status"] == "preferred"
    assert held["source"]["partner"] == iw.ISWC_DATABASE
    assert store.load_work(work_id).iswc == OLD


def test_a_merge_keeps_the_old_iswc_archived_and_it_still_finds_the_work(store: Store) -> None:
    [work_id] = store.add_works([(Work("A WORK", iswc=OLD), None)])
    with store.connect() as conn:
        writer = store.writer(conn)
        writer.file_id = None
        source = Source("CISAC", "ISWC20261202100000128315.CSN", 1, datetime.now(UTC), "MER")
        [sid] = writer.source_ids([source])
        iw.archive(writer, work_id, OLD, NEW, sid, {"transaction": "MER"})
    assert store.load_work(work_id).iswc == NEW
    assert store.find_work(NEW) == work_id
    assert store.find_work("T-900.000.001-1") == work_id  # the archived one
    iswcs = store.iswc_state(work_id)["iswcs"]
    assert [(i["iswc"], i["status"], i["preferred"]) for i in iswcs] == [
        (NEW, "preferred", None),
        (OLD, "archived", NEW),
    ]
    assert iswcs[1]["source"]["file"] == "ISWC20261202100000128315.CSN"
    history = [(h.entity, h.action) for h in store.history(work_id)]
    assert ("iswc", "archive") in history and ("iswc", "add") in history


def test_a_work_folded_into_another_brings_its_iswcs_and_rejections(store: Store) -> None:
    kept, folded = store.add_works([(Work("KEPT"), None), (Work("FOLDED"), None)])
    with store.connect() as conn:
        writer = store.writer(conn)
        iw.set_preferred(writer, kept, NEW, None, {})
        iw.set_preferred(writer, folded, OLD, None, {})
        iw.set_preferred(writer, folded, NEW, None, {})  # OLD replaced: NEW held by both
        iw.record_submission(conn, folded, workcode="2", digest="d", method="add", iswc=None,
                             rejection=("137", "IP not found"))  # fmt: skip
        writer.fold_work(folded, kept, None)
    state = store.iswc_state(kept)
    assert sorted((i["iswc"], i["status"]) for i in state["iswcs"]) == [
        (OLD, "replaced"),
        (NEW, "preferred"),
    ]
    assert [r["code"] for r in state["rejections"]] == ["137"]
    assert store.find_work(OLD) == kept
