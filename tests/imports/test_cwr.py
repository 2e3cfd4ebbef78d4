"""Importing CWR files: provenance, NWR/REV/ISW semantics, duplicates, crash and resume."""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from adapters.cwr import pipeline
from exchange.imports import apply, cwr
from exchange.imports.cwr import CwrImporter
from exchange.matching.queue import Matches
from exchange.store import Store, tables
from tests.adapters.cwr.cwr_builder import CwrFile, change, numbered_works, valid_work
from tests.rows import row_counts


def _counts(store: Store) -> dict[str, int]:
    return row_counts(
        store,
        works=tables.works,
        claims=tables.claims,
        titles=tables.titles,
        numbers=tables.work_numbers,
    )


def test_nwr_creates_with_provenance(store: Store, tmp_path: Path) -> None:
    second = change(valid_work("W2", "ANOTHER WORK"), "NWR", iswc="")
    path = CwrFile(sender="PUB").add("NWR", valid_work("W1")).add("REV", second).write(tmp_path)
    report = CwrImporter(store).import_file(path)
    assert (report.accepted, report.works_created, report.works_updated) == (2, 2, 0)
    work = store.load_work(store.find_work("PUB:W1"))
    assert work.iswc == "T0345246801"
    assert {c.source.partner for c in work.claims} == {"PUB"}
    assert work.claims[0].source.file == path.name
    assert work.claims[0].source.transaction == 0
    publisher = next(c for c in work.claims if c.role == "E")
    assert publisher.writers == ("W01",)


def test_same_content_is_not_imported_twice(store: Store, tmp_path: Path) -> None:
    path = CwrFile().add("NWR", valid_work()).write(tmp_path)
    first = CwrImporter(store).import_file(path)
    before = _counts(store)
    copy = tmp_path / "copy.V21"
    copy.write_bytes(path.read_bytes())
    again = CwrImporter(store).import_file(copy)
    assert again.duplicate_of is not None and again.transactions == 0
    assert _counts(store) == before and first.works_created == 1


def test_rev_replaces_the_senders_claims(store: Store, tmp_path: Path) -> None:
    CwrImporter(store).import_file(CwrFile().add("NWR", valid_work()).write(tmp_path, "a.V21"))
    revised = change(valid_work(), "SWR", writer_last_name="RENAMED", ipi_name_number="00045620792")
    report = CwrImporter(store).import_file(CwrFile().add("REV", revised).write(tmp_path, "b.V21"))
    assert (report.works_created, report.works_updated) == (0, 1)
    work = store.load_work(1)
    assert [c.party.last_name for c in work.claims].count("RENAMED") == 1
    assert len(work.claims) == 2
    assert any(h.action == "delete" for h in store.history(1))


def test_other_sender_adds_claims_to_the_same_work(store: Store, tmp_path: Path) -> None:
    CwrImporter(store, "PUB").import_file(CwrFile().add("NWR", valid_work()).write(tmp_path, "a"))
    other = change(valid_work("X77", "A TEST WORK (LIVE)"), "SPU", publisher_name="OTHER PUB")
    report = CwrImporter(store, "OTH").import_file(CwrFile().add("NWR", other).write(tmp_path, "b"))
    assert (report.works_created, report.works_updated) == (0, 1)  # matched by ISWC
    work = store.load_work(1)
    assert sorted({c.source.partner for c in work.claims}) == ["OTH", "PUB"]
    assert store.find_work("OTH:X77") == 1


def test_nwr_for_a_registered_work_is_rejected(store: Store, tmp_path: Path) -> None:
    CwrImporter(store).import_file(CwrFile().add("NWR", valid_work()).write(tmp_path, "a"))
    again = CwrFile().add("NWR", change(valid_work(), "NWR", work_title="RETITLED"))
    report = CwrImporter(store).import_file(again.write(tmp_path, "b"))
    assert report.rejected == 1 and "NWR-T-013" in {f.edit for f in report.findings}
    assert store.load_work(1).title == "A TEST WORK"


