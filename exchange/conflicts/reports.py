"""Disputed-claims ("conflicts") reports in CSV, XLSX, HTML and JSON.

A report is a flat list of :class:`ReportRow`, one per claim involved in a
conflict, already grouped by conflict (rows of one conflict are consecutive).
The writers keep that order.  Shares are integers in hundredths of a percent
(``15000`` is 150.00 %); they are shown as percentages in CSV, XLSX and HTML
and stay integers in JSON.  ISWCs are shown in the display form
(``T-034.524.680-1``) except in JSON, which keeps the compact form.

Every writer builds the file under a temporary name in the target folder and
renames it once it is complete, so a reader never sees half a report.

>>> share_text(15000)
'150.00'
>>> share_text(None)
''
"""

from __future__ import annotations

import csv
import html
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from exchange.identifiers import InvalidIdentifier, iswc
from exchange.shares import FULL, percentage

__all__ = [
    "COLUMNS",
    "FORMATS",
    "ReportRow",
    "share_text",
    "write_csv",
    "write_html",
    "write_json",
    "write_report",
    "write_xlsx",
]


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One claim involved in one conflict.

    A report has one row per claim; the rows of one conflict are consecutive.
    """

    conflict_id: int
    conflict_type: str  # overclaim | counterclaim | iswc | identity
    status: str  # open | notified | documents_requested | resolved
    opened: date
    deadline: date | None
    right: str | None  # PR/MR/SR
    territory: str | None  # TIS code, e.g. "2136"
    territory_name: str | None  # e.g. "World"
    total: int | None  # hundredths of a percent (15000 = 150.00 %)
    excess: int | None
    work_id: int
    iswc: str | None  # compact, T + 10 digits
    titles: tuple[str, ...]  # first is the main title
    work_numbers: tuple[str, ...]  # "ISSUER:NUMBER" society/submitter numbers
    party: str | None  # name
    ipi_name_number: str | None
    ipi_base_number: str | None
    role: str | None  # CWR role code (CA, E, SE...)
    society: str | None  # e.g. "052 PR" or "052"
    ownership: int | None  # hundredths of a percent for the conflict's right (or PR if none)
    collection: int | None
    partner: str | None  # source of the claim
    file: str | None
    transaction: int | None
    received: datetime | None
    detail: str | None  # free text, e.g. "held T0345246801, received T1234567894"


COLUMNS: tuple[tuple[str, str], ...] = (
    ("conflict_id", "Conflict"),
    ("conflict_type", "Type"),
    ("status", "Status"),
    ("opened", "Opened"),
    ("deadline", "Deadline"),
    ("right", "Right"),
    ("territory", "Territory"),
    ("territory_name", "Territory name"),
    ("total", "Total %"),
    ("excess", "Excess %"),
    ("work_id", "Work"),
    ("iswc", "ISWC"),
    ("titles", "Titles"),
    ("work_numbers", "Work numbers"),
    ("party", "Party"),
    ("ipi_name_number", "IPI name number"),
    ("ipi_base_number", "IPI base number"),
    ("role", "Role"),
    ("society", "Society"),
    ("ownership", "Ownership %"),
    ("collection", "Collection %"),
    ("partner", "Partner"),
    ("file", "File"),
    ("transaction", "Transaction"),
    ("received", "Received (UTC)"),
    ("detail", "Detail"),
)

FORMATS = ("csv", "xlsx", "html", "json")

_SHARES = frozenset({"total", "excess", "ownership", "collection"})
_INTEGERS = frozenset({"conflict_id", "work_id", "transaction"})
_DATES = frozenset({"opened", "deadline"})
_NUMERIC = _SHARES | _INTEGERS

# Known conflict types in the order their sheets and summary lines appear.
_TYPE_LABELS = {
    "overclaim": "Overclaims",
    "counterclaim": "Counterclaims",
    "iswc": "ISWC conflicts",
    "identity": "Identity conflicts",
}


# -- values -----------------------------------------------------------------------


def share_text(value: int | None) -> str:
    """A share in hundredths of a percent as a percentage with two decimals."""
    if value is None:
        return ""
    return percentage(value)


def _iswc_display(value: str | None) -> str:
    if not value:
        return ""
    try:
        return iswc.format(value)
    except InvalidIdentifier:
        return value  # show what was received rather than hide it


def _utc_naive(moment: datetime) -> datetime:
    """Excel has no time zones: aware times are shown in UTC, naive ones as they are."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _datetime_text(moment: datetime | None) -> str:
    return "" if moment is None else _utc_naive(moment).isoformat(sep=" ", timespec="seconds")


def _text(row: ReportRow, field: str) -> str:
    """The display text of one cell (CSV and HTML)."""
    value = getattr(row, field)
    if value is None:
        return ""
    if field in _SHARES:
        return share_text(value)
    if field == "iswc":
        return _iswc_display(value)
    if field == "titles":
        return " / ".join(value)
    if field == "work_numbers":
        return ", ".join(value)
    if field == "received":
        return _datetime_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _type_label(conflict_type: str) -> str:
    return _TYPE_LABELS.get(conflict_type, conflict_type.replace("_", " ").capitalize() or "Other")


