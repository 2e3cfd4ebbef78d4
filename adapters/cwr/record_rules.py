"""Judging CWR records one by one as CISAC's field and record edits do.

Field and record rules are data (``field_rules.csv``: record, field, check,
level, default, edit); this module compiles them once per record type and
version into

* a *fast path*: one regular expression per record type that a line matches
  when every rule that can be written as a pattern holds, so a clean record
  costs one ``fullmatch``;
* the *checks*: one small function per rule, run only for rules the pattern
  cannot express (check digits, dates, big code tables) or when the pattern
  fails, to say exactly which field broke which rule;
* a memory of the detail lines found clean (by their text after the prefix),
  so that a line a file repeats (the same publisher, territory, writer) is
  judged once.

Levels are applied as the standard says: FR replaces the field with its
default, RR drops the record, TR rejects the transaction.  Transactions as a
whole are judged in :mod:`adapters.cwr.validator` (record order, the ACK's
records) and :mod:`adapters.cwr.work_rules` (shares, writers, chains).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from adapters.cwr.edits import CATALOGUE_RECORD
from adapters.cwr.layout import (
    Field,
    RecordLayout,
    layouts,
    lookup,
    lookup_names,
    record_prefix,
)
from adapters.cwr.records import (
    FieldError,
    RecordCodec,
    codec_for,
    number_or_none,
    to_date,
    to_duration,
    to_int,
)
from adapters.cwr.transactions import CONTROL_TYPES, UNREAD, Record
from exchange import codes
from exchange.identifiers import (
    ipi_base,
    ipi_name,
    is_digits,
    is_placeholder,
    isrc,
    iswc,
)
from exchange.model import Finding
from exchange.shares import FULL, HALF, exceeds

#: CIS character subsets: titles (printable ASCII without lower case and |),
#: names (letters, digits and a few signs).
TITLE_CHARS = frozenset(chr(c) for c in range(32, 127)) - set("abcdefghijklmnopqrstuvwxyz|")
NAME_CHARS = frozenset(" !#$%&'()+-./0123456789?@ABCDEFGHIJKLMNOPQRSTUVWXYZ`")
NATIONAL_TITLE_CHARS = TITLE_CHARS | frozenset(chr(c) for c in range(0xC0, 0x100))

_SMALL_LOOKUP = 60  # code tables up to this size go into the fast pattern
_SENDER_TYPES = frozenset(
    {"PB", "SO", "WR", "AA"}
)  # clean record contents remembered per record type


#: The checks of ``field_rules.csv`` that this engine executes; rows marked ``custom``
#: (comparisons with other records or outside tables) are left to other code.
CHECKS = frozenset(
    {
        "required",
        "conditional_required",
        "lookup",
        "required_lookup",
        "date",
        "time",
        "numeric",
        "flag",
        "boolean",
        "iswc",
        "ipi_name",
        "ipi_base",
        "isrc",
        "ean",
        "society",
        "territory",
        "title_chars",
        "name_chars",
        "share_max_5000",
        "share_max_10000",
        "positive",
        "sender_type",
    }
)


@dataclass(frozen=True, slots=True)
class FieldRule:
    versions: frozenset[str]
    record: str
    field: str
    check: str
    level: str
    default: str
    edit: str
    condition: str
    note: str


@cache
def field_rules() -> tuple[FieldRule, ...]:
    text = resources.files("adapters.cwr").joinpath("field_rules.csv").read_text("utf-8")
    return tuple(
        FieldRule(
            frozenset(row["versions"].split()),
            row["record"].strip(),
            row["field"].strip(),
            row["check"].strip(),
            row["level"].strip(),
            (row["default"] or "").strip(),
            row["edit"].strip(),
            (row["condition"] or "").strip(),
            (row["note"] or "").strip(),
        )
        for row in csv.DictReader(io.StringIO(text))
    )


# -- single-value checks: each returns an error text, or None when the value is fine ----


def _blank(value: str) -> bool:
    return not value or not value.strip("0 ")


def _codes_of(f: Field) -> frozenset[str] | None:
    if f.lookup and f.lookup in lookup_names():
        return lookup(f.lookup)
    return None


def _reads(convert: Callable[[str], object]) -> Callable[[str], bool]:
    """Whether the converter of a field type takes a value (:mod:`adapters.cwr.records`)."""

    def reads(value: str) -> bool:
        try:
            convert(value)
        except FieldError:
            return False
        return True

    return reads


_is_date = _reads(to_date)
_is_hhmmss = _reads(to_duration)
_is_number = _reads(to_int)


def _valid_ean(value: str) -> bool:
    """EAN-13: weights 1 and 3 from the left over twelve digits, then the check digit."""
    if len(value) != 13 or not is_digits(value):
        return False
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(value[:12]))
    return (10 - total % 10) % 10 == int(value[12])


def _identifier(module: object, zeros: str | None = None) -> Callable[[str], str | None]:
    """A check of an identifier's check digits, cached: the same IPIs recur all over a file.

    With ``zeros``, a value of zeros is a placeholder entered for "no number"
    (:func:`exchange.identifiers.is_placeholder`), not a number, and ``zeros`` says so.
    """

    @lru_cache(maxsize=8192)
    def check(value: str) -> str | None:
        if zeros is not None and value.strip() and is_placeholder(value):
            return zeros
        if _blank(value):
            return None
        try:
            module.validate(value)  # type: ignore[attr-defined]
        except ValueError as exc:
            return str(exc)
        return None

    return check


_ISRC = re.compile(r"[A-Z]{2}[A-Z0-9]{3}\d{7}")


def _check_isrc(value: str) -> str | None:
    """ISRC: the pattern here, the country or agency prefix through the identifier module."""
    if _blank(value):
        return None
    if _ISRC.fullmatch(value):
        return _isrc_prefix(value[:2])
    return _isrc_full(value)


@lru_cache(maxsize=512)
def _isrc_prefix(prefix: str) -> str | None:
    return _isrc_full(prefix + "AAA0000001")


def _isrc_full(value: str) -> str | None:
    try:
        isrc.validate(value)
    except ValueError as exc:
        return str(exc)
    return None


@lru_cache(maxsize=4096)
def _is_society(value: str) -> bool:
    """A society code, also zero-filled to a wider field (HDR sender id: 000000052)."""
    if is_digits(value) and len(value) > 3 and not value[:-3].strip("0"):
        value = value[-3:]
    return codes.is_society(value, cwr=True)


@lru_cache(maxsize=4096)
def _is_territory(value: str) -> bool:
    return codes.is_territory(value)


def _value_check(rule: FieldRule, f: Field) -> Callable[[str], str | None] | None:
    """The check function of one rule on one field (None: not a single-field check)."""
    kind = rule.check
    table = _codes_of(f)

    def in_table(value: str) -> bool:
        if f.lookup == "society_code":
            return _is_society(value)
        if f.lookup == "tis_code":
            return _is_territory(value)
        return table is None or value in table or value.upper() in table

    if kind in ("required", "conditional_required"):  # the rule's condition says when
        if f.type in "NDT":  # numbers, dates and times: zeros mean nothing was entered
            return lambda v: "must be entered" if not v.strip("0 ") else None
        return lambda v: "must be entered" if not v else None
    if kind == "lookup":
        return lambda v: None if not v or in_table(v) else "is not a valid code"
    if kind == "required_lookup":
        return lambda v: (
            "must be entered" if not v else (None if in_table(v) else "is not a valid code")
        )
    if kind == "date":
        return lambda v: None if _blank(v) or _is_date(v) else "is not a valid date"
    if kind == "time":
        return lambda v: None if _blank(v) or _is_hhmmss(v) else "is not a valid HHMMSS time"
    if kind == "numeric":
        return lambda v: None if _is_number(v) else "must be numeric (digits 0-9)"
    if kind == "flag":
        return lambda v: None if v in ("", "Y", "N", "U") else "must be Y, N or U"
    if kind == "boolean":
        return lambda v: None if v in ("", "Y", "N") else "must be Y or N"
    if kind == "iswc":
        return _identifier(iswc)
    if kind in ("ipi_name", "ipi_base"):
        return _identifier(
            ipi_name if kind == "ipi_name" else ipi_base,
            "all zeros stand for no IPI number, so the party has none",
        )
    if kind == "isrc":
        return _check_isrc
    if kind == "ean":
        return lambda v: None if _blank(v) or _valid_ean(v) else "invalid EAN-13"
    if kind == "society":
        return lambda v: None if not v or _is_society(v) else "unknown society"
    if kind == "sender_type":
        return lambda v: (
            None
            if v in _SENDER_TYPES or (len(v) == 2 and is_digits(v))
            else "must be PB, SO, WR, AA or the first two digits of an IPI name number"
        )
    if kind == "territory":
        return lambda v: None if v and _is_territory(v) else "unknown TIS territory code"
    if kind in ("title_chars", "name_chars"):
        allowed = TITLE_CHARS if kind == "title_chars" else NAME_CHARS
        return lambda v: None if set(v) <= allowed else f"has characters outside the CIS set: {v!r}"
    if kind in ("share_max_5000", "share_max_10000"):
        limit = HALF if kind == "share_max_5000" else FULL
        return lambda v: (
            None
            if not v or ((share := number_or_none(v)) is not None and not exceeds(share, limit))
            else f"share must be between 0 and {limit / 100:.0f}%"
        )
    if kind == "positive":
        return lambda v: None if (number_or_none(v) or 0) > 0 else "must be greater than zero"
    return None


def _pattern(rule: FieldRule, f: Field) -> str | None:
    """A regular expression for the rule over the field's full width, if one can say it."""
    n = f.length
    kind = rule.check
    if kind == "numeric":
        return rf"(?:\d{{{n}}}| {{{n}}})"
    if kind == "flag":
        return rf"[YNU ] {{{n - 1}}}" if n > 1 else "[YNU ]"
    if kind == "boolean":
        return "[YN ]" if n == 1 else None
    if kind == "time":
        return rf"(?:\d\d[0-5]\d[0-5]\d| {{{n}}})" if n == 6 else None
    if kind in ("lookup", "required_lookup"):
        table = _codes_of(f)
        if table is None or len(table) > _SMALL_LOOKUP:
            return None
        options = sorted((c.ljust(n) for c in table if len(c) <= n), reverse=True)
        if kind == "lookup":
            options.append(" " * n)
        return "(?:" + "|".join(re.escape(o) for o in options) + ")"
    if kind == "required":
        if f.type in "NDT":
            return rf"(?![0 ]{{{n}}}).{{{n}}}"
        return rf"(?! {{{n}}}).{{{n}}}"
    if kind == "share_max_5000":
        return rf"(?:0[0-4]\d{{3}}|0500[0-6]| {{{n}}})" if n == 5 else None
    if kind == "share_max_10000":
        return rf"(?:0\d{{4}}|1000[0-6]| {{{n}}})" if n == 5 else None
    if kind == "title_chars":
        return rf"[ -`{{}}~]{{{n}}}"
    if kind == "name_chars":
        return rf"[ !#-)+\-./0-9?@A-Z`]{{{n}}}"
    return None


