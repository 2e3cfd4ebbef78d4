"""The benchmarks' PostgreSQL databases: one made fresh for each measure, dropped after."""

from __future__ import annotations

import uuid


def pg_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def fresh_pg(admin_url: str, template: str | None = None) -> tuple[str, str]:
    """A new database on the server of ``admin_url`` (a copy of ``template`` if given)."""
    import psycopg

    name = f"exchange_bench_{uuid.uuid4().hex[:8]}"
    like = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(pg_dsn(admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{like}')
    return admin_url.rsplit("/", 1)[0] + "/" + name, name


def drop_pg(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(pg_dsn(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_missing(admin_url: str) -> str | None:
    """Why the PostgreSQL server cannot be used (None when it can)."""
    try:
        import psycopg

        with psycopg.connect(pg_dsn(admin_url), connect_timeout=5):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure: the stage is skipped, said why
        return f"PostgreSQL at {admin_url}: {str(exc).strip().splitlines()[0]}"
