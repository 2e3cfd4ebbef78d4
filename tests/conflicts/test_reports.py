"""Disputed-claims reports: each format written to disk and read back."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest

from exchange.conflicts.disputes import Dispute, disputes_of
from exchange.conflicts.reports import (
    COLUMNS,
    ReportRow,
    write_csv,
    write_html,
    write_json,
    write_report,
    write_xlsx,
)
from exchange.store.conflicts import Conflict

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


def _dispute() -> Dispute:
    claim = {
        "id": 1, "role": "E", "side": "publisher",
        "party": {"id": 5, "name": EVIL, "ipi_name_number": "00014107338", "affiliations": []},
        "ownership": {"pr": 5000, "mr": 0, "sr": 0}, "territories": [],
        "source": {"partner": "ABC", "file": "CW240001ABC_052.V21", "transaction": 3,
                   "received_at": "2024-03-01T09:30:00+00:00"},
    }  # fmt: skip
    other = {**claim, "id": 2, "party": {**claim["party"], "id": 6, "name": "Rival"},
             "source": {**claim["source"], "partner": "XYZ"}}  # fmt: skip
    conflict = Conflict(
        id=1, kind="overclaim", key="overclaim:ownership:PR", status="open", work_id=10,
        work_iswc="T0345246801", work_title="Chanson", partner="XYZ", right="PR",
        territory=None, total=15000, excess=5000, detail={"message": "too much"},
        claims=[claim, other, {**claim, "id": 3}], opened_at=datetime(2024, 3, 1),
        deadline=datetime(2024, 4, 30), resolved_at=None, outcome=None,
    )  # fmt: skip
    return disputes_of([conflict], {}, {}, date(2024, 5, 2))[0]


def test_html_lays_claims_side_by_side(tmp_path: Path) -> None:
    d = _dispute()
    assert [s.partner for s in d.sources] == ["ABC", "XYZ"]
    assert [p.name for p in d.parties] == [EVIL, "Rival"]
    assert len(d.parties[0].cells[0]) == 2 and d.parties[0].cells[1] == ()
    assert [s.pr for s in d.subtotals] == [10000, 5000]
    assert d.days_left == -2 and d.overdue
    path = tmp_path / "report.html"
    write_html([d], path, title="Conflicts <ABC>")
    text = path.read_text(encoding="utf-8")
    assert "&lt;ABC&gt;" in text and "&lt;script&gt;alert(" in text
    assert "<script" not in text and "src=" not in text and "href=" not in text
    assert "150.00 %" in text and "50.00 % over 100 %" in text and "2 days overdue" in text
    assert "T-034.524.680-1" in text and "Overclaims: 1 conflict, 3 claims" in text
    assert text.count('<div class="claim">') == 3


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
def test_write_report_dispatches(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"report.{fmt.lower()}"
    write_report([_dispute()], path, fmt)
    assert path.stat().st_size > 0
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_write_report_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="pdf"):
        write_report([_dispute()], tmp_path / "report.pdf", "pdf")
    assert not list(tmp_path.iterdir())


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text("old", encoding="utf-8")
    broken = _row(titles=5)  # not a tuple: joining fails mid-file
    with pytest.raises(TypeError):
        write_csv([_row(), broken], path)
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]
