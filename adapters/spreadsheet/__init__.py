"""Spreadsheets (CSV and XLSX) of work registrations and of interested parties.

Two kinds of sheet, each a header row of column names and one row per fact:

* ``works``: one row per work and party share (:mod:`adapters.spreadsheet.works`);
* ``parties``: one row per party and society membership
  (:mod:`adapters.spreadsheet.parties`).

Both read and write their files through :mod:`adapters.spreadsheet.table`, and
their cells' values (shares, territories, flags) through
:mod:`adapters.spreadsheet.values`.

The columns of both are data, in ``adapters/spreadsheet/columns.csv``: name,
whether the header must have it, the kind of value, a one-line description and
an example. The readers, the writers, the templates (``exchange template``) and
``docs/spreadsheets.md`` all take them from there.

>>> [c.name for c in columns("parties")][:3]
['ipi_name_number', 'ipi_base_number', 'party_key']
>>> column("works", "pr_ownership").type
'share'
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["KINDS", "TYPES", "Column", "column", "columns", "columns_markdown", "required"]

#: The kinds of sheet.
KINDS = ("works", "parties")

#: Kinds of value a column holds: how a writer writes it in an XLSX cell.
TYPES = {
    "text": "text, written as a text cell (leading zeros kept)",
    "flag": "Y or N",
    "integer": "a whole number",
    "share": "a percentage, 0 to 100 with at most two decimals",
    "territory": "a TIS or ISO territory code, with a leading minus for an exclusion",
}


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a sheet."""

    sheet: str
    name: str
    required: bool  # the header must have it
    type: str
    description: str
    example: str


@cache
def _table() -> dict[str, tuple[Column, ...]]:
    text = resources.files(__name__).joinpath("columns.csv").read_text(encoding="utf-8")
    found: dict[str, list[Column]] = {kind: [] for kind in KINDS}
    for row in csv.DictReader(io.StringIO(text)):
        entry = Column(
            row["sheet"],
            row["column"],
            row["required"] == "Y",
            row["type"],
            row["description"],
            row["example"],
        )
        if entry.sheet not in found or entry.type not in TYPES:
            raise ValueError(f"columns.csv: bad sheet or type in {row}")
        if any(c.name == entry.name for c in found[entry.sheet]):
            raise ValueError(f"columns.csv: column {entry.name!r} twice in {entry.sheet}")
        found[entry.sheet].append(entry)
    return {kind: tuple(cols) for kind, cols in found.items()}


def columns(kind: str) -> tuple[Column, ...]:
    """The columns of a sheet kind (``works`` or ``parties``), in their order."""
    try:
        return _table()[kind]
    except KeyError:
        raise ValueError(
            f"unknown sheet kind {kind!r}; expected one of {', '.join(KINDS)}"
        ) from None


def column(kind: str, name: str) -> Column:
    """One column of a sheet kind."""
    for entry in columns(kind):
        if entry.name == name:
            return entry
    raise KeyError(f"{kind} sheet has no column {name!r}")


def required(kind: str) -> tuple[str, ...]:
    """The names of the columns the header of a sheet of this kind must have."""
    return tuple(c.name for c in columns(kind) if c.required)


def columns_markdown(kind: str) -> str:
    """The columns of a sheet kind as a Markdown table (the one in docs/spreadsheets.md).

    >>> columns_markdown("parties").splitlines()[:2]
    ['| Column | Required | Description | Example |', '|---|---|---|---|']
    >>> columns_markdown("parties").splitlines()[5][:21]
    '| `last_name` | yes |'
    """
    lines = ["| Column | Required | Description | Example |", "|---|---|---|---|"]
    for c in columns(kind):
        description = c.description.replace("|", "\\|")
        example = c.example.replace("|", "\\|")
        lines.append(
            f"| `{c.name}` | {'yes' if c.required else ''} | {description} | `{example}` |"
        )
    return "\n".join(lines)
