"""The bearer tokens partners present to our HTTP API: issued, checked, expired, revoked.

The store keeps only a token's SHA-256, so a token is shown once, when it is
issued. A token may carry an expiry; a new token for a partner revokes the
partner's earlier ones unless they are kept on purpose (a handover period).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection, insert, select, text, update

from exchange.errors import ExchangeError
from exchange.store import Store
from exchange.store import tables as t
from exchange.store.rows import now

_DURATION = re.compile(r"(\d+)\s*([dhw])")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


@dataclass(frozen=True, slots=True)
class IssuedToken:
    partner: str
    token: str
    expires_at: datetime | None
    #: earlier tokens of the partner that this one revoked
    replaced: int


@dataclass(frozen=True, slots=True)
class TokenCheck:
    """What a presented token is: its partner when known, and why it is refused if it is."""

    partner: str | None
    refused: str | None  # None: valid; "unknown", "revoked" or "expired"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_expiry(text: str, at: datetime | None = None) -> datetime:
    """When a token given ``--expires TEXT`` at ``at`` stops working (UTC).

    ``90d``, ``12w``, ``36h``: that long from now; an ISO date: the end of that
    day (UTC); an ISO date and time (UTC unless it has an offset): then.

    >>> start = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    >>> parse_expiry("90d", start).isoformat()
    '2027-03-01T10:00:00+00:00'
    >>> parse_expiry("2027-03-31", start).isoformat()
    '2027-04-01T00:00:00+00:00'
    >>> parse_expiry("2027-01-01T08:00+01:00", start).isoformat()
    '2027-01-01T07:00:00+00:00'
    """
    at = at or now()
    value = text.strip()
    duration = _DURATION.fullmatch(value.lower())
    if duration:
        amount, unit = duration.groups()
        expires = at + int(amount) * _UNITS[unit]
    else:
        try:
            if len(value) == 10:
                day = date.fromisoformat(value)
                expires = datetime.combine(day + timedelta(days=1), time(), UTC)
            else:
                expires = datetime.fromisoformat(value)
                if expires.tzinfo is None:
                    expires = expires.replace(tzinfo=UTC)
                expires = expires.astimezone(UTC)
        except ValueError:
            raise ExchangeError(
                f"--expires {text!r}: give a duration (90d, 12w, 36h) or an ISO date "
                "(2027-03-31) or date and time (2027-03-31T18:00+01:00)"
            ) from None
    if expires <= at:
        raise ExchangeError(f"--expires {text!r} is not in the future")
    return expires


def issue_token(
    store: Store, partner: str, *, expires_at: datetime | None = None, keep: bool = False
) -> IssuedToken:
    """A new token for ``partner``; unless ``keep``, its earlier tokens stop working.

    Both happen in one transaction. Show the token once: only its hash is kept.
    """
    token = secrets.token_urlsafe(32)
    with store.connect() as conn:
        if store.dialect == "postgresql":
            # Two issues at once must end as one after the other would: one token in
            # force. SQLite takes its write lock at the first write; PostgreSQL needs this.
            conn.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                {"key": f"partner_tokens:{partner}"},
            )
        stamp = now()
        replaced = 0 if keep else _revoke(conn, partner, stamp)
        conn.execute(
            insert(t.partner_tokens).values(
                partner=partner, token_hash=_hash(token), created_at=stamp, expires_at=expires_at
            )
        )
    return IssuedToken(partner, token, expires_at, replaced)


def revoke_tokens(store: Store, partner: str) -> int:
    """Revoke every token of ``partner`` still in force; returns how many."""
    with store.connect() as conn:
        return _revoke(conn, partner, now())


def _revoke(conn: Connection, partner: str, stamp: datetime) -> int:
    tokens = t.partner_tokens.c
    result = conn.execute(
        update(t.partner_tokens)
        .where(tokens.partner == partner, tokens.revoked_at.is_(None))
        .where((tokens.expires_at.is_(None)) | (tokens.expires_at > stamp))
        .values(revoked_at=stamp)
    )
    return result.rowcount


def check_token(store: Store, token: str, at: datetime | None = None) -> TokenCheck:
    """Whose ``token`` is, and whether it is in force at ``at`` (now)."""
    if not token:
        return TokenCheck(None, "unknown")
    with store.reading() as conn:
        row = conn.execute(
            select(t.partner_tokens).where(t.partner_tokens.c.token_hash == _hash(token))
        ).first()
    if row is None:
        return TokenCheck(None, "unknown")
    if row.revoked_at is not None:
        return TokenCheck(row.partner, "revoked")
    if row.expires_at is not None and row.expires_at <= (at or now()):
        return TokenCheck(row.partner, "expired")
    return TokenCheck(row.partner, None)
