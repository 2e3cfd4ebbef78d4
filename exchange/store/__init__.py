"""The repertoire store: model objects in and out of SQLite or PostgreSQL.

One code path serves both engines. :class:`Store` is the database
(:mod:`exchange.store.database`), its file ledger (:mod:`exchange.store.ledger`)
the repertoire (:mod:`exchange.store.repertoire`) and its record in the ISWC
database (:mod:`exchange.store.iswc_works`).
"""

from __future__ import annotations

from exchange.store.iswc_works import IswcWorks
from exchange.store.ledger import FileLedger
from exchange.store.repertoire import Repertoire


class Store(FileLedger, Repertoire, IswcWorks):
    """A repertoire store at a SQLAlchemy URL."""
