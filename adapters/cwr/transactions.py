"""What a CWR 2.x file is read into: records, transactions and groups.

:class:`~adapters.cwr.parser.CwrParser` yields :class:`Transaction` objects
(a header record and its detail records, with the findings on them);
:mod:`adapters.cwr.validator` judges them and :mod:`adapters.cwr.reader`
makes works of them.  The record type classes say which records open a
transaction and which are control records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from exchange.model import Finding

#: Record types that open a transaction.
HEADER_TYPES = frozenset({"NWR", "REV", "ISW", "EXC", "ACK", "AGR"})
#: Inside an ACK transaction, these follow the ACK record as part of it.
ACK_CONTINUATION = frozenset({"NWR", "REV", "EXC", "AGR"})
CONTROL_TYPES = frozenset({"HDR", "GRH", "GRT", "TRL"})


#: The values of a record read for a check that reads none of them, and found clean:
#: not decoded (read-only: nothing may be written into them).
UNREAD: dict[str, str] = MappingProxyType({})  # type: ignore[assignment]


@dataclass(slots=True)
class Record:
    """One decoded record line (its ``values`` :data:`UNREAD` when not decoded)."""

    line: int
    type: str
    values: dict[str, str]
    raw: bytes
    dropped: bool = False

    def __getitem__(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass(slots=True)
class Transaction:
    """One transaction: its header record and its detail records, in file order."""

    group_type: str
    group_id: int
    sequence: int
    records: list[Record] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rejected: bool = False
    #: Without decoding (a structure pass): (line, record type, raw bytes) of every record.
    lines: list[tuple[int, str, bytes]] = field(default_factory=list)
    #: Where the transaction is in the file: its first and last line, its byte offset.
    first_line: int = 0
    last_line: int = 0
    offset: int = 0
    #: Records read, kept or not (past MAX_TRANSACTION_RECORDS they are not).
    record_count: int = 0

    @property
    def header(self) -> Record:
        return self.records[0]

    @property
    def type(self) -> str:
        return self.records[0].type

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)
        if finding.rejects_transaction:
            self.rejected = True


@dataclass(slots=True)
class Group:
    type: str
    id: int
    line: int
    transactions: int = 0
    records: int = 1  # the GRH itself
    rejected: bool = False