@dataclass(frozen=True, slots=True)
class _Condition:
    """When a rule applies: the record's ``field`` holds one of ``values`` (or, when
    ``negated``, none of them)."""

    field: str
    values: frozenset[str]
    negated: bool

    def __call__(self, record: Record) -> bool:
        return (record[self.field] in self.values) != self.negated


@dataclass(slots=True)
class _Compiled:
    rule: FieldRule
    field: Field
    check: Callable[[str], str | None]
    condition: _Condition | None
    in_pattern: bool


def _condition(rule: FieldRule, record_type: str) -> _Condition | None | bool:
    """The condition of a simple rule; None when the rule always applies, False when
    it never does here or the condition cannot be evaluated.

    Conditions on the record type are settled now: the validator is for one type.
    """
    text = rule.condition
    if not text:
        return None
    m = re.fullmatch(r"(\w+)\s*(=|!=| not in | in )\s*([\w, ]+)", text)
    if m is None:
        return False
    name, op, raw = m.group(1), m.group(2).strip(), m.group(3)
    if name == "society":
        return False  # society-specific edits apply to that society's own inbox only
    values = {v.strip() for v in raw.split(",")} if op.endswith("in") else {raw.strip()}
    negated = op in ("!=", "not in")
    if name == "record_type":
        return None if (record_type in values) != negated else False
    return _Condition(name, frozenset(values), negated)


