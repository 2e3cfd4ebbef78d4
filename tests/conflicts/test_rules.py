"""Disputes between the sources of one work: overclaims, counterclaims, role conflicts."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.conflicts.rules import Detected, party_identity, work_conflicts
from exchange.model import Claim, InterestedParty, Shares, Side, Source, TerritoryShare, Work
from tests.strategies import cwr_works

WORLD = "2136"
UK = "0826"
FRANCE = "0250"
#: What an original publisher usually owns: half the PR, all of MR and SR.
PUBLISHER_SHARE = Shares(5000, 10000, 10000)

SRC_A = Source("DMO", "CW260001DMO_052.V21", 0, datetime(2026, 1, 15, tzinfo=UTC), "NWR")
SRC_B = Source("058", "CW260001058_052.V22", 0, datetime(2026, 1, 20, tzinfo=UTC), "NWR")
SRC_C = Source("035", "CW260001035_052.V22", 3, datetime(2026, 1, 22, tzinfo=UTC), "REV")


def writer(last: str, first: str, ipi: str | None, key: str) -> InterestedParty:
    return InterestedParty(last_name=last, first_name=first, ipi_name_number=ipi, key=key)


def publisher(name: str, ipi: str | None, key: str) -> InterestedParty:
    return InterestedParty(last_name=name, ipi_name_number=ipi, is_legal_entity=True, key=key)


def orchard(key: str = "W1") -> InterestedParty:
    return writer("ORCHARD", "MAIA", "00045620792", key)


def harbour(key: str = "P1") -> InterestedParty:
    return publisher("HARBOUR LIGHT MUSIC", "00334284961", key)


def phare(key: str = "P9") -> InterestedParty:
    return publisher("EDITIONS DU PHARE", "00014107338", key)


def writer_claim(
    party: InterestedParty,
    source: Source | None,
    pr: int = 5000,
    role: str = "CA",
    mr: int = 0,
    sr: int = 0,
) -> Claim:
    owned = Shares(pr, mr, sr)
    return Claim(
        party,
        role,
        Side.WRITER,
        owned,
        [TerritoryShare(WORLD, True, owned)] if owned else [],
        source=source,
    )


def publisher_claim(
    party: InterestedParty,
    source: Source | None,
    owned: Shares = PUBLISHER_SHARE,
    territories: list[TerritoryShare] | None = None,
    writers: tuple[str, ...] = (),
    role: str = "E",
    chain: int = 1,
) -> Claim:
    if territories is None:
        territories = [TerritoryShare(WORLD, True, owned)] if owned else []
    return Claim(
        party,
        role,
        Side.PUBLISHER,
        owned,
        territories,
        chain=chain,
        writers=writers,
        source=source,
    )


def registration(source: Source | None, wkey: str = "W1", pkey: str = "P1") -> list[Claim]:
    """ORCHARD with 50% PR, represented by HARBOUR LIGHT (50% PR, all of MR and SR)."""
    return [
        publisher_claim(harbour(pkey), source, writers=(wkey,)),
        writer_claim(orchard(wkey), source),
    ]


def work(*claims: Claim) -> Work:
    return Work(title="LANTERNS OVER THE BAY", claims=list(claims))


def kinds(found: list[Detected]) -> list[tuple[str, str | None, str | None]]:
    return [(d.kind, d.right, d.territory) for d in found]


# -- agreement ---------------------------------------------------------------------------


def test_two_sources_with_the_same_claims_agree():
    # Each source has its own keys for the same parties; identities come from IPI numbers.
    w = work(*registration(SRC_A), *registration(SRC_B, "W9", "P9"))
    assert work_conflicts(w) == []


def test_store_ids_decide_identity_before_ipi_and_name():
    a = orchard()
    a.id = 7
    b = writer("ORCHARD-SMITH", "M.", None, "X")
    b.id = 7
    assert party_identity(a) == party_identity(b) == ("id", 7)
    assert party_identity(orchard()) == ("ipi", "00045620792")
    assert party_identity(writer("Müller", "Jürgen", None, "Q")) == ("name", "MULLER JURGEN")


def test_a_party_twice_in_one_source_is_summed():
    # Two chains of one source for the same publisher: 25% + 25% = one 50% claim.
    split = Shares(2500, 5000, 5000)
    w = work(
        publisher_claim(harbour(), SRC_A, split, writers=("W1",), chain=1),
        publisher_claim(harbour(), SRC_A, split, writers=("W1",), chain=2),
        writer_claim(orchard(), SRC_A),
        *registration(SRC_B, "W9", "P9"),
    )
    assert work_conflicts(w) == []


def test_single_source_gives_nothing_even_when_it_overclaims():
    w = work(
        *registration(SRC_A),
        publisher_claim(phare(), SRC_A, writers=("W1",), chain=2),
    )
    assert work_conflicts(w) == []
    assert work_conflicts(work()) == []


def test_local_claims_count_as_a_source_of_their_own():
    w = work(*registration(None), *registration(SRC_A))
    assert work_conflicts(w) == []
    w = work(*registration(None), publisher_claim(phare(), SRC_A, Shares(5000, 0, 0), []))
    found = work_conflicts(w)
    assert kinds(found) == [("overclaim", "PR", None)]


# -- ownership ---------------------------------------------------------------------------


def test_a_second_publisher_from_another_source_overclaims_pr():
    extra = publisher_claim(phare(), SRC_B, Shares(5000, 0, 0), territories=[])
    w = work(*registration(SRC_A), extra)
    found = work_conflicts(w)
    assert kinds(found) == [("overclaim", "PR", None)]
    (d,) = found
    assert d.total == 15000
    assert d.excess == 5000
    assert d.key == "overclaim:ownership:PR"
    assert d.claims == tuple(w.claims)  # all three claims hold PR
    assert "150.00%" in d.message


def test_ownership_overclaim_lists_only_claims_holding_that_right():
    extra = publisher_claim(phare(), SRC_B, Shares(0, 10000, 0), territories=[])
    w = work(*registration(SRC_A), extra)
    found = work_conflicts(w)
    assert kinds(found) == [("overclaim", "MR", None)]
    assert found[0].total == 20000
    assert found[0].claims == (w.claims[0], extra)  # the writer holds no MR


def _pr_only_work(second_share: int) -> Work:
    """Writer 50% PR and publisher 50% - 1 from A, another publisher with the rest from B."""
    return work(
        writer_claim(orchard(), SRC_A, pr=5000),
        publisher_claim(harbour(), SRC_A, Shares(4994, 0, 0), territories=[]),
        publisher_claim(phare(), SRC_B, Shares(second_share, 0, 0), territories=[]),
    )


def test_ownership_tolerance():
    assert work_conflicts(_pr_only_work(12)) == []  # 100.06 %
    found = work_conflicts(_pr_only_work(13))  # 100.07 %
    assert kinds(found) == [("overclaim", "PR", None)]
    assert found[0].total == 10007
    assert found[0].excess == 7


# -- collection --------------------------------------------------------------------------


def test_collection_overclaim_in_one_territory():
    p = publisher_claim(
        harbour(), SRC_A, Shares(0, 10000, 0), [TerritoryShare(WORLD, True, Shares(0, 10000, 0))]
    )
    q = publisher_claim(
        phare(), SRC_B, Shares(0, 0, 0), [TerritoryShare(UK, True, Shares(0, 10000, 0))]
    )
    w = work(p, q)
    found = work_conflicts(w)
    assert kinds(found) == [("overclaim", "MR", UK)]
    (d,) = found
    assert d.total == 20000
    assert d.excess == 10000
    assert d.claims == (p, q)
    assert d.key == "overclaim:collection:MR:0826"
    assert "0826" in d.message


def test_collection_exclusions_are_honoured():
    p = publisher_claim(
        harbour(),
        SRC_A,
        Shares(0, 10000, 0),
        [TerritoryShare(WORLD, True, Shares(0, 10000, 0)), TerritoryShare(UK, False)],
    )
    q = publisher_claim(
        phare(), SRC_B, Shares(0, 0, 0), [TerritoryShare(UK, True, Shares(0, 10000, 0))]
    )
    assert work_conflicts(work(p, q)) == []


def test_collection_reports_the_worst_territory_once_per_right():
    # World 100% from A; France 100% from B; UK 100% from B and 50% more from C.
    p = publisher_claim(harbour(), SRC_A, Shares(0, 10000, 0))
    q = publisher_claim(
        phare(),
        SRC_B,
        Shares(0, 0, 0),
        [
            TerritoryShare(FRANCE, True, Shares(0, 10000, 0)),
            TerritoryShare(UK, True, Shares(0, 10000, 0)),
        ],
    )
    r = publisher_claim(
        publisher("NORTHBOUND SONGS", None, "N1"),
        SRC_C,
        Shares(0, 0, 0),
        [TerritoryShare(UK, True, Shares(0, 5000, 0))],
    )
    found = work_conflicts(work(p, q, r))
    assert kinds(found) == [("overclaim", "MR", UK)]
    assert found[0].total == 25000
    assert found[0].claims == (p, q, r)


def test_collection_ties_go_to_the_first_territory_code():
    p = publisher_claim(harbour(), SRC_A, Shares(0, 10000, 0))
    q = publisher_claim(
        phare(),
        SRC_B,
        Shares(0, 0, 0),
        [
            TerritoryShare(UK, True, Shares(0, 10000, 0)),
            TerritoryShare(FRANCE, True, Shares(0, 10000, 0)),
        ],
    )
    found = work_conflicts(work(p, q))
    assert kinds(found) == [("overclaim", "MR", FRANCE)]


def test_collection_tolerance():
    def at_uk(extra: int) -> Work:
        p = publisher_claim(
            harbour(), SRC_A, Shares(0, 10000, 0), [TerritoryShare(WORLD, True, Shares(0, 9000, 0))]
        )
        q = publisher_claim(
            phare(), SRC_B, Shares(0, 0, 0), [TerritoryShare(UK, True, Shares(0, 1000 + extra, 0))]
        )
        return work(p, q)

    assert work_conflicts(at_uk(6)) == []
    found = work_conflicts(at_uk(7))
    assert kinds(found) == [("overclaim", "MR", UK)]
    assert found[0].total == 10007


# -- counterclaims -----------------------------------------------------------------------


def test_counterclaim_when_sources_name_different_publishers():
    a = registration(SRC_A)
    b = [
        publisher_claim(phare("P9"), SRC_B, Shares(5000, 10000, 10000), writers=("W9",)),
        writer_claim(orchard("W9"), SRC_B),
    ]
    w = work(*a, *b)
    found = work_conflicts(w)
    # Both publishers claim the whole publisher share: every right is overclaimed as well.
    assert [d.key for d in found if d.kind == "overclaim"] == [
        "overclaim:ownership:PR",
        "overclaim:ownership:MR",
        "overclaim:ownership:SR",
        "overclaim:collection:PR:2136",
        "overclaim:collection:MR:2136",
        "overclaim:collection:SR:2136",
    ]
    assert [d.kind for d in found[6:]] == ["counterclaim"]
    counter = found[-1]
    assert counter.key == "counterclaim:writer:ipi:00045620792"
    assert counter.claims == tuple(w.claims)
    assert counter.right is counter.territory is counter.total is counter.excess is None
    assert "HARBOUR LIGHT MUSIC" in counter.message
    assert "EDITIONS DU PHARE" in counter.message


def test_no_counterclaim_when_the_publishers_overlap():
    # B knows HARBOUR LIGHT too, and adds a sub-publisher of its own.
    sub = publisher_claim(
        phare("P9"),
        SRC_B,
        Shares(),
        [TerritoryShare(FRANCE, True, Shares(2500, 5000, 5000))],
        writers=("W9",),
        role="SE",
    )
    b = [
        publisher_claim(
            harbour("P8"),
            SRC_B,
            writers=("W9",),
            territories=[
                TerritoryShare(WORLD, True, Shares(5000, 10000, 10000)),
                TerritoryShare(FRANCE, False),
            ],
        ),
        sub,
        writer_claim(orchard("W9"), SRC_B),
    ]
    w = work(*registration(SRC_A), *b)
    found = work_conflicts(w)
    assert [d for d in found if d.kind == "counterclaim"] == []


def test_no_counterclaim_when_one_source_names_no_publisher():
    b = [writer_claim(orchard("W9"), SRC_B)]
    assert work_conflicts(work(*registration(SRC_A), *b)) == []


def test_counterclaim_leaves_out_sources_that_agree_with_everyone():
    # A names HARBOUR LIGHT, B names PHARE, C names both: only A and B disagree.
    b = [
        publisher_claim(phare("P9"), SRC_B, Shares(), [], writers=("W9",), role="AM"),
        writer_claim(orchard("W9"), SRC_B),
    ]
    c = [
        publisher_claim(harbour("H"), SRC_C, writers=("X",)),
        publisher_claim(phare("Q"), SRC_C, Shares(), [], writers=("X",), role="AM"),
        writer_claim(orchard("X"), SRC_C),
    ]
    w = work(*registration(SRC_A), *b, *c)
    found = work_conflicts(w)
    assert [d.kind for d in found] == ["counterclaim"]
    assert found[0].claims == tuple(w.claims[:4])
    assert work_conflicts(work(*registration(SRC_A), *c)) == []


# -- identity ----------------------------------------------------------------------------


def test_role_conflict_between_sources():
    b = [
        publisher_claim(harbour("P9"), SRC_B, writers=("W9",)),
        writer_claim(orchard("W9"), SRC_B, role="A"),
    ]
    w = work(*registration(SRC_A), *b)
    found = work_conflicts(w)
    assert kinds(found) == [("identity", None, None)]
    (d,) = found
    assert d.key == "identity:role:ipi:00045620792"
    assert d.claims == (w.claims[1], w.claims[3])
    assert "writer CA" in d.message and "writer A" in d.message


def test_writer_in_one_source_and_publisher_in_another():
    # The same IPI name number as a writer for A and as a publisher for B.
    odd = publisher_claim(
        publisher("ORCHARD MUSIC", "00045620792", "Z"), SRC_B, Shares(), [], role="AM"
    )
    w = work(*registration(SRC_A), odd)
    found = work_conflicts(w)
    assert kinds(found) == [("identity", None, None)]
    assert found[0].claims == (w.claims[1], odd)


def test_same_roles_everywhere_is_no_identity_conflict():
    b = [
        publisher_claim(harbour("P9"), SRC_B, writers=("W9",)),
        writer_claim(orchard("W9"), SRC_B, role="CA"),
    ]
    assert work_conflicts(work(*registration(SRC_A), *b)) == []


# -- stability ---------------------------------------------------------------------------


def test_keys_and_messages_are_stable():
    def build() -> Work:
        return work(
            *registration(SRC_A),
            publisher_claim(phare("P9"), SRC_B, Shares(5000, 10000, 0), writers=("W9",)),
            writer_claim(orchard("W9"), SRC_B, role="C"),
            publisher_claim(
                publisher("NORTHBOUND SONGS", None, "N1"),
                SRC_C,
                Shares(),
                [TerritoryShare(UK, True, Shares(0, 5000, 0))],
            ),
        )

    w = build()
    first = work_conflicts(w)
    second = work_conflicts(w)
    again = work_conflicts(build())
    assert first == second
    assert [(d.key, d.message) for d in first] == [(d.key, d.message) for d in again]
    keys = [d.key for d in first]
    assert len(keys) == len(set(keys))
    assert keys == [
        "overclaim:ownership:PR",
        "overclaim:ownership:MR",
        "overclaim:collection:PR:0826",  # 150% everywhere: the lower code wins the tie
        "overclaim:collection:MR:0826",
        "counterclaim:writer:ipi:00045620792",
        "identity:role:ipi:00045620792",
    ]


# -- properties --------------------------------------------------------------------------

_parties = st.sampled_from(
    [
        orchard(),
        harbour(),
        phare(),
        writer("VALLANCE", "THEO", None, "W2"),
        publisher("NORTHBOUND SONGS", None, "N1"),
    ]
)
_shares = st.builds(Shares, st.integers(0, 20000), st.integers(0, 20000), st.integers(0, 20000))
_territory_lines = st.lists(
    st.builds(TerritoryShare, st.sampled_from([WORLD, UK, FRANCE, "2100"]), st.booleans(), _shares),
    max_size=3,
)


@st.composite
def _any_claim(draw: st.DrawFn, source: Source | None) -> Claim:
    party = draw(_parties)
    side = Side.PUBLISHER if party.is_legal_entity else Side.WRITER
    return Claim(
        party,
        draw(st.sampled_from(["E", "SE", "AM"] if party.is_legal_entity else ["CA", "C", "A"])),
        side,
        draw(_shares),
        draw(_territory_lines),
        writers=tuple(draw(st.lists(st.sampled_from(["W1", "W2"]), max_size=2))),
        source=source,
    )


@given(
    st.sampled_from([SRC_A, SRC_B, None]).flatmap(
        lambda source: st.lists(_any_claim(source), max_size=8)
    )
)
def test_one_source_never_conflicts(claims: list[Claim]):
    assert work_conflicts(work(*claims)) == []


@settings(max_examples=50, deadline=None)
@given(cwr_works())
def test_the_same_valid_registration_from_two_sources_agrees(sent: Work):
    for claim in sent.claims:
        claim.source = SRC_A
    again = copy.deepcopy(sent.claims)
    for claim in again:
        claim.source = SRC_B
    sent.claims += again
    assert work_conflicts(sent) == []
