"""Exporting works from the store as CWR, encoding in worker processes for large exports.

Each work carries the claims the claim policy chooses (:mod:`exchange.exports.claims`).

Loading works from the store and encoding them costs far more than writing the
lines. For a large export, worker processes each read a slice of the works from
the store (with their own connections) and encode them; the main process encodes
slices itself while the workers start, takes the encoded transactions in order
and writes them into files (:func:`adapters.cwr.export.export_works`). Each work is
encoded with its place in the export as its transaction number, which is the one it
gets unless a work before it was skipped or a new file began: then it is renumbered.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from typing import Any

from adapters.cwr.export import EncodedWork, SkippedWork
from adapters.cwr.layout import record_prefix
from adapters.cwr.pipeline import process_pool, start_workers, worker_count
from adapters.cwr.work_records import encode_work
from adapters.cwr.work_values import WorkWriteError
from exchange.exports.claims import registration
from exchange.model import Work
from exchange.store import Store

#: Exports of fewer works are encoded in the main process.
PARALLEL_FROM_WORKS = 5000
CHUNK_WORKS = 500

_stores: dict[str, Store] = {}


def _encoded(
    store: Store,
    start: int,
    ids: Sequence[int],
    version: str,
    transaction: str,
    sender: str,
    encoding: str,
) -> list[EncodedWork | SkippedWork]:
    """The works of the store with these ids, encoded; ``start`` is the first one's place
    in the export.

    Each work gets its place as its transaction sequence number: the one it has in the
    file when no work before it was skipped (the writer renumbers the others).
    """
    encoded: list[EncodedWork | SkippedWork] = []
    digits = record_prefix().transaction_sequence
    numbers = 10 ** (digits.stop - digits.start)
    for place, work in enumerate(store.iter_works(ids), start):
        try:
            lines = encode_work(
                registration(work, sender), version, transaction, place % numbers, sender, encoding
            )
        except WorkWriteError as exc:
            encoded.append(SkippedWork.from_error(exc))
        else:
            encoded.append(EncodedWork(work.id, lines))
    return encoded


def _encode_chunk(url: str, *task: Any) -> list[EncodedWork | SkippedWork]:
    """In a worker: :func:`_encoded` (``task`` its arguments after the store) on the
    store at ``url``, through a connection of the worker's own."""
    store = _stores.get(url)
    if store is None:
        store = _stores[url] = Store(url)
    return _encoded(store, *task)


def works_to_export(
    store: Store,
    ids: Sequence[int],
    *,
    version: str,
    transaction: str,
    sender: str,
    encoding: str,
    workers: int | None = None,
) -> Iterator[Work | EncodedWork | SkippedWork]:
    """The works to hand to ``export_works``, in id order: encoded ahead when there are many.

    The worker processes take the chunks of works in turn, up to ``2 * workers`` of them
    handed out at a time (the chunks the main process encoded do not count).  While
    they start (a new interpreter importing the modules of the tasks: half a second or
    more, in which handing them a chunk would wait), the main process encodes and
    writes the chunks itself; then, until the first chunk comes back from a worker, it
    encodes the chunks after those handed out rather than wait.
    """
    workers = worker_count() if workers is None else workers
    if workers < 1 or len(ids) < PARALLEL_FROM_WORKS:
        for work in store.iter_works(ids):
            yield registration(work, sender)
        return
    pool = process_pool(workers, preload=(__name__,))
    starting = start_workers(pool, workers)
    chunks = [
        (start, list(ids[start : start + CHUNK_WORKS])) for start in range(0, len(ids), CHUNK_WORKS)
    ]
    chunks.reverse()  # taken from the end
    ahead: deque[Future[list[EncodedWork | SkippedWork]] | list[EncodedWork | SkippedWork]]
    ahead = deque()
    returned = False  # whether a chunk came back from a worker yet
    while chunks or ahead:
        if chunks and starting.is_alive():
            yield from _encoded(store, *chunks.pop(), version, transaction, sender, encoding)
            continue
        handed_out = sum(isinstance(due, Future) for due in ahead)
        while chunks and handed_out < 2 * workers:
            ahead.append(
                pool.submit(
                    _encode_chunk, store.url, *chunks.pop(), version, transaction, sender, encoding
                )
            )
            handed_out += 1
        due = ahead.popleft()
        if isinstance(due, Future):
            while not returned and chunks and not due.done():
                ahead.append(_encoded(store, *chunks.pop(), version, transaction, sender, encoding))
            due = due.result()
            returned = True
        yield from due