def _types_in_order(rows: Sequence[ReportRow]) -> list[str]:
    """Conflict types present: the known ones in their fixed order, then any others."""
    present = list(dict.fromkeys(row.conflict_type for row in rows))
    known = [kind for kind in _TYPE_LABELS if kind in present]
    return known + [kind for kind in present if kind not in _TYPE_LABELS]


# -- writing safely ---------------------------------------------------------------


@contextmanager
def _replacing(path: Path, mode: str, **open_args: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; it replaces ``path`` when the block succeeds."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with temporary.open(mode, **open_args) as stream:
            yield stream
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


# -- CSV --------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(row: ReportRow, field: str) -> str:
    text = _text(row, field)
    # Excel runs a cell that starts like a formula; the texts come from partners' files.
    if field not in _NUMERIC and text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def write_csv(rows: Sequence[ReportRow], path: Path) -> None:
    """Comma-separated, UTF-8 with a byte order mark so that Excel reads the accents."""
    with _replacing(path, "w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(heading for _, heading in COLUMNS)
        for row in rows:
            writer.writerow(_csv_cell(row, field) for field, _ in COLUMNS)


# -- XLSX -------------------------------------------------------------------------

_PERCENT_FORMAT = "0.00%"
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_MIN_WIDTH = 6
_MAX_WIDTH = 60


def _xlsx_value(row: ReportRow, field: str) -> Any:
    value = getattr(row, field)
    if value is None:
        return None
    if field in _SHARES:
        return value / FULL  # 15000 hundredths of a percent is 1.5, shown as 150.00%
    if field in _INTEGERS or field in _DATES:
        return value
    if field == "received":
        return _utc_naive(value)
    return _text(row, field)


def _fill_sheet(sheet: Any, rows: Sequence[ReportRow]) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    widths = [len(heading) + 2 for _, heading in COLUMNS]  # room for the filter button
    for column, (_, heading) in enumerate(COLUMNS, start=1):
        sheet.cell(row=1, column=column, value=heading).font = bold
    for line, row in enumerate(rows, start=2):
        for column, (field, _) in enumerate(COLUMNS, start=1):
            value = _xlsx_value(row, field)
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)  # openpyxl refuses control characters
            cell = sheet.cell(row=line, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # a text starting with "=" stays text, never a formula
            if field in _SHARES:
                cell.number_format = _PERCENT_FORMAT
                shown = len(share_text(getattr(row, field))) + 1
            elif field == "received":
                cell.number_format = _DATETIME_FORMAT
                shown = 19
            elif field in _DATES:
                cell.number_format = _DATE_FORMAT
                shown = 10
            else:
                shown = len(_text(row, field))
            widths[column - 1] = max(widths[column - 1], shown + 1)
    for column, width in enumerate(widths, start=1):
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = max(_MIN_WIDTH, min(width, _MAX_WIDTH))
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(rows) + 1}"


def write_xlsx(rows: Sequence[ReportRow], path: Path) -> None:
    """An Excel workbook with one sheet per conflict type ("Conflicts" when there are no rows)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    kinds = _types_in_order(rows)
    if not kinds:
        _fill_sheet(workbook.create_sheet("Conflicts"), [])
    used: set[str] = set()
    for kind in kinds:
        title = _sheet_title(_type_label(kind), used)
        _fill_sheet(workbook.create_sheet(title), [r for r in rows if r.conflict_type == kind])
    with _replacing(path, "wb") as stream:
        workbook.save(stream)


def _sheet_title(label: str, used: set[str]) -> str:
    """A valid, unused sheet title (at most 31 characters, none of []:*?/\\)."""
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in label)[:31] or "Sheet"
    title, number = base, 2
    while title.lower() in used:
        suffix = f" ({number})"
        title, number = base[: 31 - len(suffix)] + suffix, number + 1
    used.add(title.lower())
    return title


# -- HTML -------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
p.generated { color: #555; margin-top: 0; }
ul.summary { padding-left: 1.2em; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #e8e8e8; position: sticky; top: 0; cursor: pointer; white-space: nowrap; }
th[aria-sort="ascending"]::after { content: " \\25B2"; }
th[aria-sort="descending"]::after { content: " \\25BC"; }
td.num { text-align: right; white-space: nowrap; }
tr.conflict-a td { background: #ffffff; }
tr.conflict-b td { background: #f0f4fa; }
tr.conflict-start td { border-top: 2px solid #777; }
"""

# Sorts the table by the clicked heading; a second click reverses the order.  Ties keep
# the original order, so sorting by "Conflict" restores the grouping.
_SCRIPT = """
(function () {
  var table = document.getElementById("conflicts");
  var body = table.tBodies[0];
  Array.prototype.forEach.call(body.rows, function (row, i) { row.dataset.index = i; });
  function key(row, col, numeric) {
    var text = row.cells[col].textContent.trim();
    if (text === "") { return null; }
    return numeric ? parseFloat(text) : text;
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
    th.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      var numeric = th.dataset.kind === "num";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
        other.removeAttribute("aria-sort");
      });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a, col, numeric), y = key(b, col, numeric), order = 0;
        if (x === null || y === null) {
          order = (x === null) - (y === null);
          return order || a.dataset.index - b.dataset.index;
        }
        order = numeric ? x - y : x.localeCompare(y, undefined, {numeric: true});
        if (!ascending) { order = -order; }
        return order || a.dataset.index - b.dataset.index;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
})();
"""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _summary_lines(rows: Sequence[ReportRow]) -> list[str]:
    lines = []
    for kind in _types_in_order(rows):
        of_kind = [row for row in rows if row.conflict_type == kind]
        conflicts = len({row.conflict_id for row in of_kind})
        lines.append(
            f"{_type_label(kind)}: {_plural(conflicts, 'conflict')}, "
            f"{_plural(len(of_kind), 'claim')}"
        )
    return lines


def _html_document(rows: Sequence[ReportRow], title: str, generated: datetime) -> str:
    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="generated">Generated {generated:%Y-%m-%d %H:%M} UTC</p>',
    ]
    summary = _summary_lines(rows)
    if summary:
        out.append('<ul class="summary">')
        out.extend(f"<li>{esc(line)}</li>" for line in summary)
        out.append("</ul>")
    else:
        out.append('<p class="summary">No disputed claims.</p>')
    out.append('<table id="conflicts">')
    out.append("<thead><tr>")
    for field, heading in COLUMNS:
        kind = ' data-kind="num"' if field in _NUMERIC else ""
        out.append(f'<th scope="col"{kind} title="Sort by {esc(heading)}">{esc(heading)}</th>')
    out.append("</tr></thead>")
    out.append("<tbody>")
    shade, previous = "b", None
    for row in rows:
        classes = ""
        if row.conflict_id != previous:
            shade = "a" if shade == "b" else "b"
            previous = row.conflict_id
            classes = " conflict-start"
        out.append(f'<tr class="conflict-{shade}{classes}">')
        for field, _ in COLUMNS:
            css = ' class="num"' if field in _NUMERIC else ""
            out.append(f"<td{css}>{esc(_text(row, field))}</td>")
        out.append("</tr>")
    out.append("</tbody>")
    out.append("</table>")
    out.append(f"<script>{_SCRIPT}</script>")
    out.append("</body>")
    out.append("</html>")
    return "\n".join(out) + "\n"


