"""A real OpenSSH server on a loopback port, for the SFTP transport's tests.

Everything it needs lives in one throwaway folder: an ed25519 host key, an
ed25519 user key (authorised to log in as the user running the tests), the
``sshd_config``, the pid file, the server's log and a ``known_hosts`` line for
``[127.0.0.1]:<port>``. SFTP is OpenSSH's ``internal-sftp`` without a chroot,
so remote paths are the paths of this machine: tests use folders under their
``tmp_path``.

Without ``sshd`` or ``ssh-keygen`` the tests that ask for a server are skipped
(or fail under ``EXCHANGE_REQUIRE_SERVICES=1``, see :mod:`tests.services`).
"""

from __future__ import annotations

import base64
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from exchange.subprocesses import end
from tests.services import missing_service

HOST = "127.0.0.1"
SSHD_CANDIDATES = ("/usr/sbin/sshd", "/usr/local/sbin/sshd")
START_TIMEOUT = 60.0  # a busy machine starts sshd slowly


class SshdUnavailable(Exception):
    """sshd or ssh-keygen is missing, or the server did not come up."""


def find_program(name: str, candidates: tuple[str, ...] = ()) -> str | None:
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin:/sbin")


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def fingerprint_of(public_key_line: str) -> str:
    """OpenSSH's SHA256 fingerprint of a public key line (``type base64 [comment]``)."""
    blob = base64.b64decode(public_key_line.split()[1])
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


class SshServer:
    """One sshd process, its keys and files; ``start()``/``stop()`` it."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        sshd = find_program("sshd", SSHD_CANDIDATES)
        keygen = find_program("ssh-keygen")
        if sshd is None:
            raise SshdUnavailable("OpenSSH server not installed (no sshd; package openssh-server)")
        if keygen is None:
            raise SshdUnavailable("ssh-keygen not installed (package openssh-client)")
        self.sshd, self.keygen = sshd, keygen
        self.directory = directory.resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.host = HOST
        self.port = port or free_port()
        self.username = pwd.getpwuid(os.getuid()).pw_name
        self.config = self.directory / "sshd_config"
        self.pid_file = self.directory / "sshd.pid"
        self.log_file = self.directory / "sshd.log"
        self.authorized_keys = self.directory / "authorized_keys"
        self.known_hosts = self.directory / "known_hosts"
        self.user_key = self.new_key("user_key")
        self.authorized_keys.write_text(self.user_key.with_suffix(".pub").read_text())
        self.host_key = self.new_key("host_key")
        self.process: subprocess.Popen[bytes] | None = None
        self._generation = 0

    # keys -------------------------------------------------------------------

    def new_key(self, name: str) -> Path:
        """A fresh ed25519 key pair ``<name>`` and ``<name>.pub`` in the folder."""
        path = self.directory / name
        for old in (path, path.with_suffix(".pub")):
            old.unlink(missing_ok=True)
        subprocess.run(
            [self.keygen, "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(path)],
            check=True,
            capture_output=True,
        )
        return path

    @property
    def host_public_key(self) -> str:
        return self.host_key.with_suffix(".pub").read_text().strip()

    @property
    def fingerprint(self) -> str:
        """The host key's fingerprint, ``SHA256:...`` as OpenSSH shows it."""
        return fingerprint_of(self.host_public_key)

    def known_hosts_line(self) -> str:
        key_type, key_data = self.host_public_key.split()[:2]
        return f"[{self.host}]:{self.port} {key_type} {key_data}\n"

    # process ----------------------------------------------------------------

    def write_config(self) -> None:
        lines = [
            f"Port {self.port}",
            f"ListenAddress {self.host}",
            f"HostKey {self.host_key}",
            f"PidFile {self.pid_file}",
            f"AuthorizedKeysFile {self.authorized_keys}",
            "StrictModes no",
            "UsePAM no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            "PermitRootLogin yes",
            "UseDNS no",
            "LogLevel VERBOSE",
            "Subsystem sftp internal-sftp",
        ]
        self.config.write_text("\n".join(lines) + "\n")

    def start(self) -> None:
        if self.process is not None:
            return
        Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)  # privilege separation
        self.write_config()
        self.known_hosts.write_text(self.known_hosts_line())
        log = self.log_file.open("ab")
        try:
            self.process = subprocess.Popen(
                [self.sshd, "-D", "-e", "-f", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                raise SshdUnavailable(f"sshd exited at start: {self.log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise SshdUnavailable(f"sshd did not listen on port {self.port}: {self.log_tail()}")

    def stop(self) -> None:
        """Stop the listening sshd (sessions still open end with their clients)."""
        if self.process is None:
            return
        end(self.process, 5)
        self.process = None

    def restart_with_new_host_key(self) -> str:
        """Restart on the same port with a new host key; return the old known_hosts line.

        ``known_hosts`` is rewritten for the new key, so later tests connect as before.
        """
        old_line = self.known_hosts_line()
        self.stop()
        self._generation += 1
        self.host_key = self.new_key(f"host_key_{self._generation}")
        self.start()
        return old_line

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return " | ".join(text.strip().splitlines()[-lines:]) or "(empty log)"

    def __enter__(self) -> SshServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def running_sshd(directory: Path) -> Iterator[SshServer]:
    """Body of a fixture: a started server, stopped afterwards; missing → skip/fail."""
    try:
        server = SshServer(directory)
        server.start()
    except (SshdUnavailable, OSError, subprocess.CalledProcessError) as exc:
        missing_service(f"sshd for the SFTP tests: {exc}")
        return
    try:
        yield server
    finally:
        server.stop()
