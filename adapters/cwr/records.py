"""Fixed-width codec for CWR 2.1 / 2.2 records, built from :mod:`adapters.cwr.layout`.

Decoding is tolerant and keeps values as strings: ``A`` fields are returned
with trailing blanks removed, every other type (N, D, T, B, F, L) with blanks
removed on both sides.  A line shorter than the layout is treated as if it
were right-padded with blanks (real files cut trailing blanks); characters
beyond the layout length are ignored, and callers that care compare
``len(line)`` with :attr:`RecordCodec.length`.  Typed values come from the
separate converters, one per field type (:func:`to_int` for N, :func:`to_date`
for D, :func:`to_time` and :func:`to_duration` for T, :func:`to_bool` for B,
:func:`to_flag` for F; A and L stay text), which raise :class:`FieldError` so
a validator can report the field and the bad value.  They are the only
decoders of typed CWR values: the parser, the validator, the work reader and
the ACK import all use them, strictly or through :func:`lenient` (a value
the validator has judged already is read as None when it cannot be read).

Encoding is strict: the result always has exactly the layout length, text is
upper-cased, and a value that does not fit or contains characters the field
cannot carry raises :class:`EncodeError` instead of producing a shifted
record.  The returned record has no line terminator (CWR files use CR/LF; the
file writer adds it).

Field widths are counted in characters of the decoded text.  For single-byte
encodings (Latin-1, the default) characters and bytes coincide.  For UTF-8
(declared in HDR) a line with multi-byte characters is cut by characters,
except when its byte length is exactly the record length while its character
length is not - then the writer evidently counted bytes and the line is cut
by bytes.
"""

from __future__ import annotations

import codecs as _codecs
import datetime as _dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cache
from operator import itemgetter
from types import MappingProxyType
from typing import TypeVar

from adapters.cwr.layout import Field, RecordLayout, layouts
from exchange.identifiers import is_digits

__all__ = [
    "EncodeError",
    "FieldError",
    "RecordCodec",
    "codec_for",
    "codecs_for",
    "convert",
    "date_or_none",
    "duration_or_none",
    "lenient",
    "number_or_none",
    "time_or_none",
    "to_bool",
    "to_date",
    "to_decimal",
    "to_duration",
    "to_flag",
    "to_int",
    "to_share",
    "to_time",
]


class FieldError(ValueError):
    """A decoded field value cannot be converted to its type."""

    def __init__(self, field: str, value: str, reason: str) -> None:
        super().__init__(f"{field}: {reason} ({value!r})")
        self.field = field
        self.value = value
        self.reason = reason


class EncodeError(ValueError):
    """A value cannot be written into its field."""

    def __init__(self, record: str, field: str, value: object, reason: str) -> None:
        super().__init__(f"{record}.{field}: {reason} ({value!r})")
        self.record = record
        self.field = field
        self.value = value
        self.reason = reason


# ---------------------------------------------------------------------------
# Typed converters for decoded (stripped) values


def to_int(value: str | bytes, field: str = "") -> int | None:
    """Numeric field -> int; ``None`` when blank (also the raw bytes of a record prefix)."""
    # is_digits (ASCII 0-9 only), spelled out: this runs for every number of every line
    if value.isascii() and value.isdigit():
        return int(value)
    if not value:
        return None
    raise FieldError(field, str(value), "not a number")


def to_share(value: str, field: str = "") -> int | None:
    """999v99 share -> int hundredths of a percent (``"05000"`` -> 5000)."""
    return to_int(value, field)


def to_decimal(value: str, decimals: int, field: str = "") -> Decimal | None:
    """Numeric field with implied decimals -> Decimal (``"05000"``, 2 -> 50.00)."""
    number = to_int(value, field)
    if number is None:
        return None
    return Decimal(number).scaleb(-decimals)


def to_date(value: str, field: str = "") -> _dt.date | None:
    """YYYYMMDD -> date; ``None`` for blanks or ``00000000``."""
    if not value or value == "00000000":
        return None
    if len(value) != 8 or not is_digits(value):
        raise FieldError(field, value, "not a date YYYYMMDD")
    try:
        return _dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise FieldError(field, value, "no such date") from None


