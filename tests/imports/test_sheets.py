"""Works sheets into the store: the registration importer with the spreadsheet reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.registrations import ReadFile
from adapters.spreadsheet.works.reader import read_works
from adapters.spreadsheet.works.writer import write_works
from exchange.imports.registrations import RegistrationImporter
from exchange.matching.queue import Matches
from exchange.model import Side, Work
from exchange.store import Store, tables
from tests.adapters.cwr.cwr_builder import CwrFile, change, valid_work
from tests.adapters.spreadsheet.test_sheets import sample_works, sheet_view
from tests.imports.test_acks import Node, node_config
from tests.imports.test_mwn import said_by, stored_works
from tests.rows import row_counts
from tests.strategies import SENDER, normalise

PARTNER = "058"

SHEET = (
    "work_number,title,iswc,role,party_name,party_first_name,ipi_name_number,party_key,"
    "publisher_chain,pr_society,pr_ownership,mr_ownership,territory,pr_collection,mr_collection\n"
    "S1,LANTERNS,T-034.524.680-1,CA,ORCHARD,MAY,00045620792,,,052,50,,,50,\n"
    ",,,E,HARBOUR MUSIC,,,P1,1,,50,100,2136,50,100\n"
    "S2,BROKEN,T-034.524.680-2,C,VALE,,,,,,100,100,,,\n"
    "S3,NORTHBOUND,,C,VALE,ANN,,W2,,,100,100,,100,100\n"
)


def importer(store: Store, partner: str = PARTNER) -> RegistrationImporter:
    def sender_of(read: ReadFile, path: Path) -> str:
        return partner

    return RegistrationImporter(store, read_works, sender_of, partner=partner)


def counts(store: Store) -> dict[str, int]:
    return row_counts(
        store,
        works=tables.works,
        claims=tables.claims,
        parties=tables.parties,
        affiliations=tables.affiliations,
    )


def test_a_works_sheet_is_imported_with_its_source(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "works.csv"
    path.write_text(SHEET, encoding="utf-8")
    report = importer(store).import_file(path)
    assert (report.format, report.transactions, report.accepted, report.rejected) == (
        "csv",
        3,
        2,
        1,
    )
    assert report.works_created == 2 and report.has_rejections
    [finding] = report.findings
    assert (finding.line, finding.record, finding.field, finding.level) == (
        4,
        "works",
        "iswc",
        "TR",
    )
    work = store.load_work(store.find_work(f"{PARTNER}:S1"))
    assert (work.title, work.iswc) == ("LANTERNS", "T0345246801")
    writer, publisher = work.claims
    assert (writer.party.ipi_name_number, writer.party.name) == ("00045620792", "ORCHARD, MAY")
    assert [a.society for a in writer.party.affiliations] == ["052"]
    assert (publisher.side, publisher.chain, publisher.party.key) == (Side.PUBLISHER, 1, "P1")
    assert {c.source.partner for c in work.claims} == {PARTNER}
    assert work.claims[0].source.file == "works.csv"
    assert store.find_work(f"{PARTNER}:S2") is None
    [entry] = store.ledger()
    assert (entry.format, entry.state, entry.partner) == ("csv", "imported", PARTNER)


def test_the_same_sheet_twice_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "works.csv"
    path.write_text(SHEET, encoding="utf-8")
    importer(store).import_file(path)
    before = counts(store)
    again = importer(store).import_file(path)
    assert again.duplicate_of is not None and counts(store) == before
    # the same content in another file: every work is recognised as said before (DU)
    copy = tmp_path / "again.csv"
    copy.write_text(SHEET + "\n", encoding="utf-8")
    report = importer(store).import_file(copy)
    assert report.statuses == {"DU": 2, "RJ": 1} and counts(store) == before


def test_a_changed_sheet_revises_the_senders_works(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "works.csv"
    path.write_text(SHEET, encoding="utf-8")
    importer(store).import_file(path)
    changed = tmp_path / "changed.csv"
    changed.write_text(SHEET.replace("NORTHBOUND,,C,VALE,ANN", "NORTHBOUND,,CA,VALE,ANN"))
    report = importer(store).import_file(changed)
    assert report.works_updated == 1 and report.works_created == 0
    work = store.load_work(store.find_work(f"{PARTNER}:S3"))
    assert [c.role for c in work.claims] == ["CA"]


def test_export_of_stored_works_reads_back_the_same(store: Store, tmp_path: Path) -> None:
    """Works written by write_works and imported: the store holds what the sheet carries."""
    works = sample_works()
    path = tmp_path / "out.xlsx"
    write_works(path, works, SENDER)
    report = importer(store, SENDER).import_file(path)
    assert (report.format, report.accepted, report.rejected) == ("xlsx", 3, 0)
    stored = list(store.iter_works(store.work_ids()))
    assert [_comparable(w) for w in stored] == [_comparable(sheet_view(w)) for w in works]


def _comparable(work: Work) -> Work:
    out = normalise(work)
    out.numbers = [n for n in out.numbers if n.kind == "submitter"]
    for claim in out.claims:
        claim.party.key = claim.party.key or None
    return out


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_sheet_exported_by_one_node_gives_the_same_store_at_another(
    fmt: str, capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    """exchange export --format csv|xlsx, then exchange import at a second node: the same
    works, titles, claims and shares; the second node's own export reads back the same."""
    first = Node(capsys, db_url, node_config(tmp_path / "a", "052"))
    second = Node(capsys, f"sqlite:///{tmp_path / 'b.db'}", node_config(tmp_path / "b", "058"))
    cwr = CwrFile()
    for i in range(4):
        cwr.add("NWR", change(valid_work(f"W{i}", f"SONG NUMBER {i}"), "NWR", iswc=""))
    first("import", str(cwr.write(tmp_path, "CW260001PUB_052.V21")))
    _, exported = first("export", "--format", fmt, "-o", str(tmp_path / "out"))
    [written] = exported["files"]
    assert written["works"] == 4 and written["path"].endswith(f".{fmt}")

    code, imported = second("import", "--partner", "052", written["path"])
    [report] = imported["files"]
    assert code == 0, report["findings"]
    assert (report["format"], report["works_created"]) == (fmt, 4)
    assert stored_works(second) == stored_works(first)

    _, again = second("export", "--format", fmt, "-o", str(tmp_path / "again"))
    third = Node(capsys, f"sqlite:///{tmp_path / 'c.db'}", node_config(tmp_path / "c", "035"))
    code, said = said_by(third, "import", again["files"][0]["path"])
    assert code == 2 and "give --partner" in said  # a sheet does not say who sent it
    third("import", "--partner", "058", again["files"][0]["path"])
    assert stored_works(third) == stored_works(first)


def test_two_rows_of_one_title_and_writer_are_two_works(store: Store, tmp_path: Path) -> None:
    """A sheet's two work numbers are two works, even with one title and one writer: the
    second waits for review as a possible duplicate, and no conflict is opened."""
    row = "{n},LOVE,,CA,ORCHARD,MAY,00045620792,,,052,100,,,100,\n"
    first, second = tmp_path / "a" / "works.csv", tmp_path / "b" / "works.csv"
    for path, number in ((first, "S1"), (second, "S2")):
        path.parent.mkdir()
        path.write_text(SHEET.splitlines(keepends=True)[0] + row.format(n=number), "utf-8")
    reports = [importer(store).import_file(path) for path in (first, second)]
    assert [r.works_created for r in reports] == [1, 1]
    assert reports[1].statuses == {"RA": 1} and reports[1].matches_queued == 1
    assert store.count_works() == 2 and store.find_work(f"{PARTNER}:S1") != store.find_work(
        f"{PARTNER}:S2"
    )
    [entry] = Matches(store, None, lambda _partner: 60).list()
    assert entry.kind == "duplicate" and entry.candidate_id == store.find_work(f"{PARTNER}:S1")
    assert sum(r.conflicts_opened for r in reports) == 0
