"""A lossless JSON form of :class:`~exchange.model.Work`, for parking a work in a JSON column.

An incoming work that waits for a person to confirm its match is kept as JSON;
:func:`work_from_json` must give back exactly the work that :func:`work_to_json`
was given. The conversion is driven by the dataclass fields and their type
annotations, so a field added to the model is carried without touching this
module:

* every dataclass becomes an object with one key per field, ids included;
* enums are written as their values, dates and datetimes as ISO 8601 strings;
  an aware datetime keeps its UTC offset, and a :class:`zoneinfo.ZoneInfo`
  zone is kept by name too (``2026-07-01T10:00:00+02:00[Europe/Paris]``);
* lists and tuples become arrays and come back as the annotation says
  (``Claim.writers`` as a tuple);
* ``None`` is ``null``.

Reading is strict: an unknown key raises :class:`ValueError` naming it (data
written by a newer version should not be silently cut down), and so does a
missing key for a field without a default or a value of the wrong JSON type.
A missing key for a field with a default takes that default, so data written
before the field existed still reads. Writing checks the values against the
annotations as well, so that what is written can always be read back.

Objects shared in the work (one party in two claims) come back as equal but
separate objects: JSON has no references.

>>> from exchange.model import Title, Work
>>> work = Work("BLUE HOUR", language="EN", titles=[Title("HEURE BLEUE", "AT", "FR")])
>>> data = work_to_json(work)
>>> data["titles"]
[{'title': 'HEURE BLEUE', 'type': 'AT', 'language': 'FR'}]
>>> work_from_json(data) == work
True
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from exchange.model import Work

__all__ = ["from_json", "to_json", "work_from_json", "work_to_json"]

_T = TypeVar("_T")

#: How a value is written: the value alone. Writing is the hot path (the digest of
#: every registration read, every work parked), so where a value sits in the work is
#: worked out only when it fails: :class:`_Mismatch` gathers the path as it unwinds.
_Encode = Callable[[Any], Any]
#: How a value is read: the value and where it is in the work (for messages).
_Decode = Callable[[Any, str], Any]


def work_to_json(work: Work) -> dict[str, Any]:
    """The work as JSON data: dicts, lists, strings, integers, booleans and ``None`` only.

    Raises :class:`TypeError` (or :class:`ValueError` for a bad enum value) when
    a field holds something its annotation does not allow.
    """
    return _encoded(Work, work, "work")


def work_from_json(data: dict[str, Any]) -> Work:
    """The work that :func:`work_to_json` turned into ``data``.

    Raises :class:`ValueError` when ``data`` is not such a work: unknown keys,
    missing required keys, values of the wrong type.
    """
    return _codec(Work).decode(data, "work")


def to_json(value: Any) -> dict[str, Any]:
    """Any model object (a :class:`~exchange.model.Production`, a title...) as JSON data.

    >>> from exchange.model import Instrument
    >>> to_json(Instrument("PNO", 2))
    {'code': 'PNO', 'players': 2}
    """
    cls = type(value)
    return _encoded(cls, value, cls.__name__)


def from_json(cls: type[_T], data: dict[str, Any]) -> _T:
    """The ``cls`` object that :func:`to_json` turned into ``data``; as strict as
    :func:`work_from_json`.

    >>> from exchange.model import Instrument
    >>> from_json(Instrument, {"code": "PNO", "players": 2})
    Instrument(code='PNO', players=2)
    """
    return _codec(cls).decode(data, cls.__name__)


# -- converters --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Codec:
    encode: _Encode
    decode: _Decode


def _mismatch(path: str, expected: str, value: Any) -> str:
    return f"{path}: expected {expected}, got {type(value).__name__} {value!r}"


class _Mismatch(Exception):
    """A value that cannot be written, on its way out: each container it passes
    through puts its own step of the path in front (``.claims``, ``[0]``)."""

    def __init__(self, error: type[Exception], expected: str, value: Any) -> None:
        self.error, self.expected, self.value = error, expected, value
        self.steps: list[str] = []

    def within(self, step: str) -> _Mismatch:
        self.steps.append(step)
        return self

    def raised(self, root: str) -> Exception:
        """The error to raise: a TypeError (a ValueError for a bad enum value) naming
        where the value is, from ``root``."""
        path = root + "".join(reversed(self.steps))
        return self.error(_mismatch(path, self.expected, self.value))


def _encoded(cls: type, value: Any, root: str) -> Any:
    """``value`` written as a ``cls``; ``root`` names it in messages."""
    try:
        return _codec(cls).encode(value)
    except _Mismatch as exc:
        raise exc.raised(root) from None


@functools.cache
def _codec(hint: Any) -> _Codec:
    """The converter pair for a type annotation (resolved, not a string)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        others = [a for a in args if a is not type(None)]
        if len(others) == 1 and len(args) == 2:
            return _optional(_codec(others[0]))
    elif origin is list and len(args) == 1:
        return _sequence(_codec(args[0]), list)
    elif origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _sequence(_codec(args[0]), tuple)
    elif origin is None and isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            return _dataclass(hint)
        if issubclass(hint, Enum):
            return _enum(hint)
        if hint is bool:
            return _scalar(bool, lambda v: isinstance(v, bool), bool)
        if hint is int:
            return _scalar(int, lambda v: isinstance(v, int) and not isinstance(v, bool), int)
        if hint is str:
            return _scalar(str, lambda v: isinstance(v, str), str)
        if hint is datetime:
            return _Codec(_encode_datetime, _decode_datetime)
        if hint is date:
            return _Codec(_encode_date, _decode_date)
    raise TypeError(f"no JSON form for the annotation {hint!r}")


