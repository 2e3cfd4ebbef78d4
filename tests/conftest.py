"""Fixtures shared by the suite: stores on SQLite and on a fresh PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from exchange.store import Store
from tests.services import PG_ADMIN_DSN, missing_service

# Property tests must not fail because the machine is busy (CI shares two cores with
# other jobs): no deadline per example, and none of the health checks that measure
# time or the size of what was generated. "ci" is the default; HYPOTHESIS_PROFILE=dev
# brings Hypothesis's own defaults back (deadlines and every health check) on a quiet
# machine.
settings.register_profile(
    "ci",
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.large_base_example,
        HealthCheck.data_too_large,
    ],
    print_blob=True,
)
settings.register_profile("dev", settings.get_profile("default"))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


class PostgresServer:
    """Creates throwaway databases on the test server and drops them afterwards."""

    def __init__(self) -> None:
        import psycopg

        self._psycopg = psycopg
        self.created: list[str] = []
        self.admin = psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3)
        info = self.admin.info
        self.base = f"postgresql+psycopg://{info.user}@{info.host}:{info.port}"

    def new_database(self) -> str:
        name = f"exchange_test_{uuid.uuid4().hex[:12]}"
        self.admin.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return f"{self.base}/{name}"

    def close(self) -> None:
        for name in self.created:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer | str]:
    """The test server, or the reason it cannot be used."""
    try:
        server = PostgresServer()
    except Exception as exc:  # no server, no driver, refused...
        yield (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return
    yield server
    server.close()


@pytest.fixture
def pg_url(postgres: PostgresServer | str) -> str:
    """The URL of a fresh, empty PostgreSQL database."""
    if isinstance(postgres, str):
        missing_service(f"PostgreSQL at {PG_ADMIN_DSN} unreachable: {postgres}")
    return postgres.new_database()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """An empty store URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An initialised, empty store on each engine."""
    with Store(db_url) as s:
        s.init()
        yield s
