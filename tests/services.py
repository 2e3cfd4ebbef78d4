"""Finding the real services that tests need (PostgreSQL, sshd...).

On a developer's laptop a missing service skips its tests with the reason; in CI
(``EXCHANGE_REQUIRE_SERVICES=1``) it fails them instead, so nothing is silently untested.
"""

from __future__ import annotations

import os

import pytest

PG_ADMIN_DSN = os.environ.get("EXCHANGE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def services_required() -> bool:
    return os.environ.get("EXCHANGE_REQUIRE_SERVICES", "") not in ("", "0", "false", "no")


def missing_service(reason: str) -> None:
    """Skip (or fail, when services are required) the current test."""
    if services_required():
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)