def test_rejected_transaction_changes_nothing(store: Store, tmp_path: Path) -> None:
    bad = change(valid_work("W2"), "SWR", pr_ownership_share=9000)
    path = CwrFile().add("NWR", valid_work("W1")).write(tmp_path, "a")
    CwrImporter(store).import_file(path)
    before = _counts(store)
    report = CwrImporter(store).import_file(CwrFile().add("NWR", bad).write(tmp_path, "b"))
    assert report.rejected == 1
    assert _counts(store) == before


def test_file_rejected_as_a_whole_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = CwrFile().add("NWR", valid_work()).write(tmp_path)
    lines = path.read_bytes().split(b"\r\n")
    path.write_bytes(b"\r\n".join(lines[:-2]))  # no TRL
    report = CwrImporter(store).import_file(path)
    assert report.file_rejected and _counts(store)["works"] == 0


def _big_file(folder: Path, works: int) -> Path:
    return numbered_works(works).write(folder)


def test_crash_mid_import_resumes(store: Store, tmp_path: Path, monkeypatch) -> None:
    path = _big_file(tmp_path, 60)
    monkeypatch.setattr(cwr, "BATCH", 10)
    calls = {"n": 0}
    original = apply.Applier.apply

    def crashing(self, items):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("power cut")
        return original(self, items)

    monkeypatch.setattr(apply.Applier, "apply", crashing)
    with pytest.raises(RuntimeError):
        CwrImporter(store).import_file(path)
    assert _counts(store)["works"] == 30  # three whole batches, not half of the fourth
    [entry] = store.ledger()
    assert (entry.state, entry.error) == ("failed", "RuntimeError: power cut")
    report = CwrImporter(store).import_file(path)
    assert report.transactions == 60 and report.works_created == 60
    counts = _counts(store)
    assert counts["works"] == 60 and counts["claims"] == 120 and counts["numbers"] == 60
    assert CwrImporter(store).import_file(path).duplicate_of is not None


#: SACEM's work number SACEM1, as a CWR 2.2 XRF record.
SACEM1 = (
    "XRF",
    {"organisation_code": "058", "identifier": "SACEM1", "identifier_type": "W", "validity": "Y"},
)


def test_a_society_number_leaves_one_senders_numbers_two_works(
    store: Store, tmp_path: Path
) -> None:
    first = [*change(valid_work("W1", "FIRST WORK"), "NWR", iswc=""), SACEM1]
    second = [*change(valid_work("W2", "SECOND WORK"), "NWR", iswc=""), SACEM1]
    for name, records in (("a.V22", first), ("b.V22", second)):
        report = CwrImporter(store, "PUB").import_file(
            CwrFile("2.2").add("NWR", records).write(tmp_path, name)
        )
        assert report.rejected == 0
    # the second registration carries the society number of the first work, but the
    # sender numbers them as two works: two works, the second a possible duplicate
    assert store.find_work("058:SACEM1") == store.find_work("PUB:W1") != store.find_work("PUB:W2")
    assert store.count_works() == 2
    [entry] = Matches(store, None, lambda _partner: 60).list()
    assert (entry.kind, entry.candidate_id, entry.reason) == (
        "duplicate",
        store.find_work("PUB:W1"),
        "society work number",
    )


def test_another_sender_with_a_society_number_names_its_work(store: Store, tmp_path: Path) -> None:
    first = [*change(valid_work("W1", "FIRST WORK"), "NWR", iswc=""), SACEM1]
    other = [*change(valid_work("X1", "AUTRE TITRE"), "NWR", iswc=""), SACEM1]
    for sender, name, records in (("PUB", "a.V22", first), ("OTH", "b.V22", other)):
        CwrImporter(store, sender).import_file(
            CwrFile("2.2", sender).add("NWR", records).write(tmp_path, name)
        )
    assert store.find_work("OTH:X1") == store.find_work("PUB:W1") == store.find_work("058:SACEM1")
    assert store.count_works() == 1


# -- large files: the structure pass in a worker, beside the content pass ------------


