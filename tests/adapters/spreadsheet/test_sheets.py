"""Works and parties sheets (CSV and XLSX): reading, writing, round trips, findings."""

from __future__ import annotations

import copy
import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from adapters.registrations import ReadFile
from adapters.spreadsheet import KINDS, columns, columns_markdown
from adapters.spreadsheet.parties import read_parties, write_parties
from adapters.spreadsheet.table import read_table
from adapters.spreadsheet.works.reader import read_works
from adapters.spreadsheet.works.writer import write_template, write_works
from exchange.errors import ExchangeError
from exchange.identifiers import ipi_base
from exchange.model import (
    Affiliation,
    Claim,
    Finding,
    InterestedParty,
    Right,
    Shares,
    Side,
    TerritoryShare,
    Title,
    Work,
    WorkNumber,
)
from tests.strategies import SENDER, cwr_work_lists, normalise

ROOT = Path(__file__).resolve().parents[3]
HEADER = (
    "work_number,title,alternate_titles,iswc,role,party_name,party_first_name,"
    "ipi_name_number,ipi_base_number,party_key,controlled,publisher_chain,"
    "pr_society,mr_society,sr_society,pr_ownership,mr_ownership,sr_ownership,"
    "territory,pr_collection,mr_collection,sr_collection"
)
NAMES = HEADER.split(",")
#: A valid work of two rows: a writer and its publisher.
GOOD = [
    {
        "work_number": "W1",
        "title": "LANTERNS",
        "iswc": "T-034.524.680-1",
        "role": "CA",
        "party_name": "ORCHARD",
        "party_first_name": "MAY",
        "ipi_name_number": "00045620792",
        "pr_society": "052",
        "pr_ownership": "50",
        "pr_collection": "50",
    },
    {
        "work_number": "",  # continues the work above
        "role": "E",
        "party_name": "HARBOUR MUSIC",
        "party_key": "P1",
        "publisher_chain": "1",
        "pr_ownership": "50",
        "mr_ownership": "100",
        "pr_collection": "50",
        "mr_collection": "100",
    },
]


def csv_sheet(tmp_path: Path, rows: list[dict[str, str]], name: str = "works.csv") -> Path:
    lines = [HEADER] + [",".join(_quote(row.get(n, "")) for n in NAMES) for row in rows]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _quote(value: str) -> str:
    return f'"{value}"' if "," in value else value


def read_one(path: Path) -> tuple[ReadFile, list[Finding]]:
    read = read_works(path, SENDER)
    assert not read.file_rejected, read.findings
    return read, [f for tx in read.transactions for f in tx.findings]


def works_of(read: ReadFile) -> list[Work]:
    return [tx.mapped.work for tx in read.transactions if tx.mapped is not None]


# -- the layout ------------------------------------------------------------------------


def test_docs_show_the_columns_of_columns_csv() -> None:
    doc = (ROOT / "docs" / "spreadsheets.md").read_text(encoding="utf-8")
    for kind in KINDS:
        assert columns_markdown(kind) in doc, f"docs/spreadsheets.md: the {kind} table is stale"
    table_names = re.findall(r"^\| `(\w+)` \|", doc, re.MULTILINE)
    assert table_names == [c.name for kind in KINDS for c in columns(kind)]


def test_works_columns_are_those_of_the_brief_in_order() -> None:
    names = [c.name for c in columns("works")]
    assert [n for n in names if n != "language"] == NAMES


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_templates_have_the_header(tmp_path: Path, kind: str, suffix: str) -> None:
    path = tmp_path / f"template{suffix}"
    write_template(path, kind)
    table = read_table(path, kind)
    assert table.columns == [c.name for c in columns(kind)]
    assert table.rows == [] and not table.rejected
    if suffix == ".xlsx":
        book = load_workbook(path)
        assert book.sheetnames == [kind, "columns"]
        first = book[kind]["A1"]
        assert first.value == columns(kind)[0].name
        assert columns(kind)[0].description in first.comment.text
    assert not list(tmp_path.glob(".*.part"))


# -- reading hand-made sheets ----------------------------------------------------------


