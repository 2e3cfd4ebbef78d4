"""The scheduled round with the ISWC database: submit, then collect notifications."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.iswc import json_files
from adapters.iswc.model import FileHeader, Notification, WorkInfo
from exchange.config import load_config
from exchange.scheduler.cron import next_runs
from exchange.scheduler.jobs import ISWC_JOB, NodeScheduler, run_iswc
from exchange.scheduler.runs import read_records
from exchange.store import Store
from tests.iswc.conftest import KEY, member_work, running_standin

pytestmark = [pytest.mark.iswc, pytest.mark.scheduler, pytest.mark.http]


def test_the_iswc_job_submits_then_applies_notifications(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXCHANGE_ISWC_KEY", KEY)
    inbox = tmp_path / "notifications"
    inbox.mkdir()
    url = f"sqlite:///{tmp_path / 'node.db'}"
    with running_standin(time.time) as standin, Store(url) as store:
        config_path = tmp_path / "exchange.toml"
        config_path.write_text(
            f'[node]\nsociety_code = "128"\ndata_dir = "{tmp_path / "data"}"\n\n'
            f'[iswc]\nurl = "{standin.url}"\nrequests_per_minute = 10000\n'
            f'notification_folder = "{inbox}"\nschedule = "30 3 * * *"\n'
        )
        config = load_config(config_path)
        store.init()
        [first, second] = store.add_works(
            [(member_work("FIRST WORK", "R1"), None), (member_work("SECOND", "R2"), None)]
        )
        day = datetime(2026, 12, 1, tzinfo=UTC)
        csn = Notification("T9000000011", "052", 52, "S1", "SECOND", day, day, "CAR",
                           submission_id=1, original_submission=1, status="FA",
                           work_info=(WorkInfo("128", 128, "R2", "T9000000011"),))  # fmt: skip
        name, data = json_files.write_notifications(FileHeader("315", "128", day, 315), [csn])
        (inbox / name).write_bytes(data)
        assert [j["partner"] for j in next_runs(config)] == [ISWC_JOB]

        node = NodeScheduler(store, config)
        assert node.start(paused=True).added == [ISWC_JOB]
        node.scheduler.modify_job(ISWC_JOB, next_run_time=datetime.now(UTC))
        node.resume()
        deadline = time.monotonic() + 120
        while not node.runs and time.monotonic() < deadline:
            time.sleep(0.05)
        node.shutdown()
        [run] = node.runs
        assert run["outcome"] == "ok", run
        assert run["transactions"]["accepted"] == 2 and run["received"] == [name]
        given = store.load_work(first).iswc
        assert given and given.startswith("T9")
        # the database's ISWC came first; the notification gives another: a conflict
        assert run["conflicts_opened"] == 1
        assert store.load_work(second).iswc != "T9000000011"
        [record] = read_records(config)
        assert record["partner"] == ISWC_JOB


def test_without_the_api_the_round_only_collects(tmp_path: Path) -> None:
    """The file route only ([iswc] url unset): nothing submitted, the files applied."""
    inbox = tmp_path / "notifications"
    inbox.mkdir()
    config_path = tmp_path / "exchange.toml"
    config_path.write_text(
        f'[node]\nsociety_code = "128"\ndata_dir = "{tmp_path / "data"}"\n\n'
        f'[iswc]\nnotification_folder = "{inbox}"\nschedule = "30 3 * * *"\n'
    )
    config = load_config(config_path)
    with Store(f"sqlite:///{tmp_path / 'node.db'}") as store:
        store.init()
        [work_id] = store.add_works([(member_work("FIRST WORK", "R1"), None)])
        day = datetime(2026, 12, 1, tzinfo=UTC)
        csn = Notification("T9000000011", "052", 52, "S1", "FIRST WORK", day, day, "CAR",
                           submission_id=1, original_submission=1, status="FA",
                           work_info=(WorkInfo("128", 128, "R1", "T9000000011"),))  # fmt: skip
        name, data = json_files.write_notifications(FileHeader("315", "128", day, 315), [csn])
        (inbox / name).write_bytes(data)
        record = run_iswc(store, config)
        assert record.outcome == "ok", record.error
        assert record.received == [name] and record.accepted is None  # nothing submitted
        assert store.load_work(work_id).iswc == "T9000000011"
        assert store.iswc_state(work_id)["submission"] is None
