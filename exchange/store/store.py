"""The store: the database, its file ledger and the repertoire, as one object."""

from __future__ import annotations

from exchange.store.ledger import FileLedger
from exchange.store.repertoire import Repertoire


class Store(FileLedger, Repertoire):
    """A repertoire store at a SQLAlchemy URL."""
