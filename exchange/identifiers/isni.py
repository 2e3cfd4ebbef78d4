"""ISNI: International Standard Name Identifier (ISO 27729), via python-stdnum.

Sixteen characters: 15 digits and a check character (a digit or X) computed
with ISO 7064 MOD 11-2; displayed in four groups of four.

>>> validate('0000 0001 2281 955X')
'000000012281955X'
>>> format('000000012281955x')
'0000 0001 2281 955X'
>>> calc_check_digit('000000012281955')
'X'
>>> validate('0000 0001 2281 9551')
Traceback (most recent call last):
    ...
exchange.identifiers.InvalidIdentifier: ISNI check character does not match: expected X
"""

from __future__ import annotations

from stdnum import isni as _isni
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError
from stdnum.iso7064 import mod_11_2

from exchange.identifiers._common import InvalidIdentifier, is_digits

KIND = "ISNI"


def compact(value: str) -> str:
    """Remove spaces and dashes and upper-case."""
    return _isni.compact(str(value))


def calc_check_digit(number: str) -> str:
    """The check character (0-9 or X) for the first 15 digits."""
    digits = compact(number)
    if len(digits) != 15 or not is_digits(digits):
        raise InvalidIdentifier(KIND, number, "ISNI body must be 15 digits")
    return mod_11_2.calc_check_digit(digits)


def validate(value: str) -> str:
    """Return the compact ISNI or raise InvalidIdentifier."""
    number = compact(value)
    if not number:
        raise InvalidIdentifier(KIND, value, "ISNI is empty")
    try:
        return _isni.validate(number)
    except InvalidLength:
        reason = f"ISNI must be 16 characters, got {len(number)}"
    except InvalidFormat:
        reason = "ISNI must be 15 digits followed by a digit or X"
    except InvalidChecksum:
        reason = f"ISNI check character does not match: expected {calc_check_digit(number[:15])}"
    except ValidationError:
        reason = "ISNI is not valid"
    raise InvalidIdentifier(KIND, value, reason)


def is_valid(value: str) -> bool:
    """True if ``value`` is a valid ISNI."""
    try:
        validate(value)
    except InvalidIdentifier:
        return False
    return True


def format(value: str) -> str:
    """The display form in four groups of four; raises InvalidIdentifier if invalid."""
    return _isni.format(validate(value))
