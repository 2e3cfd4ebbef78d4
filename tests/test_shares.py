"""Share arithmetic: units, limits with CISAC's tolerance, totals per right and territory."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.model import Claim, InterestedParty, Right, Shares, Side, TerritoryShare
from exchange.shares import (
    FULL,
    HALF,
    PUBLISHER_OWNERSHIP_LIMITS,
    TOLERANCE,
    below,
    collection_totals,
    countries,
    exceeds,
    percent,
    percentage,
    representatives,
    share_at,
    total,
)

WORLD = "2136"
EUROPE = "2120"
BENELUX = "2110"
UK = "0826"
FRANCE = "0250"
BELGIUM = "0056"
#: Territories that nest and overlap: the world, Europe, Benelux and three countries.
TERRITORIES = (WORLD, EUROPE, BENELUX, UK, FRANCE, BELGIUM)

shares_values = st.integers(0, FULL)
share_triples = st.builds(Shares, shares_values, shares_values, shares_values)


def claim(*territories: TerritoryShare) -> Claim:
    return Claim(InterestedParty("ORCHARD"), "E", Side.PUBLISHER, territories=list(territories))


def test_units_and_limits() -> None:
    assert (FULL, HALF, TOLERANCE) == (10000, 5000, 6)
    assert percent(3333) == "33.33%" and percentage(10006) == "100.06"
    assert PUBLISHER_OWNERSHIP_LIMITS == {Right.PR: HALF, Right.MR: FULL, Right.SR: FULL}
    assert not exceeds(10006) and exceeds(10007)
    assert not below(9994) and below(9993)
    assert exceeds(7, 0) and not exceeds(6, 0)
    assert not exceeds(5006, HALF) and exceeds(5007, HALF)


@given(st.integers(-(10**12), 10**12))
def test_percentage_is_exact(hundredths: int) -> None:
    text = percentage(hundredths)
    assert Decimal(text) * 100 == hundredths
    assert text.split(".")[1].isdigit() and len(text.split(".")[1]) == 2
    assert percent(hundredths) == f"{text}%"


@given(st.integers(-FULL, 3 * FULL), st.integers(0, FULL))
def test_exceeds_and_below_leave_the_tolerance_between(value: int, limit: int) -> None:
    assert exceeds(value, limit) == (value - limit > TOLERANCE)
    assert below(value, limit) == (limit - value > TOLERANCE)
    assert not (exceeds(value, limit) and below(value, limit))
    if abs(value - limit) <= TOLERANCE:
        assert not exceeds(value, limit) and not below(value, limit)


@given(st.lists(share_triples, max_size=8))
def test_total_sums_each_right(items: list[Shares]) -> None:
    summed = total(items)
    for right in Right:
        assert summed.get(right) == sum(s.get(right) for s in items)
    assert total(reversed(items)) == summed


def test_share_at_the_last_line_naming_the_country_decides() -> None:
    lines = [
        TerritoryShare(WORLD, True, Shares(5000)),
        TerritoryShare(UK, False),
        TerritoryShare(EUROPE, True, Shares(2500)),
    ]
    assert share_at(lines, FRANCE) == Shares(2500)
    assert share_at(lines, UK) == Shares(2500)  # Europe, named after the UK's exclusion
    assert share_at(lines[:2], UK) is None
    assert share_at(lines, "0840") == Shares(5000)  # the USA: the world line only
    assert countries("XX") == frozenset({"XX"})  # not a TIS code: itself


def test_collection_totals_report_the_worst_territory() -> None:
    world = claim(TerritoryShare(WORLD, True, Shares(6000, 10000, 0)))
    france = claim(TerritoryShare(FRANCE, True, Shares(5000, 0, 0)))
    totals = collection_totals([world, france])
    assert totals[Right.PR] == (11000, FRANCE)
    assert totals[Right.MR][0] == 10000
    same = collection_totals([world, claim(TerritoryShare(WORLD, True, Shares(1, 2, 3)))])
    assert same == {Right.PR: (6001, WORLD), Right.MR: (10002, WORLD), Right.SR: (3, WORLD)}
    assert collection_totals([claim()]) == {}


lines = st.builds(TerritoryShare, st.sampled_from(TERRITORIES), st.booleans(), share_triples)


@settings(max_examples=60)
@given(st.lists(st.lists(lines, min_size=1, max_size=3), min_size=1, max_size=4))
def test_collection_totals_match_every_country_counted(claimed: list[list[TerritoryShare]]) -> None:
    """Summing in one country per region finds the highest total of any country."""
    claims = [claim(*c) for c in claimed]

    def at(country: str) -> Shares:
        found = (share_at(c.territories, country) for c in claims)
        return total(s for s in found if s is not None)

    every = frozenset().union(*(countries(t) for t in TERRITORIES))
    assert set(representatives(frozenset(TERRITORIES))) <= every
    by_country = [at(country) for country in sorted(every)]
    for right, (found, where) in collection_totals(claims).items():
        assert found == max(s.get(right) for s in by_country)
        # The territory named is where the total is reached (or the one all claims name).
        assert at(where).get(right) == found or where == claimed[0][0].tis
