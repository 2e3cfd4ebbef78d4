"""The partner HTTP API under load: `exchange serve` on loopback, requests at a set rate.

The store is filled with the ``varied`` catalogue of :mod:`bench.catalogue` through the
CWR import (when it holds no work yet); ``exchange serve`` runs in its own process;
the requests leave on a fixed timetable (open loop: request *i* is due at
*i* / rate seconds, whether the earlier ones were answered or not) over a few
keep-alive connections, and each one's latency runs from the moment it was due,
so that a server falling behind shows in the figures rather than slowing the load.

Kinds of request, drawn at random in these proportions (``--mix``):

* ``iswc``: ``GET /v1/works?iswc=...``, a work of the store by ISWC;
* ``key``: ``GET /v1/works?key=199:BW...``, a work by the sender's work number;
* ``outbox``: ``GET /v1/outbox``, the files waiting for the partner (``--outbox-files``);
* ``upload``: ``PUT /v1/inbox/NAME``, a delivery of ``--upload-bytes`` bytes.

Examples::

    python bench/http_bench.py                          # SQLite, 200 requests/s, 4,000 requests
    python bench/http_bench.py --db postgres --json     # a fresh database on --pg
    python bench/http_bench.py --db sqlite:///big.db --rate 400 --requests 8000
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.catalogue import SENDER, write_file  # noqa: E402
from bench.databases import drop_pg, fresh_pg, pg_missing  # noqa: E402

PARTNER = SENDER  # the catalogue's sender is the partner calling the API
NODE = "052"
KINDS = ("iswc", "key", "outbox", "upload")
DEFAULT_MIX = "iswc=40,key=40,outbox=15,upload=5"
PG_ADMIN = os.environ.get("EXCHANGE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
#: Seconds the server has to start and answer its health route (a busy machine).
START_PATIENCE = 120.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Example: python bench/http_bench.py --db postgres --rate 200 --json",
    )
    parser.add_argument(
        "--db",
        default="sqlite",
        help="sqlite (a fresh file, the default), postgres (a fresh database on --pg, "
        "dropped afterwards) or the URL of a store (filled if it holds no work)",
    )
    parser.add_argument("--pg", default=PG_ADMIN, help="PostgreSQL server for --db postgres")
    parser.add_argument("--works", type=int, default=5000, help="works to fill a store with")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--requests", type=int, default=4000, help="requests in all")
    parser.add_argument("--connections", type=int, default=8, help="keep-alive connections")
    parser.add_argument(
        "--server-workers", type=int, default=1, help="exchange serve --workers (processes)"
    )
    parser.add_argument("--mix", default=DEFAULT_MIX, help=f"kinds and weights ({DEFAULT_MIX})")
    parser.add_argument("--outbox-files", type=int, default=20, help="files in the outbox")
    parser.add_argument("--upload-bytes", type=int, default=16384, help="size of each upload")
    parser.add_argument("--dir", help="working folder (kept; else a temporary one)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    args = parser.parse_args(argv)
    try:
        args.weights = _mix(args.mix)
    except ValueError as exc:
        parser.error(f"--mix {args.mix!r}: {exc}")
    if args.rate <= 0 or args.requests < 1 or args.connections < 1:
        parser.error("--rate, --requests and --connections must be positive")
    return args


def _mix(text: str) -> dict[str, int]:
    weights: dict[str, int] = {}
    for part in text.split(","):
        kind, _, weight = part.partition("=")
        if kind.strip() not in KINDS or not weight.strip().isdigit():
            raise ValueError(f"give KIND=WEIGHT pairs, KIND one of {', '.join(KINDS)}")
        weights[kind.strip()] = int(weight)
    if not any(weights.values()):
        raise ValueError("every weight is 0")
    return weights


# -- the store and the server ---------------------------------------------------------------


def fill(url: str, folder: Path, works: int) -> int:
    """Create the store at ``url`` and import the catalogue if it holds no work yet."""
    from exchange import formats
    from exchange.config import NodeConfig
    from exchange.store import Store

    with Store(url) as store:
        store.init()
        if store.count_works() == 0:
            path = write_file("varied", folder / "catalogue", works)
            config = NodeConfig(society_code=NODE, name="BENCH NODE")
            report = formats.get("cwr21").importer(store, config, None).import_file(path)
            if report.rejected:
                raise SystemExit(f"the catalogue import rejected {report.rejected} transactions")
            if store.dialect == "postgresql":
                # the planner's statistics of the tables just filled, which a server's
                # autovacuum gathers within a minute (the test servers run without it):
                # with none, a lookup's joins scan whole tables
                with store.connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
        return store.count_works()


def lookups(url: str, count: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """ISWCs and work numbers (``199:BW...``) of up to ``count`` works of the store."""
    from sqlalchemy import select

    from exchange.store import Store
    from exchange.store import tables as t

    with Store(url) as store, store.connect() as conn:
        iswcs = list(
            conn.execute(select(t.works.c.iswc).where(t.works.c.iswc.is_not(None)).limit(count))
            .scalars()
            .all()
        )
        numbers = conn.execute(
            select(t.work_numbers.c.issuer, t.work_numbers.c.number).limit(count)
        ).all()
    if not iswcs or not numbers:
        raise SystemExit("the store holds no work with an ISWC and a work number to look up")
    rng.shuffle(iswcs)
    return iswcs, [f"{issuer}:{number}" for issuer, number in numbers]


def node_folder(url: str, folder: Path, outbox_files: int) -> tuple[Path, str]:
    """The node's configuration (partner ``PARTNER``), its outbox files and a token."""
    from exchange.partner_tokens import issue_token
    from exchange.store import Store

    config = folder / "exchange.toml"
    config.write_text(
        f'[node]\nsociety_code = "{NODE}"\nname = "BENCH NODE"\ndata_dir = "data"\n\n'
        "[console]\nenabled = false\n\n"
        f'[[partners]]\ncode = "{PARTNER}"\nname = "BENCH PARTNER"\nsend = ["cwr22"]\n\n'
        f'[partners.transport]\nkind = "folder"\ninbox = "{folder / "to"}"\n'
        f'outbox = "{folder / "from"}"\n',
        encoding="utf-8",
    )
    outbox = folder / "data" / "outbox" / PARTNER
    outbox.mkdir(parents=True, exist_ok=True)
    for n in range(outbox_files):
        (outbox / f"CW26{n:04d}{NODE}_{PARTNER}.V22").write_bytes(b"HDR" + bytes(4096))
    with Store(url) as store:
        token = issue_token(store, PARTNER).token
    return config, token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, config: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "exchange", "--db", url, "--config", str(config), "-q"]
    return subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        cwd=config.parent,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _process_cpu(pid: int) -> float:
    """CPU time (user and system) of process ``pid`` so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds(url: str) -> float | None:
    """CPU time of the PostgreSQL backends serving ``url``'s database but this one
    (the server's connections), when the database server runs on this machine."""
    if not url.startswith("postgresql"):
        return None
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            pids = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalars()
            return sum(_process_cpu(pid) for pid in pids)
    finally:
        engine.dispose()


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time (user and system) of process ``pid`` and its descendants so far, and the
    time their threads spent ready to run but waiting for a CPU (Linux)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        process = int(stat.parent.name)
        parents[process] = int(fields[1])
        times[process] = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    tree, grew = {pid}, True
    while grew:
        found = {p for p, parent in parents.items() if parent in tree} - tree
        grew = bool(found)
        tree |= found
    waited = 0
    for process in tree:
        for thread in Path(f"/proc/{process}/task").glob("*/schedstat"):
            try:
                waited += int(thread.read_text().split()[1])  # ns on a run queue
            except (OSError, IndexError, ValueError):
                continue
    return sum(times.get(p, 0.0) for p in tree), waited / 1e9


def wait_started(server: subprocess.Popen[bytes], base: str) -> None:
    import httpx

    deadline = time.monotonic() + START_PATIENCE
    while time.monotonic() < deadline:
        if server.poll() is not None:
            error = server.stderr.read().decode(errors="replace") if server.stderr else ""
            raise SystemExit(f"exchange serve stopped at start:\n{error}")
        try:
            if httpx.get(f"{base}/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"exchange serve did not answer within {START_PATIENCE:.0f} s")


# -- the load ----------------------------------------------------------------------------


def plan(args: argparse.Namespace, iswcs: list[str], keys: list[str]) -> list[tuple[str, str]]:
    """(kind, what) of each request, in the order they leave."""
    rng = random.Random(args.seed)
    kinds = rng.choices(list(args.weights), weights=list(args.weights.values()), k=args.requests)
    planned = []
    for n, kind in enumerate(kinds):
        if kind == "iswc":
            planned.append((kind, iswcs[n % len(iswcs)]))
        elif kind == "key":
            planned.append((kind, keys[n % len(keys)]))
        elif kind == "upload":
            planned.append((kind, f"CW26{n:04d}{PARTNER}_{NODE}.V21"))
        else:
            planned.append((kind, ""))
    return planned


class Connection:
    """One keep-alive HTTP/1.1 connection to the server, one request at a time.

    A few lines over asyncio's streams rather than an HTTP client library: the
    client shares the machine's CPUs with the server, and what it spends on a
    request (httpx: more than the server) would be measured as the server's latency.
    It reads answers with a Content-Length, which is all the server sends to these
    requests.
    """

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.headers = f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(self, method: str, target: str, body: bytes = b"") -> int:
        """Send one request and read its answer; returns the status."""
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        length = f"Content-Length: {len(body)}\r\n" if body else ""
        writer.write(f"{method} {target} HTTP/1.1\r\n{self.headers}{length}\r\n".encode() + body)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").lower().split("\r\n")
            fields = dict(line.partition(": ")[::2] for line in lines[1:] if line)
            await reader.readexactly(int(fields["content-length"]))
        except (OSError, asyncio.IncompleteReadError, KeyError, ValueError):
            self.close()
            raise
        if fields.get("connection") == "close":
            self.close()
        return int(lines[0].split()[1])

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def drive(
    host: str, port: int, token: str, planned: list[tuple[str, str]], args: argparse.Namespace
) -> tuple[dict[str, list[float]], dict[str, int], list[float], float]:
    """Send the planned requests on the timetable over ``args.connections`` connections.

    Returns the latencies (s) and errors per kind, how late the client was with
    each request (from its due time to when it was handed to the connections: the
    client's own delay, which a client that keeps up holds to a millisecond or
    so) and the seconds it all took. A request waits for a free connection
    when all of them wait for answers: that wait is the server's, in its latency.
    """
    body = bytes(args.upload_bytes)
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    late: list[float] = []
    due_requests: asyncio.Queue[tuple[float, str, str] | None] = asyncio.Queue()
    ready = asyncio.Semaphore(0)

    async def connection() -> None:
        link = Connection(host, port, token)
        await link.request("GET", "/v1/health")  # opened outside the clock
        ready.release()
        while (item := await due_requests.get()) is not None:
            due, kind, what = item
            try:
                if kind == "iswc":
                    status = await link.request("GET", f"/v1/works?iswc={quote(what)}")
                elif kind == "key":
                    status = await link.request("GET", f"/v1/works?key={quote(what)}")
                elif kind == "outbox":
                    status = await link.request("GET", "/v1/outbox")
                else:
                    status = await link.request("PUT", f"/v1/inbox/{quote(what)}", body)
                ok = status < 300
            except (OSError, asyncio.IncompleteReadError, KeyError, ValueError):
                ok = False
            latencies[kind].append(time.perf_counter() - due)
            if not ok:
                errors[kind] += 1
        link.close()

    links = [asyncio.create_task(connection()) for _ in range(args.connections)]
    for _ in links:
        await ready.acquire()
    # what the setup left is not scanned again by each collection during the run
    gc.collect()
    gc.freeze()
    start = time.perf_counter() + 0.2
    interval = 1.0 / args.rate
    for n, (kind, what) in enumerate(planned):
        due = start + n * interval
        wait = due - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)
        late.append(time.perf_counter() - due)
        due_requests.put_nowait((due, kind, what))
    for _ in links:
        due_requests.put_nowait(None)
    await asyncio.gather(*links)
    return latencies, errors, late, time.perf_counter() - start


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(
    latencies: dict[str, list[float]], errors: dict[str, int], elapsed: float
) -> dict[str, Any]:
    kinds: dict[str, Any] = {}
    everything = [v for values in latencies.values() for v in values]
    for kind, values in [*sorted(latencies.items()), ("all", everything)]:
        failed = sum(errors.values()) if kind == "all" else errors.get(kind, 0)
        kinds[kind] = {
            "requests": len(values),
            "errors": failed,
            "p50_ms": round(percentile(values, 0.50) * 1000, 2),
            "p99_ms": round(percentile(values, 0.99) * 1000, 2),
            "max_ms": round(max(values) * 1000, 2),
            "rps": round(len(values) / elapsed, 1),
        }
    return kinds


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    database = None
    if args.db == "sqlite":
        url = f"sqlite:///{folder / 'store.db'}"
    elif args.db == "postgres":
        missing = pg_missing(args.pg)
        if missing:
            raise SystemExit(missing)
        url, database = fresh_pg(args.pg)
    else:
        url = args.db
    server = None
    try:
        works = fill(url, folder, args.works)
        iswcs, keys = lookups(url, args.works, random.Random(args.seed))
        config, token = node_folder(url, folder, args.outbox_files)
        port = free_port()
        server = start_server(url, config, port, args.server_workers)
        wait_started(server, f"http://127.0.0.1:{port}")
        planned = plan(args, iswcs, keys)
        database_before = database_cpu_seconds(url)
        cpu_before, waited_before = cpu_seconds(server.pid)
        client_before = time.process_time()
        latencies, errors, late, elapsed = asyncio.run(
            drive("127.0.0.1", port, token, planned, args)
        )
        client_cpu = time.process_time() - client_before
        server_cpu, server_waited = cpu_seconds(server.pid)
        database_after = database_cpu_seconds(url)
        server_cpu, server_waited = server_cpu - cpu_before, server_waited - waited_before
    finally:
        if server is not None:
            server.terminate()
            server.wait(60)
        if database is not None:
            drop_pg(args.pg, database)
    backend = "postgresql" if url.startswith("postgres") else "sqlite"
    return {
        "machine": {"cpus": os.cpu_count(), "load": os.getloadavg()},
        "store": {"backend": backend, "works": works},
        "target": {
            "rate": args.rate,
            "requests": args.requests,
            "connections": args.connections,
            "server_workers": args.server_workers,
        },
        "seconds": round(elapsed, 2),
        # what the server spent per request (all kinds): the figure a busy machine moves least
        "server_cpu_ms_per_request": round(server_cpu * 1000 / args.requests, 2),
        # the database server's backends for the server (PostgreSQL on this machine)
        "database_cpu_ms_per_request": None
        if database_after is None or database_before is None
        else round((database_after - database_before) * 1000 / args.requests, 2),
        # ready to run but not running: what the machine's other work took from the server
        "server_cpu_wait_ms_per_request": round(server_waited * 1000 / args.requests, 2),
        "client_cpu_ms_per_request": round(client_cpu * 1000 / args.requests, 2),
        # from due to handed to a connection: what of the latencies is the client's own
        "client_late_ms": {
            "p50": round(percentile(late, 0.50) * 1000, 2),
            "p99": round(percentile(late, 0.99) * 1000, 2),
            "max": round(max(late) * 1000, 2),
        },
        "kinds": summary(latencies, errors, elapsed),
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    keep = args.dir is not None
    folder = Path(args.dir or tempfile.mkdtemp(prefix="http-bench-")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        result = run(args, folder)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    store, target = result["store"], result["target"]
    print(
        f"{store['backend']}, {store['works']} works: {target['requests']} requests at "
        f"{target['rate']:.0f}/s over {target['connections']} connections, "
        f"{target['server_workers']} server process(es), "
        f"{result['seconds']} s (load {result['machine']['load'][0]:.1f})"
    )
    late = result["client_late_ms"]
    print(
        f"CPU per request: server {result['server_cpu_ms_per_request']} ms (and "
        f"{result['server_cpu_wait_ms_per_request']} ms waiting for one), "
        f"client {result['client_cpu_ms_per_request']} ms"
        + (
            ""
            if result["database_cpu_ms_per_request"] is None
            else f", database {result['database_cpu_ms_per_request']} ms"
        )
        + "; the client was late by "
        f"p50 {late['p50']} ms, p99 {late['p99']} ms, max {late['max']} ms"
    )
    head = ("requests", "errors", "p50 ms", "p99 ms", "max ms", "req/s")
    print(f"{'kind':<8}" + "".join(f"{h:>9}" for h in head))
    for kind, figures in result["kinds"].items():
        print(
            f"{kind:<8}{figures['requests']:>9}{figures['errors']:>9}{figures['p50_ms']:>9.1f}"
            f"{figures['p99_ms']:>9.1f}{figures['max_ms']:>9.1f}{figures['rps']:>9.1f}"
        )


if __name__ == "__main__":
    main()
