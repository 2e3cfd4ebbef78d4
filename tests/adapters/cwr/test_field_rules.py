"""The declarative CWR 2.1 / 2.2 field and record edits in ``adapters/cwr/field_rules.csv``.

Every row is checked against the layout tables (record types, field names,
lookups) and the fixed vocabulary; a handful of rows are compared with values
read by hand from CWR11-1991R4 (2.1 Rev 8) and CWR19-1070R1 (2.2 Rev 2).
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from importlib import resources

import pytest

from adapters.cwr.edits import CATALOGUE_RECORD
from adapters.cwr.record_rules import CHECKS as VALIDATOR_CHECKS

COLUMNS = ["versions", "record", "field", "check", "level", "default", "edit", "condition", "note"]
VERSION_SETS = {"2.1 2.2", "2.1", "2.2"}
CHECKS = VALIDATOR_CHECKS | {"custom"}
LEVELS = {"ER", "GR", "TR", "RR", "FR"}
EDIT_RE = re.compile(r"^(?P<record>[A-Z]{3})-(?P<kind>[FR])-(?P<number>\d{3})$")

#: Pseudo record type of the record-prefix edits and the fields they may name.
PREFIX = "PFX"
PREFIX_FIELDS = {"record_type", "transaction_sequence", "record_sequence"}
CONTROL_RECORDS = {"HDR", "GRH", "GRT", "TRL"}

#: Record types whose edits the specification lists under another record's heading.
LISTED_UNDER = CATALOGUE_RECORD


def _read_csv(package: str, name: str) -> list[dict[str, str]]:
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _layout(version: str) -> dict[str, dict[str, str]]:
    """Record type -> field name -> lookup name ('' when none)."""
    name = {"2.1": "cwr21.csv", "2.2": "cwr22.csv"}[version]
    records: dict[str, dict[str, str]] = defaultdict(dict)
    for row in _read_csv("adapters.cwr.layouts", name):
        records[row["record"]][row["field"]] = row["lookup"]
    return dict(records)


LAYOUTS = {version: _layout(version) for version in ("2.1", "2.2")}
RULES = _read_csv("adapters.cwr", "field_rules.csv")


def _rule_id(row: dict[str, str]) -> str:
    return f"{row['edit']}@{row['versions']}"


def _find(edit: str, version: str) -> dict[str, str]:
    found = [r for r in RULES if r["edit"] == edit and version in r["versions"].split()]
    assert len(found) == 1, f"{edit} for {version}: {len(found)} rows"
    return found[0]


def test_header_and_rows_present() -> None:
    text = resources.files("adapters.cwr").joinpath("field_rules.csv").read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(text)))
    assert header == COLUMNS
    assert len(RULES) > 350
    assert all(None not in row and len(row) == len(COLUMNS) for row in RULES)


@pytest.mark.parametrize("row", RULES, ids=_rule_id)
def test_row_is_well_formed(row: dict[str, str]) -> None:
    assert row["versions"] in VERSION_SETS
    assert row["check"] in CHECKS
    assert row["level"] in LEVELS
    assert row["note"].strip(), "every rule needs a paraphrase"
    assert row == {k: v.strip() for k, v in row.items()}, "no stray whitespace"

    if row["level"] == "FR":
        assert row["default"], "FR rules name the default that replaces the field"
    else:
        assert row["default"] == "", "only FR rules carry a default"

    match = EDIT_RE.match(row["edit"])
    assert match, row["edit"]
    assert match["record"] == row["record"]
    assert match["number"] != "000"
    if row["record"] in CONTROL_RECORDS | {PREFIX}:
        assert match["kind"] == "F", "control records and the prefix only have field edits"

    if row["check"] == "conditional_required":
        assert row["condition"], "a conditional requirement states its condition"


@pytest.mark.parametrize("row", RULES, ids=_rule_id)
def test_record_and_field_exist_in_layouts(row: dict[str, str]) -> None:
    for version in row["versions"].split():
        layout = LAYOUTS[version]
        if row["record"] == PREFIX:
            assert row["field"] in PREFIX_FIELDS
            for record, fields in layout.items():
                if record not in CONTROL_RECORDS:
                    assert row["field"] in fields, (version, record)
            continue
        assert row["record"] in layout, (version, row["record"])
        fields = layout[row["record"]]
        assert row["field"] in fields, (version, row["record"], row["field"])
        if row["check"] in {"lookup", "required_lookup"}:
            assert fields[row["field"]], f"{row['field']} has no lookup table in {version}"


@pytest.mark.parametrize("row", RULES, ids=_rule_id)
def test_conditions_use_known_codes(row: dict[str, str]) -> None:
    condition = row["condition"]
    covered = {row["record"]} | {r for r, head in LISTED_UNDER.items() if head == row["record"]}
    for record in re.findall(r"\brecord_type!?=([A-Z]{3})\b", condition):
        assert record in covered, f"{record} is not listed under {row['record']}"
    for codes in re.findall(r"\bsociety(?:=| in )([\d,]+)", condition):
        assert all(re.fullmatch(r"\d{3}", code) for code in codes.split(",")), codes


def test_edit_ids_unique_per_version() -> None:
    seen: dict[tuple[str, str, str], str] = {}
    for row in RULES:
        for version in row["versions"].split():
            key = (version, row["record"], row["edit"])
            assert key not in seen, f"{row['edit']} twice for {version}"
            seen[key] = row["field"]


@pytest.mark.parametrize("version", ["2.1", "2.2"])
def test_every_record_type_is_covered(version: str) -> None:
    with_rules = {r["record"] for r in RULES if version in r["versions"].split()}
    assert PREFIX in with_rules
    for record in LAYOUTS[version]:
        assert LISTED_UNDER.get(record, record) in with_rules, record
    assert with_rules - {PREFIX} <= set(LAYOUTS[version])


# Rows read by hand from the specifications:
# (edit, version, field, check, level, default, condition)
SPOT_CHECKS = [
    ("NWR-F-001", "2.1", "work_title", "required", "TR", "", ""),
    ("NWR-F-001", "2.2", "work_title", "required", "TR", "", ""),
    ("NWR-F-004", "2.1", "iswc", "iswc", "FR", "spaces", ""),
    ("NWR-F-004", "2.2", "iswc", "iswc", "FR", "spaces", ""),
    (
        "NWR-F-007",
        "2.2",
        "duration",
        "conditional_required",
        "TR",
        "",
        "musical_work_distribution_category=SER",
    ),
    ("NWR-F-009", "2.2", "recorded_indicator", "flag", "FR", "U", ""),
    ("NWR-F-014", "2.2", "music_arrangement", "conditional_required", "TR", "", "version_type=MOD"),
    ("NWR-F-024", "2.2", "work_title", "title_chars", "TR", "", ""),
    ("NWR-F-028", "2.2", "iswc", "custom", "FR", "spaces", "society=035"),
    ("NWR-F-029", "2.1", "iswc", "custom", "FR", "spaces", "society=058"),
    ("SWR-F-009", "2.1", "ipi_name_number", "ipi_name", "FR", "spaces", ""),
    ("SWR-F-009", "2.2", "ipi_name_number", "ipi_name", "FR", "spaces", ""),
    ("SWR-F-010", "2.1", "pr_society", "society", "TR", "", ""),
    ("SWR-F-010", "2.2", "pr_society", "society", "FR", "spaces", ""),
    ("SPU-F-006", "2.2", "publisher_type", "lookup", "TR", "", "record_type=SPU"),
    ("SPU-F-013", "2.1", "pr_ownership_share", "share_max_5000", "TR", "", ""),
    ("SPU-F-016", "2.2", "mr_ownership_share", "share_max_10000", "TR", "", ""),
    ("SPU-F-028", "2.2", "publisher_type", "required_lookup", "FR", "E", "record_type=OPU"),
    ("SPT-F-006", "2.2", "pr_collection_share", "share_max_5000", "TR", "", ""),
    ("SPT-F-009", "2.1", "tis_code", "territory", "TR", "", ""),
    ("SPT-F-009", "2.2", "tis_code", "territory", "TR", "", ""),
    ("SPT-F-011", "2.2", "shares_change", "boolean", "FR", "N", ""),
    ("SWT-F-006", "2.2", "tis_code", "territory", "TR", "", ""),
    ("REC-F-009", "2.2", "ean", "ean", "FR", "spaces", ""),
    ("REC-F-010", "2.1", "isrc", "isrc", "FR", "spaces", ""),
    ("REC-F-010", "2.2", "isrc", "isrc", "FR", "spaces", ""),
    ("REC-F-011", "2.2", "recording_format", "lookup", "FR", "A", ""),
    ("REC-F-012", "2.2", "recording_technique", "lookup", "FR", "U", ""),
    ("AGR-F-018", "2.2", "date_of_signature", "date", "FR", "zeros", ""),
    ("AGR-F-021", "2.2", "number_of_works", "positive", "TR", "", ""),
    ("IPA-F-005", "2.1", "pr_society", "society", "TR", "", ""),
    ("IPA-F-005", "2.2", "pr_society", "society", "FR", "spaces", ""),
    ("ALT-F-002", "2.2", "title_type", "required_lookup", "FR", "AT", ""),
    ("ALT-F-006", "2.2", "language_code", "conditional_required", "RR", "", "title_type in OL,AL"),
    ("NOW-F-003", "2.2", "writer_position", "lookup", "FR", "1", ""),
    ("COM-F-003", "2.2", "duration", "time", "FR", "zeros", ""),
    ("HDR-F-010", "2.1", "creation_date", "date", "ER", "", ""),
    ("HDR-F-014", "2.1", "character_set", "lookup", "ER", "", ""),
    ("GRH-F-001", "2.2", "transaction_type", "required_lookup", "GR", "", ""),
    ("PFX-F-001", "2.2", "record_type", "lookup", "ER", "", ""),
    (
        "PFX-F-003",
        "2.1",
        "transaction_sequence",
        "custom",
        "TR",
        "",
        "transaction header that is not the first of the group",
    ),
    ("TER-F-002", "2.1", "tis_code", "territory", "TR", "", ""),
    ("XRF-F-003", "2.2", "validity", "flag", "RR", "", ""),
]


@pytest.mark.parametrize(
    ("edit", "version", "field", "check", "level", "default", "condition"),
    SPOT_CHECKS,
    ids=[f"{s[0]}@{s[1]}" for s in SPOT_CHECKS],
)
def test_spot_checks(
    edit: str, version: str, field: str, check: str, level: str, default: str, condition: str
) -> None:
    row = _find(edit, version)
    assert (row["field"], row["check"], row["level"], row["default"], row["condition"]) == (
        field,
        check,
        level,
        default,
        condition,
    )


@pytest.mark.parametrize(
    ("edit", "versions"),
    [
        ("HDR-F-015", {"2.2"}),
        ("HDR-F-016", {"2.2"}),
        ("SPU-F-040", {"2.2"}),
        ("SPT-F-014", {"2.2"}),
        ("SWT-F-011", {"2.2"}),
        ("REC-F-018", {"2.2"}),
        ("ORN-F-015", {"2.2"}),
        ("ARI-F-004", {"2.2"}),
        ("PWR-F-001", {"2.1"}),
        ("PWR-F-005", {"2.1"}),
        ("PWR-R-001", {"2.1"}),
        ("INS-R-006", {"2.1"}),
        ("NWR-F-025", {"2.1"}),
        ("AGR-F-024", {"2.1"}),
        ("SPU-F-039", {"2.1"}),
        ("SPU-R-006", {"2.1"}),
        ("GRH-F-004", {"2.1", "2.2"}),
    ],
)
def test_version_specific_edits(edit: str, versions: set[str]) -> None:
    present = {v for r in RULES if r["edit"] == edit for v in r["versions"].split()}
    assert present == versions


def test_differing_wording_gives_one_row_per_version() -> None:
    assert _find("GRH-F-004", "2.1")["note"] != _find("GRH-F-004", "2.2")["note"]
    assert "02.10" in _find("GRH-F-004", "2.1")["note"]
    assert "02.20" in _find("GRH-F-004", "2.2")["note"]
    assert _find("SPU-R-013", "2.1")["condition"].startswith("society=010")
    assert _find("SPU-R-013", "2.2")["condition"].startswith("society=707")


@pytest.mark.parametrize(
    "edit",
    # marked "removed" or "replaced" in both specifications
    ["SPU-F-014", "SPU-F-022", "SPU-R-001", "SPT-F-003", "SPT-R-002", "REC-F-004", "REC-R-001"]
    + ["SWR-F-019", "SWR-F-023", "ORN-F-002", "INS-R-001", "NPR-F-001", "NWR-F-026@2.2"],
)
def test_removed_edits_are_left_out(edit: str) -> None:
    edit, _, version = edit.partition("@")
    rows = [r for r in RULES if r["edit"] == edit]
    if version:
        rows = [r for r in rows if version in r["versions"].split()]
    assert rows == []
