"""Two nodes exchanging through shared folders: the ledger loses and doubles nothing."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, update

from exchange.config import load_config
from exchange.demo import sample_works
from exchange.digest import sha256_file
from exchange.http_api import create_app
from exchange.imports.cwr import CwrImporter
from exchange.store import Store
from exchange.store.leases import PartnerBusy, current_holder, process_start, try_acquire
from exchange.store.tables import partner_leases
from exchange.sync.manifests import Manifest, ManifestFile, is_manifest_name
from exchange.sync.manifests import read as read_manifest
from exchange.sync.manifests import write as write_manifest
from exchange.sync.session import Sync
from exchange.transports import TransportError
from exchange.transports.folder import FolderTransport
from exchange.transports.kinds import open_transport
from tests.adapters.cwr.cwr_builder import CwrFile, change, valid_work
from tests.http_server import serving
from tests.imports.test_acks import Node, run
from tests.sshd import SshServer, running_sshd


def folder_node(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, me: str, them: str, url: str
) -> Node:
    shared = tmp_path / "shared"
    for folder in (f"to{me}", f"to{them}"):
        (shared / folder).mkdir(parents=True, exist_ok=True)
    home = tmp_path / me
    home.mkdir()
    config = home / "exchange.toml"
    config.write_text(
        f'[node]\nsociety_code = "{me}"\nname = "SOCIETY {me}"\ndata_dir = "data"\n\n'
        f'[[partners]]\ncode = "{them}"\nname = "SOCIETY {them}"\nsend = ["cwr22"]\n\n'
        f'[partners.transport]\nkind = "folder"\ninbox = "{shared / f"to{them}"}"\n'
        f'outbox = "{shared / f"to{me}"}"\n'
    )
    return Node(capsys, url, config)


@pytest.fixture
def nodes(capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path) -> tuple[Node, Node]:
    a = folder_node(capsys, tmp_path, "058", "052", db_url)
    b = folder_node(capsys, tmp_path, "052", "058", f"sqlite:///{tmp_path / 'b.db'}")
    Store(a.url).add_works((w, w.claims[0].source) for w in sample_works())
    return a, b


def counts(report: dict) -> tuple[int, int, int]:
    [partner] = report["partners"]
    return len(partner["received"]), len(partner["exported"]), len(partner["delivered"])


def manifests(report: dict) -> list[tuple[str, str, str]]:
    """(direction, name, state) of the manifests a sync received and delivered."""
    [partner] = report["partners"]
    return [(m["direction"], m["name"], m["state"]) for m in partner["manifests"]]


def test_two_nodes_exchange_and_a_second_sync_does_nothing(
    nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    a, b = nodes
    _, dry = a("sync", "052", "--dry-run")
    assert counts(dry) == (0, 1, 0)
    assert Store(a.url).ledger() == []  # a dry run changes nothing

    _, first = a("sync", "052")
    assert counts(first) == (0, 1, 1)
    _, answered = b("sync", "058")
    assert counts(answered) == (1, 0, 1)  # their registrations in, our ACK out
    assert Store(b.url).count_works() == 3
    _, acked = a("sync", "052")
    assert counts(acked) == (1, 0, 0)  # B's ACK in
    _, listed = a("registrations", "list", "--partner", "052")
    assert {r["status"] for r in listed["registrations"]} == {"AS"}
    assert len(listed["registrations"]) == 3

    for node, partner in ((a, "052"), (b, "058"), (a, "052")):
        _, again = node("sync", partner)
        assert counts(again) == (0, 0, 0)

    _, entries = a("ledger", "list", "--partner", "052")
    assert [(e["direction"], e["format"], e["state"]) for e in entries["entries"]] == [
        ("out", "cwr", "delivered"),
        ("in", "ack", "imported"),
    ]
    _, shown = a("ledger", "show", str(entries["entries"][0]["id"]))
    assert shown["entry"]["summary"]["works"] == 3


def test_killed_before_marking_a_file_collected(
    nodes: tuple[Node, Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = nodes
    a("sync", "052")
    calls = {"n": 0}
    original = FolderTransport.mark_collected

    def dying(self, remote):
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt  # the process is stopped between the import and the mark
        return original(self, remote)

    monkeypatch.setattr(FolderTransport, "mark_collected", dying)
    code, _err = b.raw("sync", "058")
    assert code == 130
    _, rerun = b("sync", "058")
    [partner] = rerun["partners"]
    assert [r["imported_before"] for r in partner["received"]] == [True]
    store = Store(b.url)
    assert store.count_works() == 3
    assert [e.state for e in store.ledger(direction="in")] == ["imported"]
    acks = [e for e in store.ledger(direction="out") if e.format == "ack"]
    assert [e.state for e in acks] == ["delivered"]  # one ACK, delivered once
    _, quiet = b("sync", "058")
    assert counts(quiet) == (0, 0, 0)


def test_sync_needs_a_partner(nodes: tuple[Node, Node]) -> None:
    a, _ = nodes
    code, err = a.raw("sync")
    assert code == 2 and "partner" in err
    code, err = a.raw("sync", "999")
    assert code == 2 and "unknown partner" in err


@pytest.mark.http
def test_two_nodes_exchange_over_http(
    capsys: pytest.CaptureFixture[str],
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A serves its HTTP API; B reaches A with its token: registrations out, ACKs back."""
    home_a, home_b = tmp_path / "a", tmp_path / "b"
    home_a.mkdir()
    home_b.mkdir()
    config_a = home_a / "exchange.toml"
    config_a.write_text(
        '[node]\nsociety_code = "058"\nname = "NODE A"\ndata_dir = "data"\n\n'
        '[[partners]]\ncode = "052"\nname = "NODE B"\nsend = ["cwr22"]\n\n'
        '[partners.transport]\nkind = "served"\n'
    )
    a = Node(capsys, db_url, config_a)
    store_a = Store(a.url)
    store_a.add_works((w, w.claims[0].source) for w in sample_works())
    _, issued = a("partners", "token", "052")
    monkeypatch.setenv("EXCHANGE_TOKEN_058", issued["token"])

    app = create_app(store_a, load_config(config_a))
    with serving(app) as url:
        config_b = home_b / "exchange.toml"
        config_b.write_text(
            '[node]\nsociety_code = "052"\nname = "NODE B"\ndata_dir = "data"\n\n'
            '[[partners]]\ncode = "058"\nname = "NODE A"\nsend = ["cwr22"]\n\n'
            f'[partners.transport]\nkind = "http"\nurl = "{url}"\n'
        )
        b = Node(capsys, f"sqlite:///{tmp_path / 'b.db'}", config_b)
        _, checked = b("partners", "check", "058")
        assert checked["check"]["node"]["society"] == "058"

        assert counts(a("sync", "052")[1]) == (0, 1, 1)  # left in our outbox, served
        _, fetched = b("sync", "058")
        assert counts(fetched) == (1, 0, 1)  # B fetched it over HTTP, sent its ACK
        assert manifests(fetched) == [
            ("in", "MANIFEST_058_052_000001.xml", "imported"),  # A's manifest, downloaded
            ("out", "MANIFEST_052_058_000001.xml", "delivered"),  # B's, uploaded
        ]
        assert Store(b.url).count_works() == 3
        _, acked = a("sync", "052")
        assert counts(acked) == (1, 0, 0)  # the ACK B uploaded
        assert manifests(acked) == [("in", "MANIFEST_052_058_000001.xml", "imported")]
        _, listed = a("registrations", "list", "--partner", "052")
        assert {r["status"] for r in listed["registrations"]} == {"AS"}
        assert counts(b("sync", "058")[1]) == (0, 0, 0)
        assert counts(a("sync", "052")[1]) == (0, 0, 0)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    yield from running_sshd(tmp_path_factory.mktemp("sshd"))


