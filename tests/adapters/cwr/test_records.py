"""Encoding and decoding CWR 2.x records with the layout-driven codec."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.cwr.layout import VERSIONS, Field, layouts
from adapters.cwr.records import (
    EncodeError,
    FieldError,
    codec_for,
    codecs_for,
    convert,
    to_bool,
    to_date,
    to_decimal,
    to_duration,
    to_flag,
    to_int,
    to_share,
    to_time,
)
from tests.services import shared_dir

SAMPLES = shared_dir() / "data" / "samples"

ALL_RECORDS = [(v, rt) for v in VERSIONS for rt in layouts(v)]

# Upper-case printable text: ASCII plus a few upper-case Latin-1 letters.
_TEXT_CHARS = st.sampled_from(
    [chr(c) for c in range(0x20, 0x7F) if not chr(c).islower()] + list("ÀÉÑÖÜÇØÅ")
)


def _text(f: Field, *, strip_left: bool) -> st.SearchStrategy[str]:
    def tidy(s: str) -> str:
        return s.strip() if strip_left else s.rstrip()

    return st.text(_TEXT_CHARS, max_size=min(f.length, 80)).map(tidy)


def _value(f: Field) -> st.SearchStrategy[object]:
    """Values valid for a field, as a caller would pass them to encode."""
    if f.type == "A":
        return _text(f, strip_left=False)
    if f.type == "L":
        return _text(f, strip_left=True)
    if f.type == "N":
        return st.integers(0, 10**f.length - 1) | st.none()
    if f.type == "D":
        return st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31)) | st.none()
    if f.type == "T":
        if f.name.endswith("_time"):
            return st.times().map(lambda t: t.replace(microsecond=0))
        return st.integers(0, 99 * 3600 + 59 * 60 + 59)
    if f.type == "B":
        return st.sampled_from([True, False, None])
    return st.sampled_from([True, False, None, "U"])  # F


def _expected(f: Field, value: object) -> object:
    """What convert() gives back after an encode/decode round trip."""
    if f.type == "N":
        return value or 0  # None is written as zeros
    if f.type in ("A", "L"):
        return value or ""
    if f.type == "F" and value == "U":
        return None
    return value


@pytest.mark.parametrize(("version", "record_type"), ALL_RECORDS)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip(version: str, record_type: str, data: st.DataObject) -> None:
    codec = codec_for(version, record_type)
    fields = [f for f in codec.layout.fields if f.name != "record_type"]
    values = {f.name: data.draw(_value(f), label=f.name) for f in fields}
    line = codec.encode(values)
    assert len(line) == codec.length
    assert line[:3] == record_type
    raw = line.encode("latin-1") + b"\r\n"
    decoded = codec.decode_dict(raw)
    assert decoded["record_type"] == record_type
    for f in fields:
        assert convert(f, decoded[f.name]) == _expected(f, values[f.name]), f.name
    # decoding then encoding the strings again gives the same line
    assert codec.encode(decoded) == line


@pytest.mark.parametrize(("version", "record_type"), ALL_RECORDS)
def test_empty_record(version: str, record_type: str) -> None:
    codec = codec_for(version, record_type)
    line = codec.encode({})
    assert len(line) == codec.length
    for f, value in zip(codec.layout.fields[1:], codec.decode(line)[1:], strict=True):
        expected = "0" * f.length if f.type in ("N", "D", "T") else ""
        assert value == expected, f.name


def test_encode_spu_example() -> None:
    spu = codec_for("2.2", "SPU")
    line = spu.encode(
        {
            "transaction_sequence": 3,
            "record_sequence": 1,
            "publisher_sequence": 1,
            "interested_party_number": "P0001",
            "publisher_name": "Música Ñandú",
            "publisher_type": "E",
            "ipi_name_number": 268485331,
            "pr_society": 52,
            "pr_ownership_share": 5000,
            "mr_ownership_share": Decimal("100.00"),
            "first_recording_refusal_indicator": False,
        }
    )
    assert len(line) == 183
    assert line.startswith("SPU000000030000000101P0001    MÚSICA ÑANDÚ")
    assert line[87:98] == "00268485331"
    assert line[112:120] == "05205000"
    assert line[123:128] == "10000"
    assert line[137] == "N"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("publisher_name", "X" * 46),  # too long
        ("publisher_name", "BAD\nNAME"),  # control character
        ("publisher_name", "TAB\tNAME"),
        ("publisher_name", "EURO €"),  # not in Latin-1
        ("publisher_name", "ÿ"),  # upper case (Ÿ) is not in Latin-1
        ("publisher_name", 12),  # A fields want text
        ("publisher_type", "ABC"),
        ("pr_society", 1234),
        ("pr_society", -1),
        ("publisher_sequence", 100),
        ("publisher_sequence", -1),
        ("publisher_sequence", "1A"),
        ("publisher_sequence", "١"),  # a non-ASCII digit
        ("publisher_sequence", True),
        ("publisher_sequence", 1.0),
        ("pr_ownership_share", Decimal("50.001")),
        ("pr_ownership_share", 100001),
        ("first_recording_refusal_indicator", "X"),
        ("first_recording_refusal_indicator", 1),
        ("record_type", "OPU"),
        ("no_such_field", "X"),
    ],
)
def test_encode_rejects(field: str, value: object) -> None:
    spu = codec_for("2.1", "SPU")
    with pytest.raises(EncodeError) as info:
        spu.encode({field: value})
    assert info.value.record == "SPU"
    assert info.value.field == field
    assert info.value.value == value
    assert info.value.reason


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("creation_date", "20230230"),
        ("creation_date", "2023-01-01"),
        ("creation_date", 20230101),
        ("creation_time", 100 * 3600),
        ("creation_time", 24 * 3600),
        ("creation_time", "240000"),
        ("creation_time", -1),
        ("creation_time", "126000"),
        ("creation_time", dt.timedelta(seconds=1.5)),
        ("sender_id", 10**9),
        ("character_set", "X" * 16),
    ],
)
def test_encode_rejects_hdr(field: str, value: object) -> None:
    with pytest.raises(EncodeError):
        codec_for("2.2", "HDR").encode({field: value})


def test_encode_accepts_variants() -> None:
    hdr = codec_for("2.2", "HDR")
    line = hdr.encode(
        {
            "sender_type": "pb",
            "sender_id": "000000123",
            "sender_name": "Some Publisher",
            "edi_standard_version": "01.10",
            "creation_date": dt.datetime(2024, 5, 6, 7, 8, 9),
            "creation_time": dt.time(7, 8, 9),
            "transmission_date": "20240506",
            "character_set": "UTF-8",
            "version": "2.2",
            "revision": 1,
        }
    )
    assert (
        line[:101]
        == ("HDRPB000000123SOME PUBLISHER" + " " * 31 + "01.10" + "20240506070809" + "20240506")
        + "UTF-8"
        + " " * 10
    )
    assert line[101:107] == "2.2001"
    nwr = codec_for("2.1", "NWR")
    assert nwr.encode({"duration": dt.timedelta(minutes=3, seconds=5)})[129:135] == "000305"
    assert nwr.encode({"duration": "000305"})[129:135] == "000305"
    assert nwr.encode({"recorded_indicator": "u"})[135] == "U"
    assert nwr.encode({"record_type": "NWR"}) == nwr.encode({})


def test_decode_tolerates_short_and_long_lines() -> None:
    spu = codec_for("2.1", "SPU")
    full = spu.encode({"publisher_name": "NAME", "publisher_type": "E", "pr_society": "021"})
    short = full.rstrip().encode("latin-1")
    assert len(short) < spu.length
    assert spu.decode(short) == spu.decode(full)
    assert spu.decode(short + b"\n") == spu.decode(full)
    longer = full.encode("latin-1") + b"EXTRA STUFF\r\n"
    assert spu.decode(longer) == spu.decode(full)
    assert spu.decode(b"SPU") == ("SPU",) + ("",) * (len(spu.names) - 1)
    assert spu.decode(b"") == ("",) * len(spu.names)


def test_decode_keeps_leading_blanks_in_text_only() -> None:
    swr = codec_for("2.2", "SWR")
    line = bytearray(swr.encode({}).encode("ascii"))
    line[28:33] = b"  ABC"  # writer_last_name with leading blanks
    line[104:106] = b" C"  # writer_designation_code right-aligned
    values = swr.decode_dict(bytes(line))
    assert values["writer_last_name"] == "  ABC"
    assert values["writer_designation_code"] == "C"


def test_decode_utf8_counts_characters() -> None:
    nat = codec_for("2.2", "NAT", "utf-8")
    title = "夜の庭 ÉTÉ"
    line = nat.encode({"title": title, "title_type": "OL", "language_code": "JA"})
    assert len(line) == nat.length
    raw = line.encode("utf-8")
    assert len(raw) > nat.length
    values = nat.decode_dict(raw)
    assert values["title"] == title
    assert values["title_type"] == "OL"
    assert values["language_code"] == "JA"
    # trailing blanks cut
    assert nat.decode(line.rstrip().encode("utf-8")) == nat.decode(raw)


def test_decode_utf8_counted_in_bytes() -> None:
    nat = codec_for("2.2", "NAT", "utf-8")
    title = "夜の庭".encode()
    raw = b"NAT0000000100000002" + title + b" " * (640 - len(title)) + b"OLJA"
    assert len(raw) == nat.length
    values = nat.decode_dict(raw)
    assert values["title"] == "夜の庭"
    assert values["title_type"] == "OL"
    assert values["language_code"] == "JA"


def test_decode_bad_utf8_does_not_raise() -> None:
    alt = codec_for("2.1", "ALT", "UTF-8")
    values = alt.decode_dict(b"ALT0000000100000001CAF\xe9" + b" " * 56 + b"ATFR")
    assert values["alternate_title"].startswith("CAF")
    assert "\ufffd" in values["alternate_title"]


def test_decode_str_and_latin1() -> None:
    alt = codec_for("2.1", "ALT")
    raw = b"ALT0000000100000001CAF\xc9" + b" " * 56 + b"ATFR"
    assert alt.decode_dict(raw)["alternate_title"] == "CAFÉ"
    assert alt.decode(raw.decode("latin-1")) == alt.decode(raw)
    assert alt.decode(bytearray(raw)) == alt.decode(memoryview(raw)) == alt.decode(raw)


def test_codecs_for() -> None:
    table = codecs_for("2.2")
    assert set(table) == set(layouts("2.2"))
    assert table["REV"].length == 260
    assert codecs_for("2.2") is table
    assert codec_for("2.2", "REV") is table["REV"]
    with pytest.raises(KeyError):
        codec_for("2.1", "XRF")
    assert "SPU" in repr(table["SPU"])


# -- converters ---------------------------------------------------------------


def test_converters() -> None:
    assert to_int("00012") == 12
    assert to_int("") is None
    assert to_share("05000") == 5000
    assert to_decimal("05000", 2) == Decimal("50.00")
    assert to_decimal("", 2) is None
    assert to_date("20240229") == dt.date(2024, 2, 29)
    assert to_date("00000000") is None
    assert to_date("") is None
    assert to_time("235959") == dt.time(23, 59, 59)
    assert to_time("000000") == dt.time(0, 0, 0)
    assert to_time("") is None
    assert to_duration("010203") == 3723
    assert to_duration("000000") == 0
    assert to_duration("") is None
    assert to_duration("990000") == 99 * 3600
    assert to_bool("Y") is True and to_bool("N") is False and to_bool("") is None
    assert to_flag("Y") is True and to_flag("N") is False
    assert to_flag("U") is None and to_flag("") is None


@pytest.mark.parametrize(
    ("func", "value"),
    [
        (to_int, "12A"),
        (to_int, "-1"),
        (to_int, "１２"),  # full-width digits
        (to_date, "20230230"),
        (to_date, "2023010"),
        (to_date, "2023O101"),
        (to_time, "240000"),
        (to_time, "126000"),
        (to_duration, "0160"),
        (to_duration, "006000"),
        (to_bool, "U"),
        (to_bool, "y"),
        (to_flag, "X"),
    ],
)
def test_converters_raise_field_error(func, value: str) -> None:
    with pytest.raises(FieldError) as info:
        func(value, "some_field")
    assert info.value.field == "some_field"
    assert info.value.value == value
    assert info.value.reason
    assert "some_field" in str(info.value)


def test_convert_dispatches_on_type() -> None:
    hdr = layouts("2.2")["HDR"]
    assert convert(hdr.field("creation_time"), "101500") == dt.time(10, 15)
    assert convert(hdr.field("creation_date"), "20240101") == dt.date(2024, 1, 1)
    assert convert(hdr.field("sender_id"), "000000052") == 52
    nwr = layouts("2.2")["NWR"]
    assert convert(nwr.field("duration"), "000330") == 210
    assert convert(nwr.field("grand_rights_indicator"), "Y") is True
    assert convert(nwr.field("recorded_indicator"), "U") is None
    assert convert(nwr.field("work_title"), "TITLE") == "TITLE"
    with pytest.raises(FieldError) as info:
        convert(nwr.field("copyright_date"), "19991399")
    assert info.value.field == "copyright_date"


# -- real files -----------------------------------------------------------------


def _sample_files() -> list[Path]:
    if not SAMPLES.is_dir():
        return []
    wanted = {".v21", ".v22", ".txt"}
    return sorted(p for p in SAMPLES.rglob("*") if p.suffix.lower() in wanted and p.is_file())


def _version_of(path: Path, lines: list[bytes]) -> str:
    if path.suffix.lower() == ".v22":
        return "2.2"
    for line in lines[:1]:
        if line.startswith(b"HDR") and line[101:104] == b"2.2":
            return "2.2"
    return "2.1"


@pytest.mark.skipif(not _sample_files(), reason="sample files not available")
@pytest.mark.parametrize("path", _sample_files(), ids=lambda p: p.name)
def test_sample_files_decode(path: Path) -> None:
    lines = path.read_bytes().splitlines()
    version = _version_of(path, lines)
    table = codecs_for(version)
    known = 0
    for number, line in enumerate(lines, start=1):
        codec = table.get(line[:3].decode("latin-1"))
        if codec is None:
            continue  # unknown record type: the reader reports it
        values = codec.decode(line)
        known += 1
        assert len(values) == len(codec.names), number
        assert values[0] == codec.record_type, number
    assert known > 0


@pytest.mark.skipif(not _sample_files(), reason="sample files not available")
def test_sample_spu_values() -> None:
    path = SAMPLES / "weso-cwr-dataapi" / "ackexample.V21"
    if not path.exists():
        pytest.skip("ackexample.V21 not available")
    spu = codec_for("2.1", "SPU")
    lines = [line for line in path.read_bytes().splitlines() if line.startswith(b"SPU")]
    values = spu.decode_dict(lines[0])
    assert values["publisher_type"] == "E"
    assert to_share(values["pr_ownership_share"], "pr_ownership_share") is not None
    assert all(len(line) <= spu.length for line in lines)
