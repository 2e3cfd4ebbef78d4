"""CWR 2.1 / 2.2 record layouts and lookup tables, loaded from package data.

The layouts live in ``adapters/cwr/layouts/cwr21.csv`` and ``cwr22.csv``; one
row per field with the columns ``record, field, start, length, type, decimals,
required, lookup, description``.  Positions are 1-based, as printed in the
CISAC specifications.  Every record type has its own rows (NWR, REV, ISW and
EXC repeat the same layout), so a record type always resolves directly.

Lookup tables live in ``adapters/cwr/lookups/<name>.csv`` (``code,description``).
Some lookup names used by the layouts are not code lists shipped here; they
are listed in :data:`EXTERNAL_LOOKUPS` and are checked by other modules
(``exchange.codes`` for societies and territories, identifier check
algorithms for IPI/ISRC/EAN numbers).

Everything is loaded once, validated (a table that is not contiguous from
position 1, repeats a field name or uses an unknown type fails loudly) and
handed out as immutable objects.

Code that cuts lines itself (the parser's first pass, renumbering, the
writer's checks) takes its positions from here too: :func:`field_slice` for
one field, :func:`record_prefix` for the prefix every transaction and detail
record starts with.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import cache
from importlib import resources
from types import MappingProxyType

__all__ = [
    "EXTERNAL_LOOKUPS",
    "FIELD_TYPES",
    "HDR_VERSION_3X",
    "VERSIONS",
    "Field",
    "LayoutError",
    "RecordLayout",
    "RecordPrefix",
    "field_slice",
    "layouts",
    "lookup",
    "lookup_descriptions",
    "lookup_names",
    "parse_layout_table",
    "record_prefix",
]

#: CWR versions with a layout table.
VERSIONS: tuple[str, ...] = ("2.1", "2.2")

#: Field types of the CWR 2.x specifications.
FIELD_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "A": "alphanumeric, left-aligned, blank-filled",
        "B": "boolean Y/N",
        "F": "flag Y/N/U",
        "D": "date YYYYMMDD, zeros when empty",
        "N": "numeric, right-justified, zero-filled",
        "T": "time or duration HHMMSS, zeros when empty",
        "L": "code from a lookup table",
    }
)

#: Lookup names used in the layouts that are not shipped as code lists here.
EXTERNAL_LOOKUPS: Mapping[str, str] = MappingProxyType(
    {
        "society_code": "CISAC society codes (exchange.codes.is_society)",
        "tis_code": "TIS numeric territory codes (exchange.codes.is_territory)",
        "ipi_name_number": "IPI name numbers (IPI database; 11 digits with check digits)",
        "ipi_base_number": "IPI base numbers (I-NNNNNNNNN-C)",
        "isrc": "ISO 3901 ISRC",
        "ean": "EAN-13 product code",
        "transmitter_code": "CWR sender/transmitter codes or society codes, plus ISW and ISR",
        "currency_code": "ISO 4217 currency codes (not used by CWR)",
    }
)

_VERSION_FILES = {"2.1": "cwr21.csv", "2.2": "cwr22.csv"}
_REQUIRED = frozenset("MCO")
_COLUMNS = ("record", "field", "start", "length", "type", "decimals", "required", "lookup")


class LayoutError(ValueError):
    """A layout or lookup table in the package data is malformed."""


@dataclass(frozen=True, slots=True)
class Field:
    """One fixed-width field of a record layout.

    ``start`` is 1-based as in the specification; ``offset`` is the 0-based
    index of the first character and ``end`` the 0-based exclusive end, which
    is also the 1-based position of the last character.
    """

    name: str
    start: int
    length: int
    type: str
    decimals: int = 0
    required: str = "O"
    lookup: str | None = None
    description: str = ""

    @property
    def offset(self) -> int:
        return self.start - 1

    @property
    def end(self) -> int:
        return self.start - 1 + self.length

    @property
    def slice(self) -> slice:
        """The field's characters (or bytes) in a record line: ``line[f.slice]``."""
        return slice(self.start - 1, self.start - 1 + self.length)


#: Where a CWR 3.x HDR carries its version: not a layout read here, only where a
#: 3.x file is recognised (to be refused) before its version is known.
HDR_VERSION_3X = Field("version", 103, 3, "A", description="CWR 3.x version, e.g. 3.1")