def write_html(rows: Sequence[ReportRow], path: Path, title: str = "Disputed claims") -> None:
    """One self-contained page: summary per conflict type and a table sortable by column."""
    document = _html_document(rows, title, datetime.now(UTC))
    with _replacing(path, "w", encoding="utf-8", newline="\n") as stream:
        stream.write(document)


# -- JSON -------------------------------------------------------------------------


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _claim(row: ReportRow) -> dict[str, Any]:
    return {
        "party": row.party,
        "ipi_name_number": row.ipi_name_number,
        "ipi_base_number": row.ipi_base_number,
        "role": row.role,
        "society": row.society,
        "ownership": row.ownership,
        "collection": row.collection,
        "source": {
            "partner": row.partner,
            "file": row.file,
            "transaction": row.transaction,
            "received": _iso(row.received),
        },
    }


def _conflict(first: ReportRow) -> dict[str, Any]:
    return {
        "id": first.conflict_id,
        "type": first.conflict_type,
        "status": first.status,
        "opened": _iso(first.opened),
        "deadline": _iso(first.deadline),
        "right": first.right,
        "territory": first.territory,
        "total": first.total,
        "excess": first.excess,
        "work": {
            "id": first.work_id,
            "iswc": first.iswc,
            "titles": list(first.titles),
            "numbers": list(first.work_numbers),
        },
        "detail": first.detail,
        "claims": [],
    }


def _json_document(rows: Sequence[ReportRow]) -> dict[str, Any]:
    conflicts: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for row in rows:
        if current is None or current["id"] != row.conflict_id:
            current = _conflict(row)
            conflicts.append(current)
        if current["detail"] is None:
            current["detail"] = row.detail
        current["claims"].append(_claim(row))
    return {"conflicts": conflicts}


def write_json(rows: Sequence[ReportRow], path: Path) -> None:
    """Consecutive rows of one conflict become one object with a list of claims."""
    text = json.dumps(_json_document(rows), ensure_ascii=False, indent=2)
    with _replacing(path, "w", encoding="utf-8", newline="\n") as stream:
        stream.write(text + "\n")


# -- any format -------------------------------------------------------------------

_WRITERS: dict[str, Callable[[Sequence[ReportRow], Path], None]] = {
    "csv": write_csv,
    "xlsx": write_xlsx,
    "html": write_html,
    "json": write_json,
}


def write_report(rows: Sequence[ReportRow], path: Path, fmt: str) -> None:
    """Write ``rows`` to ``path`` in ``fmt`` (one of csv, xlsx, html, json)."""
    writer = _WRITERS.get(fmt.strip().lower())
    if writer is None:
        raise ValueError(f"unknown report format {fmt!r}: expected one of {', '.join(FORMATS)}")
    writer(rows, Path(path))
