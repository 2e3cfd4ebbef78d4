"""Disputed-claims ("conflicts") reports in CSV, XLSX, HTML and JSON.

A report is written from :class:`~exchange.conflicts.disputes.Dispute` values.
HTML shows them as the console's Conflicts page does, through the same template
(``exchange/console/templates/conflicts/``): one card per dispute, the claims
side by side per source. CSV, XLSX and JSON flatten them into a list of
:class:`ReportRow`, one per claim involved in a conflict, grouped by conflict
(rows of one conflict are consecutive); the writers keep that order.

Shares are integers in hundredths of a percent (``15000`` is 150.00 %); they
are shown as percentages in CSV, XLSX and HTML and stay integers in JSON. ISWCs
are shown in the display form (``T-034.524.680-1``) except in JSON.

Every writer builds the file under a temporary name in the target folder and
renames it once it is complete, so a reader never sees half a report.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from exchange.conflicts.disputes import Dispute, kind_label, kinds_in_order, summary_of
from exchange.console.rendering import STATIC, iswc_text, pct, render
from exchange.shares import FULL

__all__ = [
    "COLUMNS",
    "FORMATS",
    "ReportRow",
    "html_document",
    "report_rows",
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

# -- values -----------------------------------------------------------------------


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
        return pct(value)
    if field == "iswc":
        return iswc_text(value)
    if field == "titles":
        return " / ".join(value)
    if field == "work_numbers":
        return ", ".join(value)
    if field == "received":
        return _datetime_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


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
                shown = len(pct(getattr(row, field))) + 1
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
    kinds = kinds_in_order(row.conflict_type for row in rows)
    if not kinds:
        _fill_sheet(workbook.create_sheet("Conflicts"), [])
    used: set[str] = set()
    for kind in kinds:
        title = _sheet_title(f"{kind_label(kind)}s", used)
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

#: The style of disputes, linked by the console and copied into the report file.
DISPUTE_STYLES = STATIC / "disputes.css"


def html_document(disputes: Sequence[Dispute], title: str, generated: datetime) -> str:
    """The report page: a summary per conflict type, then one card per dispute."""
    return render(
        "conflicts/report.html",
        disputes=disputes,
        summary=summary_of(disputes),
        title=title,
        generated=generated,
        styles=DISPUTE_STYLES.read_text(encoding="utf-8"),
    )


def write_html(disputes: Sequence[Dispute], path: Path, title: str = "Disputed claims") -> None:
    """One self-contained page, without scripts, as the console's Conflicts page shows them."""
    document = html_document(disputes, title, datetime.now(UTC))
    with _replacing(path, "w", encoding="utf-8", newline="\n") as stream:
        stream.write(document)


# -- rows -------------------------------------------------------------------------


def report_rows(disputes: Sequence[Dispute]) -> list[ReportRow]:
    """One row per claim involved (one row for a conflict without claims)."""
    return [_row(d, claim) for d in disputes for claim in (d.conflict.claims or [None])]


def _row(d: Dispute, claim: dict[str, Any] | None) -> ReportRow:
    conflict, work = d.conflict, d.work
    right = (conflict.right or "PR").lower()
    party = (claim or {}).get("party") or {}
    source = (claim or {}).get("source") or {}
    ownership = collection = None
    society = None
    if claim is not None:
        ownership = claim["ownership"][right]
        territories = [t for t in claim["territories"] if t["include"]]
        if territories:
            collection = territories[0]["collection"][right]
        societies = {
            a["society"] for a in party.get("affiliations", []) if a["right"] == right.upper()
        }
        society = ", ".join(sorted(societies)) or None
    received = source.get("received_at")
    return ReportRow(
        conflict_id=conflict.id,
        conflict_type=conflict.kind,
        status=conflict.status,
        opened=conflict.opened_at.date(),
        deadline=conflict.deadline.date() if conflict.deadline else None,
        right=conflict.right,
        territory=conflict.territory,
        territory_name=d.territory_name,
        total=conflict.total,
        excess=conflict.excess,
        work_id=conflict.work_id or 0,
        iswc=d.iswc,
        titles=d.titles if work else (),
        work_numbers=tuple(f"{n.issuer}:{n.number}" for n in work.numbers) if work else (),
        party=party.get("name"),
        ipi_name_number=party.get("ipi_name_number"),
        ipi_base_number=party.get("ipi_base_number"),
        role=(claim or {}).get("role"),
        society=society,
        ownership=ownership,
        collection=collection,
        partner=source.get("partner"),
        file=source.get("file"),
        transaction=source.get("transaction"),
        received=datetime.fromisoformat(received) if received else None,
        detail=d.message,
    )


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

_ROW_WRITERS: dict[str, Callable[[Sequence[ReportRow], Path], None]] = {
    "csv": write_csv,
    "xlsx": write_xlsx,
    "json": write_json,
}


def write_report(disputes: Sequence[Dispute], path: Path, fmt: str) -> None:
    """Write ``disputes`` to ``path`` in ``fmt`` (one of csv, xlsx, html, json)."""
    fmt = fmt.strip().lower()
    if fmt == "html":
        write_html(disputes, Path(path))
        return
    writer = _ROW_WRITERS.get(fmt)
    if writer is None:
        raise ValueError(f"unknown report format {fmt!r}: expected one of {', '.join(FORMATS)}")
    writer(report_rows(disputes), Path(path))
