"""Every single-field rule the engine executes, shown failing on a record built in code.

The test is generic: it walks the compiled rules of every record type of both CWR
versions (``record_validator(version, record_type).compiled``), and for each rule
without a condition whose check is a plain field check

1. builds a clean line: the codec's defaults, then every field that carries a rule
   filled with a value known to be good for its checks; the line has no finding;
2. overwrites the rule's field in that line with values known to be bad for the
   check, decodes the line and runs the record validator;
3. expects a finding with the rule's edit, level and field; an FR rule leaves its
   default in the field, an RR rule drops the record.

It also checks that the validator's shortcuts (the one-regex fast path, lines
remembered as clean) never hide a finding the per-rule checks would give.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.cwr.layout import Field, layouts, lookup, lookup_names, record_prefix
from adapters.cwr.record_rules import (
    CHECKS,
    LENGTH_EDIT,
    RecordValidator,
    _Compiled,
    record_validator,
)
from adapters.cwr.records import codec_for
from adapters.cwr.transactions import CONTROL_TYPES, UNREAD, Record
from exchange import codes
from exchange.imports.cwr import validate_file
from exchange.model import Finding
from tests.adapters.cwr.cwr_builder import CwrFile, valid_work

VERSIONS = ("2.1", "2.2")
_PREFIX = ("record_type", "transaction_sequence", "record_sequence")

#: Check kinds that judge one field by its value alone.
KINDS = CHECKS

#: Good values of the checks whose value does not depend on the field, in priority
#: order (a field with a date rule and a required rule gets the date).
GOOD = {
    "date": "20200101",
    "time": "000130",
    "iswc": "T0345246801",
    "ipi_name": "00014107338",
    "ipi_base": "I-001068130-6",
    "isrc": "GBAYE2000001",
    "ean": "4006381333931",
    "society": "052",
    "territory": "2136",
    "share_max_5000": "05000",
    "share_max_10000": "05000",
    "positive": "1",
    "sender_type": "PB",
    "flag": "Y",
    "boolean": "Y",
}

#: Lookups checked by ``exchange.codes`` rather than a shipped table.
CODE_LOOKUPS = {"society_code": "052", "tis_code": "2136"}

#: Rules that cannot be shown failing by a value of their field, with the reason.
#: Keyed by (version, record type, edit, field). Empty today: keep it rare.
SKIPS: dict[tuple[str, str, str, str], str] = {}

#: Exercised rules as measured when this test was written (480, none skipped); a drop means
#: rules vanished from the engine or from this test.
MIN_EXERCISED = 480


# -- good and bad values ---------------------------------------------------------------


def _table(f: Field) -> frozenset[str] | None:
    return lookup(f.lookup) if f.lookup and f.lookup in lookup_names() else None


def _code(f: Field) -> str | None:
    """A valid code for a lookup field (None when the codes are not a shipped table)."""
    if f.lookup in CODE_LOOKUPS:
        return CODE_LOOKUPS[f.lookup]
    table = _table(f)
    if table is None:
        return None
    fitting = sorted(c for c in table if len(c) <= f.length and c.isascii() and c == c.upper())
    assert fitting, f"no code of {f.lookup} fits {f.name}"
    return fitting[0]


def _good(f: Field, kinds: set[str]) -> str:
    """A value that every rule on the field accepts."""
    for kind, value in GOOD.items():
        if kind in kinds:
            return value
    if "numeric" in kinds:  # full width: an A field too stays all digits
        return {"D": GOOD["date"], "T": GOOD["time"]}.get(f.type, "1".zfill(f.length))
    code = _code(f)
    if code is not None:
        return code
    return {"N": "1", "D": GOOD["date"], "T": GOOD["time"], "B": "Y", "F": "Y"}.get(f.type, "X")


def _bad(c: _Compiled) -> list[str]:
    """Values of the field's width that the rule's check must reject."""
    f, kind = c.field, c.rule.check
    n = f.length
    if kind in ("required", "conditional_required"):
        return ["0" * n, " " * n] if f.type in "NDT" else [" " * n]
    if kind in ("lookup", "required_lookup"):
        values = [" " * n] if kind == "required_lookup" else []
        table = _table(f)
        if table is not None:
            unknown = "~~"[:n]
            assert unknown not in table
            values.append(unknown)
        return values
    if kind in ("share_max_5000", "share_max_10000"):
        return ["ABCDE"[:n], "9" * n]
    if kind == "society":
        assert not codes.is_society("998", cwr=True)
        return ["998"]
    if kind == "territory":
        assert not codes.is_territory("9999")
        return ["9999", " " * n]
    return [
        {
            "date": "20231340",
            "time": "256199",
            "numeric": "ABCDE"[:n],
            "flag": "X",
            "boolean": "X",
            "iswc": "T0345246802",
            "ipi_name": "00014107339",
            "ipi_base": "I-001068130-7",
            "isrc": "XX00X0000000",
            "ean": "ABCDEFGHIJKLM",
            "title_chars": "abc",
            "name_chars": ";;;",
            "positive": "0" * n,
            "sender_type": "XX",
        }[kind]
    ]


def _default(c: _Compiled) -> str:
    """What an FR rule leaves in the (decoded) field."""
    default = c.rule.default
    if default in ("", "spaces"):
        return ""
    if default == "zeros":
        return "0" * c.field.length
    return default


# -- lines and records -----------------------------------------------------------------


def _base_line(version: str, record_type: str) -> str:
    """The record with every field that carries a rule filled with a good value."""
    validator = record_validator(version, record_type)
    assert validator is not None
    kinds: dict[str, set[str]] = {}
    fields: dict[str, Field] = {}
    for c in validator.compiled:
        kinds.setdefault(c.field.name, set()).add(c.rule.check)
        fields[c.field.name] = c.field
    values = {name: _good(fields[name], k) for name, k in kinds.items() if name != "record_type"}
    line = codec_for(version, record_type).encode(values)
    assert len(line) == validator.length
    return line


def _with(line: str, f: Field, value: str) -> str:
    assert len(value) <= f.length, (f.name, value)
    return line[: f.offset] + value.ljust(f.length) + line[f.end :]


def _validate(version: str, record_type: str, line: str) -> tuple[Record, list[Finding]]:
    validator = record_validator(version, record_type)
    assert validator is not None
    values = codec_for(version, record_type).decode_dict(line)
    record = Record(1, record_type, values, line.encode("latin-1"))
    findings: list[Finding] = []
    validator.validate(record, line, findings)
    return record, findings


def _all_checks(validator: RecordValidator, record: Record) -> set[tuple[str, str]]:
    """(edit, field) of every compiled rule that fails, bypassing the fast pattern."""
    failing = set()
    for c in validator.compiled:
        if c.condition is not None and not c.condition(record):
            continue
        if c.check(record.values.get(c.field.name, "")) is not None:
            failing.add((c.rule.edit or None, c.field.name))
    return failing


def _rule_at(version: str, record_type: str, index: int) -> _Compiled:
    validator = record_validator(version, record_type)
    assert validator is not None
    return validator.compiled[index]


# -- the cases -------------------------------------------------------------------------


def _record_types() -> list[tuple[str, str]]:
    return [
        (version, record_type)
        for version in VERSIONS
        for record_type in layouts(version)
        if (v := record_validator(version, record_type)) is not None and v.compiled
    ]


def _rules() -> list[tuple[str, str, int, str]]:
    """(version, record type, index in compiled, test id) of every rule to exercise."""
    cases = []
    for version, record_type in _record_types():
        validator = record_validator(version, record_type)
        assert validator is not None
        for index, c in enumerate(validator.compiled):
            if c.condition is None and c.rule.check in KINDS:
                ident = f"{version}-{record_type}-{c.rule.edit}-{c.field.name}-{c.rule.check}"
                cases.append((version, record_type, index, ident))
    return cases


RECORD_TYPES = _record_types()
RULES = _rules()


@pytest.mark.parametrize(("version", "record_type"), RECORD_TYPES)
def test_the_base_line_is_clean(version: str, record_type: str) -> None:
    line = _base_line(version, record_type)
    validator = record_validator(version, record_type)
    assert validator is not None
    assert validator.fast.fullmatch(line), "the clean line should take the fast path"
    record, findings = _validate(version, record_type, line)
    assert findings == []
    assert not record.dropped
    assert _all_checks(validator, record) == set()


@pytest.mark.parametrize(
    ("version", "record_type"), [(v, t) for v, t in RECORD_TYPES if t not in CONTROL_TYPES]
)
def test_a_line_found_clean_is_recalled_with_its_own_prefix(version: str, record_type: str) -> None:
    """A line of a content found clean twice before gives the values the codec decodes."""
    validator = RecordValidator(layouts(version)[record_type], version)  # a fresh memory
    codec = codec_for(version, record_type)
    line = _base_line(version, record_type)
    again = record_prefix().numbered(line, 12, 7)
    shifted = again[:-1] + ("X" if again[-1] != "X" else "Y")
    for text in (line, line, again, again, shifted):  # the values are kept from the second
        raw = text.encode("latin-1")
        findings: list[Finding] = []
        record, _ = validator.read(1, raw, text, codec, findings)
        assert findings == [] or text == shifted
        if not findings:  # (an FR finding of the shifted line replaces a value)
            assert record.values == codec.decode_dict(raw)
    assert len(validator._clean) == 1 + (not findings)  # (the shifted line: clean or not)


@pytest.mark.parametrize(
    ("version", "record_type", "index"),
    [pytest.param(v, t, i, id=ident) for v, t, i, ident in RULES],
)
def test_every_field_rule_has_a_failing_example(version: str, record_type: str, index: int) -> None:
    c = _rule_at(version, record_type, index)
    rule, f = c.rule, c.field
    reason = SKIPS.get((version, record_type, rule.edit, f.name))
    if reason:
        pytest.skip(reason)
    base = _base_line(version, record_type)
    _, findings = _validate(version, record_type, base)
    assert not [x for x in findings if x.edit == rule.edit and x.field == f.name]

    bad_values = _bad(c)
    assert bad_values, f"no failing example for {rule.edit} ({rule.check})"
    for bad in bad_values:
        line = _with(base, f, bad)
        decoded = codec_for(version, record_type).decode_dict(line)[f.name]
        record, findings = _validate(version, record_type, line)
        hits = [
            x
            for x in findings
            if x.edit == (rule.edit or None) and x.level == rule.level and x.field == f.name
        ]
        assert hits, f"{rule.edit} ({rule.check}) did not fire on {bad!r}: {findings}"
        assert hits[0].value == decoded
        assert hits[0].record == record_type
        if rule.level == "FR":
            assert record.values[f.name] == _default(c), bad
        if rule.level == "RR":
            assert record.dropped, bad


def test_many_rules_are_exercised() -> None:
    compiled = [(v, t, _rule_at(v, t, i)) for v, t, i, _ in RULES]
    exercised = [
        (v, t, c) for v, t, c in compiled if (v, t, c.rule.edit, c.field.name) not in SKIPS
    ]
    assert len(exercised) >= MIN_EXERCISED, len(exercised)
    assert len(SKIPS) <= 5, "skips should stay rare"
    assert {c.rule.check for _, _, c in exercised} == KINDS  # every kind has an example


@pytest.mark.parametrize(("version", "record_type"), RECORD_TYPES)
def test_no_shortcut_hides_a_finding(version: str, record_type: str) -> None:
    """The validator's findings are those of running every compiled check, always.

    The validator takes shortcuts (one regex per record type that a clean line
    matches, and whatever it remembers of lines it found clean before); none may
    change the verdict. Probed with the clean value, blanks and the bad example
    values of every field that has a rule, one field at a time, on the clean line,
    after the clean line itself has been validated.
    """
    validator = record_validator(version, record_type)
    assert validator is not None
    base = _base_line(version, record_type)
    assert _validate(version, record_type, base)[1] == []
    by_field: dict[str, list[_Compiled]] = {}
    for c in validator.compiled:
        by_field.setdefault(c.field.name, []).append(c)
    hidden = []
    for rules in by_field.values():
        f = rules[0].field
        probes = {" " * f.length, base[f.offset : f.end]}
        for c in rules:
            probes.update(_bad(c))
        for probe in sorted(probes):
            line = _with(base, f, probe)
            record, findings = _validate(version, record_type, line)
            reported = {(x.edit, x.field) for x in findings}
            fresh = Record(1, record_type, codec_for(version, record_type).decode_dict(line), b"")
            expected = _all_checks(validator, fresh)
            if reported != expected:
                hidden.append((f.name, probe, sorted(expected - reported)))
    assert hidden == []


@pytest.mark.parametrize(
    ("version", "record_type"), [(v, t) for v, t in RECORD_TYPES if t not in CONTROL_TYPES]
)
def test_a_line_is_judged_alike_every_time(version: str, record_type: str) -> None:
    """A detail line the validator has seen before (it remembers those it found clean)
    gets the same findings, values and verdict as the first time, whatever its prefix."""
    validator = record_validator(version, record_type)
    assert validator is not None
    base = _base_line(version, record_type)
    lines = [base]
    for c in validator.compiled:
        lines += [_with(base, c.field, bad) for bad in _bad(c)]
    for line in lines:
        first = _validate(version, record_type, line)
        for again in (line, line[:3] + "0000012300000045" + line[19:]):
            record, findings = _validate(version, record_type, again)
            assert [(f.message, f.field, f.value, f.edit) for f in findings] == [
                (f.message, f.field, f.value, f.edit) for f in first[1]
            ]
            assert record.dropped == first[0].dropped
            assert {k: v for k, v in record.values.items() if k not in _PREFIX} == {
                k: v for k, v in first[0].values.items() if k not in _PREFIX
            }


@pytest.mark.parametrize(
    ("version", "record_type"), [(v, t) for v, t in RECORD_TYPES if t not in CONTROL_TYPES]
)
@pytest.mark.parametrize("values", [True, False])
def test_a_line_is_read_as_it_is_validated(version: str, record_type: str, values: bool) -> None:
    """``read`` (a line decoded and judged in one go) gives the findings, verdict and
    values of ``validate``, the first time and again; ``values=False`` leaves a line
    found clean undecoded."""
    validator = RecordValidator(layouts(version)[record_type], version)  # a fresh memory
    codec = codec_for(version, record_type)
    base = _base_line(version, record_type)
    lines = [base, base[:-1]]
    for c in validator.compiled:
        lines += [_with(base, c.field, bad) for bad in _bad(c)]
    for line in lines:
        expected, expected_findings = _validate(version, record_type, line)
        for again in (line, line[:3] + "0000012300000045" + line[19:], line):
            findings: list[Finding] = []
            raw = again.encode("latin-1")
            record, readable = validator.read(7, raw, again, codec, findings, values=values)
            assert [(f.message, f.field, f.value, f.edit) for f in findings] == [
                (f.message, f.field, f.value, f.edit) for f in expected_findings
            ]
            assert (record.line, record.type, record.raw) == (7, record_type, raw)
            assert record.dropped == expected.dropped
            assert readable == (not any(f.edit == LENGTH_EDIT for f in findings))
            if record.values is UNREAD:  # (a line the shortcuts find clean)
                assert not values and not findings
            else:
                assert values or line != base
                decoded = codec.decode_dict(raw)
                assert {k: v for k, v in record.values.items() if k not in _PREFIX} == {
                    k: v for k, v in expected.values.items() if k not in _PREFIX
                }
                assert [record.values[k] for k in _PREFIX] == [decoded[k] for k in _PREFIX]


# -- gaps found once, fixed since: kept as regression tests ------------------------


@pytest.mark.parametrize(
    ("version", "record_type", "field", "value", "edit"),
    [
        ("2.1", "NWR", "submitter_work_number", "0", "NWR-F-003"),
        ("2.1", "PER", "performing_artist_last_name", "0", "PER-F-001"),
        ("2.2", "PWR", "publisher_sequence", " 0", "PWR-F-007"),
    ],
)
def test_required_gives_the_same_verdict_on_both_paths(
    version: str, record_type: str, field: str, value: str, edit: str
) -> None:
    validator = record_validator(version, record_type)
    assert validator is not None
    f = layouts(version)[record_type].field(field)
    line = _with(_base_line(version, record_type), f, value)
    record, findings = _validate(version, record_type, line)
    per_rule = (edit, field) in _all_checks(validator, record)
    reported = edit in {x.edit for x in findings}
    assert per_rule == reported


@pytest.mark.parametrize("version", VERSIONS)
def test_ean_check_digit_is_verified(version: str) -> None:
    f = layouts(version)["REC"].field("ean")
    line = _with(_base_line(version, "REC"), f, "4006381333932")  # good one ends in 1
    _, findings = _validate(version, "REC", line)
    assert "REC-F-009" in {x.edit for x in findings}


@pytest.mark.parametrize(
    ("version", "record_type", "listed_under"),
    [
        ("2.1", "OPU", "SPU"),
        ("2.1", "OWR", "SWR"),
        ("2.1", "NCT", "NET"),
        ("2.1", "NVT", "NET"),
        ("2.2", "OPT", "SPT"),
        ("2.2", "OWT", "SWT"),
    ],
)
def test_other_party_records_get_their_rules(
    version: str, record_type: str, listed_under: str
) -> None:
    validator = record_validator(version, record_type)
    assert validator is not None
    assert validator.compiled, f"{record_type} has no field rules ({listed_under}-F-...)"


def test_header_field_rules_run_on_a_file(tmp_path: Path) -> None:
    lines = CwrFile("2.1").add("NWR", valid_work()).lines()
    f = layouts("2.1")["HDR"].field("creation_date")
    lines[0] = _with(lines[0], f, "20231340")
    path = tmp_path / "CW260001PUB_052.V21"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("latin-1"))
    report = validate_file(path)
    assert "HDR-F-010" in {x.edit for x in report.findings}
    assert report.file_rejected
