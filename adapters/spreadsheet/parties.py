"""Interested parties in a spreadsheet: one row per party and society membership.

The columns are those of the ``parties`` sheet in ``columns.csv`` (see
docs/spreadsheets.md). Rows with the same IPI name number, else the same
``party_key``, are one party (a row giving both ties the key to the number for
the rows that give only the key). A party without any membership is one row
with ``society``, ``right`` and ``territory`` empty.

The rows of one party agree on its names, IPI base number, key and
``legal_entity``: a cell may be left empty on all but one of them, but two
different values reject the party (TR), as do a bad IPI number, a missing name
or a row that gives neither an IPI name number nor a key. A membership that
cannot be understood (unknown society, right or territory) is left out (FR)
and the party goes on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from adapters.spreadsheet.table import Row, read_table, write_records
from adapters.spreadsheet.values import CellError, parse_flag, parse_territory
from exchange import codes
from exchange.identifiers import InvalidIdentifier, ipi_base, ipi_name, is_placeholder, known
from exchange.model import WORLD, Affiliation, Finding, InterestedParty, Right

KIND = "parties"
LIMITS = {"last_name": 90, "first_name": 30, "party_key": 20}
#: Cells the rows of one party share.
_PARTY_CELLS = ("ipi_base_number", "party_key", "last_name", "first_name", "legal_entity")
_EXAMPLES = {"ipi_name_number": "00045620792", "ipi_base_number": "I-001068130-6"}
_NUMBER_KINDS = {"ipi_name_number": ipi_name.KIND, "ipi_base_number": ipi_base.KIND}

__all__ = ["KIND", "SheetParty", "party_rows", "read_parties", "write_parties"]


@dataclass(slots=True)
class SheetParty:
    """One party of a parties sheet: the row it starts on, what was read, what was found."""

    line: int
    party: InterestedParty
    findings: list[Finding] = field(default_factory=list)
    rejected: bool = False

    def add(self, level: str, message: str, row: Row, name: str, value: str | None = None) -> None:
        self.findings.append(
            Finding(level, message, row.line, KIND, name, row.get(name) if value is None else value)
        )
        if level in ("ER", "GR", "TR"):
            self.rejected = True


@dataclass(slots=True)
class _Read:
    """One row, its cells checked."""

    row: Row
    ipi: str | None
    values: dict[str, object]
    problems: list[tuple[str, str, str]]  # (level, message, column)


def _check_row(row: Row) -> _Read:
    problems: list[tuple[str, str, str]] = []
    values: dict[str, object] = {}
    found: dict[str, str | None] = {}
    for name, check in (
        ("ipi_name_number", ipi_name.validate),
        ("ipi_base_number", ipi_base.format),
    ):
        text = row.get(name)
        found[name] = None
        if text and is_placeholder(text):
            problems.append(
                (
                    "FR",
                    f"all zeros stand for no {_NUMBER_KINDS[name]}; left out (the party is "
                    "known by its party_key)",
                    name,
                )
            )
        elif text:
            try:
                found[name] = check(text)
            except InvalidIdentifier as exc:
                problems.append(
                    ("TR", f"{exc.reason} (a valid {exc.kind} looks like {_EXAMPLES[name]})", name)
                )
    for name, limit in LIMITS.items():
        text = row.get(name)
        if len(text) > limit:
            problems.append(("TR", f"{name} is {len(text)} characters long; at most {limit}", name))
    if row.get("ipi_base_number") and found["ipi_base_number"]:
        values["ipi_base_number"] = found["ipi_base_number"]
    for name in ("party_key", "last_name", "first_name"):
        if row.get(name):
            values[name] = row.get(name)
    if row.get("legal_entity"):
        try:
            values["legal_entity"] = parse_flag(row.get("legal_entity"), False)
        except CellError as exc:
            problems.append(("FR", f"legal_entity: {exc}; taken as N", "legal_entity"))
    if is_placeholder(row.get("ipi_name_number")) and not row.get("party_key"):
        problems.append(
            (
                "TR",
                "a row needs the party's ipi_name_number or its party_key: how it is known",
                "ipi_name_number",
            )
        )
    return _Read(row, found["ipi_name_number"], values, problems)


def _affiliation(party: SheetParty, row: Row) -> Affiliation | None:
    code, right, territory = row.get("society"), row.get("right").upper(), row.get("territory")
    if not (code or right or territory):
        return None
    society = codes.society(code) if code else None
    if society is None:
        message = (
            f"unknown society code {code!r}; expected a CISAC society code (3 digits, 052 for PRS)"
            if code
            else "society is empty; a membership names the society (3 digits, 052 for PRS)"
        )
        party.add("FR", f"{message}; the membership is left out", row, "society")
        return None
    if right not in Right.__members__:
        party.add(
            "FR",
            f"right {row.get('right')!r}: expected PR, MR or SR; the membership is left out",
            row,
            "right",
        )
        return None
    tis = WORLD
    if territory:
        try:
            tis, include = parse_territory(territory)
        except CellError as exc:
            party.add("FR", f"{exc}; the membership is left out", row, "territory")
            return None
        if not include:
            party.add(
                "FR",
                "a membership cannot exclude a territory; give the territory it is for; "
                "the membership is left out",
                row,
                "territory",
            )
            return None
    return Affiliation(society.code, Right(right), tis)


def _identities(reads: list[_Read]) -> tuple[list[tuple[object, ...]], dict[int, str]]:
    """The party each row belongs to, and rows whose key was tied to another IPI before."""
    ipi_of_key: dict[str, tuple[str, int]] = {}
    clashes: dict[int, str] = {}
    for read in reads:
        key = read.row.get("party_key")
        if read.ipi and key:
            held = ipi_of_key.setdefault(key, (read.ipi, read.row.line))
            if held[0] != read.ipi:
                clashes[read.row.line] = (
                    f"party_key {key!r} is given with IPI name number {held[0]} on row "
                    f"{held[1]}; one key names one party"
                )
    found: list[tuple[object, ...]] = []
    for read in reads:
        key = read.row.get("party_key")
        text = read.row.get("ipi_name_number")
        if read.ipi:
            found.append(("ipi", read.ipi))
        elif not is_placeholder(text):
            found.append(("bad", text))  # a bad IPI: its rows stay together, rejected
        elif key in ipi_of_key:
            found.append(("ipi", ipi_of_key[key][0]))
        else:
            found.append(("key", key))
    return found, clashes


def read_parties(path: Path) -> tuple[list[SheetParty], list[Finding]]:
    """The parties of a parties sheet, and the findings about the file as a whole.

    A sheet whose header lacks required columns gives no parties and ER findings; a
    file that is not a sheet at all raises ExchangeError.
    """
    table = read_table(path, KIND)
    if not table.rejected and not {"ipi_name_number", "party_key"} & set(table.columns):
        table.reject(
            "the header has neither ipi_name_number nor party_key: a parties sheet names "
            "each party by one of them (or both)",
            "ipi_name_number",
        )
    if table.rejected:
        return [], table.findings
    reads = [_check_row(row) for row in table.rows]
    identities, clashes = _identities(reads)
    groups: dict[tuple[object, ...], list[_Read]] = {}
    for read, identity in zip(reads, identities, strict=True):
        groups.setdefault(identity, []).append(read)
    parties = [_party(identity, rows, clashes) for identity, rows in groups.items()]
    return parties, table.findings


def _party(identity: tuple[object, ...], reads: list[_Read], clashes: dict[int, str]) -> SheetParty:
    first = reads[0]
    result = SheetParty(first.row.line, InterestedParty(last_name=""))
    values: dict[str, object] = {}
    given_on: dict[str, int] = {}
    affiliations: dict[tuple[Right, str], tuple[Affiliation, int]] = {}
    for read in reads:
        row = read.row
        for level, message, name in read.problems:
            result.add(level, message, row, name)
        if row.line in clashes:
            result.add("TR", clashes[row.line], row, "party_key")
        for name in _PARTY_CELLS:
            if name not in read.values:
                continue
            if name not in values:
                values[name], given_on[name] = read.values[name], row.line
            elif values[name] != read.values[name]:
                result.add(
                    "TR",
                    f"{name} differs from row {given_on[name]} for the same party; the rows "
                    "of one party (one per membership) agree on its names and numbers",
                    row,
                    name,
                )
        affiliation = _affiliation(result, row)
        if affiliation is None:
            continue
        slot = (affiliation.right, affiliation.territory)
        held = affiliations.get(slot)
        if held is None:
            affiliations[slot] = (affiliation, row.line)
        elif held[0].society != affiliation.society:
            result.add(
                "FR",
                f"the {affiliation.right} membership in {affiliation.territory} is given as "
                f"society {held[0].society} on row {held[1]}; this one is left out",
                row,
                "society",
            )
    party = result.party
    party.ipi_name_number = str(identity[1]) if identity[0] == "ipi" else None
    party.ipi_base_number = values.get("ipi_base_number")  # type: ignore[assignment]
    party.key = values.get("party_key")  # type: ignore[assignment]
    party.last_name = str(values.get("last_name", ""))
    party.first_name = str(values.get("first_name", ""))
    party.is_legal_entity = bool(values.get("legal_entity", False))
    party.affiliations = [a for a, _ in affiliations.values()]
    if not party.last_name:
        result.add("TR", "last_name is empty; every party has a name", first.row, "last_name")
    result.findings.sort(key=lambda f: f.line or 0)
    return result


# -- writing ---------------------------------------------------------------------------


def party_rows(party: InterestedParty) -> Iterator[dict[str, object]]:
    """The rows of one party, as column name -> value."""
    head: dict[str, object] = {
        "ipi_name_number": known(party.ipi_name_number),
        "ipi_base_number": known(party.ipi_base_number),
        "party_key": party.key,
        "last_name": party.last_name,
        "first_name": party.first_name or None,
        "legal_entity": "Y" if party.is_legal_entity else "N",
    }
    if not party.affiliations:
        yield head
    for a in party.affiliations:
        yield {**head, "society": a.society, "right": str(a.right), "territory": a.territory}


def write_parties(path: Path, parties: Iterable[InterestedParty], fmt: str | None = None) -> int:
    """Write parties as a parties sheet (CSV or XLSX, from ``fmt`` or the suffix); how many."""
    return write_records(path, KIND, parties, party_rows, fmt)
