"""One exchange with a partner at a time, across processes and machines.

A lease is a row of ``partner_leases``: who holds the partner (the machine, the
process id and when that process started, what for), since when and until when.
Taking it is one conditional statement (insert if absent, or replace the very
row that was found stale), so two processes on the same database never both
hold it. The holder renews it from a thread every third of its time to live, so
that only a holder that stopped lets it expire.

A holder that died does not keep the partner:

* on the same machine, the next exchange sees that the holder's process is gone
  (its id runs no process, a zombie, or a process started at another time: the
  id was reused) and takes the lease over at once;
* on PostgreSQL, the holder also keeps a session advisory lock on a connection of
  its own for the life of the exchange. The database drops it with the session
  when the holder dies, so a dead holder on another machine is known too;
* else (a holder on another machine of a SQLite store shared over the network)
  the lease ends when it expires, at most :data:`TTL` after the holder stopped.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from exchange.errors import EXIT_PARTNER, ExchangeError
from exchange.store import Store
from exchange.store import tables as t
from exchange.store.database import StoreError
from exchange.store.rows import now

logger = logging.getLogger(__name__)

#: How long a lease lasts unless renewed.
TTL = timedelta(minutes=15)
#: Seconds a taker waits for the database session of a holder that died on this
#: machine to end (PostgreSQL notices the closed connection at once, or nearly).
SESSION_GRACE = 15.0


class PartnerBusy(ExchangeError):
    """Another exchange holds the partner (``holder``: who, when known)."""

    exit_code = EXIT_PARTNER

    def __init__(self, message: str, holder: Holder | None = None) -> None:
        super().__init__(message)
        self.holder = holder


@cache
def _this_system() -> str:
    """This boot of this machine and this process's PID namespace (Linux; else empty), so
    that process ids and start times are compared only where they mean the same."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return f"{boot} {namespace}"


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the name (field 3 of proc(5) first); None
    where there is no such process or no ``/proc``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()  # the name, in brackets, may hold spaces


def process_start(pid: int) -> str | None:
    """When process ``pid`` started: ``<boot and PID namespace>/<clock ticks since boot>``
    (Linux). None where it cannot be told (no such process, no ``/proc``)."""
    fields = _stat(pid)
    return None if fields is None else f"{_this_system()}/{fields[19]}"  # 22: starttime


def _is_zombie(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] in ("Z", "X")


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a partner's lease: machine, process (id and start), what for, since when."""

    purpose: str
    host: str | None = None
    pid: int | None = None
    process: str | None = None
    since: datetime | None = None
    expires: datetime | None = None

    @classmethod
    def this_process(cls, purpose: str) -> Holder:
        pid = os.getpid()
        return cls(purpose[:200], socket.gethostname()[:255], pid, process_start(pid))

    @property
    def system(self) -> str | None:
        """The boot and PID namespace part of :attr:`process` (None when not known)."""
        return self.process.rsplit("/", 1)[0] if self.process else None

    def describe(self) -> str:
        """``sync on host-a, process 4242, since 2026-12-01 22:50:05 UTC``."""
        where = f" on {self.host}, process {self.pid}" if self.host else ""
        since = f", since {self.since:%Y-%m-%d %H:%M:%S} UTC" if self.since else ""
        return f"{self.purpose}{where}{since}"

    def is_gone(self) -> bool:
        """Whether the holder is known to have died: its process on this machine is gone.

        A holder on another machine (or one this machine cannot check) is not known
        to be gone: only its expiry, or PostgreSQL's session, tells.
        """
        if self.pid is None or self.host != socket.gethostname():
            return False
        if self.system is not None and self.system != _this_system():
            return False  # another machine of the same name, a container, a reboot: not known
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # a process of another user has that id
        if _is_zombie(self.pid):
            return True
        started = process_start(self.pid)
        return self.process is not None and started is not None and started != self.process

    def as_dict(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "host": self.host,
            "pid": self.pid,
            "since": self.since.isoformat() if self.since else None,
            "expires": self.expires.isoformat() if self.expires else None,
        }


def busy_message(partner: str, holder: Holder | None) -> str:
    """What an exchange that finds the partner held says."""
    who = f" ({holder.describe()})" if holder else ""
    return f"partner {partner} is busy: another exchange holds it{who}"


