"""CISAC's CWR formats: registrations in CWR 2.1 and 2.2, and acknowledgement files.

Both CWR versions are read by one reader, which takes the version from the
file's HDR; ``exchange import --format cwr`` names them together (their
family). A file no format identifies is read as CWR 2.1 (``FALLBACK`` of
:mod:`exchange.formats`): the reader says what the file is not.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from exchange.errors import EXIT_USAGE, ExchangeError
from exchange.formats import Export, Importer, LeftOut, Written, WrittenFile

if TYPE_CHECKING:
    from exchange.imports.report import FileReport, Progress
    from exchange.store import Store

#: Lines at the start of a file in which a CWR file has its HDR record.
_HEAD_LINES = 5


def _version(path: Path) -> str | None:
    """The CWR version of a file (or of the CWR file in its zip package) that begins with
    an HDR record, as the HDR (else the file name) says; None for any other file, whose
    reader says what it is not."""
    from contextlib import closing
    from itertools import islice

    from adapters.cwr.layout import record_prefix
    from exchange.imports.cwr import head_of, open_source

    record_type = record_prefix().record_type
    try:
        with closing(open_source(path).lines()) as lines:
            begins = any(line[record_type] == b"HDR" for _, line in islice(lines, _HEAD_LINES))
        return head_of(open_source(path)).version if begins else None
    except ExchangeError:  # CwrSourceError among them
        return None


def _is_ack(path: Path) -> bool:
    from exchange.imports.acks import is_ack_file
    from exchange.imports.cwr import open_source

    try:
        return is_ack_file(open_source(path))
    except ExchangeError:  # CwrSourceError among them
        return False


class CwrFormat:
    """CWR registrations (NWR, REV, ISW...) of one version, also zipped."""

    acknowledged = True
    family = "cwr"

    def __init__(self, version: str) -> None:
        self.version = version
        self.name = "cwr" + version.replace(".", "")
        self.description = f"CISAC CWR {version} registrations (also zipped)"
        self.pattern = "CW*.V" + version.replace(".", "")

    def __repr__(self) -> str:
        return f"<format {self.name}>"

    def identify(self, path: Path, head: bytes) -> bool:
        return not _is_ack(path) and _version(path) == self.version

    def importer(self, store: Store, config: Any, partner: str | None) -> Importer:
        from exchange.imports.cwr import CwrImporter

        thresholds = (config.match_certain, config.match_review)
        return CwrImporter(store, partner, config.own_society, config.deadline_days, thresholds)

    def validate(self, path: Path, config: Any, progress: Progress | None = None) -> FileReport:
        from exchange.imports.cwr import validate_file

        return validate_file(path, progress)

    def write(self, export: Export) -> Written:
        from adapters.cwr.export import export_works
        from adapters.cwr.pipeline import relaxed_gc
        from adapters.cwr.work_values import CwrWriteError
        from exchange.exports.cwr import works_to_export

        store, sender = export.store, export.config.society_code
        try:
            # an export makes millions of short-lived objects, as an import does
            with relaxed_gc():
                result = export_works(
                    works_to_export(
                        store,
                        export.ids,
                        version=self.version,
                        transaction=export.transaction,
                        sender=sender,
                        encoding=export.encoding,
                    ),
                    export.folder,
                    version=self.version,
                    sender=sender,
                    sender_name=export.config.name,
                    next_sequence=lambda: store.next_file_sequence(sender, export.receiver),
                    receiver=export.receiver,
                    transaction=export.transaction,
                    max_works_per_file=export.max_works,
                    package=export.package,
                    encoding=export.encoding,
                    progress=export.progress,
                )
        except CwrWriteError as exc:
            raise ExchangeError(str(exc), EXIT_USAGE) from None
        return Written(
            [WrittenFile(f.path, f.works, {"records": f.records}) for f in result.files],
            [LeftOut(s.as_dict(), s.message) for s in result.skipped],
        )


class AckFormat:
    """CWR acknowledgement files: what a partner says of our registrations."""

    name = family = "ack"
    description = "CISAC CWR acknowledgements (ACK files), also zipped"
    pattern = "CW*.V2?"
    acknowledged = False
    version = None

    def __repr__(self) -> str:
        return f"<format {self.name}>"

    def identify(self, path: Path, head: bytes) -> bool:
        return _is_ack(path)

    def importer(self, store: Store, config: Any, partner: str | None) -> Importer:
        from exchange.imports.acks import AckImporter

        return AckImporter(store, config.own_society, partner, config.deadline_days)

    def validate(self, path: Path, config: Any, progress: Progress | None = None) -> FileReport:
        from exchange.imports.acks import validate_ack_file

        return validate_ack_file(path, progress)


CWR21 = CwrFormat("2.1")
CWR22 = CwrFormat("2.2")
ACK = AckFormat()
