"""Shared pieces of the identifier modules: the exception and small helpers."""

from __future__ import annotations

from typing import Any


class InvalidIdentifier(ValueError):
    """An identifier failed validation.

    ``kind`` names the identifier (``'ISWC'``, ``'IPI name number'``, ...),
    ``value`` is the input as given and ``reason`` a short English sentence
    saying what is wrong; ``str(exc)`` is the reason.
    """

    def __init__(self, kind: str, value: Any, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.value = value
        self.reason = reason

    def __reduce__(self) -> tuple[type[InvalidIdentifier], tuple[str, Any, str]]:
        return type(self), (self.kind, self.value, self.reason)


# Shown (and pickled) under its public home.
InvalidIdentifier.__module__ = "exchange.identifiers"


def strip_separators(value: Any, separators: str) -> str:
    """``str(value)`` without whitespace and without the separator characters."""
    text = str(value)
    if text.isalnum():  # nothing to strip: the usual case
        return text
    return "".join(ch for ch in text if ch not in separators and not ch.isspace())


def is_digits(text: str | bytes) -> bool:
    """True for a non-empty string (or bytes) of the ASCII digits 0-9, nothing else.

    The one test of "numeric" for input: ``str.isdigit`` alone also takes
    superscripts and other scripts' digits, which ``int()`` then refuses or reads.

    >>> is_digits("05000"), is_digits("\u00b25000"), is_digits("\u0663"), is_digits("")
    (True, False, False, False)
    """
    return text.isascii() and text.isdigit()


def digits_value(text: str | bytes) -> int | None:
    """The number that a string of ASCII digits says; None for anything else.

    >>> digits_value("00042"), digits_value(" 42"), digits_value("\u00b9"), digits_value("")
    (42, None, None, None)
    """
    return int(text) if is_digits(text) else None


def weighted_mod10(digits: str, constant: int) -> str:
    """Check digit of ISWC (constant 1) and IPI base number (constant 2).

    S = constant + sum(i * d_i) over the digits, i counting from 1; the check
    digit is (10 - S mod 10) mod 10.
    """
    total = constant + sum(i * int(d) for i, d in enumerate(digits, start=1))
    return str((10 - total % 10) % 10)


def validate_letter_mod10(value: str, number: str, kind: str, letter: str, constant: int) -> str:
    """Validate ``number`` (already compact) as ``letter`` + 9 digits + a mod-10 check digit.

    The scheme of ISWC (letter T, constant 1) and IPI base numbers (letter I, constant 2);
    errors name ``kind`` and quote ``value`` as given.
    """
    if not number:
        raise InvalidIdentifier(kind, value, f"{kind} is empty")
    if not number.startswith(letter):
        raise InvalidIdentifier(kind, value, f"{kind} must start with {letter}")
    if len(number) != 11:
        raise InvalidIdentifier(
            kind,
            value,
            f"{kind} must be {letter}, 9 digits and a check digit, got {len(number)} characters",
        )
    if not is_digits(number[1:]):
        raise InvalidIdentifier(kind, value, f"{kind} must be {letter} followed by 10 digits")
    if number[1:10] == "000000000":
        raise InvalidIdentifier(kind, value, f"{kind} cannot be all zeros")
    expected = weighted_mod10(number[1:10], constant)
    if number[10] != expected:
        raise InvalidIdentifier(
            kind, value, f"{kind} check digit does not match: expected {expected}"
        )
    return number
