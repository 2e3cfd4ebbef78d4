"""Tolerant reading of CWR files as senders deliver them (docs/cwr.md, "Reading: tolerant").

The same valid file, written in the ways real files differ (line ends, cut trailing
blanks, a byte-order mark, a zip package, short control records), must validate
exactly like the canonical one; broken packages give an operator error, not a
traceback; the HDR decides the character set and the version.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.cwr.parser import CwrParser
from adapters.cwr.source import BOM, CwrSource, encoding_of_header
from exchange.errors import ExchangeError
from exchange.imports.cwr import validate_file
from exchange.imports.report import FileReport
from tests.adapters.cwr.cwr_builder import CwrFile, change, valid_work

NAME = {"2.1": "CW260001PUB_052.V21", "2.2": "CW260001PUB_052.V22"}
CHARSET = slice(86, 101)  # HDR character set, positions 87-101


def _lines(version: str) -> list[str]:
    return CwrFile(version).add("NWR", valid_work()).lines()


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _counts(report: FileReport) -> tuple[object, ...]:
    return (
        report.version,
        report.transactions,
        report.accepted,
        report.rejected,
        report.file_rejected,
        report.findings_total,
    )


def _crlf(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def _zipped(folder: Path, member: str, data: bytes) -> Path:
    path = folder / "CW260001PUB_052.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, data)
    return path


VARIANTS: dict[str, Callable[[Path, str, list[str]], Path]] = {
    "crlf": lambda d, v, lines: _write(d, NAME[v], _crlf(lines)),
    "lf": lambda d, v, lines: _write(d, NAME[v], ("\n".join(lines) + "\n").encode("latin-1")),
    "no-final-line-end": lambda d, v, lines: _write(
        d, NAME[v], "\r\n".join(lines).encode("latin-1")
    ),
    "trailing-blanks-cut": lambda d, v, lines: _write(
        d, NAME[v], _crlf([line.rstrip(" ") for line in lines])
    ),
    "utf8-bom": lambda d, v, lines: _write(d, NAME[v], BOM + _crlf(lines)),
    "zip": lambda d, v, lines: _zipped(d, NAME[v], _crlf(lines)),
    "short-grh-grt": lambda d, v, lines: _write(
        d,
        NAME[v],
        _crlf(
            [
                line[:16] if line.startswith("GRH") else line[:24] if line[:3] == "GRT" else line
                for line in lines
            ]
        ),
    ),
}


@pytest.mark.parametrize("version", ["2.1", "2.2"])
def test_the_canonical_file_is_clean(tmp_path: Path, version: str) -> None:
    report = validate_file(_write(tmp_path, NAME[version], _crlf(_lines(version))))
    assert _counts(report) == (version, 1, 1, 0, False, 0), report.findings


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("version", ["2.1", "2.2"])
def test_tolerant_reading_gives_the_same_result(tmp_path: Path, version: str, variant: str) -> None:
    lines = _lines(version)
    canonical = validate_file(_write(tmp_path, "canonical_" + NAME[version], _crlf(lines)))
    folder = tmp_path / variant
    folder.mkdir()
    path = VARIANTS[variant](folder, version, lines)
    report = validate_file(path)
    assert _counts(report) == _counts(canonical) == (version, 1, 1, 0, False, 0)
    assert report.findings == []


def test_the_variants_really_differ(tmp_path: Path) -> None:
    """Guard the test itself: each variant but CRLF writes other bytes than the canonical file."""
    lines = _lines("2.1")
    canonical = _crlf(lines)
    for variant, write in VARIANTS.items():
        if variant == "crlf":
            continue
        folder = tmp_path / variant
        folder.mkdir()
        assert write(folder, "2.1", lines).read_bytes() != canonical, variant
    short = VARIANTS["short-grh-grt"](tmp_path, "2.1", lines).read_bytes().split(b"\r\n")
    assert [len(x) for x in short if x[:3] in (b"GRH", b"GRT")] == [16, 24]


def test_a_zip_package_reads_its_cwr_member(tmp_path: Path) -> None:
    path = _zipped(tmp_path, NAME["2.1"], _crlf(_lines("2.1")))
    source = CwrSource(path)
    assert source.member == NAME["2.1"]
    assert source.name == NAME["2.1"]
    assert validate_file(path).file == NAME["2.1"]


def test_an_empty_zip_is_an_operator_error(tmp_path: Path) -> None:
    path = tmp_path / "CW260001PUB_052.zip"
    with zipfile.ZipFile(path, "w"):
        pass
    with pytest.raises(ExchangeError, match="empty"):
        validate_file(path)


def test_a_zip_without_a_cwr_member_is_an_operator_error(tmp_path: Path) -> None:
    path = _zipped(tmp_path, "readme.txt", b"works for June, see the attached file\r\n")
    with pytest.raises(ExchangeError):
        validate_file(path)


def test_a_missing_file_is_an_operator_error(tmp_path: Path) -> None:
    with pytest.raises(ExchangeError, match="no such file"):
        validate_file(tmp_path / "CW260001PUB_052.V21")


# -- character set -------------------------------------------------------------------


def _accented(version: str, charset: str) -> bytes:
    """The valid file with the writer named MÜLLER, HDR declaring ``charset``, as UTF-8."""
    work = change(valid_work(), "SWR", writer_last_name="MÜLLER")
    lines = CwrFile(version).add("NWR", work).lines()
    lines[0] = lines[0][: CHARSET.start] + charset.ljust(15) + lines[0][CHARSET.stop :]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _writer(path: Path) -> dict[str, str]:
    parser = CwrParser(CwrSource(path))
    for tx in parser.transactions():
        for record in tx.records:
            if record.type == "SWR":
                return record.values
    raise AssertionError("no SWR record")


@pytest.mark.parametrize("version", ["2.1", "2.2"])
def test_a_utf8_declaration_reads_accented_names(tmp_path: Path, version: str) -> None:
    path = _write(tmp_path, NAME[version], _accented(version, "UTF-8"))
    assert encoding_of_header(path.read_bytes().split(b"\r\n")[0]) == "utf-8"
    writer = _writer(path)
    assert writer["writer_last_name"] == "MÜLLER"
    # the fields after the name are not shifted by the two-byte Ü
    assert writer["writer_first_name"] == "TEST"
    assert writer["ipi_name_number"] == "00014107338"
    assert writer["pr_ownership_share"] == "05000"


@pytest.mark.parametrize("version", ["2.1", "2.2"])
def test_without_a_declaration_the_same_bytes_are_latin1(tmp_path: Path, version: str) -> None:
    path = _write(tmp_path, NAME[version], _accented(version, ""))
    assert encoding_of_header(path.read_bytes().split(b"\r\n")[0]) == "latin-1"
    writer = _writer(path)
    assert writer["writer_last_name"] == "MÜLLER".encode().decode("latin-1")  # 'MÃ\x9cLLER'


@pytest.mark.parametrize(
    ("charset", "encoding"),
    [
        ("UTF-8", "utf-8"),
        ("UNICODE", "utf-8"),
        ("utf8", "utf-8"),
        ("", "latin-1"),
        ("BIG5", "latin-1"),
        ("GB", "latin-1"),
    ],
)
def test_encoding_of_header(charset: str, encoding: str) -> None:
    header = _lines("2.1")[0]
    header = header[: CHARSET.start] + charset.ljust(15) + header[CHARSET.stop :]
    assert encoding_of_header(header.encode("latin-1")) == encoding


# -- version ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", [NAME["2.2"], NAME["2.1"], "works.txt"])
def test_a_22_file_is_detected_by_its_header(tmp_path: Path, name: str) -> None:
    lines = _lines("2.2")
    assert lines[0][101:104] == "2.2"
    report = validate_file(_write(tmp_path, name, _crlf(lines)))
    assert report.version == "2.2"
    assert (report.transactions, report.accepted, report.file_rejected) == (1, 1, False)


def test_a_21_file_is_21(tmp_path: Path) -> None:
    report = validate_file(_write(tmp_path, NAME["2.1"], _crlf(_lines("2.1"))))
    assert report.version == "2.1"
