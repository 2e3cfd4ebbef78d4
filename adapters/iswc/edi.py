"""Reading ISWC EDI v3.00 files (SPE_20190806): ACK, CSN and CSE files, and submissions.

A file is HDR, groups (GRH, transactions of the group's type, GRT) and TRL;
a transaction is its header record (CAR, CUR, CDR, CMQ, CIQ, MER, WFT, ACK,
CSN) and the detail records :data:`edi_records.DETAILS` allows it. CSE files
(CIS-Net's rejections) are read the same way: their layout is in the CIS-Net
specification, not in the documents the node has, and a CSE file in the v3.00
records reads as ACK transactions.

What the format rejects whole (ER) raises :class:`IswcFileError`: no HDR or
TRL, a record type the format does not have, a transaction or record sequence
number out of order, a record longer than its layout, group or file counts
that do not match, a file or line over the size limits. (Characters past the
layout are allowed on control records only, whose layout the document leaves
to the CIS EDI standard.) Everything else is a
finding on its transaction (TR, with line, record, field and value): the
transaction is left out and the others are read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from adapters.cwr.layout import Field
from adapters.cwr.records import FieldError, to_date, to_int, to_time
from adapters.iswc import edi_records as er
from adapters.iswc import vocabulary as v
from adapters.iswc.model import FileHeader, IswcFileError
from adapters.iswc.naming import parse_edi_file_name
from exchange.identifiers import ipi_base, is_digits
from exchange.identifiers import iswc as iswc_id
from exchange.model import Finding

#: Larger files are refused before they are read (a day's CSN for a large agency is a
#: few megabytes).
MAX_FILE_BYTES = 256 * 1024 * 1024
#: Longer lines are refused: the longest record is 234 characters (4 bytes each in UTF-8).
MAX_LINE_BYTES = 4096
#: Findings kept per file; a file of garbage stops being read there.
MAX_FINDINGS = 1000

_TRUE, _FALSE = frozenset({"Y", "T"}), frozenset({"N", "F", ""})
_DERIVED = {code.upper(): code for code in v.DERIVED_WORK_TYPES}


@dataclass
class EdiFile:
    """An ISWC EDI file as read: its header, its transactions by kind, the findings."""

    header: FileHeader
    #: submissions and requests (CAR, CUR, CDR, CMQ, CIQ, MER, WFT)
    transactions: list[Any] = field(default_factory=list)
    acknowledgements: list[Any] = field(default_factory=list)
    notifications: list[Any] = field(default_factory=list)
    #: transactions left out (TR), with where and why
    findings: list[Finding] = field(default_factory=list)


def _lookup_checks() -> dict[str, Callable[[str], Any]]:
    """Lookup name -> a converter of the decoded code (raises ValueError if invalid)."""

    def among(codes, canonical=None):
        def check(code: str) -> Any:
            if code not in codes:
                raise ValueError("not a valid code")
            return canonical[code] if canonical else code

        return check

    def agency(code: str) -> str:
        if len(code) != 3 or not is_digits(code):
            raise ValueError("not a three-digit agency code")
        return code

    def iswc(code: str) -> str:
        if not re.fullmatch(r"T[0-9]{10}", code):
            raise ValueError("not an ISWC: T and 10 digits (IV/14)")
        if not iswc_id.is_valid(code):
            raise ValueError("the ISWC check digit does not match (IV/15)")
        return code

    def language(code: str) -> str:
        if len(code) != 2 or not code.isascii() or not code.isalpha():
            raise ValueError("not an ISO 639-1 language code")
        return code

    def base_number(code: str) -> str:
        if not ipi_base.is_valid(code):
            raise ValueError("not an IPI base number")
        return code

    return {
        "transaction_type": among(v.TRANSACTION_TYPES.keys() | {"HDR", "TRL"}),
        "group_type": among(er.DETAILS),
        "transaction_status": among(v.STATUSES),
        "title_type": among(v.TITLE_TYPES),
        "role": among(v.ROLES),
        "derived_work_type": among(_DERIVED, _DERIVED),
        "disambiguation_reason": among(v.DISAMBIGUATION_REASONS),
        "bvltr": among(v.BVLTR_NAMES, v.BVLTR_NAMES),
        "agency_code": agency,
        "iswc": iswc,
        "language_code": language,
        "ipi_base_number": base_number,
        "instrument_code": lambda code: code,
    }


_CHECKS = _lookup_checks()
_NUMBER_CODES = {
    "workflow_status": set(v.WORKFLOW_STATUSES),
    "workflow_type": set(v.WORKFLOW_TYPE_NUMBERS.values()),
}


def _convert(f: Field, raw: str, record: str) -> Any:
    """One decoded value as its type (None when blank); ValueError says what is wrong."""
    if f.type == "N":
        number = to_int(raw, f.name)
        if f.lookup in _NUMBER_CODES:  # 0 is a code here (Outstanding), not "no data"
            if number is not None and number not in _NUMBER_CODES[f.lookup]:
                raise ValueError("not a valid code")
            return number
        if not number and f.required != "M":
            return None
        if f.lookup == "agency_code" and f.name != "source_db_code":
            return f"{number or 0:03d}"
        return number
    if f.type == "D":
        return to_date(raw, f.name)
    if f.type == "T":
        return to_time(raw, f.name)
    if f.type == "B":
        if raw not in _TRUE | _FALSE:
            raise ValueError("not Y or N (nor T or F)")
        return raw in _TRUE
    if not raw:
        return None
    if f.lookup is None:
        return raw
    if record == "CSN" and f.name == "original_transaction_type" and raw.strip("0") == "":
        return None  # "set this field to zeroes"
    value = _CHECKS[f.lookup](raw.upper() if f.type == "L" else raw)
    return int(value) if f.name == "source_db_code" else value


def _read_lines(data: bytes, name: str) -> Iterator[tuple[int, str]]:
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(name, f"{len(data):,} bytes, more than the {MAX_FILE_BYTES:,} allowed")
    data = data.removeprefix(b"\xef\xbb\xbf")
    for number, raw in enumerate(data.splitlines(), start=1):
        line = raw.rstrip(b"\x1a")
        if not line.strip():
            continue
        if len(line) > MAX_LINE_BYTES:
            raise _refuse(name, f"line {number} is {len(line):,} bytes long", line=number)
        try:
            yield number, line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _refuse(name, f"line {number} is not UTF-8 text (column {exc.start + 1})",
                          line=number) from None  # fmt: skip


def _refuse(name: str, what: str, line: int | None = None, record: str | None = None,
            value: str | None = None) -> IswcFileError:  # fmt: skip
    return IswcFileError(f"{name}: refused: {what}", [Finding("ER", what, line, record,
                                                              value=value)])  # fmt: skip


class _Reader:
    def __init__(self, name: str) -> None:
        self.name = name
        self.group: str | None = None
        self.counts = {"groups": 0, "group_tx": 0, "group_records": 0, "tx": 0, "records": 0}
        self.current: tuple[str, int, int, dict[str, Any], list, list[Finding]] | None = None
        self.result: EdiFile | None = None

    def refuse(self, what: str, line: int, record: str, value: str | None = None):
        return _refuse(self.name, what, line, record, value)

    def fields(self, record: str, text: str, line: int) -> tuple[dict[str, Any], list[Finding]]:
        c = er.codec(record)
        # the control records' layout is CIS EDI's, not the document's: more is tolerated there
        if len(text) > c.length and text[c.length :].strip() and record not in er.CONTROL:
            raise self.refuse(f"line {line}: a {record} record is {c.length} characters long, "
                              f"this one {len(text)}", line, record)  # fmt: skip
        raw = c.decode_dict(text)
        values: dict[str, Any] = {}
        findings = []
        for f in c.layout.fields:
            value = raw[f.name]
            try:
                if f.required == "M" and value.strip(" ") == "" and f.type != "B":
                    raise ValueError("mandatory, and blank")
                values[f.name] = _convert(f, value, record)
                if f.required == "M" and values[f.name] is None:
                    raise ValueError("mandatory, and blank")
            except (ValueError, FieldError) as exc:
                reason = exc.reason if isinstance(exc, FieldError) else str(exc)
                findings.append(Finding("TR", f"line {line}: {record}.{f.name}: {reason}",
                                        line, record, f.name, value))  # fmt: skip
        return values, findings

    def run(self, data: bytes) -> EdiFile:
        for line, text in _read_lines(data, self.name):
            record = text[:3]
            if self.result is not None and self.counts.get("closed"):
                raise self.refuse(f"line {line}: {record} after the TRL", line, record)
            if record not in er.layouts():
                raise self.refuse(f"line {line}: no record type {record!r} in ISWC EDI v3.00",
                                  line, record, record)  # fmt: skip
            self.record(record, text, line)
        if self.result is None or not self.counts.get("closed"):
            raise _refuse(self.name, "the file ends without its TRL (cut short?)")
        return self.result

    def record(self, record: str, text: str, line: int) -> None:
        values, findings = self.fields(record, text, line)
        if record in er.CONTROL:
            if findings:
                raise IswcFileError(f"{self.name}: refused: {findings[0].message}", findings)
            return self.control(record, values, line)
        if self.group is None:
            raise self.refuse(f"line {line}: {record} outside a group", line, record)
        self.counts["group_records"] += 1
        seq, rec_seq = values.get("transaction_sequence"), values.get("record_sequence")
        if record == self.group:
            self.close_transaction()
            expected = self.counts["group_tx"]
            if seq != expected or rec_seq != 0:
                raise self.refuse(f"line {line}: {record} numbered {seq}/{rec_seq}, expected "
                                  f"{expected}/0", line, record)  # fmt: skip
            self.counts["group_tx"] += 1
            self.current = (record, seq, line, values, [], findings)
            return
        if self.current is None:
            raise self.refuse(f"line {line}: {record} before the group's first {self.group}",
                              line, record)  # fmt: skip
        kind, tx_seq, _, _, details, found = self.current
        if record not in er.DETAILS[kind]:
            raise self.refuse(f"line {line}: no {record} record in a {kind} transaction",
                              line, record)  # fmt: skip
        if seq != tx_seq or rec_seq != len(details) + 1:
            raise self.refuse(f"line {line}: {record} numbered {seq}/{rec_seq}, expected "
                              f"{tx_seq}/{len(details) + 1}", line, record)  # fmt: skip
        details.append((record, values))
        found.extend(findings)

    def control(self, record: str, values: dict[str, Any], line: int) -> None:
        if record == "HDR":
            if self.result is not None:
                raise self.refuse(f"line {line}: a second HDR", line, record)
            created = dt.datetime.combine(values["creation_date"], values["creation_time"],
                                          dt.UTC)  # fmt: skip
            named = parse_edi_file_name(self.name)  # the HDR does not name the receiver
            receiver = named.receiver if named else None
            self.result = EdiFile(FileHeader(f"{values['sender_id']:03d}", receiver, created))
            return
        if self.result is None:
            raise self.refuse(f"line {line}: {record} before the HDR", line, record)
        if record == "GRH":
            if self.group is not None:
                raise self.refuse(f"line {line}: GRH inside a group", line, record)
            self.counts["groups"] += 1
            if values["group_id"] != self.counts["groups"]:
                raise self.refuse(f"line {line}: group {values['group_id']}, expected "
                                  f"{self.counts['groups']}", line, record)  # fmt: skip
            self.group = values["transaction_type"]
            if self.group not in er.DETAILS:
                raise self.refuse(f"line {line}: no {self.group} transactions in ISWC EDI",
                                  line, record, self.group)  # fmt: skip
            self.counts.update(group_tx=0, group_records=1)
        elif record == "GRT":
            if self.group is None:
                raise self.refuse(f"line {line}: GRT outside a group", line, record)
            self.close_transaction()
            self.counts["group_records"] += 1
            self.check_count(line, record, values, "transaction_count", self.counts["group_tx"])
            self.check_count(line, record, values, "record_count", self.counts["group_records"])
            self.counts["tx"] += self.counts["group_tx"]
            self.counts["records"] += self.counts["group_records"]
            self.group = None
        else:  # TRL
            if self.group is not None:
                raise self.refuse(f"line {line}: TRL inside a group", line, record)
            self.check_count(line, record, values, "group_count", self.counts["groups"])
            self.check_count(line, record, values, "transaction_count", self.counts["tx"])
            self.check_count(line, record, values, "record_count", self.counts["records"] + 2)
            self.counts["closed"] = 1

    def check_count(self, line: int, record: str, values: dict, name: str, actual: int) -> None:
        if values[name] != actual:
            raise self.refuse(f"line {line}: {record}.{name} is {values[name]}, the file has "
                              f"{actual}", line, record, str(values[name]))  # fmt: skip

    def close_transaction(self) -> None:
        if self.current is None:
            return
        kind, seq, line, head, details, findings = self.current
        self.current = None
        findings.extend(_transaction_findings(kind, head, details, line))
        result = self.result
        if findings:
            room = MAX_FINDINGS - len(result.findings)
            if room <= 0:
                raise _refuse(self.name, f"more than {MAX_FINDINGS} findings: not an ISWC file?")
            result.findings.extend(replace(f, transaction=seq) for f in findings[:room])
            return
        record = er.transaction_from_records(kind, seq, head, details)
        target = {"ACK": result.acknowledgements, "CSN": result.notifications}
        target.get(kind, result.transactions).append(record)


def _transaction_findings(kind: str, head: dict, details: list, line: int) -> Iterator[Finding]:
    """The rules across fields and records of one transaction (TR)."""

    def finding(what: str, record: str = kind, name: str | None = None, value: str | None = None):
        return Finding("TR", f"line {line}: {what}", line, record, name, value)

    if head.get("disambiguation") and not head.get("disambiguation_reason"):
        yield finding("a disambiguation needs a reason", name="disambiguation_reason")
    if kind in ("CAR", "CUR"):
        parties = [values for record, values in details if record == "CIP"]
        if not parties:
            yield finding(f"a {kind} needs at least one CIP record (IV/02)")
        if not any(p.get("ip_role") in v.CREATOR_ROLES for p in parties):
            yield finding("no interested party with a creator role (IV/07)")
        for p in parties:
            if p.get("ip_name_number") is None:
                yield finding("an IP name number is mandatory (CIP)", "CIP", "ip_name_number")
    for record, values in details:
        if record == "DER" and not values.get("iswc") and not values.get("title"):
            yield finding("a DER record needs an ISWC or a title (IV/34)", "DER", "iswc")
        if (
            record == "CIP"
            and values.get("ip_name_number") is None
            and not values.get("ip_base_number")
        ):
            yield finding("a CIP record needs an IP name or base number", "CIP", "ip_name_number")


def read_edi(data: bytes, name: str = "file") -> EdiFile:
    """The transactions of an ISWC EDI v3.00 file (IswcFileError if refused whole)."""
    return _Reader(name).run(data)
