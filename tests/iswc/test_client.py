"""The ISWC client against the stand-in: submissions, searches, merges, tasks, limits.

A real uvicorn server on a loopback port; the stand-in's clock and the client's
clock and sleep are one :class:`FakeClock`, so a test that waits for a rate
limit waits for no real time. The shared rate limit is also run by real
processes at once, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from exchange.identifiers import iswc as iswc_id
from exchange.iswc.answers import TaskUpdate
from exchange.iswc.client import IswcClient
from exchange.iswc.payloads import PayloadError, submission
from exchange.iswc.rate import QuotaExhausted, RateLimit
from exchange.iswc.transport import IswcAuthError, IswcError, IswcUnavailable
from exchange.store import Store
from exchange.store import tables as t
from tests.iswc.conftest import (
    KEY,
    UNKNOWN_IPI,
    FakeClock,
    StandIn,
    make_client,
    running_standin,
    work,
)

pytestmark = [pytest.mark.iswc, pytest.mark.http]

REPO = Path(__file__).resolve().parents[2]


def calls(store: Store) -> list[tuple[str, str, int | None, str | None]]:
    with store.connect() as conn:
        rows = conn.execute(select(t.iswc_calls).order_by(t.iswc_calls.c.id)).all()
    return [(r.method, r.path, r.status, r.error_code) for r in rows]


def test_a_work_added_gets_an_iswc_and_the_call_is_recorded(
    client: IswcClient, sqlite_store: Store
) -> None:
    result = client.add(submission(work("SLATTERY ISLAND", "R0008442"), agency="128",
                                   source_db=128))  # fmt: skip
    assert result.ok and result.workcode == "R0008442"
    assert result.iswc is not None and iswc_id.is_valid(result.iswc)
    assert calls(sqlite_store) == [("POST", "/submission", 201, None)]


def test_a_batch_with_bad_items_gives_a_result_per_item(
    client: IswcClient, sqlite_store: Store
) -> None:
    works = [
        work("FIRST", "R1"),
        work("SECOND", "R2", "CORLEY", UNKNOWN_IPI),  # 137
        work("THIRD", "R3", iswc="T0345246802"),  # a bad check digit: not sent
        work("FOURTH", "R4"),
    ]
    bodies = [submission(w, agency="128", source_db=128) for w in works]
    bodies[2]["iswc"] = "T0345246802"  # as a careless sender would: 141
    bodies.append({**bodies[3], "workcode": "R5", "iswc": "T12345"})  # 113
    results = client.add_batch(bodies)
    assert [r.submission_id for r in results] == [1, 2, 3, 4, 5]
    assert [r.rejection.code if r.rejection else None for r in results] == [
        None, "137", "141", None, "113",
    ]  # fmt: skip
    assert all(iswc_id.is_valid(r.iswc or "") for r in results if r.ok)
    assert "00999999999" in str(results[1].rejection)
    assert calls(sqlite_store) == [("POST", "/submission/batch", 207, None)]
    with sqlite_store.connect() as conn:
        row = conn.execute(select(t.iswc_calls)).one()
    assert (row.items, row.rejected) == (5, 3)


def test_a_single_rejection_is_typed(client: IswcClient) -> None:
    body = submission(work("UNKNOWN WRITER", "R6", UNKNOWN_IPI), agency="128", source_db=128)
    result = client.add(body)
    assert not result.ok and result.rejection is not None
    assert result.rejection.code == "137" and "IPI" in result.rejection.message
    assert client.search_by_iswc("T0345246802").rejection.code == "141"


def test_a_work_that_cannot_be_sent_says_why() -> None:
    nameless = work("NO IPI", "R7", "NOBODY")
    nameless.claims[0].party.ipi_name_number = None
    with pytest.raises(PayloadError, match="writer 'NOBODY' .C. has no IPI name number"):
        submission(nameless, agency="128", source_db=128)


def test_searches_by_agency_work_code_single_and_batch(client: IswcClient) -> None:
    added = client.add_batch([submission(work(f"SONG {n}", f"R{n}"), agency="128",
                                         source_db=128) for n in (1, 2)])  # fmt: skip
    found = client.search_by_agency_work_code("R1")
    assert [m.iswc for m in found.results] == [added[0].iswc]
    assert found.results[0].workcodes("128") == ["R1"]
    batch = client.search_by_agency_work_code_batch(["R2", "R404", "R1"])
    assert [[m.iswc for m in r.results] for r in batch] == [[added[1].iswc], [], [added[0].iswc]]
    assert client.search_by_agency_work_code("R404").results == []
    by_title = client.search_by_title_and_contributor(
        [{"title": "song 2", "type": "OT"}], [{"lastName": "CORLEY"}]
    )
    assert [m.iswc for m in by_title.results] == [added[1].iswc]
    (both,) = client.search_by_title_and_contributor_batch(
        [([{"title": "SONG 1", "type": "OT"}], [{"nameNumber": 458930030}])]
    )
    assert [m.iswc for m in both.results] == [added[0].iswc]
    assert client.delete(added[0].iswc, "R1", "R01") is None
    assert client.search_by_agency_work_code("R1").results == []
    assert client.delete(added[0].iswc, "R1", "R01").code == "130"


def test_updates_single_and_batch(client: IswcClient) -> None:
    bodies = [submission(work(f"OLD {n}", f"R{n}"), agency="128", source_db=128) for n in (1, 2)]
    first, second = client.add_batch(bodies)
    assert client.update({**bodies[0], "originalTitle": "NEW 1"}, first.iswc or "").ok
    changed = client.update_batch(
        [{**bodies[1], "originalTitle": "NEW 2", "preferredIswc": second.iswc},
         {**bodies[0], "originalTitle": "NEWER 1"}]  # no preferred ISWC: 107
    )  # fmt: skip
    assert [r.iswc for r in changed] == [second.iswc, None]
    assert changed[1].rejection is not None and changed[1].rejection.code == "107"
    titles = [client.search_by_iswc(r.iswc or "").results[0].original_title
              for r in (first, second)]  # fmt: skip
    assert titles == ["NEW 1", "NEW 2"]


def test_merge_then_the_search_shows_the_preferred_iswc(client: IswcClient) -> None:
    first, second = client.add_batch(
        [submission(work(title, code), agency="128", source_db=128)
         for title, code in (("MERGED INTO", "R1"), ("MERGED", "R2"))]
    )  # fmt: skip
    assert first.iswc != second.iswc
    assert client.merge(first.iswc, iswcs=[second.iswc]) is None
    (preferred,) = client.search_by_agency_work_code("R2").results
    assert preferred.iswc == first.iswc and preferred.linked_iswcs == [second.iswc]
    (archived,) = client.search_by_iswc(second.iswc).results
    assert archived.preferred_iswc == first.iswc
    assert client.merge(first.iswc, iswcs=[first.iswc]).code == "156"  # itself
    assert client.merge(first.iswc, iswcs=[second.iswc]).code == "157"  # merged already
    assert client.demerge(first.iswc, "R2") is None
    (again,) = client.search_by_agency_work_code("R2").results
    assert again.iswc == second.iswc and again.parent_iswc is None


def test_workflow_tasks_listed_and_rejected(
    standin: StandIn, client: IswcClient, sqlite_store: Store, clock: FakeClock
) -> None:
    ours = submission(work("SHARED WORK", "R1", "CORLEY", "ROLLINS"), agency="128",
                      source_db=128)  # fmt: skip
    theirs = submission(work("SHARED WORK", "S9", "CORLEY", "ROLLINS", agency="052"),
                        agency="052", source_db=52)  # fmt: skip
    with make_client(standin.url, sqlite_store, clock, agency="052") as sister:
        shared = sister.add(theirs).iswc
        assert client.add(ours).iswc == shared  # matched: the same title and creators
        changed = sister.update({**theirs, "originalTitle": "SHARED WORK (NEW)"}, shared)
        assert changed.ok
    (task,) = client.workflow_tasks()
    assert (task.workflow_type, task.status) == ("UpdateApproval", "Outstanding")
    assert (task.originating_agency, task.assigned_agency) == ("052", "128")
    assert task.metadata is not None and task.metadata.iswc == shared
    (done,) = client.update_workflow_tasks(
        [TaskUpdate(task.task_id, task.workflow_type, "Rejected", "not our change")]
    )
    assert done.status == "Rejected" and done.rejection is None
    (again,) = client.update_workflow_tasks([TaskUpdate(task.task_id, "UpdateApproval",
                                                        "Approved")])  # fmt: skip
    assert again.rejection is not None and again.rejection.code == "152"
    (metadata,) = client.search_by_iswc(shared).results
    assert metadata.original_title == "SHARED WORK"  # the rejected change was undone
    assert client.workflow_tasks(statuses=["Outstanding"]) == []
    with make_client(standin.url, sqlite_store, clock, agency="052") as sister:
        assert sister.update({**theirs, "originalTitle": "AGAIN"}, shared).ok
        (created,) = sister.workflow_tasks(show="CreatedByMe", statuses=["Outstanding"])
    clock.now += 30 * 86400  # nobody answers for 30 days: approved
    (approved,) = client.workflow_tasks(statuses=["Approved"])
    assert approved.task_id == created.task_id != task.task_id


def test_429_is_waited_for_and_retried(sqlite_store: Store) -> None:
    clock = FakeClock()
    with (
        running_standin(clock.time, rpm=2) as standin,
        make_client(standin.url, sqlite_store, clock) as client,
    ):
        results = [client.search_by_iswc("T0345246801") for _ in range(3)]
    assert all(r.results == [] and r.rejection is None for r in results)
    # the Retry-After of the gateway, on the test's clock (and the bucket's short waits)
    assert 60.0 in clock.slept and sum(clock.slept) < 61.0
    statuses = [status for _m, _p, status, _c in calls(sqlite_store)]
    assert statuses == [404, 404, 429, 404]
    with sqlite_store.connect() as conn:
        attempts = conn.execute(select(t.iswc_calls.c.attempt)).scalars().all()
    assert attempts == [1, 1, 1, 2]


def test_5xx_is_retried_with_a_growing_pause_then_given_up(
    standin: StandIn, client: IswcClient
) -> None:
    standin.gateway.failures.extend([503, 502])
    assert client.search_by_agency_work_code("R1").results == []
    standin.gateway.failures.extend([503] * 5)
    with pytest.raises(IswcUnavailable, match="answered 503 5 times"):
        client.search_by_agency_work_code("R1")


def test_a_wrong_key_is_a_clear_error(standin: StandIn, sqlite_store: Store) -> None:
    clock = FakeClock()
    refused = "refused the subscription key .401: Access denied due to invalid"
    with (
        make_client(standin.url, sqlite_store, clock, key="wrong") as client,
        pytest.raises(IswcAuthError, match=refused),
    ):
        client.search_by_iswc("T0345246801")
    assert calls(sqlite_store) == [("GET", "/iswc/searchByIswc", 401, None)]


def test_a_url_that_is_no_web_address_is_refused(sqlite_store: Store) -> None:
    with pytest.raises(IswcError, match="'cisac.example' is no http"):
        make_client("cisac.example", sqlite_store, FakeClock())


def test_the_bucket_spaces_requests_and_counts_the_month(sqlite_store: Store) -> None:
    clock = FakeClock()
    limit = RateLimit(sqlite_store, "https://iswc.example", per_minute=10, per_month=12,
                      clock=clock.time, sleep=clock.sleep)  # fmt: skip
    times = [limit.acquire() for _ in range(12)]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(gap == pytest.approx(6.0) for gap in gaps)
    assert all(times[i + 10] - times[i] >= 60.0 - 1e-6 for i in range(len(times) - 10))
    with pytest.raises(QuotaExhausted, match="12 requests a month .* used up; more from"):
        limit.acquire()
    assert limit.used()["month_calls"] == 12


SHARER = """
import sys
from exchange.iswc.client import IswcClient
from exchange.store import Store
url, base, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
with Store(url) as store, IswcClient(base, agency="128", source_db=128, key=sys.argv[4],
                                     store=store, requests_per_minute=5, window=1.0) as client:
    print("ready", flush=True)
    sys.stdin.readline()
    for _ in range(count):
        client.search_by_iswc("T0345246801")