def _scalar(kind: type, accepts: Callable[[Any], bool], plain: Callable[[Any], Any]) -> _Codec:
    """A JSON scalar; ``plain`` strips subclasses (a StrEnum in a ``str`` field) when writing."""

    def encode(value: Any) -> Any:
        if type(value) is kind:
            return value
        if not accepts(value):
            raise _Mismatch(TypeError, kind.__name__, value)
        return plain(value)

    def decode(value: Any, path: str) -> Any:
        if type(value) is not kind:
            raise ValueError(_mismatch(path, kind.__name__, value))
        return value

    return _Codec(encode, decode)


def _optional(inner: _Codec) -> _Codec:
    return _Codec(
        lambda value: None if value is None else inner.encode(value),
        lambda value, path: None if value is None else inner.decode(value, path),
    )


def _sequence(item: _Codec, container: type) -> _Codec:
    def encode(value: Any) -> list[Any]:
        if not isinstance(value, list | tuple):
            raise _Mismatch(TypeError, container.__name__, value)
        items = []
        for i, v in enumerate(value):
            try:
                items.append(item.encode(v))
            except _Mismatch as exc:
                raise exc.within(f"[{i}]") from None
        return items

    def decode(value: Any, path: str) -> Any:
        if type(value) is not list:
            raise ValueError(_mismatch(path, "an array", value))
        return container(item.decode(v, f"{path}[{i}]") for i, v in enumerate(value))

    return _Codec(encode, decode)


def _enum(cls: type[Enum]) -> _Codec:
    def encode(value: Any) -> Any:
        if type(value) is cls:
            return value.value
        try:
            member = cls(value)  # a plain value of a member
        except ValueError:
            raise _Mismatch(ValueError, cls.__name__, value) from None
        return member.value

    def decode(value: Any, path: str) -> Enum:
        try:
            return cls(value)
        except ValueError:
            raise ValueError(_mismatch(path, cls.__name__, value)) from None

    return _Codec(encode, decode)


def _encode_date(value: Any) -> str:
    # A datetime is a date too, but it would come back without its time.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise _Mismatch(TypeError, "date", value)
    return value.isoformat()


def _decode_date(value: Any, path: str) -> date:
    if type(value) is not str:
        raise ValueError(_mismatch(path, "an ISO date string", value))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(_mismatch(path, "an ISO date string", value)) from None


def _encode_datetime(value: Any) -> str:
    if not isinstance(value, datetime):
        raise _Mismatch(TypeError, "datetime", value)
    text = value.isoformat()
    if isinstance(value.tzinfo, ZoneInfo) and value.tzinfo.key:
        text += f"[{value.tzinfo.key}]"  # the offset alone would lose the zone's rules
    return text


def _decode_datetime(value: Any, path: str) -> datetime:
    if type(value) is not str:
        raise ValueError(_mismatch(path, "an ISO datetime string", value))
    text, zone = value, None
    if value.endswith("]") and "[" in value:
        text, _, zone = value[:-1].partition("[")
    try:
        moment = datetime.fromisoformat(text)
        if zone is None:
            return moment
        if moment.tzinfo is None:
            raise ValueError("a zone name needs an offset")
        # Same instant, seen in the named zone: wall time and fold come out as written.
        return moment.astimezone(ZoneInfo(zone))
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(_mismatch(path, "an ISO datetime string", value)) from None


# -- dataclasses -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    name: str
    codec: _Codec
    required: bool


@functools.cache
def _fields(cls: type) -> tuple[_Field, ...]:
    """The fields of a dataclass that its constructor takes, with their converters."""
    hints = typing.get_type_hints(cls)
    return tuple(
        _Field(
            f.name,
            _codec(hints[f.name]),
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
        )
        for f in dataclasses.fields(cls)
        if f.init
    )


def _dataclass(cls: type) -> _Codec:
    # The fields are looked up on first use, not here: a class may refer to itself.

    def encode(value: Any) -> dict[str, Any]:
        if type(value) is not cls:
            raise _Mismatch(TypeError, cls.__name__, value)
        data = {}
        for f in _fields(cls):
            try:
                data[f.name] = f.codec.encode(getattr(value, f.name))
            except _Mismatch as exc:
                raise exc.within(f".{f.name}") from None
        return data

    def decode(value: Any, path: str) -> Any:
        if type(value) is not dict:
            raise ValueError(_mismatch(path, f"an object ({cls.__name__})", value))
        fields = _fields(cls)
        unknown = value.keys() - {f.name for f in fields}
        if unknown:
            names = ", ".join(repr(k) for k in sorted(map(str, unknown)))
            raise ValueError(f"{path}: unknown keys for {cls.__name__}: {names}")
        missing = [f.name for f in fields if f.required and f.name not in value]
        if missing:
            names = ", ".join(repr(k) for k in missing)
            raise ValueError(f"{path}: missing keys for {cls.__name__}: {names}")
        return cls(
            **{
                f.name: f.codec.decode(value[f.name], f"{path}.{f.name}")
                for f in fields
                if f.name in value
            }
        )

    return _Codec(encode, decode)
