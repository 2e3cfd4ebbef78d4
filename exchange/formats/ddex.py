"""DDEX MWN: the claim notifications sister societies exchange (version 1.3)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from exchange.formats import Export, Importer, LeftOut, Written, WrittenFile

if TYPE_CHECKING:
    from exchange.imports.report import FileReport, Progress
    from exchange.store import Store

#: What an XML document may begin with before its first ``<``.
_LEADING = b"\xef\xbb\xbf \t\r\n"


class MwnFormat:
    """DDEX MWN 1.3: ShareNotification messages out, claim notifications in."""

    name = family = "mwn"
    description = "DDEX MWN 1.3 claim notifications (ShareNotification messages)"
    pattern = "MWN_*.xml"
    acknowledged = False
    version = "1.3"

    def __repr__(self) -> str:
        return f"<format {self.name}>"

    def identify(self, path: Path, head: bytes) -> bool:
        return path.suffix.lower() == ".xml" or head.lstrip(_LEADING).startswith(b"<")

    def importer(self, store: Store, config: Any, partner: str | None) -> Importer:
        from exchange.imports.mwn import MwnReader
        from exchange.imports.registrations import RegistrationImporter

        reader = MwnReader(config)
        thresholds = (config.match_certain, config.match_review)
        return RegistrationImporter(
            store,
            reader,
            reader.sender,
            partner,
            config.own_society,
            config.deadline_days,
            thresholds,
        )

    def validate(self, path: Path, config: Any, progress: Progress | None = None) -> FileReport:
        from exchange.imports.mwn import MwnReader
        from exchange.imports.registrations import judge

        return judge(path, MwnReader(config)(path, None))

    def write(self, export: Export) -> Written:
        from exchange.exports.mwn import MwnWriter

        writer = MwnWriter(export.store, export.config, export.receiver)
        result = writer.works(export.ids, export.folder, export.max_works, export.progress)
        return Written(
            [WrittenFile(f.path, f.works, {"validated": f.validated}) for f in result.files],
            [
                LeftOut(s, f"work {s['work']} ({s['title']}): {s['message']}", rejected=False)
                for s in result.skipped
            ],
        )


MWN = MwnFormat()
