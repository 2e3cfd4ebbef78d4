"""The file route: our submissions written as an ISWC JSON file, its acknowledgement applied.

`exchange iswc submit --file DIR` with no API configured, then `exchange iswc sync`
applying the ACK file the ISWC database sends back; on the store of each engine.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.iswc import json_files
from adapters.iswc.model import Acknowledgement, ErrorMessage, FileHeader, Submission
from adapters.iswc.naming import parse_json_file_name
from exchange.cli import main
from exchange.errors import ExchangeError
from exchange.iswc import repertoire
from exchange.store import Store
from tests.iswc.conftest import member_work

pytestmark = pytest.mark.iswc

FIRST, SECOND = "T9000000011", "T9000000022"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    data = json.loads(out) if "--json" in args and out.strip() else {}
    return exit_info.value.code, data, out + err


@pytest.fixture
def node(tmp_path: Path, db_url: str) -> tuple[list[str], Path, Path, Store]:
    """A node of agency 128 without [iswc] url: submissions go out as files only."""
    inbox, outbox = tmp_path / "notifications", tmp_path / "outbox"
    inbox.mkdir()
    config = tmp_path / "exchange.toml"
    config.write_text(f'[node]\nsociety_code = "128"\n\n[iswc]\nnotification_folder = "{inbox}"\n')
    store = Store(db_url)
    store.init()
    return ["--db", db_url, "--config", str(config)], inbox, outbox, store


def test_submissions_written_as_a_file_then_acknowledged(
    node, capsys: pytest.CaptureFixture[str]
) -> None:
    config, inbox, outbox, store = node
    ids = store.add_works(
        [
            (member_work("FIRST WORK", "R1"), None),
            (member_work("SECOND WORK", "R2", "ROLLINS"), None),
            (member_work("THIRD WORK", "R3", "MASSON"), None),
        ]
    )
    code, result, _ = run(capsys, *config, "iswc", "submit", "--file", str(outbox), "--json")
    assert code == 0, result
    assert (result["sent"], result["pending"]) == (3, 3)
    path = Path(result["file"])
    assert os.listdir(outbox) == [path.name]  # no temporary file left
    named = parse_json_file_name(path.name)
    assert named is not None and (named.receiver, named.sender) == ("315", "128")
    written = json_files.read_json(path.read_bytes(), path.name)  # the schema accepts it
    assert (written.header.sender, written.header.receiver) == ("128", "315")
    assert written.header.created == named.created and not written.findings
    subs = written.transactions
    assert all(isinstance(s, Submission) and s.transaction_type == "CAR" for s in subs)
    assert [(s.submission_id, s.workcode) for s in subs] == [(1, "R1"), (2, "R2"), (3, "R3")]
    assert store.iswc_state(ids[0])["submission"]["outcome"] == "pending"
    assert store.iswc_state(ids[0])["submission"]["route"] == "file"
    code, _, shown = run(capsys, *config, "works", "show", str(ids[1]))
    said = " ".join(shown.split())
    assert code == 0 and "add pending" in said and f"in {path.name} #2" in said

    # the same content is never written twice
    code, again, text = run(capsys, *config, "iswc", "submit", "--file", str(outbox), "--json")
    assert code == 0 and again["sent"] == 0 and again["unchanged"] == 3
    assert again["file"] is None and os.listdir(outbox) == [path.name]

    # the database's acknowledgement: two accepted (one without our work code: found
    # by its submission id), one rejected with a code
    created = written.header.created
    processed = created + timedelta(hours=2)
    acks = [
        Acknowledgement(created, 1, "CAR", processed, "FA", submission_id=1,
                        preferred_iswc=FIRST, agency="128", sourcedb=128, workcode="R1"),
        Acknowledgement(created, 2, "CAR", processed, "FA", submission_id=2,
                        preferred_iswc=SECOND),
        Acknowledgement(created, 3, "CAR", processed, "RJ", submission_id=3, agency="128",
                        sourcedb=128, workcode="R3",
                        errors=(ErrorMessage(140, "IP name number not found", "Error"),)),
    ]  # fmt: skip
    name, data = json_files.write_acknowledgements(FileHeader("315", "128", processed, 315), acks)
    (inbox / name).write_bytes(data)
    code, synced, _ = run(capsys, *config, "iswc", "sync", "--json")
    assert code == 0, synced
    [item] = synced["received"]
    assert item["state"] == "imported" and item["statuses"] == {"applied": 3}

    first, second, third = (store.iswc_state(i) for i in ids)
    assert store.load_work(ids[0]).iswc == FIRST and store.load_work(ids[1]).iswc == SECOND
    assert first["iswcs"][0]["source"]["file"] == name  # kept with its source
    assert (first["submission"]["outcome"], first["submission"]["iswc"]) == ("accepted", FIRST)
    assert second["submission"]["outcome"] == "accepted"
    assert third["submission"]["outcome"] == "rejected"
    assert [r["code"] for r in third["rejections"]] == ["140"]
    code, _, shown = run(capsys, *config, "works", "show", str(ids[2]))
    assert code == 0 and "rejected 140: IP name number not found" in shown

    # nothing applied twice
    code, twice, _ = run(capsys, *config, "iswc", "sync", "--json")
    assert code == 0 and all(i.get("state") != "imported" or i["imported_before"]
                             for i in twice["received"])  # fmt: skip
    assert len(store.iswc_state(ids[2])["rejections"]) == 1
    # and the rejected work, unchanged, is not written again
    code, after, _ = run(capsys, *config, "iswc", "submit", "--file", str(outbox), "--json")
    assert code == 0 and after["sent"] == 0 and after["file"] is None


def test_the_api_route_needs_the_url(node, capsys: pytest.CaptureFixture[str]) -> None:
    config, _, _, store = node
    store.add_works([(member_work("FIRST WORK", "R1"), None)])
    code, _, text = run(capsys, *config, "iswc", "submit")
    assert code != 0 and "[iswc] url is not set" in text and "--file" in text


def test_a_failed_write_leaves_no_file_and_nothing_recorded(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    [work_id] = store.add_works([(member_work("FIRST WORK", "R1"), None)])

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    with pytest.raises(ExchangeError, match="cannot write .*No space left"):
        repertoire.write_file(store, outbox, agency="128", source_db=128)
    assert os.listdir(outbox) == []
    assert store.iswc_state(work_id)["submission"] is None


def test_a_work_the_schema_refuses_is_left_out_saying_why(
    node, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _, outbox, store = node
    version = member_work("VERSION OF NOTHING", "R9")
    version.version_type = "MOD"  # derived, from no work the schema can take
    ids = store.add_works([(member_work("FIRST WORK", "R1"), None), (version, None)])
    code, result, _ = run(capsys, *config, "iswc", "submit", "--file", str(outbox), "--json")
    assert code == 1  # like a work that cannot be sent by the API
    works = {w["work"]: w for w in result["works"]}
    assert works[ids[0]]["outcome"] == "pending"
    refused = works[ids[1]]
    assert refused["outcome"] == "unsendable" and "derivedFromIswcs" in refused["message"]
    written = json_files.read_json(Path(result["file"]).read_bytes())
    assert [s.workcode for s in written.transactions] == ["R1"]
    assert store.iswc_state(ids[1])["submission"] is None
