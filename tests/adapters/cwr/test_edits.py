"""The CWR 2.x edit catalogue (adapters/cwr/edits.csv) and its lookup API."""

from __future__ import annotations

import csv
import dataclasses
from collections import Counter
from importlib import resources

import pytest

from adapters.cwr.edits import (
    CATALOGUE_RECORD,
    LETTERS,
    LEVELS,
    Edit,
    all_edits,
    edit,
    edits_for,
)

# Rows per record type, checked by hand against the text of CWR08-2493 (catalogue
# rows, minus "Reserved for future use" numbers and the level-less SPT R 004,
# with NWR T 040 split into its 16 Brazilian societies) plus the edits taken
# from the CWR 2.2 specification CWR19-1070R1.
COUNTS = {
    "ACK": 13,
    "AGR": 30,
    "ALT": 6,
    "ARI": 5,
    "COM": 16,
    "EWT": 14,
    "FIL": 19,
    "GRH": 6,
    "GRT": 4,
    "HDR": 16,
    "IND": 3,
    "INS": 5,
    "IPA": 22,
    "MSG": 6,
    "NAT": 4,
    "NET": 5,
    "NOW": 4,
    "NPA": 4,
    "NPN": 5,
    "NPR": 7,
    "NWN": 4,
    "NWR": 105,
    "ORN": 16,
    "PER": 5,
    "PWR": 22,
    "REC": 14,
    "SPT": 15,
    "SPU": 61,
    "SWR": 34,
    "SWT": 17,
    "TER": 3,
    "TRL": 3,
    "VER": 14,
    "XRF": 3,
}

# ADDAF, AMAR, SADEMBRA, SBACEM, SBAT, SICAM, UBC, SOCINPRO, ABRAMUS, ABRAC, ANACIM,
# ASSIM, ATIDA, SABEM, AUTVIS, ECAD (the catalogue's comment column for NWR T 040)
BRAZILIAN_SOCIETIES = tuple(
    f"{code:03d}"
    for code in (2, 30, 62, 66, 67, 86, 93, 189, 201, 217, 218, 219, 220, 221, 231, 308)
)


