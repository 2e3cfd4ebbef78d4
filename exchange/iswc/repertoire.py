"""Our repertoire and the ISWC database: submissions sent, ISWCs looked up, answers applied.

Our repertoire is the works on which a member of our agency (``[iswc] agency``) has
a claim: the works the agency may submit (rule IV/24). :func:`submit` sends each
of them that has no ISWC from the database yet, or that changed since our last
submission, as a batch add (a work the database does not hold for us) or update
(one it holds under its preferred ISWC), and applies the answers:

- an ISWC is kept with its source (the database), and becomes the work's when it
  had none;
- a rejection is kept with its code and message;
- an ISWC other than the one the work holds opens an ISWC conflict
  (:mod:`exchange.conflicts`): the one held is never overwritten silently.

What was sent is remembered by a digest of the Submission (without the ISWCs in
it, which the answer itself gives), so a second run sends nothing for works that
did not change, accepted or rejected. :func:`write_file` writes the same works
as an ISWC JSON submission file instead, for the file route; they stay ``pending``
until the file's acknowledgement (:mod:`exchange.iswc.notifications`) is applied.
:func:`lookup` asks the ISWCs of works that
have none by our agency work codes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from adapters.iswc import json_files
from adapters.iswc import json_records as jr
from adapters.iswc.model import FileHeader, IswcWriteError, Transaction
from adapters.iswc.vocabulary import ISWC_DATABASE_AGENCY
from exchange.errors import ExchangeError
from exchange.identifiers import iswc as iswc_id
from exchange.iswc.answers import SearchResult, SubmissionResult
from exchange.iswc.client import IswcClient
from exchange.iswc.payloads import PayloadError, submission, workcode_of
from exchange.model import Source, Work
from exchange.store import Store
from exchange.store import conflicts as stored_conflicts
from exchange.store import iswc_works as iw
from exchange.store import tables as t
from exchange.store.rows import now
from exchange.store.writer import WorkWriter

#: The keys of a Submission left out of its digest: ISWCs the database's answers give.
_ANSWERED = ("iswc", "preferredIswc")


def digest_of(payload: dict[str, Any]) -> str:
    """The sha256 of a Submission's content, the ISWCs in it left out.

    >>> a = digest_of({"workcode": "7", "originalTitle": "X", "iswc": "T9000000011"})
    >>> a == digest_of({"originalTitle": "X", "workcode": "7"})
    True
    """
    content = {k: v for k, v in payload.items() if k not in _ANSWERED}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def our_work_ids(store: Store, agency: str) -> list[int]:
    """The works on which a member of ``agency`` has a claim, in id order."""
    return store.works_with_members_of(agency, store.work_ids())


def find_our_work(conn: Connection, agency: str, workcode: str) -> int | None:
    """Our work of agency work code ``workcode``: the number ``agency`` gave it, else
    its local id (as :func:`exchange.iswc.payloads.workcode_of` makes the code)."""
    n = t.work_numbers
    found = conn.execute(
        select(n.c.work_id).where(n.c.issuer == agency, n.c.number == workcode).order_by(n.c.kind)
    ).scalar()
    if found is not None or not workcode.isdigit() or len(workcode) > 12:
        return found
    return conn.execute(select(t.works.c.id).where(t.works.c.id == int(workcode))).scalar()


def receive_iswc(
    writer: WorkWriter,
    work_id: int,
    iswc: str,
    source_id: int | None,
    note: dict[str, Any],
    *,
    partner: str,
    deadline: datetime,
) -> str:
    """Apply an ISWC the database gives a work of ours: ``applied`` (the work had none, or
    it is now known to come from the database), ``unchanged``, or ``conflict`` (the work
    holds another: an ISWC conflict is opened, nothing overwritten)."""
    iswc = iswc_id.compact(iswc)
    conn = writer.conn
    held = conn.execute(select(t.works.c.iswc).where(t.works.c.id == work_id)).scalar_one()
    if held and held != iswc:
        stored_conflicts.open_iswc_conflict(conn, work_id, partner, held, iswc, source_id, deadline)
        return "conflict"
    return "applied" if iw.set_preferred(writer, work_id, iswc, source_id, note) else "unchanged"


@dataclass(slots=True)
class WorkOutcome:
    """What became of one work in a submit or a lookup."""

    work_id: int
    title: str
    workcode: str | None
    outcome: str  # accepted | rejected | conflict | unsendable | found | not found
    method: str | None = None  # add | update
    iswc: str | None = None
    rejection: dict[str, str] | None = None
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "work": self.work_id,
            "title": self.title,
            "workcode": self.workcode,
            "method": self.method,
            "outcome": self.outcome,
            "iswc": self.iswc,
            "rejection": self.rejection,
            "message": self.message,
        }


@dataclass(slots=True)
class Report:
    """A run of :func:`submit` or :func:`lookup`: counts and the works acted on."""

    considered: int = 0
    sent: int = 0
    unchanged: int = 0
    works: list[WorkOutcome] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for w in self.works if w.outcome == outcome)

    def as_dict(self) -> dict[str, Any]:
        outcomes = sorted({w.outcome for w in self.works})
        return {
            "considered": self.considered,
            "sent": self.sent,
            "unchanged": self.unchanged,
            **{o.replace(" ", "_"): self.count(o) for o in outcomes},
            "works": [w.as_dict() for w in self.works],
        }


@dataclass(slots=True)
class _Pending:
    work: Work
    workcode: str
    payload: dict[str, Any]
    digest: str
    method: str


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _select(
    store: Store, agency: str, source_db: int, work_ids: Sequence[int] | None
) -> tuple[Report, list[_Pending]]:
    """Our works to send: those with no ISWC from the database, or changed since our last
    submission (by its digest); the report counts the others."""
    report = Report()
    ids = list(work_ids) if work_ids is not None else our_work_ids(store, agency)
    report.considered = len(ids)
    pending: list[_Pending] = []
    with store.connect() as conn:
        last = iw.last_submissions(conn, ids)
        given = iw.database_iswcs(conn, ids)
    for work in store.iter_works(ids):
        assert work.id is not None
        # the ISWC the database holds our work under, if the work still has it
        preferred = work.iswc if work.iswc and given.get(work.id) == work.iswc else None
        try:
            workcode = workcode_of(work, agency)
            payload = submission(work, agency=agency, source_db=source_db,
                                 preferred_iswc=preferred)  # fmt: skip
        except PayloadError as exc:
            report.works.append(
                WorkOutcome(work.id, work.title, None, "unsendable", message=str(exc))
            )
            continue
        digest = digest_of(payload)
        before = last.get(work.id)
        if before is not None and before.digest == digest:
            report.unchanged += 1
            continue
        if before is None and preferred is not None:
            report.unchanged += 1  # its ISWC came from the database: nothing to send
            continue
        method = "update" if preferred else "add"
        pending.append(_Pending(work, workcode, payload, digest, method))
    # adds first, then updates, as the batches are sent
    pending.sort(key=lambda p: p.method != "add")
    return report, pending


def submit(
    store: Store, client: IswcClient, *, deadline_days: int, work_ids: Sequence[int] | None = None
) -> Report:
    """Send our works that have no ISWC from the database or changed since our last
    submission; apply the answers (see the module's documentation)."""
    report, pending = _select(store, client.agency, client.source_db, work_ids)
    deadline = now() + timedelta(days=deadline_days)
    for method in ("add", "update"):
        items = [p for p in pending if p.method == method]
        for chunk in _chunks(items, client.batch_size):
            send = client.add_batch if method == "add" else client.update_batch
            results = send([p.payload for p in chunk])
            report.sent += len(chunk)
            _apply(store, chunk, results, report, deadline)
    return report


def _transaction(item: _Pending, submission_id: int) -> Transaction:
    """The Submission of the file format for a payload of the REST API (the same JSON)."""
    group = "addSubmissions" if item.method == "add" else "updateSubmissions"
    return jr.transaction_from_json(group, {"submissionId": submission_id, **item.payload})


def write_file(
    store: Store,
    folder: Path,
    *,
    agency: str,
    source_db: int,
    work_ids: Sequence[int] | None = None,
) -> tuple[Report, Path | None]:
    """Write the works :func:`submit` would send as one ISWC JSON submission file in
    ``folder`` (from our agency to the ISWC database, named as the format says), and
    keep them as submitted in that file, ``pending`` until its acknowledgement.

    The file is checked against the ISWC JSON schema, written under a temporary name
    and renamed into place, so a crash leaves no half file; the submissions are
    recorded in the database transaction that the rename ends. No file when there is
    nothing to send (the path is then None).
    """
    report, selected = _select(store, agency, source_db, work_ids)
    created = now().replace(microsecond=0)  # the file name says the second
    header = FileHeader(agency, ISWC_DATABASE_AGENCY, created, source_db)
    pending: list[_Pending] = []
    for item in selected:  # a work the schema refuses is left out, saying why
        try:
            json_files.write_submissions(header, [_transaction(item, 1)])
        except IswcWriteError as exc:
            work = item.work
            assert work.id is not None
            why = WorkOutcome(work.id, work.title, item.workcode, "unsendable", item.method)
            why.message = str(exc)
            report.works.append(why)
        else:
            pending.append(item)
    if not pending:
        return report, None
    transactions = [_transaction(p, n) for n, p in enumerate(pending, start=1)]
    name, data = json_files.write_submissions(header, transactions)
    path = folder / name
    partial = folder / f".{name}.partial"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if path.exists():
            raise ExchangeError(f"{path} exists already: not overwritten (run again)")
        partial.write_bytes(data)
        # recorded in the transaction that the rename ends: both or neither
        with store.connect() as conn:
            for n, item in enumerate(pending, start=1):
                assert item.work.id is not None
                iw.record_submission(
                    conn, item.work.id, workcode=item.workcode, digest=item.digest,
                    method=item.method, iswc=None, rejection=None, sent_in=(name, n),
                )  # fmt: skip
            os.replace(partial, path)
    except OSError as exc:
        raise ExchangeError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
    for n, item in enumerate(pending, start=1):
        assert item.work.id is not None
        report.works.append(
            WorkOutcome(item.work.id, item.work.title, item.workcode, "pending", item.method,
                        message=f"{name} #{n}")
        )  # fmt: skip
    report.sent = len(pending)
    return report, path


def _apply(
    store: Store,
    chunk: Sequence[_Pending],
    results: list[SubmissionResult],
    report: Report,
    deadline: datetime,
) -> None:
    """Keep what the database answered to one batch, in one transaction."""
    with store.connect() as conn:
        writer = store.writer(conn)
        [source_id] = writer.source_ids([Source(iw.ISWC_DATABASE, received_at=now())])
        for item, result in zip(chunk, results, strict=True):
            work = item.work
            assert work.id is not None
            outcome = WorkOutcome(work.id, work.title, item.workcode, "accepted", item.method)
            rejection = None
            if result.rejection is not None:
                rejection = (result.rejection.code, result.rejection.message)
                outcome.outcome, outcome.rejection = "rejected", result.rejection.as_dict()
            elif result.iswc:
                outcome.iswc = iswc_id.compact(result.iswc)
                note = {"by": f"submission ({item.method})", "workcode": item.workcode}
                applied = receive_iswc(
                    writer, work.id, outcome.iswc, source_id, note,
                    partner=iw.ISWC_DATABASE, deadline=deadline,
                )  # fmt: skip
                if applied == "conflict":
                    outcome.outcome = "conflict"
                    outcome.message = (
                        f"the ISWC database gives {iswc_id.format(outcome.iswc)}; the work "
                        f"has {iswc_id.format(work.iswc) if work.iswc else '-'} (conflict opened)"
                    )
            iw.record_submission(
                conn,
                work.id,
                workcode=item.workcode,
                digest=item.digest,
                method=item.method,
                iswc=outcome.iswc,
                rejection=rejection,
            )
            report.works.append(outcome)


def lookup(
    store: Store, client: IswcClient, *, deadline_days: int, work_ids: Sequence[int] | None = None
) -> Report:
    """Ask the database the ISWCs of our works that have none, by agency work code."""
    agency, report = client.agency, Report()
    ids = list(work_ids) if work_ids is not None else our_work_ids(store, agency)
    wanted: list[tuple[Work, str]] = []
    for work in store.iter_works(ids):
        if work.iswc:
            continue
        report.considered += 1
        try:
            wanted.append((work, workcode_of(work, agency)))
        except PayloadError as exc:
            assert work.id is not None
            report.works.append(
                WorkOutcome(work.id, work.title, None, "unsendable", message=str(exc))
            )
    deadline = now() + timedelta(days=deadline_days)
    for chunk in _chunks(wanted, client.batch_size):
        results = client.search_by_agency_work_code_batch([code for _, code in chunk])
        report.sent += len(chunk)
        with store.connect() as conn:
            writer = store.writer(conn)
            [source_id] = writer.source_ids([Source(iw.ISWC_DATABASE, received_at=now())])
            for (work, code), result in zip(chunk, results, strict=True):
                report.works.append(_found(writer, work, code, result, source_id, agency, deadline))
    return report


def _found(
    writer: WorkWriter,
    work: Work,
    code: str,
    result: SearchResult,
    source_id: int | None,
    agency: str,
    deadline: datetime,
) -> WorkOutcome:
    assert work.id is not None
    outcome = WorkOutcome(work.id, work.title, code, "not found", "search")
    if result.rejection is not None:
        outcome.rejection = result.rejection.as_dict()
        return outcome
    preferred = sorted(
        {m.preferred_iswc for m in result.results if code in m.workcodes(agency)}
        or {m.preferred_iswc for m in result.results}
    )
    if len(preferred) != 1:
        if preferred:
            outcome.message = f"the database gives several ISWCs: {', '.join(preferred)}"
        return outcome
    outcome.iswc = iswc_id.compact(preferred[0])
    note = {"by": "search by agency work code", "workcode": code}
    applied = receive_iswc(
        writer, work.id, outcome.iswc, source_id, note, partner=iw.ISWC_DATABASE, deadline=deadline
    )
    outcome.outcome = "conflict" if applied == "conflict" else "found"
    return outcome
