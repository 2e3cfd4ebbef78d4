"""Submissions built from works follow the REST specification's conventions (chapter 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from adapters.iswc.vocabulary import TITLE_TYPES
from exchange.iswc.answers import AnswerError, IswcMetadata, SubmissionResult
from exchange.iswc.codes import ROLES
from exchange.iswc.payloads import PayloadError, submission
from exchange.model import (
    Affiliation,
    Claim,
    Component,
    Instrument,
    InterestedParty,
    OriginalWork,
    Performer,
    Right,
    Side,
    Title,
    Work,
    WorkNumber,
)

pytestmark = pytest.mark.iswc


def writer(name: str, number: str | None, role: str = "CA") -> Claim:
    return Claim(InterestedParty(name, ipi_name_number=number), role, Side.WRITER)


def test_optional_fields_are_left_out_not_sent_empty() -> None:
    body = submission(Work("PLAIN", id=3, claims=[writer("A", "00458930030")]), agency="128",
                      source_db=128)  # fmt: skip
    assert set(body) == {"agency", "sourcedb", "workcode", "category", "originalTitle",
                         "interestedParties"}  # fmt: skip
    assert all(value not in ("", [], None) for value in body.values())


def test_every_part_of_a_full_work() -> None:
    member = InterestedParty("CORLEY", "JOHN", ipi_name_number="00458930030",
                             ipi_base_number="I-000000229-7",
                             affiliations=[Affiliation("128", Right.PR)])  # fmt: skip
    publisher = InterestedParty("EDITIONS", ipi_name_number="00375001586", is_legal_entity=True)
    unnamed_publisher = InterestedParty("NO IPI PUBLISHING")
    work = Work(
        "  A  MODIFIED   SONG ",
        iswc="T-034.524.680-1",
        version_type="MOD",
        original=OriginalWork("THE ORIGINAL", iswc="T0345246801"),
        titles=[Title("A MODIFIED SONG", "OT"), Title("ALT", "AT"), Title("BAD", "XX")],
        numbers=[WorkNumber("128", "R31000011")],
        claims=[
            Claim(member, "C", Side.WRITER),
            Claim(member, "C", Side.WRITER, chain=2),  # the same party twice: sent once
            Claim(publisher, "E", Side.PUBLISHER),
            Claim(publisher, "SE", Side.PUBLISHER),  # a sub-publisher: not sent
            Claim(unnamed_publisher, "E", Side.PUBLISHER),  # no IPI: left out
        ],
        performers=[Performer("SINGER", "SAM"), Performer("SINGER", "SAM"), Performer("BAND")],
        instruments=[Instrument("PNO"), Instrument("VLN")],
    )
    paris = timezone(timedelta(hours=1))
    body = submission(work, agency="128", source_db=128, preferred_iswc="T0345246801",
                      created=datetime(2019, 11, 5, 8, 31, 20, tzinfo=UTC),
                      modified=datetime(2019, 11, 5, 9, 31, 20, tzinfo=paris))  # fmt: skip
    assert body["workcode"] == "R31000011" and body["category"] == "DOM"
    assert body["originalTitle"] == "A MODIFIED SONG"
    assert body["otherTitles"] == [{"title": "ALT", "type": "AT"}]
    assert body["iswc"] == body["preferredIswc"] == "T0345246801"
    assert body["interestedParties"] == [
        {"nameNumber": 458930030, "role": "C", "name": "CORLEY, JOHN",
         "baseNumber": "I-000000229-7"},
        {"nameNumber": 375001586, "role": "E", "name": "EDITIONS"},
    ]  # fmt: skip
    assert body["derivedWorkType"] == "ModifiedVersion"
    assert body["derivedFromIswcs"] == [{"iswc": "T0345246801"}]
    assert body["performers"] == [{"lastName": "SINGER", "firstName": "SAM"},
                                  {"lastName": "BAND"}]  # fmt: skip
    assert body["instrumentation"] == [{"code": "PNO"}, {"code": "VLN"}]
    assert body["cisnetCreatedDate"] == "2019-11-05T08:31:20+00:00"
    assert body["cisnetLastModifiedDate"] == "2019-11-05T09:31:20+01:00"
    assert {p["role"] for p in body["interestedParties"]} <= set(ROLES)
    assert {t["type"] for t in body["otherTitles"]} <= set(TITLE_TYPES)


def test_a_composite_names_its_components_by_iswc_or_title() -> None:
    work = Work("MEDLEY", id=9, composite_type="MED", claims=[writer("A", "00458930030")],
                components=[Component("ONE", iswc="T0345246801"), Component("TWO"),
                            Component("  ")])  # fmt: skip
    body = submission(work, agency="128", source_db=128)
    assert body["derivedWorkType"] == "Composite"
    assert body["derivedFromIswcs"] == [{"iswc": "T0345246801"}, {"title": "TWO"}]


@pytest.mark.parametrize(
    ("work", "why"),
    [
        (Work("", id=1, claims=[writer("A", "00458930030")]), "has no title"),
        (Work("T", claims=[writer("A", "00458930030")]), "no work code of 128 and no local id"),
        (
            Work(
                "T",
                id=1,
                numbers=[WorkNumber("128", "R" * 21)],
                claims=[writer("A", "00458930030")],
            ),
            "longer than the 20",
        ),  # fmt: skip
        (Work("T", id=1, claims=[writer("A", None)]), "writer 'A' .CA. has no IPI name number"),
        (Work("T", id=1, claims=[writer("Z", "00000000000")]), "'Z' .CA. has no IPI name"),
        (Work("T", id=1, claims=[writer("S", "\u00b2")]), "'S' .CA. has no IPI name"),
        (Work("T", id=1, claims=[writer("A", "00458930030", "PA")]), "no writer with a creator"),
    ],
)
def test_a_work_that_cannot_be_sent_says_which_and_why(work: Work, why: str) -> None:
    with pytest.raises(PayloadError, match=why):
        submission(work, agency="128", source_db=128)


def test_answers_that_are_not_the_specified_json_are_errors() -> None:
    with pytest.raises(AnswerError, match="without an ISWC"):
        IswcMetadata.from_json({"agency": "128"})
    with pytest.raises(AnswerError, match="without a submissionId"):
        SubmissionResult.from_batch_item({"submission": {}})
    with pytest.raises(AnswerError, match="without a code"):
        SubmissionResult.from_batch_item({"submissionId": 1, "rejection": {"message": "x"}})
