"""Conflicts as disputes: the work, then its claims side by side per source, with the totals.

A conflict is stored with the claims it involves (the JSON of
:func:`exchange.jsonview.claim_view`). A :class:`Dispute` lays them out for a
person to settle: one column per source (partner, file, date), one row per
party, each cell the party's claims in that source with their shares per right
and territory; under each column the source's total of the share in dispute,
and for the whole dispute the combined total the rules found and how far it goes
past 100 %. The deadline is counted in days left, and the history comes along.

The console's Conflicts page and the HTML report (``exchange conflicts report
--format html``) both show these, through one template.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from exchange import codes
from exchange.model import Shares, TerritoryShare, Work
from exchange.shares import countries, share_at, total
from exchange.store.conflicts import Conflict

__all__ = [
    "ClaimCell",
    "Dispute",
    "PartyRow",
    "SourceColumn",
    "TerritoryLine",
    "disputes_of",
    "kind_label",
    "kinds_in_order",
    "summary_of",
]

#: How the conflict types are named on a page, in the order the known ones come.
KIND_LABELS = {
    "overclaim": "Overclaim",
    "counterclaim": "Counterclaim",
    "iswc": "ISWC conflict",
    "identity": "Identity conflict",
}


def kind_label(kind: str) -> str:
    """How a conflict type is named: ``overclaim`` is "Overclaim".

    >>> kind_label("iswc"), kind_label("share_gap")
    ('ISWC conflict', 'Share gap')
    """
    return KIND_LABELS.get(kind) or kind.replace("_", " ").capitalize() or "Other"


def kinds_in_order(kinds: Iterable[str]) -> list[str]:
    """The conflict types present: the known ones in their fixed order, then any others."""
    present = list(dict.fromkeys(kinds))
    return [k for k in KIND_LABELS if k in present] + [k for k in present if k not in KIND_LABELS]


@dataclass(frozen=True, slots=True)
class SourceColumn:
    """One source of claims: the partner (None: entered locally), its file, when received."""

    partner: str | None
    file: str | None
    transaction: int | None
    received: datetime | None


@dataclass(frozen=True, slots=True)
class TerritoryLine:
    """One include or exclude line of a claim's collection shares."""

    tis: str
    name: str | None
    include: bool
    collection: Shares


@dataclass(frozen=True, slots=True)
class ClaimCell:
    """One claim of a party in one source, with the share that counts in the dispute."""

    role: str
    side: str
    societies: tuple[str, ...]  # "052 PR", one per affiliation
    ownership: Shares
    territories: tuple[TerritoryLine, ...]
    disputed: Shares | None  # the shares the dispute is about (None: not about shares)


@dataclass(frozen=True, slots=True)
class PartyRow:
    """One party of the dispute: its claims in each source, in the order of the sources."""

    name: str
    ipi_name_number: str | None
    ipi_base_number: str | None
    cells: tuple[tuple[ClaimCell, ...], ...]


@dataclass(frozen=True, slots=True)
class Dispute:
    """One conflict laid out for a person: the work, the claims side by side, the totals."""

    conflict: Conflict
    work: Work | None
    sources: tuple[SourceColumn, ...]
    parties: tuple[PartyRow, ...]
    subtotals: tuple[Shares | None, ...]  # per source: its total of the shares in dispute
    history: tuple[Mapping[str, Any], ...]
    today: date

    @property
    def kind_label(self) -> str:
        return kind_label(self.conflict.kind)

    @property
    def claim_count(self) -> int:
        return len(self.conflict.claims)

    @property
    def measure(self) -> str | None:
        """What an overclaim adds up: ``ownership``, ``collection`` (in a territory), or None."""
        if self.conflict.kind != "overclaim":
            return None
        return "ownership" if self.conflict.territory is None else "collection"

    @property
    def right(self) -> str | None:
        return self.conflict.right

    @property
    def territory_name(self) -> str | None:
        return _territory_name(self.conflict.territory)

    @property
    def days_left(self) -> int | None:
        """Days to the deadline (negative: past it); None without one or once resolved."""
        deadline = self.conflict.deadline
        if deadline is None or self.conflict.status == "resolved":
            return None
        return (deadline.date() - self.today).days

    @property
    def overdue(self) -> bool:
        left = self.days_left
        return left is not None and left < 0

    @property
    def titles(self) -> tuple[str, ...]:
        """The work's title, then its other titles."""
        if self.work is None:
            return (self.conflict.work_title,) if self.conflict.work_title else ()
        return (self.work.title, *(t.title for t in self.work.titles))

    @property
    def iswc(self) -> str | None:
        return self.work.iswc if self.work is not None else self.conflict.work_iswc

    @property
    def message(self) -> str | None:
        detail = self.conflict.detail
        if self.conflict.kind == "iswc" and detail.get("received"):
            return f"held {detail.get('held')}, received {detail.get('received')}"
        return detail.get("message")


