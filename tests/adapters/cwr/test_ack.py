"""ACK transactions: what :class:`AckBuilder` writes, :func:`read_ack` and the validator read.

For random acknowledgements, findings and echoed works, in both versions: the
ACK file passes the parser and the validator without a finding, and reading it
back gives the ACK's fields, one message per finding (in order, before the
record it speaks of), the echoed work and the existing work of a conflict.
"""

from __future__ import annotations

import io
import tempfile
from datetime import date, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.cwr.ack import LEVEL_LETTERS, AckBuilder, Acknowledged, message_values, read_ack
from adapters.cwr.file_writer import CwrWriter
from adapters.cwr.parser import CwrParser
from adapters.cwr.source import CwrSource
from adapters.cwr.transactions import Transaction
from adapters.cwr.validator import check_transaction
from adapters.cwr.work_records import encode_work
from exchange.demo import sample_works
from exchange.model import Finding
from tests.strategies import SENDER, cwr_works

VERSIONS = ("2.1", "2.2")
WORDS = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -", min_size=1, max_size=70)
EDITS = st.sampled_from(["NWR-F-004", "SWR-T-008", "SPU-R-012", "NWR-T-015", None])


@st.composite
def findings(draw: st.DrawFn, lines: list[tuple[int, str]]) -> Finding:
    line, record = draw(st.sampled_from(lines))
    return Finding(
        draw(st.sampled_from(sorted(LEVEL_LETTERS))),
        draw(WORDS).strip() or "X",
        line,
        record,
        edit=draw(EDITS),
    )


def records_of(lines: list[str], version: str, sender: str) -> list[Transaction]:
    """The transactions of a file holding these transaction lines, parsed."""
    buffer = io.BytesIO()
    writer = CwrWriter(buffer, version, sender=sender, sender_name="PRS", transaction=lines[0][:3])
    writer.add_lines(lines)
    writer.close()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"CW260001{sender}_PUB.V{version.replace('.', '')}"
        path.write_bytes(buffer.getvalue())
        parser = CwrParser(CwrSource(path))
        transactions = list(parser.transactions())
        assert parser.findings == []
        return transactions


@settings(max_examples=40, deadline=None)
@given(
    version=st.sampled_from(VERSIONS),
    works=st.tuples(cwr_works(), cwr_works()),
    status=st.sampled_from(["AS", "AC", "RJ", "CO", "NP", "DU"]),
    title=WORDS,
    data=st.data(),
)
def test_ack_round_trip(version: str, works, status: str, title: str, data) -> None:
    acknowledged_work, existing_work = works
    for number, work in enumerate(works, start=1):
        work.id = number
    [sent] = records_of(encode_work(acknowledged_work, version, "NWR", 0, SENDER), version, SENDER)
    echo = sent.records
    places = [(r.line, r.type) for r in echo]
    notes = data.draw(st.lists(findings(places), max_size=6))
    existing = encode_work(existing_work, version, "EXC", 0, SENDER) if status == "CO" else []
    ack = Acknowledged(
        datetime(2026, 2, 3, 4, 5, 6),
        1,
        7,
        "NWR",
        title.strip() or "T",
        "W-1",
        "123" if status != "RJ" else None,
        date(2026, 2, 4),
        status,
    )
    builder = AckBuilder(version)
    lines = builder.transaction(0, ack, notes, echo, existing)

    [tx] = records_of(lines, version, "058")
    checked = check_transaction(tx, version, "ascii", "058")
    assert [f for f in checked.findings if f.level != "WARN"] == []
    read = read_ack(tx, SENDER)

    assert read.status == status
    assert read.values["creation_date"] == "20260203"
    assert read.values["creation_time"] == "040506"
    assert read.values["original_transaction_sequence"] == "00000007"
    assert read.submitter_number == "W-1"
    assert read.recipient_number == ("123" if status != "RJ" else "")
    assert read.values["creation_title"].strip() == (title.strip() or "T")[:60]
    # one message per finding, in the order of the records they speak of
    order = {line: i for i, (line, _) in enumerate(places)}
    expected = sorted(notes, key=lambda f: order[f.line])
    assert [m["message_type"] for m in read.messages] == [LEVEL_LETTERS[f.level] for f in expected]
    assert [m["original_record_type"] for m in read.messages] == [
        message_values(f, 0)["original_record_type"] for f in expected
    ]
    kinds = [r.type for r in tx.records]
    for f in expected:  # each message comes right before the echoed record it speaks of
        position = places.index((f.line, f.record))
        echoed_at = [i for i, k in enumerate(kinds) if k not in ("ACK", "MSG")][position]
        assert kinds[echoed_at - 1] == "MSG"
    assert read.work is not None and read.work.title == acknowledged_work.title
    if status == "CO":
        assert read.existing is not None and read.existing.title == existing_work.title
    else:
        assert read.existing is None


def test_ack_must_carry_what_it_acknowledges() -> None:
    """ACK edits 2 and 3: an ACK of an NWR without the NWR, an EXC with nothing before it."""
    work = sample_works()[0]
    work.id = 1
    ack = Acknowledged(datetime(2026, 1, 1), 1, 0, "NWR", "T", "W", None, date(2026, 1, 2), "RA")
    exc = encode_work(work, "2.1", "EXC", 0, SENDER)
    lines = AckBuilder("2.1").transaction(0, ack, [], [], exc)
    [tx] = records_of(lines, "2.1", "058")
    checked = check_transaction(tx, "2.1", "ascii", "058")
    assert {f.edit for f in checked.findings if f.level == "TR"} == {"ACK-T-002", "ACK-T-003"}
    assert checked.rejected

    header_ack = Acknowledged(
        datetime(2026, 1, 1), 0, 0, "HDR", None, None, None, date.today(), "RJ"
    )
    [tx] = records_of(AckBuilder("2.1").transaction(0, header_ack, []), "2.1", "058")
    assert check_transaction(tx, "2.1", "ascii", "058").findings == []
