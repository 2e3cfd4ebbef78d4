"""The store's URL: the default, the driver picked, and the SQLite file a URL names.

Nothing here imports SQLAlchemy, so a command can find its store before (or
without) loading it.
"""

from __future__ import annotations

from pathlib import Path

from exchange.errors import StoreError

DEFAULT_URL = "sqlite:///exchange.db"
#: The database engines the store runs on.
BACKENDS = ("sqlite", "postgresql")
_SQLITE_FILE = "sqlite:///"


def normalise_url(url: str) -> str:
    """Pick the psycopg 3 driver for plain ``postgresql://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_file(url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL; None for any other URL (another
    database, a database in memory, a URI filename, options or %-escapes), which only
    SQLAlchemy reads.

    >>> sqlite_file("sqlite:////srv/exchange.db"), sqlite_file("sqlite:///rel.db")
    (PosixPath('/srv/exchange.db'), PosixPath('rel.db'))
    >>> [sqlite_file(u) for u in ("sqlite://", "sqlite:///:memory:", "sqlite:///a.db?mode=ro")]
    [None, None, None]
    """
    if not url.startswith(_SQLITE_FILE):
        return None
    path = url[len(_SQLITE_FILE) :]
    if path in ("", ":memory:") or path.startswith("file:") or any(c in path for c in "?%#"):
        return None
    return Path(path)


def require_file(path: str | Path) -> None:
    """Refuse a SQLite store whose file is missing (rather than create an empty one at a
    mistyped path)."""
    if not Path(path).is_file():
        raise StoreError(
            f"there is no store at {path}: run `exchange init` first "
            "(or check --db, $EXCHANGE_DB or [store] url for a typo)"
        )
