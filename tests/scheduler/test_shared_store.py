"""Two `exchange scheduler run` processes on one PostgreSQL store: each due run made once.

Twenty partners are due at once. Each scheduler runs three exchanges at a time
(``[scheduler] workers = 3``) and leaves the other due runs to whoever has room.
The deliveries of the real processes are held: a few lines of code put before the
command line (as ``tests/sync/test_processes.py`` does) make every delivery say
which process and partner it is on a named pipe, then wait to read one byte from
its process's own pipe. The test so decides which exchanges finish and when, and
kills one scheduler (SIGKILL) while three of its exchanges are in mid-delivery.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exchange.config import load_config
from exchange.demo import sample_works
from exchange.scheduler.jobs import NodeScheduler
from exchange.scheduler.runs import read_records
from exchange.store import Store
from exchange.store.leases import current_holder
from tests.scheduler.test_jobs import wait_for
from tests.sync.test_processes import PATIENCE, REPO, RUN_THE_COMMAND_LINE, killed

pytestmark = [pytest.mark.scheduler, pytest.mark.postgres]

PARTNERS = [str(code) for code in range(101, 121)]
WORKERS = 3

#: Put before the command line: every delivery waits for the test's go-ahead.
HOLD_DELIVERIES = """
import os
from exchange.transports.folder import FolderTransport
_deliver = FolderTransport.deliver
def _held(self, path):
    told = os.open(os.environ["TEST_HELD"], os.O_WRONLY)
    os.write(told, f"{os.getpid()} {self.settings.inbox.name[2:]}\\n".encode())
    os.close(told)
    gate = os.open(os.environ["TEST_GO"], os.O_RDONLY)
    try:
        os.read(gate, 1)
    finally:
        os.close(gate)
    return _deliver(self, path)
FolderTransport.deliver = _held
"""


def pipe(path: Path) -> int:
    """A named pipe the test holds both ends of: it never reads an end of file."""
    os.mkfifo(path)
    return os.open(path, os.O_RDWR | os.O_NONBLOCK)


class Held:
    """The deliveries started and held, as (process id, partner), in order."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.seen: list[tuple[int, str]] = []
        self._rest = b""

    def of(self, pid: int) -> list[str]:
        return [partner for who, partner in self.seen if who == pid]

    def until(self, enough: dict[int, int]) -> None:
        """Read until each process of ``enough`` has held that many deliveries."""
        while any(len(self.of(pid)) < n for pid, n in enough.items()):
            ready, _, _ = select.select([self.fd], [], [], PATIENCE)
            assert ready, f"deliveries held after {PATIENCE} s: {self.seen}"
            lines = (self._rest + os.read(self.fd, 65536)).split(b"\n")
            self._rest = lines.pop()
            for line in lines:
                pid, partner = line.decode().split()
                self.seen.append((int(pid), partner))


def write_node(home: Path, shared: Path) -> Path:
    home.mkdir(parents=True)
    lines = [
        '[node]\nsociety_code = "052"\nname = "SOCIETY 052"\ndata_dir = "data"\n',
        f"[scheduler]\nworkers = {WORKERS}\n",
    ]
    for code in PARTNERS:
        inbox, outbox = shared / f"to{code}", shared / f"from{code}"
        inbox.mkdir(parents=True)
        outbox.mkdir(parents=True)
        lines.append(
            f'[[partners]]\ncode = "{code}"\nname = "SOCIETY {code}"\nsend = ["cwr22"]\n'
            'schedule = "0 2 * * *"\ntimezone = "UTC"\n\n'
            f'[partners.transport]\nkind = "folder"\ninbox = "{inbox}"\noutbox = "{outbox}"\n'
        )
    config = home / "exchange.toml"
    config.write_text("\n".join(lines))
    return config


def scheduler_process(config: Path, url: str, held: Path, go: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        "TEST_HELD": str(held),
        "TEST_GO": str(go),
    }
    code = f"{HOLD_DELIVERIES}\n{RUN_THE_COMMAND_LINE}"
    command = [sys.executable, "-c", code, "--db", url, "--config", str(config)]
    return subprocess.Popen(
        [*command, "--json", "scheduler", "run"],
        cwd=config.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_schedulers_share_the_due_runs_and_take_up_a_killed_ones(
    pg_url: str, tmp_path: Path
) -> None:
    config_path = write_node(tmp_path / "052", tmp_path / "shared")
    config = load_config(config_path)
    with Store(pg_url) as store:
        store.init()
        store.add_works((w, w.claims[0].source) for w in sample_works())
        paused = NodeScheduler(store, config)  # every partner due as the schedulers start
        paused.start(paused=True)
        for code in PARTNERS:
            paused.scheduler.modify_job(code, next_run_time=datetime.now(UTC))
        paused.shutdown()

    held = Held(pipe(tmp_path / "held"))
    go_a, go_b = pipe(tmp_path / "go-a"), pipe(tmp_path / "go-b")
    a = scheduler_process(config_path, pg_url, tmp_path / "held", tmp_path / "go-a")
    b = scheduler_process(config_path, pg_url, tmp_path / "held", tmp_path / "go-b")
    try:
        held.until({a.pid: WORKERS, b.pid: WORKERS})  # each took as many as it has workers
        assert (len(held.of(a.pid)), len(held.of(b.pid))) == (WORKERS, WORKERS)
        os.write(go_a, b"x" * WORKERS)  # three of a's exchanges finish, it takes three more
        held.until({a.pid: 2 * WORKERS})
        killed(a)  # in the middle of delivering to three partners
        os.write(go_b, b"x" * len(PARTNERS))
        wait_for(lambda: {r["partner"] for r in read_records(config)} == set(PARTNERS), PATIENCE)
        b.send_signal(signal.SIGTERM)
        out, err = b.communicate(timeout=PATIENCE)
        assert b.returncode == 0, err
    finally:
        for process in (a, b):
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=PATIENCE)
        for fd in (held.fd, go_a, go_b):
            os.close(fd)

    by_b = [run["partner"] for run in json.loads(out)["runs"]]
    records = read_records(config)
    assert Counter(r["partner"] for r in records) == Counter(PARTNERS)  # each run made once
    assert {r["outcome"] for r in records} == {"ok"}
    assert len(by_b) == len(set(by_b))
    finished_by_a = set(PARTNERS) - set(by_b)
    assert len(finished_by_a) == WORKERS  # both took a share: a made three, b the others
    cut_short = set(held.of(a.pid)) - finished_by_a
    assert len(cut_short) == WORKERS and cut_short <= set(by_b)  # b took up a's three
    for code in cut_short:
        assert f"{code}: the scheduled exchange of scheduler on" in err
    assert f"process {a.pid}" in err
    with Store(pg_url) as store:
        ledger = store.ledger()
        assert Counter((e.partner, e.direction, e.state) for e in ledger) == Counter(
            (code, "out", "delivered") for code in PARTNERS
        )
        assert [code for code in PARTNERS if current_holder(store, code)] == []
    for code in PARTNERS:
        assert len(list((tmp_path / "shared" / f"to{code}").glob("CW*"))) == 1
