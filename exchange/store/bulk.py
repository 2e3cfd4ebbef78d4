"""Fast multi-row inserts: the driver's ``executemany`` with SQLAlchemy's own type conversion.

SQLAlchemy's executemany processes every parameter of every row in Python; for
the hundreds of thousands of rows of a CWR import that costs more than the
database work. Here a statement is compiled once per table and column set, the
few columns whose type needs converting (timestamps, dates, JSON, booleans on
SQLite) go through the type's own bind processor, and the rows go to the driver
in one call: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

New ids come without ``RETURNING``: PostgreSQL hands out a block of sequence
values first; SQLite numbers rows one above the largest id while this connection
holds the write lock, so the ids of a batch are the ``n`` values that end at
``last_insert_rowid()`` (checked after each insert).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select
from sqlalchemy.engine import Dialect

#: A row's values, in the order of the columns they are given for.
Row = tuple[Any, ...]


class BulkInsertError(RuntimeError):
    """The ids a bulk insert received are not the ones it expected."""


@lru_cache(maxsize=256)
def _compiled(
    table: Table, columns: tuple[str, ...], dialect: Dialect
) -> tuple[
    str,
    Callable[[Row], Row] | None,
    bool,
    tuple[tuple[int, Callable[[Any], Any]], ...],
]:
    """The statement, how to put a row's values in its order (None: as given), whether it
    is positional, and the bind processors of the columns that have one (by position)."""
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    positional = bool(compiled.positional)
    names = tuple(compiled.positiontup) if positional else columns
    order = itemgetter(*map(columns.index, names)) if names != columns else None
    processors = tuple(
        (i, p)
        for i, name in enumerate(columns)
        if (p := table.c[name].type._cached_bind_processor(dialect)) is not None
    )
    return compiled.string, order, positional, processors


def _values(rows: Sequence[dict[str, Any]], columns: tuple[str, ...]) -> list[Row]:
    """The rows' values of ``columns``, as tuples."""
    get = itemgetter(*columns)
    if len(columns) == 1:  # itemgetter of one name gives the value, not a tuple
        return [(get(row),) for row in rows]
    return [get(row) for row in rows]


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT all rows (dicts with the same keys) in one driver call."""
    if rows:
        columns = tuple(rows[0])
        insert_values(conn, table, columns, _values(rows, columns))


def insert_values(
    conn: Connection, table: Table, columns: tuple[str, ...], values: list[Row]
) -> None:
    """INSERT rows given as the values of ``columns``, in that order, in one driver call
    (no dict per row: the writer's many rows are made as tuples)."""
    if not values:
        return
    sql, order, positional, processors = _compiled(table, columns, conn.dialect)
    if processors:
        converted = []
        for row_values in values:
            row_list = list(row_values)
            for i, process in processors:
                row_list[i] = process(row_list[i])
            converted.append(tuple(row_list))
        values = converted
    if conn.dialect.name == "postgresql":
        _copy(conn, table, columns, values)
    elif positional:
        conn.exec_driver_sql(sql, values if order is None else list(map(order, values)))
    else:
        conn.exec_driver_sql(sql, [dict(zip(columns, v, strict=True)) for v in values])


def _copy(conn: Connection, table: Table, names: Sequence[str], values: Sequence[Any]) -> None:
    """PostgreSQL: COPY the rows in, on the connection's own transaction."""
    preparer = conn.dialect.identifier_preparer
    columns = ", ".join(preparer.quote(name) for name in names)
    statement = f"COPY {preparer.format_table(table)} ({columns}) FROM STDIN"
    driver = conn.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in values:
            copy.write_row(row)


def insert_returning_ids(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT rows and give back their new ids, in order."""
    if not rows:
        return []
    columns = tuple(rows[0])
    return insert_values_returning_ids(conn, table, columns, _values(rows, columns))


def insert_values_returning_ids(
    conn: Connection, table: Table, columns: tuple[str, ...], values: list[Row]
) -> list[int]:
    """:func:`insert_values`, giving back the rows' new ids, in order."""
    n = len(values)
    if n == 0:
        return []
    if conn.dialect.name == "postgresql":
        # the sequence looked up once (a sub-select), not once per id as an argument would be
        sequence = f"(SELECT pg_get_serial_sequence('{table.name}', 'id')::regclass)"
        # one array value, ascending: not a row per id to fetch
        drawn = f"SELECT nextval({sequence}) AS id FROM generate_series(1, {n})"
        ids = conn.exec_driver_sql(
            f"SELECT array_agg(id ORDER BY id) FROM ({drawn}) AS drawn"
        ).scalar_one()
        insert_values(
            conn, table, ("id", *columns), [(i, *v) for i, v in zip(ids, values, strict=True)]
        )
        return ids
    insert_values(conn, table, columns, values)
    last = conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
    first = last - n + 1
    count = conn.execute(
        select(func.count()).select_from(table).where(table.c.id.between(first, last))
    ).scalar_one()
    if count != n:
        raise BulkInsertError(f"{table.name}: ids {first}..{last} are not all this batch's rows")
    return list(range(first, last + 1))
