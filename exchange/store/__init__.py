"""The repertoire store: model objects in and out of SQLite or PostgreSQL.

One code path serves both engines. :class:`Store` (:mod:`exchange.store.store`) is
the database (:mod:`exchange.store.database`), its file ledger
(:mod:`exchange.store.ledger`), the repertoire (:mod:`exchange.store.repertoire`)
and its record in the ISWC database (:mod:`exchange.store.iswc_works`).

``from exchange.store import Store`` loads SQLAlchemy; importing the package
alone does not, so that its light modules (:mod:`exchange.store.url`,
:mod:`exchange.store.sqlite_reads`) serve commands that must start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from exchange.store.store import Store

__all__ = ["Store"]


def __getattr__(name: str) -> Any:
    if name == "Store":
        from exchange.store.store import Store

        return Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