#: A check of one rule on a field's value, as the per-record loop runs it: the field's
#: name, when it applies, the check, and the rule compiled.
_Step = tuple[str, "_Condition | None", Callable[[str], "str | None"], _Compiled]


def _line_checker(
    layout: RecordLayout, fast: re.Pattern[str], steps: list[_Step]
) -> Callable[[str], bool]:
    """A function of a line's text (of the layout's length) saying whether it breaks
    no rule: the fast pattern, then ``steps`` (the rules it cannot express) on the
    fields they read, cut from the text as :class:`RecordCodec` decodes them.

    Written from the rules once (Python source, compiled): no table is read per line,
    and no field but those the steps read is cut.
    """
    body = ["    if FAST(text) is None:", "        return False"]
    scope: dict[str, object] = {"FAST": fast.fullmatch}
    variables: dict[str, str] = {}

    def value(name: str) -> str:
        if name not in variables:
            variable = variables[name] = f"v{len(variables)}"
            if name in layout:
                f = layout.field(name)
                strip = "rstrip" if f.type == "A" else "strip"
                body.append(f"    {variable} = text[{f.offset}:{f.end}].{strip}()")
            else:
                body.append(f"    {variable} = ''")
        return variables[name]

    for k, (name, condition, check, _) in enumerate(steps):
        scope[f"check{k}"] = check
        test = f"check{k}({value(name)}) is not None"
        if condition is not None:
            scope[f"codes{k}"] = condition.values
            member = "not in" if condition.negated else "in"
            test = f"{value(condition.field)} {member} codes{k} and {test}"
        body += [f"    if {test}:", "        return False"]
    body.append("    return True")
    name = f"clean_{layout.record_type}"
    exec(f"def {name}(text):\n" + "\n".join(body) + "\n", scope)  # noqa: S102
    return scope[name]  # type: ignore[return-value]


