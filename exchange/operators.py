"""The people who use the operator console: their accounts, sign-in and sessions.

An operator account has a name, a role and a password. A ``viewer`` reads every
page; an ``operator`` also decides (confirms matches, resolves conflicts). The
store keeps only an argon2id hash of the password (``argon2-cffi``); the
password itself is never an argument of a command.

Sign-in counts failures in the store, so a lockout holds across the node's
processes and restarts: after ``max_failures`` wrong passwords in a row the
account refuses every sign-in, even with the right password, for
``lockout_minutes`` (``[console]`` in the configuration).

A session is server-side: the browser's cookie holds a random id of 256 bits;
the store keeps its SHA-256, the operator, the session's CSRF token and when it
expires. Disabling an operator or changing its password ends its sessions.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, insert, select, update

from exchange.errors import ExchangeError, NotFound
from exchange.store import Store
from exchange.store import tables as t
from exchange.store.rows import now

if TYPE_CHECKING:
    from argon2 import PasswordHasher

ROLES = ("viewer", "operator")
#: What an operator's name may be: letters, digits and . _ - @, at most 100 characters.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
#: What a refused sign-in is told, whatever the reason (an unknown name, a wrong password).
WRONG = "wrong user name or password"


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher  # only where a password is hashed or checked

    return PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against for an unknown name, so that it takes as long."""
    return _hasher().hash(secrets.token_hex(16))


@dataclass(frozen=True, slots=True)
class Operator:
    id: int
    name: str
    role: str
    created_at: datetime
    password_changed_at: datetime
    disabled_at: datetime | None
    failed_signins: int
    locked_until: datetime | None
    last_signin_at: datetime | None

    @property
    def can_decide(self) -> bool:
        return self.role == "operator" and self.disabled_at is None

    def locked(self, at: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (at or now())

    @classmethod
    def from_row(cls, row: Any) -> Operator:
        return cls(
            id=row.id,
            name=row.name,
            role=row.role,
            created_at=row.created_at,
            password_changed_at=row.password_changed_at,
            disabled_at=row.disabled_at,
            failed_signins=row.failed_signins,
            locked_until=row.locked_until,
            last_signin_at=row.last_signin_at,
        )

    def as_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "name": self.name,
            "role": self.role,
            "disabled": self.disabled_at is not None,
            "created_at": iso(self.created_at),
            "password_changed_at": iso(self.password_changed_at),
            "disabled_at": iso(self.disabled_at),
            "failed_signins": self.failed_signins,
            "locked_until": iso(self.locked_until) if self.locked() else None,
            "last_signin_at": iso(self.last_signin_at),
        }


@dataclass(frozen=True, slots=True)
class Lockout:
    """How many wrong passwords in a row lock an account, and for how long."""

    max_failures: int = 5
    minutes: int = 15


