"""The database under the store: its URL (SQLite or PostgreSQL), connections, and
the schema's migrations (Alembic, imported only when ``init`` runs them).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files as package_files
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from exchange.errors import StoreError
from exchange.identifiers import digits_value
from exchange.migrations import VERSION_TABLE, check_revision, head_revision
from exchange.store.sqlite_reads import BUSY_TIMEOUT
from exchange.store.url import BACKENDS, DEFAULT_URL, normalise_url, require_file

if TYPE_CHECKING:
    from alembic.config import Config

#: The largest id a row can have (a signed 64-bit integer, on both databases).
MAX_ID = 2**63 - 1


def row_id(text: str) -> int | None:
    """The row id a text names (ASCII digits within the 64-bit range), else None.

    >>> row_id("42"), row_id("\u00b2"), row_id("9" * 20), row_id("9" * 5000)
    (42, None, None, None)
    """
    if len(text) > len(str(MAX_ID)):
        return None  # and int() refuses strings of over 4,300 digits
    number = digits_value(text)
    return number if number is not None and number <= MAX_ID else None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
    cursor.execute("PRAGMA cache_size=-32000")  # 32 MB of pages: indexes of a large store
    # Checkpoint the write-ahead log every 16 MB rather than every 4 MB: an import commits
    # a few MB per batch, and each checkpoint waits for the disk.
    cursor.execute("PRAGMA wal_autocheckpoint=4000")
    cursor.close()


def alembic_config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(package_files("exchange") / "migrations"))
    config.attributes["connection"] = connection
    return config


class Database:
    """A database at a SQLAlchemy URL, its schema kept by the migrations."""

    def __init__(self, url: str = DEFAULT_URL, *, create: bool = True) -> None:
        """Open the store at ``url``; without ``create``, a missing SQLite file is an error
        (rather than a new, empty file at a mistyped path)."""
        self.url = normalise_url(url)
        try:
            parsed = make_url(self.url)
        except ArgumentError:
            raise StoreError(
                f"{url!r} is not a database URL (e.g. sqlite:///exchange.db or "
                "postgresql+psycopg://user@host:5432/repertoire)"
            ) from None
        if parsed.get_backend_name() not in BACKENDS:
            raise StoreError(
                f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
                "the store runs on SQLite (sqlite:///PATH) or PostgreSQL "
                "(postgresql+psycopg://user@host:5432/NAME)"
            )
        if not create and parsed.get_backend_name() == "sqlite":
            path = parsed.database or ""
            not_a_file = path in ("", ":memory:") or path.startswith("file:")
            if not not_a_file:
                require_file(path)
        # PostgreSQL: keep every connection opened (as many as SQLAlchemy's default
        # allows at once: 5 kept and 10 more), rather than closing those over 5 when they
        # come back; the API's threads, a few more at once than 5, otherwise opened a
        # connection (a backend process, its start and authentication) every dozen requests
        pool = (
            {"pool_size": 15, "max_overflow": 0}
            if parsed.get_backend_name() == "postgresql"
            else {}
        )
        try:
            self.engine: Engine = create_engine(parsed, future=True, **pool)
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            raise StoreError(f"cannot use database URL {url!r}: {exc}") from None
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.dialect = self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection inside one database transaction (commit on success)."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise self._store_error(exc) from None

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reads only, outside any transaction on PostgreSQL: each
        statement sees what was committed when it began, as it would in a transaction
        (READ COMMITTED), without the round trips of BEGIN and COMMIT. (SQLite's driver
        begins no transaction for reads.)"""
        if self.dialect != "postgresql":
            with self.connect() as conn:
                yield conn
            return
        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                yield conn
        except OperationalError as exc:
            raise self._store_error(exc) from None

    def _store_error(self, exc: OperationalError) -> StoreError:
        reason = " ".join(str(exc.orig).split())  # one line (PostgreSQL adds hints)
        return StoreError(f"database {self._safe_url()}: {reason}")

    def _safe_url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def head_revision(self) -> str:
        return head_revision()

    def current_revision(self) -> str | None:
        """The revision the schema is at (Alembic's ``alembic_version``); None: no schema."""
        with self.connect() as conn:
            if not inspect(conn).has_table(VERSION_TABLE):
                return None
            return conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()

    def init(self) -> tuple[str | None, str]:
        """Create or upgrade the schema to the newest revision; returns (before, after)."""
        before = self.current_revision()
        if before != head_revision():
            from alembic import command

            with self.connect() as conn:
                command.upgrade(alembic_config(conn), "head")
        return before, head_revision()

    def require_schema(self) -> None:
        check_revision(self.current_revision(), self._safe_url())
