"""The values of spreadsheet cells, for the works and the parties sheet alike.

A percentage, a territory, a Y/N flag: each read from its cell's text, with a
:class:`CellError` that says what the column expects when the text is not one.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from exchange import codes
from exchange.shares import FULL

__all__ = ["CellError", "parse_flag", "parse_share", "parse_territory", "share_cell"]


class CellError(ValueError):
    """A cell that does not hold what its column needs; ``str()`` says what is expected."""


def parse_share(text: str) -> int:
    """A percentage cell as hundredths of a percent (empty is 0).

    >>> parse_share("33.33"), parse_share("33,33"), parse_share("50%"), parse_share("")
    (3333, 3333, 5000, 0)
    >>> parse_share("33.333")
    Traceback (most recent call last):
        ...
    adapters.spreadsheet.values.CellError: a percentage has at most two decimals: 33.333
    """
    value = text.strip().removesuffix("%").strip()
    if not value:
        return 0
    if "," in value and "." not in value and value.count(",") == 1:
        value = value.replace(",", ".")
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise CellError(f"not a percentage: {text!r}; expected a number from 0 to 100 like 33.33")
    hundredths = number * 100
    if hundredths != hundredths.to_integral_value():
        raise CellError(f"a percentage has at most two decimals: {text}")
    if not 0 <= hundredths <= FULL:
        raise CellError(f"a percentage is between 0 and 100, not {text}")
    return int(hundredths)


def parse_territory(text: str) -> tuple[str, bool]:
    """A territory cell as (TIS-N code, included); TIS numeric or alpha codes, ``-`` excludes.

    >>> parse_territory("GB"), parse_territory("-826"), parse_territory("2136")
    (('0826', True), ('0826', False), ('2136', True))
    """
    value = text.strip()
    include = not value.startswith("-")
    code = value.lstrip("-").strip()
    found = codes.territory(code) if code else None
    if found is None:
        raise CellError(
            f"unknown territory {text!r}; expected a TIS code (2136 for the world, 0826) "
            "or an ISO code (GB), with a leading minus to exclude it"
        )
    return found.tis_n, include


_YES = frozenset({"Y", "YES", "TRUE", "1", "X"})
_NO = frozenset({"N", "NO", "FALSE", "0"})


def parse_flag(text: str, default: bool) -> bool:
    """Y/N (also yes/no, true/false, 1/0); empty is ``default``; CellError for the rest."""
    value = text.strip().upper()
    if not value:
        return default
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise CellError(f"expected Y or N, not {text!r}")


def share_cell(value: int) -> Decimal:
    """A share in hundredths of a percent as the number a share cell holds.

    >>> share_cell(3333), share_cell(10000)
    (Decimal('33.33'), Decimal('100.00'))
    """
    return Decimal(value).scaleb(-2)
