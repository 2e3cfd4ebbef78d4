"""What every record of a work being written shares: errors, version profiles, values.

* :class:`CwrWriteError` and :class:`WorkWriteError` (which names the work,
  record, field and value that cannot be written);
* the version profiles: which records and fields CWR 2.1 and 2.2 carry;
* model values made field values: blanks as absent, codes upper-cased,
  society codes zero-filled, ISWCs compact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from exchange.identifiers import is_digits
from exchange.model import Work

__all__ = [
    "TRANSACTION_TYPES",
    "CwrWriteError",
    "Profile",
    "WorkWriteError",
    "code_value",
    "iswc_value",
    "society_value",
    "text_value",
    "version_profile",
]

#: Work transaction types the writer produces (they share one header layout).
TRANSACTION_TYPES = frozenset({"NWR", "REV", "ISW", "EXC"})

_ISWC = re.compile(r"T\d{10}")


class CwrWriteError(ValueError):
    """A CWR file cannot be written as asked (bad sender, name clash, sequence overflow)."""


class WorkWriteError(CwrWriteError):
    """One work cannot be written; says which work, record, field and value, and why."""

    def __init__(
        self,
        work: Work,
        record: str,
        field: str | None,
        value: object,
        reason: str,
    ) -> None:
        self.work_id = work.id
        self.title = work.title
        self.record = record
        self.field = field
        self.value = value
        self.reason = reason
        where = f"{record}.{field}" if field else record
        who = f"work {work.id}" if work.id is not None else "work"
        super().__init__(f"{who} ({work.title!r}): {where}: {reason} ({value!r})")


@dataclass(frozen=True, slots=True)
class Profile:
    version: str
    group_version: str
    opt: bool  # OPT records (non-controlled publisher collection)
    owt: bool  # OWT records (non-controlled writer collection)
    xrf: bool  # XRF records (work ID cross references)
    pwr_after_owr: bool  # PWR may follow an OWR
    pwr_sequence: bool  # PWR carries the publisher sequence
    rec_titles: bool  # REC carries recording title, version, artist, label, ISRC validity
    hdr_version: bool  # HDR carries version, revision and software package


_PROFILES = {
    "2.1": Profile("2.1", "02.10", False, False, False, False, False, False, False),
    "2.2": Profile("2.2", "02.20", True, True, True, True, True, True, True),
}


def version_profile(version: str) -> Profile:
    try:
        return _PROFILES[version]
    except KeyError:
        raise CwrWriteError(
            f"unsupported CWR version {version!r}; expected one of {', '.join(_PROFILES)}"
        ) from None


def text_value(value: str | None) -> str | None:
    """Blank strings count as absent."""
    if value is None:
        return None
    value = value.strip()
    return value or None


# Codes and society codes are few and recur in every work: their values are kept.
@lru_cache(maxsize=4096)
def code_value(value: str | None) -> str | None:
    value = text_value(value)
    return value.upper() if value else None


@lru_cache(maxsize=4096)
def society_value(code: str | None) -> str | None:
    code = text_value(code)
    if code and is_digits(code) and len(code) < 3:
        return code.zfill(3)
    return code


def iswc_value(work: Work, value: str | None, record: str) -> str | None:
    value = text_value(value)
    if value is None:
        return None
    compact = value.upper().replace("-", "").replace(".", "").replace(" ", "")
    if not _ISWC.fullmatch(compact):
        raise WorkWriteError(work, record, "iswc", value, "not an ISWC (T and 10 digits)")
    return compact
