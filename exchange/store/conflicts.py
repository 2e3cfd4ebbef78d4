"""Conflicts in the store: opened once per situation, moved through their lifecycle.

A conflict is a disputed claim or fact on a work (``kind``: overclaim,
counterclaim, iswc, identity). ``key`` names the situation (e.g.
``overclaim:ownership:PR``): finding it again while it is unresolved updates
the conflict (its totals and the claims involved) instead of opening another.

Lifecycle: open → notified → documents_requested → resolved (with an outcome:
amended, withdrawn or upheld). Every change is an event: status, outcome, note,
who and when. A conflict past its deadline and not resolved is overdue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from exchange.store import tables as t
from exchange.store.rows import chunks, now

STATUSES = ("open", "notified", "documents_requested", "resolved")
OUTCOMES = ("amended", "withdrawn", "upheld")
KINDS = ("overclaim", "counterclaim", "iswc", "identity")


@dataclass(frozen=True, slots=True)
class Conflict:
    """One conflict as the store holds it, with its work's id, ISWC and title."""

    id: int
    kind: str
    key: str
    status: str
    work_id: int | None
    work_iswc: str | None
    work_title: str | None
    partner: str | None
    right: str | None
    territory: str | None
    total: int | None
    excess: int | None
    detail: dict[str, Any]
    claims: list[dict[str, Any]]
    opened_at: datetime
    deadline: datetime | None
    resolved_at: datetime | None
    outcome: str | None

    def overdue(self, at: datetime | None = None) -> bool:
        if self.status == "resolved" or self.deadline is None:
            return False
        return (at or now()) > self.deadline

    @property
    def partners(self) -> list[str]:
        """Every partner whose claims are involved, the one that brought it in first."""
        found = [self.partner] if self.partner else []
        for claim in self.claims:
            source = claim.get("source") or {}
            partner = source.get("partner")
            if partner and partner not in found:
                found.append(partner)
        for partner in self.detail.get("partners", []):
            if partner not in found:
                found.append(partner)
        return found

    def as_dict(self) -> dict[str, Any]:
        """The shape of ``conflicts list --json`` (docs/CLI.md)."""
        return {
            "id": self.id,
            "type": self.kind,
            "status": self.status,
            "work": {"id": self.work_id, "iswc": self.work_iswc, "title": self.work_title},
            "right": self.right,
            "territory": self.territory,
            "total": self.total,
            "excess": self.excess,
            "opened": self.opened_at.isoformat(),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "overdue": self.overdue(),
            "partners": self.partners,
            "message": self.detail.get("message"),
            "outcome": self.outcome,
        }


def _query() -> Any:
    c, w = t.conflicts, t.works
    return select(c, w.c.iswc.label("work_iswc"), w.c.title.label("work_title")).outerjoin(
        w, w.c.id == c.c.work_id
    )


def _conflict(row: Any) -> Conflict:
    return Conflict(
        id=row.id,
        kind=row.kind,
        key=row.key,
        status=row.status,
        work_id=row.work_id,
        work_iswc=row.work_iswc,
        work_title=row.work_title,
        partner=row.partner,
        right=row.right,
        territory=row.territory,
        total=row.total,
        excess=row.excess,
        detail=dict(row.detail or {}),
        claims=list(row.claims or []),
        opened_at=row.opened_at,
        deadline=row.deadline,
        resolved_at=row.resolved_at,
        outcome=row.outcome,
    )


