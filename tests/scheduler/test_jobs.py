"""The scheduler: cron times in a partner's zone, jobs kept in the store, runs recorded."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from exchange.cli.common import NodeContext
from exchange.cli.scheduler import scheduler
from exchange.config import ConfigError, NodeConfig, load_config
from exchange.demo import sample_works
from exchange.errors import ExchangeError
from exchange.model import Partner
from exchange.scheduler.cron import crontab_trigger, next_runs
from exchange.scheduler.jobs import (
    JOBS_TABLE,
    POLL_SECONDS,
    NodeScheduler,
    SharedJobStore,
    run_scheduled,
)
from exchange.scheduler.runs import read_records
from exchange.store import Store
from exchange.store.leases import current_holder
from exchange.transports.folder import FolderTransport
from tests.imports.test_acks import Node
from tests.sync.test_session import folder_node

pytestmark = pytest.mark.scheduler

PARIS = ZoneInfo("Europe/Paris")


def set_schedule(config: Path, schedule: str | None, timezone: str = "UTC") -> None:
    """Give partner 052 of a folder node's configuration a schedule (None: take it away)."""
    lines = [
        line
        for line in config.read_text().splitlines()
        if not line.startswith(("schedule =", "timezone ="))
    ]
    toml = "\n".join(lines) + "\n"
    if schedule is not None:
        toml = toml.replace(
            'send = ["cwr22"]\n',
            f'send = ["cwr22"]\nschedule = "{schedule}"\ntimezone = "{timezone}"\n',
            1,
        )
    config.write_text(toml)


def scheduled_node(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    url: str,
    schedule: str,
    timezone: str = "UTC",
) -> tuple[Node, NodeConfig]:
    """Node 058 with works to send to partner 052 on ``schedule``, through folders."""
    node = folder_node(capsys, tmp_path, "058", "052", url)
    set_schedule(node.config, schedule, timezone)
    with Store(url) as store:
        store.add_works((w, w.claims[0].source) for w in sample_works())
    return node, load_config(node.config)


def wait_for(condition: Callable[[], Any], timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"still waiting after {timeout} s")


def invoke(config: Path, url: str, *args: str) -> Any:
    context = NodeContext(db_url=url, config_path=str(config))
    return CliRunner().invoke(scheduler, list(args), obj=context)