def test_hand_made_csv_with_continuation_rows(tmp_path: Path) -> None:
    text = (
        "\ufeffWork Number;Title;Alternate Titles;ISWC;Role;Party Name;Party First Name;"
        "IPI Name Number;Controlled;Publisher Chain;PR Society;PR Ownership;MR Ownership;"
        "Territory;PR Collection;MR Collection\n"
        "PUB1;LANTERNS;LANTERNS | BAY;T-034.524.680-1;ca;Orchard;May;45620792;;;52;33,33;;;"
        "33,33;\n"
        ";;;;C;Vale;Ann;;N;;;16.67%;;;;\n"
        ";;;;E;Harbour Music;;;Y;1;052;50;100;2136;50;100\n"
        ";;;;E;Harbour Music;;;Y;1;;;;-0826;;\n"
        ";;;;SE;Isle Music;;;Y;1;;;;GB;50;100\n"
        "\n"
        "PUB2;OTHER;;;C;Vale;Ann;;;;;100;100;;;\n"
    )
    path = tmp_path / "hand.csv"
    path.write_text(text, encoding="utf-8")
    read, findings = read_one(path)
    assert read.format == "csv" and findings == []
    assert [(tx.sequence, tx.line, tx.type) for tx in read.transactions] == [
        (1, 2, "REG"),
        (2, 8, "REG"),
    ]
    lanterns, other = works_of(read)
    assert lanterns.numbers == [WorkNumber(SENDER, "PUB1")]
    assert read.transactions[0].mapped.submitter_number == "PUB1"
    assert (lanterns.title, lanterns.iswc) == ("LANTERNS", "T0345246801")
    assert lanterns.titles == [Title("LANTERNS", "AT"), Title("BAY", "AT")]
    orchard, vale, harbour, isle = lanterns.claims
    assert (orchard.role, orchard.side, orchard.party.name) == ("CA", Side.WRITER, "Orchard, May")
    assert orchard.party.ipi_name_number == "00045620792"
    assert orchard.party.affiliations == [Affiliation("052", Right.PR, "2136")]
    assert orchard.ownership == Shares(3333, 0, 0)
    assert orchard.territories == [TerritoryShare("2136", True, Shares(3333, 0, 0))]
    assert (vale.ownership, vale.territories, vale.controlled) == (Shares(1667), [], False)
    assert (harbour.side, harbour.chain, harbour.party.is_legal_entity) == (
        Side.PUBLISHER,
        1,
        True,
    )
    assert harbour.ownership == Shares(5000, 10000, 0)
    assert harbour.territories == [
        TerritoryShare("2136", True, Shares(5000, 10000, 0)),
        TerritoryShare("0826", False, Shares()),
    ]
    assert isle.territories == [TerritoryShare("0826", True, Shares(5000, 10000, 0))]
    assert all(c.source is None for c in lanterns.claims)
    assert other.numbers == [WorkNumber(SENDER, "PUB2")] and other.claims[0].party.name == (
        "Vale, Ann"
    )


