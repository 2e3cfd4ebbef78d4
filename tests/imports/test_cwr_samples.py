"""Every real sample file validates without a crash, with findings a reader agrees with."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.imports.cwr import CwrImporter, validate_file
from exchange.store import Store
from tests.services import shared_dir
from tests.strategies import normalise

SAMPLES = shared_dir() / "data" / "samples"
CWR2 = sorted(
    p for p in SAMPLES.rglob("*") if p.is_file() and p.name != "README.md" and "_V3-" not in p.name
)


def _transactions_in(path: Path) -> int:
    """Transaction headers counted independently of the parser.

    In an ACK group only ACK records open transactions (the NWR/REV after them are
    echoes); elsewhere every transaction header record does.
    """
    count, group = 0, None
    headers = {"NWR", "REV", "ISW", "EXC", "ACK", "AGR"}
    for line in path.read_bytes().splitlines():
        kind = line[:3].decode("latin-1")
        if kind == "GRH":
            group = line[3:6].decode("latin-1")
        elif group is not None and (kind == "ACK" if group == "ACK" else kind in headers):
            count += 1
    return count


@pytest.mark.skipif(not CWR2, reason=f"sample files not found in {SAMPLES}")
@pytest.mark.parametrize("path", CWR2, ids=lambda p: p.name)
def test_sample_validates(path: Path) -> None:
    report = validate_file(path)
    assert report.transactions == _transactions_in(path)
    assert report.accepted + report.rejected == report.transactions
    for finding in report.findings:
        assert finding.level in ("ER", "GR", "TR", "RR", "FR", "WARN")
        assert finding.message


def _report(name: str):
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} missing")
    return validate_file(path)


def test_clean_publisher_file_is_accepted() -> None:
    report = _report("dmp-tests/CW220001DMP_000.V21")
    assert (report.transactions, report.accepted, report.file_rejected) == (1, 1, False)
    assert not [f for f in report.findings if f.level in ("ER", "GR", "TR")]


def test_invalid_twin_is_rejected() -> None:
    """The same work made invalid on purpose: a non-numeric writer share, an excluded SPT."""
    report = _report("dmp-tests/CW220004DMP_000.V21")
    assert report.rejected == 1 or any(f.level in ("TR", "FR") for f in report.findings)


def test_wrong_control_counts_are_reported() -> None:
    """The BMI-style ACK declares 5 transactions in its GRT where the group has 5... x10."""
    report = _report("dmp-tests/CW220001052_DMP.V21")
    counts = [f for f in report.findings if f.record in ("GRT", "TRL")]
    assert counts and all(f.level in ("GR", "ER") for f in counts)
    assert report.file_rejected


def test_sequence_errors_in_the_validator_test_file() -> None:
    report = _report("musicmetadata-edi/CW190001MPC_000.V21")
    assert report.file_rejected
    messages = " ".join(f.message for f in report.findings)
    assert "record sequence number" in messages
    assert "unknown record type 'ALX'" in messages


def _odd_file(folder: Path) -> Path:
    """A valid file made awkward: byte-order mark, blank lines, LF, an unknown record."""
    from tests.adapters.cwr.cwr_builder import CwrFile, change, valid_work

    cwr = CwrFile()
    for i in range(7):
        cwr.add("NWR", change(valid_work(f"W{i}", f"WORK {i}"), "NWR", iswc=""))
    lines = cwr.lines()
    lines.insert(5, "")
    lines.insert(9, "ZZZ0000000100000099")
    path = folder / "CW260001PUB_052.V21"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode("latin-1") + b"\n\n")
    return path


@pytest.mark.skipif(not CWR2, reason=f"sample files not found in {SAMPLES}")
def test_checking_in_worker_processes_finds_the_same(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Large files are checked by worker processes: same counts, same findings."""
    from adapters.cwr import pipeline

    files = [*CWR2, _odd_file(tmp_path)]
    monkeypatch.setenv("EXCHANGE_WORKERS", "0")
    here = [validate_file(path) for path in files]
    monkeypatch.setenv("EXCHANGE_WORKERS", "2")
    monkeypatch.setattr(pipeline, "PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(pipeline, "CHUNK_TRANSACTIONS", 3)
    there = [validate_file(path) for path in files]
    assert [r.as_dict(imported=False) for r in there] == [r.as_dict(imported=False) for r in here]


@pytest.mark.skipif(not CWR2, reason=f"sample files not found in {SAMPLES}")
def test_importing_in_worker_processes_stores_the_same(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Workers send back the records' values; the works mapped from them are the same."""
    from adapters.cwr import pipeline

    files = [*CWR2, _odd_file(tmp_path)]

    def imported(name: str) -> tuple[list[dict], list]:
        store = Store(f"sqlite:///{tmp_path / name}.db")
        store.init()
        importer = CwrImporter(store, "PUB")
        reports = [importer.import_file(path).as_dict(imported=True) for path in files]
        for report in reports:
            report.pop("duplicate_of")
        return reports, [normalise(work) for work in store.iter_works(store.work_ids())]

    monkeypatch.setenv("EXCHANGE_WORKERS", "0")
    here = imported("here")
    monkeypatch.setenv("EXCHANGE_WORKERS", "2")
    monkeypatch.setattr(pipeline, "PARALLEL_FROM_BYTES", 0)
    monkeypatch.setattr(pipeline, "CHUNK_TRANSACTIONS", 3)
    there = imported("there")
    assert here[1]  # the samples hold works
    assert there == here
