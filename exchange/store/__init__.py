"""The repertoire store: model objects in and out of SQLite or PostgreSQL.

One code path serves both engines. :class:`Store` is the database
(:mod:`exchange.store.database`), its file ledger (:mod:`exchange.store.ledger`)
and the repertoire (:mod:`exchange.store.repertoire`).
"""

from __future__ import annotations

from exchange.store.ledger import FileLedger
from exchange.store.repertoire import Repertoire


class Store(FileLedger, Repertoire):
    """A repertoire store at a SQLAlchemy URL."""
