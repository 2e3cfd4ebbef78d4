"""``exchange validate`` and ``exchange import`` on bad CWR input: the same verdict, never a
traceback, one clear finding where a file cannot be read at all."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.cwr.layout import layouts
from adapters.cwr.parser import MAX_FILE_ERRORS
from exchange.cli import main
from exchange.store import Store
from tests.adapters.cwr.cwr_builder import CwrFile, change, put, valid_work, write_lines
from tests.services import shared_dir

SAMPLES = shared_dir() / "data" / "samples"
#: Characters that ``str.isdigit`` takes for digits and ``int()`` refuses or reads:
#: superscripts (Latin-1 B2, B3, B9), Arabic-Indic three, fullwidth five.
LATIN1_DIGITS = "\u00b2\u00b3\u00b9"
OTHER_DIGITS = "\u0663\uff15\u09e9"
COUNTS = ("transactions", "accepted", "rejected")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    """The exit code and the JSON document of one command (``--json`` added)."""
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return exit_info.value.code, json.loads(out)


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with Store(url) as store:
        store.init()
    return url


def fresh_copy(db: str, path: Path) -> str:
    """An initialised store of its own, copied from the empty one (faster than init)."""
    shutil.copy(db.removeprefix("sqlite:///"), path)
    return f"sqlite:///{path}"


def two_works() -> list[str]:
    return CwrFile().add("NWR", valid_work()).add("NWR", valid_work("W0002")).lines()


def both(capsys: pytest.CaptureFixture[str], db: str, path: Path) -> tuple[dict, dict]:
    """The file's reports from validate and from import; their exit codes agree."""
    code_v, validated = run(capsys, "validate", str(path))
    code_i, imported = run(capsys, "--db", db, "import", str(path))
    assert code_v == code_i, (validated, imported)
    assert code_v in (0, 1, 2)
    return validated["files"][0], imported["files"][0]


def counts(report: dict) -> tuple[int, int, int]:
    return tuple(report[k] for k in COUNTS)


# -- issue 15: numeric means ASCII 0-9 ------------------------------------------------

#: (record, field, the edit expected, or None when the layout's own digits rule answers)
NUMERIC_FIELDS = [
    ("SPU", "pr_ownership_share", "SPU-F-013"),
    ("SWR", "pr_ownership_share", "SWR-F-011"),
    ("SPT", "pr_collection_share", "SPT-F-006"),
    ("GRT", "transaction_count", "GRT-F-002"),
    ("GRT", "record_count", "GRT-F-003"),
    ("GRT", "group_id", "GRT-F-001"),
    ("GRH", "group_id", "GRH-F-002"),
    ("GRH", "batch_request", None),
    ("GRT", "total_monetary_value", None),
    ("TRL", "group_count", "TRL-F-001"),
    ("TRL", "transaction_count", "TRL-F-002"),
    ("TRL", "record_count", "TRL-F-003"),
    ("HDR", "creation_date", "HDR-F-010"),
    ("HDR", "creation_time", None),
    ("NWR", "duration", "NWR-F-008"),
    ("NWR", "copyright_date", None),
    ("SPU", "publisher_sequence", None),
    ("SPT", "territory_sequence", None),
    ("SWR", "personal_number", None),
    ("SPU", "pr_society", "SPU-F-012"),
    ("SPT", "tis_code", "SPT-F-009"),
]


@pytest.mark.parametrize("char", LATIN1_DIGITS)
@pytest.mark.parametrize(("record", "field", "edit"), NUMERIC_FIELDS)
def test_a_non_ascii_digit_is_a_finding_at_its_field(
    capsys: pytest.CaptureFixture[str],
    db: str,
    tmp_path: Path,
    record: str,
    field: str,
    edit: str | None,
    char: str,
) -> None:
    lines, line = put(two_works(), record, field, char)
    path = write_lines(tmp_path / "CW260001PUB_052.V21", lines)
    for report in both(capsys, db, path):
        hits = [
            f
            for f in report["findings"]
            if f["line"] == line and f["record"] == record and f["field"] == field
        ]
        assert hits, report["findings"]
        assert char in hits[0]["value"]
        if edit is not None:
            assert hits[0]["edit"] == edit
        assert report["rejected"] + report["accepted"] == report["transactions"] == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("transaction_sequence", "0000000\u00b2"),
        ("record_sequence", "0000000\u00b3"),
    ],
)
def test_a_non_ascii_digit_in_a_prefix_rejects_the_file(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, field: str, value: str
) -> None:
    lines, line = put(two_works(), "SPU", field, value)
    path = write_lines(tmp_path / "CW260001PUB_052.V21", lines)
    for report in both(capsys, db, path):
        assert counts(report) == (2, 0, 2)
        hits = [f for f in report["findings"] if f["line"] == line]
        assert [f for f in hits if f["edit"] == "FIL-F-008" and f["field"] == field]
        assert [f for f in hits if f["value"] == value.encode("latin-1").decode("latin-1")]