def _hms(value: str, field: str) -> tuple[int, int, int]:
    if len(value) != 6 or not is_digits(value):
        raise FieldError(field, value, "not HHMMSS")
    h, m, s = int(value[:2]), int(value[2:4]), int(value[4:])
    if m > 59 or s > 59:
        raise FieldError(field, value, "minutes or seconds above 59")
    return h, m, s


def to_time(value: str, field: str = "") -> _dt.time | None:
    """HHMMSS time of day -> time; ``None`` when blank."""
    if not value:
        return None
    h, m, s = _hms(value, field)
    if h > 23:
        raise FieldError(field, value, "hour above 23")
    return _dt.time(h, m, s)


def to_duration(value: str, field: str = "") -> int | None:
    """HHMMSS duration -> seconds; ``None`` when blank (``000000`` is 0)."""
    if not value:
        return None
    h, m, s = _hms(value, field)
    return h * 3600 + m * 60 + s


def to_bool(value: str, field: str = "") -> bool | None:
    """B field: Y/N -> True/False; ``None`` when blank."""
    if value == "Y":
        return True
    if value == "N":
        return False
    if not value:
        return None
    raise FieldError(field, value, "not Y or N")


def to_flag(value: str, field: str = "") -> bool | None:
    """F field: Y/N/U -> True/False/None; blank is ``None`` too."""
    if value == "Y":
        return True
    if value == "N":
        return False
    if not value or value == "U":
        return None
    raise FieldError(field, value, "not Y, N or U")


_T = TypeVar("_T")


def lenient(convert: Callable[[str], _T | None]) -> Callable[[str], _T | None]:
    """``convert`` giving None where it raises :class:`FieldError`.

    For readers of values that the validator has judged (and reported) already.
    """

    def read(value: str) -> _T | None:
        try:
            return convert(value)
        except FieldError:
            return None

    read.__name__ = read.__qualname__ = f"lenient_{convert.__name__}"
    read.__doc__ = f"{convert.__name__}, None for a value it refuses."
    return read


#: N field -> int, None when blank or not ASCII digits.
number_or_none = lenient(to_int)
#: D field -> date, None when blank, zeros or not a date.
date_or_none = lenient(to_date)
#: T field (a duration) -> seconds, None when blank or not HHMMSS.
duration_or_none = lenient(to_duration)
#: T field (a time of day) -> time, None when blank or not a time HHMMSS.
time_or_none = lenient(to_time)


def convert(field: Field, value: str) -> object:
    """Convert a decoded value according to its field type.

    N -> int (implied decimals kept as integer units, e.g. share hundredths),
    D -> date, T -> time of day for ``*_time`` fields else duration seconds,
    B/F -> bool or None, A/L -> the string itself.
    """
    t = field.type
    if t == "N":
        return to_int(value, field.name)
    if t == "D":
        return to_date(value, field.name)
    if t == "T":
        if field.name.endswith("_time"):
            return to_time(value, field.name)
        return to_duration(value, field.name)
    if t == "B":
        return to_bool(value, field.name)
    if t == "F":
        return to_flag(value, field.name)
    return value


# ---------------------------------------------------------------------------
# Encoders: one closure per field, built once per codec

_Encoder = Callable[[object], str]


def _text_checker(encoding: str) -> Callable[[str], str | None]:
    """Returns a function giving the reason a text cannot be written, or None."""

    def check(text: str) -> str | None:
        for ch in text:
            if not ch.isprintable():
                return f"character {ch!r} is not printable"
        try:
            text.encode(encoding)
        except UnicodeEncodeError as exc:
            return f"character {text[exc.start]!r} cannot be written in {encoding}"
        return None

    return check