@dataclass(frozen=True, slots=True)
class SignIn:
    """The outcome of a sign-in: the operator, or why it is refused (for the page)."""

    operator: Operator | None
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class Session:
    operator: Operator
    csrf_token: str
    expires_at: datetime


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise ExchangeError(
            f"operator name {name!r}: give 1 to 100 letters, digits or . _ - @ "
            "(starting with a letter or digit)"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ExchangeError(f"the password is too short: give at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ExchangeError(f"the password is too long: at most {MAX_PASSWORD} characters")
    return password


def _row(conn: Connection, name: str) -> Any:
    return conn.execute(select(t.operators).where(t.operators.c.name == name)).first()


def _existing(conn: Connection, name: str) -> Any:
    row = _row(conn, name)
    if row is None:
        raise NotFound(f"no operator {name!r} (see exchange operators list)")
    return row


def get_operator(store: Store, name: str) -> Operator:
    with store.connect() as conn:
        return Operator.from_row(_existing(conn, name))


def add_operator(store: Store, name: str, role: str, password: str) -> Operator:
    """A new operator account; the name must be free."""
    check_name(name)
    if role not in ROLES:
        raise ExchangeError(f"role {role!r}: give one of {', '.join(ROLES)}")
    hashed = _hasher().hash(check_password(password))
    with store.connect() as conn:
        if _row(conn, name) is not None:
            raise ExchangeError(f"operator {name!r} exists already (passwd changes its password)")
        stamp = now()
        conn.execute(
            insert(t.operators).values(
                name=name,
                role=role,
                password_hash=hashed,
                created_at=stamp,
                password_changed_at=stamp,
                failed_signins=0,
            )
        )
        return Operator.from_row(_existing(conn, name))


def list_operators(store: Store) -> list[Operator]:
    with store.connect() as conn:
        rows = conn.execute(select(t.operators).order_by(t.operators.c.name))
        return [Operator.from_row(row) for row in rows]


def _end_sessions(conn: Connection, operator_id: int) -> int:
    sessions = t.operator_sessions
    return conn.execute(delete(sessions).where(sessions.c.operator_id == operator_id)).rowcount


def disable_operator(store: Store, name: str) -> Operator:
    """The operator can no longer sign in; its sessions end now."""
    with store.connect() as conn:
        row = _existing(conn, name)
        if row.disabled_at is None:
            conn.execute(
                update(t.operators).where(t.operators.c.id == row.id).values(disabled_at=now())
            )
        _end_sessions(conn, row.id)
        return Operator.from_row(_existing(conn, name))


def set_password(store: Store, name: str, password: str) -> Operator:
    """A new password; the operator's sessions end and a lockout is lifted."""
    hashed = _hasher().hash(check_password(password))
    with store.connect() as conn:
        row = _existing(conn, name)
        conn.execute(
            update(t.operators)
            .where(t.operators.c.id == row.id)
            .values(
                password_hash=hashed,
                password_changed_at=now(),
                failed_signins=0,
                locked_until=None,
            )
        )
        _end_sessions(conn, row.id)
        return Operator.from_row(_existing(conn, name))


def _verified(hashed: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return _hasher().verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def sign_in(store: Store, name: str, password: str, lockout: Lockout) -> SignIn:
    """Check a name and password, counting a failure against the account."""
    ops = t.operators
    with store.connect() as conn:
        row = _row(conn, name) if NAME.fullmatch(name) else None
    if row is None:
        _verified(_dummy_hash(), password)
        return SignIn(None, WRONG)
    stamp = now()
    if row.locked_until is not None and row.locked_until > stamp:
        return SignIn(None, f"too many failed sign-ins: try again after {_hhmm(row.locked_until)}")
    if not _verified(row.password_hash, password) or row.disabled_at is not None:
        with store.connect() as conn:
            # one statement: failures counted at once by two processes all count
            conn.execute(
                update(ops)
                .where(ops.c.id == row.id)
                .values(failed_signins=ops.c.failed_signins + 1)
            )
            conn.execute(
                update(ops)
                .where(ops.c.id == row.id, ops.c.failed_signins >= lockout.max_failures)
                .values(locked_until=stamp + timedelta(minutes=lockout.minutes), failed_signins=0)
            )
        return SignIn(None, WRONG)
    if _hasher().check_needs_rehash(row.password_hash):
        rehashed: dict[str, Any] = {"password_hash": _hasher().hash(password)}
    else:
        rehashed = {}
    with store.connect() as conn:
        conn.execute(
            update(ops)
            .where(ops.c.id == row.id)
            .values(failed_signins=0, locked_until=None, last_signin_at=stamp, **rehashed)
        )
        return SignIn(Operator.from_row(_existing(conn, name)))


def _hhmm(at: datetime) -> str:
    return at.strftime("%H:%M UTC")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(store: Store, operator: Operator, hours: int) -> tuple[str, Session]:
    """A new session for ``operator``: the cookie's value (shown once) and the session."""
    token = secrets.token_urlsafe(32)
    stamp = now()
    session = Session(operator, secrets.token_urlsafe(32), stamp + timedelta(hours=hours))
    with store.connect() as conn:
        sessions = t.operator_sessions
        conn.execute(delete(sessions).where(sessions.c.expires_at <= stamp))
        conn.execute(
            insert(sessions).values(
                id_hash=_hash(token),
                operator_id=operator.id,
                csrf_token=session.csrf_token,
                created_at=stamp,
                expires_at=session.expires_at,
            )
        )
    return token, session


def find_session(store: Store, token: str | None) -> Session | None:
    """The session whose cookie is ``token``, if it is in force and its operator enabled."""
    if not token or len(token) > 100:
        return None
    sessions = t.operator_sessions
    query = (
        select(t.operators, sessions.c.csrf_token, sessions.c.expires_at.label("session_expires"))
        .join(sessions, sessions.c.operator_id == t.operators.c.id)
        .where(sessions.c.id_hash == _hash(token), sessions.c.expires_at > now())
        .where(t.operators.c.disabled_at.is_(None))
    )
    with store.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    return Session(Operator.from_row(row), row.csrf_token, row.session_expires)


def close_session(store: Store, token: str | None) -> None:
    if token:
        sessions = t.operator_sessions
        with store.connect() as conn:
            conn.execute(delete(sessions).where(sessions.c.id_hash == _hash(token)))