def _csv_rows() -> list[dict[str, str]]:
    text = resources.files("adapters.cwr").joinpath("edits.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_table_loads_once_as_frozen_edits() -> None:
    edits = all_edits()
    assert isinstance(edits, tuple)
    assert len(edits) == sum(COUNTS.values()) == 510
    assert all(isinstance(e, Edit) for e in edits)
    assert all_edits() is edits
    with pytest.raises(dataclasses.FrozenInstanceError):
        edits[0].level = "ER"  # type: ignore[misc]


def test_ids_and_keys_are_unique() -> None:
    ids = [e.id for e in all_edits()]
    assert len(ids) == len(set(ids))
    keys = {(e.record, e.letter, e.number, e.society) for e in all_edits()}
    assert len(keys) == len(ids)


def test_columns_hold_valid_codes() -> None:
    assert set(LEVELS) == {"ER", "GR", "TR", "RR", "FR"}
    assert set(LETTERS) == {"E", "G", "T", "R", "F"}
    for e in all_edits():
        assert e.level in {"ER", "GR", "TR", "RR", "FR"}, e
        assert e.letter in LETTERS, e
        assert len(e.number) == 3 and e.number.isdigit(), e
        assert len(e.society) == 3 and e.society.isdigit(), e
        assert e.since in {"2.1", "2.2"}, e
        assert e.message.isascii() and e.message == " ".join(e.message.split()), e
        assert e.message != "Reserved for future use", e


def test_csv_columns_sources_and_order() -> None:
    rows = _csv_rows()
    assert list(rows[0]) == [
        "record",
        "letter",
        "number",
        "society",
        "level",
        "message",
        "since",
        "source",
    ]
    assert Counter(r["source"] for r in rows) == {"CWR08-2493": 445, "CWR19-1070R1": 65}
    order = {letter: i for i, letter in enumerate("EGTRF")}
    keys = [(r["record"], order[r["letter"]], r["number"], r["society"]) for r in rows]
    assert keys == sorted(keys)


def test_counts_per_record_type() -> None:
    assert Counter(e.record for e in all_edits()) == COUNTS
    for record, count in COUNTS.items():
        assert len(edits_for(record)) == count


@pytest.mark.parametrize(
    ("record", "letter", "number", "level", "fragment"),
    [
        ("ACK", "F", 8, "TR", "Transaction Status not found in the Transaction Status table"),
        ("ACK", "T", 4, "GR", "preceding GRH must be ACK"),
        ("AGR", "F", 2, "FR", "International Standard Agreement Code entered was invalid"),
        ("AGR", "F", 8, "TR", "Prior Royalty Status was not entered"),
        ("AGR", "F", 12, "TR", "Royalty Start Date was entered but Prior Royalty Status"),
        ("FIL", "E", 1, "ER", "The file could not be read"),
        ("FIL", "F", 9, "ER", "Record length did not match"),
        ("GRH", "F", 4, "GR", "version number was not valid"),
        ("HDR", "F", 1, "ER", "Record Type was not equal to HDR"),
        ("HDR", "F", 9, "ER", "'01.10'"),
        ("HDR", "F", 14, "ER", "Character Set"),
        ("NWR", "T", 1, "TR", "More than one of NWR, REV, COP, ISW, or EXC"),
        ("NWR", "T", 2, "FR", "Changed to NWR"),
        ("NWR", "T", 8, "RR", "Detail records other than those listed"),
        ("NWR", "T", 22, "GR", "Transaction Type for immediately preceding GRH"),
        ("NWR", "F", 17, "FR", "CWR Work Type was entered but not found"),
        ("NWR", "F", 24, "TR", "Work Title contains invalid ASCII characters"),
        ("SPU", "R", 2, "TR", "Original Publisher or Income Participant"),
        ("SPU", "F", 8, "FR", "replaced with 'N'"),
        ("SPU", "F", 13, "TR", "PR Ownership Share was not numeric or not in the range 0-50%"),
        ("SPU", "F", 32, "TR", "role code is 'AQ'"),
        ("SWR", "F", 3, "TR", "Writer Last Name was not entered"),
        ("SWR", "F", 12, "TR", "MR Affiliation Society # entered not found"),
        ("SWR", "F", 16, "FR", "Reversionary Indicator"),
        ("SWR", "F", 29, "TR", "Writer Last Name contains invalid ASCII characters"),
        ("SPT", "R", 5, "TR", "linked to more than one SPU for a given right"),
        ("SPT", "F", 6, "TR", "PR Collection Share was not in the range 0-50%"),
        ("SPT", "F", 11, "FR", "Shares change when Subpublished"),
        ("SPT", "F", 12, "RR", "Sequence # must be present."),
        ("SWT", "R", 3, "FR", "'E' but Collection Shares were not all set to zero"),
        ("SWT", "F", 1, "TR", "not preceded by an SWR or SWT record"),
        ("SWT", "F", 10, "RR", "Sequence # must be 1 for the first SWT"),
        ("PWR", "R", 3, "RR", "PWR did not immediately follow an SWR, OWR or SWT"),
        ("PWR", "F", 2, "FR", "replaced with the proper name"),
        ("PWR", "F", 6, "TR", "Publisher Sequence # was not entered"),
        ("REC", "F", 1, "RR", "at least one is required"),
        (
            "REC",
            "F",
            10,
            "FR",
            "ISRC entered was not a valid International Standard Recording Code",
        ),
        ("REC", "F", 13, "TR", "SESAC interest"),
        ("MSG", "F", 4, "TR", "Message Text was not entered"),
        ("NET", "R", 2, "RR", "Record Type entered was NCT"),
        ("ORN", "F", 15, "FR", "EIDER"),
        ("XRF", "F", 1, "RR", "Organisation Code"),
        ("XRF", "F", 3, "RR", "Validity Indicator"),
    ],
)
def test_known_catalogue_edits(
    record: str, letter: str, number: int, level: str, fragment: str
) -> None:
    found = edit(record, letter, number)
    assert (found.record, found.letter, found.number, found.society) == (
        record,
        letter,
        f"{number:03d}",
        "000",
    )
    assert found.level == level
    assert fragment in found.message


@pytest.mark.parametrize(
    ("record", "letter", "number", "society", "level", "since", "fragment"),
    [
        ("FIL", "E", 9, "000", "ER", "2.2", "invalid version number"),
        ("FIL", "E", 10, "000", "ER", "2.2", "invalid revision number"),
        ("HDR", "F", 15, "000", "ER", "2.2", "not 2.2"),
        ("HDR", "F", 16, "000", "ER", "2.2", "revision number"),
        ("GRH", "F", 5, "000", "GR", "2.1", "more than once"),
        ("NWR", "T", 43, "000", "TR", "2.2", "OPT, OPU, NPN, OPT"),
        ("NWR", "T", 44, "000", "TR", "2.2", "non-controlled (OPT/OWT)"),
        ("NWR", "T", 45, "000", "TR", "2.2", "'MUS'"),
        ("NWR", "T", 46, "319", "TR", "2.2", "(ICE only)"),
        ("NWR", "T", 48, "707", "TR", "2.2", "(MusicMark only)"),
        ("NWR", "T", 50, "072", "TR", "2.2", "(SGAE only)"),
        ("NWR", "T", 52, "010", "TR", "2.2", "(ASCAP only)"),
        ("NWR", "T", 53, "000", "TR", "2.2", "neither an INS nor an IND"),
        ("NWR", "F", 1, "000", "TR", "2.1", "Work Title was not entered"),
        (
            "NWR",
            "F",
            4,
            "000",
            "FR",
            "2.1",
            "ISWC entered was not a valid ISWC - replaced with spaces",
        ),
        ("NWR", "F", 9, "000", "FR", "2.1", "replaced with 'U'"),
        ("ORN", "F", 7, "000", "FR", "2.1", "V-ISAN"),
        ("SPU", "F", 40, "000", "TR", "2.2", "misses IPI Name Number"),
        ("SPU", "F", 45, "319", "TR", "2.2", "(ICE only)"),
        ("SPT", "F", 14, "000", "TR", "2.2", "OPT record did not follow"),
        ("SWT", "F", 11, "000", "TR", "2.2", "OWT record did not follow"),
        ("SWT", "F", 12, "000", "TR", "2.2", "OWT record followed an SWR"),
        ("PWR", "F", 13, "000", "FR", "2.2", "replaced with the proper name"),
        ("PWR", "F", 16, "319", "TR", "2.2", "Agreement is terminated"),
        ("REC", "F", 18, "000", "RR", "2.2", "ISRC Validity"),
        ("ARI", "F", 4, "035", "TR", "2.2", "(GEMA only)"),
        ("XRF", "F", 2, "000", "RR", "2.2", "Identifier Type"),
    ],
)
def test_edits_taken_from_the_22_specification(
    record: str, letter: str, number: int, society: str, level: str, since: str, fragment: str
) -> None:
    found = edit(record, letter, number, society)
    assert (found.society, found.level, found.since) == (society, level, since)
    assert fragment in found.message


def test_society_specific_edits_share_numbers() -> None:
    siae = edit("NWR", "T", 46, "074")
    ice = edit("NWR", "T", 46, "319")
    assert siae.id == "NWR-T-046-074" and "Siae" in siae.message
    assert ice.id == "NWR-T-046-319" and "'AR'" in ice.message
    assert edit("NWR", "T", 43).id == "NWR-T-043"
    assert edit("NWR", "T", 43, "010").message.endswith("(ASCAP only)")
    assert edit("AGR", "F", 24, "044").level == "TR"
    assert edit("SWR", "F", 31, "058").level == "RR"


def test_brazilian_edit_is_listed_for_each_society() -> None:
    rows = [e for e in edits_for("NWR") if e.letter == "T" and e.number == "040"]
    assert tuple(e.society for e in rows) == BRAZILIAN_SOCIETIES
    assert {e.message for e in rows} == {rows[0].message}
    assert "territory of Brazil" in rows[0].message
    assert edit("NWR", "T", 40, "201").id == "NWR-T-040-201"
    with pytest.raises(KeyError):
        edit("NWR", "T", 40)


def test_fr_messages_keep_the_default() -> None:
    assert edit("AGR", "F", 18).message.endswith("replaced with zeros")
    assert edit("SPU", "F", 28).message.endswith("replaced with 'E'")
    assert edit("COM", "F", 7).message.endswith("both replaced with spaces")
    assert edit("ALT", "F", 2).message.endswith("replaced with 'AT'")


def test_extraction_breakage_is_repaired() -> None:
    assert "pre-notified Society-assigned" in edit("NWR", "T", 21, "044").message
    assert "(NORD-IC only)" in edit("SPU", "F", 36, "048").message
    assert edit("NWR", "T", 30, "035").message.startswith("No Participation - There")
    assert "Submitter's writer" in edit("NWR", "T", 32, "034").message


def test_lookup_accepts_numbers_strings_and_aliases() -> None:
    assert edit("SWR", "F", "012") is edit("swr", "f", 12) is edit("SWR", "F", "12")
    assert edit("REV", "T", 1) is edit("NWR", "T", 1)
    assert edit("OWR", "F", 5).record == "SWR"
    assert edits_for("OPU") == edits_for("SPU")
    assert edits_for("NCT") == edits_for("NET")
    assert set(CATALOGUE_RECORD.values()) <= set(COUNTS)
    assert edits_for("ZZZ") == []


def test_society_lookup_falls_back_to_generic_edit() -> None:
    generic = edit("NWR", "T", 1)
    assert edit("NWR", "T", 1, "058") is generic
    assert edit("NWR", "T", 41, "058").society == "058"
    assert edit("NWR", "T", 41, 58).society == "058"


def test_unknown_edits_raise_key_error() -> None:
    with pytest.raises(KeyError, match="NWR-T-005"):
        edit("NWR", "T", 5)  # "Reserved for future use" in the catalogue
    with pytest.raises(KeyError, match="society 074"):
        edit("SWR", "F", 99, "074")
    with pytest.raises(ValueError):
        edit("SWR", "F", "12a")


def test_id_format() -> None:
    assert edit("SWR", "F", 12).id == "SWR-F-012"
    assert edit("SWR", "F", 12).generic
    assert edit("SPU", "F", 39, "058").id == "SPU-F-039-058"
    assert not edit("SPU", "F", 39, "058").generic
