"""Placeholder IPIs: split the parties that earlier imports merged on ``00000000000``.

Senders write zeros as the IPI name number of parties they do not control.
Before this revision the store took that for an IPI, so every such party of
every file became one party (the first one seen), and the later ones opened
identity conflicts under its name. This revision, for each party whose IPI
name number is a placeholder (zeros, blanks: ``exchange.identifiers.is_placeholder``):

* splits its claims into one party per sender, work, side and name. The name
  of a claim is the one its sender gave, as kept in the identity conflict that
  its import opened (``identity:name:<zeros>:<name>``), else the party's own;
  the group named like the party keeps the party, the others get new ones;
* re-points what hangs on the party: society memberships go with the claims
  of the source that stated them (they stay where a source named several); a
  sender's key goes with that sender's party if the sender named one only,
  and is dropped if it named several (the sender's next file makes the party
  again under its key);
* keeps, for the party and each new one, the merged party's row in the
  history (entity ``party``);
* clears the placeholder IPI name number, and placeholder base numbers of
  every party and performer;
* resolves the conflicts that the merge caused (identity conflicts on the
  placeholder or on the merged party, counterclaims on the merged party),
  with an event saying why.

Overclaims that involved a merged party are left for a person: re-check them
with ``exchange conflicts``. The split is not undone by a downgrade.

Revision ID: 0005_ipi
Revises: 0004
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from exchange.identifiers import is_placeholder
from exchange.normalise import normalise_name

revision = "0005_ipi"
down_revision = "0004"
branch_labels = None
depends_on = None

BY = "migration 0005_ipi"
NOTE = (
    "opened because parties shared a placeholder IPI name number (zeros); "
    "the parties are told apart now"
)


def _table(name: str, **columns: Any) -> sa.TableClause:
    """The columns of a table that this revision reads and writes, as they are at it."""
    return sa.table(name, *(sa.column(column, kind) for column, kind in columns.items()))


N, S, JSON, AT = sa.Integer, sa.String, sa.JSON, sa.DateTime(timezone=True)
parties = _table(
    "parties",
    id=N,
    ipi_name_number=S,
    ipi_base_number=S,
    last_name=S,
    first_name=S,
    name_norm=S,
    is_legal_entity=sa.Boolean,
)
performers = _table("performers", ipi_name_number=S, ipi_base_number=S)
claims = _table("claims", id=N, work_id=N, party_id=N, side=S, source_id=N)
sources = _table("sources", id=N, partner=S)
party_keys = _table("party_keys", id=N, party_id=N, issuer=S)
affiliations = _table("affiliations", id=N, party_id=N, source_id=N)
history = _table(
    "history", work_id=N, entity=S, entity_id=N, action=S, before=JSON, source_id=N, changed_at=AT
)
conflicts = _table(
    "conflicts", id=N, kind=S, key=S, status=S, claims=JSON, outcome=S, resolved_at=AT
)
conflict_events = _table("conflict_events", conflict_id=N, status=S, outcome=S, note=S, by=S, at=AT)

#: (sender, work, side, last name, first name): the parties a merged party is split into
Group = tuple[str | None, int, str, str, str]


def _zeros(column: Any) -> Any:
    """SQL for "the column holds zeros, blanks and separators only" (a coarse first cut)."""
    return sa.func.ltrim(sa.func.replace(sa.func.upper(column), "I", ""), "0 -.") == ""


def _chunks(items: list[Any], size: int = 500) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def upgrade() -> None:
    conn = op.get_bind()
    stamp = datetime.now(UTC)
    merged = [
        row
        for row in conn.execute(
            sa.select(parties).where(
                parties.c.ipi_name_number.is_not(None), _zeros(parties.c.ipi_name_number)
            )
        ).all()
        if is_placeholder(row.ipi_name_number)
    ]
    for row in merged:
        _split(conn, row, stamp)
    for table in (parties, performers):
        for column in (table.c.ipi_name_number, table.c.ipi_base_number):
            conn.execute(
                sa.update(table).where(column.is_not(None), _zeros(column)).values({column: None})
            )


def _received_names(conn: Any, party: Any) -> tuple[dict[int, tuple[str, str]], list[int]]:
    """The name each renamed claim was received with, and the conflicts the merge caused."""
    c = conflicts.c
    keys = [f"identity:role:id:{party.id}", f"counterclaim:writer:id:{party.id}"]
    rows = conn.execute(
        sa.select(c.id, c.key, c.status, c.claims).where(
            sa.or_(c.key.like(f"identity:name:{party.ipi_name_number}:%"), c.key.in_(keys))
        )
    ).all()
    names: dict[int, tuple[str, str]] = {}
    for row in rows:
        if not row.key.startswith("identity:name:"):
            continue
        for view in row.claims or []:
            received = view.get("party") or {}
            if view.get("id") is not None and received.get("last_name") is not None:
                names[view["id"]] = (received["last_name"], received.get("first_name") or "")
    return names, [row.id for row in rows if row.status != "resolved"]


def _split(conn: Any, party: Any, stamp: datetime) -> None:
    names, caused = _received_names(conn, party)
    own = (party.last_name, party.first_name or "")
    groups: dict[Group, list[tuple[int, int | None]]] = {}  # -> (claim id, source id)
    for claim_id, work_id, side, source_id, partner in conn.execute(
        sa.select(
            claims.c.id, claims.c.work_id, claims.c.side, claims.c.source_id, sources.c.partner
        )
        .select_from(claims.outerjoin(sources, sources.c.id == claims.c.source_id))
        .where(claims.c.party_id == party.id)
        .order_by(claims.c.id)
    ):
        last, first = names.get(claim_id, own)
        groups.setdefault((partner, work_id, side, last, first), []).append((claim_id, source_id))
    before = dict(party._asdict())
    keeper = next((g for g in groups if (g[3], g[4]) == own), next(iter(groups), None))
    party_of: dict[Group, int] = {}
    for group, members in groups.items():
        if group == keeper:
            party_of[group] = party.id
            continue
        _, _, side, last, first = group
        [new_id] = conn.execute(
            sa.insert(parties)
            .values(
                ipi_name_number=None,
                ipi_base_number=None,
                last_name=last,
                first_name=first,
                name_norm=normalise_name(f"{last}, {first}" if first else last),
                is_legal_entity=side == "publisher",
            )
            .returning(parties.c.id)
        ).one()
        party_of[group] = new_id
        for chunk in _chunks([claim_id for claim_id, _ in members]):
            conn.execute(sa.update(claims).where(claims.c.id.in_(chunk)).values(party_id=new_id))
    conn.execute(
        sa.insert(history),
        [
            {
                "work_id": None,
                "entity": "party",
                "entity_id": pid,
                "action": "update",
                "before": before,
                "source_id": None,
                "changed_at": stamp,
            }
            for pid in dict.fromkeys([party.id, *party_of.values()])
        ],
    )
    _move_affiliations(conn, party.id, groups, party_of)
    _move_keys(conn, party.id, groups, party_of)
    conn.execute(
        sa.update(parties)
        .where(parties.c.id == party.id)
        .values(
            ipi_name_number=None,
            ipi_base_number=None
            if is_placeholder(party.ipi_base_number)
            else party.ipi_base_number,
        )
    )
    for conflict_id in caused:
        conn.execute(
            sa.update(conflicts)
            .where(conflicts.c.id == conflict_id)
            .values(status="resolved", outcome=None, resolved_at=stamp)
        )
        conn.execute(
            sa.insert(conflict_events).values(
                conflict_id=conflict_id, status="resolved", outcome=None, note=NOTE, by=BY, at=stamp
            )
        )


def _move_affiliations(
    conn: Any,
    party_id: int,
    groups: dict[Group, list[tuple[int, int | None]]],
    party_of: dict[Group, int],
) -> None:
    """Each membership goes to a party whose claims came with the source that stated it.

    Memberships stay with the party when it is one of those (a source that named
    several of the merged parties does not say which one each membership was for).
    """
    by_source: dict[int | None, list[int]] = {}
    for group, members in groups.items():
        for _, source_id in members:
            targets = by_source.setdefault(source_id, [])
            if party_of[group] not in targets:
                targets.append(party_of[group])
    rows = conn.execute(
        sa.select(affiliations.c.id, affiliations.c.source_id).where(
            affiliations.c.party_id == party_id
        )
    ).all()
    for affiliation_id, source_id in rows:
        targets = by_source.get(source_id, [])
        if targets and party_id not in targets:
            conn.execute(
                sa.update(affiliations)
                .where(affiliations.c.id == affiliation_id)
                .values(party_id=targets[0])
            )


def _move_keys(
    conn: Any,
    party_id: int,
    groups: dict[Group, list[tuple[int, int | None]]],
    party_of: dict[Group, int],
) -> None:
    """A sender's key goes with the one party of that sender; with several, it is dropped."""
    of_sender: dict[str | None, set[int]] = {}
    for group in groups:
        of_sender.setdefault(group[0], set()).add(party_of[group])
    for key_id, issuer in conn.execute(
        sa.select(party_keys.c.id, party_keys.c.issuer).where(party_keys.c.party_id == party_id)
    ).all():
        targets = of_sender.get(issuer, set())
        if len(targets) > 1:
            conn.execute(sa.delete(party_keys).where(party_keys.c.id == key_id))
        elif targets and targets != {party_id}:
            conn.execute(
                sa.update(party_keys)
                .where(party_keys.c.id == key_id)
                .values(party_id=targets.pop())
            )


def downgrade() -> None:
    """The split parties stay apart: nothing tells which of them were one before."""
