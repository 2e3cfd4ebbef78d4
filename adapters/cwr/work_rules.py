"""Transaction-level rules of CWR work registrations (NWR/REV/ISW), on model objects.

Each rule looks at the whole work as read from one transaction: ownership and
collection totals per right (with CISAC's tolerance of 0.06 %), the writers
that must or must not be there, and the shape of publisher chains. They report
:class:`~exchange.model.Finding` objects at level TR (the transaction is
rejected); the edit identifiers are those of the NWR transaction-level list of
the CWR specification (``NWR-T-nnn``).
"""

from __future__ import annotations

from collections.abc import Callable

from exchange.model import Claim, Finding, Right, Work
from exchange.shares import (
    HALF,
    PUBLISHER_OWNERSHIP_LIMITS,
    below,
    collection_totals,
    exceeds,
    percent,
    total,
)

CREATORS = frozenset({"C", "CA", "A"})
MODIFIERS = frozenset({"AR", "AD", "SR", "SA", "TR"})
LYRIC_ROLES = frozenset({"CA", "A", "SA", "TR"})
OWNING_PUBLISHERS = frozenset({"E", "AQ"})
CHAIN_STARTS = frozenset({"E", "PA"})

LineOf = Callable[[Claim], int | None]


def _finding(edit: str, message: str, line: int | None, record: str | None = None) -> Finding:
    return Finding("TR", message, line, record or "NWR", edit=f"NWR-T-{edit}")


def check_shares(work: Work, line_of: LineOf, header_line: int | None) -> list[Finding]:
    findings = []
    publishers = work.publishers
    writers = work.writers
    owned_by_publishers = total(c.ownership for c in publishers)
    owned_by_writers = total(c.ownership for c in writers)
    for right in Right:
        p_total = owned_by_publishers.get(right)
        w_total = owned_by_writers.get(right)
        limit = PUBLISHER_OWNERSHIP_LIMITS[right]
        if exceeds(p_total, limit):
            findings.append(
                _finding(
                    "004",
                    f"publishers own {percent(p_total)} of {right}; "
                    f"at most {percent(limit)} allowed",
                    header_line,
                )
            )
        if exceeds(w_total) or (right is Right.PR and exceeds(w_total, 0) and below(w_total, HALF)):
            findings.append(
                _finding(
                    "009",
                    f"writers own {percent(w_total)} of {right}; it must be 0 or "
                    f"{'between 50% and ' if right is Right.PR else 'at most '}100%",
                    header_line,
                )
            )
        both = p_total + w_total
        if exceeds(both, 0) and (exceeds(both) or below(both)):
            findings.append(
                _finding(
                    "011",
                    f"{right} ownership of writers and publishers adds up to {percent(both)}, "
                    "not 100% (or 0%)",
                    header_line,
                )
            )
    for right, (collected, territory) in collection_totals(work.claims).items():
        if exceeds(collected):
            findings.append(
                _finding(
                    "014",
                    f"{right} collection shares add up to {percent(collected)} in territory "
                    f"{territory}; at most 100% allowed",
                    header_line,
                )
            )
    for claim in publishers:
        if claim.controlled and exceeds(claim.ownership.pr, HALF):
            findings.append(
                Finding(
                    "TR",
                    f"publisher PR ownership share {percent(claim.ownership.pr)} is over 50%",
                    line_of(claim),
                    "SPU",
                    "pr_ownership_share",
                    f"{claim.ownership.pr:05d}",
                    "SPU-F-013",
                )
            )
        if claim.role not in OWNING_PUBLISHERS and claim.ownership:
            findings.append(
                Finding(
                    "TR",
                    f"a publisher of type {claim.role} may not hold ownership shares",
                    line_of(claim),
                    "SPU" if claim.controlled else "OPU",
                    "publisher_type",
                    claim.role,
                    "SPU-F-019",
                )
            )
    chains: dict[int | None, list[Claim]] = {}
    for claim in publishers:
        if claim.controlled:
            chains.setdefault(claim.chain, []).append(claim)
    for chain in chains.values():
        if any(c.ownership for c in chain) and not any(c.territories for c in chain):
            findings.append(
                _finding(
                    "007",
                    f"publisher chain {chain[0].chain} holds shares but has no territory "
                    "(SPT) record",
                    line_of(chain[0]),
                    "SPU",
                )
            )
    return findings


