"""Broken, oversized and hostile CWR files: one clear message each, in bounded time
and memory, for ``validate`` and ``import`` (exit 2, or 1 with a finding), nothing stored.

The zip packages are damaged in code, the way disks and transfers damage them: a
flipped byte (bad CRC, corrupt deflate data), a central directory cut off or
pointing astray, a member shorter than its headers say.
"""

from __future__ import annotations

import json
import random
import struct
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pytest

from adapters.cwr import parser as cwr_parser
from adapters.cwr import source as cwr_source
from exchange.store import Store
from tests.adapters.cwr.cwr_builder import CwrFile, valid_work
from tests.test_cli import run

MEMBER = "CW260001PUB_052.V21"


def _cwr(works: int = 30) -> bytes:
    cwr = CwrFile()
    for i in range(works):
        cwr.add("NWR", valid_work(f"W{i:04d}", f"SONG NUMBER {i}"))
    return ("\r\n".join(cwr.lines()) + "\r\n").encode("latin-1")


def _zip(data: bytes, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr(MEMBER, data)
    return buffer.getvalue()


def _central_directory(package: bytes) -> int:
    """Where the central directory starts (from the end record, no comment)."""
    return struct.unpack_from("<I", package, len(package) - 22 + 16)[0]


def _data_start(package: bytes) -> int:
    """Where the first member's compressed data start."""
    name, extra = struct.unpack_from("<HH", package, 26)
    return 30 + name + extra


def _set_sizes(package: bytes, compressed: int | None = None, size: int | None = None) -> bytes:
    """The package with the first member's sizes changed in both of its headers."""
    changed = bytearray(package)
    directory = _central_directory(package)
    for value, local, central in ((compressed, 18, 20), (size, 22, 24)):
        if value is not None:
            struct.pack_into("<I", changed, local, value)
            struct.pack_into("<I", changed, directory + central, value)
    return bytes(changed)


def _flipped(package: bytes, at: int) -> bytes:
    changed = bytearray(package)
    changed[at] ^= 0xFF
    return bytes(changed)


def bad_crc() -> bytes:
    """A stored member with one byte changed: the CRC-32 check fails."""
    package = _zip(_cwr(), zipfile.ZIP_STORED)
    return _flipped(package, _data_start(package) + 1000)


def corrupt_deflate() -> bytes:
    """A deflated member with one byte changed: the compressed data do not inflate."""
    package = _zip(_cwr())
    return _flipped(package, _data_start(package) + 200)


def bad_central_directory() -> bytes:
    """The central directory's record of the member says it starts elsewhere."""
    package = bytearray(_zip(_cwr()))
    struct.pack_into("<I", package, _central_directory(package) + 42, 7)
    return bytes(package)


def cut_short() -> bytes:
    """Half of the package: its central directory (at the end) is gone."""
    package = _zip(_cwr())
    return package[: len(package) // 2]


def truncated_member() -> bytes:
    """The member's compressed data end before its deflate stream does."""
    package = _zip(_cwr())
    start = _data_start(package)
    compressed = struct.unpack_from("<I", package, 18)[0]
    cut = compressed // 2
    directory = _central_directory(package)
    shortened = _set_sizes(package, compressed=cut)
    rest = bytearray(shortened[directory:])
    struct.pack_into("<I", rest, len(rest) - 22 + 16, start + cut)
    return shortened[: start + cut] + bytes(rest)


def member_past_the_end() -> bytes:
    """The headers give the member more bytes than the file holds (an EOFError, once
    mistaken for Ctrl-C: "aborted", exit 130)."""
    package = _zip(_cwr(), zipfile.ZIP_STORED)
    compressed = struct.unpack_from("<I", package, 18)[0]
    return _set_sizes(package, compressed=compressed * 3, size=compressed * 3)


def lying_size() -> bytes:
    """The member inflates to more than its declared size: reading stops there."""
    package = _zip(_cwr())
    return _set_sizes(package, size=struct.unpack_from("<I", package, 22)[0] // 2)


DAMAGED: dict[str, Callable[[], bytes]] = {
    "bad-crc": bad_crc,
    "corrupt-deflate": corrupt_deflate,
    "bad-central-directory": bad_central_directory,
    "cut-short": cut_short,
    "truncated-member": truncated_member,
    "member-past-the-end": member_past_the_end,
    "lying-size": lying_size,
}


def _exchange(capsys, tmp_path: Path, command: str, path: Path) -> tuple[int, dict, str]:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    Store(db).init()
    partner = ["--partner", "PUB"] if command == "import" else []
    code, out, err = run(capsys, "--db", db, "--json", command, *partner, str(path))
    if code == 2:  # unreadable: nothing stored, not even a ledger entry
        assert Store(db).work_ids() == [] and Store(db).ledger() == []
    return code, json.loads(out), err


@pytest.mark.parametrize("command", ["validate", "import"])
@pytest.mark.parametrize("damage", sorted(DAMAGED))
def test_a_damaged_zip_package_is_one_error_naming_the_file(
    capsys, tmp_path: Path, damage: str, command: str
) -> None:
    package = DAMAGED[damage]()
    assert package != _zip(_cwr())
    path = tmp_path / "CW260001PUB_052.zip"
    path.write_bytes(package)
    code, answer, err = _exchange(capsys, tmp_path, command, path)
    [failed] = answer["files"]
    assert code == 2, failed
    assert failed["file"] == str(path)
    assert failed["error"].startswith(f"{path}: a damaged zip package")
    assert "internal error" not in err and "aborted" not in err


def test_without_json_a_damaged_package_is_one_line(capsys, tmp_path: Path) -> None:
    path = tmp_path / "CW260001PUB_052.zip"
    path.write_bytes(member_past_the_end())
    code, out, err = run(capsys, "validate", str(path))
    assert code == 2
    [said] = (out + err).strip().splitlines()
    assert "damaged zip package" in said and "cut short" in said and str(path) in said


def test_a_member_declared_larger_than_allowed_is_refused_unread(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cwr_source, "MAX_MEMBER_BYTES", 100_000)
    path = tmp_path / "CW260001PUB_052.zip"
    path.write_bytes(_zip(_cwr(200)))
    code, answer, _ = _exchange(capsys, tmp_path, "validate", path)
    assert code == 2
    assert "would inflate to" in answer["files"][0]["error"]
    assert "more than the 100,000 allowed" in answer["files"][0]["error"]


@pytest.mark.parametrize("command", ["validate", "import"])
def test_a_zip_bomb_is_refused_by_its_ratio(capsys, tmp_path: Path, command: str) -> None:
    """20 MB of blanks in one line-less member deflate about a thousand times."""
    path = tmp_path / "CW260001PUB_052.zip"
    path.write_bytes(_zip(b" " * 20_000_000))
    code, answer, _ = _exchange(capsys, tmp_path, command, path)
    assert code == 2
    error = answer["files"][0]["error"]
    assert "zip bomb" in error and f"more than {cwr_source.MAX_RATIO} times" in error


def test_a_compressible_but_real_file_passes_the_ratio(tmp_path: Path) -> None:
    package = _zip(_cwr(2000))
    [info] = zipfile.ZipFile(BytesIO(package)).infolist()
    assert info.file_size > 20 * info.compress_size  # as repetitive as real files get
    path = tmp_path / "CW260001PUB_052.zip"
    path.write_bytes(package)
    assert cwr_source.CwrSource(path).member == MEMBER


@pytest.mark.parametrize("zipped", [False, True])
def test_a_line_of_a_megabyte_is_refused_without_reading_it_whole(
    capsys, tmp_path: Path, zipped: bool
) -> None:
    lines = _cwr(2).split(b"\r\n")
    lines.insert(3, b"SWR" + bytes(random.Random(4).choices(b"0123456789", k=1_000_000)))
    data = b"\r\n".join(lines)
    path = tmp_path / ("CW260001PUB_052.zip" if zipped else MEMBER)
    path.write_bytes(_zip(data) if zipped else data)
    code, answer, _ = _exchange(capsys, tmp_path, "import", path)
    assert code == 2
    error = answer["files"][0]["error"]
    assert error.startswith(str(path)) and "line 4 is longer than 65,536 bytes" in error


def test_the_longest_record_is_far_below_the_line_limit() -> None:
    from adapters.cwr.layout import layouts

    longest = max(
        f.start + f.length - 1
        for version in ("2.1", "2.2")
        for layout in layouts(version).values()
        for f in layout
    )
    assert 4 * longest < cwr_source.MAX_LINE_BYTES


def _groups(count: int) -> bytes:
    """A file of ``count`` empty NWR groups (each after the first is rejected)."""
    lines = _cwr(1).split(b"\r\n")
    header, first_group, trailer = lines[0], lines[1:-2], lines[-2]
    grh, grt = first_group[0], first_group[-1]
    more = [grh[:3] + grh[3:8] + b"%05d" % n + grh[13:] for n in range(2, count + 1)]
    body = list(first_group)
    for line in more:
        body += [line, grt]
    return b"\r\n".join([header, *body, trailer]) + b"\r\n"


def test_a_flood_of_groups_is_rejected_at_the_limit(capsys, tmp_path: Path) -> None:
    path = tmp_path / MEMBER
    path.write_bytes(_groups(20_000))
    code, answer, _ = _exchange(capsys, tmp_path, "validate", path)
    [report] = answer["files"]
    assert code == 1
    last = report["findings"][-1]
    assert last["level"] == "ER" and last["message"] == (
        f"more than {cwr_parser.MAX_GROUPS} groups (one per transaction type is allowed): "
        "nothing more is read"
    )
    assert report["findings"][-1]["line"] < 1000  # not read to the end


def test_a_flood_of_errors_stops_the_reading(capsys, tmp_path: Path) -> None:
    lines = _cwr(1).split(b"\r\n")
    garbage = [b"XXX%016d" % n for n in range(50_000)]
    path = tmp_path / MEMBER
    path.write_bytes(b"\r\n".join([*lines[:-2], *garbage, *lines[-2:]]))
    code, answer, _ = _exchange(capsys, tmp_path, "import", path)
    [report] = answer["files"]
    assert code == 1
    findings = report["findings"]
    assert len(findings) == cwr_parser.MAX_FILE_ERRORS + 1
    assert findings[-1]["message"] == (
        f"{cwr_parser.MAX_FILE_ERRORS:,} errors that reject the file: nothing more is read"
    )


def test_an_escaped_eof_error_is_not_taken_for_ctrl_c(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """click turns EOFError into Abort, as it does Ctrl-C: exit 70 (a bug), not 130."""

    def cut_short(_path: Path) -> str:
        raise EOFError("Compressed file ended before the end-of-stream marker was reached")

    monkeypatch.setattr("exchange.formats.detect", cut_short)
    path = tmp_path / MEMBER
    path.write_bytes(_cwr(1))
    code, _, err = run(capsys, "validate", str(path))
    assert code == 70 and "internal error: EOFError: Compressed file ended" in err
    assert "aborted" not in err


def test_damage_found_part_way_through_a_large_import_leaves_a_failed_entry(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The structure pass runs in a worker beside the content pass: the damage near the
    end is found after the ledger entry is made; nothing is committed, the entry says why."""
    monkeypatch.setattr("exchange.imports.cwr.PARALLEL_FROM_BYTES", 10_000)
    monkeypatch.setenv("EXCHANGE_WORKERS", "1")
    package = _zip(_cwr(300), zipfile.ZIP_STORED)
    path = tmp_path / "CW260001PUB_052.zip"
    path.write_bytes(_flipped(package, _central_directory(package) - 500))
    db = f"sqlite:///{tmp_path / 'store.db'}"
    Store(db).init()
    code, out, _ = run(capsys, "--db", db, "--json", "import", "--partner", "PUB", str(path))
    assert code == 2 and "Bad CRC-32" in json.loads(out)["files"][0]["error"]
    assert Store(db).work_ids() == []
    [entry] = Store(db).ledger()
    assert entry.state == "failed" and "damaged zip package" in entry.error


@pytest.mark.parametrize("command", ["validate", "import"])
def test_a_transaction_of_too_many_records_is_rejected_and_not_kept(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """Kept whole, one transaction of millions of records would fill the memory."""
    monkeypatch.setattr(cwr_parser, "MAX_TRANSACTION_RECORDS", 20)
    titles = [
        ("ALT", {"alternate_title": f"OTHER TITLE {i}", "title_type": "AT"}) for i in range(30)
    ]
    cwr = CwrFile().add("NWR", valid_work("W1") + titles).add("NWR", valid_work("W2", "SECOND"))
    path = cwr.write(tmp_path)
    seen: list[int] = []
    check = cwr_parser.CwrParser.transactions

    def counting(self):  # how many records each transaction keeps
        for tx in check(self):
            seen.append(len(tx.records))
            yield tx

    monkeypatch.setattr(cwr_parser.CwrParser, "transactions", counting)
    code, answer, _ = _exchange(capsys, tmp_path, command, path)
    [report] = answer["files"]
    assert code == 1 and (report["accepted"], report["rejected"]) == (1, 1)
    [finding] = [f for f in report["findings"] if "records in one transaction" in f["message"]]
    assert finding["level"] == "TR" and finding["record"] == "ALT"
    assert max(seen) <= 20


def test_a_package_of_thousands_of_members_is_refused_before_its_directory_is_read(
    capsys, tmp_path: Path
) -> None:
    path = tmp_path / "CW260001PUB_052.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(MEMBER, _cwr(1))
        for n in range(30_000):
            archive.writestr(f"{n}", b"")
    code, answer, _ = _exchange(capsys, tmp_path, "validate", path)
    assert code == 2
    assert "central directory is" in answer["files"][0]["error"]
    assert (
        f"more than the {cwr_source.MAX_DIRECTORY_BYTES:,} allowed" in answer["files"][0]["error"]
    )


def _with_member_header(package: bytes, at_local: int, at_central: int, value: int) -> bytes:
    changed = bytearray(package)
    struct.pack_into("<H", changed, at_local, value)
    struct.pack_into("<H", changed, _central_directory(package) + at_central, value)
    return bytes(changed)


UNREADABLE = {
    "encrypted": (lambda p: _with_member_header(p, 6, 8, 0x1), "password required"),
    "unknown-method": (lambda p: _with_member_header(p, 8, 10, 99), "compression"),
}


@pytest.mark.parametrize("kind", sorted(UNREADABLE))
def test_a_member_zipfile_cannot_open_is_one_error(capsys, tmp_path: Path, kind: str) -> None:
    change, said = UNREADABLE[kind]
    path = tmp_path / "CW260001PUB_052.zip"
    path.write_bytes(change(_zip(_cwr(), zipfile.ZIP_STORED)))
    code, answer, err = _exchange(capsys, tmp_path, "import", path)
    assert code == 2 and said in answer["files"][0]["error"], answer
    assert "internal error" not in err
