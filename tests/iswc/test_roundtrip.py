"""A round with the stand-in: it writes the CSN files the database sends other agencies,
and the node applies them (a merge by another agency among them); `exchange demo` too."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from exchange.cli import main
from exchange.config import NodeConfig, parse_config
from exchange.iswc import repertoire
from exchange.iswc.collect import collect
from exchange.iswc.payloads import submission
from exchange.store import Store
from exchange.store import conflicts as stored_conflicts
from tests.iswc.conftest import FakeClock, make_client, running_standin
from tests.iswc.test_repertoire import member_work

pytestmark = [pytest.mark.iswc, pytest.mark.http]


def config_for(folder: Path, url: str) -> NodeConfig:
    text = (
        '[node]\nsociety_code = "128"\n'
        f'[iswc]\nurl = "{url}"\nnotification_folder = "{folder / "128"}"\n'
    )
    return parse_config(tomllib.loads(text), folder / "node.toml")


def test_a_merge_by_another_agency_comes_back_as_a_csn_and_is_applied(
    tmp_path: Path, store: Store, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "csn"
    with running_standin(clock.time, notifications=folder) as standin:
        first, second = store.add_works(
            [
                (member_work("FIRST WORK", "R1"), None),
                (member_work("SECOND WORK", "R2", "ROLLINS"), None),
            ]
        )
        with make_client(standin.url, store, clock) as api:
            repertoire.submit(store, api, deadline_days=60)
        one, two = (store.load_work(w) for w in (first, second))
        with make_client(standin.url, store, clock, agency="052") as sister:
            for work in (one, two):  # the sister registers both: matched to our ISWCs
                assert sister.add(submission(work, agency="052", source_db=52)).iswc == work.iswc
            assert sister.merge(one.iswc, iswcs=[two.iswc]) is None
        config = config_for(folder, standin.url)
        result = collect(store, config)
    statuses = [item["statuses"] for item in result["received"]]
    assert statuses == [{"noted": 1}, {"noted": 1}, {"conflict": 1}], result
    # our second work's ISWC is archived under the first's, and still finds the work
    assert store.load_work(second).iswc == one.iswc
    assert store.find_work(two.iswc) == second
    iswcs = store.iswc_state(second)["iswcs"]
    assert [(i["iswc"], i["status"]) for i in iswcs] == [(one.iswc, "preferred"),
                                                          (two.iswc, "archived")]  # fmt: skip
    with store.connect() as conn:  # two works of ours now under one ISWC: one work or two?
        [conflict] = stored_conflicts.find(conn, work_id=second, kind="iswc")
    assert conflict.key == f"iswc:merged:{one.iswc}"


def test_the_demo_shows_a_round_with_the_stand_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["demo", "--dir", str(tmp_path / "demo"), "--json"])
    assert done.value.code == 0
    data = json.loads(capsys.readouterr().out)["iswc"]
    outcomes = {w["outcome"] for w in data["submitted"]["works"]}
    assert {"accepted", "rejected"} <= outcomes  # two carry ISWCs the stand-in does not know
    assert data["submitted_again"]["sent"] == 0
    assert [n["state"] for n in data["notifications"]] == ["imported", "imported"]
    [task] = data["tasks"]
    assert task["type"] == "UpdateApproval" and task["originating_agency"] == "058"