@pytest.mark.sftp
def test_a_node_exchanges_with_an_sftp_server(
    capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path, sshd: SshServer
) -> None:
    """Our node and a sister society's SFTP server: registrations both ways, ACKs back."""
    incoming, outgoing = tmp_path / "sftp" / "incoming", tmp_path / "sftp" / "outgoing"
    incoming.mkdir(parents=True)
    outgoing.mkdir(parents=True)
    home = tmp_path / "ours"
    home.mkdir()
    config = home / "exchange.toml"
    config.write_text(
        '[node]\nsociety_code = "052"\nname = "OURS"\ndata_dir = "data"\n\n'
        '[[partners]]\ncode = "058"\nname = "SISTER"\nsend = ["cwr22"]\n\n'
        f'[partners.transport]\nkind = "sftp"\nhost = "127.0.0.1"\nport = {sshd.port}\n'
        f'username = "{sshd.username}"\nkey_file = "{sshd.user_key}"\n'
        f'known_hosts = "{sshd.known_hosts}"\ninbox = "{incoming}"\noutbox = "{outgoing}"\n'
    )
    ours = Node(capsys, db_url, config)
    Store(ours.url).add_works((w, w.claims[0].source) for w in sample_works())
    # the sister society's node reads and writes the same folders on its own disk
    sister = folder_node(capsys, tmp_path, "058", "052", f"sqlite:///{tmp_path / 's.db'}")
    sister_toml = sister.config.read_text()
    sister.config.write_text(
        sister_toml.replace(str(tmp_path / "shared" / "to052"), str(outgoing)).replace(
            str(tmp_path / "shared" / "to058"), str(incoming)
        )
    )
    their_work = CwrFile(sender="058").add("NWR", valid_work("S1", "THEIR OWN WORK"))
    their_work.write(outgoing, "CW260001058_052.V21")

    _, checked = ours("partners", "check", "058")
    assert checked["check"]["host_key"].endswith(sshd.fingerprint)
    assert counts(ours("sync", "058")[1]) == (1, 1, 2)  # their NWR in; our ACK and NWR out
    assert sorted(p.name for p in incoming.glob("CW*")) == [
        "CW260001052_058.V21",  # the ACK, in the version they used
        "CW260002052_058.V22",  # our repertoire
    ]
    assert (outgoing / "CW260001058_052.V21.pickup.complete").exists()
    sent = read_manifest(incoming / "MANIFEST_052_058_000001.xml")  # over SFTP: by default
    assert [(f.name, f.format) for f in sent.files] == [
        ("CW260001052_058.V21", "ack"),
        ("CW260002052_058.V22", "cwr22"),
    ]
    _, collected = sister("sync", "052")
    assert counts(collected) == (2, 0, 1)  # our ACK and NWR in, their ACK out
    assert manifests(collected) == [("in", "MANIFEST_052_058_000001.xml", "imported")]
    assert counts(ours("sync", "058")[1]) == (1, 0, 0)  # their ACK, over SFTP
    _, listed = ours("registrations", "list", "--partner", "058")
    assert len(listed["registrations"]) == 3
    assert counts(ours("sync", "058")[1]) == (0, 0, 0)


