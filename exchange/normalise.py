"""Normalised forms of titles and names, for lookups that forgive spelling.

>>> normalise_title("The Café-Song (Remix)!")
'CAFE SONG REMIX'
>>> normalise_title("  l'amour  ")
'AMOUR'
>>> normalise_name("Müller, Jürgen")
'MULLER JURGEN'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Leading articles dropped from titles (English, French, Spanish, Italian, German, Dutch...).
_ARTICLES = frozenset(
    {
        "THE",
        "A",
        "AN",
        "LE",
        "LA",
        "LES",
        "L",
        "EL",
        "LOS",
        "LAS",
        "LO",
        "IL",
        "I",
        "GLI",
        "UN",
        "UNA",
        "UNE",
        "DER",
        "DIE",
        "DAS",
        "DE",
        "HET",
        "EEN",
    }
)
_NON_WORD = re.compile(r"[^A-Z0-9]+")


#: Distinct texts whose folded form is kept: a catalogue repeats its titles and names,
#: and an import normalises each several times (rows, matching, duplicates).
CACHED = 65_536


@lru_cache(maxsize=CACHED)
def _fold(text: str) -> str:
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", text.upper()).strip()


def normalise_name(name: str) -> str:
    """Upper case, without accents or punctuation, single spaces."""
    return _fold(name)


@lru_cache(maxsize=CACHED)
def normalise_title(title: str) -> str:
    """Like :func:`normalise_name`, and without a leading article."""
    words = _fold(title).split()
    if len(words) > 1 and words[0] in _ARTICLES:
        words = words[1:]
    return " ".join(words)
