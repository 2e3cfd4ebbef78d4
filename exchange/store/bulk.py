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


class BulkInsertError(RuntimeError):
    """The ids a bulk insert received are not the ones it expected."""


@lru_cache(maxsize=256)
def _compiled(
    table: Table, columns: tuple[str, ...], dialect: Dialect
) -> tuple[str, tuple[str, ...], bool, tuple[tuple[int, Callable[[Any], Any]], ...]]:
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    positional = bool(compiled.positional)
    names = tuple(compiled.positiontup) if positional else columns
    processors = tuple(
        (i, p)
        for i, name in enumerate(names)
        if (p := table.c[name].type._cached_bind_processor(dialect)) is not None
    )
    return compiled.string, names, positional, processors


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT all rows (dicts with the same keys) in one driver call."""
    if not rows:
        return
    sql, names, positional, processors = _compiled(table, tuple(rows[0]), conn.dialect)
    get = itemgetter(*names)
    single = len(names) == 1  # itemgetter of one name gives the value, not a tuple
    values = [(get(row),) for row in rows] if single else [get(row) for row in rows]
    if processors:
        converted = []
        for row_values in values:
            row_list = list(row_values)
            for i, process in processors:
                row_list[i] = process(row_list[i])
            converted.append(row_list)
        values = converted
    if conn.dialect.name == "postgresql":
        _copy(conn, table, names, values)
    elif positional:
        conn.exec_driver_sql(sql, [tuple(v) for v in values])
    else:
        conn.exec_driver_sql(sql, [dict(zip(names, v, strict=True)) for v in values])


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
    n = len(rows)
    if n == 0:
        return []
    if conn.dialect.name == "postgresql":
        # the sequence looked up once (a sub-select), not once per id as an argument would be
        sequence = f"(SELECT pg_get_serial_sequence('{table.name}', 'id')::regclass)"
        ids = (
            conn.exec_driver_sql(f"SELECT nextval({sequence}) FROM generate_series(1, {n})")
            .scalars()
            .all()  # one fetchall, not a fetchone per id
        )
        insert_rows(conn, table, [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
        return ids
    insert_rows(conn, table, rows)
    last = conn.exec_driver_sql("SELECT last_insert_rowid()").scalar_one()
    first = last - n + 1
    count = conn.execute(
        select(func.count()).select_from(table).where(table.c.id.between(first, last))
    ).scalar_one()
    if count != n:
        raise BulkInsertError(f"{table.name}: ids {first}..{last} are not all this batch's rows")
    return list(range(first, last + 1))
