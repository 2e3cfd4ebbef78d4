"""Notification files of the ISWC database applied to our works (ISWC JSON, EDI v3.00).

CISAC's ISWC database leaves, on its SFTP site, notifications (CSN) of other
agencies' transactions on ISWCs we have a work on, acknowledgements (ACK) and,
for works sent through CIS-Net, CSE files. The guidelines
(ISWCIA20-0312, 2020-06-18) say what an agency does with them; the node:

- **add or update by another agency** (CAR, CUR): ingests the ISWC on our work
  (new: it becomes the work's; the same: the change is noted in the work's
  history; another: an ISWC conflict, nothing overwritten);
- **merge** (MER): the preferred ISWC becomes the work's and the old one is kept
  as archived (the work is still found by it); when another of our works holds
  the preferred ISWC already, an ISWC conflict is opened as well;
- **delete** (CDR): of our own work code, our ISWC is withdrawn (kept as archived);
  of another agency's work, noted in the history;
- **acknowledgement** of one of our works: its preferred ISWC is ingested, its
  rejection kept with code and message; of a submission we sent in an ISWC JSON
  file (:func:`exchange.iswc.repertoire.write_file`), found by that file's
  creation time and the submission id, the pending submission becomes accepted
  or rejected;
- a notification on a work we do not hold is recorded (``skipped``) and nothing
  else happens.

Each change is in the work's history with the notification file (and the
transaction's position in it) as its source, and each transaction's outcome is
in ``iswc_notifications``. A file is one database transaction with its ledger
entry: never applied twice (same sha256), and a JSON file that fails its schema
(or an EDI file the format refuses whole) is rejected whole, nothing applied.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from adapters.iswc import edi, json_files
from adapters.iswc.model import Acknowledgement, IswcFileError, Notification
from adapters.iswc.naming import json_file_name
from adapters.iswc.vocabulary import ISWC_DATABASE_AGENCY
from exchange.identifiers import iswc as iswc_id
from exchange.imports.file_claims import claim_file
from exchange.imports.report import FileReport, Progress, duplicate, earlier_import
from exchange.iswc.repertoire import find_our_work, receive_iswc
from exchange.model import Finding, Source
from exchange.store import Store
from exchange.store import conflicts as stored_conflicts
from exchange.store import iswc_works as iw
from exchange.store import tables as t
from exchange.store.ledger import IMPORTED, REJECTED
from exchange.store.rows import now
from exchange.store.writer import WorkWriter

#: Notification files are at most this large, zipped or not (as the EDI reader allows).
MAX_BYTES = edi.MAX_FILE_BYTES


def _refused(path: Path, what: str) -> IswcFileError:
    message = f"{path.name}: {what}"
    return IswcFileError(message, [Finding("ER", message, record="file")])


def _content(path: Path) -> bytes:
    """The file's bytes; a zipped EDI file's one member (IswcFileError if unreadable)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _refused(path, f"cannot be read: {exc.strerror}") from None
    if not data.startswith(b"PK\x03\x04"):
        return data
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1 or members[0].file_size > MAX_BYTES:
                raise _refused(
                    path,
                    f"a zipped ISWC file holds one file of at most {MAX_BYTES:,} bytes "
                    f"({len(members)} found)",
                )
            return archive.read(members[0])
    except zipfile.BadZipFile as exc:
        raise _refused(path, f"not a readable zip file ({exc})") from None


def read_file(
    path: Path, kind: str, agency: str | None = None
) -> tuple[list[Notification], list[Acknowledgement], list[Finding]]:
    """The notifications, acknowledgements and findings (TR) of a JSON or EDI file
    (IswcFileError: refused whole, also when it is addressed to another agency than
    ``agency``)."""
    data = _content(path)
    read = (
        json_files.read_json(data, path.name) if kind == "json" else edi.read_edi(data, path.name)
    )
    receiver = read.header.receiver
    if agency is not None and receiver is not None and receiver != agency:
        what = f"{path.name}: addressed to agency {receiver}, not to us ({agency})"
        finding = Finding("ER", what, record="fileHeader", field="receivingAgency", value=receiver)
        raise IswcFileError(what, [finding])
    return read.notifications, read.acknowledgements, read.findings


