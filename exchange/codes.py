"""CISAC society codes and TIS territory codes.

The tables are package data (``exchange/data/*.json``) generated from the
CISAC documents by ``scripts/build_code_tables.py``; each file names its
sources (see :func:`sources`).  They are loaded on first use and cached.

Society codes are the 3-digit CISAC codes; ``'52'``, ``'052'`` and ``52``
are the same code.  The CWR 2.x society code table also has two values that
are not societies, ``000`` (DP, public domain) and ``099`` (NS); they are
only accepted when ``cwr=True`` is passed.

>>> society('52').name
'PRS'
>>> is_society(58), is_society('999')
(True, False)
>>> is_society('000'), is_society('000', cwr=True)
(False, True)

Territories use the TIS-N numeric code (4 digits in CWR, e.g. ``'0826'``);
``'826'`` and ``826`` are accepted, and so is a TIS-A code such as ``'GB'``
or ``'2WL'``.  Groups (2100-2136) resolve through the TIS hierarchy to
country codes:

>>> territory('GB').tis_n, territory(2136).name
('0826', 'WORLD')
>>> sorted(countries_in('2110'))
['0056', '0442', '0528']
>>> world_without_uk = resolve([(True, '2136'), (False, '0826')])
>>> '0826' in world_without_uk, '0250' in world_without_uk
(False, True)

Every entry and hierarchy link has validity dates.  Pass ``on=`` to respect
them; without a date they are ignored, so a group then yields every country
that ever belonged to it (e.g. both 0280 West Germany and 0276 Germany):

>>> sorted(countries_in('2124', on=dt.date(1985, 1, 1)))
['0040', '0280', '0756']
>>> sorted(countries_in('2124'))
['0040', '0276', '0280', '0756']
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

from exchange.identifiers import is_digits

__all__ = [
    "Membership",
    "Society",
    "Territory",
    "TerritoryName",
    "countries_in",
    "is_society",
    "is_territory",
    "members",
    "resolve",
    "society",
    "society_name",
    "sources",
    "territory",
]


def _covers(start: dt.date | None, end: dt.date | None, on: dt.date) -> bool:
    return (start is None or start <= on) and (end is None or on <= end)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class Society:
    """One entry of the CISAC society code table.

    ``country`` is free text as written in the CISAC listing (not a TIS
    code).  ``cwr_only`` marks the CWR 2.x values 000 (DP) and 099 (NS).
    """

    code: str
    name: str
    former_name: str | None = None
    status: str | None = None
    repertoire: str | None = None
    country: str | None = None
    founded: int | None = None
    ended: int | None = None
    member_from: int | None = None
    member_until: int | None = None
    comment: str | None = None
    description: str | None = None
    cwr_only: bool = False


@dataclass(frozen=True, slots=True)
class TerritoryName:
    """A name period of a territory; the TIS-A code belongs to the period."""

    tis_a: str
    name: str
    tis_a_ext: str | None = None
    official_name: str | None = None
    abbreviated_name: str | None = None
    unofficial_name: str | None = None
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    source: str | None = None

    def valid_on(self, on: dt.date) -> bool:
        return _covers(self.valid_from, self.valid_until, on)


@dataclass(frozen=True, slots=True)
class Territory:
    """A TIS territory (country or group) with its dated names."""

    tis_n: str
    type: str
    names: tuple[TerritoryName, ...]
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    remark: str | None = None
    source: str | None = None

    @property
    def tis_a(self) -> str:
        """TIS-A code of the latest name period."""
        return self.names[-1].tis_a

    @property
    def name(self) -> str:
        """Latest name."""
        return self.names[-1].name

    @property
    def is_group(self) -> bool:
        return self.type != "country"

    def exists_on(self, on: dt.date) -> bool:
        return _covers(self.valid_from, self.valid_until, on)

    def name_on(self, on: dt.date) -> TerritoryName | None:
        return next((n for n in self.names if n.valid_on(on)), None)


@dataclass(frozen=True, slots=True)
class Membership:
    """A direct member of a territory group and when it belonged to it."""

    tis_n: str
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    def valid_on(self, on: dt.date) -> bool:
        return _covers(self.valid_from, self.valid_until, on)


# --------------------------------------------------------------------------
# loading


def _load(filename: str) -> dict[str, Any]:
    text = resources.files("exchange.data").joinpath(filename).read_text(encoding="utf-8")
    return json.loads(text)


@dataclass(frozen=True, slots=True)
class _SocietyTable:
    societies: dict[str, Society]
    cwr_special: dict[str, Society]
    sources: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class _TerritoryTable:
    by_tis_n: dict[str, Territory]
    by_tis_a: dict[str, str]  # TIS-A -> TIS-N of its latest use
    tis_a_periods: dict[str, tuple[tuple[TerritoryName, str], ...]]
    members: dict[str, tuple[Membership, ...]]
    sources: tuple[dict[str, Any], ...]


@functools.cache
def _society_table() -> _SocietyTable:
    data = _load("societies.json")
    return _SocietyTable(
        societies={s["code"]: Society(**s) for s in data["societies"]},
        cwr_special={s["code"]: Society(**s) for s in data["cwr_special"]},
        sources=tuple(data["sources"]),
    )


def _territory_name(entry: dict[str, Any]) -> TerritoryName:
    fields = {k: v for k, v in entry.items() if k not in ("from", "until")}
    return TerritoryName(
        **fields, valid_from=_date(entry.get("from")), valid_until=_date(entry.get("until"))
    )


@functools.cache
def _territory_table() -> _TerritoryTable:
    data = _load("territories.json")
    by_tis_n: dict[str, Territory] = {}
    periods: dict[str, list[tuple[TerritoryName, str]]] = {}
    for entry in data["territories"]:
        names = sorted(
            (_territory_name(n) for n in entry["names"]),
            key=lambda n: n.valid_from or dt.date.min,
        )
        territory = Territory(
            tis_n=entry["tis_n"],
            type=entry["type"],
            names=tuple(names),
            valid_from=_date(entry.get("from")),
            valid_until=_date(entry.get("until")),
            remark=entry.get("remark"),
            source=entry.get("source"),
        )
        by_tis_n[territory.tis_n] = territory
        for name in names:
            periods.setdefault(name.tis_a, []).append((name, territory.tis_n))
    # Without a date a TIS-A code means the territory that used it last.
    by_tis_a = {
        tis_a: max(uses, key=lambda u: u[0].valid_until or dt.date.max)[1]
        for tis_a, uses in periods.items()
    }
    members = {
        group["group"]: tuple(
            Membership(m["tis_n"], _date(m.get("from")), _date(m.get("until")))
            for m in group["members"]
        )
        for group in data["hierarchy"]
    }
    return _TerritoryTable(
        by_tis_n=by_tis_n,
        by_tis_a=by_tis_a,
        tis_a_periods={k: tuple(v) for k, v in periods.items()},
        members=members,
        sources=tuple(data["sources"]),
    )


def sources(table: Literal["societies", "territories"]) -> tuple[dict[str, Any], ...]:
    """The source documents recorded in a generated table.

    >>> [s['document'] for s in sources('territories')][:2]
    ['TIS09-1540a', 'TIS09-1540c']
    """
    if table == "societies":
        return _society_table().sources
    if table == "territories":
        return _territory_table().sources
    raise ValueError(f"unknown table: {table!r}")


# --------------------------------------------------------------------------
# societies


def _society_key(code: str | int) -> str | None:
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return f"{code:03d}" if 0 <= code <= 999 else None
    if isinstance(code, str):
        code = code.strip()
        if 0 < len(code) <= 3 and is_digits(code):
            return code.zfill(3)
    return None


def society(code: str | int, cwr: bool = False) -> Society | None:
    """The society with this CISAC code, or None.

    With ``cwr=True`` the CWR 2.x values 000 (DP) and 099 (NS) are found too.

    >>> society(35).name, society('021').name
    ('GEMA', 'BMI')
    >>> society('99') is None, society('99', cwr=True).name
    (True, 'NS')
    """
    key = _society_key(code)
    if key is None:
        return None
    table = _society_table()
    found = table.societies.get(key)
    if found is None and cwr:
        found = table.cwr_special.get(key)
    return found


def is_society(code: str | int, cwr: bool = False) -> bool:
    """Whether this is a CISAC society code (O(1)); see :func:`society`."""
    return society(code, cwr) is not None


def society_name(code: str | int, cwr: bool = False) -> str | None:
    """The society name for a code, or None.

    >>> society_name('010')
    'ASCAP'
    """
    found = society(code, cwr)
    return found.name if found else None


# --------------------------------------------------------------------------
# territories


def _tis_n(code: str | int, on: dt.date | None = None) -> str | None:
    """The TIS-N for a numeric or TIS-A code, or None when unknown."""
    table = _territory_table()
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        key = f"{code:04d}" if 0 <= code <= 9999 else None
        return key if key in table.by_tis_n else None
    if not isinstance(code, str):
        return None
    if code in table.by_tis_n:  # the usual case: a 4-digit CWR code
        return code
    code = code.strip()
    if is_digits(code):
        key = code.zfill(4) if len(code) <= 4 else None
        return key if key in table.by_tis_n else None
    code = code.upper()
    if on is None:
        return table.by_tis_a.get(code)
    return next((n for name, n in table.tis_a_periods.get(code, ()) if name.valid_on(on)), None)


def territory(code: str | int, on: dt.date | None = None) -> Territory | None:
    """The territory for a TIS-N or TIS-A code, or None.

    With a date, only a territory that existed then (and, for a TIS-A code,
    used that code then) is returned.  Without a date a reused TIS-A code
    means its latest user ('DE' is 0276 Germany, not 0280 West Germany).

    >>> territory('0826').name
    'UNITED KINGDOM'
    >>> territory('DE').tis_n, territory('DE', on=dt.date(1980, 1, 1)).tis_n
    ('0276', '0280')
    >>> territory('0810').name, territory('0810', on=dt.date(2000, 1, 1))
    ('USSR', None)
    """
    tis_n = _tis_n(code, on)
    if tis_n is None:
        return None
    found = _territory_table().by_tis_n[tis_n]
    if on is not None and not found.exists_on(on):
        return None
    return found


def is_territory(code: str | int, on: dt.date | None = None) -> bool:
    """Whether this is a known TIS code (existing on ``on`` when given); O(1)."""
    if on is None and isinstance(code, str) and code in _territory_table().by_tis_n:
        return True
    return territory(code, on) is not None


def _require_tis_n(code: str | int, on: dt.date | None) -> str:
    tis_n = _tis_n(code, on) or (_tis_n(code) if on is not None else None)
    if tis_n is None:
        raise ValueError(f"unknown TIS territory code: {code!r}")
    return tis_n


def members(code: str | int, on: dt.date | None = None) -> tuple[str, ...]:
    """Direct members of a group (empty for a country).

    >>> members('2136')
    ('2100', '2101', '2106', '2120', '2130')
    """
    links = _territory_table().members.get(_require_tis_n(code, on), ())
    return tuple(m.tis_n for m in links if on is None or m.valid_on(on))


def countries_in(code: str | int, on: dt.date | None = None) -> frozenset[str]:
    """The countries (TIS-N codes) a territory stands for.

    A group is resolved recursively through the hierarchy; a country gives
    itself (whatever the date).  With ``on``, only hierarchy links valid on
    that date are followed.  Raises ValueError for an unknown code.

    >>> sorted(countries_in('0826'))
    ['0826']
    >>> '0276' in countries_in('2120', on=dt.date(1989, 1, 1))
    False
    """
    return _expand(_require_tis_n(code, on), on)


@functools.lru_cache(maxsize=4096)
def _expand(tis_n: str, on: dt.date | None) -> frozenset[str]:
    table = _territory_table()
    links = table.members.get(tis_n)
    if links is None:
        return frozenset() if table.by_tis_n[tis_n].is_group else frozenset((tis_n,))
    found: set[str] = set()
    for link in links:
        if on is None or link.valid_on(on):
            found |= _expand(link.tis_n, on)
    return frozenset(found)


def _includes(flag: bool | str) -> bool:
    if isinstance(flag, bool):
        return flag
    if isinstance(flag, str) and flag.upper() in ("I", "E"):
        return flag.upper() == "I"
    raise ValueError(f"inclusion/exclusion indicator must be a bool or 'I'/'E', got {flag!r}")


def resolve(
    includes_excludes: Iterable[tuple[bool | str, str | int]], on: dt.date | None = None
) -> frozenset[str]:
    """Apply an ordered CWR-style list of (include?, TIS code) to a country set.

    Each entry adds (include) or removes (exclude) the countries of its
    territory, in order.  The flag is a bool or the CWR indicator 'I'/'E'.

    >>> sorted(resolve([('I', '2131'), ('E', '0752')]))
    ['0208', '0578']
    """
    result: set[str] = set()
    for flag, code in includes_excludes:
        countries = countries_in(code, on)
        if _includes(flag):
            result |= countries
        else:
            result -= countries
    return frozenset(result)
