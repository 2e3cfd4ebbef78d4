"""Which registration format a file is in, and the importer for each format.

Formats: ``cwr`` (CWR 2.x, also zipped), ``ack`` (a CWR acknowledgement file),
``mwn`` (a DDEX MWN claim notification), ``csv`` and ``xlsx`` (the
registration spreadsheet, docs/spreadsheets.md).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from adapters.registrations import ReadFile
from adapters.spreadsheet.works.reader import read_works
from exchange.config import NodeConfig
from exchange.errors import ExchangeError
from exchange.imports.acks import AckImporter, is_ack_file, validate_ack_file
from exchange.imports.cwr import CwrImporter, open_source, validate_file
from exchange.imports.mwn import MwnReader
from exchange.imports.registrations import RegistrationImporter
from exchange.imports.report import FileReport, Progress, count
from exchange.store import Store

FORMATS = ("cwr", "ack", "mwn", "csv", "xlsx")


class Importer(Protocol):
    def import_file(self, path: Path, progress: Progress | None = None) -> FileReport: ...


def detect(path: Path) -> str:
    """The format of a file, from its name and its first bytes."""
    suffix = path.suffix.lower()
    if suffix in (".xml", ".csv", ".xlsx"):
        return {".xml": "mwn", ".csv": "csv", ".xlsx": "xlsx"}[suffix]
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
    except OSError as exc:
        raise ExchangeError(f"cannot read {path}: {exc.strerror}") from None
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "mwn"
    if head.startswith(b"PK") and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                if "xl/workbook.xml" in archive.namelist():
                    return "xlsx"
        except (zipfile.BadZipFile, OSError) as exc:
            raise ExchangeError(f"{path}: a damaged zip package: {exc}") from None
    return "ack" if is_ack_file(open_source(path)) else "cwr"


def validate(
    path: Path, config: NodeConfig, kind: str | None = None, progress: Progress | None = None
) -> FileReport:
    """Judge a file of any format without touching the store, counting as its import would."""
    kind = kind or detect(path)
    if kind == "cwr":
        return validate_file(path, progress)
    if kind == "ack":
        return validate_ack_file(path, progress)
    read = _reader(config, kind)(path, None)
    report = FileReport(path.name, read.format, read.version)
    report.add(read.findings)
    report.file_rejected = read.file_rejected
    for tx in read.transactions:
        count(report, tx)
    if read.file_rejected:
        report.accepted, report.rejected = 0, report.transactions
    return report


def _reader(config: NodeConfig, kind: str) -> MwnReader | Callable[[Path, str | None], ReadFile]:
    if kind == "mwn":
        return MwnReader(config)
    if kind in ("csv", "xlsx"):
        return read_works
    raise ExchangeError(f"unknown format {kind!r} (known: {', '.join(FORMATS)})")


def _sheet_sender(read: ReadFile, path: Path) -> str:
    raise ExchangeError(f"{path.name}: a spreadsheet does not say who sent it: give --partner CODE")


def importer(store: Store, config: NodeConfig, kind: str, partner: str | None) -> Importer:
    """The importer of one format, set up from the node's configuration."""
    own = config.own_society
    thresholds = (config.match_certain, config.match_review)
    if kind == "cwr":
        return CwrImporter(store, partner, own, config.deadline_days, thresholds)
    if kind == "ack":
        return AckImporter(store, own, partner, config.deadline_days)
    reader = _reader(config, kind)
    sender = reader.sender if isinstance(reader, MwnReader) else _sheet_sender
    deadline = config.deadline_days
    return RegistrationImporter(store, reader, sender, partner, own, deadline, thresholds)