def judge(path: Path, kind: str, ledger_format: str) -> FileReport:
    """What reading a notification file finds, the store untouched."""
    report = FileReport(path.name, ledger_format)
    try:
        notifications, acks, findings = read_file(path, kind)
    except IswcFileError as exc:
        report.file_rejected = True
        report.add(exc.findings or [Finding("ER", str(exc), record="file")])
        return report
    report.add(findings)
    report.rejected = sum(1 for f in findings if f.level == "TR")
    report.accepted = len(notifications) + len(acks)
    report.transactions = report.accepted + report.rejected
    return report


@dataclass(slots=True)
class _Outcome:
    outcome: str  # one of iswc_works.NOTIFICATION_OUTCOMES
    message: str
    work_id: int | None = None


class NotificationImporter:
    """Applies ISWC notification files (``kind``: json or edi) to the store."""

    def __init__(
        self,
        store: Store,
        kind: str,
        ledger_format: str,
        agency: str,
        partner: str | None,
        deadline_days: Callable[[str], int],
    ) -> None:
        self.store = store
        self.kind = kind
        self.format = ledger_format
        self.agency = agency
        self.partner = partner or iw.ISWC_DATABASE
        self.deadline_days = deadline_days

    def import_file(self, path: Path, progress: Progress | None = None) -> FileReport:
        sha, _previous, done = earlier_import(self.store, path)
        if done is not None:
            return done
        report = FileReport(path.name, self.format)
        try:
            notifications, acks, findings = read_file(path, self.kind, self.agency)
            refused: IswcFileError | None = None
        except IswcFileError as exc:
            notifications, acks, findings, refused = [], [], exc.findings, exc
        claim = claim_file(
            self.store, sha, name=path.name, partner=self.partner, format=self.format,
            version=None,
        )  # fmt: skip
        with claim:
            if claim.entry is None:
                assert claim.done is not None
                return duplicate(path.name, claim.done)
            entry = claim.entry
            report.add(findings)
            if refused is not None:
                report.file_rejected = True
                if not findings:
                    report.add([Finding("ER", str(refused), record="file")])
                self.store.update_file(
                    entry.id, state=REJECTED, summary=report.summary(), error=str(refused)[:1990]
                )
                return report
            # transactions dropped by the reader (TR) count as rejected ones
            report.rejected = report.transactions = sum(1 for f in findings if f.level == "TR")
            with self.store.connect() as conn:
                writer = self.store.writer(conn, entry.id)
                applier = _Applier(self, writer, path.name, entry.id, report)
                for position, item in enumerate([*notifications, *acks], start=1):
                    applier.apply(position, item)
                self.store.update_file(
                    entry.id,
                    conn,
                    state=IMPORTED,
                    transactions_done=report.transactions,
                    summary=report.summary(),
                )
        if progress is not None:
            size = path.stat().st_size
            progress(size, size)
        return report


