"""Parties sheets into and out of the store, and the commands that move them."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from exchange.cli import main
from exchange.imports.parties import PartyImporter
from exchange.model import InterestedParty
from exchange.store import Store, tables
from exchange.store.reader import WorkReader
from tests.rows import row_counts

PARTNER = "PUB"
HEADER = (
    "ipi_name_number,ipi_base_number,party_key,last_name,first_name,legal_entity,"
    "society,right,territory\n"
)
SHEET = HEADER + (
    "00045620792,I-001068130-6,W1,ORCHARD,MAY,N,052,PR,\n"
    "00045620792,,W1,,,,058,MR,2136\n"
    ",,W2,VALE,ANN,N,,,\n"
    "00014107338,,P1,HARBOUR MUSIC,,Y,052,PR,0826\n"
)


def sheet(tmp_path: Path, text: str, name: str = "parties.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def counts(store: Store) -> dict[str, int]:
    return row_counts(
        store,
        parties=tables.parties,
        keys=tables.party_keys,
        affiliations=tables.affiliations,
        conflicts=tables.conflicts,
        history=tables.history,
        sources=tables.sources,
    )


def parties_of(store: Store) -> list[tuple[Any, ...]]:
    """Every party with its current memberships, comparable between stores."""
    found = store.list_parties()
    with store.connect() as conn:
        memberships = WorkReader(conn).affiliations_of([p.id for p in found])
    return sorted(
        (
            p.ipi_name_number or "",
            p.ipi_base_number,
            p.last_name,
            p.first_name,
            p.is_legal_entity,
            sorted((a.society, str(a.right), a.territory) for a in memberships[p.id]),
        )
        for p in found
    )


def party(store: Store, ipi: str) -> InterestedParty:
    found = store.get_party(ipi)
    assert found is not None
    return found[0]


def test_a_sheet_creates_parties_with_keys_and_memberships(store: Store, tmp_path: Path) -> None:
    report = PartyImporter(store, PARTNER).import_file(sheet(tmp_path, SHEET))
    assert (report.format, report.transactions, report.accepted, report.rejected) == (
        "parties-csv",
        3,
        3,
        0,
    )
    assert report.statuses == {"created": 3} and report.findings == []
    orchard = party(store, "00045620792")
    assert (orchard.name, orchard.ipi_base_number, orchard.is_legal_entity) == (
        "ORCHARD, MAY",
        "I-001068130-6",
        False,
    )
    assert sorted((a.society, a.right, a.territory) for a in orchard.affiliations) == [
        ("052", "PR", "2136"),
        ("058", "MR", "2136"),
    ]
    source = orchard.affiliations[0].source
    assert (source.partner, source.file, source.transaction, source.transaction_type) == (
        PARTNER,
        "parties.csv",
        2,
        "PTY",
    )
    harbour = party(store, "00014107338")
    assert harbour.is_legal_entity and harbour.affiliations[0].territory == "0826"
    with store.connect() as conn:
        keys = conn.execute(select(tables.party_keys.c.issuer, tables.party_keys.c.key)).all()
    assert sorted(keys) == [(PARTNER, "P1"), (PARTNER, "W1"), (PARTNER, "W2")]
    [entry] = store.ledger()
    assert (entry.format, entry.state, entry.partner) == ("parties-csv", "imported", PARTNER)
    assert entry.summary.accepted == 3


def test_the_same_sheet_again_changes_nothing(store: Store, tmp_path: Path) -> None:
    importer = PartyImporter(store, PARTNER)
    first = importer.import_file(sheet(tmp_path, SHEET))
    before = counts(store)
    again = importer.import_file(sheet(tmp_path, SHEET, "copy.csv"))
    assert again.duplicate_of is not None and again.transactions == 0
    assert counts(store) == before and len(store.ledger()) == 1
    # the same parties in another file: nothing new to record
    other = importer.import_file(sheet(tmp_path, SHEET + "\n", "other.csv"))
    assert other.statuses == {"unchanged": 3} and first.statuses == {"created": 3}
    after = counts(store)
    assert {k: v for k, v in after.items() if k != "sources"} == {
        k: v for k, v in before.items() if k != "sources"
    }


def test_a_renamed_ipi_opens_an_identity_conflict(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str], db_url: str
) -> None:
    PartyImporter(store, PARTNER).import_file(sheet(tmp_path, SHEET))
    renamed = HEADER + "00045620792,I-001068130-6,X1,ORCHARDSON,MAY,N,052,PR,\n"
    report = PartyImporter(store, "058").import_file(sheet(tmp_path, renamed, "renamed.csv"))
    assert report.conflicts_opened == 1 and report.statuses == {"conflict": 1}
    assert not report.has_rejections
    [note] = report.findings
    assert (note.level, note.line, note.field, note.value) == (
        "WARN",
        2,
        "last_name",
        "ORCHARDSON MAY",
    )
    assert party(store, "00045620792").name == "ORCHARD, MAY"  # not renamed
    with store.connect() as conn:
        [row] = conn.execute(select(tables.conflicts)).all()
    assert (row.kind, row.key, row.work_id, row.partner, row.status) == (
        "identity",
        "identity:name:00045620792:ORCHARDSON MAY",
        None,
        "058",
        "open",
    )
    assert row.detail["held"] == "ORCHARD MAY" and row.detail["received"] == "ORCHARDSON MAY"
    assert row.deadline is not None
    # the same again in another file: the conflict is still open, not opened twice
    again = PartyImporter(store, "058").import_file(sheet(tmp_path, renamed + "\n", "again.csv"))
    assert again.conflicts_opened == 0 and again.statuses == {"conflict": 1}
    # conflicts without a work are listed like the others
    code, out, err = run(capsys, "--db", db_url, "conflicts", "list", "--json")
    assert code == 0, err
    [listed] = json.loads(out)["conflicts"]
    assert listed["type"] == "identity" and listed["work"]["id"] is None
    assert "ORCHARDSON" in listed["message"] and listed["partners"] == ["058"]
    code, out, _ = run(capsys, "--db", db_url, "conflicts", "list")
    assert code == 0 and "identity" in out


def test_another_base_number_opens_an_identity_conflict(store: Store, tmp_path: Path) -> None:
    PartyImporter(store, PARTNER).import_file(sheet(tmp_path, SHEET))
    text = HEADER + "00045620792,I-123456789-3,W1,ORCHARD,MAY,N,,,\n"
    report = PartyImporter(store, PARTNER).import_file(sheet(tmp_path, text, "base.csv"))
    assert report.conflicts_opened == 1
    assert party(store, "00045620792").ipi_base_number == "I-001068130-6"
    with store.connect() as conn:
        key = conn.execute(select(tables.conflicts.c.key)).scalar_one()
    assert key == "identity:base:00045620792:I1234567893"


def test_a_party_known_by_key_only_is_corrected(store: Store, tmp_path: Path) -> None:
    PartyImporter(store, PARTNER).import_file(sheet(tmp_path, SHEET))
    text = HEADER + "00345678920,,W2,VALE-SMITH,ANN,N,035,PR,\n"
    before = counts(store)
    report = PartyImporter(store, PARTNER).import_file(sheet(tmp_path, text, "fix.csv"))
    assert report.statuses == {"updated": 1} and report.conflicts_opened == 0
    vale = party(store, "00345678920")  # found by its new IPI name number
    assert vale.name == "VALE-SMITH, ANN" and [a.society for a in vale.affiliations] == ["035"]
    after = counts(store)
    assert after["parties"] == before["parties"] and after["history"] == before["history"] + 1
    with store.connect() as conn:
        [history] = conn.execute(select(tables.history)).all()
    assert (history.entity, history.work_id, history.before["last_name"]) == ("party", None, "VALE")
    # another partner's key is not this partner's: a party of its own
    text = HEADER + ",,W2,SOMEONE,,N,,,\n"
    report = PartyImporter(store, "058").import_file(sheet(tmp_path, text, "theirs.csv"))
    assert report.statuses == {"created": 1}


def test_a_rejected_party_changes_nothing_of_it(store: Store, tmp_path: Path) -> None:
    text = HEADER + "00045620793,,W1,ORCHARD,,,052,PR,\n,,W2,VALE,,,,,\n"
    report = PartyImporter(store, PARTNER).import_file(sheet(tmp_path, text))
    assert (report.accepted, report.rejected, report.has_rejections) == (1, 1, True)
    assert report.statuses == {"created": 1, "rejected": 1}
    assert [p.name for p in store.list_parties()] == ["VALE"]


def test_a_sheet_rejected_as_a_whole_changes_nothing(store: Store, tmp_path: Path) -> None:
    report = PartyImporter(store, PARTNER).import_file(sheet(tmp_path, "last_name\nVALE\n"))
    assert report.file_rejected and [f.level for f in report.findings] == ["ER"]
    assert store.list_parties() == []
    assert [(e.state, e.format) for e in store.ledger()] == [("rejected", "parties-csv")]


@pytest.fixture
def other_store(
    store: Store, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[], Store]:
    """Makes more empty stores on the engine of ``store``."""
    server = request.getfixturevalue("postgres") if store.dialect == "postgresql" else None
    counter = itertools.count(1)
    made: list[Store] = []

    def make() -> Store:
        url = server.new_database() if server else f"sqlite:///{tmp_path}/other{next(counter)}.db"
        fresh = Store(url)
        fresh.init()
        made.append(fresh)
        return fresh

    yield make
    for fresh in made:
        fresh.close()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_gives_the_same_parties(
    store: Store,
    tmp_path: Path,
    other_store: Callable[[], Store],
    capsys: pytest.CaptureFixture[str],
    fmt: str,
) -> None:
    PartyImporter(store, PARTNER).import_file(sheet(tmp_path, SHEET))
    later = HEADER + "00045620792,,W1,ORCHARD,MAY,,035,PR,2136\n,,K9,NOBODY,,Y,,,\n"
    PartyImporter(store, "058").import_file(sheet(tmp_path, later, "later.csv"))
    out_path = tmp_path / f"export.{fmt}"
    code, out, err = run(
        capsys, "--db", store.url, "parties", "export", "--format", fmt, "-o", str(out_path)
    )
    assert code == 0, err
    fresh = other_store()
    report = PartyImporter(fresh, "052").import_file(out_path)
    assert (report.accepted, report.rejected, report.findings) == (4, 0, [])
    assert parties_of(fresh) == parties_of(store)
    assert ("00045620792", "I-001068130-6", "ORCHARD", "MAY", False, [
        ("035", "PR", "2136"),
        ("058", "MR", "2136"),
    ]) in parties_of(fresh)  # fmt: skip


# -- the commands ------------------------------------------------------------------------


def test_template_command_writes_the_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.xlsx"
    code, out, _ = run(capsys, "template", "xlsx", "-o", str(path), "--json")
    data = json.loads(out)
    assert code == 0 and data["path"] == str(path) and data["format"] == "xlsx"
    assert data["kind"] == "works" and data["columns"][:2] == ["work_number", "title"]
    header = [c.value for c in load_workbook(path)["works"][1]]
    assert header == data["columns"]
    parties_path = tmp_path / "p.csv"
    code, out, _ = run(capsys, "template", "csv", "--parties", "-o", str(parties_path))
    assert code == 0 and "parties" in out
    assert parties_path.read_text(encoding="utf-8-sig").startswith("ipi_name_number,")


def test_template_command_has_an_example_in_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["template"], ["parties", "import"], ["parties", "export"]):
        code, out, _ = run(capsys, *command, "--help")
        assert code == 0 and "Example:" in out


def test_parties_import_and_export_commands(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = sheet(tmp_path, SHEET)
    bad = sheet(tmp_path, HEADER + ",,,NO KEY,,,,,\n", "bad.csv")
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not a workbook")
    db = ["--db", store.url]
    code, out, _ = run(capsys, *db, "parties", "import", str(good), "--partner", PARTNER, "--json")
    [report] = json.loads(out)["files"]
    assert code == 0 and report["format"] == "parties-csv" and report["accepted"] == 3
    assert report["statuses"] == {"created": 3} and report["duplicate_of"] is None
    code, out, _ = run(capsys, *db, "parties", "import", str(bad), "--partner", PARTNER, "--json")
    [report] = json.loads(out)["files"]
    assert code == 1 and report["rejected"] == 1
    assert report["findings"][0]["field"] == "ipi_name_number"
    code, out, _ = run(capsys, *db, "--json", "parties", "import", str(junk), "--partner", "X")
    [error] = json.loads(out)["files"]
    assert code == 2 and "not a readable XLSX workbook" in error["error"]
    code, _, err = run(capsys, *db, "parties", "import", str(good))
    assert code == 2 and "--partner" in err
    code, out, _ = run(capsys, *db, "parties", "import", str(good), "--partner", PARTNER)
    assert code == 0 and "already imported" in out

    code, out, _ = run(capsys, *db, "parties", "export", "-o", str(tmp_path / "all.xlsx"), "--json")
    assert code == 0 and json.loads(out) == {
        "files": [{"path": str(tmp_path / "all.xlsx"), "parties": 3}]
    }
    folder = tmp_path / "out"
    folder.mkdir()
    code, out, _ = run(capsys, *db, "parties", "export", "--format", "csv", "-o", str(folder))
    assert code == 0 and (folder / "parties.csv").is_file()
    code, _, err = run(capsys, *db, "parties", "export", "-o", str(tmp_path / "x.txt2"))
    assert code == 2 and "csv or .xlsx" in err and "Traceback" not in err