class RecordValidator:
    """The compiled rules of one record type in one CWR version."""

    def __init__(self, layout: RecordLayout, version: str) -> None:
        self.layout = layout
        self.record_type = layout.record_type
        rules = [
            r
            for r in field_rules()
            if version in r.versions and r.record == _rule_record(layout.record_type)
        ]
        rules += _form_rules(layout, version, rules)
        self.compiled: list[_Compiled] = []
        patterns: dict[str, list[str]] = {}
        for rule in rules:
            if rule.field not in layout:
                continue
            f = layout.field(rule.field)
            check = _value_check(rule, f)
            condition = _condition(rule, layout.record_type)
            if check is None or condition is False:
                continue  # a rule for the transaction engine, or one we cannot evaluate here
            pattern = _pattern(rule, f) if condition is None else None
            if pattern is not None:
                patterns.setdefault(f.name, []).append(pattern)
            self.compiled.append(_Compiled(rule, f, check, condition, pattern is not None))
        parts = []
        for f in layout.fields:
            found = patterns.get(f.name)
            if not found:
                parts.append(f".{{{f.length}}}")
            else:
                parts.append("".join(f"(?={p})" for p in found[1:]) + found[0])
        # re.ASCII: \\d is 0-9, not every script's digits
        self.fast = re.compile("".join(parts), re.DOTALL | re.ASCII)
        self.slow = [c for c in self.compiled if not c.in_pattern]
        self.length = layout.length
        # what a line cut short must still hold: the mandatory fields, whole numbers
        self._checks_length = layout.record_type not in CONTROL_TYPES
        self._mandatory = [f for f in layout.fields if f.required == "M"]
        self._numbers = [f for f in layout.fields if f.type in _NUMERIC_TYPES]
        # what the per-record loop needs, unpacked once
        self._all_steps: list[_Step] = [
            (c.field.name, c.condition, c.check, c) for c in self.compiled
        ]
        self._slow_steps: list[_Step] = [(c.field.name, c.condition, c.check, c) for c in self.slow]
        self._clean_line = _line_checker(layout, self.fast, self._slow_steps)
        # Detail records judged clean, by their text after the prefix (no rule of theirs
        # reads the prefix): catalogues repeat the same publisher, territory and writer
        # lines thousands of times, and a line found clean once is clean again, its
        # values the same but for the prefix's. The values are kept from the second
        # time a line is seen (most lines with a title or a work number are seen once).
        self._content_from = None if not self._checks_length else record_prefix().end
        self._clean: dict[str, dict[str, str] | None] = {}
        # (its sequence numbers: the record type is this validator's)
        self._numbers_in_prefix = [
            (f.name, slice(f.offset, f.end))
            for f in layout.fields
            if f.end <= record_prefix().end and f.name != "record_type"
        ]

    def length_problem(self, record: Record, text: str) -> tuple[str, str | None] | None:
        """What is wrong with the length of a transaction or detail record, if anything:
        (message, the field it cuts).

        Tolerated, as real files have them: trailing blanks cut off (the line ends
        inside a text field or before optional ones) and blanks beyond the layout.
        A line that ends inside a number or date, or before a mandatory field, was
        cut; one with more than blanks beyond its layout has shifted fields.
        """
        n, length = len(text), self.length
        if n == length or not self._checks_length or len(record.raw) == length:
            return None  # (a UTF-8 line of the right length in bytes was cut by bytes)
        where = f"the {record.type} record is {n} characters long, expected {length}"
        if n > length:
            if not text[length:].strip():
                return None
            return f"{where}: {n - length} characters more, fields shifted", None
        cut = next(
            (f for f in self._numbers if f.offset < n < f.end and text[f.offset :].strip()), None
        )
        if cut is not None:
            return f"{where}: the line ends inside its {cut.name} field", cut.name
        missing = next((f for f in self._mandatory if f.offset >= n), None)
        if missing is not None:
            return f"{where}: the line ends before its mandatory {missing.name} field", (
                missing.name
            )
        return None

    def validate(self, record: Record, text: str, findings: list[Finding]) -> bool:
        """Check one record; apply FR defaults to ``record.values``; report into findings.

        False when the record's length says it cannot be read (one finding, TR).
        """
        content = None
        if len(text) == self.length:  # most lines: then the text alone decides
            if self._content_from is not None:
                content = text[self._content_from :]
                known = self._clean.get(content, False)
                if known is not False:
                    if known is None:
                        self._clean[content] = record.values
                    return True
            if self._clean_line(text):
                self._remember(content)
                return True
        else:
            problem = self.length_problem(record, text)
            if problem is not None:
                message, field = problem
                findings.append(
                    Finding(
                        "TR",
                        f"{message}; the record cannot be read, the transaction is rejected",
                        record.line,
                        record.type,
                        field,
                        str(len(text)),
                        LENGTH_EDIT,
                    )
                )
                return False
            text = text.ljust(self.length) if len(text) < self.length else text[: self.length]
        checks = self._slow_steps if self.fast.fullmatch(text) else self._all_steps
        values = record.values
        found = len(findings)
        for name, condition, check, c in checks:
            value = values.get(name, "")
            if condition is not None and not condition(record):
                continue
            problem = check(value)
            if problem is None:
                continue
            rule = c.rule
            message = f"{c.field.name.replace('_', ' ')}: {problem}"
            if rule.level == "FR":
                default = _default(rule.default, c.field)
                message += f"; replaced with {rule.default or 'blanks'}"
                values[c.field.name] = default
            findings.append(
                Finding(
                    rule.level,
                    message,
                    record.line,
                    record.type,
                    c.field.name,
                    value,
                    rule.edit or None,
                )
            )
            if rule.level == "RR":
                record.dropped = True
        if len(findings) == found:
            self._remember(content)
        return True

    def _remember(self, content: str | None) -> None:
        """Remember a line's content (None: a line not remembered) as found clean."""
        if content is not None:
            if len(self._clean) >= _CLEAN_LINES:
                self._clean.clear()
            self._clean[content] = None

    def _with_prefix(self, known: dict[str, str], text: str) -> dict[str, str]:
        """Values kept of a clean line, with the sequence numbers of ``text``'s prefix."""
        values = known.copy()
        for name, cut in self._numbers_in_prefix:
            values[name] = text[cut].strip()  # as the codec decodes a number
        return values

    def read(
        self,
        line: int,
        raw: bytes,
        text: str,
        codec: RecordCodec,
        findings: list[Finding],
        *,
        values: bool = True,
    ) -> tuple[Record, bool]:
        """A record of this type read from its line (``text``: its bytes decoded) and
        judged as :meth:`validate` judges it; False when it cannot be read.

        The line is decoded once and its content looked up once: a line clean before
        is not judged again, nor cut once its values are kept (those of the second
        line of its content, with this line's own prefix). ``values=False``: a record
        found clean gets no values (:data:`UNREAD`), for a check that reads none of
        this record's.
        """
        kind = self.record_type
        if len(text) == self.length and self._content_from is not None:
            content = text[self._content_from :]
            known = self._clean.get(content, False)
            if known is not False:  # clean before
                if not values:
                    return Record(line, kind, UNREAD, raw), True
                if known is not None:
                    return Record(line, kind, self._with_prefix(known, text), raw), True
                record = Record(line, kind, codec.decode_dict(raw), raw)
                self._clean[content] = record.values
                return record, True
            if not values and self._clean_line(text):
                self._remember(content)
                return Record(line, kind, UNREAD, raw), True
        record = Record(line, kind, codec.decode_dict(raw), raw)
        return record, self.validate(record, text, findings)


