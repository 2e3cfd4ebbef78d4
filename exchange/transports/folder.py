"""The ``folder`` transport: a partner's inbox and outbox are directories we can reach
(local, or mounted from a file server)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from exchange.config import ConfigError
from exchange.digest import sha256_file
from exchange.model import Partner
from exchange.transports import (
    COLLECTED,
    DELIVERED,
    FileChanged,
    RemoteFile,
    Transport,
    TransportClosed,
    TransportError,
    safe_name,
    screen,
)

COLLECT_MODES = ("marker", "delete")


def is_listed(name: str, names: set[str]) -> bool:
    """Whether a file in an outbox is one the partner left for us and we have not taken
    (markers are not; names of files still being written are screened apart)."""
    return not (name.endswith((DELIVERED, COLLECTED)) or name + COLLECTED in names)


@dataclass(frozen=True, slots=True)
class FolderSettings:
    inbox: Path  # where we deliver
    outbox: Path  # where the partner leaves files for us
    collect: str = "marker"  # marker: <name>.pickup.complete beside it; delete; move:<folder>
    delivery_marker: bool = False

    @classmethod
    def from_partner(cls, partner: Partner, base: Path) -> FolderSettings:
        settings = partner.transport
        where = f"[partners.transport] of partner {partner.code}"
        folders = []
        for key in ("inbox", "outbox"):
            value = settings.get(key)
            if not isinstance(value, str) or not value:
                raise ConfigError(f"{where}: {key} must be the path of a folder")
            folders.append(base / value)
        collect = settings.get("collect", "marker")
        if not isinstance(collect, str) or not (
            collect in COLLECT_MODES or collect.startswith("move:")
        ):
            raise ConfigError(f"{where}: collect must be marker, delete or move:<folder>")
        return cls(folders[0], folders[1], collect, bool(settings.get("delivery_marker", False)))


class FolderTransport(Transport):
    """A partner reached through two folders (nothing to connect: closing only ends its use)."""

    def __init__(self, settings: FolderSettings) -> None:
        self.settings = settings
        self.closed = False

    def _in_use(self) -> None:
        if self.closed:
            raise TransportClosed(f"folder {self.settings.outbox}: its transport is closed")

    def _check(self, folder: Path) -> Path:
        self._in_use()
        if not folder.is_dir():
            raise TransportError(f"folder {folder} does not exist or is not a folder")
        return folder

    def list_inbound(self) -> list[RemoteFile]:
        outbox = self._check(self.settings.outbox)
        entries = {p.name: p for p in outbox.iterdir() if p.is_file()}
        found = []
        for name in sorted(entries):
            if not is_listed(name, set(entries)):
                continue
            try:
                stat = entries[name].stat()
            except FileNotFoundError:  # taken away while we looked
                continue
            modified = datetime.fromtimestamp(stat.st_mtime, UTC)
            listed = screen(name, size=stat.st_size, modified=modified)
            if listed is not None:
                found.append(listed)
        return found

    def fetch(self, remote: RemoteFile, destination: Path) -> Path:
        source = self._check(self.settings.outbox) / safe_name(remote.name)
        temporary = destination.with_name(f".{destination.name}.part")
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, temporary)
            size = temporary.stat().st_size
            if remote.size is not None and size != remote.size:
                raise FileChanged(
                    f"{remote.name}: {size} bytes now, {remote.size} when listed: still being "
                    "written, left for the next run"
                )
            if remote.sha256 and sha256_file(temporary) != remote.sha256:
                raise TransportError(f"{remote.name}: checksum differs from the one listed")
            os.replace(temporary, destination)
        except OSError as exc:
            raise TransportError(f"cannot copy {source}: {exc.strerror}") from None
        finally:
            temporary.unlink(missing_ok=True)
        return destination

    def deliver(self, local: Path, name: str | None = None) -> None:
        inbox = self._check(self.settings.inbox)
        final = inbox / safe_name(name or local.name)
        if final.exists() and final.samefile(local):
            return  # it is where the partner takes it from already (kind "served")
        temporary = inbox / f".{final.name}.part"
        try:
            shutil.copyfile(local, temporary)
            os.replace(temporary, final)
            if self.settings.delivery_marker:
                (inbox / (final.name + DELIVERED)).touch()
        except OSError as exc:
            raise TransportError(
                f"cannot deliver {local.name} to {inbox}: {exc.strerror}"
            ) from None
        finally:
            temporary.unlink(missing_ok=True)

    def mark_collected(self, remote: RemoteFile) -> None:
        outbox = self._check(self.settings.outbox)
        path = outbox / safe_name(remote.name)
        collect = self.settings.collect
        try:
            if collect == "delete":
                path.unlink(missing_ok=True)
            elif collect.startswith("move:"):
                target = outbox / collect[5:]
                target.mkdir(parents=True, exist_ok=True)
                os.replace(path, target / path.name)
            else:
                (outbox / (path.name + COLLECTED)).touch()
        except OSError as exc:
            raise TransportError(f"cannot mark {path} collected: {exc.strerror}") from None

    def describe(self) -> dict[str, Any]:
        self._in_use()
        return {
            "kind": "folder",
            "inbox": {"path": str(self.settings.inbox), "exists": self.settings.inbox.is_dir()},
            "outbox": {
                "path": str(self.settings.outbox),
                "files": len([f for f in self.list_inbound() if f.refused is None])
                if self.settings.outbox.is_dir()
                else None,
            },
        }

    def close(self) -> None:
        self.closed = True
