"""ISWC EDI v3.00: layouts as in the document, round trips, findings that say where."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.iswc import edi
from adapters.iswc.edi import read_edi
from adapters.iswc.edi_records import layouts
from adapters.iswc.edi_writer import edi_lines, write_acknowledgements, write_edi
from adapters.iswc.edi_writer import write_notifications as write_csn
from adapters.iswc.model import (
    Deletion,
    FileHeader,
    InterestedParty,
    IswcFileError,
    IswcWriteError,
    Notification,
    Submission,
    Title,
    WorkInfo,
)
from adapters.iswc.naming import parse_edi_file_name
from tests.adapters.iswc.records import (
    LATER,
    START,
    acknowledgements,
    deletions,
    edi_times,
    headers,
    notifications,
    numbered,
    submissions,
)

HEADER = FileHeader("128", "315", START.replace(microsecond=0), 128)
WORK = Submission(0, "128", 128, "R28995186", "A SONG", (InterestedParty(375001586, "CA"),))
DAY = LATER.replace(hour=0, minute=0, second=0, microsecond=0)
NOTE = Notification(
    "T0345246801", "052", 52, "W-1", "A SONG", DAY, START.replace(microsecond=0), "MER",
    submission_id=0, status="FA", workflow_task_id=77, workflow_status="Outstanding",
    interested_parties=(InterestedParty(375001586, "CA"),),
    work_info=(WorkInfo("128", 128, "R28995186", "T0345246801", "T0000000010"),),
)  # fmt: skip

# Positions and sizes as printed in SPE_20190806 section 4 (start, size).
SPEC = {
    ("CAR", "work_title"): (20, 100),
    ("CAR", "agency_code"): (120, 3),
    ("CAR", "agency_work_code"): (123, 20),
    ("CAR", "source_db_code"): (143, 3),
    ("CAR", "preferred_iswc"): (146, 11),
    ("CAR", "archived_iswc"): (157, 11),
    ("CAR", "derived_work_type"): (168, 20),
    ("CAR", "disambiguation"): (188, 1),
    ("CAR", "disambiguation_reason"): (189, 20),
    ("CAR", "bvltr"): (209, 1),
    ("CDR", "deletion_reason"): (210, 25),
    ("ACK", "creation_date"): (20, 8),
    ("ACK", "original_group_number"): (34, 5),
    ("ACK", "original_transaction_sequence"): (39, 8),
    ("ACK", "original_transaction_type"): (47, 3),
    ("ACK", "work_title"): (50, 100),
    ("ACK", "agency_code"): (150, 3),
    ("ACK", "agency_work_code"): (153, 20),
    ("ACK", "source_db_code"): (173, 3),
    ("ACK", "preferred_iswc"): (176, 11),
    ("ACK", "processing_date"): (187, 8),
    ("ACK", "transaction_status"): (195, 2),
    ("CSN", "workflow_task_id"): (197, 10),
    ("CSN", "workflow_status"): (207, 1),
    ("WFT", "workflow_task_id"): (20, 10),
    ("WFT", "status"): (31, 1),
    ("CTL", "title_type"): (120, 2),
    ("NAT", "language_code"): (22, 2),
    ("NAT", "work_title"): (24, 100),
    ("CIP", "ip_name_number"): (20, 11),
    ("CIP", "ip_base_number"): (31, 13),
    ("CIP", "ip_role"): (44, 2),
    ("DIS", "iswc"): (20, 11),
    ("DER", "title"): (31, 100),
    ("PER", "first_name"): (20, 50),
    ("PER", "last_name"): (70, 50),
    ("INS", "code"): (20, 23),
    ("MLI", "iswc"): (20, 11),
    ("CWI", "society_work_code"): (23, 20),
    ("CWI", "archived_iswc"): (57, 11),
}


@pytest.mark.parametrize(("record", "name"), sorted(SPEC))
def test_the_layout_table_has_the_positions_of_the_document(record, name):
    f = layouts()[record].field(name)
    assert (f.start, f.length) == SPEC[record, name]


def test_every_record_has_the_prefix_of_the_document():
    for record, layout in layouts().items():
        if record in ("HDR", "GRH", "GRT", "TRL"):
            continue
        assert [(f.name, f.start, f.length) for f in layout.fields[:3]] == [
            ("record_type", 1, 3), ("transaction_sequence", 4, 8), ("record_sequence", 12, 8),
        ], record  # fmt: skip


def _kind(record) -> str:
    return getattr(record, "transaction_type", None) or type(record).__name__


@given(headers(edi_times()), st.lists(submissions(edi=True) | deletions(edi=True), max_size=5))
def test_submissions_read_back_as_written(header, sent):
    name, data = write_edi(header, sent)
    read = read_edi(data, name)
    assert read.findings == []
    assert (read.header.sender, read.header.created) == (header.sender, header.created)
    assert read.header.receiver == header.receiver  # from the file's name
    expected = numbered(sent, _kind)
    assert sorted(read.transactions, key=repr) == sorted(expected, key=repr)


@given(headers(edi_times()), st.lists(acknowledgements(edi=True), max_size=4))
def test_acknowledgements_read_back_as_written(header, sent):
    _, data = write_acknowledgements(header, sent)
    assert read_edi(data).acknowledgements == numbered(sent, _kind)


@given(headers(edi_times()), st.lists(notifications(edi=True), max_size=4))
def test_notifications_read_back_as_written(header, sent):
    name, data = write_csn(header, sent)
    read = read_edi(data, name)
    assert read.findings == []
    assert read.notifications == numbered(sent, _kind)
    assert parse_edi_file_name(name).descriptor == "CSN"


def test_a_written_file_is_numbered_and_counted():
    lines = edi_lines(HEADER, [WORK, replace(WORK, workcode="R2"), NOTE])
    assert [line[:3] for line in lines] == [
        "HDR", "GRH", "CAR", "CIP", "CAR", "CIP", "GRT", "GRH", "CSN", "CWI", "CIP", "GRT", "TRL",
    ]  # fmt: skip
    assert lines[4][3:19] == "0000000100000000"  # second transaction, its header
    assert lines[5][3:19] == "0000000100000001"  # its first detail record
    assert lines[6] == "GRT000010000000200000006"
    assert lines[-1] == "TRL000020000000300000013"
    assert all(len(line) == layouts()[line[:3]].length for line in lines)


def test_titles_beyond_ascii_go_in_nat_records_and_the_header_says_utf8():
    greek = replace(WORK, other_titles=(Title("ΚΑΛΗΜΕΡΑ", "AL"), Title("GOOD DAY", "AT")))
    lines = edi_lines(HEADER, [greek])
    assert [line[:3] for line in lines[2:5]] == ["CAR", "NAT", "CTL"]
    assert lines[0][86:101].rstrip() == "UTF-8"


def _file(*transactions) -> bytearray:
    return bytearray(write_edi(HEADER, list(transactions or [WORK]))[1])


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")


def test_a_bad_field_drops_its_transaction_with_line_record_field_and_value():
    data = _file(WORK, replace(WORK, workcode="R2"))
    lines = _lines(data)
    lines[4] = lines[4][:145] + b"T0345246802" + lines[4][156:]  # CAR 2's preferred ISWC
    read = read_edi(b"\r\n".join(lines))
    assert [t.workcode for t in read.transactions] == ["R28995186"]
    [finding] = read.findings
    assert (finding.level, finding.line, finding.record, finding.field, finding.value) == (
        "TR", 5, "CAR", "preferred_iswc", "T0345246802",
    )  # fmt: skip
    assert finding.transaction == 1
    assert "IV/15" in finding.message


@pytest.mark.parametrize(
    ("at", "value", "field"),
    [
        ((2, 119, 122), b"12X", "agency_code"),  # CAR agency code
        ((3, 43, 45), b"ZZ", "ip_role"),  # CIP role
        ((3, 19, 30), b"0000000000X", "ip_name_number"),  # CIP name number
        ((2, 167, 187), b"REMIX".ljust(20), "derived_work_type"),
        ((2, 187, 188), b"Q", "disambiguation"),
    ],
)
def test_findings_name_the_field(at, value, field):
    line, start, end = at
    lines = _lines(_file())
    lines[line] = lines[line][:start] + value + lines[line][end:]
    read = read_edi(b"\r\n".join(lines))
    assert read.transactions == []
    assert read.findings[0].field == field
    assert read.findings[0].line == line + 1


def test_a_work_without_a_creator_is_dropped():
    read = read_edi(bytes(_file(replace(WORK, interested_parties=(InterestedParty(1, "E"),)))))
    assert read.transactions == [] and "IV/07" in read.findings[0].message


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda ls: ls.pop(0), "before the HDR"),
        (lambda ls: ls.pop(-2), "without its TRL"),
        (lambda ls: ls.insert(3, b"XYZ0000000000000001"), "no record type 'XYZ'"),
        (lambda ls: ls.insert(4, ls[3]), "expected 0/2"),
        (lambda ls: ls.insert(4, ls[2]), "expected 1/0"),
        (lambda ls: ls.pop(3), "GRT.record_count is 4, the file has 3"),
        (lambda ls: ls.insert(3, b"MLI0000000000000001T0345246801"), "no MLI record in a CAR"),
        (lambda ls: ls.__setitem__(2, ls[2] + b"EXTRA"), "is 209 characters long"),
        (lambda ls: ls.insert(len(ls) - 1, ls[0]), "after the TRL"),
    ],
)
def test_what_the_format_rejects_whole_is_refused(damage, message):
    lines = _lines(_file())
    damage(lines)
    with pytest.raises(IswcFileError, match=message) as caught:
        read_edi(b"\r\n".join(lines))
    assert caught.value.findings[0].level == "ER"


def test_line_ends_short_lines_and_a_byte_order_mark_are_read():
    data = bytes(_file())
    relaxed = b"\xef\xbb\xbf" + b"\n".join(line.rstrip() for line in _lines(data))
    assert read_edi(relaxed).transactions == [WORK]


def test_lines_and_files_over_the_limits_are_refused(monkeypatch):
    with pytest.raises(IswcFileError, match="bytes long"):
        read_edi(b"HDR" + b" " * 10_000)
    monkeypatch.setattr(edi, "MAX_FILE_BYTES", 100)
    with pytest.raises(IswcFileError, match="more than the 100 allowed"):
        read_edi(bytes(_file()))


def test_the_writer_says_which_field_cannot_be_written():
    with pytest.raises(IswcWriteError, match=r"CAR\.agency_work_code: longer than 20"):
        edi_lines(HEADER, [replace(WORK, workcode="W" * 21)])
    with pytest.raises(IswcWriteError, match="transaction 0: CDR.work_title"):
        edi_lines(HEADER, [Deletion(0, "T0345246801", "128", 128, "R1", "R01", "\u0007")])