def minute_floor(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


@pytest.fixture
def store_of() -> Iterator[Callable[[str], Store]]:
    """Stores opened by a test, each with its own engine, closed afterwards."""
    opened: list[Store] = []

    def open_store(url: str) -> Store:
        opened.append(Store(url))
        return opened[-1]

    yield open_store
    for store in opened:
        store.close()


def stop_node_at(store: Store, config: NodeConfig, next_run: datetime) -> None:
    """A node that ran and stopped, leaving its job of 052 due at ``next_run``."""
    node_scheduler = NodeScheduler(store, config)
    node_scheduler.start(paused=True)
    node_scheduler.scheduler.modify_job("052", next_run_time=next_run)
    node_scheduler.shutdown()
    with store.connect() as conn:  # stopping did not move the due run on
        stored = conn.execute(text(f"SELECT next_run_time FROM {JOBS_TABLE}")).scalar_one()
    assert stored == next_run.timestamp()


# -- schedules ------------------------------------------------------------------------


def fire_times(schedule: str, zone: str, after: datetime, count: int) -> list[datetime]:
    trigger = crontab_trigger(schedule, zone)
    fires: list[datetime] = []
    previous = None
    for _ in range(count):
        previous = trigger.get_next_fire_time(previous, previous or after)
        fires.append(previous)
    return fires


def test_weekdays_are_numbered_as_cron_numbers_them() -> None:
    monday = datetime(2026, 6, 1, 3, tzinfo=UTC)  # past 02:00 on a Monday

    def days(schedule: str) -> list[str]:
        return [f"{d:%a}" for d in fire_times(schedule, "UTC", monday, 7)]

    assert days("0 2 * * 1")[:2] == ["Mon", "Mon"]
    assert days("0 2 * * 0")[0] == days("0 2 * * 7")[0] == days("0 2 * * sun")[0] == "Sun"
    assert days("0 2 * * 1-5") == ["Tue", "Wed", "Thu", "Fri", "Mon", "Tue", "Wed"]
    assert days("0 2 * * 5-7")[:3] == ["Fri", "Sat", "Sun"]
    assert days("0 2 * * */2")[:4] == ["Tue", "Thu", "Sat", "Sun"]
    for wrong in ("0 2 * * 8", "0 2 * * 5-1", "0 2 1 * 1", "0 2 * *"):
        with pytest.raises(ValueError):
            crontab_trigger(wrong, "UTC")


def paris_config(schedule: str = "0 2 * * *") -> NodeConfig:
    partner = Partner(code="052", name="B", schedule=schedule, timezone="Europe/Paris")
    return NodeConfig(society_code="058", partners={"052": partner})


def test_next_runs_across_the_daylight_saving_changes() -> None:
    config = paris_config()
    [before_spring] = next_runs(config, datetime(2027, 3, 26, 12, tzinfo=PARIS))
    assert before_spring == {
        "partner": "052",
        "schedule": "0 2 * * *",
        "timezone": "Europe/Paris",
        "next_run": "2027-03-27T02:00:00+01:00",
        "next_run_utc": "2027-03-27T01:00:00+00:00",
    }
    # 28 March 2027: clocks jump from 02:00 to 03:00, the run is made at the jump
    [spring] = next_runs(config, datetime(2027, 3, 27, 12, tzinfo=PARIS))
    assert (spring["next_run"], spring["next_run_utc"]) == (
        "2027-03-28T03:00:00+02:00",
        "2027-03-28T01:00:00+00:00",
    )
    after = fire_times("0 2 * * *", "Europe/Paris", datetime(2027, 3, 27, 12, tzinfo=PARIS), 2)
    assert after[1].isoformat() == "2027-03-29T02:00:00+02:00"

    # 25 October 2026: 02:00 to 03:00 happens twice, the nightly run is made once
    autumn = fire_times("0 2 * * *", "Europe/Paris", datetime(2026, 10, 24, 12, tzinfo=PARIS), 3)
    assert [d.isoformat() for d in autumn] == [
        "2026-10-25T02:00:00+02:00",
        "2026-10-26T02:00:00+01:00",
        "2026-10-27T02:00:00+01:00",
    ]
    [october] = next_runs(config, datetime(2026, 10, 25, 1, tzinfo=PARIS))
    assert (october["next_run"], october["next_run_utc"]) == (
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T00:00:00+00:00",
    )
    # hourly schedules run in both passes of the repeated hour, as cron does
    hourly = fire_times("0 * * * *", "Europe/Paris", datetime(2026, 10, 25, 1, 30, tzinfo=PARIS), 3)
    assert [d.isoformat() for d in hourly] == [
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T03:00:00+01:00",
    ]


def test_list_and_status_commands(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    node, config = scheduled_node(capsys, tmp_path, url, "15 4 * * 1-5", "America/New_York")
    listed = invoke(node.config, url, "list", "--json")
    assert listed.exit_code == 0, listed.output
    [job] = json.loads(listed.stdout)["jobs"]
    assert (job["partner"], job["schedule"], job["timezone"]) == (
        "052",
        "15 4 * * 1-5",
        "America/New_York",
    )
    local = datetime.fromisoformat(job["next_run"])
    assert (local.hour, local.minute) == (4, 15) and local.isoweekday() <= 5
    assert local.utcoffset() == local.astimezone(ZoneInfo("America/New_York")).utcoffset()
    assert datetime.fromisoformat(job["next_run_utc"]) == local
    assert job["next_run_utc"].endswith("+00:00")
    human = invoke(node.config, url, "list")
    assert "052" in human.stdout and "America/New_York" in human.stdout

    never = invoke(node.config, url, "status", "--json")
    assert json.loads(never.stdout)["partners"][0]["last_run"] is None
    with Store(url) as store:
        run_scheduled(store, config, "052")
    shown = invoke(node.config, url, "status", "--json")
    [partner] = json.loads(shown.stdout)["partners"]
    last = partner["last_run"]
    assert (partner["partner"], last["outcome"], last["files"]) == (
        "052",
        "ok",
        {"in": 0, "out": 1, "delivered": 1},
    )
    assert last["transactions"] == {"accepted": 0, "rejected": 0}
    assert last["conflicts_opened"] == 0
    assert datetime.fromisoformat(last["started"]).utcoffset() in (
        timedelta(hours=-5),
        timedelta(hours=-4),
    )
    assert "ok" in invoke(node.config, url, "status").stdout

    set_schedule(node.config, None)
    assert "no partner has a schedule" in invoke(node.config, url, "list").stdout
    refused = invoke(node.config, url, "run")
    assert isinstance(refused.exception, ExchangeError)
    assert "no partner has a schedule" in str(refused.exception)


# -- jobs in the store ----------------------------------------------------------------------


def test_jobs_and_their_next_run_times_survive_a_restart(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_of: Callable[[str], Store]
) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    node, config = scheduled_node(capsys, tmp_path, url, "0 2 * * *", "Europe/Paris")
    first = NodeScheduler(store_of(url), config)
    assert first.start(paused=True).added == ["052"]
    [job] = first.jobs()
    due = job.next_run_time
    assert due.astimezone(PARIS).hour == 2
    first.shutdown()

    again = NodeScheduler(store_of(url), config)
    changes = again.start(paused=True)
    assert (changes.added, changes.kept) == ([], ["052"])
    [job] = again.jobs()
    assert job.next_run_time == due
    again.shutdown()
    with store_of(url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(text(JOBS_TABLE))).scalar_one() == 1

    set_schedule(node.config, "30 3 * * *", "Europe/Paris")
    moved = NodeScheduler(store_of(url), load_config(node.config))
    assert moved.start(paused=True).changed == ["052"]
    [job] = moved.jobs()
    assert (job.next_run_time.astimezone(PARIS).hour, job.next_run_time.minute) == (3, 30)
    moved.shutdown()

    set_schedule(node.config, None)
    gone = NodeScheduler(store_of(url), load_config(node.config))
    assert gone.start(paused=True).removed == ["052"]
    assert gone.jobs() == []
    gone.shutdown()


def test_runs_missed_while_down_are_made_once_within_the_grace_time(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_of: Callable[[str], Store]
) -> None:
    minute = minute_floor(datetime.now(UTC))
    missed = [minute - timedelta(minutes=n) for n in (3, 2, 1)]
    schedule = ",".join(str(m.minute) for m in missed) + " * * * *"  # the next is an hour away
    url = f"sqlite:///{tmp_path / 'a.db'}"
    node, config = scheduled_node(capsys, tmp_path, url, schedule)
    stop_node_at(store_of(url), config, missed[0])

    back = NodeScheduler(store_of(url), config)
    assert back.start().kept == ["052"]
    wait_for(lambda: back.runs)
    [job] = back.jobs()
    back.shutdown()
    assert [r["outcome"] for r in back.runs] == ["ok"]  # three missed runs, made once
    assert job.next_run_time > datetime.now(UTC)
    [record] = read_records(config)
    assert record["files"] == {"in": 0, "out": 1, "delivered": 1}
    assert [(e.direction, e.state) for e in store_of(url).ledger()] == [("out", "delivered")]
    [report] = (config.data_dir / "reports").glob("exchange-*.txt")
    assert "052  ok" in report.read_text()
    assert "files: 0 in, 1 out, 1 delivered" in report.read_text()


def test_a_run_missed_beyond_the_grace_time_is_recorded_missed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_of: Callable[[str], Store]
) -> None:
    due = minute_floor(datetime.now(UTC)) - timedelta(hours=2)
    url = f"sqlite:///{tmp_path / 'a.db'}"
    node, config = scheduled_node(capsys, tmp_path, url, f"{due.minute} {due.hour} * * *")
    stop_node_at(store_of(url), config, due)

    back = NodeScheduler(store_of(url), config)
    back.start()
    wait_for(lambda: back.runs)
    [job] = back.jobs()
    back.shutdown()
    [record] = read_records(config)
    assert record["outcome"] == "missed"
    assert datetime.fromisoformat(record["scheduled"]) == due
    assert "grace time of 3600 s" in record["error"]
    assert job.next_run_time == due + timedelta(days=1)
    assert store_of(url).ledger() == []  # nothing was exchanged
    shown = invoke(node.config, url, "status", "--json")
    assert json.loads(shown.stdout)["partners"][0]["last_run"]["outcome"] == "missed"


def test_a_due_run_is_claimed_once_and_only_by_a_scheduler_with_a_free_worker(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_of: Callable[[str], Store]
) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    node, config = scheduled_node(capsys, tmp_path, url, "0 2 * * *")
    due = minute_floor(datetime.now(UTC))
    stop_node_at(store_of(url), config, due)

    def job_store(workers: int) -> SharedJobStore:
        shared = SharedJobStore(engine=store_of(url).engine, tablename=JOBS_TABLE, workers=workers)
        shared.start(None, "default")
        return shared

    busy, first, second = job_store(0), job_store(1), job_store(1)
    now = datetime.now(UTC)
    assert busy.get_due_jobs(now) == []  # no free worker: the run is left for another
    [job] = first.get_due_jobs(now)
    assert (job.id, job.next_run_time) == ("052", due)
    assert second.get_due_jobs(now) == []  # claimed: the job's next run time moved on
    with store_of(url).connect() as conn:  # to the next 02:00 (UTC)
        moved = conn.execute(text(f"SELECT next_run_time FROM {JOBS_TABLE}")).scalar_one()
    after = datetime.fromtimestamp(moved, UTC)
    assert (after.hour, after.minute) == (2, 0) and now < after <= now + timedelta(days=1)
    assert first.get_due_jobs(now) == []  # its one worker is taken
    first.finished("052")
    looks_again = first.get_next_run_time()  # before the run, to look for others' runs
    assert looks_again <= datetime.now(UTC) + timedelta(seconds=POLL_SECONDS)


def test_workers_must_be_a_positive_number(tmp_path: Path) -> None:
    config = tmp_path / "node.toml"
    config.write_text('[node]\nsociety_code = "058"\n\n[scheduler]\nworkers = 0\n')
    with pytest.raises(ConfigError, match=r"node.toml: \[scheduler\] workers must be at least 1"):
        load_config(config)
    config.write_text('[node]\nsociety_code = "058"\n\n[scheduler]\nworkers = 3\n')
    assert load_config(config).scheduler_workers == 3


# -- no overlap, clean stops -----------------------------------------------------------------


#: How long a test waits for something that should happen at once (a busy machine).
PATIENCE = 120.0


class HeldDeliveries:
    """Deliveries that, once started, wait until the test lets them go on.

    The test decides when the exchange in the middle of its delivery may finish,
    rather than betting on a pause being long enough on a busy machine.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.go_on = threading.Event()
        original = FolderTransport.deliver

        def held(transport: FolderTransport, path: Path) -> Any:
            self.started.set()
            if not self.go_on.wait(PATIENCE):
                raise AssertionError(f"a delivery was held for {PATIENCE} s")
            return original(transport, path)

        monkeypatch.setattr(FolderTransport, "deliver", held)


def shutdowns_seen(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """An event set as soon as a scheduler starts shutting down."""
    stopping = threading.Event()
    original = NodeScheduler.shutdown

    def shutdown(self: NodeScheduler, wait: bool = True) -> None:
        stopping.set()
        original(self, wait)

    monkeypatch.setattr(NodeScheduler, "shutdown", shutdown)
    return stopping


@pytest.mark.postgres
def test_two_schedulers_never_exchange_with_a_partner_at_once(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    store_of: Callable[[str], Store],
) -> None:
    node, config = scheduled_node(capsys, tmp_path, pg_url, "0 2 * * *")
    held = HeldDeliveries(monkeypatch)  # the first run holds the partner until the other ends
    together = threading.Barrier(2)

    def scheduled_run(_: int) -> str:
        store = store_of(pg_url)  # each its own engine, as two processes would have
        together.wait()
        outcome = run_scheduled(store, config, "052").outcome
        if outcome == "busy":
            held.go_on.set()
        return outcome

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(scheduled_run, range(2)))
    assert outcomes == ["busy", "ok"]
    busy = next(r for r in read_records(config) if r["outcome"] == "busy")
    assert "busy" in busy["error"] and busy["files"] == {"in": 0, "out": 0, "delivered": 0}
    assert [(e.direction, e.state) for e in store_of(pg_url).ledger()] == [("out", "delivered")]
    assert current_holder(store_of(pg_url), "052") is None


def test_stopping_lets_the_running_exchange_finish(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    store_of: Callable[[str], Store],
) -> None:
    node, config = scheduled_node(capsys, tmp_path, db_url, "0 2 * * *")
    held = HeldDeliveries(monkeypatch)
    stopping = shutdowns_seen(monkeypatch)
    store = store_of(db_url)
    node_scheduler = NodeScheduler(store, config)
    node_scheduler.start(paused=True)
    node_scheduler.scheduler.modify_job("052", next_run_time=datetime.now(UTC))
    node_scheduler.resume()
    assert held.started.wait(PATIENCE)
    stopper = threading.Thread(target=node_scheduler.shutdown, kwargs={"wait": True})
    stopper.start()  # in the middle of the delivery...
    assert stopping.wait(PATIENCE)
    held.go_on.set()  # ...which then finishes
    stopper.join(PATIENCE)
    assert not stopper.is_alive() and not node_scheduler.running
    assert [r["outcome"] for r in node_scheduler.runs] == ["ok"]
    assert [(e.direction, e.state) for e in store.ledger()] == [("out", "delivered")]
    assert current_holder(store, "052") is None
    [delivered] = (tmp_path / "shared" / "to052").glob("CW*")
    assert delivered.stat().st_size > 0


def test_the_run_command_stops_cleanly_on_sigterm(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    store_of: Callable[[str], Store],
) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    node, config = scheduled_node(capsys, tmp_path, url, "0 2 * * *")
    stop_node_at(store_of(url), config, datetime.now(UTC))  # due as the command starts
    held = HeldDeliveries(monkeypatch)
    stopping = shutdowns_seen(monkeypatch)
    original = signal.getsignal(signal.SIGTERM)

    def terminate() -> None:
        if not held.started.wait(PATIENCE):
            return  # the command fails the test by itself
        if signal.getsignal(signal.SIGTERM) is not original:  # never kill the test run itself
            os.kill(os.getpid(), signal.SIGTERM)
            stopping.wait(PATIENCE)  # the command is stopping while the delivery is held
        held.go_on.set()

    killer = threading.Thread(target=terminate, daemon=True)
    killer.start()
    result = invoke(node.config, url, "run", "--json")
    killer.join()
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["jobs"]["kept"] == ["052"]
    assert [r["outcome"] for r in answer["runs"]] == ["ok"]  # stopped mid-run, finished first
    assert answer["runs"][0]["files"]["delivered"] == 1
    assert [(e.direction, e.state) for e in store_of(url).ledger()] == [("out", "delivered")]
    assert signal.getsignal(signal.SIGTERM) is original


def test_a_run_that_meets_a_refused_name_is_counted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_of: Callable[[str], Store]
) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    node, config = scheduled_node(capsys, tmp_path, url, "0 2 * * *")
    (tmp_path / "shared" / "to058" / "CW26\n0001052_058.V21").write_bytes(b"HDR\n")
    record = run_scheduled(store_of(url), config, "052")
    assert (record.outcome, record.received, record.accepted) == ("ok", [], 0)
    assert record.delivered  # the exchange went on
