"""The import ledger across real processes: one import per file, crashes and kills.

Every scenario ends with the store compared, row by row, with a store that
imported the same file once, cleanly.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.cwr.pipeline import PARALLEL_FROM_BYTES
from exchange.digest import sha256_file
from exchange.imports.file_claims import holder_alive, holder_text, parse_holder, this_process
from exchange.store import Store, tables
from exchange.store.leases import Holder
from exchange.store.rows import now
from tests.adapters.cwr.cwr_builder import numbered_works
from tests.rows import store_contents
from tests.services import missing_service

ROOT = Path(__file__).parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
#: Works in the file the races and crashes use (two batches; checked in the main process).
WORKS = 3000
#: Works in the file the kills use: over 4 MB, so checked in worker processes.
MANY_WORKS = 5000

#: An import whose batches are 500 transactions and whose third batch dies (``exit``:
#: the process ends on the spot, as on a power cut; ``raise``: an error no one expected).
CRASHING_IMPORT = """
import os, sys
from exchange.imports import apply as applying, cwr
from exchange.cli import main
cwr.BATCH = 500
original, calls = applying.Applier.apply, []
def apply(self, items):
    calls.append(1)
    if len(calls) == 3:
        if sys.argv[1] == "exit":
            os._exit(9)
        raise RuntimeError("the disk went away")
    return original(self, items)
applying.Applier.apply = apply
main(sys.argv[2:])
"""

#: Holds a file's ledger entry as an import would, until its stdin closes.
HOLDER = """
import sys
from exchange.store import Store
from exchange.imports.file_claims import claim_file
claim = claim_file(Store(sys.argv[1]), sys.argv[2], name=sys.argv[3], partner="PUB",
                   format="cwr", version="2.1")
print(claim.entry.id, flush=True)
sys.stdin.read()
"""


def exchange(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "exchange", "--db", url, *args]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Makes empty, initialised stores on one engine; gives their URLs."""
    numbers = itertools.count()

    def make() -> str:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / f'store{next(numbers)}.db'}"
        else:
            server = request.getfixturevalue("postgres")
            if isinstance(server, str):
                missing_service(f"PostgreSQL unreachable: {server}")
            url = server.new_database()
        with Store(url) as store:
            store.init()
        return url

    return make


@pytest.fixture(scope="module")
def works_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return numbered_works(WORKS).write(tmp_path_factory.mktemp("works"))


@pytest.fixture(scope="module")
def large_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return numbered_works(MANY_WORKS).write(tmp_path_factory.mktemp("large"))


def clean_import(url: str, path: Path) -> dict[str, list[str]]:
    """What the store holds after one import of the file, on its own."""
    done = subprocess.run(exchange(url, "import", str(path)), env=ENV, capture_output=True)
    assert done.returncode == 0, done.stderr
    with Store(url) as store:
        return store_contents(store)


def works_in(store: Store) -> int:
    with store.connect() as conn:
        return conn.execute(select(func.count()).select_from(tables.works)).scalar_one()


