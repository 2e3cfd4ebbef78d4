"""What every transport collects: finished files only; odd names refused one by one.

The same partner's outbox is read through a folder, through the node's own HTTP
server (``exchange serve``) and, in tests/transports/test_sftp.py, through a real
OpenSSH server.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from exchange.config import NodeConfig
from exchange.model import Partner
from exchange.transports import FileChanged, RemoteFile, Transport, TransportClosed
from exchange.transports.folder import FolderSettings, FolderTransport
from exchange.transports.http import HttpSettings, HttpTransport
from exchange.transports.kinds import open_transport
from tests.adapters.cwr.cwr_builder import CwrFile, valid_work
from tests.http_server import serving
from tests.imports.test_acks import run
from tests.sync.test_session import Node as SyncNode
from tests.sync.test_session import nodes  # noqa: F401 - two nodes through folders
from tests.test_http_api import Node, node  # noqa: F401 - the served node fixture

FINISHED = ("CW260001058_052.V21", "WORKS_058_1.csv")
#: Names of files still being written, as senders and their tools give them.
UNFINISHED = (
    "CW260002058_052.V21.part",
    ".CW260003058_052.V21",
    "~CW260004058_052.V21",
    "CW260005058_052.V21~",
    "WORKS.TMP",
    "WORKS.xlsx.filepart",
    "WORKS.csv.partial",
)
#: Names refused, with what is said of them.
ODD = {
    "CW26\n0006058_052.V21": "it holds a control character (U+000A)",
    "CW26\x1b[2J0007.V21": "it holds a control character (U+001B)",
    "WORKS\u202evsc.V21": "it holds a bidirectional control (U+202E)",
    "CW26\u20660008.V21": "it holds a bidirectional control (U+2066)",
    "CW26\u20690009.V21": "it holds a bidirectional control (U+2069)",
}


def leave_files(folder: Path) -> None:
    """A partner's outbox: finished files, files being written, odd names."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in (*FINISHED, *UNFINISHED, *ODD):
        (folder / name).write_bytes(b"HDR" + name.encode() + b"\n")


def check_listing(listed: list[RemoteFile]) -> None:
    """Only the finished files are to be collected; each odd name is refused, and said why."""
    assert [f.name for f in listed if f.refused is None] == list(FINISHED)
    refused = {f.name: f.refused for f in listed if f.refused is not None}
    assert set(refused) == set(ODD)
    for name, why in ODD.items():
        assert refused[name] == f"refused remote file name {name!r}: {why}"


def check_a_growing_file_is_not_fetched(
    transport: Transport, folder: Path, destination: Path
) -> None:
    """A file that grew between the listing and the fetch is left for a later run."""
    [listed] = [f for f in transport.list_inbound() if f.name == FINISHED[0]]
    with (folder / FINISHED[0]).open("ab") as fh:
        fh.write(b"NWR still being written\n")
    with pytest.raises(FileChanged, match="still being written"):
        transport.fetch(listed, destination)
    assert not destination.exists()
    [again] = [f for f in transport.list_inbound() if f.name == FINISHED[0]]
    assert transport.fetch(again, destination).read_bytes() == (folder / FINISHED[0]).read_bytes()


