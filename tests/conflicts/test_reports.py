"""Disputed-claims reports: each format written to disk and read back."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

from exchange.conflicts.reports import (
    COLUMNS,
    ReportRow,
    write_csv,
    write_html,
    write_json,
    write_report,
    write_xlsx,
)

HEADINGS = [heading for _, heading in COLUMNS]
EVIL = "<script>alert('x')</script> Müller"


def _row(**changes: object) -> ReportRow:
    base = ReportRow(
        conflict_id=1,
        conflict_type="overclaim",
        status="open",
        opened=date(2024, 3, 1),
        deadline=date(2024, 4, 30),
        right="PR",
        territory="2136",
        territory_name="World",
        total=15000,
        excess=5000,
        work_id=10,
        iswc="T0345246801",
        titles=("Chanson d'été", "Summer Song"),
        work_numbers=("052:A1", "SUB:77"),
        party="Éditions Soleil",
        ipi_name_number="00014107338",
        ipi_base_number="I-000000229-7",
        role="E",
        society="052 PR",
        ownership=5000,
        collection=10000,
        partner="ABC",
        file="CW240001ABC_052.V21",
        transaction=3,
        received=datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
        detail=None,
    )
    return replace(base, **changes)


@pytest.fixture
def rows() -> list[ReportRow]:
    return [
        _row(),
        _row(party="José Núñez", role="CA", society="052", ownership=5000, collection=5000),
        _row(party=EVIL, role="SE", ownership=5000, collection=None, partner="XYZ"),
        _row(
            conflict_id=2,
            conflict_type="iswc",
            right=None,
            territory=None,
            territory_name=None,
            total=None,
            excess=None,
            work_id=11,
            titles=("Nocturne",),
            work_numbers=(),
            party="Anna Berg",
            ownership=None,
            collection=None,
            detail="held T0345246801, received T1234567894",
        ),
        _row(
            conflict_id=2,
            conflict_type="iswc",
            right=None,
            territory=None,
            territory_name=None,
            total=None,
            excess=None,
            work_id=11,
            titles=("Nocturne",),
            work_numbers=(),
            party='=HYPERLINK("http://example.invalid")',
            ownership=None,
            collection=None,
            partner="XYZ",
            received=None,
            detail="held T0345246801, received T1234567894",
        ),
    ]


def test_columns_cover_every_field() -> None:
    assert [field for field, _ in COLUMNS] == list(ReportRow.__slots__)


def test_csv(rows: list[ReportRow], tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    write_csv(rows, path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as stream:
        table = list(csv.reader(stream))
    assert table[0] == HEADINGS
    assert len(table) == len(rows) + 1
    first = dict(zip(HEADINGS, table[1], strict=True))
    assert first["Total %"] == "150.00"
    assert first["Ownership %"] == "50.00"
    assert first["ISWC"] == "T-034.524.680-1"
    assert first["Titles"] == "Chanson d'été / Summer Song"
    assert first["Work numbers"] == "052:A1, SUB:77"
    assert first["Opened"] == "2024-03-01"
    assert first["Received (UTC)"] == "2024-03-01 09:30:00"
    third = dict(zip(HEADINGS, table[3], strict=True))
    assert third["Party"] == EVIL
    assert third["Collection %"] == ""
    last = dict(zip(HEADINGS, table[5], strict=True))
    assert last["Total %"] == "" and last["Right"] == ""
    assert last["Party"].startswith("'=")  # not run as a formula by Excel
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def test_xlsx(rows: list[ReportRow], tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    write_xlsx(rows, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Overclaims", "ISWC conflicts"]
    over = book["Overclaims"]
    assert [cell.value for cell in over[1]] == HEADINGS
    assert all(cell.font.bold for cell in over[1])
    assert over.freeze_panes == "A2"
    assert over.auto_filter.ref == f"A1:Z{3 + 1}"
    assert over.max_row == 4
    column = {heading: index for index, heading in enumerate(HEADINGS, start=1)}
    total = over.cell(row=2, column=column["Total %"])
    assert total.value == pytest.approx(1.5)
    assert total.number_format == "0.00%"
    opened = over.cell(row=2, column=column["Opened"])
    assert opened.is_date and opened.value.date() == date(2024, 3, 1)
    received = over.cell(row=2, column=column["Received (UTC)"])
    assert received.value == datetime(2024, 3, 1, 9, 30)
    assert over.cell(row=2, column=column["ISWC"]).value == "T-034.524.680-1"
    assert over.cell(row=2, column=column["Conflict"]).value == 1
    assert over.cell(row=4, column=column["Party"]).value == EVIL
    assert over.column_dimensions["M"].width > over.column_dimensions["F"].width
    iswc_sheet = book["ISWC conflicts"]
    assert iswc_sheet.max_row == 3
    assert iswc_sheet.auto_filter.ref == "A1:Z3"
    formula_like = iswc_sheet.cell(row=3, column=column["Party"])
    assert formula_like.data_type == "s" and formula_like.value.startswith("=HYPERLINK")
    assert iswc_sheet.cell(row=2, column=column["Total %"]).value is None


def test_xlsx_without_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    write_xlsx([], path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Conflicts"]
    sheet = book["Conflicts"]
    assert sheet.max_row == 1
    assert [cell.value for cell in sheet[1]] == HEADINGS
    assert sheet.freeze_panes == "A2"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.row_classes: list[str] = []
        self.links: list[tuple[str, str | None]] = []
        self.scripts = 0
        self.h1 = ""
        self.summary: list[str] = []
        self._cell: list[str] | None = None
        self._where = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links.extend((name, value) for name, value in attrs if name in ("src", "href"))
        if tag == "tr":
            self.rows.append([])
            self.row_classes.append(dict(attrs).get("class") or "")
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "script":
            self.scripts += 1
        elif tag in ("h1", "li"):
            self._where = tag
            if tag == "li":
                self.summary.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None
        elif tag in ("h1", "li"):
            self._where = ""

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self._where == "h1":
            self.h1 += data
        elif self._where == "li":
            self.summary[-1] += data


def test_html(rows: list[ReportRow], tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    write_html(rows, path, title="Conflicts <ABC>")
    text = path.read_text(encoding="utf-8")
    page = _Page()
    page.feed(text)
    page.close()
    assert page.h1 == "Conflicts <ABC>"
    assert "&lt;ABC&gt;" in text
    assert page.summary == [
        "Overclaims: 1 conflict, 3 claims",
        "ISWC conflicts: 1 conflict, 2 claims",
    ]
    assert len(page.rows) == len(rows) + 1
    assert page.rows[0] == HEADINGS
    assert page.rows[3][HEADINGS.index("Party")] == EVIL
    assert "&lt;script&gt;alert(" in text
    assert page.scripts == 1  # only the sorting script; the party name is text
    assert page.links == []
    assert "src=" not in text and "href=" not in text
    assert page.rows[1][HEADINGS.index("ISWC")] == "T-034.524.680-1"
    assert page.rows[1][HEADINGS.index("Total %")] == "150.00"
    groups = [cls.split()[0] for cls in page.row_classes[1:]]
    assert groups == ["conflict-a"] * 3 + ["conflict-b"] * 2
    assert [("conflict-start" in cls) for cls in page.row_classes[1:]] == [
        True,
        False,
        False,
        True,
        False,
    ]


def test_json(rows: list[ReportRow], tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    write_json(rows, path)
    document = json.loads(path.read_text(encoding="utf-8"))
    conflicts = document["conflicts"]
    assert [c["id"] for c in conflicts] == [1, 2]
    over, iswc_conflict = conflicts
    assert over["type"] == "overclaim"
    assert over["total"] == 15000 and over["excess"] == 5000
    assert over["opened"] == "2024-03-01" and over["deadline"] == "2024-04-30"
    assert over["territory"] == "2136"
    assert over["work"] == {
        "id": 10,
        "iswc": "T0345246801",
        "titles": ["Chanson d'été", "Summer Song"],
        "numbers": ["052:A1", "SUB:77"],
    }
    assert len(over["claims"]) == 3
    assert [c["ownership"] for c in over["claims"]] == [5000, 5000, 5000]
    assert over["claims"][2]["party"] == EVIL
    assert over["claims"][0]["source"] == {
        "partner": "ABC",
        "file": "CW240001ABC_052.V21",
        "transaction": 3,
        "received": "2024-03-01T09:30:00+00:00",
    }
    assert iswc_conflict["detail"] == "held T0345246801, received T1234567894"
    assert len(iswc_conflict["claims"]) == 2
    assert iswc_conflict["total"] is None
    assert iswc_conflict["claims"][1]["source"]["received"] is None


def test_json_groups_only_consecutive_rows(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    write_json([_row(conflict_id=1), _row(conflict_id=2), _row(conflict_id=1)], path)
    ids = [c["id"] for c in json.loads(path.read_text(encoding="utf-8"))["conflicts"]]
    assert ids == [1, 2, 1]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "html", "json", "JSON"])
def test_write_report_dispatches(rows: list[ReportRow], tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"report.{fmt.lower()}"
    write_report(rows, path, fmt)
    assert path.stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_write_report_unknown_format(rows: list[ReportRow], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pdf"):
        write_report(rows, tmp_path / "report.pdf", "pdf")
    assert not list(tmp_path.iterdir())


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text("old", encoding="utf-8")
    broken = _row(titles=5)  # not a tuple: joining fails mid-file
    with pytest.raises(TypeError):
        write_csv([_row(), broken], path)
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]
