"""A CWR file as a stream of checked transactions, using worker processes for large files.

The main process walks the file's structure (record types, prefixes, control
records: cheap) and hands the place of each batch of transactions to worker
processes, which read, decode and validate them. In a validation, when they have
enough batches waiting (or are still starting), the main process checks the next
batch itself rather than wait; in an import it has the writing to do, and leaves
every batch to them. Results come back in file order; at most a few batches are
in flight, so memory stays bounded. Small files are checked in the main process,
where starting workers would cost more than it saves.

For an import, a worker maps each work too and sends back its model objects:
unpickling them costs the main process less than mapping them from the records'
values would.

Workers are started from a clean server process (``forkserver``), never forked
from a process that holds database connections. A worker ends by itself when
the main process is gone, however it ended (``kill -9`` too): no orphans.
"""

from __future__ import annotations

import atexit
import gc
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from datetime import datetime

from adapters.cwr.layout import layouts, record_prefix
from adapters.cwr.parser import READ_VERSIONS, CwrParser, starts_transaction
from adapters.cwr.records import codecs_for
from adapters.cwr.source import BOM, MAX_LINE_BYTES, CwrSource, strip_line
from adapters.cwr.transactions import CONTROL_TYPES, HEADER_TYPES, Transaction
from adapters.cwr.validator import CheckedTransaction, check_transaction
from exchange.identifiers import digits_value, is_digits
from exchange.model import Finding, Source

#: Files smaller than this are checked in the main process.
PARALLEL_FROM_BYTES = 4_000_000
CHUNK_TRANSACTIONS = 400
#: Batches each worker may have waiting; past them a validation's main process checks
#: a batch itself (so it works while the workers start, and whenever it would wait).
AHEAD = 2

#: Collector thresholds while streaming (the defaults are 700, 10, 10).
RELAXED_GC = (50_000, 20, 20)

_pool: ProcessPoolExecutor | None = None

#: A chunk's arguments for :func:`_check_chunk`, and the worker's future result.
_Pending = tuple[tuple, Future[list[CheckedTransaction]]]

#: What a worker is told of a transaction: group type and id, sequence, rejected so
#: far, findings so far, first and last line in the file.
TransactionPlace = tuple[str, int, int, bool, list[Finding], int, int]


def worker_count(spare: int = 0) -> int:
    """Worker processes to use: ``$EXCHANGE_WORKERS``, else one per CPU but ``spare``.

    0 means checking in the main process; so does a machine with a single CPU.
    """
    configured = digits_value(os.environ.get("EXCHANGE_WORKERS", ""))
    if configured is not None:
        return configured
    cpus = os.cpu_count() or 1
    return 0 if cpus < 2 else max(1, cpus - spare)


def _worker_start() -> None:
    gc.set_threshold(*RELAXED_GC)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent,), name="parent", daemon=True).start()


def _end_with(parent: multiprocessing.process.BaseProcess) -> None:
    """In a worker: end the process as soon as the process that started it is gone.

    The pool's workers would otherwise wait forever for work from a main process
    that was killed (``kill -9``), and keep the server process alive too. The
    parent's sentinel becomes readable when it ends, however it ends.
    """
    parent.join()
    os._exit(1)


def process_pool(workers: int, preload: tuple[str, ...] = ()) -> ProcessPoolExecutor:
    """The node's pool of worker processes (started once, from a clean server process).

    The server process imports this module and ``preload`` (the modules of the tasks
    to come) once, rather than each worker when its first task arrives: the workers
    are ready as soon as they are forked. The first call of a process decides.
    """
    global _pool
    if _pool is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["adapters.cwr.pipeline", *preload])
        _pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_worker_start
        )
        atexit.register(_pool.shutdown, cancel_futures=True)
    return _pool


def start_workers(pool: ProcessPoolExecutor, workers: int) -> threading.Thread:
    """Start the pool's worker processes in a thread, which ends when they are there.

    The first submit to a new pool waits for the server process to start (a new
    interpreter importing the preloaded modules); the main process goes on meanwhile.
    A pool that cannot start says so at the main process's own submit.
    """

    def start() -> None:
        with suppress(RuntimeError):  # a broken or shut down pool
            for _ in range(workers):
                pool.submit(int)

    thread = threading.Thread(target=start, name="start-workers", daemon=True)
    thread.start()
    return thread


def drop_broken_pool() -> None:
    """Forget the pool, whose worker died (``BrokenProcessPool``): the next
    :func:`process_pool` starts a new one, so that a long-running node (the scheduler,
    ``serve``) keeps its workers after one ran out of memory."""
    global _pool
    broken, _pool = _pool, None
    if broken is not None:
        broken.shutdown(wait=False)  # what it still held fails as BrokenProcessPool


@contextmanager
def relaxed_gc() -> Iterator[None]:
    """Collect garbage less often while streaming a file.

    A file makes millions of short-lived objects with no reference cycles; the
    collector's default pace spends a third of an import looking at them.
    """
    before = gc.get_threshold()
    gc.set_threshold(*RELAXED_GC)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _source(sender: str, file: str, received: datetime, tx_type: str, seq: int) -> Source:
    return Source(sender, file, seq, received, tx_type)


