"""Disputes between the sources that state claims on one work.

The store keeps every partner's claims on a work side by side. Each source was
checked on its own when it was imported, so the questions here are about how
the sources sit together:

* **overclaim**: the parties of all sources together own (or collect, in some
  territory) more than 100 % of a right. A party stated by several sources
  counts once, with the largest share any of them gives it, so two sources
  registering the same writers do not add up to 200 %, while two different
  publishers claiming the same half do;
* **counterclaim**: two sources tie the same writer to publishers that have
  nothing in common;
* **identity**: one party is stated with unrelated roles by two sources (a
  composer/author in one, an author in the other; a writer in one, a publisher
  in the other).

Disputes are between partners, never between a partner and itself: where one
partner's claims on a work come from several registrations (its duplicate
registrations that a person found to be one work), its latest registration
speaks for it and the earlier ones are left out of the comparison.

The functions are pure: they read the :class:`~exchange.model.Work` and return
:class:`Detected` values whose ``key`` is the same whenever the same dispute is
found again, so callers can recognise a dispute they already know.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from exchange.identifiers import known
from exchange.model import Claim, InterestedParty, Right, Side, Source, Work
from exchange.normalise import normalise_name
from exchange.shares import FULL, countries, exceeds, percent, representatives, share_at

__all__ = ["Detected", "party_identity", "work_conflicts"]

RIGHTS = (Right.PR, Right.MR, Right.SR)

#: How a party is recognised across sources: ("id", n), ("ipi", number) or ("name", text).
Identity = tuple[str, object]
#: Which source stated a claim (None for claims entered locally).
SourceKey = Source | None


@dataclass(frozen=True, slots=True)
class Detected:
    """One dispute found on a work.

    ``kind`` is ``"overclaim"``, ``"counterclaim"`` or ``"identity"``. ``right``
    and ``territory`` (a TIS code) narrow an overclaim down; ``total`` is the
    combined share there and ``excess`` how far it goes past 100 % (both in
    hundredths of a percent). ``claims`` are the claims concerned, in the order
    of ``work.claims``. ``key`` names the dispute within the work and does not
    change from one run to the next.
    """

    kind: str
    right: str | None
    territory: str | None
    total: int | None
    excess: int | None
    claims: tuple[Claim, ...]
    key: str
    message: str


# -- identities and labels --------------------------------------------------------------


def party_identity(party: InterestedParty) -> Identity:
    """The party's store id if it has one, else its IPI name number, else its normalised name.

    A placeholder IPI (zeros) is no IPI: parties that carry one are told apart by name.
    """
    if party.id is not None:
        return ("id", party.id)
    ipi = known(party.ipi_name_number)
    if ipi:
        return ("ipi", ipi)
    return ("name", normalise_name(f"{party.last_name} {party.first_name}"))


def _identity_text(identity: Identity) -> str:
    return f"{identity[0]}:{identity[1]}"


def _source_label(source: SourceKey) -> str:
    return "local" if source is None else source.partner


def _names(claims: Iterable[Claim]) -> str:
    return ", ".join(dict.fromkeys(c.party.name for c in claims))


# -- the work, indexed once -------------------------------------------------------------


class _Index:
    """The claims of a work with their source and party identity, grouped by both."""

    __slots__ = ("claims", "identities", "sources", "by_source", "by_party")

    def __init__(self, claims: Sequence[Claim]) -> None:
        self.claims = claims
        self.identities: list[Identity] = [party_identity(c.party) for c in claims]
        self.sources: list[SourceKey] = [c.source for c in claims]
        self.by_source: dict[SourceKey, list[int]] = {}
        self.by_party: dict[Identity, list[int]] = {}
        for i, (source, identity) in enumerate(zip(self.sources, self.identities, strict=True)):
            self.by_source.setdefault(source, []).append(i)
            self.by_party.setdefault(identity, []).append(i)

    def pick(self, positions: Iterable[int]) -> tuple[Claim, ...]:
        return tuple(self.claims[i] for i in sorted(set(positions)))


def _combined(
    index: _Index, shares_of: Iterable[tuple[int, tuple[int, int, int]]]
) -> tuple[int, int, int]:
    """PR, MR and SR totals: summed per party within a source, the largest source per party."""
    per_source: dict[tuple[Identity, SourceKey], list[int]] = {}
    for i, (pr, mr, sr) in shares_of:
        sums = per_source.setdefault((index.identities[i], index.sources[i]), [0, 0, 0])
        sums[0] += pr
        sums[1] += mr
        sums[2] += sr
    best: dict[Identity, list[int]] = {}
    for (identity, _), sums in per_source.items():
        top = best.get(identity)
        if top is None:
            best[identity] = list(sums)
        else:
            for r in range(3):
                if sums[r] > top[r]:
                    top[r] = sums[r]
    totals = [0, 0, 0]
    for top in best.values():
        for r in range(3):
            totals[r] += top[r]
    return totals[0], totals[1], totals[2]


# -- rule 1: ownership --------------------------------------------------------------------


def _ownership_overclaims(index: _Index) -> list[Detected]:
    totals = _combined(
        index,
        ((i, (c.ownership.pr, c.ownership.mr, c.ownership.sr)) for i, c in enumerate(index.claims)),
    )
    found = []
    for r, right in enumerate(RIGHTS):
        total = totals[r]
        if not exceeds(total):
            continue
        involved = tuple(c for c in index.claims if c.ownership.get(right))
        found.append(
            Detected(
                kind="overclaim",
                right=right.value,
                territory=None,
                total=total,
                excess=total - FULL,
                claims=involved,
                key=f"overclaim:ownership:{right.value}",
                message=(
                    f"The sources together give {percent(total)} of the {right.value} ownership "
                    f"of this work, {percent(total - FULL)} more than 100%."
                ),
            )
        )
    return found


# -- rule 2: collection -------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _shown_territory(tis_codes: frozenset[str], country: str) -> str:
    """The narrowest of the given territories that contains the country (ties: lowest code)."""
    containing = [code for code in tis_codes if country in countries(code)]
    if not containing:
        return country
    return min(containing, key=lambda code: (len(countries(code)), code))


def _collection_overclaims(index: _Index) -> list[Detected]:
    with_lines = [i for i, c in enumerate(index.claims) if c.territories]
    if not with_lines:
        return []
    tis_codes = frozenset(t.tis for i in with_lines for t in index.claims[i].territories)
    # Per right: (total, territory shown, representative country) of the worst region.
    worst: dict[int, tuple[int, str, str]] = {}
    for country in representatives(tis_codes):
        at_country = []
        for i in with_lines:
            shares = share_at(index.claims[i].territories, country)
            if shares is not None and shares:
                at_country.append((i, (shares.pr, shares.mr, shares.sr)))
        if not at_country:
            continue
        totals = _combined(index, at_country)
        for r in range(3):
            total = totals[r]
            if not exceeds(total):
                continue
            shown = _shown_territory(tis_codes, country)
            current = worst.get(r)
            if (
                current is None
                or total > current[0]
                or (total == current[0] and shown < current[1])
            ):
                worst[r] = (total, shown, country)
    found = []
    for r, right in enumerate(RIGHTS):
        if r not in worst:
            continue
        total, shown, country = worst[r]
        involved = []
        for i in with_lines:
            shares = share_at(index.claims[i].territories, country)
            if shares is not None and shares.get(right):
                involved.append(index.claims[i])
        found.append(
            Detected(
                kind="overclaim",
                right=right.value,
                territory=shown,
                total=total,
                excess=total - FULL,
                claims=tuple(involved),
                key=f"overclaim:collection:{right.value}:{shown}",
                message=(
                    f"The sources together collect {percent(total)} of the {right.value} share "
                    f"in territory {shown}, {percent(total - FULL)} more than 100%."
                ),
            )
        )
    return found


# -- rule 3: counterclaims ----------------------------------------------------------------


def _counterclaims(index: _Index) -> list[Detected]:
    # writer identity -> source -> (publisher identities, positions of the claims involved)
    links: dict[Identity, dict[SourceKey, tuple[set[Identity], set[int]]]] = {}
    for source, positions in index.by_source.items():
        writers_by_key: dict[str, list[int]] = {}
        for i in positions:
            claim = index.claims[i]
            if claim.side is Side.WRITER and claim.party.key:
                writers_by_key.setdefault(claim.party.key, []).append(i)
        if not writers_by_key:
            continue
        for i in positions:
            claim = index.claims[i]
            if claim.side is not Side.PUBLISHER or not claim.writers:
                continue
            for writer_key in claim.writers:
                for w in writers_by_key.get(writer_key, ()):
                    per_source = links.setdefault(index.identities[w], {})
                    publishers, involved = per_source.setdefault(source, (set(), set()))
                    publishers.add(index.identities[i])
                    involved.update((w, i))
    found = []
    for writer, per_source in links.items():
        if len(per_source) < 2:
            continue
        sources = list(per_source)
        disputed: dict[SourceKey, None] = {}
        for a, first in enumerate(sources):
            for second in sources[a + 1 :]:
                if per_source[first][0].isdisjoint(per_source[second][0]):
                    disputed[first] = None
                    disputed[second] = None
        if not disputed:
            continue
        ordered = [s for s in sources if s in disputed]
        positions = [i for s in ordered for i in per_source[s][1]]
        claims = index.pick(positions)
        writer_name = index.claims[index.by_party[writer][0]].party.name
        statements = "; ".join(
            f"{_source_label(s)}: "
            + _names(
                index.claims[i]
                for i in sorted(per_source[s][1])
                if index.claims[i].side is Side.PUBLISHER
            )
            for s in ordered
        )
        found.append(
            Detected(
                kind="counterclaim",
                right=None,
                territory=None,
                total=None,
                excess=None,
                claims=claims,
                key=f"counterclaim:writer:{_identity_text(writer)}",
                message=(
                    f"Sources name different publishers for writer {writer_name} ({statements})."
                ),
            )
        )
    found.sort(key=lambda d: d.key)
    return found


# -- rule 4: identity ---------------------------------------------------------------------


def _role_conflicts(index: _Index) -> list[Detected]:
    found = []
    for identity, positions in index.by_party.items():
        if len(positions) < 2:
            continue
        roles: dict[SourceKey, set[tuple[str, str]]] = {}
        for i in positions:
            claim = index.claims[i]
            roles.setdefault(index.sources[i], set()).add((claim.side.value, claim.role))
        if len(roles) < 2:
            continue
        sets = list(roles.values())
        if not any(
            sets[a].isdisjoint(sets[b]) for a in range(len(sets)) for b in range(a + 1, len(sets))
        ):
            continue
        name = index.claims[positions[0]].party.name
        statements = "; ".join(
            f"{_source_label(s)}: " + ", ".join(f"{side} {role}" for side, role in sorted(r))
            for s, r in roles.items()
        )
        found.append(
            Detected(
                kind="identity",
                right=None,
                territory=None,
                total=None,
                excess=None,
                claims=index.pick(positions),
                key=f"identity:role:{_identity_text(identity)}",
                message=f"Sources give {name} roles that do not match ({statements}).",
            )
        )
    found.sort(key=lambda d: d.key)
    return found


# -- all rules ----------------------------------------------------------------------------


def _sources_of(claims: Sequence[Claim]) -> int:
    """How many distinct sources the claims come from (counting at most two)."""
    if not claims:
        return 0
    first = claims[0].source
    for claim in claims:
        if claim.source != first:
            return 2
    return 1


def _registration_order(source: SourceKey) -> tuple[float, str, int, int]:
    if source is None:
        return (float("-inf"), "", -1, -1)
    received = source.received_at.timestamp() if source.received_at else float("-inf")
    return (received, source.file or "", source.transaction or -1, source.id or -1)


def _latest_registrations(claims: Sequence[Claim]) -> list[Claim]:
    """The claims of each partner's latest registration of the work (local ones apart)."""
    latest: dict[str | None, SourceKey] = {}
    for claim in claims:
        partner = claim.source.partner if claim.source else None
        held = latest.get(partner, claim.source)
        if _registration_order(claim.source) >= _registration_order(held):
            latest[partner] = claim.source
    return [c for c in claims if latest[c.source.partner if c.source else None] == c.source]


def work_conflicts(work: Work) -> list[Detected]:
    """Every dispute between the partners whose claims one work holds.

    Ownership overclaims come first (PR, MR, SR), then collection overclaims
    (at most one per right: the territory where the total is highest), then
    counterclaims and role conflicts, each sorted by key. A work whose claims
    all come from one source gives an empty list; of a partner's several
    registrations of the work, only the latest is compared with the others'.
    """
    claims = work.claims
    if _sources_of(claims) < 2:
        return []
    claims = _latest_registrations(claims)
    if _sources_of(claims) < 2:
        return []
    index = _Index(claims)
    return (
        _ownership_overclaims(index)
        + _collection_overclaims(index)
        + _counterclaims(index)
        + _role_conflicts(index)
    )
