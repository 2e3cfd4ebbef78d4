"""Placeholders: the values senders write in an identifier field for "not known".

Real files carry ``00000000000`` as the IPI name number of writers and
publishers the sender does not control, and zero base numbers
(``I-000000000-0``, ``0000000000000``), a lone ``0`` from a numeric
spreadsheet column, or an empty cell.  None of them identifies anybody: two
parties that both carry one are not the same party.  A placeholder is a value
that, without separators, whitespace and a header letter, has no digit other
than zero.  Every reader, the store, matching and the conflict rules ask
:func:`is_placeholder` (or take :func:`known`), so they all agree.

>>> is_placeholder('00000000000'), is_placeholder('I-000000000-0'), is_placeholder(' ')
(True, True, True)
>>> is_placeholder('00045620792'), is_placeholder('I-001068130-6')
(False, False)
>>> known('0'), known(' 00045620792 ')
(None, '00045620792')
"""

from __future__ import annotations

from exchange.identifiers._common import strip_separators


def is_placeholder(value: str | int | None) -> bool:
    """True for an empty value or one of zeros only (a header letter and separators aside)."""
    if value is None:
        return True
    text = strip_separators(value, "-.")
    if text[:1].isalpha():
        text = text[1:]
    return not text.strip("0")


def known(value: str | int | None) -> str | None:
    """The value without surrounding whitespace, or None when it is a placeholder."""
    if is_placeholder(value):
        return None
    return str(value).strip()
