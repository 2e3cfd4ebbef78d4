"""Writing ISWC EDI v3.00 files: CAR/CUR/CDR submissions, and ACK and CSN answers.

Transactions are grouped by type (a group per type, in the order they first
come), numbered from 0 in each group, their detail records numbered from 1;
the control records count groups, transactions and records. A transaction's
own ``submission_id`` is not written: in EDI its number is its place in the
group. Text is written in upper case, as the format requires; records are
joined by CR/LF. The file is ASCII, except NAT records (UTF-8, declared in
the HDR's character set).

Records that cannot be written (a value too long for its field, a character
the field cannot hold) raise :class:`IswcWriteError` naming the transaction,
the record and the field; nothing is written then.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from adapters.cwr.records import EncodeError
from adapters.iswc import edi_records as er
from adapters.iswc.model import (
    Acknowledgement,
    Deletion,
    FileHeader,
    IswcWriteError,
    Notification,
    Submission,
)
from adapters.iswc.naming import edi_file_name

Writable = Submission | Deletion | Acknowledgement | Notification

#: The sender type of an agency or of the ISWC database in the HDR.
SENDER_TYPE = "SO"


def _encode(record: str, values: er.Values, where: str) -> str:
    try:
        return er.codec(record).encode(values)
    except EncodeError as exc:
        what = f"{where}: {record}.{exc.field}: {exc.reason} ({exc.value!r})"
        raise IswcWriteError(what) from None


def edi_lines(
    header: FileHeader, transactions: Iterable[Writable], sender_name: str = ""
) -> list[str]:
    """The records of a file, in order, without line ends."""
    groups: dict[str, list[list[er.Record]]] = {}
    for t in transactions:
        records = er.transaction_records(t)
        groups.setdefault(records[0][0], []).append(records)
    created = header.created.astimezone(UTC)
    unicode = any(r == "NAT" for g in groups.values() for tx in g for r, _ in tx)
    try:
        sender_id = int(header.sender)
    except ValueError:
        raise IswcWriteError(f"sender {header.sender!r} is not an agency code") from None
    hdr = {
        "sender_type": SENDER_TYPE,
        "sender_id": sender_id,
        "sender_name": sender_name or f"AGENCY {header.sender}",
        "edi_standard_version": er.EDI_STANDARD_VERSION,
        "creation_date": created.date(),
        "creation_time": created.time().replace(microsecond=0),
        "transmission_date": created.date(),
        "character_set": "UTF-8" if unicode else None,
    }
    lines = [_encode("HDR", hdr, "the file header")]
    total_tx = total_records = 0
    for number, (kind, txs) in enumerate(groups.items(), start=1):
        lines.append(
            _encode(
                "GRH",
                {"transaction_type": kind, "group_id": number, "version_number": er.VERSION},
                f"group {number}",
            )  # fmt: skip
        )
        records = 2
        for sequence, tx in enumerate(txs):
            where = f"group {number} ({kind}) transaction {sequence}"
            for position, (record, values) in enumerate(tx):
                numbered = {**values, "transaction_sequence": sequence,
                            "record_sequence": position}  # fmt: skip
                lines.append(_encode(record, numbered, where))
            records += len(tx)
        lines.append(
            _encode(
                "GRT",
                {"group_id": number, "transaction_count": len(txs), "record_count": records},
                f"group {number}",
            )  # fmt: skip
        )
        total_tx += len(txs)
        total_records += records
    trailer = {"group_count": len(groups), "transaction_count": total_tx,
               "record_count": total_records + 2}  # fmt: skip
    lines.append(_encode("TRL", trailer, "the file trailer"))
    return lines


def write_edi(
    header: FileHeader,
    transactions: Iterable[Writable],
    kind: str = "CSN",
    sender_name: str = "",
) -> tuple[str, bytes]:
    """An EDI file (name, bytes); ``kind`` is the extension of its name (CSN, ACK...)."""
    if header.receiver is None:
        raise IswcWriteError("an EDI file's name needs a receiving agency")
    name = edi_file_name(header.created, header.sender, header.receiver, kind)
    lines = edi_lines(header, transactions, sender_name)
    return name, ("\r\n".join(lines) + "\r\n").encode("utf-8")


def write_notifications(
    header: FileHeader, notifications: Iterable[Notification], sender_name: str = ""
) -> tuple[str, bytes]:
    """A CSN file (name, bytes), as the ISWC database sends agencies on their works."""
    return write_edi(header, notifications, "CSN", sender_name)


def write_acknowledgements(
    header: FileHeader, acknowledgements: Iterable[Acknowledgement], sender_name: str = ""
) -> tuple[str, bytes]:
    """An ACK file (name, bytes), as the ISWC database answers a file."""
    return write_edi(header, acknowledgements, "ACK", sender_name)
