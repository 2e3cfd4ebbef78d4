"""ISWC JSON files: written and read back the same, refused whole when the schema says no."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.iswc import json_files
from adapters.iswc.json_files import (
    read_json,
    write_acknowledgements,
    write_notifications,
    write_submissions,
)
from adapters.iswc.model import (
    Deletion,
    FileHeader,
    InterestedParty,
    IswcFileError,
    IswcWriteError,
    Submission,
)
from adapters.iswc.naming import FROM_LOCAL_RANGE, parse_json_file_name
from tests.adapters.iswc.records import (
    START,
    acknowledgements,
    deletions,
    headers,
    notifications,
    requests,
    submissions,
)

HEADER = FileHeader("128", "315", START, 128)
WORK = Submission(1, "128", 128, "R28995186", "A SONG", (InterestedParty(375001586, "CA"),), "DOM")


def _unique(strategy: st.SearchStrategy, max_size: int = 4) -> st.SearchStrategy[list]:
    return st.lists(strategy, max_size=max_size, unique_by=lambda r: r.submission_id)


transactions = _unique(st.one_of(submissions(), deletions(), requests()), 6)


@given(headers(), transactions)
def test_a_submission_file_reads_back_as_written(header, sent):
    name, data = write_submissions(header, sent)
    read = read_json(data, name)
    assert read.header == header
    assert read.findings == []
    assert sorted(read.transactions, key=repr) == sorted(sent, key=repr)
    parts = parse_json_file_name(name)
    assert (parts.sender, parts.receiver) == (header.sender, header.receiver)


@given(headers(), _unique(acknowledgements()), _unique(notifications()))
def test_answers_read_back_as_written(header, acks, notes):
    _, ack_data = write_acknowledgements(header, acks)
    _, note_data = write_notifications(header, notes)
    assert read_json(ack_data).acknowledgements == acks
    assert read_json(note_data).notifications == notes


def test_a_written_file_follows_the_specification_conventions():
    _, data = write_submissions(HEADER, [WORK])
    document = json.loads(data)
    assert document["fileHeader"] == {
        "submittingAgency": "128",
        "submittingSourcedb": 128,
        "fileCreationDateTime": "2019-11-25T18:25:43.511Z",
        "receivingAgency": "315",
    }
    # optional fields are left out, not written empty
    assert document["addSubmissions"] == [
        {
            "submissionId": 1,
            "agency": "128",
            "sourcedb": 128,
            "workcode": "R28995186",
            "category": "DOM",
            "originalTitle": "A SONG",
            "interestedParties": [{"nameNumber": 375001586, "role": "CA"}],
        }
    ]


def _document() -> dict:
    _, data = write_submissions(HEADER, [WORK, replace(WORK, submission_id=2, workcode="R2")])
    return json.loads(data)


def _refusal(document: dict) -> IswcFileError:
    with pytest.raises(IswcFileError) as caught:
        read_json(json.dumps(document).encode(), "iswc_2019-11-25T18-25-43_315_128.json")
    return caught.value


def test_a_file_failing_the_schema_is_refused_whole_naming_path_and_value():
    document = _document()
    document["addSubmissions"][1]["interestedParties"][0]["role"] = "XX"
    error = _refusal(document)
    [finding] = error.findings
    assert finding.level == "ER"
    assert finding.field == "$.addSubmissions[1].interestedParties[0].role"
    assert finding.value == "XX"
    assert "$.addSubmissions[1].interestedParties[0].role" in str(error)
    assert "iswc_2019-11-25T18-25-43_315_128.json: refused" in str(error)


@pytest.mark.parametrize(
    ("damage", "path"),
    [
        (lambda d: d["fileHeader"].pop("receivingAgency"), "$.fileHeader"),
        (lambda d: d["addSubmissions"][0].update(category="XYZ"), "$.addSubmissions[0].category"),
        (lambda d: d["addSubmissions"][0].update(iswc="T12"), "$.addSubmissions[0].iswc"),
        (lambda d: d["addSubmissions"][0].update(colour="red"), "$.addSubmissions[0]"),
        (lambda d: d.update(addSubmission=[]), "$"),
        (lambda d: d["addSubmissions"][0].update(disambiguation=True), "$.addSubmissions[0]"),
        (lambda d: d["addSubmissions"][0].update(interestedParties=[]), "$.addSubmissions[0]."),
        (
            lambda d: d["fileHeader"].update(fileCreationDateTime="2019-13-45T10:00:00Z"),
            "$.fileHeader.fileCreationDateTime",
        ),
        (
            lambda d: d["fileHeader"].update(fileCreationDateTime="9999-12-31T23:59:59-23:59"),
            "$.fileHeader.fileCreationDateTime",
        ),
        (
            lambda d: d["fileHeader"].update(fileCreationDateTime=20191125),
            "$.fileHeader.fileCreationDateTime",
        ),
    ],
)
def test_each_kind_of_schema_error_is_named_where_it_is(damage, path):
    document = _document()
    damage(document)
    error = _refusal(document)
    assert all(f.level == "ER" for f in error.findings)
    assert error.findings[0].field.startswith(path), error.findings


def test_many_schema_errors_are_listed_up_to_a_limit():
    document = _document()
    document["addSubmissions"] = [dict(document["addSubmissions"][0], category="X", submissionId=n)
                                  for n in range(100)]  # fmt: skip
    error = _refusal(document)
    assert len(error.findings) == json_files.MAX_FINDINGS + 1
    assert error.findings[-1].message == "and 80 more schema errors"


def test_a_wrong_check_digit_drops_its_transaction_only():
    document = _document()
    document["addSubmissions"][0]["iswc"] = "T0345246802"
    read = read_json(json.dumps(document).encode())
    assert [t.workcode for t in read.transactions] == ["R2"]
    [finding] = read.findings
    assert (finding.level, finding.field, finding.value, finding.edit) == (
        "TR", "$.addSubmissions[0].iswc", "T0345246802", "IV/15",
    )  # fmt: skip


def test_a_submission_id_used_twice_in_a_group_drops_the_second():
    document = _document()
    document["addSubmissions"][1]["submissionId"] = 1
    read = read_json(json.dumps(document).encode())
    assert [t.workcode for t in read.transactions] == ["R28995186"]
    assert read.findings[0].field == "$.addSubmissions[1].submissionId"


def test_the_specification_spellings_of_its_samples_are_read():
    document = {
        "fileHeader": {"submittingAgency": "315", "sunmittingSourcedb": 315,
                       "fileCreationDateTime": "2019-11-26T09:30:00.000Z",
                       "receivingAgency": "128"},
        "acknowledgements": [{
            "submissionId": 1001, "originalFileCreationDateTime": "2019-10-01T18:25:43.511Z",
            "originalSubmissionId": 2, "originalTransactionType": "AddSubmission",
            "agency": "128", "sourcedb": 128, "workcode": "R28995187", "originalTitle": "",
            "processingDate": "2019-11-25T18:25:43.511Z", "transactionStatus": "Rejected",
            "errorMessages": [{"errorType": "Transaction Rejected", "errorNumber": 104,
                               "errorMessage": "CSI:The provided IP Name Nbr is a Status 3"}],
        }],
    }  # fmt: skip
    read = read_json(json.dumps(document).encode())
    [ack] = read.acknowledgements
    assert (ack.status, ack.original_transaction_type, ack.errors[0].number) == ("RJ", "CAR", 104)
    assert read.header.sourcedb == 315


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe{}",
        b"[" * 1000 + b"]" * 1000,
        b'{"fileHeader": {}, "fileHeader": {}}',
        b'{"fileHeader": NaN}',
        b'{"fileHeader": ' + b"9" * 5000 + b"}",
        b"null",
        b'"text"',
        b'{"notifications": [[[]]]}',
    ],
)
def test_hostile_input_is_refused_as_a_finding(data):
    with pytest.raises(IswcFileError) as caught:
        read_json(data)
    assert caught.value.findings and all(f.level == "ER" for f in caught.value.findings)


def test_a_file_over_the_size_limit_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(json_files, "MAX_FILE_BYTES", 100)
    _, data = write_submissions(HEADER, [WORK])
    with pytest.raises(IswcFileError, match="more than the 100 allowed"):
        read_json(data)


def test_the_writer_refuses_what_the_schema_refuses():
    with pytest.raises(IswcWriteError, match="category"):
        write_submissions(HEADER, [replace(WORK, category=None)])
    with pytest.raises(IswcWriteError, match="used twice"):
        write_submissions(HEADER, [WORK, WORK])
    with pytest.raises(IswcWriteError, match="receiving agency"):
        write_submissions(replace(HEADER, receiver=None), [WORK])


def test_a_file_from_a_local_range_holds_additions_with_their_iswc_only():
    local = replace(WORK, locally_allocated_iswc="T0345246801")
    name, _ = write_submissions(HEADER, [local], FROM_LOCAL_RANGE)
    assert name == "iswc_2019-11-25T18-25-43_315_128_FromLocalRange.json"
    with pytest.raises(IswcWriteError, match="no locally allocated ISWC"):
        write_submissions(HEADER, [WORK], FROM_LOCAL_RANGE)
    deletion = Deletion(2, "T0345246801", "128", 128, "R1", "R01")
    with pytest.raises(IswcWriteError, match="only additions"):
        write_submissions(HEADER, [local, deletion], FROM_LOCAL_RANGE)


def test_unnamed_fields_of_an_answer_may_be_anything_but_a_bad_iswc():
    _, data = write_acknowledgements(HEADER, [])
    document = json.loads(data)
    ack = {
        "submissionId": 1, "originalFileCreationDateTime": "2019-10-01T18:25:43.511Z",
        "originalSubmissionId": 2, "originalTransactionType": "AddSubmission",
        "processingDateTime": "2019-11-25T18:25:43.511Z", "transactionStatus": "FullyAccepted",
        "workInfo": [{"agency": "128", "sourcedb": 1, "workcode": "X", "derivedFromIswcs": "?"}],
        "comment": {"any": ["thing"]},
    }  # fmt: skip
    document["acknowledgements"] = [ack, dict(ack, submissionId=2, mergeIswcs=5)]
    read = read_json(json.dumps(document).encode())
    assert [a.submission_id for a in read.acknowledgements] == [1]
    assert [f.field for f in read.findings] == ["$.acknowledgements[1].mergeIswcs"]
