"""Notification files of the ISWC database collected and applied: `exchange iswc sync`.

From a folder and over a real sshd (like partner files), in ISWC JSON and EDI
v3.00; on the store of each engine.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.iswc import edi_writer, json_files
from adapters.iswc.model import FileHeader, Notification, WorkInfo
from exchange.cli import main
from exchange.model import Source, Work, WorkNumber
from exchange.store import Store
from exchange.store import iswc_works as iw
from exchange.store import tables as t
from tests.sshd import SshServer, running_sshd

pytestmark = pytest.mark.iswc

OLD, NEW, OTHER = "T9000000011", "T9000000022", "T9000000033"
DAY = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
#: from the ISWC database (315) to us (128)
HEADER = FileHeader("315", "128", DAY, 315)


NUMBERS = itertools.count(1)


def note(kind: str, iswc: str, agency: str = "052", code: str = "S1", **more) -> Notification:
    number = next(NUMBERS)
    return Notification(iswc, agency, int(agency), code, "A SONG", DAY, DAY, kind,
                        submission_id=number, original_submission=number, status="FA",
                        **more)  # fmt: skip


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return exit_info.value.code, json.loads(out) if out.strip() else {}


@pytest.fixture
def node(tmp_path: Path, db_url: str) -> tuple[list[str], Path, Store]:
    inbox = tmp_path / "notifications"
    inbox.mkdir()
    config = tmp_path / "exchange.toml"
    config.write_text(
        '[node]\nsociety_code = "128"\ndata_dir = "data"\n\n'
        f'[iswc]\nurl = "http://127.0.0.1:9"\nnotification_folder = "{inbox}"\n'
    )
    store = Store(db_url)
    store.init()
    return ["--db", db_url, "--config", str(config)], inbox, store


def ours(store: Store, code: str, iswc: str | None = None) -> int:
    """A work of ours (agency 128 work code ``code``), its ISWC from the database."""
    [work_id] = store.add_works([(Work(f"WORK {code}", numbers=[WorkNumber("128", code)]), None)])
    if iswc:
        with store.connect() as conn:
            writer = store.writer(conn)
            [sid] = writer.source_ids([Source(iw.ISWC_DATABASE, received_at=DAY)])
            iw.set_preferred(writer, work_id, iswc, sid, {"by": "test"})
    return work_id


def outcomes(store: Store) -> list[tuple[str, str, int | None]]:
    n = t.iswc_notifications
    with store.connect() as conn:
        rows = conn.execute(select(n).order_by(n.c.file_id, n.c.position)).all()
    return [(r.transaction_type, r.outcome, r.work_id) for r in rows]


def test_a_merge_archives_the_old_iswc_which_still_finds_the_work(
    node, capsys: pytest.CaptureFixture[str]
) -> None:
    config, inbox, store = node
    work_id = ours(store, "R1", OLD)
    merge = note("MER", NEW, work_info=(WorkInfo("128", 128, "R1", NEW, OLD),))
    name, data = edi_writer.write_notifications(HEADER, [merge])
    (inbox / name).write_bytes(data)
    code, result = run(capsys, *config, "iswc", "sync", "--json")
    assert code == 0, result
    [item] = result["received"]
    assert item["state"] == "imported" and item["statuses"] == {"applied": 1}
    assert store.load_work(work_id).iswc == NEW
    code, shown = run(capsys, *config, "works", "show", "T-900.000.001-1",
                      "--json")  # fmt: skip
    assert code == 0 and shown["work"]["id"] == work_id
    iswcs = shown["iswc_database"]["iswcs"]
    assert [(i["iswc"], i["status"]) for i in iswcs] == [(NEW, "preferred"), (OLD, "archived")]
    assert iswcs[0]["source"]["file"] == name  # the notification file is the source
    assert iswcs[1]["source"]["partner"] == "ISWC-DB" and iswcs[1]["preferred"] == NEW
    entries = [h for h in shown["history"] if h["entity"] == "iswc"]
    assert {h["action"] for h in entries} >= {"archive", "add"}
    assert all(h["source"]["file"] == name for h in entries if h["action"] == "archive")
    # never applied twice
    code, again = run(capsys, *config, "iswc", "sync", "--json")
    assert again["received"][0]["duplicate_of"] is not None
    assert len(outcomes(store)) == 1


def test_other_agencies_changes_and_works_we_do_not_hold(
    node, capsys: pytest.CaptureFixture[str]
) -> None:
    config, inbox, store = node
    without = ours(store, "R2")
    held = ours(store, "R3", OLD)
    name, data = json_files.write_notifications(
        HEADER,
        [
            note("CAR", NEW, work_info=(WorkInfo("128", 128, "R2", NEW),)),  # ISWC for ours
            note("CUR", OLD, code="S3", work_info=(WorkInfo("128", 128, "R3", OLD),)),
            note("CUR", OTHER, code="S4", work_info=(WorkInfo("128", 128, "R3", OTHER),)),
            note("CAR", "T0345246801", code="S9"),  # a work we do not hold
        ],
    )
    (inbox / name).write_bytes(data)
    code, result = run(capsys, *config, "iswc", "sync", "--json")
    assert code == 0, result
    assert outcomes(store) == [
        ("CAR", "applied", without),
        ("CUR", "noted", held),
        ("CUR", "conflict", held),
        ("CAR", "skipped", None),
    ]
    assert store.load_work(without).iswc == NEW
    assert store.load_work(held).iswc == OLD  # another ISWC: a conflict, not overwritten
    code, listed = run(capsys, *config, "conflicts", "list", "--json")
    [conflict] = listed["conflicts"]
    assert conflict["work"]["id"] == held and conflict["type"] == "iswc"
    history = store.history(held)
    assert any(h.entity == "iswc" and h.action == "notify" and h.source.file == name
               for h in history)  # fmt: skip


def test_a_file_that_fails_its_schema_is_rejected_whole(
    node, capsys: pytest.CaptureFixture[str]
) -> None:
    config, inbox, store = node
    without = ours(store, "R4")
    name, data = json_files.write_notifications(
        HEADER,
        [note("CAR", NEW, work_info=(WorkInfo("128", 128, "R4", NEW),)), note("CAR", OTHER)],
    )
    document = json.loads(data)
    document["notifications"][1]["agency"] = "52"  # not a three-digit agency code
    (inbox / name).write_text(json.dumps(document))
    code, result = run(capsys, *config, "iswc", "sync", "--json")
    assert code == 1
    [item] = result["received"]
    assert item["state"] == "rejected"
    assert any("$.notifications[1]" in f["message"] for f in item["findings"])
    assert store.load_work(without).iswc is None and outcomes(store) == []  # nothing applied


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    yield from running_sshd(tmp_path_factory.mktemp("sshd"))


@pytest.mark.sftp
def test_notifications_collected_over_sftp_like_partner_files(
    tmp_path: Path, db_url: str, sshd: SshServer, capsys: pytest.CaptureFixture[str]
) -> None:
    incoming, outgoing = tmp_path / "sftp" / "incoming", tmp_path / "sftp" / "outgoing"
    incoming.mkdir(parents=True)
    outgoing.mkdir(parents=True)
    config = tmp_path / "exchange.toml"
    config.write_text(
        '[node]\nsociety_code = "128"\ndata_dir = "data"\n\n'
        '[iswc]\nurl = "http://127.0.0.1:9"\nnotification_partner = "315"\n\n'
        '[[partners]]\ncode = "315"\nname = "CISAC ISWC"\nsend = []\n'
        'accept = ["iswc-json", "iswc-edi"]\n\n'
        f'[partners.transport]\nkind = "sftp"\nhost = "127.0.0.1"\nport = {sshd.port}\n'
        f'username = "{sshd.username}"\nkey_file = "{sshd.user_key}"\n'
        f'known_hosts = "{sshd.known_hosts}"\ninbox = "{incoming}"\noutbox = "{outgoing}"\n'
        "manifest = false\n"
    )
    store = Store(db_url)
    store.init()
    work_id = ours(store, "R5")
    name, data = edi_writer.write_notifications(
        HEADER, [note("CAR", NEW, work_info=(WorkInfo("128", 128, "R5", NEW),))]
    )
    (outgoing / name).write_bytes(data)
    code, result = run(capsys, "--db", db_url, "--config", str(config), "iswc", "sync", "--json")
    assert code == 0, result
    assert result["partner"] == "315"
    [item] = result["received"]
    assert (item["name"], item["format"], item["state"]) == (name, "iswc-edi", "imported")
    assert item["statuses"] == {"applied": 1}
    assert store.load_work(work_id).iswc == NEW
    [entry] = store.ledger(partner="315")
    assert entry.format == "iswc-edi" and entry.state == "imported"
    code, again = run(capsys, "--db", db_url, "--config", str(config), "iswc", "sync", "--json")
    assert again["received"] == []  # collected: not fetched again


def test_a_bad_transaction_is_left_out_and_a_file_for_another_agency_refused(
    node, capsys: pytest.CaptureFixture[str]
) -> None:
    args, inbox, store = node
    without = ours(store, "R6")
    name, data = json_files.write_notifications(
        HEADER,
        [note("CAR", NEW, work_info=(WorkInfo("128", 128, "R6", NEW),)), note("CAR", OTHER)],
    )
    document = json.loads(data)
    document["notifications"][1]["preferredIswc"] = "T9000000034"  # a wrong check digit
    (inbox / name).write_text(json.dumps(document))
    elsewhere = FileHeader("315", "052", DAY, 315)
    other, data = json_files.write_notifications(elsewhere, [note("CAR", OTHER, code="R6")])
    (inbox / other).write_bytes(data)
    code, result = run(capsys, *args, "iswc", "sync", "--json")
    assert code == 1
    mine, theirs = sorted(result["received"], key=lambda i: i["name"] != name)
    assert (mine["transactions"], mine["accepted"], mine["rejected"]) == (2, 1, 1)
    assert any("check digit" in f["message"] for f in mine["findings"])
    assert store.load_work(without).iswc == NEW
    assert theirs["state"] == "rejected"
    assert "addressed to agency 052" in theirs["findings"][0]["message"]


def test_a_damaged_zip_is_rejected_and_the_other_files_applied(
    node, capsys: pytest.CaptureFixture[str]
) -> None:
    args, inbox, store = node
    without = ours(store, "R7")
    (inbox / "ISWC20261201093000128315.zip").write_bytes(b"PK\x03\x04 not really a zip")
    name, data = edi_writer.write_notifications(
        HEADER, [note("CAR", NEW, work_info=(WorkInfo("128", 128, "R7", NEW),))]
    )
    (inbox / name).write_bytes(data)
    code, result = run(capsys, *args, "iswc", "sync", "--json")
    assert code == 1
    states = {item["name"]: item["state"] for item in result["received"]}
    assert states == {"ISWC20261201093000128315.zip": "rejected", name: "imported"}
    assert store.load_work(without).iswc == NEW


def test_deletes_ours_withdrawn_another_agency_s_noted(
    node, capsys: pytest.CaptureFixture[str]
) -> None:
    args, inbox, store = node
    withdrawn = ours(store, "R8", OLD)
    shared = ours(store, "R9", NEW)
    name, data = json_files.write_notifications(
        HEADER,
        [
            note("CDR", OLD, agency="128", code="R8"),  # our work, deleted (through CIS-Net)
            note("CDR", NEW, code="S9", work_info=(WorkInfo("128", 128, "R9", NEW),)),
        ],
    )
    (inbox / name).write_bytes(data)
    code, result = run(capsys, *args, "iswc", "sync", "--json")
    assert code == 0, result
    assert outcomes(store) == [("CDR", "applied", withdrawn), ("CDR", "noted", shared)]
    assert store.load_work(withdrawn).iswc is None
    assert store.find_work(OLD) == withdrawn  # kept, archived
    assert store.load_work(shared).iswc == NEW


def test_acknowledgements_give_iswcs_and_rejections(
    node, capsys: pytest.CaptureFixture[str]
) -> None:
    from adapters.iswc.model import Acknowledgement, ErrorMessage

    args, inbox, store = node
    given, refused = ours(store, "A1"), ours(store, "A2")

    def ack(number: int, code: str, **more) -> Acknowledgement:
        return Acknowledgement(DAY, number, "CAR", DAY, submission_id=number, agency="128",
                               sourcedb=128, workcode=code, original_title="A SONG",
                               **more)  # fmt: skip

    name, data = json_files.write_acknowledgements(
        HEADER,
        [
            ack(1, "A1", status="FA", preferred_iswc=NEW),
            ack(2, "A2", status="RJ", errors=(ErrorMessage(137, "IP not found"),)),
        ],
    )
    (inbox / name).write_bytes(data)
    code, result = run(capsys, *args, "iswc", "sync", "--json")
    assert code == 0, result
    assert store.load_work(given).iswc == NEW
    assert [(r["code"], r["message"]) for r in store.iswc_state(refused)["rejections"]] == [
        ("137", "IP not found")
    ]