print("done", flush=True)
"""


def test_two_processes_share_the_bucket(db_url: str) -> None:
    """Five requests a second between them: never more in any second, both at once."""
    with Store(db_url) as store:
        store.init()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    with running_standin(time.time) as standin:
        command = [sys.executable, "-c", SHARER, db_url, standin.url, "8", KEY]
        workers = [
            subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
            for _ in range(2)
        ]  # fmt: skip
        try:
            for worker in workers:
                assert worker.stdout is not None and worker.stdout.readline() == "ready\n"
            for worker in workers:
                assert worker.stdin is not None
                worker.stdin.write("go\n")
                worker.stdin.flush()
            outputs = [worker.communicate(timeout=300)[0] for worker in workers]
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
        assert [worker.returncode for worker in workers] == [0, 0], outputs
    with Store(db_url) as store, store.connect() as conn:
        times = sorted(r.at.timestamp() for r in conn.execute(select(t.iswc_calls)).all())
    assert len(times) == 16
    with Store(db_url) as store:  # one bucket counted both processes' requests
        assert RateLimit(store, standin.url).used()["month_calls"] == 16
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= 0.2 - 1e-3  # one token every 1/5 s, shared
    assert all(times[i + 5] - times[i] >= 1.0 - 1e-3 for i in range(len(times) - 5))


class DroppingProxy:
    """A loopback proxy to the stand-in that, ``drops`` times, lets a request through and
    then hangs up without passing the answer on (a connection lost after the fact)."""

    def __init__(self, upstream: str, drops: int) -> None:
        self.upstream = httpx.URL(upstream)
        self.drops = drops
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # closed
            with conn:
                request = self._read_request(conn)
                upstream = socket.create_connection((self.upstream.host, self.upstream.port))
                with upstream:
                    upstream.sendall(request)
                    answer = b"".join(iter(partial(upstream.recv, 65536), b""))
                if self.drops > 0:
                    self.drops -= 1
                    continue  # hang up: the request was processed, its answer is lost
                conn.sendall(answer)

    @staticmethod
    def _read_request(conn: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, body = data.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        length = next((int(v) for k, _, v in (line.partition(b":") for line in lines[1:])
                       if k.strip().lower() == b"content-length"), 0)  # fmt: skip
        while len(body) < length:
            body += conn.recv(65536)
        kept = [line for line in lines if not line.lower().startswith(b"connection:")]
        return b"\r\n".join([*kept, b"Connection: close"]) + b"\r\n\r\n" + body

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() of the thread
        self.listener.close()
        self.thread.join(10)


def test_a_dropped_connection_is_retried_without_a_second_submission(
    standin: StandIn, sqlite_store: Store, clock: FakeClock
) -> None:
    proxy = DroppingProxy(standin.url, drops=1)
    try:
        with make_client(proxy.url, sqlite_store, clock) as client:
            result = client.add(submission(work("LOST ANSWER", "R1"), agency="128",
                                           source_db=128))  # fmt: skip
    finally:
        proxy.close()
    assert result.ok and result.iswc is not None
    assert [s for _m, _p, s, _c in calls(sqlite_store)] == [None, 201]
    assert len(standin.db.records) == 1 and len(standin.db.infos) == 1  # one work, one ISWC
    assert clock.slept[-1] == 2.0  # the first pause of the backoff
