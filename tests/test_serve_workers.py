"""``serve --workers N``: every worker process listens on the port with a socket of its own."""

import multiprocessing
import pickle
import socket

import pytest

from exchange.cli.serve import SPREADS_CONNECTIONS, PortGroup

pytestmark = pytest.mark.skipif(not SPREADS_CONNECTIONS, reason="Linux's SO_REUSEPORT")
CONNECTIONS = 24


def _accept(listener: socket.socket, counts: "multiprocessing.Queue[int | None]") -> None:
    """A worker: count the connections its own socket takes until none comes for a while."""
    counts.put(None)  # listening (since the socket was unpickled)
    listener.settimeout(2)
    count = 0
    try:
        while True:
            listener.accept()[0].close()
            count += 1
    except TimeoutError:
        counts.put(count)


def test_the_workers_share_the_connections() -> None:
    group = PortGroup("127.0.0.1", 0, 64)
    port = group.held.getsockname()[1]
    spawn = multiprocessing.get_context("spawn")  # as uvicorn starts its workers
    answers = spawn.Queue()
    workers = [spawn.Process(target=_accept, args=(group, answers)) for _ in range(2)]
    for worker in workers:
        worker.start()
    opened = []
    try:
        assert [answers.get(timeout=60) for _ in workers] == [None, None]  # both listening
        for _ in range(CONNECTIONS):
            opened.append(socket.create_connection(("127.0.0.1", port), timeout=30))
        counts = [answers.get(timeout=60) for _ in workers]
    finally:
        for worker in workers:
            worker.join(30)
        for connection in opened:
            connection.close()
        group.held.close()
    # the kernel hashes each connection to one of the sockets: all 24 to one of two
    # would happen once in eight million runs
    assert sum(counts) == CONNECTIONS
    assert min(counts) > 0


def test_the_port_itself_takes_no_connection() -> None:
    group = PortGroup("127.0.0.1", 0, 64)
    with group.held:
        port = group.held.getsockname()[1]
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5)
        worker_socket = pickle.loads(pickle.dumps(group))  # what a worker gets
        with worker_socket, socket.create_connection(("127.0.0.1", port), timeout=5):
            assert worker_socket.getsockname()[1] == port
            worker_socket.accept()[0].close()
