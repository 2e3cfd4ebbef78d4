"""Acknowledgements: the ACKs a society sends, and the ACKs the node receives."""

from __future__ import annotations

import json
import multiprocessing
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.cwr.ack import PartnerAck, read_ack
from adapters.cwr.parser import CwrParser
from adapters.cwr.source import CwrSource
from exchange.cli import main
from exchange.demo import sample_works
from exchange.identifiers import iswc as iswc_id
from exchange.store import Store, tables
from tests.adapters.cwr.cwr_builder import CwrFile, Rec, change, valid_work
from tests.services import shared_dir

OTHER_ISWC = "T" + "123456789" + str(iswc_id.calc_check_digit("T123456789"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def node_config(folder: Path, society: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "exchange.toml"
    path.write_text(f'[node]\nsociety_code = "{society}"\nname = "SOCIETY {society}"\n')
    return path


class Node:
    """One node: its store and configuration, driven through the command line."""

    def __init__(self, capsys: pytest.CaptureFixture[str], url: str, config: Path) -> None:
        self.capsys = capsys
        self.url = url
        self.config = config
        Store(url).init()

    def raw(self, *args: str) -> tuple[int, str]:
        """Run a command; its exit code and what it wrote on stderr."""
        code, _, err = run(self.capsys, "--db", self.url, "--config", str(self.config), *args)
        return code, err

    def __call__(self, *args: str) -> tuple[int, dict]:
        code, out, err = run(
            self.capsys, "--db", self.url, "--config", str(self.config), "--json", *args
        )
        assert code in (0, 1), err
        return code, json.loads(out)


def acks_in(path: Path, submitter: str = "PUB") -> tuple[list[PartnerAck], CwrParser]:
    parser = CwrParser(CwrSource(path))
    acks = [read_ack(tx, submitter) for tx in parser.transactions() if tx.type == "ACK"]
    return acks, parser


def records_of(path: Path) -> list[str]:
    return [line[:3] for line in path.read_text("ascii").splitlines()]


@pytest.fixture
def society(capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path) -> Node:
    return Node(capsys, db_url, node_config(tmp_path / "society", "052"))


def first_file() -> CwrFile:
    """AS, AC, RJ and NP registrations, and a work to conflict with later."""
    accepted = valid_work("W1", "FIRST WORK")
    changed = change(valid_work("W2", "SECOND WORK"), "NWR", iswc="T0345246802")  # bad check digit
    rejected = change(valid_work("W3", "THIRD WORK"), "SWR", writer_designation_code="ZZ")
    foreign = valid_work("W4", "FOREIGN WORK")
    foreign = change(foreign, "SPU", pr_society="058", mr_society="058")
    foreign = change(foreign, "SWR", pr_society="058")
    foreign = change(foreign, "NWR", iswc=None)
    disputed = change(valid_work("W6", "DISPUTED WORK"), "NWR", iswc="T0101713147")
    file = CwrFile()
    for work in (accepted, changed, rejected, foreign, disputed):
        file.add("NWR", work)
    return file


def second_file() -> CwrFile:
    """DU (the same W1 again), an ISWC to notify (W1 revised without ISWC), CO (W6)."""
    file = CwrFile()
    file.add("NWR", valid_work("W1", "FIRST WORK"))
    file.add("REV", change(valid_work("W1", "FIRST WORK"), "NWR", iswc=None))
    file.add("REV", change(valid_work("W6", "DISPUTED WORK"), "NWR", iswc=OTHER_ISWC))
    return file


def test_import_gives_every_status_and_the_ack_says_them(society: Node, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first = first_file().write(inbox, "CW260001PUB_052.V21")
    _, report = society("import", "--json", str(first))
    assert report["files"][0]["statuses"] == {"AC": 1, "AS": 2, "NP": 1, "RJ": 1}

    code, acked = society("ack", "--json", str(first), "-o", str(tmp_path / "out"))
    assert code == 0
    [result] = acked["files"]
    ack_path = Path(result["path"])
    assert ack_path.name == "CW260001052_PUB.V21"
    assert result["statuses"] == {"AC": 1, "AS": 2, "NP": 1, "RJ": 1}

    acks, parser = acks_in(ack_path)
    assert parser.header["sender_type"] == "SO" and parser.header["sender_id"] == "000000052"
    assert [a.status for a in acks] == ["AS", "AC", "RJ", "NP", "AS"]
    assert [a.submitter_number for a in acks] == ["W1", "W2", "W3", "W4", "W6"]
    assert [a.values["original_transaction_sequence"] for a in acks] == [
        f"{n:08d}" for n in range(5)
    ]
    assert all(a.values["creation_date"] == "20260101" for a in acks)
    assert all(a.values["creation_time"] == "120000" for a in acks)
    # our work number for what we hold, none for the rejected and the foreign work
    assert [bool(a.recipient_number) for a in acks] == [True, True, False, False, True]
    assert acks[0].work is not None and acks[0].work.title == "FIRST WORK"  # echoed
    # the field default the import applied is said, and echoed as applied
    assert [(m["original_record_type"], m["message_level"]) for m in acks[1].messages] == [
        ("NWR", "F")
    ]
    assert acks[1].work is not None and acks[1].work.iswc is None
    # the rejection: transaction-level messages, the one about the writer before the SWR
    [message] = [m for m in acks[2].messages if m["original_record_type"] == "SWR"]
    assert (message["message_type"], message["validation_number"]) == ("T", "008")
    assert message["original_record_sequence"] == "00000003"
    lines = ack_path.read_text("ascii").splitlines()
    msg_at = next(i for i, line in enumerate(lines) if line.startswith("MSG") and "SWR" in line)
    assert lines[msg_at + 1].startswith("SWR")

    # our own validator accepts the ACK
    code, validated = society("validate", "--json", str(ack_path))
    assert code == 0, validated
    assert validated["files"][0]["transactions"] == 5


def test_duplicate_conflict_and_iswc_notification(society: Node, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first = first_file().write(inbox, "CW260001PUB_052.V21")
    society("ack", str(first), "-o", str(tmp_path / "out"))
    second = second_file()
    second_path = second.write(inbox, "CW260002PUB_052.V21")
    _, report = society("import", "--json", str(second_path))
    [file] = report["files"]
    assert file["statuses"] == {"AS": 1, "CO": 1, "DU": 1}
    assert file["conflicts_opened"] == 1

    _, acked = society("ack", "--json", str(second_path), "-o", str(tmp_path / "out"))
    [result] = acked["files"]
    assert Path(result["path"]).name == "CW260002052_PUB.V21"  # numbered per partner
    assert result["iswc_notifications"] == 1
    acks, _ = acks_in(Path(result["path"]))
    assert [a.status for a in acks] == ["DU", "AS", "CO"]
    conflict = acks[2]
    assert conflict.existing is not None and conflict.existing.iswc == "T0101713147"
    kinds = records_of(Path(result["path"]))
    assert kinds.index("EXC") > kinds.index("REV")
    assert "ISW" in kinds and kinds.index("ISW") > kinds.index("EXC")

    # the ISWC held is kept, and the conflict is recorded
    store = Store(society.url)
    work_id = store.find_work("PUB:W6")
    assert work_id is not None
    work = store.load_work(work_id)
    assert work is not None and work.iswc == "T0101713147"
    with store.connect() as conn:
        [row] = conn.execute(select(tables.conflicts)).all()
    assert (row.kind, row.work_id, row.detail["received"]) == ("iswc", work_id, OTHER_ISWC)
    code, validated = society("validate", "--json", result["path"])
    assert code == 0, validated


def test_a_file_rejected_as_a_whole_gets_one_ack(society: Node, tmp_path: Path) -> None:
    file = CwrFile().add("NWR", valid_work())
    lines = file.lines()
    lines[-1] = lines[-1][:8] + "00000009" + lines[-1][16:]  # wrong TRL transaction count
    path = tmp_path / "CW260003PUB_052.V21"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="ascii")

    _, acked = society("ack", "--json", str(path), "-o", str(tmp_path / "out"))  # imports first
    [result] = acked["files"]
    assert result["statuses"] == {"RJ": 1}
    [ack], _ = acks_in(Path(result["path"]))
    assert ack.values["original_transaction_type"] in ("HDR", "TRL")
    assert ack.values["original_group_id"] == "00000"
    assert [m["message_type"] for m in ack.messages] == ["E"]
    assert ack.messages[0]["original_record_type"] == "TRL"
    code, validated = society("validate", "--json", result["path"])
    assert code == 0, validated
    assert Store(society.url).count_works() == 0


def test_a_rejected_group_is_answered_per_transaction(society: Node, tmp_path: Path) -> None:
    file = CwrFile().add("NWR", valid_work("W1")).add("NWR", valid_work("W2", "OTHER"))
    file.add("REV", valid_work("W3", "THIRD"))
    lines = file.lines()
    grt = next(i for i, line in enumerate(lines) if line.startswith("GRT00001"))
    lines[grt] = lines[grt][:8] + "00000007" + lines[grt][16:]  # wrong count: NWR group rejected
    path = tmp_path / "CW260004PUB_052.V21"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="ascii")

    _, acked = society("ack", "--json", str(path), "-o", str(tmp_path / "out"))
    [result] = acked["files"]
    acks, _ = acks_in(Path(result["path"]))
    assert [a.status for a in acks] == ["RJ", "RJ", "AC"]  # the REV of an unknown work: AC
    for rejected in acks[:2]:
        assert [m["message_type"] for m in rejected.messages] == ["G"]
        assert rejected.messages[0]["original_record_type"] == "GRT"
    code, validated = society("validate", "--json", result["path"])
    assert code == 0, validated


def test_ack_needs_our_society_code(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    Store(db_url).init()
    path = CwrFile().add("NWR", valid_work()).write(tmp_path)
    code, _, err = run(capsys, "--db", db_url, "ack", str(path), "-o", str(tmp_path))
    assert code == 2
    assert "society_code" in err


# -- receiving ACKs -------------------------------------------------------------------


def test_two_nodes_register_and_acknowledge(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    """A exports NWR for B; B imports and ACKs; A imports the ACK and knows B's numbers."""
    a = Node(capsys, db_url, node_config(tmp_path / "a", "058"))
    b = Node(capsys, f"sqlite:///{tmp_path / 'b.db'}", node_config(tmp_path / "b", "052"))
    store_a = Store(a.url)
    ids = store_a.add_works((w, w.claims[0].source) for w in sample_works())

    _, exported = a(
        "export", "--json", "--format", "cwr22", "--partner", "052", "-o", str(tmp_path)
    )
    [sent] = exported["files"]
    _, imported = b("import", "--json", sent["path"])
    assert imported["files"][0]["statuses"] == {"AS": 3}
    _, acked = b("ack", "--json", sent["path"], "-o", str(tmp_path / "acks"))
    [ack_file] = acked["files"]
    assert Path(ack_file["path"]).name.endswith("052_058.V22")

    _, received = a("import", "--json", ack_file["path"])
    [report] = received["files"]
    assert report["format"] == "ack"
    assert report["statuses"] == {"AS": 3}

    store_b = Store(b.url)
    _, listed = a("registrations", "list", "--json", "--partner", "052")
    by_work = {r["work"]["id"]: r for r in listed["registrations"]}
    assert sorted(by_work) == sorted(ids)
    for work_id in ids:
        reg = by_work[work_id]
        assert reg["status"] == "AS"
        their = store_b.load_work(int(reg["society_number"]))
        work = store_a.load_work(work_id)
        assert their is not None and work is not None and their.title == work.title
        assert ("052", reg["society_number"], "society") in {
            (n.issuer, n.number, n.kind) for n in work.numbers
        }
    # works show lists the status per society
    _, shown = a("works", "show", "--json", str(ids[0]))
    assert [r["status"] for r in shown["registrations"]] == ["AS"]
    # and the next CWR 2.2 export cross-references B's numbers (XRF)
    _, again = a("export", "--json", "--format", "cwr22", "--partner", "052", "-o", str(tmp_path))
    text = Path(again["files"][0]["path"]).read_text("ascii")
    assert sum(line.startswith("XRF") and line[19:22] == "052" for line in text.splitlines()) == 3
    # a repeated ACK file changes nothing
    _, repeated = a("import", "--json", ack_file["path"])
    assert repeated["files"][0]["duplicate_of"] is not None
    assert len(store_a.registrations(history=True)) == 3


def partner_ack(number: str, status: str, processed: str, theirs: str | None = None) -> Rec:
    """A partner's ACK record for our NWR of work ``number`` (their number: ``theirs``)."""
    return (
        "ACK",
        {
            "creation_date": "20260301",
            "creation_time": "101010",
            "original_group_id": 1,
            "original_transaction_sequence": 0,
            "original_transaction_type": "NWR",
            "creation_title": "LANTERNS OVER THE BAY",
            "submitter_creation_number": number,
            "recipient_creation_number": theirs,
            "processing_date": processed,
            "transaction_status": status,
        },
    )


def test_status_history_and_differing_iswc(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    node = Node(capsys, db_url, node_config(tmp_path / "n", "058"))
    store = Store(node.url)
    [work_id] = store.add_works([(sample_works()[0], None)])
    echo = change(valid_work(str(work_id), "LANTERNS OVER THE BAY"), "NWR", iswc=OTHER_ISWC)

    def ack_file(name: str, status: str, number: str, created: str) -> Path:
        ack = partner_ack(number, status, created, "SOC-1" if status != "RA" else None)
        message = (
            "MSG",
            {
                "message_type": "F",
                "original_record_sequence": 0,
                "original_record_type": "NWR",
                "message_level": "F",
                "validation_number": "005",
                "message_text": "COPYRIGHT DATE REPLACED WITH ZEROS",
            },
        )
        records = [ack, message, *echo] if status != "RA" else [ack]
        return CwrFile(sender="035").add("ACK", records).write(tmp_path, name)

    node("import", str(ack_file("CW260001035_058.V21", "RA", str(work_id), "20260302")))
    _, second = node(
        "import", "--json", str(ack_file("CW260002035_058.V21", "AS", str(work_id), "20260310"))
    )
    assert second["files"][0]["conflicts_opened"] == 1  # their ISWC is not ours
    node("import", str(ack_file("CW260003035_058.V21", "AS", "NOPE-1", "20260311")))

    regs = store.registrations(history=True)
    assert [(r.work_id, r.status) for r in regs] == [
        (work_id, "RA"),
        (work_id, "AS"),
        (None, "AS"),
    ]
    last = store.registrations(work_id=work_id)
    assert [(r.status, r.society_number, r.partner_iswc) for r in last] == [
        ("AS", "SOC-1", OTHER_ISWC)
    ]
    assert last[0].messages[0]["message_text"] == "COPYRIGHT DATE REPLACED WITH ZEROS"
    work = store.load_work(work_id)
    assert work is not None and work.iswc == "T0345246801"  # never overwritten
    _, unknown = node("registrations", "list", "--json", "--status", "AS")
    assert [r["work"] for r in unknown["registrations"]][-1] is None
    _, only_ra = node("registrations", "list", "--json", "--status", "RA")
    assert only_ra["registrations"] == []  # RA is no longer the last status


def test_an_ack_file_with_a_file_level_error_is_read_and_says_so(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path
) -> None:
    """A partner's answers are taken even from a file CWR rejects as a whole (here: no
    TRL); a note says so, and the ledger has the file imported."""
    node = Node(capsys, db_url, node_config(tmp_path / "n", "058"))
    store = Store(node.url)
    [work_id] = store.add_works([(sample_works()[0], None)])
    ack = partner_ack(str(work_id), "RA", "20260302")
    path = CwrFile(sender="035").add("ACK", [ack]).write(tmp_path, "CW260001035_058.V21")
    lines = path.read_bytes().split(b"\r\n")
    path.write_bytes(b"\r\n".join(line for line in lines if not line.startswith(b"TRL")))
    code, imported = node("import", "--json", str(path))
    [report] = imported["files"]
    levels = {f["level"] for f in report["findings"]}
    assert code == 1 and "ER" in levels  # the error is reported...
    notes = [f["message"] for f in report["findings"] if f["level"] == "WARN"]
    assert any(n.startswith("ACK read despite 1 file-level error") for n in notes), notes
    assert report["statuses"] == {"RA": 1}  # ...and the answer is taken all the same
    assert [(r.work_id, r.status) for r in store.registrations()] == [(work_id, "RA")]
    [entry] = store.ledger()
    assert entry.state == "imported"


@pytest.mark.parametrize(
    ("sample", "transactions", "statuses"),
    [
        ("weso-cwr-dataapi/ackexample.V21", 20, {"AS": 19, "RJ": 1}),
        ("dmp-tests/CW220001052_DMP.V21", 8, {"AS": 1, "NP": 2, "RA": 2}),
        ("dmp-tests/CW220001000_DMP.V21", 2, {"AS": 2}),
        ("php-cwr-exporter/ascap_ack_sample.txt", 54, {"AC": 51, "RA": 3}),
        ("php-cwr-exporter/sacm_ack_sample.txt", 2, {"RA": 2}),
    ],
)
def test_real_ack_files_are_accounted_for(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    sample: str,
    transactions: int,
    statuses: dict[str, int],
) -> None:
    node = Node(capsys, f"sqlite:///{tmp_path / 'n.db'}", node_config(tmp_path, "058"))
    _, imported = node("import", "--json", str(shared_dir() / "data/samples" / sample))
    [report] = imported["files"]
    assert report["format"] == "ack"
    assert report["transactions"] == transactions
    assert report["statuses"] == statuses
    acks = sum(statuses.values())
    # not our works: each ACK is recorded without a work and reported
    assert len(Store(node.url).registrations(history=True)) == acks
    unknown = [f for f in report["findings"] if "does not know" in f["message"]]
    assert len(unknown) == report["transactions"]


def _take_numbers(url: str, count: int, queue: multiprocessing.Queue) -> None:
    store = Store(url)
    queue.put([store.next_file_sequence("052", "058") for _ in range(count)])
    store.close()


def test_file_numbers_never_repeat_across_processes(db_url: str) -> None:
    Store(db_url).init()
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_take_numbers, args=(db_url, 40, queue)) for _ in range(3)]
    for w in workers:
        w.start()
    numbers = [n for _ in workers for n in queue.get(timeout=120)]
    for w in workers:
        w.join(timeout=60)
    assert sorted(numbers) == list(range(1, 121))
    assert Store(db_url).next_file_sequence("052", "035") == 1  # per sender/receiver pair


def test_ack_imports_with_the_nodes_configuration(society: Node, tmp_path: Path) -> None:
    """A file that `exchange ack` imports first gets the configured conflict deadline."""
    society.config.write_text(
        society.config.read_text() + "\n[conflicts]\ndeadline_days = 7\n", encoding="utf-8"
    )
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    society("ack", str(first_file().write(inbox, "CW260001PUB_052.V21")), "-o", str(tmp_path))
    second = second_file().write(inbox, "CW260002PUB_052.V21")
    society("ack", str(second), "-o", str(tmp_path / "out"))  # imports it first
    _, listed = society("conflicts", "list")
    [conflict] = listed["conflicts"]
    opened, deadline = (date.fromisoformat(conflict[k][:10]) for k in ("opened", "deadline"))
    assert (deadline - opened).days == 7
