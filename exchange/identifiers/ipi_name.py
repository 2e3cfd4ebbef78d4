"""IPI name number (Interested Parties Information).

Eleven digits: a 9-digit body (the former CAE number) and two check digits.
CWR writes it zero padded to 11 characters, e.g. ``00045620792``.

Check digits: with n1..n9 the body digits, S = sum(ni * (11 - i)) (weights
10 down to 2) and r = S mod 101; the check is 00 if r is 0, otherwise
(101 - r) mod 100, written as 2 digits (so r = 1 also gives 00).

Short input: leading zeros are not significant and are often lost (numeric
spreadsheet columns, integers), so :func:`compact` left-pads a digit string
shorter than 11 with zeros: ``334284961`` becomes ``00334284961``.  A 9-digit
CAE number is a different thing (the body without check digits); padded,
its last two digits pass as check digits only by chance (about 1 in 100),
so it is almost always rejected.  To turn a CAE number into an IPI
name number, append ``calc_check_digit(cae)``.  A body of all zeros
(``00000000000``, often a filler for "unknown") is rejected.

>>> validate('00045620792')
'00045620792'
>>> validate(334284961)
'00334284961'
>>> calc_check_digit('000456207')
'92'
>>> validate('00045620793')
Traceback (most recent call last):
    ...
exchange.identifiers.InvalidIdentifier: IPI name number check digits do not match: expected 92
"""

from __future__ import annotations

from exchange.identifiers._common import InvalidIdentifier, is_digits, strip_separators

KIND = "IPI name number"


def compact(value: str | int) -> str:
    """Remove separators and left-pad a short digit string to 11 digits.

    >>> compact('456 207 92')
    '00045620792'
    """
    number = strip_separators(value, "-.")
    if is_digits(number) and len(number) < 11:
        number = number.zfill(11)
    return number


def calc_check_digit(number: str) -> str:
    """The two check digits (as a 2-character string) for a 9-digit body.

    >>> calc_check_digit('000087150')
    '00'
    """
    digits = strip_separators(number, "-.")
    if len(digits) != 9 or not is_digits(digits):
        raise InvalidIdentifier(KIND, number, "IPI name number body must be 9 digits")
    remainder = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 101
    return f"{(101 - remainder) % 100 if remainder else 0:02d}"


def validate(value: str | int) -> str:
    """Return the 11-digit number or raise InvalidIdentifier."""
    number = compact(value)
    if not number:
        raise InvalidIdentifier(KIND, value, "IPI name number is empty")
    if not is_digits(number):
        raise InvalidIdentifier(KIND, value, "IPI name number must contain only digits")
    if len(number) != 11:
        raise InvalidIdentifier(
            KIND, value, f"IPI name number must be 11 digits, got {len(number)}"
        )
    if number[:9] == "000000000":
        raise InvalidIdentifier(KIND, value, "IPI name number cannot be all zeros")
    expected = calc_check_digit(number[:9])
    if number[9:] != expected:
        raise InvalidIdentifier(
            KIND, value, f"IPI name number check digits do not match: expected {expected}"
        )
    return number


def is_valid(value: str | int) -> bool:
    """True if ``value`` is a valid IPI name number."""
    try:
        validate(value)
    except InvalidIdentifier:
        return False
    return True


def format(value: str | int) -> str:
    """The 11-digit zero-padded form used in CWR; raises InvalidIdentifier if invalid."""
    return validate(value)