@pytest.fixture
def structure_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    """Treat every file as large: the structure pass runs in a worker process, and
    the content pass has its transactions checked in worker processes."""
    monkeypatch.setattr(cwr, "PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(cwr, "worker_count", lambda: 1)
    monkeypatch.setattr(cwr, "BATCH", 10)
    monkeypatch.setenv("EXCHANGE_WORKERS", "2")
    monkeypatch.setattr(pipeline, "PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(pipeline, "CHUNK_TRANSACTIONS", 4)


def test_structure_ahead_imports_the_same(
    store: Store, tmp_path: Path, structure_ahead: None
) -> None:
    path = _big_file(tmp_path, 45)
    report = CwrImporter(store).import_file(path)
    assert (report.transactions, report.works_created, report.rejected) == (45, 45, 0)
    assert report.findings == []
    counts = _counts(store)
    assert counts["works"] == 45 and counts["claims"] == 90 and counts["numbers"] == 45
    assert CwrImporter(store).import_file(path).duplicate_of is not None


def test_structure_ahead_rejected_group_stores_nothing_of_it(
    store: Store, tmp_path: Path, structure_ahead: None
) -> None:
    cwr = CwrFile()
    for i in range(30):
        cwr.add("NWR", change(valid_work(f"W{i:03d}", f"WORK {i}"), "NWR", iswc=""))
    cwr.add("REV", change(valid_work("R001", "REVISED"), "NWR", iswc=""))
    lines = cwr.lines()
    grt = max(i for i, line in enumerate(lines) if line.startswith("GRT00001"))
    lines[grt] = lines[grt][:8] + "00000099" + lines[grt][16:]  # wrong count: NWR group rejected
    path = tmp_path / "CW260001PUB_052.V21"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="ascii")
    report = CwrImporter(store).import_file(path)
    assert (report.transactions, report.rejected, report.works_created) == (31, 30, 1)
    assert _counts(store)["works"] == 1  # only the REV group's work
    assert any(f.level == "GR" for f in report.findings)


def test_structure_ahead_file_rejected_stores_nothing(
    store: Store, tmp_path: Path, structure_ahead: None
) -> None:
    path = _big_file(tmp_path, 25)
    lines = path.read_bytes().split(b"\r\n")
    path.write_bytes(b"\r\n".join(lines[:-2]))  # no TRL
    report = CwrImporter(store).import_file(path)
    assert report.file_rejected and _counts(store)["works"] == 0
    again = CwrImporter(store).import_file(path)
    assert again.duplicate_of is not None


class _LatePool:
    """A pool whose structure result arrives only when the test says so."""

    def __init__(self) -> None:
        self.future: Future = Future()
        self.call: tuple = ()

    def submit(self, function, *args):
        self.call = (function, args)
        return self.future

    def deliver(self) -> None:
        function, args = self.call
        self.future.set_result(function(*args))


def test_batches_wait_uncommitted_for_the_structure(
    store: Store, tmp_path: Path, structure_ahead: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until the structure pass has spoken, nothing is committed: a crash loses it all."""
    path = _big_file(tmp_path, 40)
    pool = _LatePool()
    monkeypatch.setattr(cwr, "process_pool", lambda workers: pool)
    calls = {"n": 0}
    original = apply.Applier.apply

    def crashing(self, items):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("power cut")
        return original(self, items)

    monkeypatch.setattr(apply.Applier, "apply", crashing)
    with pytest.raises(RuntimeError):
        CwrImporter(store).import_file(path)
    assert _counts(store)["works"] == 0  # two batches written, none committed

    monkeypatch.setattr(apply.Applier, "apply", original)
    pool.future = Future()
    deliveries = {"n": 0}

    def counting(self, items):
        deliveries["n"] += 1
        if deliveries["n"] == 2:
            pool.deliver()  # the structure arrives while the content pass is under way
        return original(self, items)

    monkeypatch.setattr(apply.Applier, "apply", counting)
    report = CwrImporter(store).import_file(path)
    assert (report.transactions, report.works_created) == (40, 40)
    assert _counts(store)["works"] == 40


def test_a_dead_structure_worker_is_replaced_by_the_pass_here(
    store: Store, tmp_path: Path, structure_ahead: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _big_file(tmp_path, 25)
    pool = _LatePool()
    pool.future.set_exception(BrokenProcessPool("killed"))
    monkeypatch.setattr(cwr, "process_pool", lambda workers: pool)
    report = CwrImporter(store).import_file(path)
    assert (report.transactions, report.works_created) == (25, 25)