def _text_encoder(record: str, f: Field, check: Callable[[str], str | None]) -> _Encoder:
    width = f.length
    name = f.name
    blank = " " * width
    zero_fill = f.type == "L"

    def encode(value: object) -> str:
        if value.__class__ is str:
            text = value
        elif value is None:
            return blank
        elif zero_fill and isinstance(value, int) and not isinstance(value, bool):
            if value < 0:
                raise EncodeError(record, name, value, "negative code")
            text = str(value)
            if len(text) > width:
                raise EncodeError(record, name, value, f"more than {width} digits")
            return text.zfill(width)
        elif isinstance(value, str):
            text = str(value)
        else:
            raise EncodeError(record, name, value, "expected text")
        if not (text.isascii() and text.isprintable()):
            reason = check(text)
            if reason:
                raise EncodeError(record, name, value, reason)
        text = text.upper().rstrip()
        if len(text) > width:
            raise EncodeError(record, name, value, f"longer than {width} characters")
        if not text.isascii():
            reason = check(text)  # upper-casing may leave the character set
            if reason:
                raise EncodeError(record, name, value, reason)
        return text.ljust(width)

    return encode


def _numeric_encoder(record: str, f: Field) -> _Encoder:
    width = f.length
    name = f.name
    zeros = "0" * width
    scale = 10**f.decimals

    def encode(value: object) -> str:
        if value.__class__ is int:
            number = value
        elif value is None or value == "":
            return zeros
        elif isinstance(value, str):
            if not is_digits(value):
                raise EncodeError(record, name, value, "not a non-negative whole number")
            text = value.lstrip("0") or "0"
            if len(text) > width:
                raise EncodeError(record, name, value, f"more than {width} digits")
            return text.zfill(width)
        elif isinstance(value, Decimal):
            scaled = value * scale
            if scaled != scaled.to_integral_value():
                raise EncodeError(record, name, value, f"more than {f.decimals} decimals")
            number = int(scaled)
        elif isinstance(value, int) and not isinstance(value, bool):
            number = int(value)
        else:
            raise EncodeError(record, name, value, "expected int, Decimal or digits")
        if number < 0:
            raise EncodeError(record, name, value, "negative number")
        text = str(number)
        if len(text) > width:
            raise EncodeError(record, name, value, f"more than {width} digits")
        return text.zfill(width)

    return encode


def _date_encoder(record: str, f: Field) -> _Encoder:
    name = f.name

    def encode(value: object) -> str:
        if value is None or value == "":
            return "00000000"
        if isinstance(value, _dt.date):
            return f"{value.year:04d}{value.month:02d}{value.day:02d}"
        if isinstance(value, str):
            if value == "00000000":
                return value
            try:
                to_date(value, name)
            except FieldError as exc:
                raise EncodeError(record, name, value, exc.reason) from None
            return value
        raise EncodeError(record, name, value, "expected date")

    return encode


def _time_encoder(record: str, f: Field) -> _Encoder:
    name = f.name
    # time of day (HDR/ACK creation time) or a duration of up to 99 hours
    if name.endswith("_time"):
        top, top_text = 23 * 3600 + 59 * 60 + 59, "23:59:59"
    else:
        top, top_text = 99 * 3600 + 59 * 60 + 59, "99:59:59"

    def encode(value: object) -> str:
        if value is None or value == "":
            return "000000"
        if isinstance(value, _dt.time):
            return f"{value.hour:02d}{value.minute:02d}{value.second:02d}"
        if isinstance(value, _dt.timedelta):
            seconds = value.total_seconds()
            if seconds != int(seconds):
                raise EncodeError(record, name, value, "fractions of a second")
            value_s = int(seconds)
        elif isinstance(value, int) and not isinstance(value, bool):
            value_s = value
        elif isinstance(value, str):
            try:
                seconds = to_duration(value, name)
            except FieldError as exc:
                raise EncodeError(record, name, value, exc.reason) from None
            if seconds is None or seconds > top:
                raise EncodeError(record, name, value, f"not HHMMSS up to {top_text}")
            return value
        else:
            raise EncodeError(record, name, value, "expected seconds, time or timedelta")
        if not 0 <= value_s <= top:
            raise EncodeError(record, name, value, f"outside 00:00:00 to {top_text}")
        h, rest = divmod(value_s, 3600)
        m, s = divmod(rest, 60)
        return f"{h:02d}{m:02d}{s:02d}"

    return encode


