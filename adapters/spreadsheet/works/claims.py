"""The claims on a works sheet: the claim each row states, and the rows of one claim.

Rows of one work naming the same party in the same role and publisher chain are
one claim, one row per territory (see :mod:`adapters.spreadsheet.works`):
:func:`row_claim` reads one row's claim, :func:`merge_row` adds a later row to
the claim held. :class:`WorkCells` reads the cells of a work's rows and collects
what it finds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from adapters.spreadsheet.table import Row
from adapters.spreadsheet.values import CellError, parse_flag, parse_share, parse_territory
from adapters.spreadsheet.works import KIND, LIMITS
from exchange import codes
from exchange.identifiers import InvalidIdentifier, digits_value, ipi_base, ipi_name, is_placeholder
from exchange.model import (
    PUBLISHER_ROLES,
    WORLD,
    WRITER_ROLES,
    Affiliation,
    Claim,
    Finding,
    InterestedParty,
    Right,
    Shares,
    Side,
    TerritoryShare,
)
from exchange.normalise import normalise_name

ROLES = WRITER_ROLES | PUBLISHER_ROLES
_ROLE_LIST = "writers CA, C, A, AR, AD, TR, SA, SR, PA; publishers E, AM, SE, ES, AQ, PA"


class WorkCells:
    """Reads the cells of one work's rows, collecting findings."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        self.rejected = any(f.rejects_transaction for f in findings)

    def add(self, level: str, message: str, row: Row, name: str, value: str | None = None) -> None:
        if value is None:
            value = row.get(name)
        self.findings.append(Finding(level, message, row.line, KIND, name, value))
        if level == "TR":
            self.rejected = True

    def text(self, row: Row, name: str) -> str:
        value = row.get(name)
        limit = LIMITS.get(name)
        if limit is not None and len(value) > limit:
            self.add("TR", f"{name} is {len(value)} characters long; at most {limit}", row, name)
        return value

    def share(self, row: Row, name: str) -> int:
        try:
            return parse_share(row.get(name))
        except CellError as exc:
            self.add("TR", f"{name}: {exc}", row, name)
            return 0


@dataclass(slots=True)
class RowClaim:
    """What one row says of a claim, and which of its party cells were filled."""

    line: int
    claim: Claim
    given: set[str]

    def same(self, other: RowClaim) -> bool:
        """Whether two rows state one claim: same side, role and chain, and same party
        (by IPI name number when both have one, else by key, else by name)."""
        a, b = self.claim, other.claim
        if (a.side, a.role, a.chain) != (b.side, b.role, b.chain):
            return False
        pa, pb = a.party, b.party
        if pa.ipi_name_number and pb.ipi_name_number:
            return pa.ipi_name_number == pb.ipi_name_number
        if pa.key and pb.key:
            return pa.key == pb.key
        return normalise_name(pa.name) == normalise_name(pb.name)


#: Cells of a claim that the rows of one claim share (one row per territory).
_SHARED_CELLS = (
    "party_name",
    "party_first_name",
    "ipi_name_number",
    "ipi_base_number",
    "party_key",
    "controlled",
    "pr_society",
    "mr_society",
    "sr_society",
    "pr_ownership",
    "mr_ownership",
    "sr_ownership",
)
_CLAIM_CELLS = (
    "role",
    "publisher_chain",
    *_SHARED_CELLS,
    "territory",
    "pr_collection",
    "mr_collection",
    "sr_collection",
)


def _fact(claim: Claim, name: str) -> object:
    party = claim.party
    if name.endswith("_society"):
        right = Right(name[:2].upper())
        return next((a.society for a in party.affiliations if a.right == right), None)
    if name.endswith("_ownership"):
        return claim.ownership.get(name[:2])
    if name == "controlled":
        return claim.controlled
    attribute = {"party_name": "last_name", "party_first_name": "first_name", "party_key": "key"}
    return getattr(party, attribute.get(name, name))


def _take(held: Claim, new: Claim, name: str) -> None:
    """Give ``held`` the value ``new`` has for a cell that ``held``'s rows left empty."""
    party = held.party
    if name.endswith("_society"):
        right = Right(name[:2].upper())
        party.affiliations += [a for a in new.party.affiliations if a.right == right]
    elif name.endswith("_ownership"):
        shares = {r.lower(): held.ownership.get(r) for r in Right}
        shares[name[:2]] = new.ownership.get(name[:2])
        held.ownership = Shares(**shares)
    elif name == "controlled":
        held.controlled = new.controlled
    else:
        attribute = {
            "party_name": "last_name",
            "party_first_name": "first_name",
            "party_key": "key",
        }.get(name, name)
        setattr(party, attribute, getattr(new.party, attribute))


