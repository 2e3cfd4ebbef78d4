"""SFTP: a partner's server reached with paramiko, with a key and a known host key.

The partner gives us an account on its server, a folder where we deliver
(``inbox``) and a folder where it leaves files for us (``outbox``). The
configuration names them in the partner's ``[partners.transport]`` table::

    [partners.transport]
    kind = "sftp"
    host = "sftp.partner.example"
    port = 22
    username = "exchange"
    key_file = "keys/partner_ed25519"      # relative to the configuration's folder
    known_hosts = "keys/known_hosts"       # the partner's host key, checked, never learnt
    inbox = "/incoming"
    outbox = "/outgoing"
    collect = "marker"                     # or "delete", or "move:<folder>"
    delivery_marker = false                # also write <name>.delivery.complete
    timeout = 30
    retries = 3

Only key authentication is used (no password, no agent, no keys found in
``~/.ssh``). The key's passphrase, if it has one, comes from the environment
variable ``EXCHANGE_KEY_PASSPHRASE_<CODE>`` (see :func:`passphrase_variable`).

The server's host key must be in ``known_hosts``: an unknown or changed key is
refused, with the fingerprint the server offered, so that an operator can
compare it with the one the partner announced.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import posixpath
import re
import socket
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import paramiko
from paramiko import sftp as sftp_codes

from exchange.config import TRANSPORT_KEYS, ConfigError
from exchange.model import Partner
from exchange.transports import (
    COLLECTED,
    DELIVERED,
    FileChanged,
    RemoteFile,
    TransportError,
    is_unfinished,
    name_problem,
    safe_name,
    screen,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

CHUNK = 32768
#: First pause between two attempts; each later pause doubles.
BACKOFF = 0.2
KEYS = TRANSPORT_KEYS["sftp"]


def passphrase_variable(code: str) -> str:
    """The environment variable holding the key passphrase for partner ``code``.

    >>> passphrase_variable("gema-1")
    'EXCHANGE_KEY_PASSPHRASE_GEMA_1'
    """
    return "EXCHANGE_KEY_PASSPHRASE_" + re.sub(r"[^A-Z0-9]", "_", code.upper())


def fingerprint(key: paramiko.PKey) -> str:
    """A key's SHA256 fingerprint as OpenSSH prints it (base64 without padding)."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class SftpSettings:
    """Where and how to reach one partner's SFTP server."""

    host: str
    username: str
    key_file: Path
    known_hosts: Path
    port: int = 22
    inbox: str = "/incoming"
    outbox: str = "/outgoing"
    collect: str = "marker"
    delivery_marker: bool = False
    timeout: float = 30.0
    retries: int = 3
    #: the partner code, for messages and the passphrase variable
    partner: str = ""
    passphrase: str | None = field(default=None, repr=False, compare=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def collect_folder(self) -> str | None:
        """The folder of ``collect = "move:<folder>"`` (relative: inside the outbox)."""
        if not self.collect.startswith("move:"):
            return None
        return posixpath.join(self.outbox, self.collect.removeprefix("move:"))

    @classmethod
    def from_partner(
        cls, partner: Partner, base: Path, *, config_file: Path | None = None
    ) -> SftpSettings:
        """Read ``partner.transport``; relative key paths are taken from ``base``.

        Errors are :class:`ConfigError` naming ``<file>: [partners.transport] <key>``;
        ``config_file`` is the file to name (default: ``base``, the folder).
        """
        data = dict(partner.transport)
        source = config_file if config_file is not None else base

        def where(key: str) -> str:
            return f"{source}: [partners.transport] {key} (partner {partner.code})"

        def get(key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
            if key not in data:
                return default
            value = data[key]
            wrong_bool = isinstance(value, bool) and kind is not bool
            if not isinstance(value, kind) or wrong_bool:
                names = (
                    kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
                )
                raise ConfigError(f"{where(key)} must be a {names}, not {value!r}")
            return value

        def text(key: str, default: str | None = None) -> str:
            if key not in data and default is None:
                raise ConfigError(f"{where(key)} is missing")
            value = get(key, str, default).strip()
            if not value:
                raise ConfigError(f"{where(key)} must not be empty")
            return value

        for key in data:
            if key == "passphrase":
                raise ConfigError(
                    f"{where(key)}: passphrases do not belong in the configuration; "
                    f"set {passphrase_variable(partner.code)} in the environment"
                )
            if key not in KEYS:
                raise ConfigError(f"{where(key)}: unknown key (known: {', '.join(sorted(KEYS))})")
        kind = get("kind", str, "sftp")
        if kind != "sftp":
            raise ConfigError(f"{where('kind')} must be 'sftp' for SFTP settings, not {kind!r}")
        port = get("port", int, 22)
        if not 1 <= port <= 65535:
            raise ConfigError(f"{where('port')} must be a TCP port (1-65535), not {port}")
        collect = text("collect", "marker")
        if collect not in ("marker", "delete") and not (
            collect.startswith("move:") and collect.removeprefix("move:").strip("/ ")
        ):
            raise ConfigError(
                f"{where('collect')} must be 'marker', 'delete' or 'move:<folder>', not {collect!r}"
            )
        timeout = get("timeout", (int, float), 30)
        if timeout <= 0:
            raise ConfigError(f"{where('timeout')} must be a number of seconds above 0")
        retries = get("retries", int, 3)
        if retries < 0:
            raise ConfigError(f"{where('retries')} must be 0 or more, not {retries}")
        passphrase = os.environ.get(passphrase_variable(partner.code)) or None
        return cls(
            host=text("host"),
            port=port,
            username=text("username"),
            key_file=base / text("key_file"),
            known_hosts=base / text("known_hosts"),
            inbox=text("inbox", "/incoming"),
            outbox=text("outbox", "/outgoing"),
            collect=collect,
            delivery_marker=get("delivery_marker", bool, False),
            timeout=float(timeout),
            retries=retries,
            partner=partner.code,
            passphrase=passphrase,
        )


class _UnknownHostKey(paramiko.SSHException):
    def __init__(self, hostname: str, key: paramiko.PKey) -> None:
        super().__init__(f"host key of {hostname} is unknown")
        self.key = key


class _RefuseUnknown(paramiko.RejectPolicy):
    """paramiko's RejectPolicy, keeping the offered key for the error message."""

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: Any) -> None:
        raise _UnknownHostKey(hostname, key)


_NEVER_RETRY = (paramiko.AuthenticationException, paramiko.BadHostKeyException, _UnknownHostKey)
_CONNECTION_ERRORS = (
    EOFError,
    paramiko.SSHException,
    ConnectionError,
    TimeoutError,
    paramiko.ssh_exception.NoValidConnectionsError,
)


class SftpTransport:
    """The :class:`~exchange.transports.Transport` of a partner's SFTP server."""

    def __init__(self, settings: SftpSettings) -> None:
        self.settings = settings
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._posix_rename = True
        self._sleep = time.sleep

    # connection -------------------------------------------------------------

    def _alive(self) -> bool:
        if self._client is None or self._sftp is None:
            return False
        transport = self._client.get_transport()
        return transport is not None and transport.is_active()

    def _load_key(self) -> paramiko.PKey:
        s = self.settings
        try:
            password = s.passphrase.encode() if s.passphrase is not None else None
            return paramiko.PKey.from_path(s.key_file, password=password)
        except FileNotFoundError:
            raise TransportError(f"sftp {s.address}: key file {s.key_file} not found") from None
        except OSError as exc:
            raise TransportError(
                f"sftp {s.address}: cannot read key file {s.key_file}: {exc.strerror or exc}"
            ) from None
        except (TypeError, ValueError, paramiko.SSHException, paramiko.UnknownKeyType) as exc:
            if s.passphrase is None and (
                isinstance(exc, paramiko.PasswordRequiredException | TypeError)
                or "encrypted" in str(exc).lower()
            ):
                raise TransportError(
                    f"sftp {s.address}: key file {s.key_file} is protected by a passphrase; "
                    f"set {passphrase_variable(s.partner)}"
                ) from None
            problem = "not a private key paramiko can use"
            if s.passphrase is not None:
                problem = f"wrong passphrase in {passphrase_variable(s.partner)}, or {problem}"
            if not isinstance(exc, ValueError):  # a ValueError's own text misleads
                problem += f": {_one_line(exc)}"
            raise TransportError(
                f"sftp {s.address}: cannot use key file {s.key_file} ({problem})"
            ) from None

    def _connect(self) -> paramiko.SFTPClient:
        if self._alive():
            assert self._sftp is not None
            return self._sftp
        self._disconnect()
        s = self.settings
        key = self._load_key()
        client = paramiko.SSHClient()
        try:
            client.load_host_keys(str(s.known_hosts))
        except FileNotFoundError:
            raise TransportError(
                f"sftp {s.address}: known_hosts file {s.known_hosts} not found"
            ) from None
        except OSError as exc:
            raise TransportError(
                f"sftp {s.address}: cannot read known_hosts {s.known_hosts}: {exc.strerror}"
            ) from None
        client.set_missing_host_key_policy(_RefuseUnknown())
        try:
            client.connect(
                s.host,
                port=s.port,
                username=s.username,
                pkey=key,
                timeout=s.timeout,
                banner_timeout=s.timeout,
                auth_timeout=s.timeout,
                channel_timeout=s.timeout,
                allow_agent=False,
                look_for_keys=False,
            )
            sftp = client.open_sftp()
            sftp.get_channel().settimeout(s.timeout)
        except paramiko.SSHException as exc:
            transport = client.get_transport()
            cause = transport.get_exception() if transport is not None else None
            no_handshake = transport is not None and transport.host_key is None
            client.close()
            if isinstance(exc, _NEVER_RETRY):
                raise
            # the transport's thread knows better than "No existing session"; when it
            # has nothing to say yet, the handshake ran out of time (paramiko's
            # start_client returns silently on its timeout)
            if cause is not None and cause is not exc:
                raise cause from None
            if no_handshake:
                raise TimeoutError(f"no SSH handshake within {s.timeout:g} s") from None
            raise
        except BaseException:
            client.close()
            raise
        self._client, self._sftp = client, sftp
        return sftp

    def _disconnect(self) -> None:
        sftp, client = self._sftp, self._client
        self._sftp = self._client = None
        if sftp is not None:
            with contextlib.suppress(Exception):
                sftp.close()
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()

    def close(self) -> None:
        self._disconnect()

    def __enter__(self) -> SftpTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self, what: str, operation: Callable[[paramiko.SFTPClient], T]) -> T:
        """Run ``operation`` on a connection; retry transient failures with backoff."""
        s = self.settings
        attempts = s.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return operation(self._connect())
            except TransportError:
                raise
            except _NEVER_RETRY as exc:
                self._disconnect()
                raise TransportError(self._explain(exc)) from None
            except socket.gaierror as exc:
                self._disconnect()
                raise TransportError(
                    f"sftp {s.address}: cannot resolve host {s.host!r}: {exc.strerror or exc}"
                ) from None
            except Exception as exc:
                transient = isinstance(exc, _CONNECTION_ERRORS) or (
                    isinstance(exc, OSError) and not self._alive()
                )
                if not transient:
                    if not isinstance(exc, OSError):
                        raise  # a bug, not the partner: keep the traceback
                    raise TransportError(
                        f"sftp {s.address}: {what} failed: {self._explain(exc)}"
                    ) from None
                self._disconnect()
                if attempt == attempts:
                    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
                    raise TransportError(
                        f"sftp {s.address}: {what} failed{tries}: {self._explain(exc)}"
                    ) from None
                pause = BACKOFF * 2 ** (attempt - 1)
                log.warning(
                    "sftp %s: %s failed (%s); attempt %d of %d in %.1f s",
                    s.address,
                    what,
                    self._explain(exc),
                    attempt + 1,
                    attempts,
                    pause,
                )
                self._sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    def _explain(self, exc: BaseException) -> str:
        """One line an operator can act on."""
        s = self.settings
        if isinstance(exc, _UnknownHostKey):
            return (
                f"sftp {s.address}: host key not in {s.known_hosts}: the server offers "
                f"{exc.key.get_name()} {fingerprint(exc.key)}; refused (compare it with the "
                f"fingerprint the partner gives you, then add it to known_hosts)"
            )
        if isinstance(exc, paramiko.BadHostKeyException):
            return (
                f"sftp {s.address}: host key CHANGED: the server offers "
                f"{exc.key.get_name()} {fingerprint(exc.key)}, {s.known_hosts} expects "
                f"{exc.expected_key.get_name()} {fingerprint(exc.expected_key)}; refused"
            )
        if isinstance(exc, paramiko.AuthenticationException):
            return (
                f"sftp {s.address}: authentication as {s.username!r} with key {s.key_file} refused"
            )
        if isinstance(exc, ConnectionRefusedError | paramiko.ssh_exception.NoValidConnectionsError):
            return "connection refused"
        if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
            return f"no answer within {s.timeout:g} s"
        if isinstance(exc, EOFError):
            return "the server closed the connection"
        if isinstance(exc, OSError) and exc.strerror:
            return f"{exc.strerror}" + (f": {exc.filename}" if exc.filename else "")
        return _one_line(exc)

    # helpers ----------------------------------------------------------------

    def _inbound_path(self, name: str) -> str:
        return posixpath.join(self.settings.outbox, safe_name(name))

    @staticmethod
    def _exists(sftp: paramiko.SFTPClient, path: str) -> bool:
        try:
            sftp.stat(path)
        except FileNotFoundError:
            return False
        return True

    def _rename_over(self, sftp: paramiko.SFTPClient, source: str, target: str) -> None:
        """Rename ``source`` to ``target``, replacing ``target`` if it exists."""
        if self._posix_rename:
            try:
                sftp.posix_rename(source, target)
                return
            except (FileNotFoundError, PermissionError):
                raise
            except OSError:
                if not self._alive():
                    raise
                # no posix-rename@openssh.com on this server: remove, then rename
                self._posix_rename = False
        with contextlib.suppress(FileNotFoundError):
            sftp.remove(target)
        sftp.rename(source, target)

    @staticmethod
    def _write_empty(sftp: paramiko.SFTPClient, path: str) -> None:
        with sftp.open(path, "wb"):
            pass

    def _regular_files(self, sftp: paramiko.SFTPClient, folder: str) -> list[Any]:
        return [
            attr
            for attr in _listdir_attr(sftp, folder)
            if attr.st_mode is not None and stat.S_ISREG(attr.st_mode)
        ]

    @staticmethod
    def _pending(entries: list[Any]) -> list[Any]:
        """Entries that are files for us: not markers, not collected, not being written.

        Names refused by :func:`~exchange.transports.name_problem` stay in: the
        listing reports them (one odd name must not stop the collection of the others).
        """
        names = {attr.filename for attr in entries}
        return [
            attr
            for attr in entries
            if not attr.filename.endswith((DELIVERED, COLLECTED))
            and attr.filename + COLLECTED not in names
            and not is_unfinished(attr.filename)
        ]

    # the Transport protocol -------------------------------------------------

    def list_inbound(self) -> list[RemoteFile]:
        """Regular files in the outbox that are not hidden, markers or collected."""

        def listing(sftp: paramiko.SFTPClient) -> list[RemoteFile]:
            files = []
            entries = self._regular_files(sftp, self.settings.outbox)
            for attr in self._pending(entries):
                modified = (
                    datetime.fromtimestamp(attr.st_mtime, tz=UTC)
                    if attr.st_mtime is not None
                    else None
                )
                listed = screen(attr.filename, size=attr.st_size, modified=modified)
                if listed is not None:
                    files.append(listed)
            return sorted(files, key=lambda f: f.name)

        return self._run(f"listing {self.settings.outbox}", listing)

    def fetch(self, remote: RemoteFile, destination: Path) -> Path:
        """Download ``remote`` to ``destination`` via a temporary name; check size/sha256."""
        path = self._inbound_path(remote.name)
        destination = Path(destination)
        temporary = destination.with_name(f".{destination.name}.part")
        address = self.settings.address

        def download(sftp: paramiko.SFTPClient) -> Path:
            expected = sftp.stat(path).st_size
            if remote.size is not None and expected != remote.size:
                raise FileChanged(
                    f"sftp {address}: {remote.name}: {expected} bytes now, {remote.size} when "
                    "listed: still being written, left for the next run"
                )
            digest = hashlib.sha256()
            received = 0
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                with sftp.open(path, "rb") as source, temporary.open("wb") as target:
                    source.prefetch(expected)
                    while chunk := source.read(CHUNK):
                        target.write(chunk)
                        digest.update(chunk)
                        received += len(chunk)
                if expected is not None and received != expected:
                    raise FileChanged(
                        f"sftp {address}: {remote.name}: received {received} bytes, "
                        f"the server says {expected}: still being written, left for the next run"
                    )
                if remote.sha256 and digest.hexdigest() != remote.sha256.strip().lower():
                    raise TransportError(
                        f"sftp {address}: {remote.name}: SHA-256 {digest.hexdigest()} "
                        f"differs from {remote.sha256}; not kept"
                    )
                os.replace(temporary, destination)
            finally:
                temporary.unlink(missing_ok=True)
            return destination

        return self._run(f"fetching {path}", download)

    def deliver(self, local: Path, name: str | None = None) -> None:
        """Upload to ``inbox/.<name>.part``, check its size, rename it to ``inbox/<name>``."""
        local = Path(local)
        name = safe_name(name if name is not None else local.name)
        inbox = self.settings.inbox
        part = posixpath.join(inbox, f".{name}.part")
        final = posixpath.join(inbox, name)
        try:
            size = local.stat().st_size
        except OSError as exc:
            raise TransportError(f"cannot deliver {local}: {exc.strerror}") from None

        def upload(sftp: paramiko.SFTPClient) -> None:
            try:
                with local.open("rb") as source, sftp.open(part, "wb") as target:
                    target.set_pipelined(True)
                    while chunk := source.read(CHUNK):
                        target.write(chunk)
                written = sftp.stat(part).st_size
                if written != size:
                    raise TransportError(
                        f"sftp {self.settings.address}: {part} has {written} bytes "
                        f"after upload, {local} has {size}"
                    )
            except BaseException:
                if self._alive():  # the server still answers: leave nothing behind
                    with contextlib.suppress(Exception):
                        sftp.remove(part)
                raise
            self._rename_over(sftp, part, final)
            if self.settings.delivery_marker:
                self._write_empty(sftp, final + DELIVERED)

        self._run(f"delivering {name} to {inbox}", upload)

    def mark_collected(self, remote: RemoteFile) -> None:
        """Write ``<name>.pickup.complete``, delete, or move, as ``collect`` says."""
        path = self._inbound_path(remote.name)
        collect = self.settings.collect

        def collected(sftp: paramiko.SFTPClient) -> None:
            if collect == "marker":
                self._write_empty(sftp, path + COLLECTED)
            elif collect == "delete":
                # already gone (e.g. an attempt whose answer was lost) is collected too
                with contextlib.suppress(FileNotFoundError):
                    sftp.remove(path)
            else:
                folder = self.settings.collect_folder
                assert folder is not None
                target = posixpath.join(folder, remote.name)
                if not self._exists(sftp, folder):
                    sftp.mkdir(folder)
                if not self._exists(sftp, path) and self._exists(sftp, target):
                    return
                self._rename_over(sftp, path, target)

        self._run(f"marking {path} collected ({collect})", collected)

    def describe(self) -> dict[str, Any]:
        """Where, who, the host key and how many files wait in each folder; changes nothing."""
        s = self.settings

        def folder(sftp: paramiko.SFTPClient, path: str) -> dict[str, Any]:
            try:
                entries = self._regular_files(sftp, path)
            except OSError as exc:
                if not self._alive():
                    raise
                return {"path": path, "files": None, "error": self._explain(exc)}
            pending = [a for a in self._pending(entries) if name_problem(a.filename) is None]
            return {"path": path, "files": len(pending)}

        def look(sftp: paramiko.SFTPClient) -> dict[str, Any]:
            assert self._client is not None
            transport = self._client.get_transport()
            assert transport is not None
            key = transport.get_remote_server_key()
            return {
                "kind": "sftp",
                "host": s.host,
                "port": s.port,
                "username": s.username,
                "host_key": f"{key.get_name()} {fingerprint(key)}",
                "inbox": folder(sftp, s.inbox),
                "outbox": folder(sftp, s.outbox),
            }

        return self._run("looking at the folders", look)