def _yes_no_encoder(record: str, f: Field) -> _Encoder:
    name = f.name
    allowed = ("Y", "N", "U") if f.type == "F" else ("Y", "N")

    def encode(value: object) -> str:
        if value is True:
            return "Y"
        if value is False:
            return "N"
        if value is None or value == "":
            return " "
        if isinstance(value, str) and value.upper() in allowed:
            return value.upper()
        raise EncodeError(record, name, value, f"expected one of {'/'.join(allowed)}")

    return encode


def _record_type_encoder(record: str, f: Field) -> _Encoder:
    def encode(value: object) -> str:
        if value == record or value is None:
            return record
        raise EncodeError(record, f.name, value, f"record type must be {record}")

    return encode


# ---------------------------------------------------------------------------
# The codec


def _normal_encoding(encoding: str) -> str:
    return _codecs.lookup(encoding).name


class RecordCodec:
    """Decoder/encoder for one record layout, precompiled.

    ``decode`` returns a tuple of strings in layout order (``names`` gives the
    field names, ``index`` maps a name to its position); ``decode_dict`` returns
    the same values keyed by field name.  ``codes`` gives the codes that fields
    may hold (a lookup table's): ``encode`` refuses other values for them.
    """

    __slots__ = (
        "layout",
        "record_type",
        "length",
        "names",
        "index",
        "encoding",
        "_cut_text",
        "_cut_other",
        "_reorder",
        "_to_dict",
        "_single_byte",
        "_encoders",
        "_codes",
        "_by_names",
        "_pad",
    )

    def __init__(
        self,
        layout: RecordLayout,
        encoding: str = "latin-1",
        codes: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        self.layout = layout
        self.record_type = layout.record_type
        self.length = layout.length
        self.names: tuple[str, ...] = layout.names
        self.index: Mapping[str, int] = MappingProxyType(
            {name: i for i, name in enumerate(self.names)}
        )
        self.encoding = _normal_encoding(encoding)
        fields = layout.fields

        # Two slicers over the decoded line: A fields keep leading blanks
        # (rstrip), the others are stripped on both sides; then reorder.
        text_idx = [i for i, f in enumerate(fields) if f.type == "A"]
        other_idx = [i for i, f in enumerate(fields) if f.type != "A"]
        self._cut_text = _slicer([fields[i] for i in text_idx])
        self._cut_other = _slicer([fields[i] for i in other_idx])
        order = text_idx + other_idx
        position = {src: k for k, src in enumerate(order)}
        self._reorder = itemgetter(*[position[i] for i in range(len(fields))])
        if len(fields) == 1:  # itemgetter with one index returns a scalar
            self._reorder = lambda values: (values[0],)
        self._to_dict = _dict_decoder(layout)
        self._single_byte = _is_single_byte(self.encoding)
        self._pad = " " * self.length

        check = _text_checker(self.encoding)
        self._encoders: list[_Encoder] = []
        for f in fields:
            if f.name == "record_type":
                enc = _record_type_encoder(self.record_type, f)
            elif f.type in ("A", "L"):
                enc = _text_encoder(self.record_type, f, check)
            elif f.type == "N":
                enc = _numeric_encoder(self.record_type, f)
            elif f.type == "D":
                enc = _date_encoder(self.record_type, f)
            elif f.type == "T":
                enc = _time_encoder(self.record_type, f)
            else:  # B, F
                enc = _yes_no_encoder(self.record_type, f)
            self._encoders.append(enc)
        self._codes = dict(codes or {})
        #: the encoder of each sequence of field names given so far (a record's fields
        #: come in the same order every time: few sequences per record type)
        self._by_names: dict[tuple[str, ...], Callable[[Mapping[str, object]], str]] = {}

    def __repr__(self) -> str:
        return (
            f"RecordCodec({self.record_type} v{self.layout.version}, "
            f"length={self.length}, encoding={self.encoding!r})"
        )

    # -- decoding ---------------------------------------------------------

    def decode(self, line: bytes | bytearray | memoryview | str) -> tuple[str, ...]:
        """Field values of one record line, as stripped strings in layout order.

        Accepts the raw bytes of a line (with or without its line end) or an
        already decoded string.  Never raises for short or long lines.
        """
        if line.__class__ is not bytes and not isinstance(line, str):
            line = bytes(line)  # bytearray, memoryview
        if line.__class__ is bytes:
            line = line.rstrip(b"\r\n")
            text = line.decode(self.encoding, "replace")
            if not self._single_byte and len(text) != len(line):
                return self._decode_multibyte(line, text)
        else:
            text = line.rstrip("\r\n")
        if len(text) < self.length:
            text += self._pad
        return self._reorder(
            (*map(str.rstrip, self._cut_text(text)), *map(str.strip, self._cut_other(text)))
        )

    def decode_dict(self, line: bytes | bytearray | memoryview | str) -> dict[str, str]:
        """Like :meth:`decode`, keyed by field name."""
        if line.__class__ is bytes:
            line = line.rstrip(b"\r\n")
            text = line.decode(self.encoding, "replace")
            if not self._single_byte and len(text) != len(line):
                # decode gives exactly one value per name: no need for a strict zip
                return dict(zip(self.names, self._decode_multibyte(line, text), strict=False))
        elif isinstance(line, str):
            text = line.rstrip("\r\n")
        else:  # bytearray, memoryview
            return dict(zip(self.names, self.decode(line), strict=False))
        if len(text) < self.length:
            text += self._pad
        return self._to_dict(text)

    def _decode_multibyte(self, raw: bytes, text: str) -> tuple[str, ...]:
        if len(raw) == self.length and len(text) != self.length:
            # The writer counted bytes: cut the bytes, then decode each field.
            values = []
            for f in self.layout.fields:
                chunk = raw[f.offset : f.end].decode(self.encoding, "replace")
                values.append(chunk.rstrip() if f.type == "A" else chunk.strip())
            return tuple(values)
        if len(text) < self.length:
            text += self._pad
        return self._reorder(
            (*map(str.rstrip, self._cut_text(text)), *map(str.strip, self._cut_other(text)))
        )

    # -- encoding ---------------------------------------------------------

    def encode(self, values: Mapping[str, object]) -> str:
        """One record line (without line end) from field values.

        Missing fields are written as blanks (A, L, B, F) or zeros (N, D, T);
        ``record_type`` is filled in.  Raises :class:`EncodeError` for unknown
        fields, wrong types, values that do not fit and characters the field
        cannot carry (the first of them in the order given), after codes that
        are not in their field's ``codes`` (the first in layout order).
        """
        names = tuple(values)
        encode = self._by_names.get(names)
        if encode is None:
            if len(self._by_names) >= MAX_NAME_SEQUENCES:
                self._by_names.clear()
            encode = self._by_names[names] = _names_encoder(
                self.layout, names, self._encoders, self._codes
            )
        return encode(values)


#: Sequences of field names a codec keeps an encoder for.
MAX_NAME_SEQUENCES = 256
#: Texts and numbers a codec keeps the written form of, per field.
MAX_WRITTEN = 4096


#: The class of the values most given to a field of each type (those an encoder keeps).
_COMMON_CLASS = {
    "A": "str",
    "L": "str",
    "B": "str",
    "F": "str",
    "N": "int",
    "T": "int",
    "D": "date",
}


def _names_encoder(
    layout: RecordLayout,
    names: tuple[str, ...],
    encoders: list[_Encoder],
    codes: Mapping[str, frozenset[str]],
) -> Callable[[Mapping[str, object]], str]:
    """A function of the values of one record type's fields ``names``, given in that
    order, giving its line: written once, as a format of the fields given between the
    defaults (blanks or zeros) of the others.

    Texts and whole numbers recur (names, codes, shares, sequence numbers): what the
    field's encoder wrote for one is kept, per field, and written again.
    """
    position = {f.name: i for i, f in enumerate(layout.fields)}
    given = [f"v{k}" for k in range(len(names))]
    body = [f"    {', '.join(given)}, = values.values()" if names else ""]
    value_of = dict(zip(names, given, strict=True))
    for f in layout.fields:
        v = value_of.get(f.name)
        if v is not None and f.name in codes:
            body.append(
                f"    if {v} is not None and {v} not in CODES[{f.name!r}]:"
                f" raise EncodeError(RECORD, {f.name!r}, {v}, 'not a code of the CWR lookup table')"
            )
    memo: dict[int, dict[object, str]] = {}
    written: dict[int, str] = {}
    for v, name in zip(given, names, strict=True):
        i = position.get(name)
        if i is None:
            body.append(f"    raise EncodeError(RECORD, {name!r}, {v}, 'no such field')")
            break
        f = layout.fields[i]
        if f.name == "record_type":
            body.append(f"    if {v} is not None and {v} != RECORD: E[{i}]({v})")
            continue
        memo[i] = {}
        body += [  # the class first: True == 1 and 1.0 == 1 must not meet 1
            f"    if {v}.__class__ is {_COMMON_CLASS[f.type]}:",
            f"        f{i} = M[{i}].get({v})",
            f"        if f{i} is None:",
            f"            f{i} = E[{i}]({v})",
            f"            if len(M[{i}]) < MAX_WRITTEN: M[{i}][{v}] = f{i}",
            f"    elif {v} is None: f{i} = {_default(layout, i)!r}",
            f"    else: f{i} = E[{i}]({v})",
        ]
        written[i] = f"{{f{i}}}"
    else:
        line = "".join(written.get(i) or _default(layout, i) for i in range(len(layout.fields)))
        body.append(f"    return f{line!r}")
    scope: dict[str, object] = {
        "RECORD": layout.record_type,
        "E": tuple(encoders),
        "M": memo,
        "MAX_WRITTEN": MAX_WRITTEN,
        "CODES": codes,
        "date": _dt.date,
        "EncodeError": EncodeError,
    }
    exec("def encode(values):\n" + "\n".join(body) + "\n", scope)  # noqa: S102
    return scope["encode"]  # type: ignore[return-value]


def _default(layout: RecordLayout, i: int) -> str:
    """What a field holds when no value is given: the record type, blanks or zeros."""
    f = layout.fields[i]
    if f.name == "record_type":
        return layout.record_type
    return (" " if f.type in ("A", "L", "B", "F") else "0") * f.length


def _dict_decoder(layout: RecordLayout) -> Callable[[str], dict[str, str]]:
    """A function of one record type's padded text giving its values by field name: one
    dict display of slices, written from the layout once (no table read per line).

    ``A`` fields lose their trailing blanks, every other type blanks on both sides.
    """
    items = ", ".join(
        f"{f.name!r}: text[{f.offset}:{f.end}].{'rstrip' if f.type == 'A' else 'strip'}()"
        for f in layout.fields
    )
    name = f"decode_{layout.record_type}"
    scope: dict[str, object] = {}
    exec(f"def {name}(text):\n    return {{{items}}}\n", scope)  # noqa: S102
    return scope[name]  # type: ignore[return-value]


def _slicer(fields: list[Field]) -> Callable[[str], tuple[str, ...]]:
    if not fields:
        return lambda text: ()
    getter = itemgetter(*[slice(f.offset, f.end) for f in fields])
    if len(fields) == 1:
        return lambda text: (getter(text),)
    return getter


def _is_single_byte(encoding: str) -> bool:
    try:
        return len(bytes(range(256)).decode(encoding)) == 256
    except UnicodeDecodeError:
        return False


def codec_for(version: str, record_type: str, encoding: str = "latin-1") -> RecordCodec:
    """The codec of one record type; ``KeyError`` if the version has no such record."""
    return _codec(version, record_type, _normal_encoding(encoding))


@cache
def _codec(version: str, record_type: str, encoding: str) -> RecordCodec:
    try:
        layout = layouts(version)[record_type]
    except KeyError:
        raise KeyError(f"CWR {version} has no record type {record_type!r}") from None
    return RecordCodec(layout, encoding)


def codecs_for(version: str, encoding: str = "latin-1") -> Mapping[str, RecordCodec]:
    """Codecs for every record type of a CWR version, keyed by record type."""
    return _codecs_table(version, _normal_encoding(encoding))


@cache
def _codecs_table(version: str, encoding: str) -> Mapping[str, RecordCodec]:
    return MappingProxyType({rt: _codec(version, rt, encoding) for rt in layouts(version)})
