"""Checking large CWR files in worker processes: the workers never outlive the import."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.cwr.parser import CwrParser
from adapters.cwr.pipeline import PARALLEL_FROM_BYTES, _check_chunk, scan_transactions
from adapters.cwr.transactions import Transaction
from exchange.imports.cwr import CwrImporter
from exchange.store import Store
from tests.adapters.cwr.cwr_builder import change, numbered_works, valid_work, write_lines
from tests.services import shared_dir

SAMPLES = shared_dir() / "data" / "samples"

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
    """A pool whose worker answers the first ``answered`` chunks, then dies: the next
    ``failing`` chunks handed to it fail, and it refuses more (as a
    ``ProcessPoolExecutor`` whose worker was killed)."""

    def __init__(self, answered: int, failing: int) -> None:
        self.answered, self.failing = answered, failing
        self.handed = 0

    def submit(self, fn: Callable[..., object], *args: object) -> Future[object]:
        answer: Future[object] = Future()
        if fn is not _check_chunk:  # the pool's start
            answer.set_result(fn(*args))
            return answer
        self.handed += 1
        if self.handed > self.answered + self.failing:
            raise BrokenProcessPool("a child process terminated abruptly")
        if self.handed <= self.answered:
            answer.set_result(fn(*args))
        else:
            answer.set_exception(BrokenProcessPool("a worker ended abruptly"))
        return answer


def test_a_worker_that_dies_leaves_the_rest_of_the_file_to_the_main_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exchange.imports.cwr import validate_file

    cwr = numbered_works(5000)
    cwr.add("NWR", change(valid_work("BAD1", "A BAD WORK"), "NWR", iswc="T1234567890"))
    path = cwr.write(tmp_path)
    monkeypatch.setenv("EXCHANGE_WORKERS", "0")
    alone = validate_file(path)
    store = Store(f"sqlite:///{tmp_path / 'alone.db'}")
    store.init()
    CwrImporter(store).import_file(path)

    pool = _DyingPool(answered=1, failing=1)
    monkeypatch.setenv("EXCHANGE_WORKERS", "2")
    monkeypatch.setattr("adapters.cwr.pipeline.process_pool", lambda _workers: pool)
    dying = validate_file(path)
    assert pool.handed == 2  # the first chunk by the worker, the rest here
    assert (dying.summary(), dying.findings) == (alone.summary(), alone.findings)
    assert [f.value for f in alone.findings] == ["T1234567890"]

    pool = _DyingPool(answered=0, failing=0)  # dead before the first chunk
    again = Store(f"sqlite:///{tmp_path / 'dying.db'}")
    again.init()
    report = CwrImporter(again).import_file(path)
    assert pool.handed == 1 and report.works_created == 5001
    assert _works(again) == _works(store)


def _works(store: Store) -> list[tuple[str, str | None]]:
    with store.connect() as conn:
        return sorted(conn.execute(text("SELECT title, iswc FROM works")).all())


def _places(transactions: Iterable[Transaction]) -> list[tuple]:
    return [
        (t.group_type, t.group_id, t.sequence, t.first_line, t.last_line, t.offset)
        for t in transactions
    ]


def _as_found(path: Path) -> tuple[bool, list[tuple], list[tuple]]:
    """(structure sound?, places the walk finds, places the scan finds) of a file."""
    from exchange.imports.cwr import _structure, head_of, open_source

    walker = CwrParser(open_source(path), decode=False, keep_records=False)
    walked = _places(walker.transactions())
    if not _structure(open_source(path)).sound:
        return False, walked, []
    head = head_of(open_source(path))
    scanned = _places(scan_transactions(open_source(path), head.version, head.encoding))
    return True, walked, scanned


def _variants(tmp_path: Path) -> Iterator[Path]:
    """Sound files written as other software writes them."""
    lines = numbered_works(30).lines()
    lines[40:40] = ["", "   "]  # blank lines are not records
    yield write_lines(tmp_path / "CW260001PUB_052.V21", lines)
    lf = tmp_path / "lf" / "CW260002PUB_052.V21"
    lf.parent.mkdir()
    lf.write_bytes(("\n".join(lines) + "\n\x1a").encode("latin-1"))
    yield lf
    bom = tmp_path / "bom" / "CW260003PUB_052.V21"
    bom.parent.mkdir()
    bom.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("latin-1"))  # no last line end
    yield bom
    yield from sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.suffix != ".md")


def test_a_scan_finds_the_transactions_of_a_sound_file_where_the_walk_does(
    tmp_path: Path,
) -> None:
    sound = 0
    for path in _variants(tmp_path):
        ok, walked, scanned = _as_found(path)
        if ok:
            sound += 1
            assert scanned == walked, path
    assert sound >= 4  # the written variants and some of the real samples


def test_a_file_with_something_to_say_of_its_structure_is_walked(tmp_path: Path) -> None:
    """A large file imported with a record out of sequence gives what a small one does."""
    lines = numbered_works(5000).lines()
    lines[5] = lines[5][:11] + "00000009" + lines[5][19:]  # a record sequence number
    path = write_lines(tmp_path / "CW260001PUB_052.V21", lines)
    assert path.stat().st_size > PARALLEL_FROM_BYTES
    ok, walked, scanned = _as_found(path)
    assert not ok
    results = []
    for workers in ("0", "2"):
        store = Store(f"sqlite:///{tmp_path / f'store{workers}.db'}")
        store.init()
        os.environ["EXCHANGE_WORKERS"] = workers
        try:
            report = CwrImporter(store).import_file(path)
        finally:
            del os.environ["EXCHANGE_WORKERS"]
        results.append((report.summary(), report.findings, _works(store)))
    assert results[0] == results[1]
    assert any(f.edit == "FIL-F-006" for f in results[0][1])
