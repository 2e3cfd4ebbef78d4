"""The SFTP transport against a real OpenSSH server on 127.0.0.1 (see tests/sshd.py).

The server runs as the test user without a chroot, so the partner's side of a
test is plain files in folders under ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paramiko
import pytest

from exchange.config import ConfigError, NodeConfig
from exchange.model import Partner
from exchange.transports import RemoteFile, Transport, TransportClosed, TransportError
from exchange.transports.sftp.settings import SftpSettings, passphrase_variable
from exchange.transports.sftp.transport import SftpTransport
from tests.sshd import SshServer, free_port, running_sshd
from tests.transports.test_transports import (
    FINISHED,
    check_a_growing_file_is_not_fetched,
    check_closed_when_the_body_raises,
    check_listing,
    leave_files,
)

pytestmark = pytest.mark.sftp

MakeTransport = Callable[..., SftpTransport]


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    yield from running_sshd(tmp_path_factory.mktemp("sshd"))


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    folder = tmp_path / "outbox"
    folder.mkdir()
    return folder


@pytest.fixture
def partner(sshd: SshServer, inbox: Path, outbox: Path) -> Partner:
    """A partner whose transport is the test server."""
    table: dict[str, object] = {
        "kind": "sftp",
        "host": sshd.host,
        "port": sshd.port,
        "username": sshd.username,
        "key_file": str(sshd.user_key),
        "known_hosts": str(sshd.known_hosts),
        "inbox": str(inbox),
        "outbox": str(outbox),
        "timeout": 5,
        "retries": 0,
    }
    return Partner(code="TEST", name="Test", transport=table)


@pytest.fixture
def make_transport(partner: Partner, tmp_path: Path) -> Iterator[MakeTransport]:
    """Transports to the test server, from the partner's transport table with changes,
    closed after the test."""
    made = contextlib.ExitStack()

    def make(**overrides: Any) -> SftpTransport:
        table = {**partner.transport, **overrides}
        settings = SftpSettings.from_partner(replace(partner, transport=table), tmp_path)
        transport = made.enter_context(SftpTransport(settings))
        transport.session.sleep = lambda seconds: None  # no real pauses between attempts
        return transport

    with made:
        yield make


def _sleeps(transport: SftpTransport) -> list[float]:
    pauses: list[float] = []
    transport.session.sleep = pauses.append
    return pauses


# delivering ------------------------------------------------------------------


def test_deliver_appears_complete_under_its_name(
    make_transport: MakeTransport, inbox: Path, tmp_path: Path
) -> None:
    local = tmp_path / "CW260001058_052.V22"
    payload = os.urandom(200_000)
    local.write_bytes(payload)
    transport = make_transport()
    transport.deliver(local)
    assert (inbox / local.name).read_bytes() == payload
    assert sorted(p.name for p in inbox.iterdir()) == [local.name]

    # the same name again replaces it; another name is taken as given
    local.write_bytes(b"second version\n")
    transport.deliver(local)
    transport.deliver(local, name="OTHER.V21")
    assert (inbox / local.name).read_bytes() == b"second version\n"
    assert sorted(p.name for p in inbox.iterdir()) == ["CW260001058_052.V22", "OTHER.V21"]


def test_delivery_marker_when_configured(
    make_transport: MakeTransport, inbox: Path, tmp_path: Path
) -> None:
    local = tmp_path / "A.V21"
    local.write_bytes(b"HDR\n")
    make_transport(delivery_marker=True).deliver(local)
    assert (inbox / "A.V21").read_bytes() == b"HDR\n"
    assert (inbox / "A.V21.delivery.complete").read_bytes() == b""

    make_transport().deliver(local, name="B.V21")
    assert not (inbox / "B.V21.delivery.complete").exists()


def test_deliver_without_posix_rename(
    make_transport: MakeTransport, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unsupported(self: paramiko.SFTPClient, old: str, new: str) -> None:
        raise OSError("Operation unsupported")

    monkeypatch.setattr(paramiko.SFTPClient, "posix_rename", unsupported)
    local = tmp_path / "A.V21"
    transport = make_transport()
    for content in (b"one", b"two"):
        local.write_bytes(content)
        transport.deliver(local)
        assert (inbox / "A.V21").read_bytes() == content
    assert [p.name for p in inbox.iterdir()] == ["A.V21"]


class _DropAfter:
    """Makes SFTPFile.write cut the SSH connection after ``limit`` bytes, ``times`` times."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, limit: int, times: int = 1) -> None:
        self.limit, self.times, self.written, self.drops = limit, times, 0, 0
        original = paramiko.SFTPFile.write

        def write(file: paramiko.SFTPFile, data: bytes) -> None:
            self.written += len(data)
            if self.drops < self.times and self.written > self.limit:
                self.drops += 1
                self.written = 0
                file.sftp.get_channel().get_transport().close()
            original(file, data)

        monkeypatch.setattr(paramiko.SFTPFile, "write", write)


