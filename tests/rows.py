"""Counting the rows of store tables, to see what an operation changed (or did not)."""

from __future__ import annotations

from sqlalchemy import Table, func, select

from exchange.store import Store


def row_counts(store: Store, **named: Table) -> dict[str, int]:
    """The number of rows of each table, under the name it is given."""
    with store.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in named.items()
        }
