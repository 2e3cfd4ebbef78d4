"""Identifiers used in musical work data, with check-digit validation.

One module per standard, all with the same API in the style of
python-stdnum:

* ``compact(value)``: the minimal form (separators removed, upper case);
* ``validate(value)``: the compact form, or :class:`InvalidIdentifier`;
* ``is_valid(value)``: a bool;
* ``format(value)``: the display form (raises if invalid);
* ``calc_check_digit(...)``: where the standard has a check (not ISRC).

Modules: :mod:`iswc`, :mod:`ipi_name`, :mod:`ipi_base`, :mod:`isrc` and
:mod:`isni`; :mod:`placeholder` says which values stand for "not known"
(``00000000000``, zeros, blanks): :func:`is_placeholder` and :func:`known`.
Beside them, :func:`is_digits` and :func:`digits_value`: the one test of a
numeric field or part of an identifier (ASCII ``0-9`` only) that every reader
of input uses.

Errors from python-stdnum are turned into :class:`InvalidIdentifier` too, so
callers handle one exception type whose message is a short sentence usable as
a validation finding.

>>> from exchange.identifiers import InvalidIdentifier, iswc
>>> try:
...     iswc.validate('T-034.524.680-2')
... except InvalidIdentifier as exc:
...     print(exc.kind, '|', exc.reason)
ISWC | ISWC check digit does not match: expected 1
"""

import importlib
from types import ModuleType

from exchange.identifiers import ipi_base, ipi_name, iswc
from exchange.identifiers._common import InvalidIdentifier, digits_value, is_digits
from exchange.identifiers.placeholder import is_placeholder, known

#: The modules built on python-stdnum, imported when first used (stdnum loads ``ssl``
#: for its online checks, too slow for a command that must start at once).
_ON_STDNUM = ("isni", "isrc")

__all__ = [
    "InvalidIdentifier",
    "digits_value",
    "ipi_base",
    "ipi_name",
    "is_digits",
    "is_placeholder",
    "isni",
    "isrc",
    "iswc",
    "known",
]


def __getattr__(name: str) -> ModuleType:
    if name in _ON_STDNUM:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
