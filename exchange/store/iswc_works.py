"""What the store keeps of our works in CISAC's ISWC database.

- ``iswc_submissions``: per work, the last submission (a digest of what was sent,
  when, add or update, accepted or rejected, the ISWC answered), so that the
  same content is never sent twice; one sent in an ISWC JSON file is ``pending``
  with the file's name and its submission id until the file's acknowledgement;
- ``iswc_rejections``: each rejection, with the database's code and message;
- ``work_iswcs``: the ISWCs of a work with their source (the database's answer,
  or a notification file: the source's partner, file and transaction). The
  preferred one is also ``works.iswc``; an ISWC archived by a merge stays, with
  the ISWC it was merged into, and still finds the work
  (:meth:`exchange.store.repertoire.Repertoire.find_work`);
- ``iswc_notifications``: what each transaction of a notification file came to.

Every change of a work's ISWC goes into its ``history`` (entity ``iswc``) with the
source that made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from exchange.model import Source
from exchange.store import tables as t
from exchange.store.database import Database
from exchange.store.reader import WorkReader
from exchange.store.rows import history_row, now
from exchange.store.writer import WorkWriter

#: The partner code of what the ISWC database's REST API answered (a source of ISWCs).
ISWC_DATABASE = "ISWC-DB"
PREFERRED, ARCHIVED = "preferred", "archived"
#: A preferred ISWC another took the place of (a conflict settled, not a merge).
REPLACED = "replaced"
#: Outcomes of a notification's transaction: applied to our work, noted in its history,
#: nothing to do, an ISWC conflict opened, or no work of ours (skipped).
NOTIFICATION_OUTCOMES = ("applied", "noted", "unchanged", "conflict", "skipped")


@dataclass(frozen=True, slots=True)
class LastSubmission:
    """Our last submission of a work to the ISWC database."""

    work_id: int
    workcode: str
    digest: str
    method: str  # add | update
    submitted_at: datetime
    outcome: str  # accepted | rejected | pending
    iswc: str | None
    #: sent in an ISWC JSON file: its name and the submission id in it (None: by the API)
    file_name: str | None = None
    submission_id: int | None = None

    @property
    def route(self) -> str:
        return "file" if self.file_name else "api"

    def as_dict(self) -> dict[str, Any]:
        return {
            "workcode": self.workcode,
            "digest": self.digest,
            "method": self.method,
            "submitted": self.submitted_at.isoformat(),
            "outcome": self.outcome,
            "iswc": self.iswc,
            "route": self.route,
            "file": self.file_name,
            "submission_id": self.submission_id,
        }


@dataclass(frozen=True, slots=True)
class StoredRejection:
    code: str
    message: str
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "at": self.at.isoformat()}


@dataclass(frozen=True, slots=True)
class WorkIswc:
    """An ISWC of a work, where it came from, and whether it is archived."""

    iswc: str
    status: str  # preferred | archived | replaced
    preferred: str | None  # archived: the ISWC it was merged into
    source: Source | None
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        source = self.source
        return {
            "iswc": self.iswc,
            "status": self.status,
            "preferred": self.preferred,
            "source": None
            if source is None
            else {
                "partner": source.partner,
                "file": source.file,
                "transaction": source.transaction,
            },
            "at": self.at.isoformat(),
        }


def last_submissions(conn: Connection, work_ids: list[int]) -> dict[int, LastSubmission]:
    s = t.iswc_submissions
    found: dict[int, LastSubmission] = {}
    for start in range(0, len(work_ids), 500):
        part = work_ids[start : start + 500]
        for row in conn.execute(select(s).where(s.c.work_id.in_(part))):
            found[row.work_id] = LastSubmission(**row._asdict())
    return found


def database_iswcs(conn: Connection, work_ids: list[int]) -> dict[int, str]:
    """The preferred ISWC of each of these works that the ISWC database gave (its API, or
    one of its notification files), by work id."""
    w, s = t.work_iswcs, t.sources
    found: dict[int, str] = {}
    for start in range(0, len(work_ids), 500):
        query = (
            select(w.c.work_id, w.c.iswc)
            .join(s, s.c.id == w.c.source_id)
            .where(w.c.work_id.in_(work_ids[start : start + 500]), w.c.status == PREFERRED)
            .where(or_(s.c.partner == ISWC_DATABASE, s.c.file_name.is_not(None)))
        )
        found.update({row.work_id: row.iswc for row in conn.execute(query)})
    return found


def record_submission(
    conn: Connection,
    work_id: int,
    *,
    workcode: str,
    digest: str,
    method: str,
    iswc: str | None,
    rejection: tuple[str, str] | None,
    sent_in: tuple[str, int] | None = None,
) -> None:
    """Keep our last submission of a work, and its rejection (code, message) if any.

    ``sent_in``: the ISWC JSON file (name, submission id) it was written in; it is
    ``pending`` until :func:`acknowledge` applies the file's acknowledgement.
    """
    s = t.iswc_submissions
    stamp = now()
    outcome = "pending" if sent_in else "rejected" if rejection else "accepted"
    file_name, submission_id = sent_in or (None, None)
    values = {
        "workcode": workcode,
        "digest": digest,
        "method": method,
        "submitted_at": stamp,
        "outcome": outcome,
        "iswc": iswc,
        "file_name": file_name,
        "submission_id": submission_id,
    }
    changed = conn.execute(update(s).where(s.c.work_id == work_id).values(**values)).rowcount
    if not changed:
        conn.execute(insert(s).values(work_id=work_id, **values))
    if rejection:
        record_rejection(conn, work_id, *rejection, digest=digest)


def pending_in_file(conn: Connection, file_name: str, submission_id: int) -> LastSubmission | None:
    """Our submission still waiting for its acknowledgement: submission ``submission_id``
    of the ISWC JSON file ``file_name``."""
    s = t.iswc_submissions
    row = conn.execute(
        select(s).where(
            s.c.file_name == file_name,
            s.c.submission_id == submission_id,
            s.c.outcome == "pending",
        )
    ).first()
    return LastSubmission(**row._asdict()) if row is not None else None


def acknowledge(conn: Connection, pending: LastSubmission, outcome: str, iswc: str | None) -> None:
    """The acknowledgement of a submission sent in a file: ``accepted`` (with the ISWC
    given) or ``rejected`` (the caller keeps the rejection, with the digest)."""
    s = t.iswc_submissions
    conn.execute(update(s).where(s.c.work_id == pending.work_id).values(outcome=outcome, iswc=iswc))


def record_rejection(
    conn: Connection, work_id: int, code: str, message: str, digest: str | None = None
) -> None:
    """Keep a rejection of a work by the database (``digest``: of the submission, if ours)."""
    conn.execute(
        insert(t.iswc_rejections).values(
            work_id=work_id, digest=digest, code=code[:10], message=message[:2000], at=now()
        )
    )


def rejections_of(conn: Connection, work_id: int) -> list[StoredRejection]:
    r = t.iswc_rejections
    rows = conn.execute(select(r).where(r.c.work_id == work_id).order_by(r.c.id))
    return [StoredRejection(row.code, row.message, row.at) for row in rows]


def iswcs_of(conn: Connection, work_id: int) -> list[WorkIswc]:
    """A work's ISWCs, the preferred first, then the archived ones as they were archived."""
    w = t.work_iswcs
    rows = conn.execute(select(w).where(w.c.work_id == work_id).order_by(w.c.id)).all()
    reader = WorkReader(conn)
    found = [
        WorkIswc(row.iswc, row.status, row.preferred, reader.source(row.source_id), row.at)
        for row in rows
    ]
    return sorted(found, key=lambda i: i.status != PREFERRED)


