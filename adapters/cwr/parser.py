"""Streaming structure of a CWR 2.x file: file → groups → transactions → records.

:class:`CwrParser` reads one line at a time and yields one :class:`Transaction`
at a time, so memory stays bounded whatever the file size. On the way it checks
what CISAC calls the file- and group-level edits and the record prefix rules
(HDR/GRH/GRT/TRL order, sequence numbers, control counts); the findings of
those checks are collected in :attr:`CwrParser.findings` (ER and GR) or on the
transaction they concern (TR).

Field contents are not judged here: see :mod:`adapters.cwr.record_rules`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from adapters.cwr.file_names import parse_file_name, version_of_name
from adapters.cwr.layout import HDR_VERSION_3X, field_slice, layouts, record_prefix
from adapters.cwr.records import FieldError, RecordCodec, codec_for, number_or_none, to_int
from adapters.cwr.source import CwrSource, encoding_of_header
from adapters.cwr.transactions import (
    ACK_CONTINUATION,
    CONTROL_TYPES,
    HEADER_TYPES,
    Group,
    Record,
    Transaction,
)
from exchange.model import Finding

GROUP_VERSIONS = {"2.1": "02.10", "2.2": "02.20"}
#: A file may hold one group per transaction type; past this many, nothing more is read.
MAX_GROUPS = 100
#: Past this many file-level errors (any one rejects the file), nothing more is read.
MAX_FILE_ERRORS = 1000
#: A transaction with more records is rejected, and its records past these not kept.
MAX_TRANSACTION_RECORDS = 50_000
#: Numbers of the control records that CWR does not use: only noted when not numeric.
_UNUSED_NUMBERS = {"GRH": ("batch_request",), "GRT": ("total_monetary_value",)}

#: The versions this parser reads; a 3.x file is recognised and refused in one finding.
READ_VERSIONS = ("2.1", "2.2")
_VERSION_3X = re.compile(rb"3\.[0-9]")


#: Bytes of the first line that a "not a CWR file" finding shows.
_EXCERPT = 20


def _printable(raw: bytes) -> str:
    """Raw bytes as text a report can show (control and non-ASCII bytes escaped)."""
    return ascii(raw)[2:-1]


class _Enough(Exception):
    """The file is rejected and reading on would only pile up findings."""


def starts_transaction(record_type: str, group_type: str, in_transaction: bool) -> bool:
    """Whether a record of ``record_type`` begins a transaction (in a group of
    ``group_type``; ``in_transaction`` if one has begun): an ACK transaction goes on
    with the header of the transaction it answers."""
    return record_type in HEADER_TYPES and not (
        group_type == "ACK" and record_type in ACK_CONTINUATION and in_transaction
    )


class CwrParser:
    """Reads one CWR 2.x file; iterate :meth:`transactions` to go through it.

    ``decode=False`` checks the structure only (record types and prefixes, the
    control records and counts) without decoding detail records: a fast first
    pass that tells whether the file or a group is rejected as a whole. Their raw
    lines stay on the transactions (``Transaction.lines``) unless ``keep_records=False``.
    """

    def __init__(
        self, source: CwrSource, *, decode: bool = True, keep_records: bool = True
    ) -> None:
        self.source = source
        self.decode = decode
        self.keep_records = keep_records
        self.findings: list[Finding] = []
        self.header: dict[str, str] = {}
        #: the HDR record's line number and raw bytes, once read
        self.header_line: tuple[int, bytes] | None = None
        self.version = "2.1"
        self.encoding = "latin-1"
        self.file_rejected = False
        #: Why nothing of the file can be read (empty, not CWR, CWR 3.x), if so.
        self.unsupported: str | None = None
        self.groups: list[Group] = []
        self.trailer: dict[str, str] | None = None
        self.transaction_count = 0
        self.record_count = 0
        self._codecs: dict[str, RecordCodec | None] = {}
        self._errors = 0
        self.name = parse_file_name(source.name)

    # -- findings ---------------------------------------------------------------

    def _file(
        self, message: str, line: int | None, record: str | None, edit: str | None = None, **kw: str
    ) -> None:
        self.findings.append(Finding("ER", message, line, record, edit=edit, **kw))
        self.file_rejected = True
        self._errors += 1
        if self._errors == MAX_FILE_ERRORS:
            self._stop(f"{MAX_FILE_ERRORS:,} errors that reject the file", line)

    def _stop(self, why: str, line: int | None) -> None:
        """End the reading of a rejected file that would give only more of the same."""
        self.findings.append(Finding("ER", f"{why}: nothing more is read", line))
        self.file_rejected = True
        raise _Enough

    def _group(
        self, group: Group, message: str, line: int, record: str, edit: str | None, **kw: str
    ) -> None:
        self.findings.append(Finding("GR", message, line, record, edit=edit, **kw))
        group.rejected = True

    # -- records ----------------------------------------------------------------

    def codec(self, record_type: str) -> RecordCodec | None:
        try:
            return self._codecs[record_type]
        except KeyError:
            try:
                codec = codec_for(self.version, record_type, self.encoding)
            except KeyError:
                codec = None
            self._codecs[record_type] = codec
            return codec

    def _control(self, raw: bytes, record_type: str, line: int | None = None) -> dict[str, str]:
        codec = self.codec(record_type)
        assert codec is not None
        values = codec.decode_dict(raw)
        for name in _UNUSED_NUMBERS.get(record_type, ()):
            value = values.get(name, "")
            if number_or_none(value) is None and value:
                message = f"{name.replace('_', ' ')} must be numeric (digits 0-9); ignored"
                self.findings.append(Finding("WARN", message, line, record_type, name, value))
        return values

    def _unsupported(self, message: str, line: int | None, edit: str, **kw: str) -> None:
        """The file cannot be read at all: one finding says why, nothing more is read."""
        self._file(message, line, kw.pop("record", None), edit, **kw)
        self.unsupported = message

    def _read_header(self, number: int, raw: bytes) -> bool:
        """Read the HDR: encoding, version (False: a version this parser does not read)."""
        self.header_line = (number, raw)
        self.encoding = encoding_of_header(raw)
        named = version_of_name(self.source.name)
        declared = raw[field_slice("HDR", "version")].decode("latin-1").strip()
        version_3x = raw[HDR_VERSION_3X.slice]
        if declared in READ_VERSIONS:
            self.version = declared
        elif _VERSION_3X.fullmatch(version_3x) or (named or "").startswith("3"):
            # a 3.x HDR carries its version one place further
            found = version_3x.decode("latin-1")
            self.version = found if _VERSION_3X.fullmatch(version_3x) else named or "3.x"
            how = "its HDR" if found == self.version else "its file name"
            self._unsupported(
                f"a CWR {self.version} file (so says {how}): this node reads CWR 2.1 and 2.2 "
                "only, CWR 3.x is not handled yet; nothing of the file was read",
                number,
                "FIL-E-009",
                record="HDR",
                field="version",
                value=found.strip() or self.source.name,
            )
            return False
        elif not declared:
            self.version = named if named in READ_VERSIONS else "2.1"
        elif named in READ_VERSIONS:
            # an unreadable version field: the file name says which layouts to read with
            self.version = named
            self.findings.append(
                Finding(
                    "ER" if named == "2.2" else "WARN",
                    f"HDR version {declared!r} is not a CWR version; read as CWR {named}, "
                    "as the file name says",
                    number,
                    "HDR",
                    "version",
                    declared,
                    "FIL-E-009" if named == "2.2" else None,
                )
            )
            self.file_rejected = self.file_rejected or named == "2.2"
        else:
            self._file(
                f"HDR declares CWR version {declared!r}; this reader knows 2.1 and 2.2",
                number,
                "HDR",
                "FIL-E-009",
                field="version",
                value=declared,
            )
        self._codecs.clear()
        self.header = self._control(raw, "HDR")
        return True

    def _detail_codecs(self) -> dict[str, RecordCodec]:
        """Codecs of the transaction and detail record types of the file's version."""
        return {
            name: codec
            for name in layouts(self.version)
            if name not in CONTROL_TYPES and (codec := self.codec(name)) is not None
        }

    # -- the walk ---------------------------------------------------------------

    def transactions(self) -> Iterator[Transaction]:
        """Transactions in file order; structure findings accumulate on the way.

        A file with more than :data:`MAX_FILE_ERRORS` errors or :data:`MAX_GROUPS`
        groups is rejected there, and not read further: time and memory stay bounded.
        """
        try:
            yield from self._walk()
        except _Enough:
            return

    def _walk(self) -> Iterator[Transaction]:
        group: Group | None = None
        tx: Transaction | None = None
        last_type: str | None = None
        prev_record_seq = 0
        prev_tx_seq = 0
        seen_group_types: set[str] = set()
        first = True
        codecs: dict[str, RecordCodec] | None = None
        prefix = record_prefix()
        type_at, tx_seq_at, rec_seq_at = (
            prefix.record_type,
            prefix.transaction_sequence,
            prefix.record_sequence,
        )

        for number, raw in self.source.lines():
            record_type = raw[type_at].decode("latin-1")
            self.record_count += 1
            if first or record_type in CONTROL_TYPES or self.trailer is not None:
                if first:
                    first = False
                    if record_type != "HDR":
                        start = _printable(raw[:_EXCERPT])
                        self._unsupported(
                            "not a CWR file: the first record should be HDR, the file starts "
                            f"with '{start}'; nothing more is read",
                            number,
                            "FIL-E-002",
                            value=start,
                        )
                        return
                    if not self._read_header(number, raw):
                        return
                    codecs = self._detail_codecs()
                    last_type = "HDR"
                    continue
                if codecs is None:
                    codecs = self._detail_codecs()

                if record_type == "HDR":
                    self._file("more than one HDR record", number, "HDR", "FIL-E-008")
                    continue
                if self.trailer is not None:
                    self._file("records after the TRL record", number, record_type, "FIL-E-005")
                    continue

                if record_type == "GRH":
                    if tx is not None:
                        yield tx
                        tx = None
                    if last_type not in ("HDR", "GRT"):
                        self._file(
                            "a GRH is not preceded by a GRT (or the HDR)",
                            number,
                            "GRH",
                            "FIL-E-004",
                        )
                    values = self._control(raw, "GRH", number)
                    group = self._open_group(number, values, seen_group_types)
                    last_type = "GRH"
                    continue

                if record_type == "GRT":
                    if tx is not None:
                        yield tx
                        tx = None
                    if group is None:
                        self._file("a GRT without its GRH", number, "GRT", "FIL-E-007")
                    else:
                        group.records += 1
                        self._close_group(number, self._control(raw, "GRT", number), group)
                    group = None
                    last_type = "GRT"
                    continue

                if record_type == "TRL":
                    if tx is not None:
                        yield tx
                        tx = None
                    if group is not None:
                        self._no_trailer(group, number, "the TRL follows its last transaction")
                        group = None
                    self.trailer = self._control(raw, "TRL")
                    self._check_trailer(number)
                    last_type = "TRL"
                    continue

            # a transaction header or detail record
            previous_type, last_type = last_type, record_type
            if group is None:
                self._file(
                    f"{record_type} record outside a group (no GRH)",
                    number,
                    record_type,
                    "FIL-E-007",
                )
                continue
            group.records += 1
            codec = codecs.get(record_type)
            if codec is None:
                self._file(
                    f"unknown record type {record_type!r}",
                    number,
                    record_type,
                    "FIL-F-001",
                    value=record_type,
                    field="record_type",
                )
                continue
            tx_seq_text = raw[tx_seq_at]
            rec_seq_text = raw[rec_seq_at]
            starts = starts_transaction(record_type, group.type, tx is not None)
            if tx_seq_text.isdigit() and rec_seq_text.isdigit():  # (bytes: ASCII 0-9 only)
                tx_seq, rec_seq = int(tx_seq_text), int(rec_seq_text)
            else:
                try:
                    tx_seq = to_int(tx_seq_text)
                    rec_seq = to_int(rec_seq_text)
                except FieldError:
                    tx_seq = rec_seq = None
            if tx_seq is None or rec_seq is None:
                bad, text = (
                    ("record_sequence", rec_seq_text)
                    if number_or_none(tx_seq_text) is not None
                    else ("transaction_sequence", tx_seq_text)
                )
                self._file(
                    f"the record prefix has no valid {bad.replace('_', ' ')} number (8 digits 0-9)",
                    number,
                    record_type,
                    "FIL-F-008",
                    field=bad,
                    value=text.decode("latin-1"),
                )
                # go on as if the numbers were right, to check the rest of the file
                if starts:
                    tx_seq = 0 if group.transactions == 0 else prev_tx_seq + 1
                    rec_seq = 0
                else:
                    tx_seq = tx.sequence if tx is not None else 0
                    rec_seq = prev_record_seq + 1
                tx_seq_text = b"%0*d" % (tx_seq_at.stop - tx_seq_at.start, tx_seq)
                rec_seq_text = b"%0*d" % (rec_seq_at.stop - rec_seq_at.start, rec_seq)
            if previous_type == "GRH" and not starts:
                self._file(
                    f"the GRH is followed by {record_type}, not by a transaction header",
                    number,
                    record_type,
                    "FIL-E-006",
                )
            if starts:
                if tx is not None:
                    yield tx
                expected = 0 if group.transactions == 0 else prev_tx_seq + 1
                group.transactions += 1
                prev_tx_seq = tx_seq
                self.transaction_count += 1
                tx = Transaction(group.type, group.id, tx_seq, first_line=number)
                tx.offset = self.source.line_offset
                if group.transactions == 1 and tx_seq != 0:
                    self._file(
                        "the first transaction of a group must have sequence number 0",
                        number,
                        record_type,
                        "FIL-F-002",
                        field="transaction_sequence",
                        value=tx_seq_text.decode(),
                    )
                elif tx_seq != expected:
                    tx.add(
                        Finding(
                            "TR",
                            f"transaction sequence number should be {expected}",
                            number,
                            record_type,
                            "transaction_sequence",
                            tx_seq_text.decode(),
                            "FIL-F-003",
                        )
                    )
                if rec_seq != 0:
                    self._file(
                        "a transaction header must have record sequence number 0",
                        number,
                        record_type,
                        "FIL-F-005",
                        field="record_sequence",
                        value=rec_seq_text.decode(),
                    )
                if record_type != group.type and group.type != "ACK":
                    self._group(
                        group,
                        f"{record_type} transaction in a {group.type} group",
                        number,
                        record_type,
                        "NWR-T-022",
                    )
            else:
                if tx is None:
                    continue  # already reported: GRH not followed by a header
                if tx_seq != tx.sequence:
                    tx.add(
                        Finding(
                            "TR",
                            f"transaction sequence number should be {tx.sequence}, "
                            "as on its transaction header",
                            number,
                            record_type,
                            "transaction_sequence",
                            tx_seq_text.decode(),
                            "FIL-F-004",
                        )
                    )
                if rec_seq != prev_record_seq + 1:
                    self._file(
                        f"record sequence number should be {prev_record_seq + 1}",
                        number,
                        record_type,
                        "FIL-F-006",
                        field="record_sequence",
                        value=rec_seq_text.decode(),
                    )
            prev_record_seq = rec_seq
            tx.record_count += 1
            if tx.record_count > MAX_TRANSACTION_RECORDS:
                if tx.record_count == MAX_TRANSACTION_RECORDS + 1:
                    tx.add(
                        Finding(
                            "TR",
                            f"more than {MAX_TRANSACTION_RECORDS:,} records in one transaction: "
                            "the rest of them are not read",
                            number,
                            record_type,
                        )
                    )
                continue  # last_line stays: a worker reading the transaction stops there too
            tx.last_line = number
            if self.decode:
                tx.records.append(Record(number, record_type, codec.decode_dict(raw), raw))
            else:
                if starts:
                    tx.records.append(Record(number, record_type, codec.decode_dict(raw), raw))
                if self.keep_records:
                    tx.lines.append((number, record_type, raw))

        if tx is not None:
            yield tx
        if first:
            self._unsupported("the file is empty: no CWR records in it", None, "FIL-E-001")
        elif self.trailer is None:
            self._file(
                "the last record is not TRL (the file may be cut short)", None, "TRL", "FIL-E-005"
            )
        if group is not None:
            self._no_trailer(group, None, "the file ends inside it")

    def _no_trailer(self, group: Group, line: int | None, where: str) -> None:
        """A group without its GRT: edit 4 of the file level (each group closed by a GRT)."""
        self._file(
            f"group {group.id} ({group.type}, from line {group.line}) has no GRT: {where}",
            line,
            "GRT",
            "FIL-E-004",
        )

    def _open_group(self, number: int, values: dict[str, str], seen: set[str]) -> Group:
        if len(self.groups) == MAX_GROUPS:
            self._stop(
                f"more than {MAX_GROUPS} groups (one per transaction type is allowed)", number
            )
        group_type = values.get("transaction_type", "")
        group_id_text = values.get("group_id", "")
        group_id = number_or_none(group_id_text)
        group = Group(group_type, -1 if group_id is None else group_id, number)
        self.groups.append(group)
        if group_type not in HEADER_TYPES:
            self._group(
                group,
                f"unknown group transaction type {group_type!r}",
                number,
                "GRH",
                "GRH-F-001",
                field="transaction_type",
                value=group_type,
            )
        if group.id != len(self.groups):
            self._group(
                group,
                f"group id should be {len(self.groups)}, not {group_id_text!r}",
                number,
                "GRH",
                "GRH-F-002",
                field="group_id",
                value=group_id_text,
            )
        version = values.get("version_number", "")
        if version and version != GROUP_VERSIONS[self.version]:
            self._group(
                group,
                f"group version {version!r} does not match CWR {self.version} "
                f"(expected {GROUP_VERSIONS[self.version]})",
                number,
                "GRH",
                "GRH-F-004",
                field="version_number",
                value=version,
            )
        if group_type in seen:
            self._group(
                group, f"a second {group_type} group in the file", number, "GRH", "GRH-F-005"
            )
        seen.add(group_type)
        return group

    def _close_group(self, number: int, values: dict[str, str], group: Group) -> None:
        checks = (
            ("group_id", group.id, "GRT-F-001", "group id"),
            ("transaction_count", group.transactions, "GRT-F-002", "transaction count"),
            ("record_count", group.records, "GRT-F-003", "record count"),
        )
        for name, actual, edit, label in checks:
            text = values.get(name, "")
            if number_or_none(text) != actual:
                self.findings.append(
                    Finding(
                        "GR",
                        f"GRT {label} is {text!r}, the group has {actual}",
                        number,
                        "GRT",
                        name,
                        text,
                        edit,
                    )
                )
                group.rejected = True

    def _check_trailer(self, number: int) -> None:
        assert self.trailer is not None
        checks = (
            ("group_count", len(self.groups), "TRL-F-001", "group count"),
            ("transaction_count", self.transaction_count, "TRL-F-002", "transaction count"),
            ("record_count", self.record_count, "TRL-F-003", "record count"),
        )
        for name, actual, edit, label in checks:
            text = self.trailer.get(name, "")
            if number_or_none(text) != actual:
                self._file(
                    f"TRL {label} is {text!r}, the file has {actual}",
                    number,
                    "TRL",
                    edit,
                    field=name,
                    value=text,
                )
