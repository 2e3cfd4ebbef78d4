"""Rows of CSV and XLSX sheets, with the spreadsheet row number of each.

Reading gives every row as text cells keyed by column name, whatever the file
holds: CSV in UTF-8 (with or without a byte-order mark, or UTF-16 with one),
separated by commas, semicolons or tabs (the header row tells which), or the
first worksheet of an XLSX workbook (the worksheet named after the sheet kind
when there is one), read with openpyxl in read-only mode. Numbers in XLSX cells
become the text they show (``14107338``, ``33.33``; a cell formatted as a
percentage, ``50%``, gives ``50``); the reader of the sheet decides what they
mean.

The header is the first row that is not blank; its names are compared in lower
case, blanks and dashes read as underscores (``Work Number`` is
``work_number``). Blank rows are skipped. Row numbers are those a spreadsheet
program shows: the header of a sheet that starts on the first line is row 1.

A file that cannot be read as a sheet at all (not UTF-8, binary, a corrupt or
old-format workbook) raises :class:`~exchange.errors.ExchangeError`; a sheet
whose header lacks required columns comes back ``rejected`` with ER findings.

Writing goes through a temporary file renamed into place at the end: CSV in
UTF-8 with a byte-order mark (so that spreadsheet programs recognise it),
comma separated; XLSX in openpyxl's write-only mode, codes and identifiers as
text cells (leading zeros kept), percentages as numbers.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from adapters.spreadsheet import Column, columns, required
from exchange.errors import ExchangeError
from exchange.model import Finding

T = TypeVar("T")

FORMATS = ("csv", "xlsx")
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls) and other OLE files
_DELIMITERS = (",", ";", "\t")
_TEXT = "@"
_SHARE = "0.00"
#: What a spreadsheet program opens this file as, by suffix.
_SUFFIXES = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}


@dataclass(slots=True)
class Row:
    """One row of a sheet: its row number and its cells (text, stripped) by column name."""

    line: int
    cells: dict[str, str]

    def get(self, name: str) -> str:
        return self.cells.get(name, "")


@dataclass(slots=True)
class Table:
    """A sheet as read: the known columns of its header, its rows, findings about the file."""

    format: str
    kind: str
    header_line: int = 1
    columns: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rejected: bool = False

    def reject(self, message: str, field_name: str | None = None, value: str | None = None) -> None:
        self.findings.append(Finding("ER", message, self.header_line, self.kind, field_name, value))
        self.rejected = True


# -- reading ---------------------------------------------------------------------------


def sniff_format(path: Path) -> str:
    """``csv`` or ``xlsx``, from the file's first bytes; ExchangeError when it is neither."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise ExchangeError(f"cannot read {path}: {exc.strerror}") from None
    if head.startswith(_ZIP):
        return "xlsx"
    if head.startswith(_OLE):
        raise ExchangeError(
            f"{path}: an Excel 97-2003 workbook (.xls) or another binary file; "
            "save it as an Excel workbook (.xlsx) or as CSV UTF-8"
        )
    return "csv"