def test_a_failed_delivery_is_delivered_once_by_the_next_run(
    nodes: tuple[Node, Node], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    a, _ = nodes
    original = FolderTransport.deliver

    def dropped(self, local, name=None):
        raise TransportError("connection dropped during upload")

    monkeypatch.setattr(FolderTransport, "deliver", dropped)
    code, err = a.raw("sync", "052")
    assert code == 3 and "connection dropped" in err  # a transport failure: exit code 3
    inbox = tmp_path / "shared" / "to052"
    assert list(inbox.iterdir()) == []  # the partner sees nothing, not half a file
    [entry] = Store(a.url).ledger(direction="out")
    assert entry.state == "written"

    monkeypatch.setattr(FolderTransport, "deliver", original)
    _, rerun = a("sync", "052")
    assert counts(rerun) == (0, 0, 1)  # delivered now; not exported again
    assert [p.name for p in inbox.iterdir()] == [entry.name]
    assert counts(a("sync", "052")[1]) == (0, 0, 0)


def test_files_a_partner_may_not_send_are_refused(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    b.config.write_text(
        b.config.read_text().replace('send = ["cwr22"]', 'send = ["cwr22"]\naccept = ["ack"]')
    )
    a("sync", "052")
    _, refused = b("sync", "058")
    [received] = refused["partners"][0]["received"]
    assert received["state"] == "refused" and received["format"] == "cwr22"
    assert Store(b.url).count_works() == 0
    [entry] = Store(b.url).ledger(direction="in")
    assert "not accepted" in (entry.error or "")
    assert counts(b("sync", "058")[1]) == (0, 0, 0)  # collected: not fetched again


def test_one_exchange_per_partner_at_a_time(nodes: tuple[Node, Node]) -> None:
    a, _ = nodes
    store = Store(a.url)
    lease = try_acquire(store, "052", "another process", ttl=timedelta(minutes=5))
    assert lease is not None
    assert try_acquire(store, "052", "a third one") is None
    code, err = a.raw("sync", "052")
    assert code == 3 and "busy" in err and "another process" in err
    assert f"on {socket.gethostname()}, process {os.getpid()}, since" in err  # who, since when
    lease.release()
    assert counts(a("sync", "052")[1]) == (0, 1, 1)


def left_behind(store: Store, partner: str, **holder: object) -> None:
    """A lease row as a holder that stopped without releasing it leaves it."""
    stamp = datetime.now(UTC)
    values = {"holder": "sync", "acquired_at": stamp, "expires_at": stamp + timedelta(minutes=5)}
    values.update(holder)
    with store.connect() as conn:
        conn.execute(insert(partner_leases).values(partner=partner, **values))


def test_a_lease_left_by_a_dead_process_is_taken_over_at_once(db_url: str) -> None:
    with Store(db_url) as store:
        store.init()
        ended = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        )
        pid = int(ended.stdout)  # a process that ran here and is gone
        left_behind(store, "052", host=socket.gethostname(), pid=pid, token="a" * 32)
        assert current_holder(store, "052").is_gone()
        lease = try_acquire(store, "052")
        assert lease is not None and current_holder(store, "052").pid == os.getpid()
        lease.release()

        # the same id, reused by a process that started later, is not the holder
        this_system = (process_start(os.getpid()) or "").rsplit("/", 1)[0]
        left_behind(
            store,
            "058",
            host=socket.gethostname(),
            pid=os.getpid(),
            process=this_system + "/1",
            token="b" * 32,
        )
        assert current_holder(store, "058").is_gone()
        assert try_acquire(store, "058") is not None


def test_a_lease_of_another_machine_ends_when_it_expires(db_url: str) -> None:
    with Store(db_url) as store:
        store.init()
        left_behind(store, "052", host="elsewhere", pid=1, token="c" * 32)
        assert not current_holder(store, "052").is_gone()  # cannot be told from here
        if store.dialect == "postgresql":
            # its session lock is not held: the holder's database session ended
            assert try_acquire(store, "052") is not None
        else:
            assert try_acquire(store, "052") is None
        stamp = datetime.now(UTC) - timedelta(minutes=1)
        left_behind(store, "035", host="elsewhere", pid=1, token="d" * 32, expires_at=stamp)
        assert try_acquire(store, "035") is not None
        # this machine's name, but another boot or PID namespace (a container): not known
        another = "0000 pid:[1]/5"
        left_behind(store, "045", host=socket.gethostname(), pid=999_999, process=another)
        assert not current_holder(store, "045").is_gone()


# -- delivery manifests ----------------------------------------------------------------------


def with_manifests(*nodes: Node) -> None:
    """Folder partners send no manifest unless told to ([partners.transport] is last)."""
    for node in nodes:
        node.config.write_text(node.config.read_text() + "manifest = true\n")


def test_a_batch_ends_with_a_manifest_the_receiver_checks(
    nodes: tuple[Node, Node], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = nodes
    with_manifests(a, b)
    order: list[str] = []
    original = FolderTransport.deliver

    def recording(self, local, name=None):
        order.append(local.name)
        return original(self, local, name)

    monkeypatch.setattr(FolderTransport, "deliver", recording)
    _, sent = a("sync", "052")
    [partner] = sent["partners"]
    [name] = partner["delivered"]  # the manifest is not counted among the files
    assert order == [name, "MANIFEST_058_052_000001.xml"]  # last: the batch is complete
    [out] = partner["manifests"]
    assert out == {
        "name": "MANIFEST_058_052_000001.xml",
        "direction": "out",
        "state": "delivered",
        "sequence": 1,
        "files": 1,
    }
    inbox = tmp_path / "shared" / "to052"
    listed = read_manifest(inbox / out["name"])
    assert (listed.sender, listed.receiver, listed.sequence) == ("058", "052", 1)
    cwr = inbox / name
    assert listed.files == (
        ManifestFile(name, "cwr22", cwr.stat().st_size, sha256_file(cwr), works=3),
    )

    _, got = b("sync", "058")
    [partner] = got["partners"]
    assert manifests(got) == [
        ("in", "MANIFEST_058_052_000001.xml", "imported"),
        ("out", "MANIFEST_052_058_000001.xml", "delivered"),  # B's ACK closes B's batch
    ]
    assert partner["manifests"][0]["missing"] == [] and partner["manifests"][0]["files"] == 1
    assert [(r["name"], r["state"]) for r in partner["received"]] == [(name, "imported")]
    assert Store(b.url).count_works() == 3
    [ack] = read_manifest(tmp_path / "shared" / "to058" / "MANIFEST_052_058_000001.xml").files
    assert ack.name == "CW260001052_058.V22"  # CWR numbering is not taken by manifests
    assert (ack.format, ack.transactions) == ("ack", 3)

    _, back = a("sync", "052")
    assert counts(back) == (1, 0, 0)
    assert manifests(back) == [("in", "MANIFEST_052_058_000001.xml", "imported")]
    for node, code in ((a, "052"), (b, "058")):
        _, quiet = node("sync", code)
        assert counts(quiet) == (0, 0, 0) and manifests(quiet) == []
    assert [(e.direction, e.format, e.state) for e in Store(a.url).ledger()] == [
        ("out", "cwr", "delivered"),
        ("out", "manifest", "delivered"),
        ("in", "manifest", "imported"),
        ("in", "ack", "imported"),
    ]


def test_a_file_that_differs_from_its_manifest_is_refused(
    nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    a, b = nodes
    with_manifests(a, b)
    _, sent = a("sync", "052")
    [name] = sent["partners"][0]["delivered"]
    inbox = tmp_path / "shared" / "to052"
    delivered = inbox / name
    original = delivered.read_bytes()
    delivered.write_bytes(original.replace(b"SOCIETY 058", b"SOCIETY 999", 1))  # same size

    for _ in range(2):  # refused, and refused again while it stays different
        _, got = b("sync", "058")
        [received] = got["partners"][0]["received"]
        assert received["state"] == "refused"
        assert (
            f"expected {len(original)} bytes with sha256 {hashlib.sha256(original).hexdigest()}"
            in (received["error"])
        )
        assert (
            f"got {len(original)} bytes with sha256 {sha256_file(delivered)}" in (received["error"])
        )
        assert counts(got) == (1, 0, 0)  # not imported: no ACK either
        assert Store(b.url).count_works() == 0
        assert not (inbox / f"{name}.pickup.complete").exists()  # left to be fetched again
    refused = [e for e in Store(b.url).ledger(direction="in") if e.format != "manifest"]
    assert [(e.name, e.state) for e in refused] == [(name, "refused")]  # one entry, kept up
    assert "MANIFEST_058_052_000001.xml" in (refused[0].error or "")

    delivered.write_bytes(original)  # the partner's file as it was listed
    _, fixed = b("sync", "058")
    [received] = fixed["partners"][0]["received"]
    assert received["state"] == "imported"
    assert Store(b.url).count_works() == 3
    assert (inbox / f"{name}.pickup.complete").exists()
    [listed] = Store(b.url).ledger(direction="in", format="manifest")
    assert listed.summary.pending == []  # nothing more awaited
    assert counts(b("sync", "058")[1]) == (0, 0, 0)


def test_files_without_a_manifest_are_still_imported(
    nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    a, b = nodes
    with_manifests(a, b)
    a("sync", "052")
    (tmp_path / "shared" / "to052" / "MANIFEST_058_052_000001.xml").unlink()
    _, got = b("sync", "058")
    assert [r["state"] for r in got["partners"][0]["received"]] == ["imported"]
    assert Store(b.url).count_works() == 3


def test_a_run_killed_before_delivering_its_manifest(
    nodes: tuple[Node, Node], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = nodes
    with_manifests(a, b)
    original = FolderTransport.deliver

    def dying(self, local, name=None):
        if is_manifest_name(local.name):
            raise KeyboardInterrupt  # stopped after the files, before the manifest
        return original(self, local, name)

    monkeypatch.setattr(FolderTransport, "deliver", dying)
    code, _err = a.raw("sync", "052")
    assert code == 130
    inbox = tmp_path / "shared" / "to052"
    assert [p.name for p in inbox.iterdir()] == ["CW260001058_052.V22"]
    [entry] = Store(a.url).ledger(direction="out", format="manifest")
    assert entry.state == "written"

    monkeypatch.setattr(FolderTransport, "deliver", original)
    _, rerun = a("sync", "052")
    assert counts(rerun) == (0, 0, 0)  # the file is not delivered again
    assert manifests(rerun) == [("out", "MANIFEST_058_052_000001.xml", "delivered")]
    assert manifests(a("sync", "052")[1]) == []
    _, got = b("sync", "058")
    assert manifests(got)[0] == ("in", "MANIFEST_058_052_000001.xml", "imported")
    assert Store(b.url).count_works() == 3


def test_a_run_killed_before_writing_its_manifest(
    nodes: tuple[Node, Node], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = nodes
    with_manifests(a, b)

    def dying(self: Sync) -> None:
        raise KeyboardInterrupt  # the files are delivered, the manifest not even written

    monkeypatch.setattr(Sync, "close_batch", dying)
    code, _err = a.raw("sync", "052")
    assert code == 130
    inbox = tmp_path / "shared" / "to052"
    assert [p.name for p in inbox.iterdir()] == ["CW260001058_052.V22"]
    monkeypatch.undo()

    _, rerun = a("sync", "052")
    assert counts(rerun) == (0, 0, 0)
    assert manifests(rerun) == [("out", "MANIFEST_058_052_000001.xml", "delivered")]
    listed = read_manifest(inbox / "MANIFEST_058_052_000001.xml")
    assert [f.name for f in listed.files] == ["CW260001058_052.V22"]  # the earlier run's file
    _, got = b("sync", "058")
    assert manifests(got)[0] == ("in", "MANIFEST_058_052_000001.xml", "imported")
    assert Store(b.url).count_works() == 3


def test_unsafe_invalid_or_misaddressed_manifests_are_refused(
    nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    a, b = nodes
    with_manifests(a, b)
    a("sync", "052")
    inbox = tmp_path / "shared" / "to052"
    secret = tmp_path / "secret.txt"
    secret.write_text("the password")
    (inbox / "MANIFEST_058_052_000002.xml").write_text(
        f'<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        '<DeliveryManifest xmlns="urn:cmo-exchange:manifest:1" version="1.0">'
        "<Sender>&x;</Sender></DeliveryManifest>\n"
    )
    (inbox / "MANIFEST_058_052_000003.xml").write_text("<DeliveryManifest/>")
    created = datetime.now(UTC)
    unknown = (ManifestFile("CW269999058_052.V22", "cwr22", 10, "a" * 64),)
    write_manifest(Manifest("058", "035", 4, created, unknown), inbox)  # not for us
    write_manifest(Manifest("035", "052", 5, created, unknown), inbox)  # not from 058
    write_manifest(Manifest("058", "052", 6, created, unknown), inbox)  # lists a file not here

    _, got = b("sync", "058")
    [partner] = got["partners"]
    found = {m["name"]: m for m in partner["manifests"] if m["direction"] == "in"}
    assert {n: m["state"] for n, m in found.items()} == {
        "MANIFEST_035_052_000005.xml": "refused",
        "MANIFEST_058_035_000004.xml": "refused",
        "MANIFEST_058_052_000001.xml": "imported",
        "MANIFEST_058_052_000002.xml": "refused",
        "MANIFEST_058_052_000003.xml": "refused",
        "MANIFEST_058_052_000006.xml": "imported",
    }
    assert "DTD" in found["MANIFEST_058_052_000002.xml"]["error"]
    assert "password" not in found["MANIFEST_058_052_000002.xml"]["error"]
    assert "not a valid delivery manifest" in found["MANIFEST_058_052_000003.xml"]["error"]
    assert "addressed to 035" in found["MANIFEST_058_035_000004.xml"]["error"]
    assert "sent by 035" in found["MANIFEST_035_052_000005.xml"]["error"]
    assert found["MANIFEST_058_052_000006.xml"]["missing"] == ["CW269999058_052.V22"]
    assert [r["state"] for r in partner["received"]] == ["imported"]  # the files still come in
    assert Store(b.url).count_works() == 3
    assert all((inbox / f"{n}.pickup.complete").exists() for n in found)  # not fetched again

    again = (ManifestFile("CW260001058_052.V22", "cwr22", 10, "b" * 64),)
    (inbox / "MANIFEST_058_052_000006.xml.pickup.complete").unlink()  # delivered anew
    write_manifest(Manifest("058", "052", 6, created, again), inbox)  # a sequence seen before
    _, replayed = b("sync", "058")
    assert manifests(replayed) == [("in", "MANIFEST_058_052_000006.xml", "refused")]
    assert "sequence 6 was received before" in replayed["partners"][0]["manifests"][0]["error"]
    assert counts(b("sync", "058")[1]) == (0, 0, 0)


@pytest.mark.parametrize("fmt", ["mwn", "xlsx", "csv"])
def test_partners_exchange_mwn_messages_and_spreadsheets(
    fmt: str, nodes: tuple[Node, Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A partner sent DDEX MWN (validated against the official schema) or spreadsheets."""
    if fmt == "mwn":
        from tests.services import mwn_schema_dir

        monkeypatch.setenv("EXCHANGE_DDEX_SCHEMA_DIR", str(mwn_schema_dir()))
    a, b = nodes
    a.config.write_text(a.config.read_text().replace('send = ["cwr22"]', f'send = ["{fmt}"]'))
    b.config.write_text(
        b.config.read_text().replace('send = ["cwr22"]', f'send = []\naccept = ["{fmt}"]')
    )
    _, sent = a("sync", "052")
    [partner] = sent["partners"]
    assert [e["format"] for e in partner["exported"]] == [fmt]
    _, received = b("sync", "058")
    [partner] = received["partners"]
    assert [(r["format"], r["state"]) for r in partner["received"]] == [(fmt, "imported")]
    assert partner["delivered"] == []  # no ACK for these formats
    assert Store(b.url).count_works() == 3
    _, again = a("sync", "052")
    assert counts(again) == (0, 0, 0)


# -- what each received file came to ---------------------------------------------------------


def partner_left(tmp_path: Path, name: str, *works: list) -> Path:
    """A CWR file partner 058 left for node 052 (``nodes``' B) in their shared folder."""
    file = CwrFile(sender="058")
    for work in works:
        file.add("NWR", work)
    return file.write(tmp_path / "shared" / "to052", name)


def test_sync_says_what_each_file_came_to_and_exits_1_on_rejections(
    nodes: tuple[Node, Node], tmp_path: Path
) -> None:
    _, b = nodes
    accepted = valid_work("W1", "FIRST WORK")
    rejected = change(valid_work("W3", "THIRD WORK"), "SWR", writer_designation_code="ZZ")
    partner_left(tmp_path, "CW260001058_052.V21", accepted, rejected)
    code, report = b("sync", "058")
    assert code == 1  # as exchange import: something was rejected
    [item] = report["partners"][0]["received"]
    assert (item["state"], item["transactions"], item["accepted"], item["rejected"]) == (
        "imported",
        2,
        1,
        1,
    )
    assert any(f["field"] == "writer_designation_code" for f in item["findings"])
    assert item["ack"] and not item["imported_before"]

    partner_left(tmp_path, "CW260002058_052.V21", valid_work("W5", "FIFTH WORK"))
    code, out, _ = run(b.capsys, "--db", b.url, "--config", str(b.config), "sync", "058")
    assert code == 0  # nothing rejected this time
    assert "CW260002058_052.V21: imported, 1 transactions, 1 accepted, 0 rejected" in out


def test_a_file_whose_import_crashes_does_not_stop_the_exchange(
    nodes: tuple[Node, Node], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, b = nodes
    Store(b.url).add_works((w, w.claims[0].source) for w in sample_works())  # to export
    partner_left(tmp_path, "CW260001058_052.V21", valid_work("W1", "FIRST WORK"))
    partner_left(tmp_path, "CW260002058_052.V21", valid_work("W2", "SECOND WORK"))
    original = CwrImporter.import_file

    def buggy(self, path, progress=None):
        if path.name == "CW260001058_052.V21":
            raise IndexError("list index out of range")  # a parser bug, say
        return original(self, path, progress)

    monkeypatch.setattr(CwrImporter, "import_file", buggy)
    code, report = b("sync", "058")
    assert code == 1
    [partner] = report["partners"]
    states = {r["name"]: r["state"] for r in partner["received"]}
    assert states == {"CW260001058_052.V21": "failed", "CW260002058_052.V21": "imported"}
    failed = partner["received"][0]
    assert failed["error"] == "import failed (IndexError): list index out of range"
    assert failed["ack"] is None
    assert [e["format"] for e in partner["exported"]] == ["cwr22"]  # the exchange went on
    assert len(partner["delivered"]) == 2  # the good file's ACK and our export
    [entry] = Store(b.url).ledger(direction="in", state="failed")
    assert entry.name == "CW260001058_052.V21" and "IndexError" in (entry.error or "")
    outbox = tmp_path / "shared" / "to052"
    assert (outbox / "CW260001058_052.V21.pickup.complete").exists()  # not taken again

    code, again = b("sync", "058")  # the next run does not stumble on it again
    assert code == 0 and counts(again) == (0, 0, 0)
    monkeypatch.undo()
    code, imported = b(
        "import",
        str(tmp_path / "052" / "data" / "received" / "058" / "CW260001058_052.V21"),
        "--partner",
        "058",
    )
    assert code == 0 and imported["files"][0]["accepted"] == 1  # once the bug is fixed


def test_an_exchange_that_lost_its_lease_stops(nodes: tuple[Node, Node]) -> None:
    a, _ = nodes
    store = Store(a.url)
    lease = try_acquire(store, "052")
    assert lease is not None
    with store.connect() as conn:  # another exchange took the lease over meanwhile
        conn.execute(update(partner_leases).values(token="x" * 32))
    with pytest.raises(PartnerBusy, match="another exchange took it over"):
        lease.renew()
    config = load_config(a.config)
    partner = config.partner("052")
    with open_transport(partner, config) as transport, pytest.raises(PartnerBusy, match="was lost"):
        Sync(store, config, partner, transport, lease=lease).run()
    assert store.ledger() == []  # stopped before exporting anything
    lease.release()
    store.close()
