"""Reading a works sheet: its rows grouped into works, each a ``REG`` transaction.

How rows become works, and which findings reject a work, is told in
:mod:`adapters.spreadsheet.works`; the claims of the rows are read by
:mod:`adapters.spreadsheet.works.claims`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from adapters.cwr.layout import lookup
from adapters.registrations import ReadFile, registration
from adapters.spreadsheet.table import Row, read_table
from adapters.spreadsheet.works import KIND, LIMITS
from adapters.spreadsheet.works.claims import RowClaim, WorkCells, merge_row, row_claim
from exchange.identifiers import InvalidIdentifier, iswc
from exchange.model import Finding, Right, Title, Work, WorkNumber
from exchange.shares import TOLERANCE, collection_totals, exceeds, percent, percentage, total

__all__ = ["read_works"]


@dataclass(slots=True)
class _Group:
    """The rows of one work."""

    number: str
    rows: list[Row] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.rows[0].line


def _groups(rows: list[Row]) -> list[_Group]:
    by_number: dict[str, _Group] = {}
    found: list[_Group] = []
    current: _Group | None = None
    for row in rows:
        number = row.get("work_number")
        if number:
            group = by_number.get(number)
            if group is None:
                group = by_number[number] = _Group(number)
                found.append(group)
        elif current is None:
            group = _Group("")
            group.findings.append(
                Finding(
                    "TR",
                    "work_number is empty on the first row: rows without a work number "
                    "continue the work above, and there is none; give the work's number",
                    row.line,
                    KIND,
                    "work_number",
                    "",
                )
            )
            found.append(group)
        else:
            group = current
        group.rows.append(row)
        current = group
    return found


def _work_cell(cells: WorkCells, group: _Group, name: str) -> tuple[str, Row | None]:
    """The value of a work cell: given on one row, empty or the same on the others."""
    value, given = "", None
    for row in group.rows:
        cell = cells.text(row, name)
        if not cell:
            continue
        if given is None:
            value, given = cell, row
        elif cell != value:
            cells.add(
                "TR",
                f"{name} {cell!r} differs from {value!r} on row {given.line} for work "
                f"{group.number!r}; a work's {name} is given once (other rows leave it "
                "empty or repeat it)",
                row,
                name,
            )
    return value, given


def _work(group: _Group, sender: str) -> tuple[Work, list[Finding]]:
    findings = group.findings
    cells = WorkCells(findings)
    head = group.rows[0]
    if group.number:
        cells.text(head, "work_number")
    title, _ = _work_cell(cells, group, "title")
    if not title:
        cells.add("TR", f"work {group.number!r} has no title", head, "title", "")
    iswc_text, iswc_row = _work_cell(cells, group, "iswc")
    iswc_value = None
    if iswc_text and iswc_row is not None:
        try:
            iswc_value = iswc.validate(iswc_text)
        except InvalidIdentifier as exc:
            cells.add(
                "TR", f"{exc.reason} (a valid ISWC looks like T-034.524.680-1)", iswc_row, "iswc"
            )
    language, language_row = _work_cell(cells, group, "language")
    if language and language_row is not None:
        if language.upper() in lookup("language_code"):
            language = language.upper()
        else:
            cells.add(
                "FR",
                f"unknown language code {language!r}; expected a CWR language code (EN, FR...); "
                "left out",
                language_row,
                "language",
            )
            language = ""
    alternates, alt_row = _work_cell(cells, group, "alternate_titles")
    titles = []
    for alternate in (t.strip() for t in alternates.split("|")):
        if not alternate:
            continue
        if len(alternate) > LIMITS["title"] and alt_row is not None:
            cells.add(
                "TR",
                f"an alternative title is longer than {LIMITS['title']} characters",
                alt_row,
                "alternate_titles",
            )
        titles.append(Title(alternate, "AT"))

    claims: list[RowClaim] = []
    for row in group.rows:
        found = row_claim(cells, row)
        if found is None:
            continue
        held = next((c for c in claims if c.same(found)), None)
        if held is None:
            claims.append(found)
        else:
            merge_row(cells, row, held, found)
    work = Work(
        title=title,
        iswc=iswc_value,
        language=language or None,
        titles=titles,
        numbers=[WorkNumber(sender, group.number)] if group.number else [],
        claims=[c.claim for c in claims],
    )
    if not cells.rejected:
        _check_totals(cells, work, head)
    findings.sort(key=lambda f: f.line or 0)
    return work, findings


def _check_totals(cells: WorkCells, work: Work, head: Row) -> None:
    owned = total(c.ownership for c in work.claims)
    for right in Right:
        if exceeds(owned.get(right)):
            cells.add(
                "TR",
                f"the {right} ownership shares of the work add up to {percent(owned.get(right))}; "
                f"at most 100% ({percentage(TOLERANCE)} tolerated)",
                head,
                f"{right.lower()}_ownership",
                percent(owned.get(right)),
            )
    for right, (collected, tis) in collection_totals(work.claims).items():
        if exceeds(collected):
            cells.add(
                "TR",
                f"the {right} collection shares add up to {percent(collected)} in territory {tis}; "
                f"at most 100% ({percentage(TOLERANCE)} tolerated)",
                head,
                f"{right.lower()}_collection",
                percent(collected),
            )


def read_works(path: Path, sender: str | None) -> ReadFile:
    """The works of a works sheet, one ``REG`` transaction each, numbered by ``sender``.

    File-level problems are ER findings of a rejected file (no header, required
    columns missing); a file that is not a sheet at all raises ExchangeError.
    """
    table = read_table(path, KIND)
    read = ReadFile(format=table.format, findings=list(table.findings))
    if table.rejected:
        read.file_rejected = True
        return read
    for sequence, group in enumerate(_groups(table.rows), start=1):
        work, findings = _work(group, sender or "?")
        read.transactions.append(registration(work, group.number, sequence, group.line, findings))
    return read
