"""`exchange iswc ...` on the command line: JSON documents, tables, exit codes, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exchange.cli import main
from exchange.store import Store
from tests.iswc.conftest import KEY, UNKNOWN_IPI, running_standin
from tests.iswc.test_repertoire import member_work

pytestmark = [pytest.mark.iswc, pytest.mark.http]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return done.value.code, out, err


def node(tmp_path: Path, url: str, iswc: bool = True) -> list[str]:
    config = tmp_path / "exchange.toml"
    section = f'[iswc]\nurl = "{url}"\nrequests_per_minute = 10000\n' if iswc else ""
    config.write_text(f'[node]\nsociety_code = "128"\n{section}')
    db = f"sqlite:///{tmp_path / 'node.db'}"
    Store(db).init()
    return ["--db", db, "--config", str(config)]


def test_submit_lookup_and_tasks_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXCHANGE_ISWC_KEY", KEY)
    import time

    with running_standin(time.time) as standin:
        args = node(tmp_path, standin.url)
        with Store(args[1]) as store:
            store.add_works(
                [(member_work("GOOD WORK", "R1"), None),
                 (member_work("BAD WRITER", "R2", UNKNOWN_IPI), None)]
            )  # fmt: skip
        code, out, _ = run(capsys, *args, "iswc", "submit", "--json")
        data = json.loads(out)
        assert code == 1  # a work was rejected: the document says which and why
        assert (data["sent"], data["accepted"], data["rejected"]) == (2, 1, 1)
        [bad] = [w for w in data["works"] if w["outcome"] == "rejected"]
        assert bad["rejection"]["code"] == "137"
        code, out, _ = run(capsys, *args, "iswc", "submit")
        assert code == 0 and "0 sent, 2 unchanged" in out
        code, out, _ = run(capsys, *args, "iswc", "lookup", "--json")
        assert code == 0 and json.loads(out)["considered"] == 1  # the rejected one, no ISWC
        code, out, _ = run(capsys, *args, "iswc", "tasks", "list", "--json")
        assert code == 0 and json.loads(out) == {"tasks": []}
        code, out, err = run(capsys, *args, "iswc", "tasks", "approve", "7")
        assert code == 1 and "no workflow task 7" in err
        code, out, _ = run(capsys, *args, "works", "show", "128:R2")
        assert "rejected 137" in out


def test_clear_errors_without_iswc_settings_or_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EXCHANGE_ISWC_KEY", raising=False)
    args = node(tmp_path, "http://127.0.0.1:9")
    code, out, err = run(capsys, *args, "iswc", "submit", "--json")
    assert code == 2 and "$EXCHANGE_ISWC_KEY" in err
    assert json.loads(out)["error"]["code"] == 2
    code, _, err = run(capsys, *args, "iswc", "sync")
    assert code == 2 and "neither notification_partner nor notification_folder" in err
    (tmp_path / "bare").mkdir()
    args = node(tmp_path / "bare", "", iswc=False)
    code, _, err = run(capsys, *args, "iswc", "tasks", "list")
    assert code == 2 and "no [iswc] section" in err


def test_a_task_rejected_then_refused_a_second_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from exchange.iswc.payloads import submission
    from tests.iswc.conftest import make_client

    monkeypatch.setenv("EXCHANGE_ISWC_KEY", KEY)
    with running_standin(time.time) as standin:
        args = node(tmp_path, standin.url)
        with Store(args[1]) as store:
            [work_id] = store.add_works([(member_work("SHARED", "R1"), None)])
        code, out, _ = run(capsys, *args, "iswc", "submit", "--json")
        [ours] = json.loads(out)["works"]
        with Store(args[1]) as store, make_client(standin.url, store, _Clock(), "052") as sister:
            work = store.load_work(work_id)
            theirs = submission(work, agency="052", source_db=52)
            assert sister.add(theirs).iswc == ours["iswc"]
            assert sister.update({**theirs, "originalTitle": "SHARED (NEW)"}, ours["iswc"]).ok
        code, out, _ = run(capsys, *args, "iswc", "tasks", "list")
        assert code == 0 and "UpdateApproval  Outstanding  by 052" in out
        assert f"work {work_id} SHARED; approved on " in out
        code, out, _ = run(capsys, *args, "iswc", "tasks", "list", "--json")
        [task] = json.loads(out)["tasks"]
        assert task["work"]["id"] == work_id and task["auto_approved_on"]
        code, out, _ = run(capsys, *args, "iswc", "tasks", "reject", str(task["id"]),
                           "--message", "not ours", "--json")  # fmt: skip
        assert code == 0 and json.loads(out)["task"]["status"] == "Rejected"
        code, out, _ = run(capsys, *args, "iswc", "tasks", "approve", str(task["id"]))
        assert code == 1 and "refused by the ISWC database: 152" in out


class _Clock:
    def time(self) -> float:
        import time

        return time.time()

    def sleep(self, seconds: float) -> None:
        import time

        time.sleep(seconds)
