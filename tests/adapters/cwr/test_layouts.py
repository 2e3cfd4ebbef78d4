"""The CWR 2.1 / 2.2 layout tables against the record lengths of the CISAC specifications."""

from __future__ import annotations

import csv
import io
from importlib import resources

import pytest

from adapters.cwr.layout import (
    EXTERNAL_LOOKUPS,
    FIELD_TYPES,
    VERSIONS,
    Field,
    LayoutError,
    _parse_layouts,
    layouts,
    lookup,
    lookup_descriptions,
    lookup_names,
)

# Record lengths as printed in CWR11-1991R4 (2.1 Rev 8) and CWR19-1070R1 (2.2 Rev 2).
_COMMON = {
    "GRH": 28,
    "GRT": 37,
    "TRL": 24,
    "AGR": 121,
    "NWR": 260,
    "REV": 260,
    "ISW": 260,
    "EXC": 260,
    "ACK": 159,
    "TER": 24,
    "IPA": 153,
    "NPA": 350,
    "SPU": 183,
    "OPU": 183,
    "NPN": 512,
    "SPT": 58,
    "SWR": 180,
    "OWR": 180,
    "NWN": 350,
    "SWT": 52,
    "ALT": 83,
    "NAT": 663,
    "EWT": 364,
    "VER": 364,
    "PER": 118,
    "NPR": 370,
    "INS": 75,
    "IND": 25,
    "COM": 308,
    "MSG": 185,
    "NET": 661,
    "NCT": 661,
    "NVT": 661,
    "NOW": 342,
    "ARI": 201,
}
EXPECTED_LENGTHS = {
    "2.1": {**_COMMON, "HDR": 101, "PWR": 110, "REC": 266, "ORN": 301},
    "2.2": {
        **_COMMON,
        "HDR": 167,
        "PWR": 112,
        "REC": 540,
        "ORN": 348,
        "OPT": 58,
        "OWT": 52,
        "XRF": 38,
    },
}
CONTROL_RECORDS = {"HDR", "GRH", "GRT", "TRL"}
CSV_FILES = {"2.1": "cwr21.csv", "2.2": "cwr22.csv"}


def _raw_rows(version: str) -> list[dict[str, str]]:
    text = resources.files("adapters.cwr.layouts").joinpath(CSV_FILES[version]).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("version", VERSIONS)
def test_csv_tables_are_contiguous_from_position_one(version: str) -> None:
    position: dict[str, int] = {}
    for row in _raw_rows(version):
        record, start, length = row["record"], int(row["start"]), int(row["length"])
        expected = position.get(record, 1)
        assert start == expected, f"{version} {record}.{row['field']}: gap or overlap"
        assert length > 0
        position[record] = start + length
    totals = {record: end - 1 for record, end in position.items()}
    assert totals == EXPECTED_LENGTHS[version]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_record_type_resolves_with_spec_length(version: str) -> None:
    table = layouts(version)
    assert set(table) == set(EXPECTED_LENGTHS[version])
    for record_type, layout in table.items():
        assert layout.record_type == record_type
        assert layout.version == version
        assert layout.length == EXPECTED_LENGTHS[version][record_type]
        assert layout.fields[-1].end == layout.length
        assert sum(f.length for f in layout.fields) == layout.length


@pytest.mark.parametrize("version", VERSIONS)
def test_field_names_unique_and_snake_case(version: str) -> None:
    for layout in layouts(version).values():
        names = layout.names
        assert len(names) == len(set(names)), layout.record_type
        for name in names:
            assert name.isidentifier() and name == name.lower(), name


@pytest.mark.parametrize("version", VERSIONS)
def test_types_required_and_decimals(version: str) -> None:
    for layout in layouts(version).values():
        for f in layout.fields:
            assert f.type in FIELD_TYPES
            assert f.required in ("M", "C", "O")
            if f.name.endswith("_share"):
                assert (f.type, f.length, f.decimals) == ("N", 5, 2), f
            else:
                assert f.decimals == 0, f
            if f.type == "D":
                assert f.length == 8
            if f.type == "T":
                assert f.length == 6
            if f.type in ("B", "F"):
                assert f.length == 1


@pytest.mark.parametrize("version", VERSIONS)
def test_record_prefix(version: str) -> None:
    for record_type, layout in layouts(version).items():
        first = layout.fields[0]
        assert (first.name, first.start, first.length) == ("record_type", 1, 3)
        if record_type in CONTROL_RECORDS:
            assert "transaction_sequence" not in layout
            assert first.type == "A"
            continue
        prefix = [(f.name, f.start, f.length, f.type, f.required) for f in layout.fields[:3]]
        assert prefix == [
            ("record_type", 1, 3, "L", "M"),
            ("transaction_sequence", 4, 8, "N", "M"),
            ("record_sequence", 12, 8, "N", "M"),
        ]


@pytest.mark.parametrize("version", VERSIONS)
def test_lookups_exist(version: str) -> None:
    shipped = lookup_names()
    for layout in layouts(version).values():
        for f in layout.fields:
            if f.type == "L":
                assert f.lookup, f"{layout.record_type}.{f.name} has no lookup"
            if f.lookup:
                assert f.lookup in shipped or f.lookup in EXTERNAL_LOOKUPS, f.lookup


