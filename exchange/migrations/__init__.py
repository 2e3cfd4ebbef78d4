"""The store's schema migrations (Alembic scripts in ``versions/``).

:func:`head_revision` names the newest revision without importing Alembic or
SQLAlchemy: a command that only reads the store checks its schema with it, and
loads Alembic only when ``exchange init`` has a migration to run.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from exchange.errors import StoreError

VERSIONS = Path(__file__).with_name("versions")
#: Where Alembic keeps the revision the schema is at.
VERSION_TABLE = "alembic_version"

# ``revision = "0014_operators"`` and ``down_revision = "0011_iswc"`` (a tuple when a
# migration merges branches), with or without a type annotation, as Alembic writes them.
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"""["']([^"']+)["']""")


@cache
def head_revision() -> str:
    """The revision the newest migration brings the schema to (Alembic's head; the
    store's tests check that both agree)."""
    revisions: set[str] = set()
    replaced: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        for name, value in _ASSIGNMENT.findall(path.read_text(encoding="utf-8")):
            (revisions if name == "revision" else replaced).update(_QUOTED.findall(value))
    heads = sorted(revisions - replaced)
    if len(heads) != 1:
        raise RuntimeError(f"the migrations in {VERSIONS} have {len(heads)} heads: {heads}")
    return heads[0]


def check_revision(current: str | None, where: str) -> None:
    """Refuse a store (at ``where``) whose schema is missing or not at the newest revision."""
    if current is None:
        raise StoreError(f"the store at {where} is empty: run `exchange init` first")
    if current != head_revision():
        raise StoreError(
            f"the store at {where} is at revision {current}: run `exchange init` to upgrade it"
        )
