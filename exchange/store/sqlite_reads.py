"""Reads of a SQLite store on Python's own ``sqlite3``, without SQLAlchemy.

For commands that must answer at once (``exchange works count``): loading
SQLAlchemy takes several times longer than the read. They check the store as
:class:`~exchange.store.Store` does (the file exists, the schema is at the newest
revision) with the same messages; a URL that is not a plain SQLite file
(:func:`~exchange.store.url.sqlite_file`) gets None, and the caller opens the
:class:`~exchange.store.Store`.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

from exchange.errors import StoreError
from exchange.migrations import VERSION_TABLE, check_revision
from exchange.store.url import require_file, sqlite_file

#: The table of works (``exchange.store.tables.works``; the tests check both agree).
WORKS_TABLE = "works"
#: How long a read waits for a writer's lock, in seconds (the store's busy_timeout).
BUSY_TIMEOUT = 30.0


def count_works(url: str) -> int | None:
    """How many works the store at ``url`` holds; None: not a plain SQLite file."""
    path = sqlite_file(url)
    if path is None:
        return None
    require_file(path)
    try:
        with closing(sqlite3.connect(path, timeout=BUSY_TIMEOUT)) as conn:
            versioned = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (VERSION_TABLE,)
            ).fetchone()
            row = versioned and conn.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchone()
            check_revision(row[0] if row else None, url)
            return int(conn.execute(f"SELECT count(*) FROM {WORKS_TABLE}").fetchone()[0])
    except sqlite3.Error as exc:
        raise StoreError(f"database {url}: {exc}") from None
