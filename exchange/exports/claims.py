"""The claim policy of every export: which claims of a work go to whom.

A registration must add up: when several partners made claims on a work, a file
carries one consistent set of them, those of the node's own society if it made
any, else those of the partner that spoke last (:func:`registration`). Settling
disputed claims between partners is the conflicts' business.
"""

from __future__ import annotations

from dataclasses import replace

from exchange.model import Work


def registration(work: Work, own: str) -> Work:
    """The work with the claims of one source only: ``own``'s if any, else the latest."""
    by_partner: dict[str | None, int] = {}
    for claim in work.claims:
        source = claim.source
        partner = source.partner if source else None
        stamp = (source.id or 0) if source else 0
        by_partner[partner] = max(by_partner.get(partner, -1), stamp)
    if len(by_partner) <= 1:
        return work
    chosen = own if own in by_partner else max(by_partner, key=lambda p: by_partner[p])
    return replace(
        work,
        claims=[c for c in work.claims if (c.source.partner if c.source else None) == chosen],
    )
