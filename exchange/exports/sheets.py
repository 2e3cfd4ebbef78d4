"""Works from the store as one registration spreadsheet (docs/spreadsheets.md).

Each work carries one consistent set of claims, as in CWR exports
(:func:`exchange.exports.claims.registration`). Files are named
``WORKS_<sender>_<receiver>_<nnnnnn>.<csv|xlsx>``, numbered per sender and
receiver apart from the CWR files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from adapters.spreadsheet.works.writer import write_works
from exchange.exports.claims import registration
from exchange.model import Work
from exchange.store import Store


def export_sheet(
    store: Store,
    ids: Sequence[int],
    folder: Path,
    fmt: str,
    sender: str,
    receiver: str,
    progress: Callable[[Work], None] | None = None,
) -> tuple[Path, int]:
    """Write the works into ``folder``; the file and how many works it holds."""
    folder.mkdir(parents=True, exist_ok=True)
    sequence = store.next_file_sequence(f"{sender}/{fmt}", receiver)
    path = folder / f"WORKS_{sender}_{receiver}_{sequence:06d}.{fmt}"

    def works() -> Iterator[Work]:
        for work in store.iter_works(ids):
            if progress is not None:
                progress(work)
            yield registration(work, sender)

    return path, write_works(path, works(), sender)