def test_a_folder_lists_finished_files_only(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    leave_files(outbox)
    with FolderTransport(FolderSettings(inbox=tmp_path, outbox=outbox)) as transport:
        check_listing(transport.list_inbound())
        assert transport.describe()["outbox"]["files"] == len(FINISHED)
        check_a_growing_file_is_not_fetched(transport, outbox, tmp_path / "got" / FINISHED[0])


@pytest.mark.http
def test_http_lists_finished_files_only(
    node: Node,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    outbox = node.outbox("058")
    leave_files(outbox)
    with node.transport("058", monkeypatch) as transport:
        check_listing(transport.list_inbound())
        check_a_growing_file_is_not_fetched(transport, outbox, tmp_path / "got" / FINISHED[0])


def check_closed_when_the_body_raises(
    partner: Partner, config: NodeConfig, inside: Callable[[Transport], None] = lambda t: None
) -> Transport:
    """``with open_transport(...)`` closes the transport when its block raises, and lets the
    error through; the closed transport refuses to be used. ``inside`` looks at the open
    transport before the block raises."""
    with (
        pytest.raises(ValueError, match="the body failed"),
        open_transport(partner, config) as transport,
    ):
        assert [f.name for f in transport.list_inbound()] == [FINISHED[0]]
        inside(transport)
        raise ValueError("the body failed")
    for use in (transport.list_inbound, transport.describe):
        with pytest.raises(TransportClosed, match="closed"):
            use()
    with pytest.raises(TransportClosed, match="closed"):
        transport.mark_collected(RemoteFile(FINISHED[0]))
    return transport


def test_a_folder_transport_is_closed_when_its_block_raises(tmp_path: Path) -> None:
    (tmp_path / "outbox").mkdir()
    (tmp_path / "outbox" / FINISHED[0]).write_bytes(b"HDR\n")
    partner = Partner("058", "058", transport={"kind": "folder", "inbox": ".", "outbox": "outbox"})
    config = NodeConfig(partners={"058": partner}, path=tmp_path / "exchange.toml")
    check_closed_when_the_body_raises(partner, config)
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == [FINISHED[0]]


@pytest.mark.http
def test_an_http_transport_is_closed_when_its_block_raises(
    node: Node,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    (node.outbox("058") / FINISHED[0]).write_bytes(b"HDR\n")
    monkeypatch.setenv("EXCHANGE_TOKEN_058", node.tokens["058"])
    partner = Partner("058", "058", transport={"kind": "http", "url": node.url})
    config = NodeConfig(partners={"058": partner}, path=tmp_path / "exchange.toml")
    transport = check_closed_when_the_body_raises(partner, config)
    assert isinstance(transport, HttpTransport) and transport.client.is_closed


@pytest.mark.http
def test_one_malformed_entry_of_an_http_listing_skips_that_file_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A partner node whose listing has bad entries among good ones."""
    good = {"name": FINISHED[0], "size": 4, "modified": "2026-12-01T02:00:00+00:00"}
    entries = [
        good,
        {"name": 42},
        {"size": 3},
        "not an object",
        {"name": "CW260009058_052.V21", "size": "ten"},
        {"name": "CW260010058_052.V21", "modified": "yesterday"},
        {"name": "CW260011058_052.V21", "sha256": "not hex"},
        {"name": "../../etc/passwd"},
        {"name": "CW260012058_052.V21.part", "size": 3},
    ]
    app = FastAPI()
    app.get("/v1/outbox")(lambda: {"files": entries})
    monkeypatch.setenv("EXCHANGE_TOKEN_058", "token")
    with serving(app) as url:
        settings = HttpSettings.from_partner(
            Partner("058", "058", transport={"url": url, "retries": 0}), tmp_path
        )
        with HttpTransport(settings) as transport:
            listed = transport.list_inbound()
    assert [f.name for f in listed if f.refused is None] == [FINISHED[0]]
    refused = [f.refused or "" for f in listed if f.refused is not None]
    assert len(refused) == 7  # the file still being written is not listed at all
    for said in ("no file name: {'name': 42}", "size 'ten'", "'yesterday'", "sha256", "leaves"):
        assert any(said in why for why in refused), said


def test_sync_takes_finished_files_and_reports_odd_names(
    nodes: tuple[SyncNode, SyncNode],  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, b = nodes
    outbox = tmp_path / "shared" / "to052"  # what 058 leaves for B
    odd = next(iter(ODD))

    def cwr(name: str, number: str) -> bytes:
        work = valid_work(number, f"WORK {number}")
        return CwrFile(sender="058").add("NWR", work).write(tmp_path, name).read_bytes()

    (outbox / FINISHED[0]).write_bytes(cwr(FINISHED[0], "W1"))
    (outbox / UNFINISHED[0]).write_bytes(cwr(UNFINISHED[0], "W2"))
    (outbox / odd).write_bytes(cwr("CW260014058_052.V21", "W4"))
    growing, whole = outbox / "CW260013058_052.V21", cwr("CW260013058_052.V21", "W3")
    growing.write_bytes(whole[:100])
    listing: Callable[[FolderTransport], list[RemoteFile]] = FolderTransport.list_inbound

    def still_writing(self: FolderTransport) -> list[RemoteFile]:
        listed = listing(self)
        growing.write_bytes(whole)  # the sender goes on writing after the listing
        return listed

    with open(os.path.join(os.fsencode(outbox), b"caf\xe9.V21"), "wb") as fh:
        fh.write(cwr("CW260015058_052.V21", "W5"))  # a name in Latin-1, not UTF-8
    monkeypatch.setattr(FolderTransport, "list_inbound", still_writing)
    code, report = b("sync", "058")
    assert code == 1  # an odd name was refused
    received = {r["name"]: r for r in report["partners"][0]["received"]}
    assert {name: r["state"] for name, r in received.items()} == {
        odd: "refused",
        "caf\\udce9.V21": "refused",
        FINISHED[0]: "imported",
        growing.name: "waiting",
    }
    assert "control character" in received[odd]["error"]
    assert "not UTF-8" in received["caf\\udce9.V21"]["error"]
    for name in (UNFINISHED[0], growing.name):
        assert not (outbox / f"{name}.pickup.complete").exists()  # left for later
    monkeypatch.undo()
    code, report = b("sync", "058")
    states = {r["name"]: r["state"] for r in report["partners"][0]["received"]}
    assert states == {odd: "refused", "caf\\udce9.V21": "refused", growing.name: "imported"}
    code, out, _ = run(b.capsys, "--db", b.url, "--config", str(b.config), "sync", "058")
    assert code == 1
    assert "in   CW26\\n0006058_052.V21: refused: refused remote file name" in out
