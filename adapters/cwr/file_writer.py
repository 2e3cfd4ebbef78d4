"""Writing one CWR 2.1 / 2.2 file: HDR, groups, transactions, GRT and TRL, streamed.

:class:`CwrWriter` writes the control records with their counts around the
transactions that :func:`adapters.cwr.work_records.encode_work` makes.  Named
files in a folder (``CWyynnnnsss_rrr.V2x``, zip packages, splitting) are
:mod:`adapters.cwr.export`'s.

The HDR of CWR 2.2 carries version ``2.2`` and revision ``001`` (S22 edit 16
says the current value must be 1; other tools write 002); GRH versions are
``02.10`` for 2.1 and ``02.20`` for 2.2 (S22 group edit 4).  Text is ASCII by
default with a blank character set, as the CIS character set asks;
``latin-1`` writes Latin-1 with a blank character set, ``utf-8`` declares
``UTF-8``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import metadata
from typing import BinaryIO

from adapters.cwr.layout import layouts, record_prefix
from adapters.cwr.records import EncodeError, codecs_for
from adapters.cwr.work_records import encode_work
from adapters.cwr.work_values import CwrWriteError, version_profile
from exchange.identifiers import is_digits
from exchange.model import Work

__all__ = ["CHARACTER_SETS", "CwrWriter", "FileCounts"]

#: Text encodings and the HDR character set value that declares them.
CHARACTER_SETS: Mapping[str, str] = {"ascii": "", "latin-1": "", "utf-8": "UTF-8"}

CRLF = "\r\n"
_SOFTWARE = "CMO-EXCHANGE"


@dataclass(frozen=True, slots=True)
class FileCounts:
    """Control totals of a finished file."""

    groups: int
    transactions: int
    records: int


class CwrWriter:
    """Writes one CWR 2.x file to a binary stream, one transaction at a time.

    The HDR is written at once; :meth:`add` (or :meth:`add_lines`) appends a
    transaction, opening a group (GRH) for its transaction type when needed;
    :meth:`close` ends the open group (GRT) and the file (TRL).  Lines end with
    CR/LF.  A file may hold several groups, but each transaction type only once
    (pass works sorted by transaction type).  The stream is not closed.

    >>> import io
    >>> from exchange.demo import sample_works
    >>> buffer = io.BytesIO()
    >>> writer = CwrWriter(buffer, "2.2", sender="052", sender_name="PRS",
    ...                    created=datetime(2026, 3, 1, 12, 0, 0))
    >>> for number, work in enumerate(sample_works(), start=1):
    ...     work.id = number
    ...     _ = writer.add(work)
    >>> writer.close()
    FileCounts(groups=1, transactions=3, records=21)
    >>> buffer.getvalue().splitlines()[-1]
    b'TRL000010000000300000021'
    """

    def __init__(
        self,
        stream: BinaryIO,
        version: str,
        *,
        sender: str,
        sender_name: str,
        sender_type: str = "SO",
        transaction: str = "NWR",
        created: datetime | None = None,
        encoding: str = "ascii",
        buffer_lines: int = 4096,
        numbers_from: str | None = None,
    ) -> None:
        self.profile = version_profile(version)
        self.version = version
        if encoding not in CHARACTER_SETS:
            raise CwrWriteError(
                f"unsupported encoding {encoding!r}; expected one of {', '.join(CHARACTER_SETS)}"
            )
        width = layouts(version)["HDR"].field("sender_id").length
        if not is_digits(sender) or len(sender) > width:
            raise CwrWriteError(
                f"sender id must be a number of up to {width} digits, not {sender!r}"
            )
        self.stream = stream
        self.sender = sender
        #: whose work numbers go into the submitter work number field (default: the sender)
        self.numbers_from = numbers_from or sender
        self.encoding = encoding
        self.transaction = transaction
        self.created = created or datetime.now()
        self._codecs = codecs_for(version, encoding)
        self._prefix = record_prefix()
        self._buffer: list[str] = []
        self._buffer_lines = buffer_lines
        self._groups_done: set[str] = set()
        self._group: str | None = None
        self._group_id = 0
        self._group_transactions = 0
        self._group_records = 0
        self.transactions = 0
        self.records = 0
        self.works = 0
        self._closed = False
        header: dict[str, object] = {
            "sender_type": sender_type,
            "sender_id": sender,
            "sender_name": sender_name,
            "edi_standard_version": "01.10",
            "creation_date": self.created.date(),
            "creation_time": self.created.time().replace(microsecond=0),
            "transmission_date": self.created.date(),
            "character_set": CHARACTER_SETS[encoding] or None,
        }
        if self.profile.hdr_version:
            header.update(
                version="2.2",
                revision=1,
                software_package=_SOFTWARE,
                software_package_version=_software_version(),
            )
        self._control("HDR", header)

    @property
    def next_sequence(self) -> int:
        """Transaction sequence number the next transaction of the open group gets."""
        return self._group_transactions if self._group is not None else 0

    def sequence_for(self, transaction: str) -> int:
        """Transaction sequence number the next transaction of this type gets."""
        return self._group_transactions if self._group == transaction else 0

    def _control(self, record: str, values: dict[str, object]) -> None:
        try:
            line = self._codecs[record].encode(values)
        except EncodeError as exc:
            raise CwrWriteError(f"cannot write the {record} record: {exc}") from None
        self._emit(line)

    def _emit(self, line: str) -> None:
        self._buffer.append(line)
        self.records += 1
        if len(self._buffer) >= self._buffer_lines:
            self.flush()

    def flush(self) -> None:
        """Write buffered lines to the stream."""
        if self._buffer:
            self._buffer.append("")
            self.stream.write(CRLF.join(self._buffer).encode(self.encoding))
            self._buffer.clear()

    def _open_group(self, transaction: str) -> None:
        if self._group is not None:
            self._close_group()
        if transaction in self._groups_done:
            raise CwrWriteError(
                f"a {transaction} group was already written to this file; "
                "give the transactions sorted by type"
            )
        self._group = transaction
        self._group_id += 1
        self._group_transactions = 0
        self._group_records = 1
        self._control(
            "GRH",
            {
                "transaction_type": transaction,
                "group_id": self._group_id,
                "version_number": self.profile.group_version,
            },
        )

    def _close_group(self) -> None:
        assert self._group is not None
        self._group_records += 1
        self._control(
            "GRT",
            {
                "group_id": self._group_id,
                "transaction_count": self._group_transactions,
                "record_count": self._group_records,
            },
        )
        self._groups_done.add(self._group)
        self._group = None

    def add(self, work: Work, transaction: str | None = None) -> int:
        """Append one work as a transaction; returns the number of records written.

        Raises :class:`WorkWriteError` (and writes nothing) if the work cannot
        be written.
        """
        transaction = transaction or self.transaction
        lines = encode_work(
            work,
            self.version,
            transaction,
            self.sequence_for(transaction),
            self.numbers_from,
            self.encoding,
        )
        return self.add_lines(lines)

    def add_lines(self, lines: Sequence[str]) -> int:
        """Append one already encoded transaction (from :func:`encode_work`)."""
        if self._closed:
            raise CwrWriteError("the file is closed")
        if not lines:
            raise CwrWriteError("a transaction has at least its header record")
        prefix = self._prefix
        transaction = lines[0][prefix.record_type]
        if transaction != self._group:
            self._open_group(transaction)
        sequence = prefix.transaction_sequence
        given = lines[0][sequence]
        expected = str(self._group_transactions).zfill(sequence.stop - sequence.start)
        if given != expected:
            raise CwrWriteError(f"transaction sequence {given} given where {expected} is due")
        self._buffer.extend(lines)
        self.records += len(lines)
        if len(self._buffer) >= self._buffer_lines:
            self.flush()
        self._group_transactions += 1
        self._group_records += len(lines)
        self.transactions += 1
        self.works += 1
        return len(lines)

    def close(self) -> FileCounts:
        """End the open group and the file; flush.  Returns the control totals."""
        if self._closed:
            raise CwrWriteError("the file is already closed")
        if self._group is not None:
            self._close_group()
        self._closed = True
        groups = self._group_id
        self._control(
            "TRL",
            {
                "group_count": groups,
                "transaction_count": self.transactions,
                "record_count": self.records + 1,
            },
        )
        self.flush()
        return FileCounts(groups, self.transactions, self.records)


@cache
def _software_version() -> str:
    try:
        return metadata.version("cmo-exchange")
    except metadata.PackageNotFoundError:
        return ""