def test_dropped_connection_never_shows_a_partial_file(
    make_transport: MakeTransport, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "BIG.V22"
    payload = os.urandom(1_000_000)
    local.write_bytes(payload)
    transport = make_transport(retries=0)
    drop = _DropAfter(monkeypatch, 300_000)
    with pytest.raises(TransportError, match="delivering BIG.V22") as caught:
        transport.deliver(local)
    assert drop.drops == 1 and "\n" not in str(caught.value)
    assert not (inbox / "BIG.V22").exists()
    assert [p.name for p in inbox.iterdir()] in ([], [".BIG.V22.part"])

    monkeypatch.undo()
    transport.deliver(local)  # reconnects by itself
    assert (inbox / "BIG.V22").read_bytes() == payload
    assert [p.name for p in inbox.iterdir()] == ["BIG.V22"]


def test_dropped_connection_is_retried_with_backoff(
    make_transport: MakeTransport, inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "BIG.V22"
    payload = os.urandom(500_000)
    local.write_bytes(payload)
    transport = make_transport(retries=3)
    pauses = _sleeps(transport)
    drop = _DropAfter(monkeypatch, 100_000, times=2)
    transport.deliver(local)
    assert drop.drops == 2 and pauses == [0.2, 0.4]
    assert (inbox / "BIG.V22").read_bytes() == payload
    assert [p.name for p in inbox.iterdir()] == ["BIG.V22"]


# collecting -------------------------------------------------------------------


def _partner_leaves(outbox: Path) -> dict[str, bytes]:
    files = {"B.V22": b"second\n" * 100, "A.V21": b"first\n"}
    for name, data in files.items():
        (outbox / name).write_bytes(data)
    (outbox / ".C.V21.part").write_bytes(b"still being written")
    (outbox / "OLD.V21").write_bytes(b"collected before")
    (outbox / "OLD.V21.pickup.complete").write_bytes(b"")
    (outbox / "A.V21.delivery.complete").write_bytes(b"")
    (outbox / "a\\b").write_bytes(b"a name that would leave its folder elsewhere")
    (outbox / "sub").mkdir()
    os.symlink(outbox / "A.V21", outbox / "LINK.V21")
    return files


@pytest.mark.parametrize("collect", ["marker", "delete", "move:done"])
def test_list_fetch_collect(
    make_transport: MakeTransport, outbox: Path, tmp_path: Path, collect: str
) -> None:
    files = _partner_leaves(outbox)
    transport = make_transport(collect=collect)
    listed = transport.list_inbound()
    assert [(f.name, f.refused) for f in listed] == [
        ("A.V21", None),
        ("B.V22", None),
        ("a\\b", "refused remote file name 'a\\\\b': it leaves its folder"),  # listed, not taken
    ]
    first = listed[0]
    assert first.size == len(files["A.V21"])
    assert isinstance(first.modified, datetime) and first.modified.tzinfo is UTC
    assert abs(first.modified.timestamp() - (outbox / "A.V21").stat().st_mtime) < 1

    destination = tmp_path / "received" / "A.V21"
    assert transport.fetch(first, destination) == destination
    assert destination.read_bytes() == files["A.V21"]
    assert sorted(p.name for p in destination.parent.iterdir()) == ["A.V21"]

    transport.mark_collected(first)
    assert [f.name for f in transport.list_inbound()] == ["B.V22", "a\\b"]
    if collect == "marker":
        assert (outbox / "A.V21.pickup.complete").exists()
        assert (outbox / "A.V21").exists()
    elif collect == "delete":
        assert not (outbox / "A.V21").exists()
    else:
        assert not (outbox / "A.V21").exists()
        assert (outbox / "done" / "A.V21").read_bytes() == files["A.V21"]
    transport.mark_collected(first)  # twice is harmless
    assert [f.name for f in transport.list_inbound()] == ["B.V22", "a\\b"]


def test_a_name_that_is_not_utf8_is_refused_alone(
    make_transport: MakeTransport, outbox: Path
) -> None:
    (outbox / "A.V21").write_bytes(b"x")
    with open(os.path.join(os.fsencode(outbox), b"caf\xe9.V21"), "wb") as fh:
        fh.write(b"latin-1 name")
    listed = make_transport().list_inbound()
    assert [(f.name, f.refused) for f in listed] == [
        ("A.V21", None),
        ("caf\udce9.V21", "refused remote file name 'caf\\udce9.V21': it is not UTF-8"),
    ]


def test_fetch_checks_the_checksum(
    make_transport: MakeTransport, outbox: Path, tmp_path: Path
) -> None:
    data = b"HDR record\n"
    (outbox / "A.V21").write_bytes(data)
    transport = make_transport()
    destination = tmp_path / "A.V21"
    with pytest.raises(TransportError, match="SHA-256"):
        transport.fetch(RemoteFile("A.V21", sha256="0" * 64), destination)
    assert list(tmp_path.glob("*A.V21*")) == []

    good = hashlib.sha256(data).hexdigest().upper()
    transport.fetch(RemoteFile("A.V21", sha256=good), destination)
    assert destination.read_bytes() == data


def test_fetch_of_a_vanished_file(make_transport: MakeTransport, tmp_path: Path) -> None:
    with pytest.raises(TransportError, match="No such file"):
        make_transport().fetch(RemoteFile("GONE.V21"), tmp_path / "GONE.V21")
    assert not (tmp_path / "GONE.V21").exists()


@pytest.mark.parametrize("name", ["../x", "..", "a/b", ".hidden", ""])
def test_names_that_leave_the_folder_are_refused(
    make_transport: MakeTransport, tmp_path: Path, name: str
) -> None:
    transport = make_transport()
    local = tmp_path / "x"
    local.write_bytes(b"x")
    with pytest.raises(TransportError, match="refused remote file name"):
        transport.fetch(RemoteFile(name), tmp_path / "out")
    with pytest.raises(TransportError, match="refused remote file name"):
        transport.mark_collected(RemoteFile(name))
    with pytest.raises(TransportError, match="refused remote file name"):
        transport.deliver(local, name=name)


# the server and its key -------------------------------------------------------


def test_unknown_host_key_is_refused(
    make_transport: MakeTransport, sshd: SshServer, tmp_path: Path
) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    pauses = _sleeps(transport := make_transport(known_hosts=str(empty), retries=3))
    with pytest.raises(TransportError) as caught:
        transport.list_inbound()
    message = str(caught.value)
    assert f"127.0.0.1:{sshd.port}" in message
    assert f"ssh-ed25519 {sshd.fingerprint}" in message
    assert "not in" in message and "\n" not in message
    assert pauses == []
    assert empty.read_text() == ""  # nothing learnt


def test_changed_host_key_is_refused(
    make_transport: MakeTransport, sshd: SshServer, tmp_path: Path
) -> None:
    stale = tmp_path / "known_hosts"
    stale.write_text(sshd.restart_with_new_host_key())
    transport = make_transport(known_hosts=str(stale), retries=3)
    pauses = _sleeps(transport)
    with pytest.raises(TransportError, match="CHANGED") as caught:
        transport.list_inbound()
    assert sshd.fingerprint in str(caught.value)
    assert pauses == []
    assert make_transport().list_inbound() == []  # the server's current known_hosts works


def test_wrong_user_key_is_an_error_not_a_traceback(
    make_transport: MakeTransport, sshd: SshServer
) -> None:
    stranger = sshd.new_key("stranger_key")
    transport = make_transport(key_file=str(stranger), retries=3)
    pauses = _sleeps(transport)
    with pytest.raises(TransportError, match="authentication as .* refused"):
        transport.list_inbound()
    assert pauses == []


def test_key_with_passphrase_from_the_environment(
    make_transport: MakeTransport, sshd: SshServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = sshd.directory / "locked_key"
    if not key.exists():
        subprocess.run(
            [sshd.keygen, "-q", "-t", "ed25519", "-N", "open sesame", "-f", str(key)],
            check=True,
        )
        with sshd.authorized_keys.open("a") as fh:
            fh.write(key.with_suffix(".pub").read_text())
    monkeypatch.delenv("EXCHANGE_KEY_PASSPHRASE_TEST", raising=False)
    with pytest.raises(TransportError, match="EXCHANGE_KEY_PASSPHRASE_TEST"):
        make_transport(key_file=str(key)).list_inbound()
    monkeypatch.setenv("EXCHANGE_KEY_PASSPHRASE_TEST", "wrong")
    with pytest.raises(TransportError, match="wrong passphrase in EXCHANGE_KEY_PASSPHRASE_TEST"):
        make_transport(key_file=str(key)).list_inbound()
    monkeypatch.setenv("EXCHANGE_KEY_PASSPHRASE_TEST", "open sesame")
    assert make_transport(key_file=str(key)).list_inbound() == []


def test_refused_connection_is_retried_then_reported(make_transport: MakeTransport) -> None:
    transport = make_transport(port=free_port(), retries=2)
    pauses = _sleeps(transport)
    with pytest.raises(TransportError, match=r"connection refused") as caught:
        transport.list_inbound()
    assert "after 3 attempts" in str(caught.value)
    assert pauses == [0.2, 0.4]


def test_silent_server_times_out(make_transport: MakeTransport) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        transport = make_transport(port=listener.getsockname()[1], timeout=0.3)
        with pytest.raises(TransportError, match="no answer within 0.3 s") as caught:
            transport.list_inbound()
    assert "\n" not in str(caught.value)


def test_connection_is_reused_until_closed(make_transport: MakeTransport, outbox: Path) -> None:
    transport = make_transport()
    transport.list_inbound()
    first = transport.session._client
    transport.list_inbound()
    assert transport.session._client is first
    transport.close()
    assert transport.session._client is None
    with pytest.raises(TransportClosed, match="listing .* on a closed transport"):
        transport.list_inbound()


def test_a_with_block_that_raises_closes_the_connection(
    partner: Partner, outbox: Path, tmp_path: Path
) -> None:
    (outbox / FINISHED[0]).write_bytes(b"HDR\n")
    config = NodeConfig(partners={partner.code: partner}, path=tmp_path / "exchange.toml")
    connections: list[paramiko.Transport] = []

    def connected(transport: Transport) -> None:
        assert isinstance(transport, SftpTransport) and transport.session._client is not None
        ssh = transport.session._client.get_transport()
        assert ssh is not None and ssh.is_active()
        connections.append(ssh)

    check_closed_when_the_body_raises(partner, config, connected)
    [ssh] = connections
    assert not ssh.is_active()  # the SSH connection to the server is closed
    assert sorted(p.name for p in outbox.iterdir()) == [FINISHED[0]]


def test_describe(
    make_transport: MakeTransport, sshd: SshServer, inbox: Path, outbox: Path
) -> None:
    _partner_leaves(outbox)
    (inbox / "SENT.V21").write_bytes(b"x")
    before = sorted(p.name for p in outbox.iterdir()) + sorted(p.name for p in inbox.iterdir())
    info = make_transport().describe()
    assert info == {
        "kind": "sftp",
        "host": "127.0.0.1",
        "port": sshd.port,
        "username": sshd.username,
        "host_key": f"ssh-ed25519 {sshd.fingerprint}",
        "inbox": {"path": str(inbox), "files": 1},
        "outbox": {"path": str(outbox), "files": 2},
    }
    after = sorted(p.name for p in outbox.iterdir()) + sorted(p.name for p in inbox.iterdir())
    assert after == before


def test_describe_names_a_missing_folder(make_transport: MakeTransport, tmp_path: Path) -> None:
    info = make_transport(inbox=str(tmp_path / "nowhere")).describe()
    assert info["inbox"]["files"] is None
    assert "No such file" in info["inbox"]["error"]


# settings ---------------------------------------------------------------------


def _settings(table: dict[str, object], base: Path = Path("/etc/exchange")) -> SftpSettings:
    return SftpSettings.from_partner(Partner(code="gema-1", name="x", transport=table), base)


MINIMAL = {"host": "h", "username": "u", "key_file": "k", "known_hosts": "keys/kh"}


def test_settings_defaults_and_relative_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(passphrase_variable("gema-1"), raising=False)
    s = _settings(dict(MINIMAL))
    assert (s.host, s.port, s.username) == ("h", 22, "u")
    assert s.key_file == Path("/etc/exchange/k")
    assert s.known_hosts == Path("/etc/exchange/keys/kh")
    assert (s.inbox, s.outbox, s.collect) == ("/incoming", "/outgoing", "marker")
    assert (s.delivery_marker, s.timeout, s.retries, s.passphrase) == (False, 30.0, 3, None)
    absolute = _settings({**MINIMAL, "key_file": "/keys/k", "collect": "move:done"})
    assert absolute.key_file == Path("/keys/k")
    assert absolute.collect_folder == "/outgoing/done"


def test_settings_passphrase_from_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    assert passphrase_variable("gema-1") == "EXCHANGE_KEY_PASSPHRASE_GEMA_1"
    monkeypatch.setenv("EXCHANGE_KEY_PASSPHRASE_GEMA_1", "s3cret")
    settings = _settings(dict(MINIMAL))
    assert settings.passphrase == "s3cret"
    assert "s3cret" not in repr(settings)
    with pytest.raises(ConfigError, match="EXCHANGE_KEY_PASSPHRASE_GEMA_1"):
        _settings({**MINIMAL, "passphrase": "s3cret"})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"host": None}, r"\[partners.transport\] host \(partner gema-1\) is missing"),
        ({"key_file": None}, r"\[partners.transport\] key_file .* is missing"),
        ({"known_hosts": None}, r"\[partners.transport\] known_hosts .* is missing"),
        ({"username": ""}, r"username .* must not be empty"),
        ({"port": "22"}, r"port .* must be a int"),
        ({"port": 0}, r"port .* must be a TCP port"),
        ({"collect": "archive"}, r"collect .* 'marker', 'delete' or 'move:<folder>'"),
        ({"collect": "move:"}, r"collect"),
        ({"delivery_marker": "yes"}, r"delivery_marker .* must be a bool"),
        ({"timeout": 0}, r"timeout"),
        ({"timeout": True}, r"timeout"),
        ({"retries": -1}, r"retries .* 0 or more"),
        ({"kind": "http"}, r"kind .* must be 'sftp'"),
        ({"hots": "typo"}, r"hots .* unknown key"),
    ],
)
def test_settings_errors_name_file_and_key(change: dict[str, object], message: str) -> None:
    table = {**MINIMAL, **change}
    table = {k: v for k, v in table.items() if v is not None}
    with pytest.raises(ConfigError, match=message) as caught:
        _settings(table, Path("/etc/exchange"))
    assert str(caught.value).startswith("/etc/exchange: [partners.transport] ")


def test_only_finished_files_are_listed_and_odd_names_refused(
    make_transport: MakeTransport, outbox: Path, tmp_path: Path
) -> None:
    leave_files(outbox)
    transport = make_transport()
    check_listing(transport.list_inbound())
    assert transport.describe()["outbox"]["files"] == len(FINISHED)
    check_a_growing_file_is_not_fetched(transport, outbox, tmp_path / "got" / FINISHED[0])
