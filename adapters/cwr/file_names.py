"""CWR 2.x file names (``CWyynnnnsss_rrr.Vxx``) and what a name says of the version.

The naming convention of the CWR specification: year, sequence number, sender
and receiver codes, and the version in the extension (``.V21``, ``.V22``).  A
CWR 3.x name (``_V3-1-0``, or a 3.x file type such as ``SUB`` or ``ACK1``) is
recognised too, for the parser to refuse it in one finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_NAME = re.compile(
    r"^CW(?P<yy>[0-9]{2})(?P<seq>[0-9]{2,4})(?P<sender>[A-Z0-9]{2,3})_(?P<receiver>[A-Z0-9]{2,3})"
    r"\.(?P<ext>V[0-9][0-9]|ZIP)$",
    re.IGNORECASE,
)
#: What a file name says of its CWR version: ``.V21`` (2.x, also ``.V30``), the
#: ``_V3-1-0`` part of a 3.x name, or a 3.x file type (SUB, ACK1, ACK2, ISR, ISA, LIC).
_NAME_VERSION = re.compile(r"\.V([0-9])([0-9])$", re.IGNORECASE)
_NAME_VERSION_3X = re.compile(r"_V([0-9])-([0-9])-[0-9]+(?:[._]|$)", re.IGNORECASE)
_3X_TYPES = re.compile(r"[._](SUB|ACK1|ACK2|ISR|ISA|LIC)(?:\.ZIP)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FileName:
    """The parts of a CWR 2.x file name ``CWyynnnnsss_rrr.Vxx``."""

    year: int
    sequence: int
    sender: str
    receiver: str
    extension: str


def parse_file_name(name: str) -> FileName | None:
    m = _NAME.match(Path(name).name)
    if m is None:
        return None
    return FileName(
        2000 + int(m["yy"]), int(m["seq"]), m["sender"].upper(), m["receiver"].upper(), m["ext"]
    )


def version_of_name(name: str) -> str | None:
    """The CWR version a file name says: ``2.1``, ``2.2``, ``3.0``, ``3.1``, ``3.x`` or None.

    >>> version_of_name("CW260001PUB_052.V22"), version_of_name("CW170037SA_058_V3-1-0.SUB")
    ('2.2', '3.1')
    >>> version_of_name("CW170058058_SA_ACK1.zip"), version_of_name("works.txt")
    ('3.x', None)
    """
    base = Path(name).name
    for pattern in (_NAME_VERSION_3X, _NAME_VERSION):
        m = pattern.search(base)
        if m is not None:
            return f"{m[1]}.{m[2]}"
    return "3.x" if _3X_TYPES.search(base) else None
