"""The stand-in answers as the REST specification says CISAC's ISWC database does.

Plain HTTP against a real uvicorn server on a loopback port: the gateway (key,
rate limit), the JSON shapes, 207 answers, the rule codes; and the command line
a person starts it with.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from exchange.identifiers import iswc as iswc_id
from tests.http_server import free_port
from tests.iswc.conftest import KEY, UNKNOWN_IPI, WRITERS, FakeClock, StandIn, running_standin

pytestmark = [pytest.mark.iswc, pytest.mark.http]

REPO = Path(__file__).resolve().parents[2]
HEADERS = {"Ocp-Apim-Subscription-Key": KEY}


def submission(code: str, title: str = "JOHN C WHOLE OTHER TEST WORK", **extra: Any) -> dict:
    return {
        "agency": "128",
        "sourcedb": 128,
        "workcode": code,
        "category": "DOM",
        "originalTitle": title,
        "interestedParties": [
            {"nameNumber": int(WRITERS["CORLEY"]), "role": "C"},
            {"nameNumber": int(WRITERS["ROLLINS"]), "role": "C"},
        ],
        **extra,
    }


def api(standin: StandIn) -> httpx.Client:
    return httpx.Client(base_url=standin.url, headers=HEADERS, timeout=30)


def test_the_subscription_key_is_required_and_checked(standin: StandIn) -> None:
    with httpx.Client(base_url=standin.url) as http:
        missing = http.get("/iswc/searchByIswc", params={"iswc": "T0345246801"})
        wrong = http.get(
            "/iswc/searchByIswc",
            params={"iswc": "T0345246801"},
            headers={"Ocp-Apim-Subscription-Key": "not-the-key"},
        )
    assert missing.status_code == 401
    assert "missing subscription key" in missing.json()["message"]
    assert wrong.status_code == 401
    assert "invalid subscription key" in wrong.json()["message"]


def test_an_added_work_gets_an_iswc_with_its_check_digit(standin: StandIn) -> None:
    with api(standin) as http:
        answer = http.post("/submission", json=submission("R31000011"))
        again = http.post("/submission", json=submission("R31000011"))  # PV/02: an update
    assert answer.status_code == 201
    verified = answer.json()["verifiedSubmission"]
    assert re.fullmatch(r"T[0-9]{10}", verified["iswc"]) and iswc_id.is_valid(verified["iswc"])
    assert verified["workcode"] == "R31000011" and verified["deleted"] is False
    assert "preferredIswc" not in verified and "disambiguation" not in verified
    assert again.status_code == 201
    assert again.json()["verifiedSubmission"]["iswc"] == verified["iswc"]
    assert len(standin.db.records) == 1


def test_a_body_that_breaks_the_schema_is_a_problem_document(standin: StandIn) -> None:
    with api(standin) as http:
        answer = http.post("/submission", json=submission("R0008442", derivedWorkType=""))
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["title"] == "One or more validation errors occurred."
    assert list(problem["errors"]) == ["derivedWorkType"]


@pytest.mark.parametrize(
    ("iswc", "code"), [("T034524680", "113"), ("t0345246801", "113"), ("T0345246802", "141")]
)
def test_a_malformed_iswc_is_rejected_with_its_code(standin: StandIn, iswc: str, code: str) -> None:
    with api(standin) as http:
        searched = http.get("/iswc/searchByIswc", params={"iswc": iswc})
        added = http.post("/submission", json=submission("R1", iswc=iswc))
    assert searched.status_code == added.status_code == 400
    assert searched.json()["code"] == added.json()["code"] == code


def test_an_unknown_ipi_name_number_is_137(standin: StandIn) -> None:
    body = submission("R2")
    body["interestedParties"].append({"nameNumber": int(UNKNOWN_IPI), "role": "CA"})
    with api(standin) as http:
        answer = http.post("/submission", json=body)
    assert answer.status_code == 400
    assert answer.json()["code"] == "137" and UNKNOWN_IPI in answer.json()["message"]


def test_a_batch_is_answered_207_item_by_item(standin: StandIn) -> None:
    items = [
        {"submissionId": 1, "submission": submission("R10", "FIRST")},
        {"submissionId": 2, "submission": submission("R11", "SECOND", iswc="T0345246802")},
        {"submissionId": 3, "submission": submission("R12", "THIRD")},
        {"submissionId": 4, "submission": submission("R12", "THIRD AGAIN")},
    ]
    with api(standin) as http:
        answer = http.post("/submission/batch", json=items)
    assert answer.status_code == 207
    by_id = {item["submissionId"]: item for item in answer.json()}
    assert by_id[2]["rejection"]["code"] == "141" and "submission" not in by_id[2]
    assert by_id[4]["rejection"]["code"] == "155"  # the same work twice in one request
    for number in (1, 3):
        assert iswc_id.is_valid(by_id[number]["submission"]["verifiedSubmission"]["iswc"])
    assert len(standin.db.records) == 2


def test_an_update_older_than_the_held_one_is_a_concurrency_error(standin: StandIn) -> None:
    newer = "2026-11-05T08:31:20+00:00"
    with api(standin) as http:
        added = http.post("/submission", json=submission("R20", cisnetLastModifiedDate=newer))
        iswc = added.json()["verifiedSubmission"]["iswc"]
        stale = submission("R20", "OLD TITLE", cisnetLastModifiedDate="2026-10-01T00:00:00+00:00")
        answer = http.put("/submission", params={"preferredIswc": iswc}, json=stale)
        found = http.get("/iswc/searchByIswc", params={"iswc": iswc})
    assert answer.status_code == 400 and answer.json()["code"] == "155"
    assert found.json()["originalTitle"] == "JOHN C WHOLE OTHER TEST WORK"


def test_searches_and_a_delete(standin: StandIn) -> None:
    with api(standin) as http:
        iswc = http.post("/submission", json=submission("R30")).json()["verifiedSubmission"]
        iswc = iswc["iswc"]
        by_code = http.get(
            "/iswc/searchByAgencyWorkCode", params={"agency": "128", "workCode": "R30"}
        )
        by_title = http.post(
            "/iswc/searchByTitleAndContributor",
            json={"titles": [{"title": "john c whole other test work", "type": "OT"}],
                  "interestedParties": [{"nameNumber": int(WRITERS["ROLLINS"])}]},
        )  # fmt: skip
        batch = http.post("/iswc/searchByIswc/batch", json=[{"iswc": iswc}, {"iswc": "T1"}])
        deleted = http.delete(
            "/submission",
            params={"preferredIswc": iswc, "agency": "128", "workcode": "R30", "sourceDb": 128,
                    "reasonCode": "R01"},
        )  # fmt: skip
        gone = http.get("/iswc/searchByAgencyWorkCode", params={"agency": "128", "workCode": "R30"})
    assert by_code.status_code == 200 and by_code.json()[0]["iswc"] == iswc
    assert by_code.json()[0]["works"][0]["workcode"] == "R30"
    assert by_title.status_code == 200 and [m["iswc"] for m in by_title.json()] == [iswc]
    assert batch.status_code == 207
    assert [item["searchId"] for item in batch.json()] == [1, 2]
    assert batch.json()[0]["searchResults"][0]["iswc"] == iswc
    assert batch.json()[1]["rejection"]["code"] == "113"
    assert deleted.status_code == 204
    assert gone.status_code == 404


def test_over_the_rate_limit_is_429_until_the_window_moves() -> None:
    clock = FakeClock()
    with running_standin(clock.time, rpm=3) as standin, api(standin) as http:
        answers = [http.get("/iswc/searchByIswc", params={"iswc": "T0345246801"})
                   for _ in range(4)]  # fmt: skip
        clock.now += int(answers[-1].headers["Retry-After"])
        later = http.get("/iswc/searchByIswc", params={"iswc": "T0345246801"})
    assert [a.status_code for a in answers] == [404, 404, 404, 429]
    assert answers[-1].headers["Retry-After"] == "60"
    assert "Rate limit is exceeded" in answers[-1].json()["message"]
    assert later.status_code == 404


def test_over_the_month_s_quota_is_403() -> None:
    clock = FakeClock()
    with running_standin(clock.time, per_month=2) as standin, api(standin) as http:
        answers = [http.get("/iswc/searchByIswc", params={"iswc": "T0345246801"})
                   for _ in range(3)]  # fmt: skip
    assert [a.status_code for a in answers] == [404, 404, 403]
    assert "Out of call volume quota" in answers[-1].json()["message"]


def test_it_starts_from_the_command_line(tmp_path: Path) -> None:
    port = free_port()
    known = tmp_path / "ipi.txt"
    known.write_text(f"# writers we know\n{WRITERS['CORLEY']}\n{WRITERS['ROLLINS']}\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "tests.iswc_standin", "--port", str(port), "--key", KEY,
               "--rpm", "100", "--ipi", str(known)]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert "stand-in on http://127.0.0.1:" in process.stdout.readline()
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/submission", headers=HEADERS,
                    json=submission("R40"), timeout=10,
                )  # fmt: skip
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        assert answer.status_code == 201
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