class _SessionLock:
    """A PostgreSQL session advisory lock on a partner, on a connection of its own."""

    def __init__(self, store: Store, partner: str) -> None:
        digest = hashlib.sha256(f"cmo-exchange partner lease {partner}".encode()).digest()
        self.key = int.from_bytes(digest[:8], "big", signed=True)
        try:
            connection = store.engine.connect()
        except OperationalError as exc:
            raise StoreError(f"database {store.engine.url!r}: {exc.orig}") from None
        self.conn: Connection = connection.execution_options(isolation_level="AUTOCOMMIT")

    def try_lock(self) -> bool:
        query = text("SELECT pg_try_advisory_lock(:key)")
        return bool(self.conn.execute(query, {"key": self.key}).scalar())

    def wait(self, seconds: float) -> bool:
        """Try for up to ``seconds`` (the session of a dead holder is ending)."""
        deadline = time.monotonic() + seconds
        while not self.try_lock():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
        return True

    def check(self) -> None:
        """Raises if the session (and so the lock) is gone."""
        self.conn.execute(text("SELECT 1"))

    def close(self) -> None:
        try:
            self.conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except Exception:  # noqa: BLE001 - the session is gone, and the lock with it
            self.conn.invalidate()
        self.conn.close()


def _read(store: Store, partner: str) -> tuple[Holder, str | None] | None:
    leases = t.partner_leases
    with store.connect() as conn:
        row = conn.execute(select(leases).where(leases.c.partner == partner)).first()
    if row is None:
        return None
    holder = Holder(row.holder, row.host, row.pid, row.process, row.acquired_at, row.expires_at)
    return holder, row.token


def current_holder(store: Store, partner: str) -> Holder | None:
    """Who holds the partner's lease now (None: nobody)."""
    found = _read(store, partner)
    return None if found is None else found[0]


