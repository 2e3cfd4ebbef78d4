"""One exchange with a partner at a time, across processes and machines.

A lease is a row of ``partner_leases``: who holds the partner and until when.
Taking it is one conditional statement (insert if absent, or take over a lease
that has expired), so two processes on the same database never both hold it;
a holder that crashed cannot keep it longer than its time to live. A long
exchange renews its lease between steps.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from exchange.errors import EXIT_PARTNER, ExchangeError
from exchange.store import Store
from exchange.store import tables as t
from exchange.store.rows import now

#: How long a lease lasts unless renewed.
TTL = timedelta(minutes=15)


class PartnerBusy(ExchangeError):
    """Another exchange holds the partner."""

    exit_code = EXIT_PARTNER


def holder_name(purpose: str) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{purpose}"[:200]


@dataclass(slots=True)
class Lease:
    store: Store
    partner: str
    holder: str
    expires_at: datetime
    ttl: timedelta = TTL

    def renew(self) -> None:
        """Push the end of the lease ``ttl`` further; PartnerBusy if it was lost."""
        until = now() + self.ttl
        with self.store.connect() as conn:
            done = conn.execute(
                update(t.partner_leases)
                .where(t.partner_leases.c.partner == self.partner)
                .where(t.partner_leases.c.holder == self.holder)
                .values(expires_at=until)
            ).rowcount
        if not done:
            raise PartnerBusy(f"the lease on partner {self.partner} was lost (it expired)")
        self.expires_at = until

    def release(self) -> None:
        with self.store.connect() as conn:
            conn.execute(
                delete(t.partner_leases)
                .where(t.partner_leases.c.partner == self.partner)
                .where(t.partner_leases.c.holder == self.holder)
            )


def try_acquire(store: Store, partner: str, holder: str, ttl: timedelta = TTL) -> Lease | None:
    """The partner's lease, or None while someone else holds it."""
    stamp = now()
    leases = t.partner_leases
    values = {"holder": holder, "acquired_at": stamp, "expires_at": stamp + ttl}
    try:
        with store.connect() as conn:
            conn.execute(insert(leases).values(partner=partner, **values))
        return Lease(store, partner, holder, stamp + ttl, ttl)
    except IntegrityError:
        pass  # held, or left behind by a holder that died: take it over if expired
    with store.connect() as conn:
        taken = conn.execute(
            update(leases)
            .where(leases.c.partner == partner)
            .where(leases.c.expires_at < stamp)
            .values(**values)
        ).rowcount
    return Lease(store, partner, holder, stamp + ttl, ttl) if taken else None


def current_holder(store: Store, partner: str) -> tuple[str, datetime] | None:
    with store.connect() as conn:
        row = conn.execute(
            select(t.partner_leases.c.holder, t.partner_leases.c.expires_at).where(
                t.partner_leases.c.partner == partner
            )
        ).first()
    return None if row is None else (row.holder, row.expires_at)


@contextmanager
def partner_lease(
    store: Store, partner: str, purpose: str, wait: float = 0.0, ttl: timedelta = TTL
) -> Iterator[Lease]:
    """Hold the partner for the block; wait up to ``wait`` seconds, else PartnerBusy."""
    holder = holder_name(purpose)
    deadline = time.monotonic() + wait
    while True:
        lease = try_acquire(store, partner, holder, ttl)
        if lease is not None:
            break
        if time.monotonic() >= deadline:
            held = current_holder(store, partner)
            who = f" by {held[0]} until {held[1]:%Y-%m-%d %H:%M:%S} UTC" if held else ""
            raise PartnerBusy(f"partner {partner} is busy: an exchange is running{who}")
        time.sleep(0.5)
    try:
        yield lease
    finally:
        lease.release()
