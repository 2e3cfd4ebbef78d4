"""Counting and listing the rows of store tables, to see what an operation changed (or did
not)."""

from __future__ import annotations

import json

from sqlalchemy import Table, func, select

from exchange.store import Store
from exchange.store import tables as t


def row_counts(store: Store, **named: Table) -> dict[str, int]:
    """The number of rows of each table, under the name it is given."""
    with store.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for name, table in named.items()
        }


#: Columns that differ between two stores holding the same things (keys, clocks, holders).
_INCIDENTAL = ("id", "holder", "error")


def store_contents(store: Store) -> dict[str, list[str]]:
    """Every row of every table, sorted, without keys and times: equal for two stores that
    hold the same (a clean import and one killed and run again)."""
    contents = {}
    with store.connect() as conn:
        for table in t.metadata.sorted_tables:
            kept = [
                c
                for c in table.columns
                if c.name not in _INCIDENTAL
                and not c.name.endswith(("_id", "_at"))
                and not c.foreign_keys
            ]
            rows = conn.execute(select(*kept)).all()
            contents[table.name] = sorted(
                json.dumps(list(row), sort_keys=True, default=str) for row in rows
            )
    return contents
