"""CWR export and import are inverse: a work written, parsed, checked and read back is the same.

For random valid works (:mod:`tests.strategies`) and both CWR versions: the file
that :class:`CwrWriter` writes passes the parser's structure checks and the
validator's field, record and transaction rules without one finding, and the
works mapped back from it equal the works sent, up to what the version cannot
carry (:func:`cwr_view`) and to representation (:func:`normalise`).  Writing
the works read back gives the same file again, byte for byte.
"""

from __future__ import annotations

import io
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.cwr.file_writer import CHARACTER_SETS, CwrWriter
from adapters.cwr.parser import CwrParser
from adapters.cwr.source import CwrSource
from adapters.cwr.validator import check_transaction
from exchange.model import Work
from tests.strategies import SENDER, cwr_view, cwr_works, normalise

CREATED = datetime(2026, 3, 14, 9, 26, 53)
VERSIONS = ("2.1", "2.2")


def write(works: list[Work], version: str, encoding: str = "ascii", tx: str = "NWR") -> bytes:
    buffer = io.BytesIO()
    writer = CwrWriter(
        buffer,
        version,
        sender=SENDER,
        sender_name="PRS",
        transaction=tx,
        created=CREATED,
        encoding=encoding,
    )
    for work in works:
        writer.add(work)
    assert writer.close().transactions == len(works)
    return buffer.getvalue()


def read_back(data: bytes, version: str) -> list[Work]:
    """The works of a file, once the parser and the validator have found nothing to say."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"CW260001{SENDER}_000.V{version.replace('.', '')}"
        path.write_bytes(data)
        parser = CwrParser(CwrSource(path))
        works = []
        for tx in parser.transactions():
            checked = check_transaction(tx, parser.version, parser.encoding, SENDER)
            assert [f.as_dict() for f in checked.findings] == []
            assert not checked.rejected
            assert not any(record.dropped for record in tx.records)
            assert checked.mapped is not None
            works.append(checked.mapped.work)
    assert parser.findings == [] and not parser.file_rejected
    assert parser.version == version
    return works


def numbered(works: list[Work]) -> list[Work]:
    """Local ids: the submitter number of works that have none from the sender."""
    for number, work in enumerate(works, start=1):
        work.id = number
    return works


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=30, deadline=None)
@given(
    works=st.lists(cwr_works(), min_size=1, max_size=3).map(numbered),
    encoding=st.sampled_from(sorted(CHARACTER_SETS)),
    tx=st.sampled_from(["NWR", "REV"]),
)
def test_written_works_read_back_the_same(
    version: str, works: list[Work], encoding: str, tx: str
) -> None:
    back = read_back(write(works, version, encoding, tx), version)
    assert len(back) == len(works)
    for sent, read in zip(works, back, strict=True):
        assert normalise(read) == normalise(cwr_view(sent, version))


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=10, deadline=None)
@given(works=st.lists(cwr_works(), min_size=1, max_size=3).map(numbered))
def test_works_read_back_write_the_same_file(version: str, works: list[Work]) -> None:
    data = write(works, version)
    assert write(read_back(data, version), version) == data


@settings(max_examples=20, deadline=None)
@given(work=cwr_works())
def test_cwr_21_is_excused_only_what_it_cannot_carry(work: Work) -> None:
    """The 2.1 comparison is not vacuous: 2.1 may lose only the 2.2-only content."""
    work.id = 1
    in_21, in_22 = normalise(cwr_view(work, "2.1")), normalise(cwr_view(work, "2.2"))
    other_writers = {c.party.key for c in work.writers if not c.controlled}
    has_22_only = (
        any(n.kind == "society" for n in work.numbers)  # XRF
        or bool(work.references)  # XRF of recordings, products and videos
        or any(c.territories for c in work.claims if not c.controlled)  # OPT, OWT
        or any(set(p.writers) & other_writers for p in work.publishers)  # PWR after OWR
        or any(
            r.title or r.version_title or r.display_artist or r.isrc_validity
            for r in work.recordings
        )
        or any(r.isrc or r.submitter_recording_id for r in work.recordings)  # REC validity, id
        or any(p.isan_version_check_digit or p.eidr or p.eidr_check_digit for p in work.productions)
    )
    assert (in_21 != in_22) == has_22_only
    (read,) = read_back(write([work], "2.1"), "2.1")
    assert normalise(read) == in_21
