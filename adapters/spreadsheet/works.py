"""Work registrations in a spreadsheet: one row per work and party share.

The columns are those of the ``works`` sheet in ``columns.csv`` (see
docs/spreadsheets.md). How rows become works:

* rows with the same ``work_number`` are one work; a row with an empty
  ``work_number`` continues the work of the row above. The work's own cells
  (``title``, ``alternate_titles``, ``iswc``, ``language``) are given once,
  on any of its rows; other rows leave them empty or repeat them exactly;
* each row with a ``role`` states one party's claim; rows of one work naming
  the same party (IPI name number, else ``party_key``, else name) in the same
  role and publisher chain are one claim, one row per territory: their
  ownership and party cells agree (or are left empty on the later rows), and
  each adds its territory and collection shares. A row whose party cells are
  all empty carries only work cells;
* a row's territory: the ``territory`` cell, a leading minus excluding it;
  empty means the world (2136) when a collection cell is filled, and no
  territory at all when the collection cells are empty too;
* ``PA`` (income participant) is a publisher when ``publisher_chain`` is
  given, else a writer.

Each work becomes a ``REG`` transaction (:mod:`adapters.registrations`) whose
findings say where: the row, the column, the cell. A bad cell that leaves the
work's meaning unsure (identifier, role, share, territory, missing title or
party name, a work cell given twice differently) rejects the whole work (TR);
a cell that can be left out (an unknown society or language code) is dropped
(FR) and the work goes on.

What the sheet carries of a :class:`~exchange.model.Work`: the title and its
language, alternative titles (type AT), the ISWC, the sender's work number,
and the claims: role, side, party (names, IPI numbers, key, one world-wide
society per right), controlled, chain, ownership, territories with their
collection shares. Not carried: other title types, other work numbers,
durations and the other work header fields, the writers a publisher
represents, performers and recordings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from adapters.cwr.layout import lookup
from adapters.registrations import ReadFile, registration
from adapters.spreadsheet.table import Row, read_table, write_header, write_records
from exchange import codes
from exchange.errors import ExchangeError
from exchange.identifiers import (
    InvalidIdentifier,
    digits_value,
    ipi_base,
    ipi_name,
    is_placeholder,
    iswc,
    known,
)
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
    Title,
    Work,
    WorkNumber,
)
from exchange.normalise import normalise_name
from exchange.shares import (
    FULL,
    TOLERANCE,
    collection_totals,
    exceeds,
    percent,
    percentage,
    total,
)

KIND = "works"
#: Longest values the store keeps.
LIMITS = {
    "work_number": 20,
    "title": 200,
    "party_name": 90,
    "party_first_name": 30,
    "party_key": 20,
}
WORK_COLUMNS = ("work_number", "title", "alternate_titles", "iswc", "language")
ROLES = WRITER_ROLES | PUBLISHER_ROLES
_ROLE_LIST = "writers CA, C, A, AR, AD, TR, SA, SR, PA; publishers E, AM, SE, ES, AQ, PA"
_RIGHTS = tuple(Right)
TITLE_SEPARATOR = " | "

__all__ = [
    "KIND",
    "parse_flag",
    "parse_share",
    "parse_territory",
    "read_works",
    "work_rows",
    "write_template",
    "write_works",
]


# -- cells -----------------------------------------------------------------------------


class CellError(ValueError):
    """A cell that does not hold what its column needs; ``str()`` says what is expected."""


def parse_share(text: str) -> int:
    """A percentage cell as hundredths of a percent (empty is 0).

    >>> parse_share("33.33"), parse_share("33,33"), parse_share("50%"), parse_share("")
    (3333, 3333, 5000, 0)
    >>> parse_share("33.333")
    Traceback (most recent call last):
        ...
    adapters.spreadsheet.works.CellError: a percentage has at most two decimals: 33.333
    """
    value = text.strip().removesuffix("%").strip()
    if not value:
        return 0
    if "," in value and "." not in value and value.count(",") == 1:
        value = value.replace(",", ".")
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise CellError(f"not a percentage: {text!r}; expected a number from 0 to 100 like 33.33")
    hundredths = number * 100
    if hundredths != hundredths.to_integral_value():
        raise CellError(f"a percentage has at most two decimals: {text}")
    if not 0 <= hundredths <= FULL:
        raise CellError(f"a percentage is between 0 and 100, not {text}")
    return int(hundredths)


def parse_territory(text: str) -> tuple[str, bool]:
    """A territory cell as (TIS-N code, included); TIS numeric or alpha codes, ``-`` excludes.

    >>> parse_territory("GB"), parse_territory("-826"), parse_territory("2136")
    (('0826', True), ('0826', False), ('2136', True))
    """
    value = text.strip()
    include = not value.startswith("-")
    code = value.lstrip("-").strip()
    found = codes.territory(code) if code else None
    if found is None:
        raise CellError(
            f"unknown territory {text!r}; expected a TIS code (2136 for the world, 0826) "
            "or an ISO code (GB), with a leading minus to exclude it"
        )
    return found.tis_n, include


_YES = frozenset({"Y", "YES", "TRUE", "1", "X"})
_NO = frozenset({"N", "NO", "FALSE", "0"})


def parse_flag(text: str, default: bool) -> bool:
    """Y/N (also yes/no, true/false, 1/0); empty is ``default``; CellError for the rest."""
    value = text.strip().upper()
    if not value:
        return default
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise CellError(f"expected Y or N, not {text!r}")


def _share_cell(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


# -- reading ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Group:
    """The rows of one work."""

    number: str
    rows: list[Row] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.rows[0].line


def _groups(rows: list[Row]) -> list[_Group]:
    by_number: dict[str, _Group] = {}
    found: list[_Group] = []
    current: _Group | None = None
    for row in rows:
        number = row.get("work_number")
        if number:
            group = by_number.get(number)
            if group is None:
                group = by_number[number] = _Group(number)
                found.append(group)
        elif current is None:
            group = _Group("")
            group.findings.append(
                Finding(
                    "TR",
                    "work_number is empty on the first row: rows without a work number "
                    "continue the work above, and there is none; give the work's number",
                    row.line,
                    KIND,
                    "work_number",
                    "",
                )
            )
            found.append(group)
        else:
            group = current
        group.rows.append(row)
        current = group
    return found


class _Cells:
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


def _work_cell(cells: _Cells, group: _Group, name: str) -> tuple[str, Row | None]:
    """The value of a work cell: given on one row, empty or the same on the others."""
    value, given = "", None
    for row in group.rows:
        cell = cells.text(row, name)
        if not cell:
            continue
        if given is None:
            value, given = cell, row
        elif cell != value:
            cells.add(
                "TR",
                f"{name} {cell!r} differs from {value!r} on row {given.line} for work "
                f"{group.number!r}; a work's {name} is given once (other rows leave it "
                "empty or repeat it)",
                row,
                name,
            )
    return value, given


@dataclass(slots=True)
class _RowClaim:
    """What one row says of a claim, and which of its party cells were filled."""

    line: int
    claim: Claim
    given: set[str]

    def same(self, other: _RowClaim) -> bool:
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
        shares = {r.lower(): held.ownership.get(r) for r in _RIGHTS}
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


def _row_claim(cells: _Cells, row: Row) -> _RowClaim | None:
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
    for right in _RIGHTS:
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
    ownership = Shares(*(cells.share(row, f"{r.lower()}_ownership") for r in _RIGHTS))
    collection = Shares(*(cells.share(row, f"{r.lower()}_collection") for r in _RIGHTS))
    territories = []
    territory = row.get("territory")
    if territory or any(row.get(f"{r.lower()}_collection") for r in _RIGHTS):
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
    return _RowClaim(row.line, claim, given)


def _identifier(cells: _Cells, row: Row, name: str, check: Callable[[str], str]) -> str | None:
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


def _merge(cells: _Cells, row: Row, held: _RowClaim, new: _RowClaim) -> None:
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


def _work(group: _Group, sender: str) -> tuple[Work, list[Finding]]:
    findings = group.findings
    cells = _Cells(findings)
    head = group.rows[0]
    if group.number:
        cells.text(head, "work_number")
    title, _ = _work_cell(cells, group, "title")
    if not title:
        cells.add("TR", f"work {group.number!r} has no title", head, "title", "")
    iswc_text, iswc_row = _work_cell(cells, group, "iswc")
    iswc_value = None
    if iswc_text and iswc_row is not None:
        try:
            iswc_value = iswc.validate(iswc_text)
        except InvalidIdentifier as exc:
            cells.add(
                "TR", f"{exc.reason} (a valid ISWC looks like T-034.524.680-1)", iswc_row, "iswc"
            )
    language, language_row = _work_cell(cells, group, "language")
    if language and language_row is not None:
        if language.upper() in lookup("language_code"):
            language = language.upper()
        else:
            cells.add(
                "FR",
                f"unknown language code {language!r}; expected a CWR language code (EN, FR...); "
                "left out",
                language_row,
                "language",
            )
            language = ""
    alternates, alt_row = _work_cell(cells, group, "alternate_titles")
    titles = []
    for alternate in (t.strip() for t in alternates.split("|")):
        if not alternate:
            continue
        if len(alternate) > LIMITS["title"] and alt_row is not None:
            cells.add(
                "TR",
                f"an alternative title is longer than {LIMITS['title']} characters",
                alt_row,
                "alternate_titles",
            )
        titles.append(Title(alternate, "AT"))

    claims: list[_RowClaim] = []
    for row in group.rows:
        found = _row_claim(cells, row)
        if found is None:
            continue
        held = next((c for c in claims if c.same(found)), None)
        if held is None:
            claims.append(found)
        else:
            _merge(cells, row, held, found)
    work = Work(
        title=title,
        iswc=iswc_value,
        language=language or None,
        titles=titles,
        numbers=[WorkNumber(sender, group.number)] if group.number else [],
        claims=[c.claim for c in claims],
    )
    if not cells.rejected:
        _check_totals(cells, work, head)
    findings.sort(key=lambda f: f.line or 0)
    return work, findings


def _check_totals(cells: _Cells, work: Work, head: Row) -> None:
    owned = total(c.ownership for c in work.claims)
    for right in _RIGHTS:
        if exceeds(owned.get(right)):
            cells.add(
                "TR",
                f"the {right} ownership shares of the work add up to {percent(owned.get(right))}; "
                f"at most 100% ({percentage(TOLERANCE)} tolerated)",
                head,
                f"{right.lower()}_ownership",
                percent(owned.get(right)),
            )
    for right, (collected, tis) in collection_totals(work.claims).items():
        if exceeds(collected):
            cells.add(
                "TR",
                f"the {right} collection shares add up to {percent(collected)} in territory {tis}; "
                f"at most 100% ({percentage(TOLERANCE)} tolerated)",
                head,
                f"{right.lower()}_collection",
                percent(collected),
            )


def read_works(path: Path, sender: str | None) -> ReadFile:
    """The works of a works sheet, one ``REG`` transaction each, numbered by ``sender``.

    File-level problems are ER findings of a rejected file (no header, required
    columns missing); a file that is not a sheet at all raises ExchangeError.
    """
    table = read_table(path, KIND)
    read = ReadFile(format=table.format, findings=list(table.findings))
    if table.rejected:
        read.file_rejected = True
        return read
    for sequence, group in enumerate(_groups(table.rows), start=1):
        work, findings = _work(group, sender or "?")
        read.transactions.append(registration(work, group.number, sequence, group.line, findings))
    return read


# -- writing ---------------------------------------------------------------------------


def _compact_iswc(value: str | None) -> str | None:
    if not value:
        return None
    return iswc.compact(value) if iswc.is_valid(value) else value


def work_rows(work: Work, sender: str) -> Iterator[dict[str, object]]:
    """The rows of one work, as column name -> value (text, int, Decimal or None)."""
    number = work.number(sender) or (str(work.id) if work.id is not None else None)
    if not number:
        raise ExchangeError(
            f"work {work.title!r} has neither a number from {sender} nor an id: "
            "a works sheet names every work"
        )
    head: dict[str, object] = {
        "work_number": number,
        "title": work.title,
        "alternate_titles": TITLE_SEPARATOR.join(t.title for t in work.titles if t.type == "AT")
        or None,
        "iswc": _compact_iswc(work.iswc),
        "language": work.language,
    }
    if not work.claims:
        yield head
        return
    highest = max((c.chain or 0 for c in work.publishers), default=0)
    for claim in work.claims:
        party = claim.party
        chain = claim.chain if claim.side is Side.PUBLISHER else None
        if claim.side is Side.PUBLISHER and claim.role == "PA" and chain is None:
            highest += 1  # without a chain a PA would read back as a writer
            chain = highest
        societies = party.societies()
        row = {
            **head,
            "role": claim.role,
            "party_name": party.last_name,
            "party_first_name": party.first_name or None,
            "ipi_name_number": known(party.ipi_name_number),
            "ipi_base_number": known(party.ipi_base_number),
            "party_key": party.key,
            "controlled": "Y" if claim.controlled else "N",
            "publisher_chain": chain,
            **{f"{r.lower()}_society": societies.get(r) for r in _RIGHTS},
            **{f"{r.lower()}_ownership": _share_cell(claim.ownership.get(r)) for r in _RIGHTS},
        }
        if not claim.territories:
            yield row
        for territory in claim.territories:
            yield {
                **row,
                "territory": ("" if territory.include else "-") + territory.tis,
                **{
                    f"{r.lower()}_collection": _share_cell(territory.collection.get(r))
                    for r in _RIGHTS
                },
            }


def write_works(path: Path, works: Iterable[Work], sender: str, fmt: str | None = None) -> int:
    """Write works as a works sheet (CSV or XLSX, from ``fmt`` or the suffix); how many.

    The work number is the one ``sender`` gave the work, else the work's local id.
    """
    return write_records(path, KIND, works, lambda work: work_rows(work, sender), fmt)


def write_template(path: Path, kind: str = "works", fmt: str | None = None) -> None:
    """An empty sheet to fill in: the header row (XLSX: with each column described)."""
    write_header(path, kind, fmt)
