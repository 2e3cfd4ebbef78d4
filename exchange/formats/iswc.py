"""CISAC's ISWC database files (docs/iswc-files.md): ISWC JSON and EDI v3.00.

The node reads them where the database leaves them for us: notifications (CSN)
of other agencies' changes on our works, acknowledgements (ACK) and CSE files,
applied by :mod:`exchange.iswc.notifications`. They are told by their names, as
the formats fix them (``iswc_<time>_<receiver>_<sender>.json``,
``ISWC<time><receiver><sender>.CSN``), before CWR: an EDI file begins with an
HDR record as a CWR file does.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from adapters.iswc.naming import EDI_KINDS, parse_edi_file_name, parse_json_file_name
from exchange.errors import ExchangeError
from exchange.formats import Importer

if TYPE_CHECKING:
    from exchange.imports.report import FileReport, Progress
    from exchange.store import Store


class IswcFormat:
    """ISWC database files of one kind (``json`` or ``edi``), read, never written."""

    acknowledged = False
    version = None

    def __init__(self, name: str, kind: str, description: str, pattern: str) -> None:
        self.name = self.family = name
        self.kind = kind
        self.description = description
        self.pattern = pattern

    def __repr__(self) -> str:
        return f"<format {self.name}>"

    def identify(self, path: Path, head: bytes) -> bool:
        if self.kind == "json":
            return parse_json_file_name(path.name) is not None
        named = parse_edi_file_name(path.name)
        return named is not None and named.descriptor in (*EDI_KINDS, "ZIP")

    def importer(self, store: Store, config: Any, partner: str | None) -> Importer:
        from exchange.iswc.notifications import NotificationImporter

        if config.iswc is None:
            raise ExchangeError(
                f"{self.name} files are applied to our works in the ISWC database: "
                "configure [iswc] (docs/iswc.md)"
            )
        return NotificationImporter(
            store, self.kind, self.name, config.iswc.agency, partner, config.deadline_days
        )

    def validate(self, path: Path, config: Any, progress: Progress | None = None) -> FileReport:
        from exchange.iswc.notifications import judge

        return judge(path, self.kind, self.name)


JSON = IswcFormat(
    "iswc-json",
    "json",
    "ISWC database JSON files: notifications and acknowledgements (SPE_20191118)",
    "iswc_*.json",
)
EDI = IswcFormat(
    "iswc-edi",
    "edi",
    "ISWC database EDI v3.00 files: CSN, ACK and CSE (SPE_20190806)",
    "ISWC" + "[0-9]" * 20 + ".*",
)
