"""CISAC's catalogue of CWR 2.x validation edits, shared by the validator and the ACK writer.

The data lives in ``adapters/cwr/edits.csv`` (columns ``record, letter, number,
society, level, message, since, source``) and is the source of truth; it was
transcribed from CISAC's *CWR Error Messages* (CWR08-2493, 2014) and completed
from the CWR 2.2 functional specification (CWR19-1070R1) where that catalogue
has no entry.  The ``source`` column says which document a row comes from.

How an edit is identified
-------------------------
CISAC numbers every validation rule within the record type it belongs to and
within the scope at which it is checked.  An edit is therefore named by four
parts, exactly as an MSG record of an ACK refers to it:

* ``record`` - the record type whose section of the specification holds the
  rule (``NWR``, ``SPU``, ``HDR`` ...).  The catalogue files rules shared by
  several record types under one of them: NWR also covers REV, ISW and EXC;
  SPU covers OPU, SPT covers OPT, SWR covers OWR, SWT covers OWT and NET
  covers NCT and NVT.  ``FIL`` holds the file-structure rules (letter ``E``)
  and the record-prefix rules (letter ``F``).  :func:`edit` and
  :func:`edits_for` accept either spelling (see :data:`CATALOGUE_RECORD`).
* ``letter`` - where the rule is checked: ``E`` file, ``G`` group,
  ``T`` transaction, ``R`` record, ``F`` field.  This is the MSG "Message
  Level".
* ``number`` - the three-digit validation number, unique within record and
  letter for one society (the MSG "Validation Number").
* ``society`` - ``000`` for a rule every recipient applies, otherwise the
  CISAC code of the only society (or hub, e.g. ``319`` ICE, ``707``
  MusicMark) that applies it.  Different societies reuse the same number for
  unrelated rules, so the society is part of the key.

:attr:`Edit.id` spells this as ``RECORD-LETTER-NUMBER`` for a generic edit
(``SWR-F-012``) and appends the society for a society-specific one
(``NWR-T-046-074``), so an id is unique across the table.

Levels
------
The ``level`` says how much of the submission a failed edit throws away:
``ER`` the whole file, ``GR`` the group, ``TR`` the transaction (the work is
rejected), ``RR`` only the offending record, ``FR`` only the field, which is
replaced by the default named in the message ("replaced with spaces").  Level
and letter are independent: a field edit (``F``) may reject the whole
transaction (``TR``).

Messages are the catalogue's wording on one line, with typographic quotes and
dashes turned into ASCII so they can go straight into an MSG record (the MSG
text field holds 150 characters; 44 of the messages are longer and have to
be cut by the writer).  Catalogue numbers marked "Reserved for future use" are
not edits and are not in the table.  ``since`` is the first CWR version the
edit applies to (``2.1`` or ``2.2``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

from exchange.identifiers import is_digits

__all__ = [
    "CATALOGUE_RECORD",
    "GENERIC_SOCIETY",
    "LETTERS",
    "LEVELS",
    "Edit",
    "all_edits",
    "edit",
    "edits_for",
]

#: Society code of edits that every recipient applies.
GENERIC_SOCIETY = "000"

#: Where an edit is checked (MSG "Message Level").
LETTERS: Mapping[str, str] = MappingProxyType(
    {"E": "file", "G": "group", "T": "transaction", "R": "record", "F": "field"}
)

#: What a failed edit rejects.
LEVELS: Mapping[str, str] = MappingProxyType(
    {
        "ER": "entire file rejected",
        "GR": "entire group rejected",
        "TR": "entire transaction rejected",
        "RR": "record rejected",
        "FR": "field rejected and replaced by its default",
    }
)

#: Record types whose edits the catalogue files under another record type.
CATALOGUE_RECORD: Mapping[str, str] = MappingProxyType(
    {
        "REV": "NWR",
        "ISW": "NWR",
        "EXC": "NWR",
        "OPU": "SPU",
        "OPT": "SPT",
        "OWR": "SWR",
        "OWT": "SWT",
        "NCT": "NET",
        "NVT": "NET",
    }
)

_COLUMNS = ["record", "letter", "number", "society", "level", "message", "since", "source"]
_VERSIONS = frozenset({"2.1", "2.2"})


@dataclass(frozen=True, slots=True)
class Edit:
    """One CWR 2.x validation edit."""

    record: str
    letter: str
    number: str
    society: str
    level: str
    message: str
    since: str

    @property
    def id(self) -> str:
        """``RECORD-LETTER-NUMBER``, plus ``-SOCIETY`` for a society-specific edit."""
        base = f"{self.record}-{self.letter}-{self.number}"
        return base if self.society == GENERIC_SOCIETY else f"{base}-{self.society}"

    @property
    def generic(self) -> bool:
        """True when every recipient applies the edit (society ``000``)."""
        return self.society == GENERIC_SOCIETY


def _code(value: int | str, what: str) -> str:
    text = str(value).strip()
    if not is_digits(text) or len(text) > 3:
        raise ValueError(f"{what} must be a number of at most 3 digits, got {value!r}")
    return text.zfill(3)


def _record(record: str) -> str:
    record = record.strip().upper()
    return CATALOGUE_RECORD.get(record, record)


def _parse(text: str) -> tuple[Edit, ...]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames != _COLUMNS:
        raise ValueError(f"edits.csv: expected columns {_COLUMNS}, got {reader.fieldnames}")
    edits: list[Edit] = []
    seen: set[tuple[str, str, str, str]] = set()
    for line, row in enumerate(reader, start=2):
        item = Edit(
            record=row["record"],
            letter=row["letter"],
            number=row["number"],
            society=row["society"],
            level=row["level"],
            message=row["message"],
            since=row["since"],
        )
        problems = [
            name
            for name, ok in (
                ("record", len(item.record) == 3 and item.record.isalpha()),
                ("letter", item.letter in LETTERS),
                ("number", len(item.number) == 3 and is_digits(item.number)),
                ("society", len(item.society) == 3 and is_digits(item.society)),
                ("level", item.level in LEVELS),
                ("message", bool(item.message.strip())),
                ("since", item.since in _VERSIONS),
            )
            if not ok
        ]
        if problems:
            raise ValueError(f"edits.csv line {line}: bad {', '.join(problems)}: {row}")
        key = (item.record, item.letter, item.number, item.society)
        if key in seen:
            raise ValueError(f"edits.csv line {line}: duplicate edit {item.id}")
        seen.add(key)
        edits.append(item)
    return tuple(edits)


@cache
def all_edits() -> tuple[Edit, ...]:
    """Every edit, in catalogue order (record, then letter E G T R F, number, society)."""
    text = resources.files("adapters.cwr").joinpath("edits.csv").read_text(encoding="utf-8")
    return _parse(text)


@cache
def _index() -> Mapping[tuple[str, str, str, str], Edit]:
    return MappingProxyType({(e.record, e.letter, e.number, e.society): e for e in all_edits()})


def edit(record: str, letter: str, number: int | str, society: str = GENERIC_SOCIETY) -> Edit:
    """Look an edit up by record type, level letter, validation number and society.

    ``record`` may be any record type the edit applies to (``REV`` finds the
    ``NWR`` edits).  With a society other than ``000`` the society's own edit
    is returned if it has one under that number, otherwise the generic edit,
    so ``society`` can simply be the recipient.  Raises :class:`KeyError`
    when neither exists.

    >>> edit("SWR", "F", 12).id
    'SWR-F-012'
    >>> edit("REV", "T", 46, society="074").id
    'NWR-T-046-074'
    """
    key = (_record(record), letter.strip().upper(), _code(number, "number"))
    soc = _code(society, "society")
    index = _index()
    found = index.get((*key, soc)) or index.get((*key, GENERIC_SOCIETY))
    if found is None:
        where = "" if soc == GENERIC_SOCIETY else f" (generic or for society {soc})"
        raise KeyError(f"no CWR edit {'-'.join(key)}{where} in the CWR 2.x catalogue")
    return found


def edits_for(record: str) -> list[Edit]:
    """All edits filed under ``record`` (or under its catalogue record type), in order."""
    wanted = _record(record)
    return [e for e in all_edits() if e.record == wanted]