def _territory_name(tis: str | None) -> str | None:
    if not tis:
        return None
    territory = codes.territory(tis)
    return territory.name if territory is not None else None


def _shares(values: Mapping[str, int]) -> Shares:
    return Shares(values.get("pr", 0), values.get("mr", 0), values.get("sr", 0))


def _country_of(tis: str) -> str:
    """A country of the territory, where a claim's collection share there is read."""
    return min(countries(tis))


def _cell(conflict: Conflict, claim: Mapping[str, Any]) -> ClaimCell:
    party = claim.get("party") or {}
    lines = tuple(
        TerritoryLine(t["tis"], _territory_name(t["tis"]), t["include"], _shares(t["collection"]))
        for t in claim.get("territories", [])
    )
    ownership = _shares(claim.get("ownership") or {})
    disputed: Shares | None = None
    if conflict.kind == "overclaim" and conflict.territory is None:
        disputed = ownership
    elif conflict.kind == "overclaim" and conflict.territory:
        held = [TerritoryShare(line.tis, line.include, line.collection) for line in lines]
        disputed = share_at(held, _country_of(conflict.territory)) or Shares()
    societies = tuple(
        f"{a['society']} {a['right']}" for a in party.get("affiliations", []) if a.get("society")
    )
    return ClaimCell(
        role=claim.get("role") or "",
        side=claim.get("side") or "",
        societies=tuple(dict.fromkeys(societies)),
        ownership=ownership,
        territories=lines,
        disputed=disputed,
    )


def _source(claim: Mapping[str, Any]) -> SourceColumn:
    source = claim.get("source") or {}
    received = source.get("received_at")
    return SourceColumn(
        partner=source.get("partner"),
        file=source.get("file"),
        transaction=source.get("transaction"),
        received=datetime.fromisoformat(received) if received else None,
    )


def _party_key(party: Mapping[str, Any]) -> tuple[str, object]:
    """A party across sources: its store id, else its IPI name number, else its name."""
    if party.get("id") is not None:
        return ("id", party["id"])
    if party.get("ipi_name_number"):
        return ("ipi", party["ipi_name_number"])
    return ("name", (party.get("name") or "").casefold())


def dispute(
    conflict: Conflict,
    work: Work | None,
    history: Iterable[Mapping[str, Any]],
    today: date,
) -> Dispute:
    """Lay one conflict out: sources in the order their claims come, parties likewise."""
    sources: dict[SourceColumn, int] = {}
    parties: dict[tuple[str, object], dict[str, Any]] = {}
    for claim in conflict.claims:
        column = sources.setdefault(_source(claim), len(sources))
        party = claim.get("party") or {}
        row = parties.setdefault(_party_key(party), {"party": party, "cells": {}})
        row["cells"].setdefault(column, []).append(_cell(conflict, claim))
    rows = tuple(
        PartyRow(
            name=row["party"].get("name") or "",
            ipi_name_number=row["party"].get("ipi_name_number"),
            ipi_base_number=row["party"].get("ipi_base_number"),
            cells=tuple(tuple(row["cells"].get(i, ())) for i in range(len(sources))),
        )
        for row in parties.values()
    )
    subtotals: list[Shares | None] = []
    for i in range(len(sources)):
        disputed = [c.disputed for row in rows for c in row.cells[i] if c.disputed is not None]
        subtotals.append(total(disputed) if conflict.kind == "overclaim" else None)
    return Dispute(
        conflict=conflict,
        work=work,
        sources=tuple(sources),
        parties=rows,
        subtotals=tuple(subtotals),
        history=tuple(history),
        today=today,
    )


def summary_of(disputes: Sequence[Dispute]) -> list[tuple[str, int, int]]:
    """Per conflict type present: its name in the plural, how many conflicts, how many claims."""
    lines = []
    for kind in kinds_in_order(d.conflict.kind for d in disputes):
        of_kind = [d for d in disputes if d.conflict.kind == kind]
        lines.append((f"{kind_label(kind)}s", len(of_kind), sum(d.claim_count for d in of_kind)))
    return lines


def disputes_of(
    conflicts: Sequence[Conflict],
    works: Mapping[int, Work],
    history: Mapping[int, Sequence[Mapping[str, Any]]],
    today: date,
) -> list[Dispute]:
    """The disputes of these conflicts, in their order, with the works and histories given."""
    return [
        dispute(
            c,
            works.get(c.work_id) if c.work_id is not None else None,
            history.get(c.id, ()),
            today,
        )
        for c in conflicts
    ]