def _number_text(value: Decimal) -> str:
    """A decimal as plain text: ``100``, ``33.33``, never an exponent."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


def cell_text(value: Any, number_format: str | None = None) -> str:
    """What an XLSX cell shows, as text: a float 14107338.0 is ``14107338``, a cell
    formatted as a percentage holding 0.5 is ``50``.

    >>> cell_text(33.33), cell_text(1.4107338e7), cell_text(0.3333, "0.00%"), cell_text(True)
    ('33.33', '14107338', '33.33', 'Y')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "Y" if value else "N"
    percent = bool(number_format) and "%" in number_format
    if isinstance(value, int):
        return str(value * 100 if percent else value)
    if isinstance(value, float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else value
        if not number.is_finite():
            return str(value)
        return _number_text(number * 100 if percent else number)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _csv_rows(path: Path) -> Generator[tuple[int, list[str]], None, None]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExchangeError(f"cannot read {path}: {exc.strerror}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8-sig"
        if b"\x00" in data[:65536]:
            raise ExchangeError(f"{path}: binary data, not a CSV or XLSX file")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ExchangeError(
            f"{path}: not {encoding.upper().removesuffix('-SIG')} text (byte {exc.start} "
            "cannot be decoded); save the sheet as CSV UTF-8 or as an Excel workbook (.xlsx)"
        ) from None
    junk = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\r\n")
    if junk:
        raise ExchangeError(f"{path}: control characters, not a CSV or XLSX file")
    first = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, [c.strip() for c in cells]
    except csv.Error as exc:
        raise ExchangeError(f"{path}: not a readable CSV file (row {number + 1}: {exc})") from None


def _xlsx_rows(path: Path, kind: str) -> Generator[tuple[int, list[str]], None, None]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise ExchangeError(f"{path}: not a readable XLSX workbook ({_reason(exc)})") from None
    try:
        sheets = book.worksheets
        if not sheets:
            raise ExchangeError(f"{path}: the workbook has no worksheet")
        named = [s for s in sheets if s.title.strip().lower() == kind]
        sheet = named[0] if named else sheets[0]
        rows = sheet.iter_rows()
        for number, cells in enumerate(rows, start=1):
            yield number, [cell_text(c.value, getattr(c, "number_format", None)) for c in cells]
    except ExchangeError:
        raise
    except Exception as exc:
        raise ExchangeError(f"{path}: not a readable XLSX workbook ({_reason(exc)})") from None
    finally:
        book.close()


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _name(header: str) -> str:
    return "_".join(header.strip().lower().replace("-", " ").split())


def read_table(path: Path, kind: str) -> Table:
    """The rows of a sheet of ``kind`` (``works`` or ``parties``)."""
    fmt = sniff_format(path)
    known = {c.name for c in columns(kind)}
    table = Table(fmt, kind)
    rows = _xlsx_rows(path, kind) if fmt == "xlsx" else _csv_rows(path)
    try:
        _read_rows(table, rows, known)
    finally:
        rows.close()
    return table


def _read_rows(table: Table, rows: Iterator[tuple[int, list[str]]], known: set[str]) -> None:
    kind = table.kind
    header: list[str | None] = []
    unnamed: set[int] = set()
    for number, cells in rows:
        if not any(cells):
            continue
        if not header:
            table.header_line = number
            header = _read_header(table, cells, known)
            if table.rejected:
                return
            continue
        values: dict[str, str] = {}
        for index, cell in enumerate(cells):
            name = header[index] if index < len(header) else None
            if name is not None:
                values[name] = cell
            elif cell and index >= len(header) and index not in unnamed:
                unnamed.add(index)
                table.findings.append(
                    Finding(
                        "WARN",
                        f"a value in column {index + 1}, which has no name in the header; "
                        "that column is ignored",
                        number,
                        kind,
                        None,
                        cell,
                    )
                )
        table.rows.append(Row(number, values))
    if not header:
        table.reject(
            f"the file is empty: a {kind} sheet starts with a header row naming its columns "
            f"({', '.join(required(kind))}, ...)"
        )
    elif not table.rows:
        table.findings.append(
            Finding("WARN", "the sheet has a header but no rows", table.header_line, kind)
        )


def _read_header(table: Table, cells: list[str], known: set[str]) -> list[str | None]:
    """Column names by position (None for the ones ignored); findings about the header."""
    header: list[str | None] = []
    seen: set[str] = set()
    kind = table.kind
    for cell in cells:
        name = _name(cell)
        if not name:
            header.append(None)
        elif name in seen:
            table.reject(f"column {name!r} appears twice in the header", name, cell)
            header.append(None)
        elif name not in known:
            table.findings.append(
                Finding(
                    "WARN",
                    f"unknown column {cell!r} is ignored; the columns of a {kind} sheet are "
                    + ", ".join(c.name for c in columns(kind)),
                    table.header_line,
                    kind,
                    name,
                    cell,
                )
            )
            header.append(None)
        else:
            seen.add(name)
            header.append(name)
    for name in required(kind):
        if name not in seen:
            table.reject(
                f"the header has no column {name!r}, which a {kind} sheet must have "
                f"(required: {', '.join(required(kind))})",
                name,
            )
    table.columns = [h for h in header if h is not None]
    return header


# -- writing ---------------------------------------------------------------------------


def format_of(path: Path, fmt: str | None = None) -> str:
    """The format to write: ``fmt`` when given, else from the suffix (.csv, .xlsx)."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ExchangeError(f"format {fmt!r} is not a sheet format ({', '.join(FORMATS)})")
        return fmt
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise ExchangeError(
            f"{path}: cannot tell the sheet format from the name; use a .csv or .xlsx name"
        )
    return found


@dataclass(slots=True)
class _Writing:
    """A file being written under a temporary name, renamed into place when complete."""

    path: Path
    temporary: Path = field(init=False)

    def __post_init__(self) -> None:
        self.temporary = self.path.with_name(f".{self.path.name}.part")

    def __enter__(self) -> Path:
        return self.temporary

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            os.replace(self.temporary, self.path)
        else:
            self.temporary.unlink(missing_ok=True)


def _open_error(path: Path, exc: OSError) -> ExchangeError:
    return ExchangeError(f"cannot write {path}: {exc.strerror or exc}")


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, ".2f")
    return str(value)


def write_table(
    path: Path, kind: str, rows: Iterable[Sequence[object]], fmt: str | None = None
) -> int:
    """Write a header and rows (values in the order of the kind's columns); how many rows.

    Values: text, ints, Decimals (percentages, written ``33.33`` in CSV and as numbers
    in XLSX) or None for an empty cell.
    """
    fmt = format_of(path, fmt)
    cols = columns(kind)
    try:
        with _Writing(path) as temporary:
            if fmt == "csv":
                return _write_csv(temporary, cols, rows)
            return _write_xlsx(temporary, kind, cols, rows)
    except OSError as exc:
        raise _open_error(path, exc) from None


def write_records(
    path: Path,
    kind: str,
    items: Iterable[T],
    rows_of: Callable[[T], Iterable[dict[str, object]]],
    fmt: str | None = None,
) -> int:
    """Write each item as the rows ``rows_of`` makes of it (values by column name);
    how many items."""
    names = [c.name for c in columns(kind)]
    count = 0

    def rows() -> Iterator[list[object]]:
        nonlocal count
        for item in items:
            count += 1
            for row in rows_of(item):
                yield [row.get(name) for name in names]

    write_table(path, kind, rows(), fmt)
    return count


def _write_csv(path: Path, cols: Sequence[Column], rows: Iterable[Sequence[object]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([c.name for c in cols])
        for row in rows:
            out.writerow([_csv_value(v) for v in row])
            count += 1
    return count


def _width(c: Column) -> float:
    return min(max(len(c.name), len(c.example)) + 3, 40)


def _write_xlsx(
    path: Path, kind: str, cols: Sequence[Column], rows: Iterable[Sequence[object]]
) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(kind)
    sheet.freeze_panes = "A2"
    for index, c in enumerate(cols, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(c)
    bold = Font(bold=True)
    header = []
    for c in cols:
        cell = WriteOnlyCell(sheet, value=c.name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        cells: list[object] = []
        for value in row:
            if value is None or value == "":
                cells.append(None)
                continue
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, Decimal):
                cell.number_format = _SHARE
            elif isinstance(value, int):
                cell.number_format = "0"
            else:
                cell.number_format = _TEXT
                cell.data_type = "s"  # text, even when it starts with "=" (not a formula)
            cells.append(cell)
        sheet.append(cells)
        count += 1
    book.save(path)
    return count


def write_header(path: Path, kind: str, fmt: str | None = None) -> str:
    """An empty sheet of ``kind`` to fill in; returns the format written.

    The XLSX template describes every column in a comment on its header and on a
    second worksheet (``columns``), formats the code and identifier columns as text
    (so that leading zeros typed in stay) and offers the codes of the role and Y/N
    columns in a list.
    """
    fmt = format_of(path, fmt)
    cols = columns(kind)
    try:
        with _Writing(path) as temporary:
            if fmt == "csv":
                _write_csv(temporary, cols, [])
            else:
                _template_xlsx(temporary, kind, cols)
    except OSError as exc:
        raise _open_error(path, exc) from None
    return fmt


_LISTS = {
    "role": "CA,C,A,AR,AD,TR,SA,SR,E,AM,SE,ES,AQ,PA",
    "right": "PR,MR,SR",
}


def _template_xlsx(path: Path, kind: str, cols: Sequence[Column]) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = kind
    sheet.freeze_panes = "A2"
    for index, c in enumerate(cols, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=c.name)
        cell.font = Font(bold=True)
        note = Comment(f"{c.description}\nExample: {c.example}", "cmo-exchange")
        note.width, note.height = 300, 120
        cell.comment = note
        dimension = sheet.column_dimensions[letter]
        dimension.width = _width(c)
        dimension.number_format = _SHARE if c.type == "share" else _TEXT
        choices = "Y,N" if c.type == "flag" else _LISTS.get(c.name)
        if choices:
            check = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
            check.error = f"{c.name}: one of {choices}"
            sheet.add_data_validation(check)
            check.add(f"{letter}2:{letter}1048576")
    about = book.create_sheet("columns")
    about.append(["column", "required", "description", "example"])
    for c in cols:
        about.append([c.name, "yes" if c.required else "", c.description, c.example])
    for letter, width in zip("ABCD", (20, 10, 100, 25), strict=True):
        about.column_dimensions[letter].width = width
    for cell in about[1]:
        cell.font = Font(bold=True)
    book.save(path)