ACK_FIELDS = [
    ("original_group_id", "\u00b2"),
    ("original_transaction_sequence", "\u00b3"),
    ("processing_date", "2020\u00b9"),
    ("creation_date", "\u00b2"),
]


@pytest.mark.parametrize(("field", "value"), ACK_FIELDS)
def test_a_non_ascii_digit_in_an_ack_is_a_finding(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, field: str, value: str
) -> None:
    sample = (SAMPLES / "dmp-tests" / "CW220001000_DMP.V21").read_bytes().decode("latin-1")
    lines, line = put(sample.splitlines(), "ACK", field, value)
    path = write_lines(tmp_path / "CW220001000_DMP.V21", lines)
    for report in both(capsys, db, path):
        assert report["format"] == "ack"
        assert [f for f in report["findings"] if f["line"] == line and f["field"] == field]
        assert counts(report) == (2, 2, 0)  # the answers are taken all the same


def _numeric_places(lines: list[str]) -> list[tuple[int, int]]:
    """(line index, character position) of every digit in an N, D or T field."""
    places = []
    for i, line in enumerate(lines):
        layout = layouts("2.1").get(line[:3])
        if layout is None:
            continue
        for f in layout.fields:
            if f.type in "NDT":
                places += [(i, p) for p in range(f.offset, min(f.end, len(line)))]
    return places


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), utf8=st.booleans())
def test_random_non_ascii_digits_never_crash(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, data: st.DataObject, utf8: bool
) -> None:
    lines = two_works()
    if utf8:
        lines, _ = put(lines, "HDR", "character_set", "UTF-8")
    places = _numeric_places(lines)
    chosen = data.draw(st.lists(st.sampled_from(places), min_size=1, max_size=6, unique=True))
    digits = LATIN1_DIGITS + (OTHER_DIGITS if utf8 else "")
    for i, position in chosen:
        char = data.draw(st.sampled_from(digits))
        lines[i] = lines[i][:position] + char + lines[i][position + 1 :]
    folder = tmp_path / f"case{next(_cases)}"
    folder.mkdir()
    path = write_lines(folder / "CW260001PUB_052.V21", lines, "utf-8" if utf8 else "latin-1")
    validated, imported = both(capsys, fresh_copy(db, folder / "store.db"), path)
    assert counts(validated) == counts(imported)
    assert validated["findings"], "a bad digit always says where"


_cases = itertools.count()


# -- issue 14: validate and import agree -----------------------------------------------


def _bad_files(folder: Path) -> list[Path]:
    good = CwrFile().add("NWR", valid_work()).add("NWR", valid_work("W0002"))
    made = []

    def keep(name: str, lines: list[str]) -> None:
        made.append(write_lines(folder / f"CW26{len(made):04d}PUB_052.V21", lines))
        assert name

    lines = good.lines()
    keep("file level: the TRL count", put(lines, "TRL", "record_count", "00000099")[0])
    keep("file level: no TRL", lines[:-1])
    keep("group level: the GRT count", put(lines, "GRT", "transaction_count", "00000009")[0])
    two_groups = CwrFile().add("NWR", valid_work()).add("REV", valid_work("W0002")).lines()
    keep("one group of two rejected", put(two_groups, "GRT", "record_count", "00000001")[0])
    bad_share = CwrFile().add("NWR", change(valid_work(), "SPU", pr_ownership_share=9000))
    keep("a transaction rejected", bad_share.add("NWR", valid_work("W0002")).lines())
    keep("a record cut short", [*lines[:3], lines[3][:60], *lines[4:]])
    flood = [f"XXX{n:016d}" for n in range(MAX_FILE_ERRORS + 100)]
    keep("reading stopped inside a transaction", [*lines[:3], *flood, *lines[3:]])
    return made


def test_validate_counts_as_import_does(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    files = _bad_files(tmp_path)
    samples = sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.name != "README.md")
    assert len(samples) >= 10
    for n, path in enumerate(files + samples):
        validated, imported = both(capsys, fresh_copy(db, tmp_path / f"{n}.db"), path)
        assert counts(validated) == counts(imported), path.name
    # a rejected file accepts nothing, in either
    validated, _ = both(capsys, fresh_copy(db, tmp_path / "again.db"), files[0])
    assert validated["accepted"] == 0 and validated["rejected"] == 2


@pytest.mark.parametrize(
    ("record", "cut", "field"),
    [
        ("NWR", 100, "musical_work_distribution_category"),  # before a mandatory field
        ("SPU", 118, "pr_ownership_share"),  # inside a share
        ("SPT", 36, "pr_collection_share"),
        ("SPT", 50, "tis_code"),
    ],
)
def test_a_record_cut_short_is_one_finding(
    capsys: pytest.CaptureFixture[str],
    db: str,
    tmp_path: Path,
    record: str,
    cut: int,
    field: str,
) -> None:
    lines = two_works()
    index = next(i for i, line in enumerate(lines) if line.startswith(record))
    lines[index] = lines[index][:cut]
    path = write_lines(tmp_path / "CW260001PUB_052.V21", lines)
    expected = layouts("2.1")[record].length
    for report in both(capsys, db, path):
        assert counts(report) == (2, 1, 1)
        found = [f for f in report["findings"] if f["level"] != "WARN"]
        assert len(found) == 1, found
        assert found[0]["edit"] == "FIL-F-009" and found[0]["line"] == index + 1
        assert found[0]["record"] == record and found[0]["field"] == field
        assert f"{cut} characters long, expected {expected}" in found[0]["message"]


