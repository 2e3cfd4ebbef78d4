"""CWR 2.x acknowledgements: the records of an ACK transaction, written and read.

An ACK transaction (CWR 2.2 section 4.1) is the ACK record, MSG records for the
findings, then the acknowledged transaction as the recipient processed it
(NWR, REV or AGR with its detail records) and, for a conflict, an EXC with the
existing work. All of them carry the ACK's transaction sequence number; record
sequence numbers run on from the ACK's 0. Each MSG comes right before the
record it speaks of.

Writing: :class:`AckBuilder` makes the lines of one ACK transaction.
Reading: :func:`read_ack` gives what a partner's ACK transaction says.
"""

from __future__ import annotations

import datetime as _dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from adapters.cwr.layout import field_slice, layouts, record_prefix
from adapters.cwr.reader import work_from_records
from adapters.cwr.records import EncodeError, codecs_for, number_or_none
from adapters.cwr.transactions import Record, Transaction
from exchange.model import Finding, Work

#: MSG message type and level letters of the finding levels (CWR 2.2 section 5.26).
LEVEL_LETTERS = {"ER": "E", "GR": "G", "TR": "T", "RR": "R", "FR": "F"}
#: Statuses that say the recipient holds the work (and so has a work number for it).
HELD = frozenset({"AS", "AC", "CO", "DU", "SR", "CR", "RA"})


def _plain(text: str) -> str:
    """Upper-case ASCII text for a CWR field (accents dropped, other characters '?')."""
    folded = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in folded if not unicodedata.combining(c))
    return ascii_text.encode("ascii", "replace").decode("ascii").upper()


def _width(record_type: str, name: str) -> int:
    at = field_slice(record_type, name)
    return at.stop - at.start


def message_values(finding: Finding, record_sequence: int) -> dict[str, object]:
    """The MSG fields for one finding about the record at ``record_sequence``.

    The record type, level letter and validation number name the edit when the
    finding has a CISAC edit id (``SWR-F-009``); else they come from the finding.

    >>> f = Finding("FR", "iswc: bad check digit", 3, "NWR", "iswc", "T1", "NWR-F-004")
    >>> v = message_values(f, 0)
    >>> v["message_type"], v["original_record_type"], v["message_level"], v["validation_number"]
    ('F', 'NWR', 'F', '004')
    """
    letter = LEVEL_LETTERS.get(finding.level, "F")
    record, level, number = (finding.record or "HDR"), letter, "000"
    if finding.edit:
        parts = finding.edit.split("-")
        if len(parts) == 3 and len(parts[1]) == 1:
            record, level, number = parts[0], parts[1], parts[2].zfill(3)[-3:]
    text = finding.message
    if finding.value and finding.value not in text:
        text = f"{text} ({finding.value})"
    return {
        "record_type": "MSG",
        "message_type": letter,
        "original_record_sequence": record_sequence,
        "original_record_type": record[: _width("MSG", "original_record_type")],
        "message_level": level,
        "validation_number": number,
        "message_text": _plain(text)[: _width("MSG", "message_text")],
    }


@dataclass(frozen=True, slots=True)
class Acknowledged:
    """What the ACK record says of the transaction it answers."""

    created: _dt.datetime  # the original file's HDR creation date and time
    group_id: int
    sequence: int
    type: str  # NWR, REV, AGR, or HDR/TRL for a file rejected as a whole
    title: str | None
    submitter_number: str | None
    recipient_number: str | None
    processed: _dt.date
    status: str