def work_with_archived(conn: Connection, iswc: str) -> int | None:
    """The work that held ``iswc`` (compact) before another took its place (archived by a
    merge, or replaced), if any."""
    w = t.work_iswcs
    return conn.execute(
        select(w.c.work_id).where(w.c.iswc == iswc).order_by(w.c.status.desc(), w.c.work_id)
    ).scalar()


def _history(
    writer: WorkWriter, work_id: int, entity_id: int, action: str, before: dict[str, Any],
    source_id: int | None,
) -> None:  # fmt: skip
    row = history_row(work_id, "iswc", entity_id, action, before, source_id, now())
    writer.conn.execute(insert(t.history).values(**row))


def _iswc_row(conn: Connection, work_id: int, iswc: str) -> Any:
    w = t.work_iswcs
    return conn.execute(select(w).where(w.c.work_id == work_id, w.c.iswc == iswc)).first()


def set_preferred(
    writer: WorkWriter, work_id: int, iswc: str, source_id: int | None, note: dict[str, Any]
) -> bool:
    """Make ``iswc`` (compact) the work's preferred ISWC, with its source; False when it was.

    The caller has made sure it does not replace another ISWC silently (that is a
    conflict, or a merge: :func:`archive`). ``note`` says what brought it (kept in
    the history).
    """
    conn = writer.conn
    held = conn.execute(select(t.works.c.iswc).where(t.works.c.id == work_id)).scalar_one()
    row = _iswc_row(conn, work_id, iswc)
    if held == iswc and row is not None and row.status == PREFERRED:
        return False
    w = t.work_iswcs
    if row is None:
        entity_id = conn.execute(
            insert(w)
            .values(work_id=work_id, iswc=iswc, status=PREFERRED, source_id=source_id, at=now())
            .returning(w.c.id)
        ).scalar_one()
    else:
        entity_id = row.id
        conn.execute(
            update(w)
            .where(w.c.id == row.id)
            .values(status=PREFERRED, preferred=None, source_id=source_id, at=now())
        )
    conn.execute(
        update(w)
        .where(w.c.work_id == work_id, w.c.iswc != iswc, w.c.status == PREFERRED)
        .values(status=REPLACED)
    )
    if held != iswc:
        writer.set_iswc(work_id, iswc, source_id)
    _history(writer, work_id, entity_id, "add", {"iswc": held, **note}, source_id)
    return True


