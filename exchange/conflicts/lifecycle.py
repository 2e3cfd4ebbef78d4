"""Disputed claims: finding them in the store, settling them, reporting them.

Conflicts are found on import (for every work a transaction added claims to)
and on demand (``exchange conflicts detect``, over every work that more than
one partner registered, and every ISWC held by more than one work, unless one
sender registered them all: those are its possible duplicates, not a dispute). The rules
themselves are in :mod:`exchange.conflict_rules`; the store keeps each
conflict once per situation (:mod:`exchange.store.conflicts`).

Settling a conflict (``resolve``) records the outcome and changes what it
settles:

* ``withdrawn``: the claims of the partner that brought the conflict in are
  removed from the work (an ISWC it gave is dropped);
* ``upheld``: that partner's claims stand and the other claims involved are
  removed (an ISWC it gave replaces ours);
* ``amended``: the partners corrected their registrations; nothing else changes.

Removed claims stay in the work's history, with the resolution as their source.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from exchange.conflicts.disputes import Dispute, disputes_of
from exchange.conflicts.rules import work_conflicts
from exchange.errors import ExchangeError, NotFound
from exchange.jsonview import claim_view
from exchange.model import Source, Work
from exchange.store import Store, iswc_works, tables
from exchange.store import conflicts as stored
from exchange.store.bulk import insert_returning_ids, insert_rows
from exchange.store.conflicts import OUTCOMES, Conflict
from exchange.store.reader import WorkReader, registered_by
from exchange.store.rows import chunks, now
from exchange.store.writer import WorkWriter

#: Works loaded at a time when detecting over the whole store.
CHUNK = 500


def operator() -> str:
    """Who is acting: ``$EXCHANGE_USER``, else the login name."""
    try:
        return os.environ.get("EXCHANGE_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def works_with_claims(conn: Connection, work_ids: Sequence[int]) -> list[Work]:
    """The works with these ids as the rules need them: their claims (with parties and
    affiliations) only."""
    claims = WorkReader(conn).claims_of(list(work_ids))
    return [Work(title="", id=work_id, claims=claims.get(work_id, [])) for work_id in work_ids]


def record_work_conflicts(
    conn: Connection,
    works: Iterable[Work],
    partner: str | None,
    deadline: datetime,
    by: str = "import",
    closed: list[int] | None = None,
    kinds: dict[str, int] | None = None,
) -> dict[int, int]:
    """Open (or update) the conflicts of these works; returns new conflicts per work id.

    Open claim conflicts of these works that are no longer found are resolved as
    amended (their ids are added to ``closed``); ``kinds`` counts what was found, by
    kind. A few statements per call, whatever the number of works.
    """
    c, e = tables.conflicts, tables.conflict_events
    found = {w.id: work_conflicts(w) for w in works if w.id is not None}
    existing: dict[tuple[int, str], tuple[int, str]] = {}
    for part in chunks(list(found), 500):
        rows = conn.execute(
            select(c.c.id, c.c.work_id, c.c.key, c.c.kind).where(
                c.c.work_id.in_(part), c.c.status != "resolved"
            )
        )
        existing.update({(r.work_id, r.key): (r.id, r.kind) for r in rows})
    stamp = now()
    opened: dict[int, int] = {}
    new_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for work_id, detections in found.items():
        for d in detections:
            if kinds is not None:
                kinds[d.kind] = kinds.get(d.kind, 0) + 1
            figures = {
                "right": d.right,
                "territory": d.territory,
                "total": d.total,
                "excess": d.excess,
                "detail": {
                    "message": d.message,
                    "partners": sorted({x.source.partner for x in d.claims if x.source}),
                },
                "claims": [claim_view(x) for x in d.claims],
            }
            held = existing.pop((work_id, d.key), None)
            if held is not None:
                updates.append({"conflict_id": held[0], **figures})
                continue
            new_rows.append(
                {
                    "kind": d.kind,
                    "key": d.key,
                    "status": "open",
                    "work_id": work_id,
                    "partner": partner,
                    "source_id": None,
                    "opened_at": stamp,
                    "deadline": deadline,
                    "resolved_at": None,
                    "outcome": None,
                    **figures,
                }
            )
            opened[work_id] = opened.get(work_id, 0) + 1
    ids = insert_returning_ids(conn, c, new_rows)
    events = [
        _event(conflict_id, "open", None, row["detail"]["message"], by, stamp)
        for conflict_id, row in zip(ids, new_rows, strict=True)
    ]
    if updates:
        conn.execute(
            update(c)
            .where(c.c.id == bindparam("conflict_id"))
            .values({k: bindparam(k) for k in updates[0] if k != "conflict_id"}),
            updates,
        )
    gone = sorted(i for i, kind in existing.values() if kind in CLAIM_KINDS)
    if gone:
        for part in chunks(gone, 500):
            conn.execute(
                update(c)
                .where(c.c.id.in_(part))
                .values(status="resolved", outcome="amended", resolved_at=stamp)
            )
        note = "the claims no longer conflict"
        events += [_event(i, "resolved", "amended", note, by, stamp) for i in gone]
        if closed is not None:
            closed.extend(gone)
    insert_rows(conn, e, events)
    return opened


def _event(
    conflict_id: int, status: str, outcome: str | None, note: str | None, by: str, at: datetime
) -> dict[str, Any]:
    return {
        "conflict_id": conflict_id,
        "status": status,
        "outcome": outcome,
        "note": note[:2000] if note else None,
        "by": by[:100],
        "at": at,
    }


#: Conflicts found by the rules on a work's claims (ISWC conflicts are settled by people).
CLAIM_KINDS = ("overclaim", "counterclaim", "identity")


@dataclass(slots=True)
class DetectResult:
    works_checked: int = 0
    conflicts_found: int = 0
    conflicts_opened: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "works_checked": self.works_checked,
            "conflicts_found": self.conflicts_found,
            "conflicts_opened": self.conflicts_opened,
            "by_kind": dict(sorted(self.by_kind.items())),
        }


class Conflicts:
    """The conflicts of one store, for the command line and the HTTP API."""

    def __init__(self, store: Store, deadline_days: Callable[[str | None], int]) -> None:
        self.store = store
        self.deadline_days = deadline_days

    def deadline(self, partner: str | None) -> datetime:
        return now() + timedelta(days=self.deadline_days(partner))

    # -- finding ------------------------------------------------------------------

    def shared_works(self) -> list[int]:
        """Ids of works whose claims come from more than one partner."""
        c, s = tables.claims, tables.sources
        query = (
            select(c.c.work_id)
            .join(s, s.c.id == c.c.source_id)
            .group_by(c.c.work_id)
            .having(func.count(func.distinct(s.c.partner)) > 1)
            .order_by(c.c.work_id)
        )
        with self.store.connect() as conn:
            return list(conn.execute(query).scalars())

    def works_to_check(self) -> list[int]:
        """Shared works, and works with open claim conflicts (which may have gone away)."""
        c = tables.conflicts
        with self.store.connect() as conn:
            open_ones = set(
                conn.execute(
                    select(c.c.work_id).where(
                        c.c.status != "resolved",
                        c.c.kind.in_(CLAIM_KINDS),
                        c.c.work_id.is_not(None),
                    )
                ).scalars()
            )
        return sorted(open_ones.union(self.shared_works()))

    def detect(
        self, work_ids: Sequence[int] | None = None, progress: Callable[[int], None] | None = None
    ) -> DetectResult:
        """Find the conflicts of these works (else of every shared work, and shared ISWCs)."""
        result = DetectResult()
        ids = list(work_ids) if work_ids is not None else self.works_to_check()
        for part in chunks(ids, CHUNK):
            with self.store.connect() as conn:
                opened = record_work_conflicts(
                    conn,
                    works_with_claims(conn, part),
                    None,
                    self.deadline(None),
                    by=f"detect ({operator()})",
                    kinds=result.by_kind,
                )
                result.conflicts_opened += sum(opened.values())
            result.works_checked += len(part)
            result.conflicts_found = sum(result.by_kind.values())
            if progress is not None:
                progress(len(part))
        if work_ids is None:
            self._shared_iswcs(result)
        return result

    def _shared_iswcs(self, result: DetectResult) -> None:
        """One ISWC held by several works: one conflict per ISWC, on its first work."""
        w = tables.works
        with self.store.connect() as conn:
            shared = (
                conn.execute(
                    select(w.c.iswc)
                    .where(w.c.iswc.is_not(None))
                    .group_by(w.c.iswc)
                    .having(func.count() > 1)
                )
                .scalars()
                .all()
            )
            for iswc in shared:
                ids = list(
                    conn.execute(select(w.c.id).where(w.c.iswc == iswc).order_by(w.c.id)).scalars()
                )
                if _one_senders(conn, ids):
                    continue  # its possible duplicates, in the review queue: not a dispute
                result.conflicts_found += 1
                result.by_kind["iswc"] = result.by_kind.get("iswc", 0) + 1
                _, new = stored.open_conflict(
                    conn,
                    kind="iswc",
                    key=f"iswc:shared:{iswc}",
                    work_id=ids[0],
                    partner=None,
                    detail={
                        "works": ids,
                        "message": f"ISWC {iswc} is held by works {', '.join(map(str, ids))}",
                    },
                    deadline=self.deadline(None),
                    by=f"detect ({operator()})",
                )
                result.conflicts_opened += new

    # -- reading ------------------------------------------------------------------

    def list(
        self,
        *,
        status: str | None = None,
        partner: str | None = None,
        kind: str | None = None,
        overdue: bool = False,
        work_id: int | None = None,
    ) -> list[Conflict]:
        """Conflicts in id order, narrowed by state, partner involved, type, deadline, work."""
        with self.store.connect() as conn:
            return stored.find(
                conn, status=status, partner=partner, kind=kind, overdue=overdue, work_id=work_id
            )

    def get(self, conflict_id: int) -> tuple[Conflict, list[dict[str, Any]]]:
        with self.store.connect() as conn:
            conflict = stored.get(conn, conflict_id)
            if conflict is None:
                raise NotFound(f"no conflict {conflict_id}")
            return conflict, stored.events(conn, conflict_id)

    # -- settling -----------------------------------------------------------------

    def mark(self, conflict_id: int, status: str, note: str | None, by: str) -> Conflict:
        """Move a conflict on: notified, documents_requested (resolve settles it)."""
        conflict, _ = self.get(conflict_id)
        if conflict.status == "resolved":
            raise ExchangeError(f"conflict {conflict_id} is resolved already")
        with self.store.connect() as conn:
            stored.set_status(conn, conflict_id, status, note=note, by=by)
        return self.get(conflict_id)[0]

    def resolve(
        self, conflict_id: int, outcome: str, note: str | None, by: str
    ) -> tuple[Conflict, list[int]]:
        """Settle a conflict; also returns the other conflicts of its work that it settled
        (their claims no longer conflict)."""
        if outcome not in OUTCOMES:
            raise ExchangeError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
        conflict, _ = self.get(conflict_id)
        if conflict.status == "resolved":
            raise ExchangeError(f"conflict {conflict_id} is resolved already")
        with self.store.connect() as conn:
            writer = self.store.writer(conn)
            source = Source("local", None, conflict_id, now(), "RES")
            [source_id] = writer.source_ids([source])
            self._settle(writer, conflict, outcome, source_id)
            stored.set_status(conn, conflict_id, "resolved", outcome=outcome, note=note, by=by)
            closed: list[int] = []
            if conflict.work_id is not None:
                works = works_with_claims(conn, [conflict.work_id])
                record_work_conflicts(conn, works, None, self.deadline(None), by, closed)
        return self.get(conflict_id)[0], closed

    def _settle(
        self, writer: WorkWriter, conflict: Conflict, outcome: str, source_id: int | None
    ) -> None:
        work_id = conflict.work_id
        if outcome == "amended" or work_id is None:
            return
        if conflict.kind == "iswc":
            received = conflict.detail.get("received")
            if outcome == "upheld" and received:
                note = {"by": f"conflict {conflict.id} upheld"}
                iswc_works.set_preferred(writer, work_id, received, source_id, note)
            return
        theirs = {
            c["id"]
            for c in conflict.claims
            if c.get("id") is not None
            and (c.get("source") or {}).get("partner") == conflict.partner
        }
        others = {c["id"] for c in conflict.claims if c.get("id") is not None} - theirs
        writer.remove_claims(work_id, theirs if outcome == "withdrawn" else others, source_id)

    # -- reporting ----------------------------------------------------------------

    def disputes(self, found: Sequence[Conflict], at: datetime | None = None) -> list[Dispute]:
        """The conflicts laid out as disputes: their works, claims per source and histories.

        Days left are counted from ``at`` (now by default).
        """
        ids = sorted({c.work_id for c in found if c.work_id is not None})
        works: dict[int, Work] = {}
        history: dict[int, list[dict[str, Any]]] = {}
        with self.store.connect() as conn:
            for part in chunks(ids, CHUNK):
                works.update({w.id: w for w in WorkReader(conn).load_many(list(part))})
            history = stored.events_of(conn, [c.id for c in found])
        return disputes_of(found, works, history, (at or now()).date())


def _one_senders(conn: Connection, work_ids: Sequence[int]) -> bool:
    """Whether one sender registered each of these works (under numbers of its own)."""
    by_work: dict[int, set[str]] = {}
    for work_id, sender in registered_by(conn, work_ids):
        by_work.setdefault(work_id, set()).add(sender)
    senders = [by_work.get(work_id, set()) for work_id in work_ids]
    return bool(set.intersection(*senders))
