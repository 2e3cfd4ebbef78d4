"""Revision 0005_ipi: parties merged on a placeholder IPI (zeros) are split again.

The store is built as the code before that revision left it: one party with
IPI ``00000000000`` named like the first party seen, holding the claims of every
other party that carried zeros, its sender's key, its memberships and the
identity conflicts the later names opened.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command

from exchange.store import Store
from exchange.store.database import alembic_config

ZEROS = "00000000000"
STAMP = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in columns))


SOURCES = _table("sources", "id", "partner", "file_name", "transaction_seq", "received_at")
WORKS = _table(
    "works",
    "id",
    "title",
    "title_norm",
    "version_type",
    "distribution_category",
    "created_at",
    "updated_at",
)
PARTIES = _table(
    "parties",
    "id",
    "ipi_name_number",
    "ipi_base_number",
    "last_name",
    "first_name",
    "name_norm",
    "is_legal_entity",
)
KEYS = _table("party_keys", "id", "party_id", "issuer", "key")
AFFILIATIONS = _table(
    "affiliations", "id", "party_id", "society", "right", "territory", "source_id"
)
CLAIMS = _table(
    "claims",
    "id",
    "work_id",
    "party_id",
    "side",
    "role",
    "controlled",
    "pr_ownership",
    "mr_ownership",
    "sr_ownership",
    "position",
    "source_id",
)
CONFLICTS = sa.table(
    "conflicts",
    *(sa.column(c) for c in ("id", "kind", "key", "status", "work_id", "partner", "opened_at")),
    sa.column("detail", sa.JSON),
    sa.column("claims", sa.JSON),
)


def _claim(cid: int, work: int, party: int, side: str, role: str, source: int) -> dict[str, Any]:
    return {
        "id": cid,
        "work_id": work,
        "party_id": party,
        "side": side,
        "role": role,
        "controlled": False,
        "pr_ownership": 2500,
        "mr_ownership": 0,
        "sr_ownership": 0,
        "position": cid,
        "source_id": source,
    }


def _renamed(cid: int, work: int, claim: int, last: str) -> dict[str, Any]:
    """The identity conflict the old import opened for a claim received under another name."""
    return {
        "id": cid,
        "kind": "identity",
        "key": f"identity:name:{ZEROS}:{last}",
        "status": "open",
        "work_id": work,
        "partner": "PUB",
        "opened_at": STAMP,
        "detail": {"message": "renamed", "ipi_name_number": ZEROS},
        "claims": [{"id": claim, "party": {"last_name": last, "first_name": ""}}],
    }


def old_store(url: str) -> Store:
    """A store at revision 0004 holding what the old import made of placeholder IPIs."""
    store = Store(url)
    with store.connect() as conn:
        command.upgrade(alembic_config(conn), "0004")
        conn.execute(
            sa.insert(SOURCES),
            [
                {
                    "id": i,
                    "partner": p,
                    "file_name": "F",
                    "transaction_seq": i,
                    "received_at": STAMP,
                }
                for i, p in ((1, "PUB"), (2, "PUB"), (3, "058"))
            ],
        )
        conn.execute(
            sa.insert(WORKS),
            [
                {
                    "id": i,
                    "title": f"SONG {i}",
                    "title_norm": f"SONG {i}",
                    "version_type": "ORI",
                    "distribution_category": "POP",
                    "created_at": STAMP,
                    "updated_at": STAMP,
                }
                for i in (1, 2)
            ],
        )
        conn.execute(
            sa.insert(PARTIES),
            [
                {
                    "id": 1,
                    "ipi_name_number": ZEROS,
                    "ipi_base_number": "I-000000000-0",
                    "last_name": "OTHER WRITER 1",
                    "first_name": "",
                    "name_norm": "OTHER WRITER 1",
                    "is_legal_entity": False,
                },
                {
                    "id": 2,
                    "ipi_name_number": "00045620792",
                    "ipi_base_number": None,
                    "last_name": "ORCHARD",
                    "first_name": "MAIA",
                    "name_norm": "ORCHARD MAIA",
                    "is_legal_entity": False,
                },
            ],
        )
        conn.execute(
            sa.insert(KEYS),
            [
                {"id": 1, "party_id": 1, "issuer": "PUB", "key": "O1"},
                {"id": 2, "party_id": 1, "issuer": "058", "key": "X9"},
                {"id": 3, "party_id": 2, "issuer": "PUB", "key": "W01"},
            ],
        )
        conn.execute(
            sa.insert(AFFILIATIONS),
            [
                {"id": 1, "party_id": 1, "society": "052", "right": "PR", "territory": "2136",
                 "source_id": 1},
                {"id": 2, "party_id": 1, "society": "058", "right": "PR", "territory": "2136",
                 "source_id": 3},
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(CLAIMS),
            [
                _claim(1, 1, 2, "writer", "CA", 1),
                _claim(2, 1, 1, "writer", "CA", 1),  # OTHER WRITER 1, the first seen
                _claim(3, 1, 1, "publisher", "E", 1),  # OTHER PUBLISHER, on work 1
                _claim(4, 2, 1, "writer", "A", 2),  # OTHER WRITER 2, on work 2
                _claim(5, 2, 1, "writer", "C", 3),  # 058's other writer on work 2 (same name)
            ],
        )
        conn.execute(
            sa.insert(CONFLICTS),
            [
                _renamed(1, 1, 3, "OTHER PUBLISHER"),
                _renamed(2, 2, 4, "OTHER WRITER 2"),
                {
                    "id": 3,
                    "kind": "identity",
                    "key": "identity:role:id:1",
                    "status": "open",
                    "work_id": 2,
                    "partner": "058",
                    "opened_at": STAMP,
                    "detail": {"message": "roles"},
                    "claims": [],
                },
            ],
        )
        if conn.dialect.name == "postgresql":  # ids given here: move the sequences past them
            for table in (SOURCES, WORKS, PARTIES, KEYS, AFFILIATIONS, CLAIMS, CONFLICTS):
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name}))"
                    )
                )
    return store


def _parties_of_claims(store: Store) -> dict[int, tuple[Any, ...]]:
    with store.connect() as conn:
        rows = conn.execute(
            sa.select(
                CLAIMS.c.id,
                PARTIES.c.id,
                PARTIES.c.last_name,
                PARTIES.c.ipi_name_number,
                PARTIES.c.ipi_base_number,
                PARTIES.c.is_legal_entity,
            ).select_from(CLAIMS.join(PARTIES, PARTIES.c.id == CLAIMS.c.party_id))
        ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def test_the_upgrade_splits_parties_merged_on_zeros(db_url: str) -> None:
    store = old_store(db_url)
    store.init()
    assert store.current_revision() == store.head_revision()
    held = _parties_of_claims(store)
    # one party per sender, work, side and name; names as received; no IPI
    assert held[1] == (2, "ORCHARD", "00045620792", None, False)
    assert held[2] == (1, "OTHER WRITER 1", None, None, False)
    assert held[3][1:] == ("OTHER PUBLISHER", None, None, True)
    assert held[4][1:] == ("OTHER WRITER 2", None, None, False)
    assert held[5][1:] == ("OTHER WRITER 1", None, None, False)  # 058 gave no other name
    assert len({held[c][0] for c in (2, 3, 4, 5)}) == 4

    with store.connect() as conn:
        keys = dict(conn.execute(sa.select(KEYS.c.key, KEYS.c.party_id).order_by(KEYS.c.id)).all())
        memberships = dict(
            conn.execute(sa.select(AFFILIATIONS.c.id, AFFILIATIONS.c.party_id)).all()
        )
        statuses = dict(conn.execute(sa.text("SELECT id, status FROM conflicts")).all())
        events = conn.execute(sa.text("SELECT conflict_id, status, by FROM conflict_events")).all()
        history = conn.execute(
            sa.text("SELECT entity_id, before FROM history WHERE entity = 'party'")
        ).all()
    # PUB named three of the merged parties: its key is dropped; 058 named one: it keeps it
    assert keys == {"X9": held[5][0], "W01": 2}
    # a membership goes with the source's party; PUB's source 1 named two, so it stays
    assert memberships == {1: 1, 2: held[5][0]}
    assert statuses == {1: "resolved", 2: "resolved", 3: "resolved"}
    assert sorted(e[0] for e in events) == [1, 2, 3]
    assert {e[2] for e in events} == {"migration 0005_ipi"}
    assert sorted(h[0] for h in history) == sorted({held[c][0] for c in (2, 3, 4, 5)})

    # the split parties read back as four, and the export shows their own names
    work = store.load_work(2)
    assert work is not None
    assert sorted(c.party.name for c in work.claims) == ["OTHER WRITER 1", "OTHER WRITER 2"]
    assert all(c.party.ipi_name_number is None for c in work.claims)
    store.init()  # at head: nothing more to do
    assert _parties_of_claims(store) == held