def _check_chunk(
    path: str,
    offset: int,
    version: str,
    encoding: str,
    sender: str,
    file: str,
    received: datetime,
    chunk: list[TransactionPlace],
    with_works: bool,
) -> list[CheckedTransaction]:
    """In a worker: read the chunk's lines from the file itself, decode and validate them
    (and map their works, if ``with_works``)."""
    record_types = _DETAIL_TYPES[version]
    type_at = record_prefix().record_type
    results = []
    with open(path, "rb") as fh:
        fh.seek(offset)
        lines = enumerate(fh, start=chunk[0][5])
        for group_type, group_id, sequence, rejected, findings, first, last in chunk:
            tx = Transaction(group_type, group_id, sequence, findings=findings, rejected=rejected)
            records = []
            for number, raw in lines:
                if number >= first:
                    line = strip_line(raw)
                    record_type = line[type_at].decode("latin-1")
                    # as the parser: blank lines, unknown and control records are not the
                    # transaction's (the parser reported them)
                    if record_type in record_types:
                        records.append((number, record_type, line))
                if number == last:
                    break
            source = _source(sender, file, received, records[0][1], sequence)
            results.append(
                check_transaction(
                    tx,
                    version,
                    encoding,
                    sender,
                    source,
                    keep_work=with_works,
                    fingerprint=with_works,
                    lines=records,
                )
            )
    return results


#: The record types of each version that a transaction holds (its header and details).
_DETAIL_TYPES = {version: frozenset(layouts(version)) - CONTROL_TYPES for version in READ_VERSIONS}


def _skipped(tx: Transaction) -> CheckedTransaction:
    """A transaction of a rejected group: not checked further."""
    return CheckedTransaction(
        tx.type, tx.group_id, tx.sequence, tx.header.line, True, tx.findings, None
    )


_HEADERS = frozenset(t.encode() for t in HEADER_TYPES)
_CONTROLS = frozenset(t.encode() for t in CONTROL_TYPES)


def scan_transactions(source: CwrSource, version: str, encoding: str) -> Iterator[Transaction]:
    """The transactions of a file, found by their record types alone: where each begins
    and ends, its group and sequence number, no record decoded (but the GRH's).

    Right for a file whose structure pass finds nothing to say, and only for one:
    nothing is checked here. The import runs that pass beside, and starts again with
    :class:`CwrParser`'s walk when the pass has anything to say.
    """
    prefix = record_prefix()
    type_at, sequence_at = prefix.record_type, prefix.transaction_sequence
    group_codec = codecs_for(version, encoding)["GRH"]
    group_type, group_id = "", 0
    tx: Transaction | None = None
    number = offset = 0
    with source.path.open("rb") as fh:
        while raw := fh.readline(MAX_LINE_BYTES + 1):
            number += 1
            start, offset = offset, offset + len(raw)
            if not number % 1000:
                source.bytes_read = offset
            if len(raw) > MAX_LINE_BYTES:
                break  # the structure pass says what is wrong
            if number == 1 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
            line = strip_line(raw)
            if not line:
                continue
            record_type = line[type_at]
            if record_type in _HEADERS and starts_transaction(
                record_type.decode("latin-1"), group_type, tx is not None
            ):
                if tx is not None:
                    yield tx
                sequence = line[sequence_at]
                tx = Transaction(
                    group_type,
                    group_id,
                    int(sequence) if is_digits(sequence) else 0,
                    first_line=number,
                    last_line=number,
                    offset=start,
                )
            elif record_type in _CONTROLS:
                if tx is not None:
                    yield tx
                    tx = None
                if record_type == b"GRH":
                    group_id += 1
                    group_type = group_codec.decode_dict(line).get("transaction_type", "")
            elif tx is not None:
                tx.last_line = number
    if tx is not None:
        yield tx
    source.bytes_read = offset


def _in_worker(item: _Pending | list[CheckedTransaction]) -> bool:
    """Whether a batch handed to a worker is not done yet."""
    return not isinstance(item, list) and not item[1].done()


