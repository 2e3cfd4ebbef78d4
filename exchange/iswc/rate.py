"""The ISWC database's rate limit, kept by every process of the node together.

CISAC allows an agency 10 requests a minute and 1,000,000 a month (REST API
specification, 2.2.2). The node keeps to that itself, so that two runs at once
(a scheduled job and an operator) cannot exceed it together: the state of the
limit is one row of ``iswc_rate`` in the store, read and changed under a lock.

- The minute limit is a token bucket. A request takes a token; tokens come back
  at a steady rate and the bucket holds ``burst`` of them. With ``N`` requests
  per window ``W`` tokens return at ``(N - burst + 1) / W`` a second, so that no
  stretch of ``W`` seconds holds more than ``N`` requests however they are timed
  (with ``burst`` 1, the default, one request every ``W / N`` seconds).
- The month limit counts the requests of the calendar month (UTC); when it is
  used up the next request is refused with :class:`QuotaExhausted` rather than
  waited for.

The lock: on PostgreSQL the row is read ``FOR UPDATE`` (the row lock lasts the
transaction); on SQLite the transaction is ``BEGIN IMMEDIATE`` (one writer at a
time), as :mod:`exchange.imports.file_claims` does for its claims.

The clock and the sleep are given, so that tests run on a clock of their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import OperationalError

from exchange.errors import EXIT_PARTNER, ExchangeError
from exchange.iswc.limits import REQUESTS_PER_MINUTE, REQUESTS_PER_MONTH
from exchange.store import Store
from exchange.store import tables as t
from exchange.store.database import StoreError

#: A wait this much shorter than a whole token is taken as a whole one (float rounding).
EPSILON = 1e-9


class QuotaExhausted(ExchangeError):
    """The month's requests are used up."""

    exit_code = EXIT_PARTNER


def month_of(moment: float) -> str:
    """The calendar month (UTC) of a time in seconds since the epoch.

    >>> month_of(0.0), month_of(1_798_761_599.0)
    ('1970-01', '2026-12')
    """
    return time.strftime("%Y-%m", time.gmtime(moment))


def next_month(month: str) -> str:
    """The calendar month after ``month`` (``YYYY-MM``).

    >>> next_month("2026-12"), next_month("2027-01")
    ('2027-01', '2027-02')
    """
    year, number = int(month[:4]), int(month[5:])
    return f"{year + number // 12}-{number % 12 + 1:02d}"


class RateLimit:
    """The shared limit named ``name`` (the API's base URL) in ``store``."""

    def __init__(
        self,
        store: Store,
        name: str,
        *,
        per_minute: int = REQUESTS_PER_MINUTE,
        per_month: int = REQUESTS_PER_MONTH,
        window: float = 60.0,
        burst: int = 1,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute < 1 or per_month < 1:
            raise ValueError("the ISWC database allows at least one request a minute and a month")
        if not 1 <= burst <= per_minute:
            raise ValueError(f"burst must be from 1 to {per_minute}, not {burst}")
        self.store = store
        self.name = name[:100]
        self.per_minute = per_minute
        self.per_month = per_month
        self.window = window
        self.burst = burst
        #: tokens that come back per second
        self.rate = (per_minute - burst + 1) / window
        self.clock = clock
        self.sleep = sleep

    def acquire(self) -> float:
        """Wait until a request may start, count it, and return when (by the clock)."""
        while True:
            look = self._take()
            if look is None:
                continue  # the store was busy: look again
            taken, value = look
            if taken:
                return value
            self.sleep(value)

    def _take(self) -> tuple[bool, float] | None:
        """One look: (True, the moment) when a token was taken, else (False, seconds to wait);
        None when the store was too busy to look."""
        try:
            with self._locked() as (conn, row):
                moment = self.clock()
                tokens = self._tokens(row, moment)
                month = month_of(moment)
                calls = row.month_calls if row.month == month else 0
                if calls >= self.per_month:
                    raise QuotaExhausted(
                        f"the {self.per_month:,} requests a month to the ISWC database "
                        f"({self.name}) are used up; more from {next_month(month)}-01 (UTC)"
                    )
                if tokens < 1 - EPSILON:
                    return False, (1 - tokens) / self.rate
                conn.execute(
                    update(t.iswc_rate)
                    .where(t.iswc_rate.c.name == self.name)
                    .values(
                        tokens=max(tokens - 1, 0.0),
                        refilled_at=max(moment, row.refilled_at),
                        month=month,
                        month_calls=calls + 1,
                    )
                )
                return True, moment
        except OperationalError as exc:
            if "locked" in str(exc.orig):
                return None
            reason = " ".join(str(exc.orig).split())
            where = self.store.engine.url.render_as_string(hide_password=True)
            raise StoreError(f"database {where}: {reason}") from None

    def _tokens(self, row: Any, moment: float) -> float:
        """The tokens in the bucket at ``moment`` (a clock that went back adds none)."""
        elapsed = max(moment - row.refilled_at, 0.0)
        return min(float(self.burst), row.tokens + elapsed * self.rate)

    def _fresh(self) -> dict[str, Any]:
        moment = self.clock()
        return {
            "name": self.name,
            "tokens": float(self.burst),
            "refilled_at": moment,
            "month": month_of(moment),
            "month_calls": 0,
        }

    @contextmanager
    def _locked(self) -> Iterator[tuple[Connection, Any]]:
        """The limit's row, locked against every other process until the block ends."""
        rate = t.iswc_rate
        mine = select(rate).where(rate.c.name == self.name)
        if self.store.dialect == "postgresql":
            with self.store.engine.begin() as conn:
                conn.execute(pg_insert(rate).values(self._fresh()).on_conflict_do_nothing())
                yield conn, conn.execute(mine.with_for_update()).one()
            return
        with self.store.engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                row = conn.execute(mine).first()
                if row is None:
                    conn.execute(insert(rate).values(self._fresh()))
                    row = conn.execute(mine).one()
                yield conn, row
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def used(self) -> dict[str, Any]:
        """The limit's state: tokens now, and the requests of this month."""
        with self.store.connect() as conn:
            row = conn.execute(select(t.iswc_rate).where(t.iswc_rate.c.name == self.name)).first()
        moment = self.clock()
        if row is None:
            return {"tokens": float(self.burst), "month": month_of(moment), "month_calls": 0}
        month = month_of(moment)
        return {
            "tokens": self._tokens(row, moment),
            "month": month,
            "month_calls": row.month_calls if row.month == month else 0,
        }
