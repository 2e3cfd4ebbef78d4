"""A title list, ``TITLES_sss_rrr_nnnnnn.txt``: the work's number and title, one per line.

The smallest format a society could add (docs/formats.md): it writes, and reads nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

from exchange.formats import Export, Written, WrittenFile


class TitleList:
    name = family = "titles"
    description = "a list of the works' titles, one line each"
    pattern = "TITLES_*.txt"
    acknowledged = False
    version = None

    def identify(self, path: Path, head: bytes) -> bool:
        return False  # written only

    def write(self, export: Export) -> Written:
        sender = export.config.society_code
        sequence = export.store.next_file_sequence(f"{sender}/titles", export.receiver)
        path = export.folder / f"TITLES_{sender}_{export.receiver}_{sequence:06d}.txt"
        export.folder.mkdir(parents=True, exist_ok=True)
        lines = []
        for work in export.store.iter_works(export.ids):
            if export.progress is not None:
                export.progress(work)
            lines.append(f"{work.id}\t{work.title}\n")
        partial = path.with_name(f".{path.name}.part")
        partial.write_text("".join(lines), encoding="utf-8")
        os.replace(partial, path)
        return Written([WrittenFile(path, len(lines))])


TITLES = TitleList()