#: Field types whose values are ASCII digits (numbers, dates, times).
_NUMERIC_TYPES = frozenset("NDT")
#: Checks of the rules table that accept nothing but digits.
_DIGIT_CHECKS = frozenset(
    {"numeric", "date", "time", "share_max_5000", "share_max_10000", "positive"}
)
#: The edit for a record whose length does not match its layout (prefix edit 9).
LENGTH_EDIT = "FIL-F-009"
#: Clean lines remembered per record type (then forgotten all at once, and remembered anew).
_CLEAN_LINES = 20_000


def _form_rules(layout: RecordLayout, version: str, rules: list[FieldRule]) -> list[FieldRule]:
    """A digits-only check for each N, D and T field that no rule of the table checks so.

    A value with anything but ``0-9`` in such a field (a superscript ² passes
    ``str.isdigit``) is reported at its field: in the HDR the file is rejected (as
    every HDR edit does), in a mandatory field the transaction, else the field is
    replaced with zeros (what CWR writes for an empty number).
    """
    kind = layout.record_type
    digit_rules = [(r, _condition(r, kind)) for r in rules if r.check in _DIGIT_CHECKS]
    checked = {r.field for r, applies in digit_rules if applies is None}
    # where a digit rule of the table applies under a condition, this one applies otherwise
    otherwise = {r.field: _negated(r.condition) for r, applies in digit_rules if callable(applies)}
    control = layout.record_type in CONTROL_TYPES
    found = []
    for f in layout.fields:
        if f.type not in _NUMERIC_TYPES or f.name in checked:
            continue
        if not control and f.offset < record_prefix().end:
            continue  # prefix fields are checked by the parser
        level = "ER" if control else "TR" if f.required == "M" else "FR"
        found.append(
            FieldRule(
                frozenset({version}),
                layout.record_type,
                f.name,
                "numeric",
                level,
                "zeros" if level == "FR" else "",
                "",
                otherwise.get(f.name, ""),
                "a field of type N, D or T holds digits 0-9 only",
            )
        )
    return found