class CheckedFile:
    """Iterate to get a file's transactions, checked, in file order.

    ``parser`` (structure findings, header, version, counts) is complete once
    the iteration has ended. ``with_works=False`` (a validation): the checked
    transactions carry neither their works nor their fingerprints (``digest``).
    """

    def __init__(
        self,
        source: CwrSource,
        sender: str,
        received: datetime,
        rejected_groups: frozenset[int] = frozenset(),
        workers: int | None = None,
        with_works: bool = True,
        head: CwrParser | None = None,
    ) -> None:
        self.source = source
        self.sender = sender
        self.received = received
        self.rejected_groups = rejected_groups
        self.with_works = with_works
        workers = worker_count() if workers is None else workers
        self.parallel = (
            workers >= 1
            and source.member is None  # workers seek in the file: not in a zip package
            and source.size >= PARALLEL_FROM_BYTES
        )
        self.workers = workers
        self._broken = False  # a worker died: check the rest here
        #: with ``head`` (a parser that has read the HDR), the structure is judged
        #: elsewhere: the places of a large file's transactions are only scanned for
        #: (:func:`scan_transactions`), and ``parser`` knows the HDR alone
        self.scan = (
            head is not None
            and self.parallel
            and head.version in READ_VERSIONS
            and not (head.unsupported or head.file_rejected)
        )
        #: checked here, a validation's records are read from their lines (each decoded
        #: only if its values are read), an import's decoded by the parser
        here = not self.parallel
        self.parser = (
            head
            if head is not None and self.scan
            else CwrParser(source, decode=here and with_works, keep_records=here and not with_works)
        )

    def __iter__(self) -> Iterator[CheckedTransaction]:
        with relaxed_gc():
            if self.parallel:
                yield from self._in_workers()
            else:
                yield from self._here()

    def _here(self) -> Iterator[CheckedTransaction]:
        parser = self.parser
        for tx in parser.transactions():
            if tx.group_id in self.rejected_groups:
                yield _skipped(tx)
                continue
            source = _source(self.sender, self.source.name, self.received, tx.type, tx.sequence)
            yield check_transaction(
                tx,
                parser.version,
                parser.encoding,
                self.sender,
                source,
                keep_work=self.with_works,
                fingerprint=self.with_works,
                lines=tx.lines[1:],  # (the header is read: the parser's first record)
            )

    def _in_workers(self) -> Iterator[CheckedTransaction]:
        pool = process_pool(self.workers)
        starting = start_workers(pool, self.workers)
        parser = self.parser
        pending: deque[_Pending | list[CheckedTransaction]] = deque()
        chunk: list[TransactionPlace] = []
        offset = 0
        skipped: list[CheckedTransaction] = []

        def submit() -> None:
            nonlocal chunk, skipped
            if skipped:
                pending.append(skipped)
                skipped = []
            if chunk:
                task = (
                    str(self.source.path),
                    offset,
                    parser.version,
                    parser.encoding,
                    self.sender,
                    self.source.name,
                    self.received,
                    chunk,
                    self.with_works,
                )
                if self._broken or (not self.with_works and self._ahead(starting, pending)):
                    pending.append(_check_chunk(*task))  # theirs would wait: this one is ours
                else:
                    pending.append(self._submit(pool, task))
                chunk = []

        walk = (
            scan_transactions(self.source, parser.version, parser.encoding)
            if self.scan
            else parser.transactions()
        )
        for tx in walk:
            if tx.group_id in self.rejected_groups:
                if chunk:
                    submit()
                skipped.append(_skipped(tx))
                continue
            if skipped:
                submit()
            if not chunk:
                offset = tx.offset
            chunk.append(
                (
                    tx.group_type,
                    tx.group_id,
                    tx.sequence,
                    tx.rejected,
                    tx.findings,
                    tx.first_line,
                    tx.last_line,
                )
            )
            if len(chunk) >= CHUNK_TRANSACTIONS:
                submit()
                while pending and (
                    not _in_worker(pending[0]) or len(pending) > 2 * AHEAD * self.workers
                ):
                    yield from self._result(pending.popleft())
        submit()
        while pending:
            if not self.with_works and _in_worker(pending[0]) and self._take_back(pending):
                continue  # a validation's main process checks a batch rather than wait
            yield from self._result(pending.popleft())

    def _ahead(
        self, starting: threading.Thread, pending: deque[_Pending | list[CheckedTransaction]]
    ) -> bool:
        """Whether the workers are still starting, or have enough batches waiting."""
        in_workers = sum(_in_worker(p) for p in pending)
        return starting.is_alive() or in_workers >= AHEAD * self.workers

    @staticmethod
    def _take_back(pending: deque[_Pending | list[CheckedTransaction]]) -> bool:
        """Check here the last batch that no worker has begun (the walk is over: this
        process would only wait); False if every batch is begun or done."""
        for i in range(len(pending) - 1, 0, -1):
            item = pending[i]
            if isinstance(item, tuple) and item[1].cancel():  # (False once begun or done)
                pending[i] = _check_chunk(*item[0])
                return True
        return False

    def _submit(
        self, pool: ProcessPoolExecutor, task: tuple
    ) -> _Pending | list[CheckedTransaction]:
        """A chunk handed to a worker, or checked here if the pool cannot take it."""
        try:
            return task, pool.submit(_check_chunk, *task)
        except BrokenProcessPool:  # a worker of this pool died
            self._lost_worker()
        except RuntimeError:  # shut down (dropped for a worker of another pass)
            pass
        return _check_chunk(*task)

    def _lost_worker(self) -> None:
        """A worker died (out of memory?): the rest of the file is checked here."""
        if not self._broken:
            drop_broken_pool()
            self._broken = True

    def _result(self, item: _Pending | list[CheckedTransaction]) -> list[CheckedTransaction]:
        """A batch's transactions, from the worker that checked them or checked here."""
        if isinstance(item, list):
            return item
        task, future = item
        try:
            return future.result()
        except BrokenProcessPool:
            self._lost_worker()
            return _check_chunk(*task)