class Lease:
    """A partner held by this process until :meth:`release`."""

    def __init__(
        self,
        store: Store,
        partner: str,
        holder: Holder,
        token: str,
        ttl: timedelta,
        session: _SessionLock | None,
    ) -> None:
        self.store = store
        self.partner = partner
        self.holder = holder
        self.token = token
        self.ttl = ttl
        self.expires_at = holder.expires
        self._session = session
        self._lost: str | None = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def renew(self) -> None:
        """Push the end of the lease ``ttl`` further; PartnerBusy if it was lost."""
        if self._session is not None:
            try:
                self._session.check()
            except Exception as exc:
                raise self._lose(f"its database session ended ({exc.__class__.__name__})") from None
        until = now() + self.ttl
        leases = t.partner_leases
        with self.store.connect() as conn:
            done = conn.execute(
                update(leases)
                .where(leases.c.partner == self.partner, leases.c.token == self.token)
                .values(expires_at=until)
            ).rowcount
        if not done:
            raise self._lose("another exchange took it over")
        self.expires_at = until

    def _lose(self, why: str) -> PartnerBusy:
        self._lost = f"the lease on partner {self.partner} was lost: {why}"
        return PartnerBusy(self._lost)

    def check(self) -> None:
        """PartnerBusy if the lease was lost (the exchange must stop where it is)."""
        if self._lost is not None:
            raise PartnerBusy(self._lost)

    def keep_alive(self) -> None:
        """Renew the lease from a thread every third of its time to live, until released."""
        interval = max(self.ttl.total_seconds() / 3, 1.0)

        def beat() -> None:
            while not self._stop.wait(interval):
                try:
                    self.renew()
                except PartnerBusy:  # told to the exchange by check()
                    logger.warning("%s", self._lost)
                    return
                except Exception as exc:  # noqa: BLE001 - the store is busy: next time
                    logger.warning("partner %s: the lease was not renewed: %s", self.partner, exc)

        self._beat = threading.Thread(target=beat, name=f"lease {self.partner}", daemon=True)
        self._beat.start()

    def release(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join()
        try:
            leases = t.partner_leases
            with self.store.connect() as conn:
                conn.execute(
                    delete(leases).where(
                        leases.c.partner == self.partner, leases.c.token == self.token
                    )
                )
        finally:
            if self._session is not None:
                self._session.close()


def try_acquire(
    store: Store, partner: str, purpose: str = "sync", ttl: timedelta = TTL
) -> Lease | None:
    """The partner's lease, or None while another exchange that is alive holds it."""
    session = _SessionLock(store, partner) if store.dialect == "postgresql" else None
    lease = None
    try:
        if session is not None and not session.try_lock():
            held = current_holder(store, partner)
            if held is None or not held.is_gone() or not session.wait(SESSION_GRACE):
                return None
        lease = _take(store, partner, Holder.this_process(purpose), ttl, session)
        return lease
    finally:
        if lease is None and session is not None:
            session.close()


def _same_row(held: Holder, token: str | None) -> Any:
    """The condition that the lease row is still the one read (by its token; rows of
    earlier versions, without one, by when they were taken)."""
    leases = t.partner_leases
    if token is not None:
        return leases.c.token == token
    return leases.c.token.is_(None) & (leases.c.acquired_at == held.since)


def _take(
    store: Store, partner: str, me: Holder, ttl: timedelta, session: _SessionLock | None
) -> Lease | None:
    """Write our row: a new one, or over a stale one (compared by its token)."""
    leases = t.partner_leases
    token = uuid.uuid4().hex
    for _ in range(3):
        stamp = now()
        values = {
            "holder": me.purpose,
            "host": me.host,
            "pid": me.pid,
            "process": me.process,
            "token": token,
            "acquired_at": stamp,
            "expires_at": stamp + ttl,
        }
        holder = Holder(me.purpose, me.host, me.pid, me.process, stamp, stamp + ttl)
        try:
            with store.connect() as conn:
                conn.execute(insert(leases).values(partner=partner, **values))
            return Lease(store, partner, holder, token, ttl, session)
        except IntegrityError:
            pass  # held, or left behind by a holder that died
        found = _read(store, partner)
        if found is None:
            continue  # released meanwhile
        held, held_token = found
        # holding the session lock, the row's writer no longer does: it is stale
        stale = (
            session is not None
            or (held.expires is not None and held.expires < stamp)
            or held.is_gone()
        )
        if not stale:
            return None
        with store.connect() as conn:
            taken = conn.execute(
                update(leases)
                .where(leases.c.partner == partner, _same_row(held, held_token))
                .values(**values)
            ).rowcount
        if taken:
            logger.info("partner %s: took over the lease of %s", partner, held.describe())
            return Lease(store, partner, holder, token, ttl, session)
    return None


def abandoned(store: Store, purpose: str) -> list[str]:
    """Partners whose lease, taken for ``purpose``, is still held: by an exchange going on,
    or left by one that died (:func:`clear_abandoned` tells them apart)."""
    leases = t.partner_leases
    with store.connect() as conn:
        query = select(leases.c.partner).where(leases.c.holder == purpose[:200])
        return sorted(conn.execute(query.order_by(leases.c.partner)).scalars())


def clear_abandoned(store: Store, partner: str, purpose: str) -> Holder | None:
    """Remove the partner's lease if an exchange for ``purpose`` that died left it; the
    holder it named, else None (no lease, another purpose, or a holder still alive).

    The holder is dead as :func:`try_acquire` tells it (its process gone from this
    machine, its PostgreSQL session ended, or its lease expired). The row is removed
    only if it is still the one that was read: of several callers, one clears it.
    """
    found = _read(store, partner)
    if found is None or found[0].purpose != purpose[:200]:
        return None
    held, token = found
    session = _SessionLock(store, partner) if store.dialect == "postgresql" else None
    try:
        if session is not None:
            if not session.try_lock() and not (held.is_gone() and session.wait(SESSION_GRACE)):
                return None  # its session, and so the holder, is alive
        elif not ((held.expires is not None and held.expires < now()) or held.is_gone()):
            return None
        leases = t.partner_leases
        with store.connect() as conn:
            cleared = conn.execute(
                delete(leases).where(leases.c.partner == partner, _same_row(held, token))
            )
        return held if cleared.rowcount else None
    finally:
        if session is not None:
            session.close()


@contextmanager
def partner_lease(
    store: Store,
    partner: str,
    purpose: str,
    wait: float = 0.0,
    ttl: timedelta = TTL,
    on_wait: Callable[[Holder | None], None] | None = None,
) -> Iterator[Lease]:
    """Hold the partner for the block, renewed as it goes; wait up to ``wait`` seconds for
    another exchange (``on_wait`` is told who holds it, each time that changes), else
    PartnerBusy naming the holder."""
    deadline = time.monotonic() + wait
    told: Holder | None = None
    while True:
        lease = try_acquire(store, partner, purpose, ttl)
        if lease is not None:
            break
        held = current_holder(store, partner)
        left = deadline - time.monotonic()
        if left <= 0:
            raise PartnerBusy(busy_message(partner, held), held)
        if on_wait is not None and (told is None or _who(held) != _who(told)):
            on_wait(held)
            told = held
        time.sleep(min(0.5, left))
    lease.keep_alive()
    try:
        yield lease
    finally:
        try:
            lease.release()
        except Exception as exc:  # noqa: BLE001 - the lease expires, or its session went
            logger.warning("partner %s: the lease could not be released: %s", partner, exc)


def _who(holder: Holder | None) -> tuple[Any, ...]:
    return () if holder is None else (holder.host, holder.pid, holder.since)