def _negated(condition: str) -> str:
    """The opposite of a simple condition of the rules table (``a=b``, ``a in b,c``...)."""
    for op, opposite in ((" not in ", " in "), (" in ", " not in "), ("!=", "="), ("=", "!=")):
        if op in condition:
            return condition.replace(op, opposite, 1)
    raise ValueError(f"cannot negate the condition {condition!r}")


def _rule_record(record_type: str) -> str:
    return CATALOGUE_RECORD.get(record_type, record_type)


def _default(default: str, f: Field) -> str:
    if default in ("", "spaces"):
        return ""
    if default == "zeros":
        return "0" * f.length
    return default


def record_validator(version: str, record_type: str) -> RecordValidator | None:
    """The compiled rules of one record type (None for a type the version lacks)."""
    return record_validators(version).get(record_type)


@cache
def record_validators(version: str) -> dict[str, RecordValidator]:
    """The compiled rules of every record type of a version, keyed by record type."""
    return {name: RecordValidator(layout, version) for name, layout in layouts(version).items()}


def check_header(raw: bytes, line: int, version: str, encoding: str) -> list[Finding]:
    """The field rules of a HDR record (the parser reads it; these judge its fields)."""
    validator = record_validator(version, "HDR")
    if validator is None:
        return []
    record = Record(line, "HDR", codec_for(version, "HDR", encoding).decode_dict(raw), raw)
    findings: list[Finding] = []
    validator.validate(record, raw.decode(encoding, "replace"), findings)
    return findings
