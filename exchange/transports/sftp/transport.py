"""SFTP: the file operations on a partner's server (its ``inbox`` and ``outbox`` folders).

We deliver into ``inbox`` under a temporary name renamed when complete, and collect
from ``outbox`` what the partner left, marking it collected as ``collect`` says
(a marker, a delete or a move). The connection is :mod:`.session`'s, the
configuration :mod:`.settings`'.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paramiko
from paramiko import sftp as sftp_codes

from exchange.transports import (
    COLLECTED,
    DELIVERED,
    FileChanged,
    RemoteFile,
    Transport,
    TransportError,
    is_unfinished,
    name_problem,
    safe_name,
    screen,
)
from exchange.transports.sftp.session import SftpSession, fingerprint
from exchange.transports.sftp.settings import SftpSettings

CHUNK = 32768


class SftpTransport(Transport):
    """The :class:`~exchange.transports.Transport` of a partner's SFTP server."""

    def __init__(self, settings: SftpSettings) -> None:
        self.settings = settings
        self.session = SftpSession(settings)
        self._posix_rename = True

    def close(self) -> None:
        self.session.close()

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
                if not self.session.alive():
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

        return self.session.run(f"listing {self.settings.outbox}", listing)

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

        return self.session.run(f"fetching {path}", download)

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
                if self.session.alive():  # the server still answers: leave nothing behind
                    with contextlib.suppress(Exception):
                        sftp.remove(part)
                raise
            self._rename_over(sftp, part, final)
            if self.settings.delivery_marker:
                self._write_empty(sftp, final + DELIVERED)

        self.session.run(f"delivering {name} to {inbox}", upload)

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

        self.session.run(f"marking {path} collected ({collect})", collected)

    def describe(self) -> dict[str, Any]:
        """Where, who, the host key and how many files wait in each folder; changes nothing."""
        s = self.settings

        def folder(sftp: paramiko.SFTPClient, path: str) -> dict[str, Any]:
            try:
                entries = self._regular_files(sftp, path)
            except OSError as exc:
                if not self.session.alive():
                    raise
                return {"path": path, "files": None, "error": self.session.explain(exc)}
            pending = [a for a in self._pending(entries) if name_problem(a.filename) is None]
            return {"path": path, "files": len(pending)}

        def look(sftp: paramiko.SFTPClient) -> dict[str, Any]:
            key = self.session.server_key()
            return {
                "kind": "sftp",
                "host": s.host,
                "port": s.port,
                "username": s.username,
                "host_key": f"{key.get_name()} {fingerprint(key)}",
                "inbox": folder(sftp, s.inbox),
                "outbox": folder(sftp, s.outbox),
            }

        return self.session.run("looking at the folders", look)


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