def open_conflict(
    conn: Connection,
    *,
    kind: str,
    key: str,
    work_id: int | None,
    partner: str | None,
    detail: dict[str, Any],
    source_id: int | None = None,
    right: str | None = None,
    territory: str | None = None,
    total: int | None = None,
    excess: int | None = None,
    claims: Sequence[dict[str, Any]] | None = None,
    deadline: datetime | None = None,
    by: str = "import",
) -> tuple[int, bool]:
    """Open a conflict, or update the unresolved one of the same situation.

    Returns (conflict id, whether it is new).
    """
    c = t.conflicts
    found = conn.execute(
        select(c.c.id).where(c.c.work_id == work_id, c.c.key == key, c.c.status != "resolved")
    ).scalar()
    figures = {
        "right": right,
        "territory": territory,
        "total": total,
        "excess": excess,
        "detail": detail,
        "claims": list(claims) if claims is not None else None,
    }
    if found is not None:
        conn.execute(update(c).where(c.c.id == found).values(**figures))
        return found, False
    stamp = now()
    conflict_id = conn.execute(
        insert(c)
        .values(
            kind=kind,
            key=key,
            status="open",
            work_id=work_id,
            partner=partner,
            source_id=source_id,
            opened_at=stamp,
            deadline=deadline,
            **figures,
        )
        .returning(c.c.id)
    ).scalar_one()
    add_event(conn, conflict_id, "open", None, detail.get("message"), by, stamp)
    return conflict_id, True


def open_iswc_conflict(
    conn: Connection,
    work_id: int,
    partner: str,
    held: str,
    received: str,
    source_id: int | None,
    deadline: datetime,
) -> bool:
    """A partner gives a work another ISWC than the one held; True if the conflict is new."""
    _, new = open_conflict(
        conn,
        kind="iswc",
        key=f"iswc:{received}",
        work_id=work_id,
        partner=partner,
        detail={
            "held": held,
            "received": received,
            "message": f"{partner} gives ISWC {received}; the work has {held}",
        },
        source_id=source_id,
        deadline=deadline,
    )
    return new


def add_event(
    conn: Connection,
    conflict_id: int,
    status: str,
    outcome: str | None,
    note: str | None,
    by: str,
    at: datetime | None = None,
) -> None:
    conn.execute(
        insert(t.conflict_events).values(
            conflict_id=conflict_id,
            status=status,
            outcome=outcome,
            note=(note or None) and note[:2000],
            by=by[:100],
            at=at or now(),
        )
    )


def set_status(
    conn: Connection,
    conflict_id: int,
    status: str,
    *,
    outcome: str | None = None,
    note: str | None = None,
    by: str,
) -> None:
    values: dict[str, Any] = {"status": status}
    if status == "resolved":
        values.update(outcome=outcome, resolved_at=now())
    conn.execute(update(t.conflicts).where(t.conflicts.c.id == conflict_id).values(**values))
    add_event(conn, conflict_id, status, outcome, note, by)


def get(conn: Connection, conflict_id: int) -> Conflict | None:
    row = conn.execute(_query().where(t.conflicts.c.id == conflict_id)).first()
    return None if row is None else _conflict(row)


def events(conn: Connection, conflict_id: int) -> list[dict[str, Any]]:
    return events_of(conn, [conflict_id]).get(conflict_id, [])


def events_of(conn: Connection, conflict_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The history of each of these conflicts, oldest event first."""
    e = t.conflict_events
    found: dict[int, list[dict[str, Any]]] = {}
    for part in chunks(list(conflict_ids), 500):
        rows = conn.execute(select(e).where(e.c.conflict_id.in_(part)).order_by(e.c.id))
        for r in rows:
            found.setdefault(r.conflict_id, []).append(
                {
                    "status": r.status,
                    "outcome": r.outcome,
                    "note": r.note,
                    "by": r.by,
                    "at": r.at.isoformat(),
                }
            )
    return found


def find(
    conn: Connection,
    *,
    status: str | None = None,
    partner: str | None = None,
    overdue: bool = False,
    work_id: int | None = None,
    kind: str | None = None,
) -> list[Conflict]:
    """Conflicts in id order; ``partner`` matches any partner involved."""
    query = _query().order_by(t.conflicts.c.id)
    if status is not None:
        query = query.where(t.conflicts.c.status == status)
    if kind is not None:
        query = query.where(t.conflicts.c.kind == kind)
    if work_id is not None:
        query = query.where(t.conflicts.c.work_id == work_id)
    if overdue:
        query = query.where(
            t.conflicts.c.status != "resolved",
            t.conflicts.c.deadline.is_not(None),
            t.conflicts.c.deadline < now(),
        )
    found = [_conflict(row) for row in conn.execute(query)]
    if partner is not None:
        found = [f for f in found if partner in f.partners]
    return found
