"""Checking large CWR files in worker processes: the workers never outlive the import."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.cwr.pipeline import PARALLEL_FROM_BYTES
from exchange.store import Store
from tests.adapters.cwr.cwr_builder import change, numbered_works, valid_work

PROC = Path("/proc")


def _stat(pid: int) -> tuple[str, int] | None:
    """A process's state letter and parent pid, or None when it is gone."""
    try:
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1])


def _descendants(pid: int) -> dict[int, int]:
    """The processes below ``pid``, with their parents."""
    parents = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = stat[1]
    found: dict[int, int] = {}
    level = {pid}
    while level:
        level = {child for child, parent in parents.items() if parent in level}
        found.update({child: parents[child] for child in level})
    return found


def _running(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"  # a zombie does nothing more


@pytest.mark.skipif(not PROC.is_dir(), reason="needs /proc to find the worker processes")
def test_workers_end_when_the_import_is_killed(tmp_path: Path) -> None:
    path = numbered_works(5000).write(tmp_path)
    assert path.stat().st_size > PARALLEL_FROM_BYTES
    url = f"sqlite:///{tmp_path / 'store.db'}"
    Store(url).init()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[3]), "EXCHANGE_WORKERS": "2"}
    main = subprocess.Popen(
        [sys.executable, "-m", "exchange", "--db", url, "import", str(path), "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: dict[int, int] = {}
    deadline = time.monotonic() + 300
    while main.poll() is None and time.monotonic() < deadline:
        below = _descendants(main.pid)
        # workers are the server process's children, one level further down
        workers = {pid: parent for pid, parent in below.items() if parent != main.pid}
        if workers:
            break
        time.sleep(0.01)  # a bounded poll of the process table
    assert workers, "the import started no worker process"
    everyone = set(_descendants(main.pid))
    main.kill()
    main.wait()
    deadline = time.monotonic() + 60
    while any(_running(pid) for pid in everyone) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in everyone if _running(pid)], "processes outlived the import"


def test_a_broken_pool_is_replaced_by_a_new_one() -> None:
    from adapters.cwr.pipeline import drop_broken_pool, process_pool

    broken = process_pool(1)
    drop_broken_pool()
    fresh = process_pool(1)
    assert fresh is not broken
    assert fresh.submit(abs, -3).result() == 3


class _DyingPool:
    """A pool whose worker answers the first chunk, then dies: the chunks handed to it
    fail, and it refuses new ones (as a ``ProcessPoolExecutor`` whose worker was killed)."""

    def __init__(self) -> None:
        self.handed = 0

    def submit(self, fn: Callable[..., object], *args: object) -> Future[object]:
        self.handed += 1
        if self.handed > 3:
            raise BrokenProcessPool("a child process terminated abruptly")
        answer: Future[object] = Future()
        if self.handed == 1:
            answer.set_result(fn(*args))
        else:
            answer.set_exception(BrokenProcessPool("a worker ended abruptly"))
        return answer


def test_a_worker_that_dies_leaves_the_rest_of_the_file_to_the_main_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exchange.imports.cwr import CwrImporter, validate_file

    cwr = numbered_works(5000)
    cwr.add("NWR", change(valid_work("BAD1", "A BAD WORK"), "NWR", iswc="T1234567890"))
    path = cwr.write(tmp_path)
    monkeypatch.setenv("EXCHANGE_WORKERS", "0")
    alone = validate_file(path)
    store = Store(f"sqlite:///{tmp_path / 'alone.db'}")
    store.init()
    CwrImporter(store).import_file(path)

    pool = _DyingPool()
    monkeypatch.setenv("EXCHANGE_WORKERS", "2")
    monkeypatch.setattr("adapters.cwr.pipeline.process_pool", lambda _workers: pool)
    dying = validate_file(path)
    assert pool.handed > 3  # the first chunk by the worker, the rest here
    assert (dying.summary(), dying.findings) == (alone.summary(), alone.findings)
    assert [f.value for f in alone.findings] == ["T1234567890"]

    pool.handed = 0
    again = Store(f"sqlite:///{tmp_path / 'dying.db'}")
    again.init()
    report = CwrImporter(again).import_file(path)
    assert pool.handed > 3 and report.works_created == 5001
    assert _works(again) == _works(store)


def _works(store: Store) -> list[tuple[str, str | None]]:
    with store.connect() as conn:
        return sorted(conn.execute(text("SELECT title, iswc FROM works")).all())
