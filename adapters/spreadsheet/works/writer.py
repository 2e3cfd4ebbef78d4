"""Writing works as a works sheet: one row per work and party share and territory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from adapters.spreadsheet.table import write_header, write_records
from adapters.spreadsheet.values import share_cell
from adapters.spreadsheet.works import KIND, TITLE_SEPARATOR
from exchange.errors import ExchangeError
from exchange.identifiers import iswc, known
from exchange.model import Right, Side, Work

__all__ = ["work_rows", "write_template", "write_works"]


def _compact_iswc(value: str | None) -> str | None:
    if not value:
        return None
    return iswc.compact(value) if iswc.is_valid(value) else value


def work_rows(work: Work, sender: str) -> Iterator[dict[str, object]]:
    """The rows of one work, as column name -> value (text, int, Decimal or None)."""
    number = work.number(sender) or (str(work.id) if work.id is not None else None)
    if not number:
        raise ExchangeError(
            f"work {work.title!r} has neither a number from {sender} nor an id: "
            "a works sheet names every work"
        )
    head: dict[str, object] = {
        "work_number": number,
        "title": work.title,
        "alternate_titles": TITLE_SEPARATOR.join(t.title for t in work.titles if t.type == "AT")
        or None,
        "iswc": _compact_iswc(work.iswc),
        "language": work.language,
    }
    if not work.claims:
        yield head
        return
    highest = max((c.chain or 0 for c in work.publishers), default=0)
    for claim in work.claims:
        party = claim.party
        chain = claim.chain if claim.side is Side.PUBLISHER else None
        if claim.side is Side.PUBLISHER and claim.role == "PA" and chain is None:
            highest += 1  # without a chain a PA would read back as a writer
            chain = highest
        societies = party.societies()
        row = {
            **head,
            "role": claim.role,
            "party_name": party.last_name,
            "party_first_name": party.first_name or None,
            "ipi_name_number": known(party.ipi_name_number),
            "ipi_base_number": known(party.ipi_base_number),
            "party_key": party.key,
            "controlled": "Y" if claim.controlled else "N",
            "publisher_chain": chain,
            **{f"{r.lower()}_society": societies.get(r) for r in Right},
            **{f"{r.lower()}_ownership": share_cell(claim.ownership.get(r)) for r in Right},
        }
        if not claim.territories:
            yield row
        for territory in claim.territories:
            yield {
                **row,
                "territory": ("" if territory.include else "-") + territory.tis,
                **{
                    f"{r.lower()}_collection": share_cell(territory.collection.get(r))
                    for r in Right
                },
            }


def write_works(path: Path, works: Iterable[Work], sender: str, fmt: str | None = None) -> int:
    """Write works as a works sheet (CSV or XLSX, from ``fmt`` or the suffix); how many.

    The work number is the one ``sender`` gave the work, else the work's local id.
    """
    return write_records(path, KIND, works, lambda work: work_rows(work, sender), fmt)


def write_template(path: Path, kind: str = "works", fmt: str | None = None) -> None:
    """An empty sheet to fill in: the header row (XLSX: with each column described)."""
    write_header(path, kind, fmt)