def _listdir_attr(sftp: paramiko.SFTPClient, folder: str) -> list[paramiko.SFTPAttributes]:
    """``sftp.listdir_attr(folder)``, but a name that is not UTF-8 does not fail the listing.

    paramiko decodes every name as strict UTF-8; here the bytes that are not UTF-8
    become lone surrogates (``surrogateescape``), which the listing then refuses
    for that file only (:func:`~exchange.transports.name_problem`). The requests
    are paramiko's own (its ``_request``), as its ``listdir_attr`` makes them.
    """
    kind, msg = sftp._request(sftp_codes.CMD_OPENDIR, folder)
    if kind != sftp_codes.CMD_HANDLE:
        raise paramiko.SFTPError("Expected handle")
    handle = msg.get_binary()
    found = []
    try:
        while True:
            try:
                kind, msg = sftp._request(sftp_codes.CMD_READDIR, handle)
            except EOFError:
                break  # the end of the folder
            if kind != sftp_codes.CMD_NAME:
                raise paramiko.SFTPError("Expected name response")
            for _ in range(msg.get_int()):
                name = msg.get_string().decode("utf-8", "surrogateescape")
                longname = msg.get_string().decode("utf-8", "replace")
                attr = paramiko.SFTPAttributes._from_msg(msg, name, longname)
                if name not in (".", ".."):
                    found.append(attr)
    finally:
        sftp._request(sftp_codes.CMD_CLOSE, handle)
    return found


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
