"""The registration spreadsheet (docs/spreadsheets.md), as CSV or as an Excel workbook.

Both are read by one reader, which tells them by their first bytes; a
spreadsheet does not say who sent it, so its import needs ``--partner``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from exchange.errors import ExchangeError
from exchange.formats import Export, Importer, Written, WrittenFile

if TYPE_CHECKING:
    from adapters.registrations import ReadFile
    from exchange.imports.report import FileReport, Progress
    from exchange.store import Store


def _no_sender(read: ReadFile, path: Path) -> str:
    raise ExchangeError(f"{path.name}: a spreadsheet does not say who sent it: give --partner CODE")


class SheetFormat:
    """The works spreadsheet in one file type (``csv`` or ``xlsx``)."""

    acknowledged = False
    version = None

    def __init__(self, name: str, description: str) -> None:
        self.name = self.family = name
        self.description = description
        self.pattern = f"WORKS_*.{name}"

    def __repr__(self) -> str:
        return f"<format {self.name}>"

    def identify(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() == f".{self.name}"

    def importer(self, store: Store, config: Any, partner: str | None) -> Importer:
        from adapters.spreadsheet.works.reader import read_works
        from exchange.imports.registrations import RegistrationImporter

        thresholds = (config.match_certain, config.match_review)
        return RegistrationImporter(
            store,
            read_works,
            _no_sender,
            partner,
            config.own_society,
            config.deadline_days,
            thresholds,
        )

    def validate(self, path: Path, config: Any, progress: Progress | None = None) -> FileReport:
        from adapters.spreadsheet.works.reader import read_works
        from exchange.imports.registrations import judge

        return judge(path, read_works(path, None))

    def write(self, export: Export) -> Written:
        from exchange.exports.sheets import export_sheet

        sender = export.config.society_code
        path, works = export_sheet(
            export.store,
            export.ids,
            export.folder,
            self.name,
            sender,
            export.receiver,
            export.progress,
        )
        return Written([WrittenFile(path, works)])


class WorkbookFormat(SheetFormat):
    """The works spreadsheet as an Excel workbook: also a workbook under another name."""

    def identify(self, path: Path, head: bytes) -> bool:
        if super().identify(path, head):
            return True
        if not (head.startswith(b"PK") and zipfile.is_zipfile(path)):
            return False
        try:
            with zipfile.ZipFile(path) as archive:
                return "xl/workbook.xml" in archive.namelist()
        except (zipfile.BadZipFile, OSError) as exc:
            raise ExchangeError(f"{path}: a damaged zip package: {exc}") from None


CSV = SheetFormat("csv", "the registration spreadsheet as CSV (UTF-8)")
XLSX = WorkbookFormat("xlsx", "the registration spreadsheet as an Excel workbook")
