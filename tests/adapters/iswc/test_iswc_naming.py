"""File names of the ISWC JSON and EDI formats, as the documents give them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given

from adapters.iswc.model import IswcWriteError
from adapters.iswc.naming import (
    FROM_LOCAL_RANGE,
    edi_file_name,
    json_file_name,
    parse_edi_file_name,
    parse_json_file_name,
)
from tests.adapters.iswc.records import agencies, edi_times

IMRO_FILE = datetime(2019, 11, 25, 18, 25, 43, tzinfo=UTC)


def test_the_examples_of_the_documents():
    # SPE_20191118 2.2.3 and 2.3: IMRO (128) to the ISWC database (315)
    assert json_file_name(IMRO_FILE, "128", "315", "SampleSubmissions") == (
        "iswc_2019-11-25T18-25-43_315_128_SampleSubmissions.json"
    )
    assert json_file_name(IMRO_FILE, "128", "315", FROM_LOCAL_RANGE) == (
        "iswc_2019-11-25T18-25-43_315_128_FromLocalRange.json"
    )
    # SPE_20190806 3.2.1: SOCAN (101) to the CSI centre (315), plain and zipped
    socan = datetime(2007, 1, 1, 8, 1, 0, tzinfo=UTC)
    assert edi_file_name(socan, "101", "315") == "ISWC20070101080100315101.CSN"
    assert edi_file_name(socan, "101", "315", zipped=True) == "ISWC20070101080100315101.zip"


def test_the_time_in_a_name_is_utc():
    paris = IMRO_FILE.astimezone(timezone(timedelta(hours=1)))
    assert json_file_name(paris, "128", "315").startswith("iswc_2019-11-25T18-25-43_")
    with pytest.raises(IswcWriteError, match="no time zone"):
        json_file_name(IMRO_FILE.replace(tzinfo=None), "128", "315")


@pytest.mark.parametrize(
    "call",
    [
        lambda: json_file_name(IMRO_FILE, "12", "315"),
        lambda: json_file_name(IMRO_FILE, "128", "315", "../etc"),
        lambda: edi_file_name(IMRO_FILE, "128", "3150"),
        lambda: edi_file_name(IMRO_FILE, "128", "315", "csn"),
    ],
)
def test_bad_parts_of_a_name_are_refused(call):
    with pytest.raises(IswcWriteError):
        call()


@given(edi_times(), agencies(), agencies())
def test_names_parse_back(created, sender, receiver):
    parsed = parse_json_file_name(json_file_name(created, sender, receiver, "X1"))
    assert (parsed.created, parsed.sender, parsed.receiver, parsed.descriptor) == (
        created, sender, receiver, "X1",
    )  # fmt: skip
    parsed = parse_edi_file_name(edi_file_name(created, sender, receiver, "ACK"))
    assert (parsed.created, parsed.sender, parsed.receiver, parsed.descriptor) == (
        created, sender, receiver, "ACK",
    )  # fmt: skip


@pytest.mark.parametrize(
    "name",
    ["iswc_2019-13-25T18-25-43_315_128.json", "iswc_2019-11-25_315_128.json", "CW260001.V21",
     "ISWC20071301080100315101.CSN", "ISWC2007010108010031510.CSN"],
)  # fmt: skip
def test_other_names_are_not_iswc_files(name):
    assert parse_json_file_name(name) is None and parse_edi_file_name(name) is None
