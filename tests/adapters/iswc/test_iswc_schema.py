"""The project's ISWC JSON Schema against the samples and tables of SPE_20191118."""

from __future__ import annotations

import copy

import jsonschema_rs
import pytest

from adapters.cwr.layout import lookup
from adapters.iswc import vocabulary as v
from adapters.iswc.json_files import schema_findings

HEADER = {
    "submittingAgency": "128",
    "sunmittingSourcedb": 128,  # sic: the document's own sample header
    "fileCreationDateTime": "2019-10-01T18:25:43.511Z",
    "receivingAgency": "315",
}
IP = [{"nameNumber": 375001586, "role": "CA"}]
# The samples of the document's sections 3.1 to 3.9, as printed (typos in group names fixed).
SAMPLES = {
    "addSubmissions": [
        {"submissionId": 1, "agency": "128", "sourcedb": 128, "workcode": "R28995186",
         "category": "DOM", "disambiguation": False, "originalTitle": "string",
         "interestedParties": IP},
        {"submissionId": 2, "agency": "128", "sourcedb": 128, "category": "DOM",
         "workcode": "R28995187", "originalTitle": "string", "interestedParties": IP},
    ],
    "updateSubmissions": [
        {"submissionId": 3, "preferredIswc": "T0302332075", "agency": "128", "sourcedb": 128,
         "workcode": "R28995186", "category": "DOM", "originalTitle": "string",
         "interestedParties": IP},
    ],
    "deleteSubmissions": [
        {"submissionId": 4, "preferredIswc": "T0302332075", "agency": "128", "sourcedb": 128,
         "workcode": "R28995186", "reasonCode": "R01"},
    ],
    "searchByIswcSubmissions": [{"submissionId": 5, "iswc": "T0302332086"}],
    "searchByAgencyWorkCodeSubmissions": [
        {"submissionId": 6, "agency": "128", "sourcedb": 128, "workcode": "R28995187"},
    ],
    "mergeSubmissions": [
        {"submissionId": 7, "agency": "128", "sourcedb": 128, "workcode": "R28995187",
         "preferredIswc": "T0302332086", "mergeIswcs": ["T0302331403", "T0302331414"]},
    ],
    "acknowledgements": [
        {"submissionId": 1000, "originalFileCreationDateTime": "2019-10-01T18:25:43.511Z",
         "originalSubmissionId": 1, "originalTransactionType": "AddSubmission",
         "preferredIswc": "T0302332075", "agency": "128", "sourcedb": 128,
         "workcode": "R28995186", "originalTitle": "",
         "processingDate": "2019-11-25T18:25:43.511Z", "transactionStatus": "FullyAccepted",
         "workInfo": [{"agency": "072", "sourcedb": 72, "workcode": "637947"},
                      {"agency": "029", "sourcedb": 29, "workcode": "177157029"}]},
        {"submissionId": 1001, "originalFileCreationDateTime": "2019-10-01T18:25:43.511Z",
         "originalSubmissionId": 2, "originalTransactionType": "AddSubmission",
         "agency": "128", "sourcedb": 128, "workcode": "R28995187", "originalTitle": "",
         "processingDate": "2019-11-25T18:25:43.511Z", "transactionStatus": "Rejected",
         "errorMessages": [{"errorType": "Transaction Rejected", "errorNumber": 104,
                            "errorMessage": "CSI:The provided IP Name Nbr is a Status 3"}]},
    ],
    "notifications": [
        {"submissionId": 1000, "originalFileCreationDateTime": "2019-10-01T18:25:43.511Z",
         "originalSubmissionId": 1, "originalTransactionType": "AddSubmission",
         "preferredIswc": "T0302332075", "agency": "128", "sourcedb": 128,
         "workcode": "R28995186", "originalTitle": "",
         "processingDate": "2019-11-25T18:25:43.511Z", "transactionStatus": "FullyAccepted",
         "interestedParties": IP,
         "workInfo": [{"agency": "128", "sourcedb": 128, "workcode": "R28995186"}]},
    ],
}  # fmt: skip


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema_rs.meta.validate(v.schema())


def test_the_simplest_file_of_the_document_is_valid():
    assert schema_findings({"$schema": "./iswc_schema.json", "fileHeader": HEADER}) == []


@pytest.mark.parametrize("group", sorted(SAMPLES))
def test_the_samples_of_the_document_are_valid(group):
    assert schema_findings({"fileHeader": HEADER, group: SAMPLES[group]}) == []


def test_the_workflow_sample_lacks_the_type_its_table_makes_mandatory():
    # SPE_20191118 3.7: workflowType is M in the table, absent from the sample: the table wins.
    task = {"submissionId": 8, "taskId": 1, "status": "Approved"}
    [finding] = schema_findings({"fileHeader": HEADER, "updateWorkflowTasks": [task]})
    assert finding.message == "$.updateWorkflowTasks[0]: missing workflowType"
    task["workflowType"] = "UpdateApproval"
    assert schema_findings({"fileHeader": HEADER, "updateWorkflowTasks": [task]}) == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda s: s.update(disambiguation=True), "$.addSubmissions[0]"),  # rule 18
        (lambda s: s.update(derivedWorkType="Excerpt"), "$.addSubmissions[0]"),  # rule 19
        (lambda s: s.update(derivedWorkType="Remix", derivedFromIswcs=[{"title": "X"}]),
         "$.addSubmissions[0].derivedWorkType"),
        (lambda s: s.update(bvltr="Jingle"), "$.addSubmissions[0].bvltr"),
        (lambda s: s.update(otherTitles=[{"title": "X", "type": "ZZ"}]),
         "$.addSubmissions[0].otherTitles[0].type"),
        (lambda s: s.update(derivedFromIswcs=[{}], derivedWorkType="Excerpt"),
         "$.addSubmissions[0].derivedFromIswcs[0]"),
        (lambda s: s.update(agency="128A"), "$.addSubmissions[0].agency"),
        (lambda s: s.pop("workcode"), "$.addSubmissions[0]"),
    ],
)  # fmt: skip
def test_the_rules_of_the_tables_are_in_the_schema(change, path):
    submission = copy.deepcopy(SAMPLES["addSubmissions"][0])
    change(submission)
    findings = schema_findings({"fileHeader": HEADER, "addSubmissions": [submission]})
    assert findings and findings[0].field == path


def test_a_rejection_without_its_errors_is_invalid():
    ack = copy.deepcopy(SAMPLES["acknowledgements"][1])
    del ack["errorMessages"]
    assert schema_findings({"fileHeader": HEADER, "acknowledgements": [ack]})


def test_a_workflow_task_without_its_status_is_invalid():
    note = dict(SAMPLES["notifications"][0], workflowTaskId=7)
    assert schema_findings({"fileHeader": HEADER, "notifications": [note]})
    note["workflowStatus"] = 0
    assert schema_findings({"fileHeader": HEADER, "notifications": [note]}) == []


def test_the_roles_are_the_cisac_writer_designations_and_publisher_types():
    assert lookup("writer_designation_code") | lookup("publisher_type") == v.ROLES