def test_same_layout_for_record_aliases() -> None:
    for version in VERSIONS:
        table = layouts(version)
        groups = [("NWR", "REV", "ISW", "EXC"), ("SPU", "OPU"), ("SWR", "OWR")]
        groups += [("NET", "NCT", "NVT")]
        if version == "2.2":
            groups += [("SPT", "OPT"), ("SWT", "OWT")]
        for group in groups:
            first = table[group[0]].fields
            for other in group[1:]:
                assert table[other].fields == first, (version, other)


def test_same_position_same_name_across_versions() -> None:
    old, new = layouts("2.1"), layouts("2.2")
    for record_type, layout in old.items():
        by_position = {(f.start, f.length): f for f in new[record_type].fields}
        for f in layout.fields:
            twin = by_position.get((f.start, f.length))
            if twin is None:
                continue
            assert twin.name == f.name, (record_type, f.name, twin.name)
            assert twin.type == f.type, (record_type, f.name)


def test_known_21_22_differences() -> None:
    old, new = layouts("2.1"), layouts("2.2")
    assert "version" not in old["HDR"] and new["HDR"].field("revision").start == 105
    assert old["PWR"].field("writer_ip_number").required == "M"
    assert new["PWR"].field("writer_ip_number").required == "C"
    assert new["PWR"].field("publisher_sequence").start == 111
    assert old["SPU"].field("ipi_name_number").required == "O"
    assert new["SPU"].field("ipi_name_number").required == "C"
    isrc_validity = new["REC"].field("isrc_validity")
    assert (isrc_validity.start, isrc_validity.length) == (507, 20)
    assert old["ORN"].field("isan").start == 171
    assert new["ORN"].field("isan").start == 302
    assert new["ORN"].field("filler").length == 25
    assert "XRF" not in old and "OPT" not in old and "OWT" not in old


def test_field_positions() -> None:
    f = layouts("2.2")["SPU"].field("pr_ownership_share")
    assert (f.start, f.length, f.offset, f.end, f.decimals) == (116, 5, 115, 120, 2)
    assert f.lookup is None
    assert layouts("2.2")["SWT"].field("tis_code").lookup == "tis_code"
    with pytest.raises(KeyError):
        layouts("2.2")["SPU"].field("nope")


def test_unknown_version() -> None:
    with pytest.raises(ValueError):
        layouts("3.1")


def test_layouts_are_immutable() -> None:
    table = layouts("2.1")
    with pytest.raises(TypeError):
        table["XXX"] = table["HDR"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        table["HDR"].fields[0].start = 2  # type: ignore[misc]
    assert layouts("2.1") is table


def _broken(rows: str) -> str:
    return "record,field,start,length,type,decimals,required,lookup,description\n" + rows


def test_loader_rejects_gaps_overlaps_and_duplicates() -> None:
    ok = "TRL,record_type,1,3,A,0,M,,x\nTRL,group_count,4,5,N,0,M,,x\n"
    assert _parse_layouts("2.1", _broken(ok))["TRL"].length == 8
    bad = [
        "TRL,record_type,1,3,A,0,M,,x\nTRL,group_count,5,5,N,0,M,,x\n",  # gap
        "TRL,record_type,1,3,A,0,M,,x\nTRL,group_count,3,5,N,0,M,,x\n",  # overlap
        "TRL,record_type,1,3,A,0,M,,x\nTRL,record_type,4,5,N,0,M,,x\n",  # duplicate
        "TRL,record_type,1,3,Q,0,M,,x\n",  # unknown type
        "TRL,record_type,1,3,A,0,X,,x\n",  # bad required flag
        "TRL,record_type,1,3,A,2,M,,x\n",  # decimals on a non-numeric field
        "TRL,group_count,1,5,N,0,M,,x\n",  # does not start with record_type
    ]
    for rows in bad:
        with pytest.raises(LayoutError):
            _parse_layouts("2.1", _broken(rows))


def test_lookup_tables() -> None:
    names = lookup_names()
    for name in names:
        codes = lookup(name)
        assert isinstance(codes, frozenset)
        for code in codes:
            assert code == code.strip() and code == code.upper(), (name, code)
        assert set(lookup_descriptions(name)) == codes
    assert names.isdisjoint(EXTERNAL_LOOKUPS)
    assert {"E", "AM", "SE", "AQ", "PA", "ES"} == lookup("publisher_type")
    assert "MTN" in lookup("text_music_relationship")
    assert {"GW", "EW"} <= lookup("subject_code")
    assert "COP" not in lookup("transaction_type")
    assert {"HDR", "TRL", "NWR"} <= lookup("original_transaction_type")
    assert {"XRF", "OPT", "OWT", "NPR", "NPA"} <= lookup("record_type")
    assert lookup("submission_distribution_type") == frozenset()
    assert lookup_descriptions("writer_designation_code")["CA"] == "Composer/Author"


def test_external_lookups_are_not_code_lists() -> None:
    for name in ("society_code", "tis_code", "nonexistent_table"):
        with pytest.raises(KeyError):
            lookup(name)


def test_field_is_frozen_with_slots() -> None:
    f = Field("x", 1, 2, "A")
    assert not hasattr(f, "__dict__")
    with pytest.raises(AttributeError):
        f.length = 3  # type: ignore[misc]
