"""Importing registration files of the formats beside CWR (DDEX MWN, CSV, XLSX).

A reader (:mod:`adapters.ddex.mwn.reader`, :mod:`adapters.spreadsheet.works.reader`)
turns the file into ``REG`` transactions (:mod:`adapters.registrations`); from there the
import is the one CWR files get (:class:`~exchange.imports.batch.BatchImporter`):
matched, stored with their source in batches that each commit with the ledger
entry, answered with a status, checked for conflicts. A file imported before
(same sha256) changes nothing; a file rejected as a whole changes nothing but
its ledger entry.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from adapters.registrations import ReadFile
from exchange.imports.batch import BATCH, BatchImporter
from exchange.imports.file_claims import claim_file
from exchange.imports.report import FileReport, Progress, count, duplicate, earlier_import
from exchange.store import Store
from exchange.store.ledger import IMPORTED, REJECTED, FileEntry

#: Reads a file for a sender (None when the file must say who sent it).
Reader = Callable[[Path, str | None], ReadFile]


class RegistrationImporter(BatchImporter):
    """Imports files of one non-CWR format into one store."""

    def __init__(
        self,
        store: Store,
        read: Reader,
        sender_of: Callable[[ReadFile, Path], str],
        partner: str | None = None,
        society: str | None = None,
        deadline_days: Callable[[str], int] | None = None,
        thresholds: tuple[int, int] | None = (95, 80),
    ) -> None:
        super().__init__(store, partner, society, deadline_days, thresholds)
        self.read = read
        #: who sent a file given without --partner (from the file and the configuration)
        self.sender_of = sender_of

    def import_file(self, path: Path, progress: Progress | None = None) -> FileReport:
        sha, _previous, done = earlier_import(self.store, path)
        if done is not None:
            return done
        read = self.read(path, self.partner)
        sender = self.partner or self.sender_of(read, path)
        claim = claim_file(
            self.store,
            sha,
            name=path.name,
            partner=sender,
            format=read.format,
            version=read.version,
        )
        with claim:
            if claim.entry is None:
                assert claim.done is not None
                return duplicate(path.name, claim.done)
            return self._import(path, read, sender, claim.entry, progress)

    def _import(
        self,
        path: Path,
        read: ReadFile,
        sender: str,
        entry: FileEntry,
        progress: Progress | None,
    ) -> FileReport:
        report = FileReport(path.name, read.format, read.version)
        report.add(read.findings)
        if read.file_rejected:
            report.file_rejected = True
            report.transactions = report.rejected = len(read.transactions)
            self.store.update_file(entry.id, state=REJECTED, summary=report.summary())
            return report
        skip = self.resume(report, entry)
        received = datetime.now(UTC)
        total = len(read.transactions)
        size = path.stat().st_size
        for start in range(skip, total, BATCH):
            batch = read.transactions[start : start + BATCH]
            with self.store.connect() as conn:
                self._write(conn, batch, entry.id, sender, start + len(batch), report, received)
            if progress is not None:
                progress(size * (start + len(batch)) // total, size)
        self.store.update_file(entry.id, state=IMPORTED, summary=report.summary())
        return report


def judge(path: Path, read: ReadFile) -> FileReport:
    """What importing a file that was read would accept and reject, the store untouched."""
    report = FileReport(path.name, read.format, read.version)
    report.add(read.findings)
    report.file_rejected = read.file_rejected
    for tx in read.transactions:
        count(report, tx)
    if read.file_rejected:
        report.accepted, report.rejected = 0, report.transactions
    return report