def test_hand_made_xlsx_with_numbers_and_percent_cells(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(
        ["Work_Number", "title", "role", "party_name", "ipi_name_number"]
        + [
            "pr_society",
            "pr_ownership",
            "territory",
            "pr_collection",
        ]
    )
    sheet.append([1, "NUMBERS", "CA", "ORCHARD", 45620792, 52, 33.33, 826, 0.3333])
    sheet["I2"].number_format = "0.00%"
    sheet.append([])
    sheet.append([None, None, "C", "VALE", None, None, 66.67, "GB", 66.67])
    path = tmp_path / "hand.xlsx"
    book.save(path)
    read, findings = read_one(path)
    assert read.format == "xlsx" and findings == []
    [work] = works_of(read)
    assert work.numbers == [WorkNumber(SENDER, "1")]
    orchard, vale = work.claims
    assert orchard.party.ipi_name_number == "00045620792"
    assert orchard.party.affiliations == [Affiliation("052", Right.PR, "2136")]
    assert orchard.territories == [TerritoryShare("0826", True, Shares(3333))]
    assert vale.territories == [TerritoryShare("0826", True, Shares(6667))]
    assert read.transactions[0].line == 2


def test_xlsx_sheet_named_works_is_preferred(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["notes"])
    sheet = book.create_sheet("Works")
    sheet.append(["work_number", "title", "role", "party_name"])
    sheet.append(["A1", "NAMED", "C", "VALE"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    [work] = works_of(read_one(path)[0])
    assert work.title == "NAMED"


def test_a_row_with_only_work_cells_gives_a_work_without_claims(tmp_path: Path) -> None:
    path = csv_sheet(tmp_path, [{"work_number": "W9", "title": "ALONE"}])
    [work] = works_of(read_one(path)[0])
    assert (work.title, work.claims) == ("ALONE", [])


def test_pa_is_a_publisher_with_a_chain_else_a_writer(tmp_path: Path) -> None:
    rows = [
        {"work_number": "W1", "title": "T", "role": "PA", "party_name": "A", "pr_ownership": "50"},
        {"role": "PA", "party_name": "B", "publisher_chain": "2", "pr_ownership": "50"},
    ]
    [work] = works_of(read_one(csv_sheet(tmp_path, rows))[0])
    assert [(c.side, c.chain) for c in work.claims] == [(Side.WRITER, None), (Side.PUBLISHER, 2)]


def test_the_rows_of_a_claim_may_leave_shared_cells_empty(tmp_path: Path) -> None:
    rows = [
        {**GOOD[0], "pr_collection": "50", "territory": "0826"},
        {
            "role": "CA",
            "party_name": "ORCHARD",
            "party_first_name": "MAY",
            "territory": "0250",
            "pr_collection": "50",
            "mr_society": "058",
        },  # fmt: skip
    ]
    read, findings = read_one(csv_sheet(tmp_path, rows))
    [work] = works_of(read)
    [claim] = work.claims
    assert findings == []
    assert [t.tis for t in claim.territories] == ["0826", "0250"]
    assert claim.ownership == Shares(5000)
    assert {a.society for a in claim.party.affiliations} == {"052", "058"}


# -- writing and reading back ----------------------------------------------------------


def sample_works() -> list[Work]:
    writer = InterestedParty(
        "ORCHARD",
        "MAY",
        "00045620792",
        "I-001068130-6",
        key="W1",
        affiliations=[Affiliation("052", Right.PR), Affiliation("058", Right.MR)],
    )
    publisher = InterestedParty("HARBOUR MUSIC", is_legal_entity=True, key="P1")
    first = Work(
        "LANTERNS OVER THE BAY",
        iswc="T0345246801",
        language="EN",
        titles=[Title("LANTERNS", "AT"), Title("FIRST LINE", "TE")],
        numbers=[WorkNumber(SENDER, "PUB0001"), WorkNumber("058", "X9", "society")],
        claims=[
            Claim(
                writer,
                "CA",
                Side.WRITER,
                Shares(5000),
                [TerritoryShare("2136", True, Shares(5000))],
            ),
            Claim(
                publisher,
                "E",
                Side.PUBLISHER,
                Shares(5000, 10000, 10000),
                [
                    TerritoryShare("2136", True, Shares(5000, 10000, 10000)),
                    TerritoryShare("0826", False),
                ],
                chain=1,
            ),
            Claim(
                InterestedParty("ISLE", is_legal_entity=True, ipi_name_number="00014107338"),
                "SE",
                Side.PUBLISHER,
                territories=[TerritoryShare("0826", True, Shares(5000, 10000, 10000))],
                chain=1,
                controlled=False,
            ),
        ],
        duration=200,
    )
    second = Work("NO CLAIMS", id=42)
    third = Work(
        "WITHOUT TERRITORIES",
        id=7,
        claims=[Claim(InterestedParty("VALE", key="W2"), "C", Side.WRITER, Shares(3333, 1, 0))],
    )
    return [first, second, third]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_write_then_read_gives_the_same_works(tmp_path: Path, suffix: str) -> None:
    works = sample_works()
    path = tmp_path / f"out{suffix}"
    assert write_works(path, works, SENDER) == 3
    read, findings = read_one(path)
    assert findings == [] and read.format == suffix[1:]
    again = works_of(read)
    assert [normalise(w) for w in again] == [normalise(sheet_view(w)) for w in works]
    assert again[1].numbers == [WorkNumber(SENDER, "42")]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_text_that_looks_like_a_formula_or_a_number_stays_text(tmp_path: Path, suffix: str) -> None:
    work = Work(
        "=1+1",
        id=1,
        numbers=[WorkNumber(SENDER, "007")],
        claims=[Claim(InterestedParty("+33", "0.50", key="0012"), "C", Side.WRITER, Shares(1))],
    )
    path = tmp_path / f"odd{suffix}"
    write_works(path, [work], SENDER)
    [again] = works_of(read_one(path)[0])
    assert normalise(again) == normalise(sheet_view(work))


def test_csv_cells_are_text_with_two_decimals(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_works(path, sample_works()[:1], SENDER)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + b"work_number,title,")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[1].split(",")[:9] == [
        "PUB0001",
        "LANTERNS OVER THE BAY",
        "LANTERNS",
        "T0345246801",
        "EN",
        "CA",
        "ORCHARD",
        "MAY",
        "00045620792",
    ]
    assert lines[1].endswith("50.00,0.00,0.00,2136,50.00,0.00,0.00")
    assert ",-0826,0.00,0.00,0.00" in lines[3]


def test_xlsx_keeps_identifiers_as_text_and_shares_as_numbers(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_works(path, sample_works()[:1], SENDER)
    sheet = load_workbook(path)["works"]
    header = [c.value for c in sheet[1]]
    row = {name: cell for name, cell in zip(header, sheet[2], strict=True)}
    assert row["ipi_name_number"].value == "00045620792"
    assert row["ipi_name_number"].number_format == "@"
    assert row["territory"].value == "2136"
    assert row["pr_ownership"].value == 50 and row["pr_ownership"].number_format == "0.00"
    assert sheet.freeze_panes == "A2"


def sheet_view(work: Work, sender: str = SENDER) -> Work:
    """What a works sheet carries of a work (see adapters.spreadsheet.works)."""
    out = copy.deepcopy(work)
    number = work.number(sender) or str(work.id)
    out.numbers = [WorkNumber(sender, number)]
    out.titles = [Title(t.title, "AT") for t in work.titles if t.type == "AT"]
    out.duration = out.original = out.music_arrangement = out.lyric_adaptation = None
    out.text_music_relationship = out.copyright_date = None
    out.version_type, out.distribution_category = "ORI", "UNC"
    out.performers, out.recordings = [], []
    out.excerpt_type = out.entire_work = out.composite_type = out.composite_count = None
    out.productions, out.instrumentation, out.instruments = [], [], []
    out.components, out.notes, out.references = [], [], []
    for claim in out.claims:
        party = claim.party
        claim.writers = ()
        party.is_legal_entity = claim.side is Side.PUBLISHER
        if claim.side is Side.PUBLISHER:
            party.first_name = ""
        else:
            claim.chain = None
        if party.ipi_base_number:
            party.ipi_base_number = ipi_base.format(party.ipi_base_number)
        party.affiliations = [
            Affiliation(a.society, Right(a.right), "2136") for a in party.affiliations
        ]
    return out


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(works=cwr_work_lists(max_size=3), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_property_write_works_then_read_works(
    tmp_path: Path, works: list[Work], suffix: str
) -> None:
    for n, work in enumerate(works, start=1):
        work.id = n
    path = tmp_path / f"property{suffix}"
    assert write_works(path, works, SENDER) == len(works)
    read, findings = read_one(path)
    assert findings == []
    assert [normalise(w) for w in works_of(read)] == [normalise(sheet_view(w)) for w in works]


# -- findings on bad cells -------------------------------------------------------------


BAD_CELLS = [
    # (cells of the writer row changed, row, column, value, level, part of the message)
    ({"iswc": "T-034.524.680-2"}, 2, "iswc", "T-034.524.680-2", "TR", "check digit"),
    ({"ipi_name_number": "00045620793"}, 2, "ipi_name_number", "00045620793", "TR", "check"),
    ({"ipi_name_number": "ABC"}, 2, "ipi_name_number", "ABC", "TR", "only digits"),
    ({"ipi_base_number": "I-001068130-7"}, 2, "ipi_base_number", "I-001068130-7", "TR", "check"),
    ({"role": "XX"}, 2, "role", "XX", "TR", "unknown role"),
    ({"role": ""}, 2, "role", "", "TR", "role is empty"),
    ({"pr_ownership": "150"}, 2, "pr_ownership", "150", "TR", "between 0 and 100"),
    ({"pr_ownership": "half"}, 2, "pr_ownership", "half", "TR", "not a percentage"),
    ({"pr_ownership": "33.333"}, 2, "pr_ownership", "33.333", "TR", "two decimals"),
    ({"pr_collection": "-5"}, 2, "pr_collection", "-5", "TR", "between 0 and 100"),
    ({"pr_ownership": "60"}, 2, "pr_ownership", "110.00%", "TR", "add up to 110.00%"),
    ({"pr_collection": "60"}, 2, "pr_collection", "110.00%", "TR", "in territory 2136"),
    ({"title": ""}, 2, "title", "", "TR", "no title"),
    ({"party_name": ""}, 2, "party_name", "", "TR", "party_name is empty"),
    ({"work_number": "X" * 21}, 2, "work_number", "X" * 21, "TR", "at most 20"),
    ({"territory": "ATLANTIS"}, 2, "territory", "ATLANTIS", "TR", "unknown territory"),
    ({"publisher_chain": "first"}, 2, "publisher_chain", "first", "TR", "whole number"),
    ({"pr_society": "999"}, 2, "pr_society", "999", "FR", "unknown society"),
    ({"controlled": "maybe"}, 2, "controlled", "maybe", "FR", "taken as Y"),
    ({"publisher_chain": "1"}, 2, "publisher_chain", "1", "FR", "for publishers"),
]


@pytest.mark.parametrize(("change", "line", "column", "value", "level", "words"), BAD_CELLS)
def test_a_bad_cell_is_reported_where_it_is(
    tmp_path: Path,
    change: dict[str, str],
    line: int,
    column: str,
    value: str,
    level: str,
    words: str,
) -> None:
    other = {**GOOD[0], "work_number": "W2", "title": "FINE", "pr_ownership": "100"}
    other["pr_collection"] = "100"
    path = csv_sheet(tmp_path, [{**GOOD[0], **change}, GOOD[1], other])
    read, findings = read_one(path)
    assert [(f.line, f.record, f.field, f.value, f.level) for f in findings] == [
        (line, "works", column, value, level)
    ], findings
    assert words in findings[0].message
    first, second = read.transactions
    assert first.rejected is (level == "TR") and (first.mapped is None) is (level == "TR")
    assert not second.rejected and second.mapped.work.title == "FINE"  # only that work


def test_a_language_code_unknown_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "lang.csv"
    path.write_text("work_number,title,language,role,party_name\nW1,T,ZZ,C,VALE\n")
    read, [finding] = read_one(path)
    assert (finding.level, finding.field, finding.value, finding.line) == (
        "FR",
        "language",
        "ZZ",
        2,
    )
    assert works_of(read)[0].language is None


def test_a_publisher_first_name_is_left_out(tmp_path: Path) -> None:
    path = csv_sheet(tmp_path, [GOOD[0], {**GOOD[1], "party_first_name": "INC"}])
    read, [finding] = read_one(path)
    assert (finding.level, finding.line, finding.field) == ("FR", 3, "party_first_name")
    assert works_of(read)[0].claims[1].party.first_name == ""


def test_a_work_value_repeated_differently_rejects_the_work(tmp_path: Path) -> None:
    path = csv_sheet(tmp_path, [GOOD[0], {**GOOD[1], "title": "OTHER TITLE"}])
    read, [finding] = read_one(path)
    assert (finding.line, finding.field, finding.value, finding.level) == (
        3,
        "title",
        "OTHER TITLE",
        "TR",
    )
    assert "row 2" in finding.message and read.transactions[0].rejected


def test_rows_of_one_claim_with_other_shares_reject_the_work(tmp_path: Path) -> None:
    rows = [GOOD[0], GOOD[1], {**GOOD[1], "pr_ownership": "40", "territory": "-0826"}]
    read, [finding] = read_one(csv_sheet(tmp_path, rows))
    assert (finding.line, finding.field, finding.value, finding.level) == (
        4,
        "pr_ownership",
        "40",
        "TR",
    )
    assert "row 3" in finding.message


def test_no_work_number_on_the_first_row(tmp_path: Path) -> None:
    rows = [
        {**GOOD[0], "work_number": ""},
        {**GOOD[1], "work_number": ""},
        {**GOOD[0], "work_number": "W2"},
    ]
    read, findings = read_one(csv_sheet(tmp_path, rows))
    assert [(f.line, f.field, f.level) for f in findings] == [(2, "work_number", "TR")]
    first, second = read.transactions
    assert first.rejected and first.line == 2 and not second.rejected
    assert second.mapped.submitter_number == "W2"


def test_a_rejected_work_keeps_all_its_findings_in_row_order(tmp_path: Path) -> None:
    rows = [{**GOOD[0], "role": "ZZ"}, {**GOOD[1], "pr_ownership": "x"}]
    read, findings = read_one(csv_sheet(tmp_path, rows))
    assert [(f.line, f.field) for f in findings] == [(2, "role"), (3, "pr_ownership")]
    assert read.transactions[0].rejected


# -- problems with the file as a whole -------------------------------------------------


def test_missing_required_columns_reject_the_file(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("work_number,titel,role\nW1,T,C\n")
    read = read_works(path, SENDER)
    assert read.file_rejected and read.transactions == []
    levels = [(f.level, f.field, f.line) for f in read.findings]
    assert ("WARN", "titel", 1) in levels  # an unknown column: ignored
    assert ("ER", "title", 1) in levels and ("ER", "party_name", 1) in levels
    assert "must have" in next(f for f in read.findings if f.field == "title").message


def test_an_empty_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"\xef\xbb\xbf\n\n")
    read = read_works(path, SENDER)
    assert read.file_rejected and [f.level for f in read.findings] == ["ER"]
    assert "empty" in read.findings[0].message


def test_a_column_twice_rejects_the_file(tmp_path: Path) -> None:
    path = tmp_path / "twice.csv"
    path.write_text("work_number,title,role,party_name,Title\n")
    read = read_works(path, SENDER)
    assert read.file_rejected and read.findings[0].field == "title"


def test_a_header_without_rows_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(HEADER + "\n")
    read = read_works(path, SENDER)
    assert not read.file_rejected and [f.level for f in read.findings] == ["WARN"]


def test_a_value_under_no_column_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "extra.csv"
    path.write_text("work_number,title,role,party_name\nW1,T,C,VALE,stray\n")
    read, _ = read_one(path)
    assert [(f.level, f.line, f.value) for f in read.findings] == [("WARN", 2, "stray")]


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("junk.csv", bytes(range(256)) * 4, "binary"),
        ("junk.xlsx", b"PK\x03\x04" + b"\x00garbage" * 50, "not a readable XLSX"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        ("latin.csv", "work_number,title\nW1,CAFÉ\n".encode("latin-1"), "not UTF-8"),
        ("control.csv", b"work_number\x01title\x02\n", "control characters"),
    ],
)
def test_a_file_that_is_no_sheet_is_one_clear_error(
    tmp_path: Path, name: str, content: bytes, words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ExchangeError) as error:
        read_works(path, SENDER)
    assert words in str(error.value) and str(path) in str(error.value)


def test_a_corrupt_workbook_is_one_clear_error(tmp_path: Path) -> None:
    good = tmp_path / "good.xlsx"
    write_works(good, sample_works(), SENDER)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]  # cut in the middle of the XML
            target.writestr(item, data)
    with pytest.raises(ExchangeError, match="not a readable XLSX workbook"):
        read_works(broken, SENDER)


def test_a_file_that_cannot_be_opened(tmp_path: Path) -> None:
    with pytest.raises(ExchangeError, match="cannot read"):
        read_works(tmp_path / "missing.csv", SENDER)


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with pytest.raises(ExchangeError, match="neither a number"):
        write_works(path, [Work("NO ID")], SENDER)
    assert list(tmp_path.iterdir()) == []


# -- the parties sheet -----------------------------------------------------------------


PARTIES = (
    "ipi_name_number,ipi_base_number,party_key,last_name,first_name,legal_entity,"
    "society,right,territory\n"
)


def test_parties_sheet_rows_become_parties(tmp_path: Path) -> None:
    path = tmp_path / "parties.csv"
    path.write_text(
        PARTIES
        + "45620792,I-001068130-6,W1,ORCHARD,MAY,N,52,PR,\n"
        + ",,W1,,,,058,mr,GB\n"  # the key ties this row to the IPI above
        + ",,P1,HARBOUR MUSIC,,Y,,,\n"
        + "00014107338,,,ISLE,,yes,052,PR,2136\n"
        + "00014107338,,,,,,052,MR,2136\n"
    )
    parties, findings = read_parties(path)
    assert findings == [] and all(not p.rejected and p.findings == [] for p in parties)
    orchard, harbour, isle = (p.party for p in parties)
    assert [p.line for p in parties] == [2, 4, 5]
    assert (orchard.ipi_name_number, orchard.ipi_base_number, orchard.key) == (
        "00045620792",
        "I-001068130-6",
        "W1",
    )
    assert (orchard.name, orchard.is_legal_entity) == ("ORCHARD, MAY", False)
    assert orchard.affiliations == [
        Affiliation("052", Right.PR, "2136"),
        Affiliation("058", Right.MR, "0826"),
    ]
    assert (harbour.key, harbour.is_legal_entity, harbour.affiliations) == ("P1", True, [])
    assert isle.is_legal_entity and len(isle.affiliations) == 2


PARTY_BAD_CELLS = [
    ("00045620793,,,A,,,,,", "ipi_name_number", "00045620793", "TR", "check digits"),
    ("00045620792,I-1,,A,,,,,", "ipi_base_number", "I-1", "TR", "check digit"),
    (",,,A,,,,,", "ipi_name_number", "", "TR", "ipi_name_number or its party_key"),
    (",,K,,,,,,", "last_name", "", "TR", "last_name is empty"),
    (",,K,A,,maybe,,,", "legal_entity", "maybe", "FR", "taken as N"),
    (",,K,A,,,999,PR,", "society", "999", "FR", "unknown society"),
    (",,K,A,,,052,XR,", "right", "XR", "FR", "PR, MR or SR"),
    (",,K,A,,,052,PR,-GB", "territory", "-GB", "FR", "cannot exclude"),
    (",,K,A,,,,PR,", "society", "", "FR", "society is empty"),
    (",," + "K" * 21 + ",A,,,,,", "party_key", "K" * 21, "TR", "at most 20"),
]


@pytest.mark.parametrize(("row", "column", "value", "level", "words"), PARTY_BAD_CELLS)
def test_a_bad_parties_cell_is_reported_where_it_is(
    tmp_path: Path, row: str, column: str, value: str, level: str, words: str
) -> None:
    path = tmp_path / "parties.csv"
    path.write_text(PARTIES + ",,GOOD,FINE,,,,,\n" + row + "\n")
    (good, bad), findings = read_parties(path)
    assert findings == [] and not good.rejected and good.findings == []
    assert [(f.line, f.record, f.field, f.value, f.level) for f in bad.findings] == [
        (3, "parties", column, value, level)
    ]
    assert words in bad.findings[0].message and bad.rejected is (level == "TR")


def test_rows_of_a_party_that_disagree_reject_it(tmp_path: Path) -> None:
    path = tmp_path / "parties.csv"
    path.write_text(
        PARTIES
        + "00045620792,,W1,ORCHARD,MAY,,052,PR,\n"
        + "00045620792,,W1,ORCHARD,JUNE,,052,MR,\n"
        + "00014107338,,W1,OTHER,,,,,\n"  # the key is taken by another IPI
        + ",,K,A,,,052,PR,\n,,K,A,,,058,PR,\n"  # two societies for one right: the first kept
    )
    orchard, other, key = read_parties(path)[0]
    assert orchard.rejected and [(f.line, f.field, f.level) for f in orchard.findings] == [
        (3, "first_name", "TR")
    ]
    assert other.rejected and other.findings[0].field == "party_key"
    assert not key.rejected and [(f.line, f.level) for f in key.findings] == [(6, "FR")]
    assert [a.society for a in key.party.affiliations] == ["052"]


def test_a_parties_header_needs_an_identity_column(tmp_path: Path) -> None:
    path = tmp_path / "parties.csv"
    path.write_text("last_name,society,right\nA,052,PR\n")
    parties, findings = read_parties(path)
    assert parties == [] and [f.level for f in findings] == ["ER"]
    assert "ipi_name_number nor party_key" in findings[0].message


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_parties_write_then_read(tmp_path: Path, suffix: str) -> None:
    parties = [
        InterestedParty(
            "ORCHARD",
            "MAY",
            "00045620792",
            "I-001068130-6",
            key="W1",
            affiliations=[Affiliation("052", Right.PR), Affiliation("058", Right.MR, "0826")],
        ),
        InterestedParty("HARBOUR MUSIC", is_legal_entity=True, key="0012"),
    ]
    path = tmp_path / f"parties{suffix}"
    assert write_parties(path, parties) == 2
    read, findings = read_parties(path)
    assert findings == [] and [p.party for p in read] == parties