def check_writers(work: Work, line_of: LineOf, header_line: int | None) -> list[Finding]:
    findings = []
    writers = work.writers
    roles = {c.role for c in writers}
    if not writers:
        findings.append(_finding("012", "the work has no writer (SWR or OWR)", header_line))
    elif not roles & CREATORS:
        findings.append(
            _finding("015", "no writer is a composer or author (C, CA or A)", header_line)
        )
    if work.version_type == "MOD" and not roles & MODIFIERS:
        findings.append(
            _finding(
                "010",
                "a modified version (MOD) needs an arranger, adaptor, translator, "
                "sub-arranger or sub-author",
                header_line,
            )
        )
    if work.version_type == "ORI":
        for claim in writers:
            if claim.role in MODIFIERS:
                findings.append(
                    _finding(
                        "023",
                        f"an original work (ORI) cannot have a writer with role {claim.role}",
                        line_of(claim),
                        "SWR" if claim.controlled else "OWR",
                    )
                )
    if work.text_music_relationship == "MUS":
        for claim in writers:
            if claim.role in LYRIC_ROLES:
                findings.append(
                    _finding(
                        "045",
                        f"music without words (MUS) cannot have a writer with role {claim.role}",
                        line_of(claim),
                        "SWR" if claim.controlled else "OWR",
                    )
                )
    return findings


def check_chains(work: Work, line_of: LineOf) -> list[Finding]:
    findings = []
    chains: dict[int | None, list[Claim]] = {}
    for claim in work.publishers:
        chains.setdefault(claim.chain, []).append(claim)
    for chain in chains.values():
        first = chain[0]
        controlled = [c for c in chain if c.controlled]
        record = "SPU" if first.controlled else "OPU"
        if first.role not in CHAIN_STARTS:
            findings.append(
                Finding(
                    "TR",
                    f"publisher chain {first.chain} starts with a {first.role}, "
                    "not an original publisher (E) or income participant (PA)",
                    line_of(first),
                    record,
                    "publisher_type",
                    first.role,
                    "SPU-F-018",
                )
            )
        originals = [c for c in chain if c.role == "E"]
        if len(originals) > 1:
            findings.append(
                _finding(
                    "017",
                    f"publisher chain {first.chain} has {len(originals)} original publishers (E)",
                    line_of(originals[1]),
                    "SPU",
                )
            )
        if controlled and len(controlled) != len(chain):
            findings.append(
                _finding(
                    "016",
                    f"an OPU appears in publisher chain {first.chain} of a controlled publisher",
                    line_of(next(c for c in chain if not c.controlled)),
                    "OPU",
                )
            )
        if controlled and first.controlled:
            owners = [c for c in controlled if c.role in OWNING_PUBLISHERS]
            if owners and not any(c.ownership for c in owners):
                findings.append(
                    _finding(
                        "025",
                        f"publisher chain {first.chain} holds no ownership share",
                        line_of(first),
                        "SPU",
                    )
                )
        for before, claim in zip(chain, chain[1:], strict=False):
            if claim.role == "AQ" and before.role == "E" and before.ownership:
                findings.append(
                    _finding(
                        "026",
                        "the original publisher before an acquirer (AQ) must hold no ownership",
                        line_of(before),
                        "SPU",
                    )
                )
    return findings


#: What the rules above read of a work: its version type and text-music relationship,
#: and of each claim in order its side, role, ownership shares, control, chain and
#: territories. Two works of one shape break the same rules (at their own lines).
Shape = tuple[str, str | None, tuple[tuple[object, ...], ...]]
#: Shapes of works found to break no rule, remembered (then forgotten all at once): a
#: catalogue's works share a few splits of shares among a few kinds of claims.
_SOUND_SHAPES: set[Shape] = set()
_SOUND_SHAPES_KEPT = 4096


def shape(work: Work) -> Shape:
    """What the transaction rules read of a work (:data:`Shape`)."""
    return (
        work.version_type,
        work.text_music_relationship,
        tuple(
            (c.side, c.role, c.ownership, c.controlled, c.chain, tuple(c.territories))
            for c in work.claims
        ),
    )


def check_work(work: Work, line_of: LineOf, header_line: int | None) -> list[Finding]:
    """All transaction-level rules for one registered work.

    A work of a shape found sound before is not judged again.
    """
    work_shape = shape(work)
    if work_shape in _SOUND_SHAPES:
        return []
    findings = (
        check_shares(work, line_of, header_line)
        + check_writers(work, line_of, header_line)
        + check_chains(work, line_of)
    )
    if not findings:
        if len(_SOUND_SHAPES) >= _SOUND_SHAPES_KEPT:
            _SOUND_SHAPES.clear()
        _SOUND_SHAPES.add(work_shape)
    return findings
