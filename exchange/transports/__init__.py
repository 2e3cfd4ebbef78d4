"""How files travel to and from a partner: one interface, a kind per way of travel.

A partner leaves files for us in its *outbox* (we list, fetch and mark them
collected) and we deliver files into its *inbox*. Every kind keeps the same
promises:

* ``deliver`` never lets the partner see a partial file: it writes a temporary
  name and renames it when complete (and can write the CWR 3 marker
  ``<name>.delivery.complete``);
* ``fetch`` checks what it received (size, and checksum when the far side gives
  one) before handing it over;
* ``mark_collected`` makes a fetched file disappear from later listings (CWR 3:
  ``<name>.pickup.complete``, or a move, as configured);
* remote names that try to leave their folder (``..``, ``/``) are refused.

Kinds: ``folder`` (a local or mounted directory), ``sftp`` (paramiko) and
``http`` (the HTTP API of another node, see ``exchange serve``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from exchange.errors import EXIT_PARTNER, ExchangeError

#: Markers of the CWR 3 folder conventions (CWR 3.1 section 2.4).
DELIVERED = ".delivery.complete"
COLLECTED = ".pickup.complete"


class TransportError(ExchangeError):
    """A partner or transport failure (connection, authentication, host key): exit code 3."""

    exit_code = EXIT_PARTNER


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """A file a partner left for us."""

    name: str
    size: int | None = None
    modified: datetime | None = None
    sha256: str | None = None  # when the far side says it


def safe_name(name: str) -> str:
    """A remote file name that stays in its folder; anything else is refused.

    >>> safe_name("CW260001058_052.V22")
    'CW260001058_052.V22'
    >>> safe_name("../etc/passwd")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    exchange.transports.TransportError: refused remote file name '../etc/passwd': ...
    """
    if (
        not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or name.startswith(".")
    ):
        raise TransportError(f"refused remote file name {name!r}: it leaves its folder")
    return name


class Transport(Protocol):
    """What the exchange engine needs of a way to reach a partner."""

    def list_inbound(self) -> list[RemoteFile]:
        """Files the partner left for us and we have not marked collected, by name."""
        ...

    def fetch(self, remote: RemoteFile, destination: Path) -> Path:
        """Copy one inbound file to ``destination`` (a file path); check size/checksum."""
        ...

    def deliver(self, local: Path, name: str | None = None) -> None:
        """Put a file in the partner's inbox under ``name`` (default: its own), atomically."""
        ...

    def mark_collected(self, remote: RemoteFile) -> None:
        """Make an inbound file we have taken disappear from later listings."""
        ...

    def describe(self) -> dict[str, Any]:
        """What ``exchange partners check`` shows: where, who, host key, folder listings."""
        ...

    def close(self) -> None: ...
