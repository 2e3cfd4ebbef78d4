"""File names of the ISWC file formats.

JSON (SPE_20191118 2.2.3): ``iswc_YYYY-MM-DDTHH-MM-SS_RRR_SSS[_NNN].json``, the
creation time in UTC, then the receiver's and the sender's agency codes and an
optional descriptor; a file of ISWCs allocated from a local range has the
descriptor ``FromLocalRange`` (2.3).

EDI v3.00 (SPE_20190806 3.2.1): ``ISWCYYYYMMDDHHMMSSRRRSSS.EXT``, the same parts
without separators; the document's example names a file ``.CSN``, the kinds the
guidelines name are ACK, CSN and CSE files. A zipped file is ``....zip``.

>>> from datetime import datetime, timezone
>>> json_file_name(datetime(2019, 11, 25, 18, 25, 43, tzinfo=timezone.utc), "128", "315")
'iswc_2019-11-25T18-25-43_315_128.json'
>>> parse_json_file_name("iswc_2019-11-25T18-25-43_315_128_FromLocalRange.json").descriptor
'FromLocalRange'
>>> edi_file_name(datetime(2007, 1, 1, 8, 1, 0, tzinfo=timezone.utc), "101", "315")
'ISWC20070101080100315101.CSN'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from adapters.iswc.model import IswcWriteError

#: The descriptor of a file of ISWCs allocated from local ranges.
FROM_LOCAL_RANGE = "FromLocalRange"
#: The extensions of EDI files: what the guidelines and the format document name.
EDI_KINDS = ("CSN", "ACK", "CSE")

_AGENCY = re.compile(r"[0-9]{3}")
_DESCRIPTOR = re.compile(r"[A-Za-z0-9-]{1,64}")
_JSON_NAME = re.compile(
    r"iswc_(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2})_(\d{3})_(\d{3})(?:_([A-Za-z0-9-]{1,64}))?\.json",
    re.IGNORECASE,
)
_EDI_NAME = re.compile(r"ISWC(\d{14})(\d{3})(\d{3})\.([A-Za-z0-9]{3})", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FileName:
    """What a file's name says: when it was created, for whom, by whom."""

    created: datetime
    receiver: str
    sender: str
    #: the JSON descriptor, or the EDI extension (upper case)
    descriptor: str | None = None


def _utc(created: datetime) -> datetime:
    if created.tzinfo is None:
        raise IswcWriteError(f"creation time {created.isoformat()} has no time zone")
    return created.astimezone(UTC)


def _agencies(sender: str, receiver: str) -> None:
    for who, code in (("sender", sender), ("receiver", receiver)):
        if not _AGENCY.fullmatch(code):
            raise IswcWriteError(f"{who} {code!r} is not a three-digit agency code")


def json_file_name(
    created: datetime, sender: str, receiver: str, descriptor: str | None = None
) -> str:
    """The name of an ISWC JSON file created at ``created`` by ``sender`` for ``receiver``."""
    _agencies(sender, receiver)
    if descriptor is not None and not _DESCRIPTOR.fullmatch(descriptor):
        raise IswcWriteError(f"descriptor {descriptor!r}: letters, digits and '-' only")
    stamp = _utc(created).strftime("%Y-%m-%dT%H-%M-%S")
    return f"iswc_{stamp}_{receiver}_{sender}" + (f"_{descriptor}" if descriptor else "") + ".json"


def edi_file_name(
    created: datetime, sender: str, receiver: str, kind: str = "CSN", zipped: bool = False
) -> str:
    """The name of an ISWC EDI v3.00 file (``kind`` is its extension, e.g. CSN or ACK)."""
    _agencies(sender, receiver)
    if not re.fullmatch(r"[A-Z0-9]{3}", kind):
        raise IswcWriteError(f"EDI file kind {kind!r} is not three upper-case letters")
    stem = f"ISWC{_utc(created).strftime('%Y%m%d%H%M%S')}{receiver}{sender}"
    return f"{stem}.zip" if zipped else f"{stem}.{kind}"


def parse_json_file_name(name: str) -> FileName | None:
    """The parts of an ISWC JSON file name; ``None`` if ``name`` is not one."""
    m = _JSON_NAME.fullmatch(name)
    if not m:
        return None
    try:
        created = datetime.strptime(m[1], "%Y-%m-%dT%H-%M-%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return FileName(created, m[2], m[3], m[4])


def parse_edi_file_name(name: str) -> FileName | None:
    """The parts of an ISWC EDI file name (plain or ``.zip``); ``None`` if not one."""
    m = _EDI_NAME.fullmatch(name)
    if not m:
        return None
    try:
        created = datetime.strptime(m[1], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    return FileName(created, m[2], m[3], m[4].upper())