def import_once_more(url: str, path: Path) -> dict[str, list[str]]:
    """A normal import after whatever happened: it must finish the file."""
    done = subprocess.run(
        exchange(url, "import", str(path), "--json"), env=ENV, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    with Store(url) as store:
        [entry] = store.ledger()
        assert entry.state == "imported"
        return store_contents(store)


def test_two_imports_of_one_file_at_once_import_it_once(
    new_store: Callable[[], str], works_file: Path
) -> None:
    clean = clean_import(new_store(), works_file)
    for _ in range(3):
        url = new_store()
        command = exchange(url, "import", str(works_file), "--json")
        both = [
            subprocess.Popen(command, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=600) for p in both]
        assert [p.returncode for p in both] == [0, 0], [err for _, err in outputs]
        reports = [json.loads(out)["files"][0] for out, _ in outputs]
        with Store(url) as store:
            [entry] = store.ledger()
            assert entry.state == "imported"
            assert store_contents(store) == clean
        assert sorted(r["works_created"] for r in reports) == [0, WORKS]
        assert sorted(str(r["duplicate_of"]) for r in reports) == sorted([str(entry.id), "None"])


@pytest.mark.parametrize("crash", ["exit", "raise"])
def test_a_crash_mid_file_is_finished_by_the_next_run(
    new_store: Callable[[], str], works_file: Path, crash: str
) -> None:
    clean = clean_import(new_store(), works_file)
    url = new_store()
    command = [sys.executable, "-c", CRASHING_IMPORT, crash, "--db", url, "import"]
    crashed = subprocess.run([*command, str(works_file)], env=ENV, capture_output=True, text=True)
    assert crashed.returncode != 0
    with Store(url) as store:
        assert works_in(store) == 1000  # two whole batches of 500, nothing of the third
        [entry] = store.ledger()
    if crash == "exit":  # nothing could say it: the entry names its holder, who is gone
        assert entry.state == "importing" and not holder_alive(entry.holder, now())
    else:
        assert entry.state == "failed" and "the disk went away" in (entry.error or "")
        listed = subprocess.run(
            exchange(url, "ledger", "list", "--state", "failed"), env=ENV, capture_output=True
        )
        assert b"RuntimeError: the disk went away" in listed.stdout
    assert import_once_more(url, works_file) == clean


def _watch_and_kill(url: str, path: Path, works: int) -> None:
    """Start an import; kill it (SIGKILL) once the ledger entry exists and the store holds
    ``works`` works, or when it ends first."""
    command = exchange(url, "import", str(path), "--json")
    process = subprocess.Popen(command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 600
    with Store(url) as store:
        while process.poll() is None and time.monotonic() < deadline:
            if store.ledger() and works_in(store) >= works:
                break
            time.sleep(0.01)  # a bounded poll of the store, not a wait for an event
    process.send_signal(signal.SIGKILL)
    process.communicate()


def test_kills_at_random_points_then_a_normal_run_equal_a_clean_run(
    new_store: Callable[[], str], large_file: Path
) -> None:
    """One kill, then two in a row (the second run took over the first one's entry and
    dies too), each followed by a normal run."""
    assert large_file.stat().st_size > PARALLEL_FROM_BYTES  # checked in worker processes
    clean = clean_import(new_store(), large_file)
    seed = int(os.environ.get("KILL_SEED", time.time_ns() % 10_000))
    chosen = random.Random(seed)
    for kills in (1, 2):
        url = new_store()
        points = sorted(chosen.randrange(0, MANY_WORKS) for _ in range(kills))
        for point in points:
            _watch_and_kill(url, large_file, point)
        assert import_once_more(url, large_file) == clean, f"KILL_SEED={seed}, at {points}"


def test_an_import_waits_for_a_live_holder_and_takes_over_when_it_dies(
    new_store: Callable[[], str], works_file: Path
) -> None:
    clean = clean_import(new_store(), works_file)
    url = new_store()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, sha256_file(works_file), works_file.name],
        env=ENV,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    held = int(holder.stdout.readline())
    waiting = subprocess.Popen(
        exchange(url, "import", str(works_file), "--json"),
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert waiting.stderr is not None
    said = ""
    while "another process imports this file" not in said:  # until it says it waits
        line = waiting.stderr.readline()
        assert line, f"the import ended without waiting: {said}"
        said += line
    holder.kill()
    holder.communicate()
    out, err = waiting.communicate(timeout=600)
    assert waiting.returncode == 0, err
    assert "taking it over" in err
    assert json.loads(out)["files"][0]["works_created"] == WORKS
    with Store(url) as store:
        [entry] = store.ledger()
        assert (entry.id, entry.state) == (held, "imported")
        assert store_contents(store) == clean


def test_which_holders_are_alive() -> None:
    me = this_process()
    assert holder_alive(me, None)
    mine = parse_holder(me)
    assert mine is not None and mine.process is not None
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], text=True, capture_output=True
    )
    assert not holder_alive(holder_text(replace(mine, pid=int(gone.stdout))), None)
    reused = replace(mine, process=mine.process.rsplit("/", 1)[0] + "/1")  # our pid, reused
    assert not holder_alive(holder_text(reused), None)
    assert not holder_alive(None, None) and not holder_alive("garbage", None)
    elsewhere = holder_text(Holder("import", "another-host", 4242, "boot ns/99"))
    assert holder_alive(elsewhere, now() - timedelta(minutes=1))  # its entry moves
    assert not holder_alive(elsewhere, now() - timedelta(hours=1))