def archive(
    writer: WorkWriter,
    work_id: int,
    old: str,
    preferred: str,
    source_id: int | None,
    note: dict[str, Any],
) -> None:
    """A merge: ``old`` is archived under ``preferred``, which becomes the work's ISWC."""
    conn = writer.conn
    w = t.work_iswcs
    row = _iswc_row(conn, work_id, old)
    if row is None:
        entity_id = conn.execute(
            insert(w)
            .values(
                work_id=work_id,
                iswc=old,
                status=ARCHIVED,
                preferred=preferred,
                source_id=source_id,
                at=now(),
            )
            .returning(w.c.id)
        ).scalar_one()
    else:
        entity_id = row.id
        conn.execute(
            update(w).where(w.c.id == row.id).values(status=ARCHIVED, preferred=preferred, at=now())
        )
    _history(writer, work_id, entity_id, "archive", {"iswc": old, **note}, source_id)
    set_preferred(writer, work_id, preferred, source_id, {**note, "merged": old})


def withdraw(
    writer: WorkWriter, work_id: int, iswc: str, source_id: int | None, note: dict
) -> None:
    """The database deleted the work's ISWC (our submission withdrawn): kept as archived."""
    conn = writer.conn
    row = _iswc_row(conn, work_id, iswc)
    if row is not None:
        conn.execute(
            update(t.work_iswcs).where(t.work_iswcs.c.id == row.id).values(status=ARCHIVED)
        )
    held = conn.execute(select(t.works.c.iswc).where(t.works.c.id == work_id)).scalar_one()
    if held == iswc:
        writer.set_iswc(work_id, None, source_id)
    _history(
        writer, work_id, row.id if row else work_id, "delete", {"iswc": iswc, **note}, source_id
    )


def noted(writer: WorkWriter, work_id: int, source_id: int | None, note: dict[str, Any]) -> None:
    """Another agency's change on the work's ISWC, kept in the work's history only."""
    _history(writer, work_id, work_id, "notify", note, source_id)


def record_notification(conn: Connection, file_id: int, position: int, **values: Any) -> None:
    conn.execute(insert(t.iswc_notifications).values(file_id=file_id, position=position, **values))


class IswcWorks(Database):
    """The store's record of our works in the ISWC database (see :class:`exchange.store.Store`)."""

    def iswc_state(self, work_id: int) -> dict[str, Any]:
        """A work's ISWCs with their sources, its last submission and its rejections."""
        with self.connect() as conn:
            last = last_submissions(conn, [work_id]).get(work_id)
            return {
                "iswcs": [i.as_dict() for i in iswcs_of(conn, work_id)],
                "submission": last.as_dict() if last else None,
                "rejections": [r.as_dict() for r in rejections_of(conn, work_id)],
            }
