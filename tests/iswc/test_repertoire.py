"""Our works and the ISWC database: submit, lookup, answers kept, conflicts, tasks.

Against the stand-in on a loopback port (tests/iswc_standin), on the store of
each engine; the works are members' works of agency 128.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from exchange.identifiers import iswc as iswc_id
from exchange.iswc import repertoire, tasks
from exchange.iswc.client import IswcClient
from exchange.model import Work, WorkNumber
from exchange.store import Store
from exchange.store import conflicts as stored_conflicts
from exchange.store import tables as t
from exchange.store.rows import now
from tests.iswc.conftest import UNKNOWN_IPI, WRITERS, FakeClock, StandIn, make_client, member_work

pytestmark = [pytest.mark.iswc, pytest.mark.http]


def calls(store: Store) -> int:
    with store.connect() as conn:
        return conn.execute(select(func.count()).select_from(t.iswc_calls)).scalar_one()


@pytest.fixture
def api(standin: StandIn, store: Store, clock: FakeClock):
    with make_client(standin.url, store, clock, batch_size=2) as client:
        yield client


def submit(store: Store, api: IswcClient) -> repertoire.Report:
    return repertoire.submit(store, api, deadline_days=60)


def test_submit_stores_iswcs_and_rejections_then_sends_nothing_twice(
    store: Store, api: IswcClient
) -> None:
    ids = store.add_works(
        [
            (member_work("FIRST WORK", "R1"), None),
            (member_work("SECOND WORK", "R2", "ROLLINS"), None),
            (member_work("UNKNOWN WRITER", "R3", UNKNOWN_IPI), None),
            (Work("NOT OURS", numbers=[WorkNumber("052", "X")]), None),
        ]
    )
    report = submit(store, api)
    assert report.considered == 3 and report.sent == 3  # 2 batches of at most 2
    outcomes = {w.work_id: w for w in report.works}
    assert outcomes[ids[0]].outcome == outcomes[ids[1]].outcome == "accepted"
    rejected = outcomes[ids[2]]
    assert rejected.outcome == "rejected" and rejected.rejection["code"] == "137"
    for work_id in ids[:2]:
        work = store.load_work(work_id)
        assert work.iswc == outcomes[work_id].iswc and iswc_id.is_valid(work.iswc)
        state = store.iswc_state(work_id)
        assert state["iswcs"][0]["source"]["partner"] == "ISWC-DB"
        assert state["submission"]["outcome"] == "accepted"
    state = store.iswc_state(ids[2])
    assert state["submission"]["outcome"] == "rejected"
    assert [r["code"] for r in state["rejections"]] == ["137"]
    made = calls(store)

    again = submit(store, api)
    assert (again.sent, again.unchanged, again.works) == (0, 3, [])
    assert calls(store) == made  # not one request

    changed = store.load_work(ids[1])
    with store.connect() as conn:
        store.writer(conn).update_works([(ids[1], Work("SECOND WORK (REVISED)",
                                                       iswc=changed.iswc), None)])  # fmt: skip
    third = submit(store, api)
    assert third.sent == 1
    [update] = third.works
    assert (update.work_id, update.method, update.outcome) == (ids[1], "update", "accepted")
    assert update.iswc == changed.iswc


def test_another_iswc_from_the_database_opens_a_conflict(
    store: Store, api: IswcClient, standin: StandIn, clock: FakeClock
) -> None:
    held = "T0345246801"
    [work_id] = store.add_works([(member_work("HELD WORK", "R9"), None)])
    # the database knows the work already, under the ISWC it gave
    with make_client(standin.url, store, clock) as other:
        given = other.add({"agency": "128", "sourcedb": 128, "workcode": "R9",
                           "category": "DOM", "originalTitle": "HELD WORK",
                           "interestedParties": [{"nameNumber": int(WRITERS["CORLEY"]),
                                                  "role": "C"}]}).iswc  # fmt: skip
    with store.connect() as conn:
        store.writer(conn).set_iswc(work_id, held, None)  # a partner gave us another
    [outcome] = submit(store, api).works
    assert outcome.outcome == "conflict" and outcome.iswc == given
    assert store.load_work(work_id).iswc == held  # never overwritten silently
    with store.connect() as conn:
        [conflict] = stored_conflicts.find(conn, work_id=work_id, kind="iswc")
    assert conflict.detail["received"] == given and conflict.detail["held"] == held


def test_lookup_finds_iswcs_of_works_without_one(
    store: Store, api: IswcClient, standin: StandIn, clock: FakeClock
) -> None:
    [known, unknown] = store.add_works(
        [(member_work("KNOWN THERE", "K1"), None), (member_work("NOWHERE", "K2"), None)]
    )
    with make_client(standin.url, store, clock) as other:
        given = other.add({"agency": "128", "sourcedb": 128, "workcode": "K1",
                           "category": "DOM", "originalTitle": "KNOWN THERE",
                           "interestedParties": [{"nameNumber": int(WRITERS["CORLEY"]),
                                                  "role": "C"}]}).iswc  # fmt: skip
    report = repertoire.lookup(store, api, deadline_days=60)
    found = {w.work_id: w.outcome for w in report.works}
    assert found == {known: "found", unknown: "not found"}
    assert store.load_work(known).iswc == given
    assert store.iswc_state(known)["iswcs"][0]["source"]["partner"] == "ISWC-DB"
    # found from the database: nothing to submit for it, the other still goes
    assert [w.work_id for w in submit(store, api).works] == [unknown]


def test_tasks_on_our_works_with_their_deadline_and_conflicts(
    store: Store, api: IswcClient, standin: StandIn, clock: FakeClock
) -> None:
    [work_id] = store.add_works([(member_work("SHARED WORK", "R1", "CORLEY", "ROLLINS"), None)])
    with make_client(standin.url, store, clock, agency="052") as sister:
        theirs = {"agency": "052", "sourcedb": 52, "workcode": "S9", "category": "INT",
                  "originalTitle": "SHARED WORK",
                  "interestedParties": [{"nameNumber": int(WRITERS[n]), "role": "C"}
                                        for n in ("CORLEY", "ROLLINS")]}  # fmt: skip
        shared = sister.add(theirs).iswc
        [ours] = submit(store, api).works
        assert ours.iswc == shared
        assert sister.update({**theirs, "originalTitle": "SHARED WORK (NEW)"}, shared).ok
    with store.connect() as conn:
        stored_conflicts.open_iswc_conflict(conn, work_id, "058", shared, "T0345246801", None,
                                            now())  # fmt: skip
    [view] = tasks.list_tasks(store, api, auto_approve_days=30)
    data = view.as_dict()
    assert data["work"]["id"] == work_id and data["type"] == "UpdateApproval"
    assert (view.deadline - view.task.created).days == 30
    assert [c["kind"] for c in data["conflicts"]] == ["iswc"]
    done = tasks.decide(store, api, view.task.task_id, "reject", "not ours",
                        auto_approve_days=30)  # fmt: skip
    assert done.task.status == "Rejected"


def test_a_429_and_a_lost_answer_are_retried_without_a_second_submission(
    store: Store, clock: FakeClock
) -> None:
    from tests.iswc.conftest import running_standin
    from tests.iswc.test_client import DroppingProxy

    ids = store.add_works(
        [(member_work("LOST ANSWER", "R1"), None), (member_work("SLOW GATEWAY", "R2"), None)]
    )
    with running_standin(clock.time, rpm=1) as standin:  # a second request a minute: 429
        proxy = DroppingProxy(standin.url, drops=1)  # the first batch's answer is lost
        try:
            with make_client(proxy.url, store, clock, batch_size=1) as api:
                report = submit(store, api)
                assert submit(store, api).sent == 0
        finally:
            proxy.close()
        assert len(standin.db.infos) == 2 and len(standin.db.records) == 2  # one each
    assert [w.outcome for w in report.works] == ["accepted", "accepted"]
    with store.connect() as conn:
        statuses = [row.status for row in conn.execute(select(t.iswc_calls))]
        kept = conn.execute(select(func.count()).select_from(t.iswc_submissions)).scalar_one()
    assert None in statuses and 429 in statuses and statuses.count(207) == 2
    assert kept == 2
    assert {store.load_work(i).iswc for i in ids} == {w.iswc for w in report.works}
