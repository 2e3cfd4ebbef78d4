"""Claiming a received file for import: one process imports a given content at a time.

Two imports of one file may start together (an operator and a sync, two cron
jobs). Deciding that the file is new and recording in its ledger entry that this
process imports it is one step, which one process at a time takes:

- on PostgreSQL under a session advisory lock keyed on the file's sha256, held
  for the whole import. A second import of the file waits for the lock, then
  finds the file imported. The lock ends with the session, so an importer that
  is killed leaves the file free at once, on any machine.
- on SQLite in one ``BEGIN IMMEDIATE`` transaction (SQLite has one writer at a
  time). The entry names its holder: host, process id and the process's start
  time (as partner leases do, :mod:`exchange.store.leases`). An entry left
  ``importing`` by a process that is gone is taken over at once; one held by a
  live process is waited for. A holder this machine cannot look up (another
  machine, another boot or container) is taken as gone when its entry has not
  moved for :data:`STALE`.

A taken-over entry resumes after the last batch its holder committed (each
batch commits with the entry's progress, see :class:`exchange.imports.batch.BatchImporter`).
An import that stops on an error marks its entry ``failed`` with the error; the
next import of the file takes it up again.

The states of a received file's entry, and the moves between them, are those of
:mod:`exchange.store.ledger`: ``importing`` (held, or left by a holder that died),
``imported``, ``rejected`` (as a whole, by the standard's rules), ``failed``
(stopped on an error, see ``error``), and ``refused`` (by an exchange, see
:mod:`exchange.sync.inbound`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import OperationalError

from exchange.errors import ExchangeError
from exchange.identifiers import is_digits
from exchange.store import Store
from exchange.store import tables as t
from exchange.store.database import StoreError
from exchange.store.leases import Holder
from exchange.store.ledger import DONE, FAILED, IMPORTING, FileEntry, ledger_row
from exchange.store.rows import now

log = logging.getLogger(__name__)

#: A holder on another machine whose entry has not moved for this long is taken as gone
#: (SQLite only: PostgreSQL knows whether the holder's session lives).
STALE = timedelta(minutes=15)
#: Seconds between two looks at an entry a live process holds (SQLite).
POLL = 0.5


def holder_text(holder: Holder) -> str:
    """How an entry names its holder: ``host pid process-start``."""
    return f"{holder.host} {holder.pid} {holder.process or ''}"[:200]


def parse_holder(text: str | None) -> Holder | None:
    """The holder an entry names (None when it names none)."""
    parts = (text or "").split(" ", 2)
    if len(parts) != 3 or not is_digits(parts[1]):
        return None
    return Holder("import", parts[0], int(parts[1]), parts[2] or None)


def this_process() -> str:
    """How the entries this process claims name it."""
    return holder_text(Holder.this_process("import"))


def holder_alive(holder: str | None, updated_at: Any) -> bool:
    """Whether the process an entry names may still be importing it (SQLite).

    A process of this machine (same boot, same PID namespace) is looked up; one
    that cannot be looked up is taken as alive while its entry moves.
    """
    found = parse_holder(holder)
    if found is None or found.is_gone():
        return False
    me = Holder.this_process("import")
    here = found.host == me.host and found.system == me.system
    return here or (updated_at is not None and now() - updated_at < STALE)


class FileClaim:
    """This process's hold on a file's ledger entry, or the earlier entry that has the file.

    Use it as a context manager around the import: an exception marks the entry
    ``failed`` with its error; leaving the block ends the hold.
    """

    def __init__(
        self, store: Store, entry: FileEntry | None, done: FileEntry | None, lock: Any = None
    ) -> None:
        self.store = store
        #: the entry this process holds and imports into (None when ``done``)
        self.entry = entry
        #: the entry whose import has the file already (imported or rejected)
        self.done = done
        self._lock: Connection | None = lock

    def release(self) -> None:
        """End the hold (PostgreSQL: close the session that holds the advisory lock)."""
        if self._lock is not None:
            lock, self._lock = self._lock, None
            lock.invalidate()  # the session ends, and its locks with it
            lock.close()

    def __enter__(self) -> FileClaim:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        try:
            if exc is not None and self.entry is not None:
                self._failed(exc)
        finally:
            self.release()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, KeyboardInterrupt):
            error = "interrupted"
        else:
            told = isinstance(exc, StoreError | ExchangeError)  # messages meant for operators
            error = str(exc) if told else f"{type(exc).__name__}: {exc}"
        assert self.entry is not None
        try:
            self.store.update_file(self.entry.id, state=FAILED, error=error[:1990])
        except Exception as again:  # the store itself may be what failed
            log.warning("ledger entry %s not marked failed: %s", self.entry.id, again)


def claim_file(
    store: Store,
    sha256: str,
    *,
    name: str,
    partner: str | None,
    format: str,
    version: str | None,
) -> FileClaim:
    """Hold the ledger entry of a received file for its import, waiting while another
    process imports it; or say which entry has the file imported already."""
    values = ledger_row(name, sha256, partner, format, version)
    try:
        if store.dialect == "postgresql":
            return _claim_postgresql(store, values)
        return _claim_sqlite(store, values)
    except OperationalError as exc:
        raise StoreError(f"database {_safe_url(store)}: {exc.orig}") from None


def _safe_url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=True)


def _lock_key(sha256: str) -> int:
    return int.from_bytes(bytes.fromhex(sha256[:16].ljust(16, "0")), "big", signed=True)


def _claim_postgresql(store: Store, values: dict[str, Any]) -> FileClaim:
    key = _lock_key(values["sha256"])
    lock = store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        if not lock.execute(select(func.pg_try_advisory_lock(key))).scalar_one():
            _waiting(values["name"], _newest(store, values["sha256"]))
            lock.execute(select(func.pg_advisory_lock(key)))
        # Whoever held the lock has finished or is gone: what is left "importing" is free.
        with store.connect() as conn:
            claim = _decide(store, conn, values, lambda _row: False)
    except BaseException:
        lock.invalidate()
        lock.close()
        raise
    assert claim is not None
    if claim.entry is None:
        lock.invalidate()
        lock.close()
    else:
        claim._lock = lock
    return claim


def _claim_sqlite(store: Store, values: dict[str, Any]) -> FileClaim:
    waited = False
    while True:
        busy = _newest(store, values["sha256"])
        if busy is None or busy.state != IMPORTING or not _held_elsewhere(busy):
            try:
                with store.engine.connect() as conn:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                    claim = _decide(store, conn, values, _held_elsewhere)
                    conn.commit()
            except OperationalError as exc:
                if "locked" not in str(exc.orig):
                    raise
                claim = None  # a long write of another process: look again
            if claim is not None:
                return claim
        if not waited:
            _waiting(values["name"], busy)
            waited = True
        time.sleep(POLL)


def _waiting(name: str, entry: Any) -> None:
    holder = f" ({entry.holder})" if entry is not None and entry.holder else ""
    log.warning("%s: another process imports this file%s; waiting for it to end", name, holder)


def _newest(store: Store, sha256: str) -> Any:
    with store.connect() as conn:
        return conn.execute(
            select(t.files.c.state, t.files.c.holder, t.files.c.updated_at)
            .where(t.files.c.sha256 == sha256, t.files.c.direction == "in")
            .order_by(t.files.c.id.desc())
        ).first()


def _held_elsewhere(row: Any) -> bool:
    """Whether an entry is held by a live process other than this one."""
    return row.holder != this_process() and holder_alive(row.holder, row.updated_at)


def _decide(
    store: Store, conn: Connection, values: dict[str, Any], alive: Callable[[Any], bool]
) -> FileClaim | None:
    """Inside the claim's lock: the claim, or None while a live process holds the file."""
    files = t.files
    rows = conn.execute(
        select(files)
        .where(files.c.sha256 == values["sha256"], files.c.direction == "in")
        .order_by(files.c.id.desc())
    ).all()
    done = next((r for r in rows if r.state in DONE), None)
    if done is not None:
        return FileClaim(store, None, FileEntry.from_row(done))
    held = {"holder": this_process(), "updated_at": now()}
    if not rows:  # a new entry, in its first state (importing)
        file_id = conn.execute(
            insert(files).values({**values, **held}).returning(files.c.id)
        ).scalar_one()
    else:
        newest = rows[0]
        if newest.state == IMPORTING and alive(newest):
            return None
        file_id = newest.id
        if newest.state == IMPORTING and newest.holder != held["holder"]:
            log.warning(
                "%s: ledger entry %s was left importing by %s, which is gone: taking it over",
                values["name"],
                file_id,
                newest.holder or "an unknown process",
            )
        taken = {k: values[k] for k in ("partner", "format", "version")}
        store.update_file(file_id, conn, state=IMPORTING, **held, **taken, error=None)
    row = conn.execute(select(files).where(files.c.id == file_id)).one()
    return FileClaim(store, FileEntry.from_row(row), None)
