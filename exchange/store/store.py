"""The store: the database, its file ledger, the repertoire and its record in the ISWC
database, as one object."""

from __future__ import annotations

from exchange.store.iswc_works import IswcWorks
from exchange.store.ledger import FileLedger
from exchange.store.repertoire import Repertoire


class Store(FileLedger, Repertoire, IswcWorks):
    """A repertoire store at a SQLAlchemy URL."""
