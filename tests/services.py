"""Finding the real services that tests need (PostgreSQL, sshd...).

On a developer's laptop a missing service skips its tests with the reason; in CI
(``EXCHANGE_REQUIRE_SERVICES=1``) it fails them instead, so nothing is silently untested.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PG_ADMIN_DSN = os.environ.get("EXCHANGE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def services_required() -> bool:
    return os.environ.get("EXCHANGE_REQUIRE_SERVICES", "") not in ("", "0", "false", "no")


def missing_service(reason: str) -> None:
    """Skip (or fail, when services are required) the current test."""
    if services_required():
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


def shared_dir() -> Path:
    """The workplace's ``shared/`` folder (standards, sample files) beside the checkout.

    ``$EXCHANGE_SHARED_DIR`` names it; else ``../shared`` of the repository, else
    ``/work/shared``. Tests that need it skip with the path they looked at.
    """
    configured = os.environ.get("EXCHANGE_SHARED_DIR")
    candidates = [Path(configured)] if configured else []
    candidates += [Path(__file__).resolve().parents[1].parent / "shared", Path("/work/shared")]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


def mwn_schema_dir() -> Path:
    """The folder of the official DDEX MWN 1.3 schemas (``$EXCHANGE_DDEX_SCHEMA_DIR``, else
    the shared folder's copy); a test without it is skipped, or fails in CI."""
    configured = os.environ.get("EXCHANGE_DDEX_SCHEMA_DIR")
    folder = Path(configured) if configured else shared_dir() / "docs/standards/ddex/mwn-1.3"
    if not (folder / "works-share-notification-choreography.xsd").is_file():
        missing_service(f"the DDEX MWN 1.3 schemas (looked in {folder})")
    return folder
