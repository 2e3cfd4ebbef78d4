"""Each CWR edit the validator implements, shown failing on a small file built in code."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.imports.cwr import validate_file
from exchange.imports.report import FileReport
from tests.adapters.cwr.cwr_builder import CwrFile, Rec, change, valid_work


def check(tmp_path: Path, records: list[Rec], version: str = "2.1") -> FileReport:
    return validate_file(CwrFile(version).add("NWR", records).write(tmp_path))


def edits(report: FileReport) -> set[str | None]:
    return {f.edit for f in report.findings}


def test_the_base_work_is_clean(tmp_path: Path) -> None:
    for version in ("2.1", "2.2"):
        report = check(tmp_path, valid_work(), version)
        assert report.accepted == 1, report.findings
        assert not report.findings


#: A work breaking each transaction rule, and the rule's edit.
BROKEN_WORKS = [
    (change(valid_work(), "SPU", pr_ownership_share=6000), "SPU-F-013"),
    (change(valid_work(), "SWR", pr_ownership_share=6000), "NWR-T-011"),
    (change(valid_work(), "SWR", pr_ownership_share=3000), "NWR-T-009"),
    (change(valid_work(), "SPT", pr_collection_share=6000), "NWR-T-014"),
    (change(valid_work(), "SWR", writer_designation_code="AR"), "NWR-T-015"),
    (
        change(
            valid_work(),
            "NWR",
            version_type="MOD",
            music_arrangement="ARR",
            lyric_adaptation="MOD",
        ),
        "NWR-T-010",
    ),
    (change(valid_work(), "NWR", text_music_relationship="MUS"), "NWR-T-045"),
    (change(valid_work(), "SPU", publisher_type="AM"), "SPU-F-019"),
    ([r for r in valid_work() if r[0] not in ("SWR", "SWT", "PWR")], "NWR-T-012"),
    ([r for r in valid_work() if r[0] != "SPT"], "NWR-T-007"),
]


@pytest.mark.parametrize(("records", "edit"), BROKEN_WORKS)
def test_transaction_rules(tmp_path: Path, records: list[Rec], edit: str) -> None:
    report = check(tmp_path, records)
    assert edit in edits(report), report.findings
    assert report.rejected == 1


@pytest.mark.parametrize(("records", "edit"), BROKEN_WORKS)
def test_a_sound_work_hides_no_broken_one(tmp_path: Path, records: list[Rec], edit: str) -> None:
    """Works of a shape found sound are not judged again: a broken work after sound ones
    (of its submitter, its parties) is still judged."""
    cwr = CwrFile().add("NWR", valid_work("W0001")).add("NWR", valid_work("W0002"))
    report = validate_file(cwr.add("NWR", records).add("NWR", valid_work("W0003")).write(tmp_path))
    assert edit in edits(report), report.findings
    assert (report.accepted, report.rejected) == (3, 1)


def test_original_work_may_not_have_an_arranger(tmp_path: Path) -> None:
    records = valid_work() + [
        (
            "SWR",
            {
                "interested_party_number": "W02",
                "writer_last_name": "ARRANGER",
                "writer_designation_code": "AR",
            },
        ),
    ]
    assert "NWR-T-023" in edits(check(tmp_path, records))


def test_two_original_publishers_in_a_chain(tmp_path: Path) -> None:
    records = valid_work()
    second = (
        "SPU",
        {
            **records[1][1],
            "interested_party_number": "P02",
            "pr_ownership_share": 0,
            "mr_ownership_share": 0,
            "sr_ownership_share": 0,
        },
    )
    records.insert(2, second)
    assert "NWR-T-017" in edits(check(tmp_path, records))


def test_chain_must_start_with_original_publisher(tmp_path: Path) -> None:
    records = change(
        valid_work(),
        "SPU",
        publisher_type="SE",
        pr_ownership_share=0,
        mr_ownership_share=0,
        sr_ownership_share=0,
    )
    report = check(tmp_path, records)
    assert "SPU-F-018" in edits(report)


def test_acquirer_after_owning_original_publisher(tmp_path: Path) -> None:
    records = valid_work()
    acquirer = (
        "SPU",
        {
            **records[1][1],
            "interested_party_number": "P02",
            "publisher_type": "AQ",
            "pr_ownership_share": 0,
            "mr_ownership_share": 0,
            "sr_ownership_share": 0,
        },
    )
    records.insert(3, acquirer)
    assert "NWR-T-026" in edits(check(tmp_path, records))


def test_collection_with_territory_hierarchy(tmp_path: Path) -> None:
    """World 50% plus Europe 60% overlap in France: 110% there."""
    records = valid_work()
    extra = [
        (
            "SPU",
            {
                "publisher_sequence": 2,
                "interested_party_number": "P09",
                "publisher_name": "OTHER",
                "publisher_type": "E",
            },
        ),
        (
            "SPT",
            {
                "interested_party_number": "P09",
                "pr_collection_share": 1000,
                "inclusion_exclusion_indicator": "I",
                "tis_code": "2120",
                "territory_sequence": 1,
            },
        ),
    ]
    records[3:3] = extra
    report = check(tmp_path, records)
    assert "NWR-T-014" in edits(report)
    # ... and excluding Europe from the first chain makes it fit again.
    records.insert(
        3,
        (
            "SPT",
            {
                "interested_party_number": "P01",
                "inclusion_exclusion_indicator": "E",
                "tis_code": "2120",
                "territory_sequence": 2,
            },
        ),
    )
    assert "NWR-T-014" not in edits(check(tmp_path, records))


def test_detail_record_not_allowed_is_dropped(tmp_path: Path) -> None:
    records = valid_work() + [
        (
            "XRF",
            {
                "organisation_code": "052",
                "identifier": "X1",
                "identifier_type": "W",
                "validity": "Y",
            },
        )
    ]
    report = check(tmp_path, records, "2.2")
    assert not report.findings
    report = check(tmp_path, [*valid_work(), ("SPU", valid_work()[1][1])], "2.2")
    assert "NWR-T-043" in edits(report)


def test_structure_rules(tmp_path: Path) -> None:
    path = CwrFile().add("NWR", valid_work()).write(tmp_path)
    lines = path.read_bytes().split(b"\r\n")
    # a wrong GRT transaction count rejects the group, a wrong TRL count the file
    bad = list(lines)
    bad[-3] = bad[-3][:8] + b"00000009" + bad[-3][16:]
    path.write_bytes(b"\r\n".join(bad))
    report = validate_file(path)
    assert "GRT-F-002" in edits(report)
    # a record sequence gap rejects the file
    bad = list(lines)
    bad[4] = bad[4][:11] + b"00000009" + bad[4][19:]
    path.write_bytes(b"\r\n".join(bad))
    report = validate_file(path)
    assert report.file_rejected
    # the file does not start with HDR
    path.write_bytes(b"\r\n".join(lines[1:]))
    assert validate_file(path).file_rejected
    # cut short: no TRL
    path.write_bytes(b"\r\n".join(lines[:-2]))
    report = validate_file(path)
    assert report.file_rejected and any("TRL" in f.message for f in report.findings)


def test_tolerant_reading(tmp_path: Path) -> None:
    """LF endings, no final line end, trailing blanks cut, a byte-order mark: all fine."""
    path = CwrFile().add("NWR", valid_work()).write(tmp_path)
    lines = [line.rstrip() for line in path.read_bytes().split(b"\r\n") if line]
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines))
    report = validate_file(path)
    assert report.accepted == 1 and not report.findings
