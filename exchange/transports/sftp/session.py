"""The SSH connection to a partner's SFTP server: key authentication, known host keys,
reconnection and retries.

Only key authentication is used (no password, no agent, no keys found in
``~/.ssh``). The server's host key must be in ``known_hosts``: an unknown or
changed key is refused, never learnt, with the fingerprint the server offered.
Transient failures (a dropped connection, a timeout, a refused connection) are
retried with a doubling pause; refusals of keys are not.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import socket
import time
from collections.abc import Callable
from typing import Any, TypeVar

import paramiko

from exchange.transports import TransportClosed, TransportError
from exchange.transports.sftp.settings import SftpSettings, passphrase_variable

log = logging.getLogger(__name__)

T = TypeVar("T")

#: First pause between two attempts; each later pause doubles.
BACKOFF = 0.2


def fingerprint(key: paramiko.PKey) -> str:
    """A key's SHA256 fingerprint as OpenSSH prints it (base64 without padding)."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


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


class SftpSession:
    """One partner's SFTP server, connected when first needed and again after a drop.

    :meth:`run` is the way in: it hands an open ``SFTPClient`` to an operation and
    turns what goes wrong into a :class:`~exchange.transports.TransportError` an
    operator can act on. After :meth:`close` the session refuses to be used.
    """

    def __init__(self, settings: SftpSettings) -> None:
        self.settings = settings
        self.closed = False
        #: how to pause between two attempts (tests replace it)
        self.sleep: Callable[[float], None] = time.sleep
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None

    def alive(self) -> bool:
        """Whether the connection is up (the server still answers)."""
        if self._client is None or self._sftp is None:
            return False
        transport = self._client.get_transport()
        return transport is not None and transport.is_active()

    def server_key(self) -> paramiko.PKey:
        """The host key of the server connected to."""
        transport = self._client.get_transport() if self._client is not None else None
        if transport is None:
            raise TransportError(f"sftp {self.settings.address}: not connected")
        return transport.get_remote_server_key()

    def close(self) -> None:
        """Disconnect, for good: a closed session is not used again."""
        self.closed = True
        self._disconnect()

    def run(self, what: str, operation: Callable[[paramiko.SFTPClient], T]) -> T:
        """Run ``operation`` on a connection; retry transient failures with backoff."""
        s = self.settings
        if self.closed:
            raise TransportClosed(f"sftp {s.address}: {what} on a closed transport")
        attempts = s.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return operation(self._connect())
            except TransportError:
                raise
            except _NEVER_RETRY as exc:
                self._disconnect()
                raise TransportError(self.explain(exc)) from None
            except socket.gaierror as exc:
                self._disconnect()
                raise TransportError(
                    f"sftp {s.address}: cannot resolve host {s.host!r}: {exc.strerror or exc}"
                ) from None
            except Exception as exc:
                transient = isinstance(exc, _CONNECTION_ERRORS) or (
                    isinstance(exc, OSError) and not self.alive()
                )
                if not transient:
                    if not isinstance(exc, OSError):
                        raise  # a bug, not the partner: keep the traceback
                    raise TransportError(
                        f"sftp {s.address}: {what} failed: {self.explain(exc)}"
                    ) from None
                self._disconnect()
                if attempt == attempts:
                    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
                    raise TransportError(
                        f"sftp {s.address}: {what} failed{tries}: {self.explain(exc)}"
                    ) from None
                pause = BACKOFF * 2 ** (attempt - 1)
                log.warning(
                    "sftp %s: %s failed (%s); attempt %d of %d in %.1f s",
                    s.address,
                    what,
                    self.explain(exc),
                    attempt + 1,
                    attempts,
                    pause,
                )
                self.sleep(pause)
        raise AssertionError("unreachable")  # pragma: no cover

    def explain(self, exc: BaseException) -> str:
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
        if self.alive():
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


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
