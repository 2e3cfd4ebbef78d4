"""ISWC: International Standard Musical Work Code (ISO 15707).

An ISWC is the letter T, a 9-digit work number and one check digit.  CWR
writes it without separators (``T0345246801``); the display form is
``T-034.524.680-1``.  Input may use dashes, dots or spaces and a lower-case t.

Check digit: with d1..d9 the digits of the work number,
S = 1 + sum(i * di for i = 1..9) and the check digit is (10 - S mod 10) mod 10.
A work number of all zeros is rejected (it is never assigned; the first ISWC
is T-000.000.001-0).

>>> validate('T-034.524.680-1')
'T0345246801'
>>> format('t0345246801')
'T-034.524.680-1'
>>> calc_check_digit('034524680')
'1'
>>> is_valid('T-034.524.680-2')
False
>>> validate('T-034.524.680-2')
Traceback (most recent call last):
    ...
exchange.identifiers.InvalidIdentifier: ISWC check digit does not match: expected 1
"""

from __future__ import annotations

from exchange.identifiers._common import (
    InvalidIdentifier,
    is_digits,
    strip_separators,
    validate_letter_mod10,
    weighted_mod10,
)

KIND = "ISWC"


def compact(value: str) -> str:
    """Remove separators and upper-case: ``'t-034.524.680-1'`` -> ``'T0345246801'``."""
    return strip_separators(value, "-.").upper()


def calc_check_digit(number: str) -> str:
    """The check digit for a 9-digit work number (a leading T is allowed).

    >>> calc_check_digit('T000000001')
    '0'
    """
    digits = compact(number).removeprefix("T")
    if len(digits) != 9 or not is_digits(digits):
        raise InvalidIdentifier(KIND, number, "ISWC work number must be 9 digits")
    return weighted_mod10(digits, 1)


def validate(value: str) -> str:
    """Return the compact ISWC or raise InvalidIdentifier saying what is wrong."""
    return validate_letter_mod10(value, compact(value), KIND, "T", 1)


def is_valid(value: str) -> bool:
    """True if ``value`` is a valid ISWC in any accepted notation."""
    try:
        validate(value)
    except InvalidIdentifier:
        return False
    return True


def format(value: str) -> str:
    """The display form ``T-NNN.NNN.NNN-C``; raises InvalidIdentifier if invalid."""
    number = validate(value)
    return f"T-{number[1:4]}.{number[4:7]}.{number[7:10]}-{number[10]}"
