"""IPI base number (Interested Parties Information).

The base number identifies an interested party (person or legal entity): a
header letter, 9 digits and a check digit, written ``I-123456789-3`` (13
characters, as in CWR 2.x fields) or compactly ``I1234567893``.

The check digit is computed as for the ISWC but with the constant 2:
S = 2 + sum(i * di for i = 1..9), check = (10 - S mod 10) mod 10.  That rule
is confirmed for the header letter I only, so other letters are rejected.
A body of all zeros is rejected.

>>> validate('I-001068130-6')
'I0010681306'
>>> format('i0010681306')
'I-001068130-6'
>>> calc_check_digit('123456789')
'3'
>>> validate('I-123456789-4')
Traceback (most recent call last):
    ...
exchange.identifiers.InvalidIdentifier: IPI base number check digit does not match: expected 3
"""

from __future__ import annotations

from exchange.identifiers._common import (
    InvalidIdentifier,
    is_digits,
    strip_separators,
    validate_letter_mod10,
    weighted_mod10,
)

KIND = "IPI base number"


def compact(value: str) -> str:
    """Remove separators and upper-case: ``'I-123456789-3'`` -> ``'I1234567893'``."""
    return strip_separators(value, "-.").upper()


def calc_check_digit(number: str) -> str:
    """The check digit for the 9 digits after the header letter (I optional).

    >>> calc_check_digit('I-001068130')
    '6'
    """
    digits = compact(number).removeprefix("I")
    if len(digits) != 9 or not is_digits(digits):
        raise InvalidIdentifier(KIND, number, "IPI base number body must be 9 digits")
    return weighted_mod10(digits, 2)


def validate(value: str) -> str:
    """Return the compact base number or raise InvalidIdentifier."""
    return validate_letter_mod10(value, compact(value), KIND, "I", 2)


def is_valid(value: str) -> bool:
    """True if ``value`` is a valid IPI base number."""
    try:
        validate(value)
    except InvalidIdentifier:
        return False
    return True


def format(value: str) -> str:
    """The form ``I-NNNNNNNNN-C``; raises InvalidIdentifier if invalid."""
    number = validate(value)
    return f"{number[0]}-{number[1:10]}-{number[10]}"