@dataclass(frozen=True, slots=True)
class RecordLayout:
    """The fields of one record type in one CWR version, in position order."""

    record_type: str
    fields: tuple[Field, ...]
    length: int
    version: str = ""
    _index: Mapping[str, Field] = dc_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", MappingProxyType({f.name: f for f in self.fields}))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        """The field called ``name``; ``KeyError`` if the record has none."""
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"{self.record_type} has no field {name!r}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def __iter__(self) -> Iterator[Field]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)


def _read_text(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")


def _parse_layouts(version: str, text: str) -> dict[str, RecordLayout]:
    return parse_layout_table(text, _VERSION_FILES[version], version)


def parse_layout_table(text: str, where: str, version: str = "") -> dict[str, RecordLayout]:
    """Record layouts from a layout table's CSV text (the columns above), validated.

    ``where`` names the table in errors. Other CISAC fixed-width formats keep
    their layouts in tables of the same form (the ISWC EDI format does).
    """
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in _COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise LayoutError(f"{where}: missing columns {missing}")
    grouped: dict[str, list[Field]] = {}
    for lineno, row in enumerate(reader, start=2):
        try:
            f = Field(
                name=row["field"].strip(),
                start=int(row["start"]),
                length=int(row["length"]),
                type=row["type"].strip(),
                decimals=int(row["decimals"] or 0),
                required=row["required"].strip(),
                lookup=(row["lookup"] or "").strip() or None,
                description=(row.get("description") or "").strip(),
            )
        except (TypeError, ValueError) as exc:
            raise LayoutError(f"{where} line {lineno}: {exc}") from None
        record = row["record"].strip()
        if len(record) != 3 or not record.isalpha() or not record.isupper():
            raise LayoutError(f"{where} line {lineno}: bad record type {record!r}")
        if f.type not in FIELD_TYPES:
            raise LayoutError(f"{where} line {lineno}: unknown field type {f.type!r}")
        if f.required not in _REQUIRED:
            raise LayoutError(f"{where} line {lineno}: bad required flag {f.required!r}")
        if f.length <= 0 or f.decimals < 0 or (f.decimals and f.type != "N"):
            raise LayoutError(f"{where} line {lineno}: bad length/decimals for {f.name}")
        if not f.name.isidentifier() or f.name != f.name.lower():
            raise LayoutError(f"{where} line {lineno}: field name {f.name!r} is not snake_case")
        grouped.setdefault(record, []).append(f)

    result: dict[str, RecordLayout] = {}
    for record, fields in grouped.items():
        position = 1
        seen: set[str] = set()
        for f in fields:
            if f.start != position:
                raise LayoutError(
                    f"{where}: {record}.{f.name} starts at {f.start}, expected {position} "
                    "(gap or overlap)"
                )
            if f.name in seen:
                raise LayoutError(f"{where}: {record} repeats field {f.name}")
            seen.add(f.name)
            position += f.length
        if fields[0].name != "record_type" or fields[0].length != 3:
            raise LayoutError(f"{where}: {record} does not start with record_type")
        result[record] = RecordLayout(record, tuple(fields), position - 1, version)
    return result


@cache
def layouts(version: str) -> Mapping[str, RecordLayout]:
    """All record layouts of a CWR version ("2.1" or "2.2"), keyed by record type."""
    if version not in _VERSION_FILES:
        raise ValueError(f"unsupported CWR version {version!r}; expected one of {VERSIONS}")
    text = _read_text("adapters.cwr.layouts", _VERSION_FILES[version])
    return MappingProxyType(_parse_layouts(version, text))


@cache
def field_slice(record_type: str, name: str) -> slice:
    """Where field ``name`` of a ``record_type`` record is, in every version that has it.

    ``KeyError`` if no version has it; ``LayoutError`` if the versions disagree.

    >>> field_slice("GRH", "transaction_type"), field_slice("HDR", "version")
    (slice(3, 6, None), slice(101, 104, None))
    """
    found = {
        (f.offset, f.end)
        for table in map(layouts, VERSIONS)
        if record_type in table and name in table[record_type]
        for f in (table[record_type].field(name),)
    }
    if not found:
        raise KeyError(f"no CWR version has a field {record_type}.{name}")
    if len(found) > 1:
        raise LayoutError(f"{record_type}.{name} is not at the same place in every version")
    return slice(*found.pop())


_PREFIX_FIELDS = ("record_type", "transaction_sequence", "record_sequence")


@dataclass(frozen=True, slots=True)
class RecordPrefix:
    """The fields every transaction and detail record starts with, as slices of a line.

    The same in every version (checked), so a line can be cut before its version
    or record type is known.
    """

    record_type: slice
    transaction_sequence: slice
    record_sequence: slice

    @property
    def end(self) -> int:
        """Where the prefix ends: the record's own fields start here."""
        return self.record_sequence.stop

    def numbered(self, line: str, transaction: int, record: int | None = None) -> str:
        """``line`` with other sequence numbers (its record sequence kept when None)."""
        tx = self.transaction_sequence
        numbered = line[: tx.start] + self._transaction_text(transaction)
        if record is None:
            return numbered + line[tx.stop :]
        rec = self.record_sequence
        return (
            numbered
            + line[tx.stop : rec.start]
            + str(record).zfill(rec.stop - rec.start)
            + line[rec.stop :]
        )

    def renumbered(self, lines: list[str], transaction: int) -> list[str]:
        """The lines of a transaction with another transaction sequence number (the
        number written once for them all)."""
        tx = self.transaction_sequence
        text = self._transaction_text(transaction)
        return [line[: tx.start] + text + line[tx.stop :] for line in lines]

    def _transaction_text(self, transaction: int) -> str:
        tx = self.transaction_sequence
        return str(transaction).zfill(tx.stop - tx.start)