class AckBuilder:
    """Makes the lines of ACK transactions in one version and character set."""

    def __init__(self, version: str, encoding: str = "ascii") -> None:
        self.version = version
        self.codecs = codecs_for(version, encoding)
        self.lengths = {name: layout.length for name, layout in layouts(version).items()}
        self.prefix = record_prefix()

    def transaction(
        self,
        sequence: int,
        ack: Acknowledged,
        findings: Sequence[Finding],
        echo: Sequence[Record] = (),
        existing: Sequence[str] = (),
    ) -> list[str]:
        """One ACK transaction: ACK, MSG records, the echoed transaction, an EXC.

        ``echo`` are the acknowledged transaction's records as processed (values
        with field defaults applied; dropped records are left out); ``existing``
        the lines of an EXC transaction (any numbering: it is renumbered).
        """
        lines = [self.codecs["ACK"].encode(self._ack_values(ack, sequence))]
        by_line: dict[int, list[Finding]] = {}
        echoed_lines = {r.line for r in echo}
        loose: list[Finding] = []
        for finding in findings:
            if finding.level not in LEVEL_LETTERS:
                continue  # notes that reject nothing are said by the status
            if finding.line in echoed_lines:
                by_line.setdefault(finding.line, []).append(finding)
            else:
                loose.append(finding)
        original_seq = {r.line: _record_sequence(r) for r in echo}
        for finding in loose:
            lines.append(self._message(finding, 0, sequence, len(lines)))
        for record in echo:
            for finding in by_line.get(record.line, ()):
                lines.append(
                    self._message(finding, original_seq[record.line], sequence, len(lines))
                )
            lines.append(self._echo(record, sequence, len(lines)))
        for line in existing:
            lines.append(self.prefix.numbered(line, sequence, len(lines)))
        return lines

    def _ack_values(self, ack: Acknowledged, sequence: int) -> dict[str, object]:
        return {
            "record_type": "ACK",
            "transaction_sequence": sequence,
            "record_sequence": 0,
            "creation_date": ack.created.date(),
            "creation_time": ack.created.time().replace(microsecond=0),
            "original_group_id": ack.group_id,
            "original_transaction_sequence": ack.sequence,
            "original_transaction_type": ack.type,
            "creation_title": _plain(ack.title or "")[: _width("ACK", "creation_title")] or None,
            "submitter_creation_number": (
                _plain(ack.submitter_number or "")[: _width("ACK", "submitter_creation_number")]
                or None
            ),
            "recipient_creation_number": ack.recipient_number,
            "processing_date": ack.processed,
            "transaction_status": ack.status,
        }

    def _message(self, finding: Finding, record_seq: int, sequence: int, position: int) -> str:
        values = message_values(finding, record_seq)
        line = self.codecs["MSG"].encode(values)
        return self.prefix.numbered(line, sequence, position)

    def _echo(self, record: Record, sequence: int, position: int) -> str:
        """A processed record with the ACK's numbering; as received if it cannot be encoded."""
        codec = self.codecs.get(record.type)
        try:
            if codec is None:
                raise EncodeError(record.type, "record_type", record.type, "unknown record")
            line = codec.encode(record.values)
        except EncodeError:
            raw = record.raw.decode("latin-1")
            line = _plain(raw).ljust(self.lengths.get(record.type, len(raw)))
        return self.prefix.numbered(line, sequence, position)


def _record_sequence(record: Record) -> int:
    return number_or_none(record.values.get("record_sequence", "")) or 0


# -- reading -----------------------------------------------------------------------


@dataclass(slots=True)
class PartnerAck:
    """One ACK transaction of a partner's file, read."""

    line: int
    values: dict[str, str]
    messages: list[dict[str, str]] = field(default_factory=list)
    #: the acknowledged work as the partner holds it (from the echoed NWR/REV)
    work: Work | None = None
    #: the existing work it conflicts with (from an EXC)
    existing: Work | None = None

    @property
    def status(self) -> str:
        return self.values.get("transaction_status", "").strip()

    @property
    def submitter_number(self) -> str:
        return self.values.get("submitter_creation_number", "").strip()

    @property
    def recipient_number(self) -> str:
        return self.values.get("recipient_creation_number", "").strip()


def read_ack(tx: Transaction, submitter: str) -> PartnerAck:
    """The ACK record, its messages and the works it echoes, from a decoded transaction.

    ``submitter`` is whose work numbers the echoed transaction carries (the code
    of the node that sent the acknowledged file).
    """
    ack = PartnerAck(tx.header.line, dict(tx.header.values))
    parts: list[list[Record]] = []
    for record in tx.records[1:]:
        if record.type == "MSG":
            ack.messages.append(
                {
                    k: record.values.get(k, "").strip()
                    for k in (
                        "message_type",
                        "original_record_sequence",
                        "original_record_type",
                        "message_level",
                        "validation_number",
                        "message_text",
                    )
                }
            )
        elif record.type in ("NWR", "REV", "EXC", "AGR"):
            parts.append([record])
        elif parts:
            parts[-1].append(record)
    for records in parts:
        kind = records[0].type
        if kind in ("NWR", "REV") and ack.work is None:
            ack.work = work_from_records(records[0], records[1:], submitter).work
        elif kind == "EXC" and ack.existing is None:
            ack.existing = work_from_records(records[0], records[1:], submitter).work
    return ack
