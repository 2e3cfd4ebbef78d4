"""Share arithmetic: units, the 100 % totals and CISAC's tolerance, sums per right and territory.

Shares are integers in hundredths of a percent, as CWR carries them in its
``999v99`` fields: :data:`FULL` (``10000``) is 100.00 %, :data:`HALF` 50.00 %,
``3333`` is 33.33 %. Every CWR edit on a sum of shares allows a difference of
:data:`TOLERANCE` (``00006``, 0.06 %), so a total "exceeds" a limit only when it
is more than that past it, and is "below" it only when more than that short.

>>> exceeds(FULL + TOLERANCE), exceeds(FULL + TOLERANCE + 1)
(False, True)
>>> below(FULL - TOLERANCE), below(FULL - TOLERANCE - 1), below(3333, HALF)
(False, True, True)
>>> percent(3333), percentage(FULL)
('33.33%', '100.00')

Collection shares are summed per territory: each claim's include and exclude
lines are resolved through the TIS hierarchy (:func:`share_at`) and summed in
one country of each region the territories of the claims draw
(:func:`representatives`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from types import MappingProxyType

from exchange import codes
from exchange.model import Claim, Right, Shares, TerritoryShare

__all__ = [
    "FULL",
    "HALF",
    "PUBLISHER_OWNERSHIP_LIMITS",
    "TOLERANCE",
    "below",
    "collection_totals",
    "countries",
    "exceeds",
    "percent",
    "percentage",
    "representatives",
    "share_at",
    "total",
]

FULL = 10000  # 100.00 %
HALF = 5000  # 50.00 %
#: How far a sum of shares may miss its target in every CWR share edit: 0.06 %.
TOLERANCE = 6
#: The most the publishers of a work may own of each right (CWR 2.x NWR-T-004, SPU-F-013):
#: half of the performing right, all of the mechanical and synchronisation rights.
PUBLISHER_OWNERSHIP_LIMITS: Mapping[Right, int] = MappingProxyType(
    {Right.PR: HALF, Right.MR: FULL, Right.SR: FULL}
)


# -- units ---------------------------------------------------------------------------------


def percentage(hundredths: int) -> str:
    """A share as a percentage with two decimals, without the sign.

    >>> percentage(3333), percentage(5), percentage(15000), percentage(-5)
    ('33.33', '0.05', '150.00', '-0.05')
    """
    whole, part = divmod(abs(hundredths), 100)
    return f"{'-' if hundredths < 0 else ''}{whole}.{part:02d}"


def percent(hundredths: int) -> str:
    """A share as a percentage for a message: ``3333`` is ``33.33%``."""
    return f"{percentage(hundredths)}%"


# -- limits --------------------------------------------------------------------------------


def exceeds(total: int, limit: int = FULL) -> bool:
    """Whether a sum of shares goes past ``limit`` by more than the tolerance.

    ``exceeds(total, 0)`` says the sum is more than nothing.
    """
    return total > limit + TOLERANCE


def below(total: int, limit: int = FULL) -> bool:
    """Whether a sum of shares falls short of ``limit`` by more than the tolerance."""
    return total < limit - TOLERANCE


# -- sums ----------------------------------------------------------------------------------


def total(shares: Iterable[Shares]) -> Shares:
    """The PR, MR and SR shares summed, right by right.

    >>> total([Shares(5000, 10000, 0), Shares(5000, 0, 2500)])
    Shares(pr=10000, mr=10000, sr=2500)
    """
    pr = mr = sr = 0
    for s in shares:
        pr += s.pr
        mr += s.mr
        sr += s.sr
    return Shares(pr, mr, sr)


@lru_cache(maxsize=1024)
def countries(tis: str) -> frozenset[str]:
    """The countries a TIS code stands for (a code that is no territory stands for itself)."""
    return codes.countries_in(tis) if codes.is_territory(tis) else frozenset({tis})


@lru_cache(maxsize=4096)
def representatives(tis_codes: frozenset[str]) -> tuple[str, ...]:
    """One country per region of the Venn diagram the given territories draw.

    Every country of a region belongs to exactly the same of these territories,
    so collection totals computed at the representative hold for its whole region.
    """
    sets = [countries(code) for code in sorted(tis_codes)]
    regions: dict[tuple[bool, ...], str] = {}
    for country in sorted(frozenset().union(*sets)):
        regions.setdefault(tuple(country in s for s in sets), country)
    return tuple(regions.values())


def share_at(territories: Iterable[TerritoryShare], country: str) -> Shares | None:
    """A claim's collection shares in one country: the last line that names it decides."""
    found = None
    for ter in territories:
        if country in countries(ter.tis):
            found = ter.collection if ter.include else None
    return found


def collection_totals(claims: Iterable[Claim]) -> dict[Right, tuple[int, str]]:
    """Per right, the highest total collection share in any territory, and that territory.

    Claims that all name the same single territory are summed directly; otherwise
    each claim's include/exclude lines are resolved through the TIS hierarchy and
    summed in one country of each region the territories draw.
    """
    return dict(_collection_totals(tuple(tuple(c.territories) for c in claims if c.territories)))


@lru_cache(maxsize=4096)
def _collection_totals(
    claimed: tuple[tuple[TerritoryShare, ...], ...],
) -> Mapping[Right, tuple[int, str]]:
    """:func:`collection_totals` of claims with these territory lines (a catalogue
    repeats the same few sets of them)."""
    if not claimed:
        return {}
    first = claimed[0][0]
    if all(len(lines) == 1 and lines[0].tis == first.tis and lines[0].include for lines in claimed):
        summed = total(lines[0].collection for lines in claimed)
        return {right: (summed.get(right), first.tis) for right in Right}
    best: dict[Right, tuple[int, str]] = {r: (-1, "") for r in Right}
    for country in representatives(frozenset(t.tis for lines in claimed for t in lines)):
        found = (share_at(lines, country) for lines in claimed)
        summed = total(s for s in found if s is not None)
        for right in Right:
            if summed.get(right) > best[right][0]:
                best[right] = (summed.get(right), country)
    return best