def test_a_record_longer_than_its_layout_is_one_finding(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    lines = two_works()
    index = next(i for i, line in enumerate(lines) if line.startswith("SWR"))
    lines[index] = lines[index][:40] + "SHIFT" + lines[index][40:]
    path = write_lines(tmp_path / "CW260001PUB_052.V21", lines)
    for report in both(capsys, db, path):
        assert counts(report) == (2, 1, 1)
        found = [f for f in report["findings"] if f["level"] != "WARN"]
        assert [f["edit"] for f in found] == ["FIL-F-009"]
        assert "185 characters long, expected 180" in found[0]["message"]


def test_trailing_blanks_cut_and_beyond_are_tolerated(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    lines = [line.rstrip() if line[:3] not in ("GRT", "TRL") else line for line in two_works()]
    lines = [line + "   " if line.startswith("SWT") else line for line in lines]
    path = write_lines(tmp_path / "CW260001PUB_052.V21", lines)
    for report in both(capsys, db, path):
        assert counts(report) == (2, 2, 0)
        assert not [f for f in report["findings"] if f["edit"] == "FIL-F-009"]


@pytest.mark.parametrize("drop", ["GRT", "GRT+TRL"])
def test_a_group_without_grt_names_its_edit(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, drop: str
) -> None:
    lines = [line for line in two_works() if line[:3] not in drop.split("+")]
    path = write_lines(tmp_path / "CW260001PUB_052.V21", lines)
    for report in both(capsys, db, path):
        assert counts(report) == (2, 0, 2)
        no_grt = [f for f in report["findings"] if "has no GRT" in f["message"]]
        assert len(no_grt) == 1 and no_grt[0]["edit"] == "FIL-E-004"


# -- issue 14: versions are named, not guessed -----------------------------------------


@pytest.mark.parametrize(
    "sample",
    [
        "dmp-tests/CW220002DMP_0000_V3-0-0.SUB",
        "dmp-tests/CW220003DMP_0000_V3-0-0.ISR",
        "musicmetadata-edi/CW190008MPC_0000_V3-0-0.ISR",
    ],
)
def test_a_cwr_3_file_is_one_finding(
    capsys: pytest.CaptureFixture[str], db: str, sample: str
) -> None:
    for report in both(capsys, db, SAMPLES / sample):
        assert report["version"] == "3.0"
        assert len(report["findings"]) == 1
        assert report["findings"][0]["edit"] == "FIL-E-009"
        assert "not handled yet" in report["error"]
    code, _ = run(capsys, "validate", str(SAMPLES / sample))
    assert code == 2


@pytest.mark.parametrize(
    ("name", "version"),
    [("CW260001PUB_0000_V3-1-0.SUB", "3.1"), ("CW260001PUB_052.V31", "3.1")],
)
def test_a_cwr_3_file_is_known_by_its_name(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, name: str, version: str
) -> None:
    lines = [line[:101] if line.startswith("HDR") else line for line in two_works()]
    path = write_lines(tmp_path / name, lines)  # a HDR without a version field
    for report in both(capsys, db, path):
        assert report["version"] == version
        assert [f["edit"] for f in report["findings"]] == ["FIL-E-009"]


def test_a_v22_file_whose_version_cannot_be_read_is_read_as_22(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    lines = CwrFile(version="2.2").add("NWR", valid_work()).lines()
    lines, _ = put(lines, "HDR", "version", "2,2", "2.2")
    path = write_lines(tmp_path / "CW260001PUB_052.V22", lines)
    for report in both(capsys, db, path):
        assert report["version"] == "2.2"
        assert [(f["edit"], f["value"]) for f in report["findings"]] == [("FIL-E-009", "2,2")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"\r\n\r\n", "the file is empty"),
        (bytes(range(256)) * 8, "not a CWR file"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not a CWR file"),
    ],
)
def test_empty_and_binary_files_exit_2_with_one_message(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "CW260001PUB_052.V21"
    path.write_bytes(content)
    for report in both(capsys, db, path):
        assert message in report["error"]
        assert len(report["findings"]) == 1
    code, document = run(capsys, "validate", str(path))
    assert code == 2 and document["files"][0]["error"]
    # importing it again says the same
    code, document = run(capsys, "--db", db, "import", str(path))
    assert code == 2 and message in document["files"][0]["error"]
    # the text output is one line
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", str(path)])
    out, _ = capsys.readouterr()
    assert exit_info.value.code == 2 and len(out.strip().splitlines()) == 1
