"""ISRC: International Standard Recording Code (ISO 3901), via python-stdnum.

Twelve characters without separators: country or agency code (2 letters),
registrant (3 letters or digits), year (2 digits) and designation (5 digits);
displayed as ``CC-XXX-YY-NNNNN``.  There is no check digit; the country
code must be an ISO 3166 code or a special ISRC agency prefix (QM, QZ, ...).

>>> validate('us-skg-19-12345')
'USSKG1912345'
>>> format('USSKG1912345')
'US-SKG-19-12345'
>>> validate('US-SKG-19-1234')
Traceback (most recent call last):
    ...
exchange.identifiers.InvalidIdentifier: ISRC must be 12 characters, got 11
"""

from __future__ import annotations

from stdnum import isrc as _isrc
from stdnum.exceptions import InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from exchange.identifiers._common import InvalidIdentifier

KIND = "ISRC"


def compact(value: str) -> str:
    """Remove spaces and dashes and upper-case."""
    value = str(value)
    if value.isascii() and value.isalnum():  # nothing to remove (python-stdnum is slow)
        return value.upper()
    return _isrc.compact(value)


def validate(value: str) -> str:
    """Return the compact ISRC or raise InvalidIdentifier."""
    number = compact(value)
    if not number:
        raise InvalidIdentifier(KIND, value, "ISRC is empty")
    try:
        return _isrc.validate(number)
    except InvalidLength:
        reason = f"ISRC must be 12 characters, got {len(number)}"
    except InvalidFormat:
        reason = (
            "ISRC must be a 2-letter country code, 3-character registrant, "
            "2-digit year and 5-digit designation"
        )
    except InvalidComponent:
        reason = f"ISRC country code {number[:2]} is not known"
    except ValidationError:
        reason = "ISRC is not valid"
    raise InvalidIdentifier(KIND, value, reason)


def is_valid(value: str) -> bool:
    """True if ``value`` is a valid ISRC."""
    try:
        validate(value)
    except InvalidIdentifier:
        return False
    return True


def format(value: str) -> str:
    """The display form ``CC-XXX-YY-NNNNN``; raises InvalidIdentifier if invalid."""
    return _isrc.format(validate(value))
