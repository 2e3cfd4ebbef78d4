"""Tests for exchange.identifiers: published examples, invalid input, properties."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exchange.identifiers import InvalidIdentifier, ipi_base, ipi_name, isni, isrc, iswc

ALL_MODULES = [iswc, ipi_name, ipi_base, isrc, isni]

# 9-digit bodies; all zeros is rejected on purpose, so it is left out here.
bodies = st.text("0123456789", min_size=9, max_size=9).filter(lambda s: s != "000000000")


# --------------------------------------------------------------------------
# published examples (REFERENCE section 4)


@pytest.mark.parametrize(
    ("value", "compact", "display"),
    [
        ("T-034.524.680-1", "T0345246801", "T-034.524.680-1"),
        ("T-010.171.314-7", "T0101713147", "T-010.171.314-7"),
        ("T-000.000.001-0", "T0000000010", "T-000.000.001-0"),
        ("T1234567894", "T1234567894", "T-123.456.789-4"),
        ("t 034 524 680 1", "T0345246801", "T-034.524.680-1"),
    ],
)
def test_iswc_valid(value: str, compact: str, display: str) -> None:
    assert iswc.validate(value) == compact
    assert iswc.is_valid(value)
    assert iswc.format(value) == display


@pytest.mark.parametrize(
    "value",
    [
        "00045620792",
        "00052210040",
        "00334284961",
        "00014107338",
        "00000000199",
        "00000000297",
        "01234567846",
        "00123456790",
        "00008715000",  # remainder 1 gives check 00 (seen in real ACK data)
    ],
)
def test_ipi_name_valid(value: str) -> None:
    assert ipi_name.validate(value) == value
    assert ipi_name.is_valid(value)


def test_ipi_name_zero_padding() -> None:
    assert ipi_name.compact("334284961") == "00334284961"
    assert ipi_name.validate(334284961) == "00334284961"
    assert ipi_name.validate(" 000-456-207-92 ") == "00045620792"


def test_ipi_name_cae_number_needs_check_digits() -> None:
    # A 9-digit CAE number padded is not an IPI name number (this one fails).
    assert not ipi_name.is_valid("003342849")
    cae = "003342849"
    assert ipi_name.is_valid(cae + ipi_name.calc_check_digit(cae))


@pytest.mark.parametrize(
    ("value", "compact", "display"),
    [
        ("I-001068130-6", "I0010681306", "I-001068130-6"),
        ("I-123456789-3", "I1234567893", "I-123456789-3"),
        ("i1234567893", "I1234567893", "I-123456789-3"),
    ],
)
def test_ipi_base_valid(value: str, compact: str, display: str) -> None:
    assert ipi_base.validate(value) == compact
    assert ipi_base.format(value) == display


def test_isrc_valid() -> None:
    assert isrc.validate("US-SKG-19-12345") == "USSKG1912345"
    assert isrc.format("usskg1912345") == "US-SKG-19-12345"


def test_isni_valid() -> None:
    assert isni.validate("0000 0001 2281 955X") == "000000012281955X"
    assert isni.format("000000012281955X") == "0000 0001 2281 955X"
    assert isni.calc_check_digit("000000012281955") == "X"


# --------------------------------------------------------------------------
# invalid input and messages


@pytest.mark.parametrize(
    ("module", "value", "reason"),
    [
        (iswc, "T-034.524.680-2", "ISWC check digit does not match: expected 1"),
        (iswc, "T-034.524.680", "ISWC must be T, 9 digits and a check digit, got 10 characters"),
        (iswc, "T03452468001", "ISWC must be T, 9 digits and a check digit, got 12 characters"),
        (iswc, "0345246801", "ISWC must start with T"),
        (iswc, "T03452A6801", "ISWC must be T followed by 10 digits"),
        (iswc, "T0000000009", "ISWC cannot be all zeros"),
        (iswc, "", "ISWC is empty"),
        (ipi_name, "00045620793", "IPI name number check digits do not match: expected 92"),
        (ipi_name, "000456207920", "IPI name number must be 11 digits, got 12"),
        (ipi_name, "0004562079A", "IPI name number must contain only digits"),
        (ipi_name, "00000000000", "IPI name number cannot be all zeros"),
        (ipi_base, "I-123456789-4", "IPI base number check digit does not match: expected 3"),
        (ipi_base, "H-123456789-3", "IPI base number must start with I"),
        (
            ipi_base,
            "I-12345678-3",
            "IPI base number must be I, 9 digits and a check digit, got 10 characters",
        ),
        (ipi_base, "I-12345678X-3", "IPI base number must be I followed by 10 digits"),
        (isrc, "US-SKG-19-1234", "ISRC must be 12 characters, got 11"),
        (isrc, "XX-SKG-19-12345", "ISRC country code XX is not known"),
        (
            isrc,
            "US-SKG-1A-12345",
            "ISRC must be a 2-letter country code, 3-character registrant, "
            "2-digit year and 5-digit designation",
        ),
        (isni, "0000 0001 2281 9551", "ISNI check character does not match: expected X"),
        (isni, "0000 0001 2281 955", "ISNI must be 16 characters, got 15"),
        (isni, "0000 000A 2281 955X", "ISNI must be 15 digits followed by a digit or X"),
    ],
)
def test_invalid(module, value: str, reason: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        module.validate(value)
    assert caught.value.reason == reason
    assert str(caught.value) == reason
    assert caught.value.value == value
    assert caught.value.kind == module.KIND
    assert not module.is_valid(value)


def test_exception_is_value_error_and_pickles() -> None:
    error = InvalidIdentifier("ISWC", "T1", "ISWC must be 11 characters")
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.kind, copy.value, copy.reason) == ("ISWC", "T1", "ISWC must be 11 characters")


def test_format_rejects_invalid() -> None:
    for module in ALL_MODULES:
        with pytest.raises(InvalidIdentifier):
            module.format("nonsense")


@pytest.mark.parametrize("module", ALL_MODULES)
@given(value=st.text(max_size=20))
def test_only_invalid_identifier_escapes(module, value: str) -> None:
    # stdnum's own exceptions must surface as InvalidIdentifier.
    try:
        result = module.validate(value)
    except InvalidIdentifier:
        assert not module.is_valid(value)
    else:
        assert module.is_valid(value)
        assert module.validate(result) == result


# --------------------------------------------------------------------------
# properties of the check digits


def _replace(number: str, index: int, digit: int) -> str:
    return number[:index] + str(digit) + number[index + 1 :]


@given(body=bodies)
def test_iswc_roundtrip(body: str) -> None:
    number = "T" + body + iswc.calc_check_digit(body)
    assert iswc.is_valid(number)
    assert iswc.compact(iswc.format(number)) == number


@given(body=bodies)
def test_ipi_base_roundtrip(body: str) -> None:
    number = "I" + body + ipi_base.calc_check_digit(body)
    assert ipi_base.is_valid(number)
    assert ipi_base.compact(ipi_base.format(number)) == number


@given(body=bodies)
def test_ipi_name_roundtrip(body: str) -> None:
    number = body + ipi_name.calc_check_digit(body)
    assert ipi_name.is_valid(number)
    assert ipi_name.compact(ipi_name.format(number)) == number
    assert ipi_name.compact(number.lstrip("0")) == number


@given(body=st.text("0123456789", min_size=15, max_size=15))
def test_isni_roundtrip(body: str) -> None:
    number = body + isni.calc_check_digit(body)
    assert isni.is_valid(number)
    assert isni.compact(isni.format(number)) == number


@given(
    country=st.sampled_from(["US", "GB", "FR", "DE", "QM", "QZ", "ZZ"]),
    registrant=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=3, max_size=3),
    year=st.text("0123456789", min_size=2, max_size=2),
    designation=st.text("0123456789", min_size=5, max_size=5),
)
def test_isrc_roundtrip(country: str, registrant: str, year: str, designation: str) -> None:
    number = country + registrant + year + designation
    assert isrc.validate(number.lower()) == number
    assert isrc.compact(isrc.format(number)) == number


@pytest.mark.parametrize(("module", "prefix"), [(iswc, "T"), (ipi_base, "I")])
@given(body=bodies, index=st.integers(0, 9), delta=st.integers(1, 9))
def test_weighted_mod10_single_digit_change(module, prefix, body, index, delta) -> None:
    """A change of digit i (weight i) by delta is caught iff i*delta is not 0 mod 10.

    So positions 1, 3, 7, 9 and the check digit catch every change; position
    5 misses even changes and positions 2, 4, 6, 8 miss changes by 5.
    """
    number = prefix + body + module.calc_check_digit(body)
    old = int(number[1 + index])
    new = (old + delta) % 10
    changed = _replace(number, 1 + index, new)
    if index == 9:  # the check digit itself
        expected_valid = False
    else:
        weight = index + 1
        undetected = (weight * (new - old)) % 10 == 0
        expected_valid = undetected and changed[1:10] != "000000000"
    assert module.is_valid(changed) == expected_valid


def test_weighted_mod10_known_blind_spot() -> None:
    # Digit 5 changed by 2 (5 * 2 = 10): same check digit, still "valid".
    assert iswc.is_valid("T-034.544.680-1")
    assert iswc.is_valid("T-034.524.680-1")


@given(body=bodies, index=st.integers(0, 10), delta=st.integers(1, 9))
def test_ipi_name_every_single_digit_change_is_caught(body, index, delta) -> None:
    """Mod 101 with weights 10..2: a change moves S by 2..90, never a multiple
    of 101, and the only clash of the check mapping (remainders 0 and 1 both
    give 00) needs a move of 1; so any single changed digit is detected."""
    number = body + ipi_name.calc_check_digit(body)
    changed = _replace(number, index, (int(number[index]) + delta) % 10)
    assert not ipi_name.is_valid(changed)


@given(body=st.text("0123456789", min_size=15, max_size=15), index=st.integers(0, 14))
def test_isni_every_single_digit_change_is_caught(body, index) -> None:
    number = body + isni.calc_check_digit(body)
    changed = _replace(number, index, (int(number[index]) + 1) % 10)
    assert not isni.is_valid(changed)