@cache
def record_prefix() -> RecordPrefix:
    """The record prefix of the layouts (``LayoutError`` if a record type differs).

    >>> record_prefix().transaction_sequence, record_prefix().end
    (slice(3, 11, None), 19)
    """
    found = {
        tuple((f.name, f.offset, f.end) for f in layout.fields[:3])
        for table in map(layouts, VERSIONS)
        for layout in table.values()
        if _PREFIX_FIELDS[1] in layout
    }
    if len(found) != 1 or tuple(name for name, _, _ in next(iter(found))) != _PREFIX_FIELDS:
        raise LayoutError(f"records do not all start with {', '.join(_PREFIX_FIELDS)} alike")
    return RecordPrefix(*(slice(start, end) for _, start, end in found.pop()))


@cache
def _lookup_table(name: str) -> Mapping[str, str]:
    if name in EXTERNAL_LOOKUPS:
        raise KeyError(f"lookup {name!r} is not a shipped code list: {EXTERNAL_LOOKUPS[name]}")
    if not name.isidentifier():
        raise KeyError(f"no lookup table {name!r}")
    try:
        text = _read_text("adapters.cwr.lookups", f"{name}.csv")
    except FileNotFoundError:
        raise KeyError(f"no lookup table {name!r}") from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or reader.fieldnames[0] != "code":
        raise LayoutError(f"lookup {name}: first column must be 'code'")
    table: dict[str, str] = {}
    for row in reader:
        code = row["code"]
        if not code or code != code.strip():
            raise LayoutError(f"lookup {name}: bad code {code!r}")
        if code in table:
            raise LayoutError(f"lookup {name}: duplicate code {code!r}")
        table[code] = (row.get("description") or "").strip()
    return MappingProxyType(table)


def lookup(name: str) -> frozenset[str]:
    """The valid codes of the lookup table ``name`` (e.g. ``"title_type"``).

    Raises ``KeyError`` for unknown names and for the names in
    :data:`EXTERNAL_LOOKUPS`, which are validated elsewhere.
    """
    return _lookup_codes(name)


@cache
def _lookup_codes(name: str) -> frozenset[str]:
    return frozenset(_lookup_table(name))


def lookup_descriptions(name: str) -> Mapping[str, str]:
    """Code -> short description for the lookup table ``name``."""
    return _lookup_table(name)


@cache
def lookup_names() -> frozenset[str]:
    """Names of all lookup tables shipped as package data."""
    root = resources.files("adapters.cwr.lookups")
    return frozenset(p.name[: -len(".csv")] for p in root.iterdir() if p.name.endswith(".csv"))