class _Applier:
    def __init__(
        self,
        importer: NotificationImporter,
        writer: WorkWriter,
        file_name: str,
        file_id: int,
        report: FileReport,
    ) -> None:
        self.agency = importer.agency
        self.kind = importer.kind
        self.partner = importer.partner
        self.writer = writer
        self.conn = writer.conn
        self.file_name = file_name
        self.file_id = file_id
        self.report = report
        self.deadline = now() + timedelta(days=importer.deadline_days(importer.partner))

    def apply(self, position: int, item: Notification | Acknowledgement) -> None:
        kind = item.original_transaction_type or (
            "ACK" if isinstance(item, Acknowledgement) else "CSN"
        )
        source = Source(self.partner, self.file_name, position, now(), kind[:3])
        [source_id] = self.writer.source_ids([source])
        if isinstance(item, Acknowledgement):
            done = self._acknowledgement(item, source_id)
        else:
            done = self._notification(item, kind, source_id)
        self.report.transactions += 1
        self.report.accepted += 1
        self.report.statuses[done.outcome] = self.report.statuses.get(done.outcome, 0) + 1
        if done.outcome == "conflict":
            self.report.conflicts_opened += 1
        elif done.outcome == "applied":
            self.report.works_updated += 1
        if done.outcome in ("skipped", "conflict"):
            level = "WARN" if done.outcome == "conflict" else "INFO"
            self.report.add([Finding(level, done.message, record=kind, field="workcode",
                                     value=item.workcode)])  # fmt: skip
        iw.record_notification(
            self.conn,
            self.file_id,
            position,
            transaction_type=kind[:3],
            preferred_iswc=_compact(item.preferred_iswc),
            agency=(item.agency or "")[:3] or None,
            workcode=(item.workcode or "")[:20] or None,
            work_id=done.work_id,
            outcome=done.outcome,
            message=done.message[:2000],
        )

    # -- finding our work ----------------------------------------------------------

    def _our_work(self, item: Notification | Acknowledgement) -> tuple[int | None, str | None]:
        """Our work the item is about, and the ISWC the database had for it (archived)."""
        # a merge concerns our work whose ISWC was archived: those first
        infos = (*item.work_info, *getattr(item, "merges", ()))
        ours = sorted(
            (w for w in infos if w.agency == self.agency), key=lambda w: w.archived_iswc is None
        )
        if item.agency == self.agency and item.workcode:
            work_id = find_our_work(self.conn, self.agency, item.workcode)
            if work_id is not None:
                return work_id, None
        for info in ours:
            work_id = find_our_work(self.conn, self.agency, info.workcode)
            if work_id is not None:
                return work_id, _compact(info.archived_iswc or info.preferred_iswc)
        for iswc in (i.archived_iswc for i in item.work_info if i.archived_iswc):
            work_id = self._holder(_compact(iswc))
            if work_id is not None:
                return work_id, _compact(iswc)
        preferred = _compact(item.preferred_iswc)
        return (self._holder(preferred) if preferred else None), None

    def _holder(self, iswc: str | None) -> int | None:
        if not iswc:
            return None
        found = self.conn.execute(
            select(t.works.c.id).where(t.works.c.iswc == iswc).order_by(t.works.c.id)
        ).scalar()
        return found if found is not None else iw.work_with_archived(self.conn, iswc)

    def _held(self, work_id: int) -> str | None:
        return self.conn.execute(select(t.works.c.iswc).where(t.works.c.id == work_id)).scalar_one()

    # -- applying ----------------------------------------------------------------

    def _note(self, item: Notification | Acknowledgement, kind: str) -> dict[str, Any]:
        note: dict[str, Any] = {
            "transaction": kind,
            "agency": item.agency,
            "workcode": item.workcode,
            "title": item.original_title,
            "preferred_iswc": _compact(item.preferred_iswc),
        }
        if isinstance(item, Notification) and item.workflow_task_id is not None:
            note.update(workflow_task=item.workflow_task_id, workflow_status=item.workflow_status)
        return note

    def _notification(self, item: Notification, kind: str, source_id: int | None) -> _Outcome:
        work_id, archived = self._our_work(item)
        preferred = _compact(item.preferred_iswc)
        who = f"{item.agency}:{item.workcode}"
        if work_id is None:
            return _Outcome(
                "skipped",
                f"{kind} of {who} on ISWC {_shown(preferred)}: no work of ours; skipped",
            )
        if item.status == "RJ":
            return _Outcome("unchanged", f"{kind} of {who} was rejected; nothing to apply", work_id)
        note = self._note(item, kind)
        held = self._held(work_id)
        if kind == "MER":
            return self._merge(work_id, held, archived, preferred, note, source_id)
        if kind == "CDR":
            if item.agency == self.agency and held:
                iw.withdraw(self.writer, work_id, held, source_id, note)
                return _Outcome(
                    "applied", f"our work {work_id} withdrawn from {_shown(held)}", work_id
                )
            iw.noted(self.writer, work_id, source_id, note)
            return _Outcome("noted", f"{who} deleted from {_shown(preferred)}", work_id)
        if preferred is None:
            iw.noted(self.writer, work_id, source_id, note)
            return _Outcome("noted", f"{kind} of {who}: no preferred ISWC", work_id)
        done = receive_iswc(
            self.writer, work_id, preferred, source_id, note, partner=self.partner,
            deadline=self.deadline,
        )  # fmt: skip
        if done == "conflict":
            return _Outcome(
                "conflict",
                f"{kind} of {who} gives ISWC {_shown(preferred)}; work {work_id} has "
                f"{_shown(held)} (conflict opened)",
                work_id,
            )
        iw.noted(self.writer, work_id, source_id, note)
        if done == "applied":
            return _Outcome(done, f"{kind} of {who} on {_shown(preferred)}: ISWC ingested", work_id)
        return _Outcome("noted", f"{kind} of {who} on {_shown(preferred)}: noted", work_id)

    def _merge(
        self,
        work_id: int,
        held: str | None,
        archived: str | None,
        preferred: str | None,
        note: dict[str, Any],
        source_id: int | None,
    ) -> _Outcome:
        if preferred is None:
            return _Outcome(
                "unchanged", "a merge without a preferred ISWC; nothing to apply", work_id
            )
        if held == preferred:
            iw.noted(self.writer, work_id, source_id, note)
            return _Outcome(
                "noted", f"merged into {_shown(preferred)}, which the work has", work_id
            )
        old = held or archived
        if old is None:
            iw.set_preferred(self.writer, work_id, preferred, source_id, note)
        else:
            iw.archive(self.writer, work_id, old, preferred, source_id, note)
        other = self.conn.execute(
            select(t.works.c.id).where(t.works.c.iswc == preferred, t.works.c.id != work_id)
        ).scalar()
        message = f"{_shown(old)} merged into {_shown(preferred)}: archived, the preferred kept"
        if other is None:
            return _Outcome("applied", message, work_id)
        stored_conflicts.open_conflict(
            self.conn,
            kind="iswc",
            key=f"iswc:merged:{preferred}",
            work_id=work_id,
            partner=self.partner,
            detail={
                "held": old,
                "received": preferred,
                "message": f"ISWC {_shown(old)} of work {work_id} was merged into "
                f"{_shown(preferred)}, which work {other} has: one work or two?",
            },
            source_id=source_id,
            deadline=self.deadline,
        )
        return _Outcome(
            "conflict", f"{message}; work {other} has it too (conflict opened)", work_id
        )

    def _pending(self, item: Acknowledgement) -> iw.LastSubmission | None:
        """Our submission the acknowledgement answers, when we sent it in an ISWC JSON
        file (its name is the original file's creation time, us and the database)."""
        if self.kind != "json":
            return None
        name = json_file_name(item.original_file_created, self.agency, ISWC_DATABASE_AGENCY)
        return iw.pending_in_file(self.conn, name, item.original_submission)

    def _acknowledgement(self, item: Acknowledgement, source_id: int | None) -> _Outcome:
        pending = self._pending(item)
        if pending is not None:
            work_id: int | None = pending.work_id
        elif item.workcode and (item.agency or self.agency) == self.agency:
            work_id = find_our_work(self.conn, self.agency, item.workcode)
        else:
            work_id = None
        kind = item.original_transaction_type
        if work_id is None:
            return _Outcome(
                "skipped", f"ACK of {item.agency}:{item.workcode}: no work of ours; skipped"
            )
        if item.status == "RJ" or item.errors:
            digest = pending.digest if pending is not None else None
            for error in item.errors or ():
                iw.record_rejection(self.conn, work_id, str(error.number), error.message, digest)
            if pending is not None:
                iw.acknowledge(self.conn, pending, "rejected", None)
            codes = ", ".join(str(e.number) for e in item.errors) or "-"
            outcome = "applied" if item.errors or pending is not None else "unchanged"
            return _Outcome(outcome, f"ACK of {kind}: rejected ({codes})", work_id)
        preferred = _compact(item.preferred_iswc)
        if pending is not None:
            iw.acknowledge(self.conn, pending, "accepted", preferred)
        if preferred is None:
            return _Outcome("unchanged", f"ACK of {kind} without a preferred ISWC", work_id)
        held = self._held(work_id)
        done = receive_iswc(
            self.writer, work_id, preferred, source_id, self._note(item, f"ACK {kind}"),
            partner=self.partner, deadline=self.deadline,
        )  # fmt: skip
        if done == "conflict":
            return _Outcome(
                "conflict", f"ACK gives {_shown(preferred)}; work has {_shown(held)}", work_id
            )
        return _Outcome(done, f"ACK of {kind}: ISWC {_shown(preferred)}", work_id)


def _compact(iswc: str | None) -> str | None:
    return iswc_id.compact(iswc) if iswc else None


def _shown(iswc: str | None) -> str:
    return iswc_id.format(iswc) if iswc and iswc_id.is_valid(iswc) else (iswc or "-")