def row_claim(cells: WorkCells, row: Row) -> RowClaim | None:
    """The claim one row states (None when the row says nothing of a party, or is bad)."""
    if not any(row.get(name) for name in _CLAIM_CELLS):
        return None
    before = cells.rejected
    cells.rejected = False
    role = row.get("role").upper()
    chain_text = row.get("publisher_chain")
    chain = digits_value(chain_text) or None  # 0 is no chain
    if chain_text and chain is None:
        message = "publisher_chain is a whole number from 1 (1, 2...)"
        cells.add("TR", message, row, "publisher_chain")
    if not role:
        cells.add("TR", f"role is empty; expected a CWR role: {_ROLE_LIST}", row, "role")
    elif role not in ROLES:
        cells.add("TR", f"unknown role {role!r}; expected a CWR role: {_ROLE_LIST}", row, "role")
    publisher = role in PUBLISHER_ROLES and (role != "PA" or bool(chain_text))
    side = Side.PUBLISHER if publisher else Side.WRITER
    if side is Side.WRITER and chain is not None and role in ROLES:
        cells.add(
            "FR",
            f"publisher_chain is for publishers; left out for writer role {role}",
            row,
            "publisher_chain",
        )
        chain = None
    given = {n for n in _SHARED_CELLS if row.get(n)}
    name = cells.text(row, "party_name")
    if not name:
        cells.add("TR", "party_name is empty; a row with a role names its party", row, "party_name")
    first = cells.text(row, "party_first_name")
    if first and side is Side.PUBLISHER:
        cells.add("FR", "a publisher has no first name; left out", row, "party_first_name")
        first = ""
        given.discard("party_first_name")
    ipi = _identifier(cells, row, "ipi_name_number", ipi_name.validate)
    base = _identifier(cells, row, "ipi_base_number", ipi_base.format)
    given -= {n for n, v in (("ipi_name_number", ipi), ("ipi_base_number", base)) if v is None}
    key = cells.text(row, "party_key") or None
    try:
        controlled = parse_flag(row.get("controlled"), True)
    except CellError as exc:
        cells.add("FR", f"controlled: {exc}; taken as Y", row, "controlled")
        controlled = True
    affiliations = []
    for right in Right:
        column = f"{right.lower()}_society"
        code = row.get(column)
        if not code:
            continue
        society = codes.society(code)
        if society is None:
            cells.add(
                "FR",
                f"unknown society code {code!r}; expected a CISAC society code (3 digits, "
                f"052 for PRS); the party's {right} society is left out",
                row,
                column,
            )
            given.discard(column)
        else:
            affiliations.append(Affiliation(society.code, right, WORLD))
    ownership = Shares(*(cells.share(row, f"{r.lower()}_ownership") for r in Right))
    collection = Shares(*(cells.share(row, f"{r.lower()}_collection") for r in Right))
    territories = []
    territory = row.get("territory")
    if territory or any(row.get(f"{r.lower()}_collection") for r in Right):
        try:
            tis, include = parse_territory(territory) if territory else (WORLD, True)
            territories.append(TerritoryShare(tis, include, collection))
        except CellError as exc:
            cells.add("TR", str(exc), row, "territory")
    rejected, cells.rejected = cells.rejected, before or cells.rejected
    if rejected:
        return None
    party = InterestedParty(
        last_name=name,
        first_name=first,
        ipi_name_number=ipi,
        ipi_base_number=base,
        is_legal_entity=side is Side.PUBLISHER,
        key=key,
        affiliations=affiliations,
    )
    claim = Claim(party, role, side, ownership, territories, controlled, chain)
    return RowClaim(row.line, claim, given)


def _identifier(cells: WorkCells, row: Row, name: str, check: Callable[[str], str]) -> str | None:
    value = row.get(name)
    if not value:
        return None
    if is_placeholder(value):
        cells.add(
            "FR",
            f"{name} {value!r}: all zeros stand for no IPI number; left out (the party is "
            "known by its party_key, else by its name on the work)",
            row,
            name,
        )
        return None
    try:
        return check(value)
    except InvalidIdentifier as exc:
        example = "00045620792" if name == "ipi_name_number" else "I-001068130-6"
        cells.add("TR", f"{exc.reason} (a valid {exc.kind} looks like {example})", row, name)
        return None


def merge_row(cells: WorkCells, row: Row, held: RowClaim, new: RowClaim) -> None:
    """Another row of a claim: its filled cells agree with the rows before; its territory."""
    for name in sorted(new.given):
        if name not in held.given:
            _take(held.claim, new.claim, name)
            held.given.add(name)
        elif _fact(new.claim, name) != _fact(held.claim, name):
            cells.add(
                "TR",
                f"{name} differs from row {held.line} for the same party, role and chain; "
                "the rows of one claim (one per territory) agree on the party and its "
                "ownership shares",
                row,
                name,
            )
    held.claim.territories.extend(new.claim.territories)
