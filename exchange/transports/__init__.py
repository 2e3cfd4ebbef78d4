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
* remote names that try to leave their folder (``..``, ``/``) are refused;
* only finished files are listed: names that senders give files still being
  written (:func:`is_temporary`) are left out, and ``fetch`` raises
  :class:`FileChanged` for a file whose size is no longer the one listed;
* a name that cannot be shown or stored safely (:func:`name_problem`) is listed
  with the reason in ``refused``, and never fetched: one odd name skips that file
  only.

Kinds: ``folder`` (a local or mounted directory), ``sftp`` (paramiko) and
``http`` (the HTTP API of another node, see ``exchange serve``). A transport is
opened with :func:`exchange.transports.kinds.open_transport` and used in a
``with`` block, which closes its connection however the block ends; a closed
transport refuses to be used (:class:`TransportClosed`)::

    with open_transport(partner, config) as transport:
        waiting = transport.list_inbound()
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, Self

from exchange.errors import EXIT_PARTNER, ExchangeError

logger = logging.getLogger(__name__)

#: Markers of the CWR 3 folder conventions (CWR 3.1 section 2.4).
DELIVERED = ".delivery.complete"
COLLECTED = ".pickup.complete"


class TransportError(ExchangeError):
    """A partner or transport failure (connection, authentication, host key): exit code 3."""

    exit_code = EXIT_PARTNER


class TransportClosed(RuntimeError):
    """A transport was used after it was closed (its ``with`` block ended): a bug in the
    caller, not a partner failure."""


class FileChanged(TransportError):
    """A listed file's size changed before it was fetched: still being written."""


#: Endings of names that senders and their tools give files still being written.
TEMPORARY_ENDINGS = (".part", ".partial", ".filepart", ".tmp", ".temp", "~")
#: Bidirectional embedding, override and isolate characters (U+202A-U+202E, U+2066-U+2069):
#: they make a name show as another one.
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """A file a partner left for us."""

    name: str
    size: int | None = None
    modified: datetime | None = None
    sha256: str | None = None  # when the far side says it
    #: why the file is not taken (a name refused by :func:`name_problem`); None: it is
    refused: str | None = None


def is_temporary(name: str) -> bool:
    """Whether a name marks a file still being written (or hidden): not collected.

    >>> [is_temporary(n) for n in ("CW260001058_052.V22", "CW260001058_052.V22.part")]
    [False, True]
    >>> [is_temporary(n) for n in (".upload", "~lock.xlsx", "works.xlsx~", "WORKS.TMP")]
    [True, True, True, True]
    """
    return name.startswith((".", "~")) or name.lower().endswith(TEMPORARY_ENDINGS)


def is_unfinished(name: str) -> bool:
    """Whether a listed file is left out as still being written: a temporary name that
    is not refused for what it holds (a folder, a control character).

    >>> is_unfinished(".CW260001058_052.V21.part"), is_unfinished("../etc/passwd")
    (True, False)
    """
    leaves = name in (".", "..") or any(char in name for char in "/\\\x00")
    return is_temporary(name) and not leaves and _unprintable(name) is None


def name_problem(name: str) -> str | None:
    """Why a remote file name is refused (None: it is acceptable).

    Refused: names that leave their folder, and names with control characters
    (newlines among them) or bidirectional controls, which could fake another
    name in a listing, a log or a report.

    >>> name_problem("CW260001058_052.V22") is None
    True
    >>> print(name_problem("CW26" + chr(10) + "0001.V22"))
    refused remote file name 'CW26\\n0001.V22': it holds a control character (U+000A)
    >>> print(name_problem("WORKS" + chr(0x202E) + "gpj.exe"))
    refused remote file name 'WORKS\\u202egpj.exe': it holds a bidirectional control (U+202E)
    """
    problem = _unprintable(name)
    if problem is None:
        try:
            safe_name(name)
        except TransportError as exc:
            problem = str(exc)
    return problem


def _unprintable(name: str) -> str | None:
    """Why a name cannot be shown as it is: a control or bidirectional character."""
    for char in name:
        if char in BIDI_CONTROLS:
            what = "a bidirectional control"
        elif ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F:
            what = "a control character"
        elif 0xD800 <= ord(char) <= 0xDFFF:  # a byte that is not UTF-8, as the OS gives it
            return f"refused remote file name {name!r}: it is not UTF-8"
        else:
            continue
        return f"refused remote file name {name!r}: it holds {what} (U+{ord(char):04X})"
    return None


def screen(name: str, **listed: Any) -> RemoteFile | None:
    """The listing entry of a file in a partner's outbox: None if it is still being written
    (or hidden), refused with the reason if its name is unsafe, else to be collected."""
    if is_unfinished(name):
        return None
    problem = name_problem(name)
    if problem is not None:
        logger.warning("%s: skipped", problem)
    return RemoteFile(name, refused=problem, **listed)


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
    """What the exchange engine needs of a way to reach a partner.

    The kinds subclass it for its context manager: ``with`` closes the transport on
    the way out, also when the block raises.
    """

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

    def close(self) -> None:
        """Let go of the connection, if any; afterwards the transport refuses to be used."""
        ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
