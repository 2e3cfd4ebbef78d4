"""Judging CWR transactions: each record by its rules, then the transaction as a whole.

:func:`check_transaction` runs the field and record rules of every record
(:mod:`adapters.cwr.record_rules`), the rules on the records a transaction
holds and their order (here), maps the work (:mod:`adapters.cwr.reader`) and
applies the work's rules (:mod:`adapters.cwr.work_rules`: shares, writers,
chains).  What it says of a transaction is a :class:`CheckedTransaction`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from adapters.cwr.layout import record_prefix
from adapters.cwr.reader import RULE_RECORDS, WORK_HEADERS, MappedWork, work_from_transaction
from adapters.cwr.record_rules import record_validators
from adapters.cwr.records import codecs_for
from adapters.cwr.transactions import Transaction
from adapters.cwr.work_rules import check_work
from exchange.model import Finding, Source

#: Detail records allowed after a work header, grouped in the order of CWR 2.2 edit 43.
_ORDER_GROUPS = [
    {"SPU", "NPN", "SPT", "OPT", "OPU"},
    {"SWR", "NWN", "SWT", "PWR", "OWR", "OWT"},
    {"ALT", "NAT"},
    {"EWT", "NET", "VER", "NVT", "NOW"},
    {"PER", "NPR"},
    {"REC"},
    {"ORN"},
    {"INS", "IND"},
    {"COM", "NCT"},
    {"ARI"},
    {"XRF"},
]
_RANK = {t: i for i, group in enumerate(_ORDER_GROUPS) for t in group}
ALLOWED_DETAILS = {
    "2.1": frozenset(_RANK) - {"OPT", "OWT", "XRF"},
    "2.2": frozenset(_RANK),
}


def check_record_order(tx: Transaction, version: str) -> None:
    """Drop detail records that a work transaction may not carry (RR); check their order."""
    allowed = ALLOWED_DETAILS[version]
    rank = -1
    for record in tx.records[1:]:
        if record.type not in allowed:
            record.dropped = True
            tx.add(
                Finding(
                    "RR",
                    f"a {record.type} record is not allowed in a {tx.type} "
                    "transaction; the record is ignored",
                    record.line,
                    record.type,
                    edit="NWR-T-008",
                )
            )
            continue
        this = _RANK[record.type]
        if this < rank and version == "2.2":
            tx.add(
                Finding(
                    "TR",
                    f"{record.type} record out of order in the transaction",
                    record.line,
                    record.type,
                    edit="NWR-T-043",
                )
            )
            return
        if this > rank:
            rank = this


def check_ack_order(tx: Transaction) -> None:
    """ACK transaction edits 2 and 3: the acknowledged transaction follows; EXC after it."""
    kinds = [r.type for r in tx.records[1:]]
    if tx.header["original_transaction_type"] in ("NWR", "REV", "AGR") and not any(
        k in ("NWR", "REV", "AGR") for k in kinds
    ):
        tx.add(
            Finding(
                "TR",
                "the ACK is not followed by the NWR, REV or AGR transaction it acknowledges",
                tx.header.line,
                "ACK",
                edit="ACK-T-002",
            )
        )
    if "EXC" in kinds and not any(k in ("NWR", "REV") for k in kinds[: kinds.index("EXC")]):
        exc = tx.records[1 + kinds.index("EXC")]
        tx.add(
            Finding(
                "TR",
                "EXC without the NWR or REV it conflicts with before it in the ACK transaction",
                exc.line,
                "EXC",
                edit="ACK-T-003",
            )
        )


def _echo_notes(tx: Transaction, findings: list[Finding]) -> None:
    """In the ACK of a rejected transaction, what is wrong with the echoed records is
    what the ACK reports: a note, not a reason to reject the acknowledgement."""
    echoed = {r.line for r in tx.records if r.type not in ("ACK", "MSG")}
    for i, f in enumerate(findings):
        if f.line in echoed and f.level != "WARN":
            findings[i] = replace(
                f, level="WARN", message=f"in the echo of a rejected transaction: {f.message}"
            )


@dataclass(slots=True)
class CheckedTransaction:
    """What validation says of one transaction, without its records (cheap to pass around)."""

    type: str
    group_id: int
    sequence: int
    line: int
    rejected: bool
    findings: list[Finding]
    mapped: MappedWork | None
    #: A fingerprint of the transaction's content (its records without prefixes), or "".
    digest: str = ""

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)
        if finding.rejects_transaction:
            self.rejected = True

    def __reduce__(self) -> tuple[type[CheckedTransaction], tuple]:
        # as its values: a worker sends thousands, and a slots class is pickled as a dict
        # of its fields otherwise (twice the bytes, six times the time)
        return CheckedTransaction, (
            self.type,
            self.group_id,
            self.sequence,
            self.line,
            self.rejected,
            self.findings,
            self.mapped,
            self.digest,
        )


def check_transaction(
    tx: Transaction,
    version: str,
    encoding: str,
    sender: str,
    source: Source | None = None,
    *,
    keep_work: bool = True,
    fingerprint: bool = True,
    lines: Sequence[tuple[int, str, bytes]] = (),
) -> CheckedTransaction:
    """Apply field, record and transaction rules to one transaction; map its work.

    ``lines``: the transaction's records still to be read after those it holds (line
    number, record type, raw bytes), each read and judged in one go
    (:meth:`RecordValidator.read`). ``keep_work=False``: the work is mapped only as
    far as its rules need, and not returned (``mapped`` is None); of the records read
    from ``lines`` and found clean, only those whose values the rules read are decoded.
    ``fingerprint=False``: no :func:`digest` (an import compares them; a validation
    does not).
    """
    findings = tx.findings
    validators = record_validators(version)
    readable = True
    records = tx.records
    for record in records:
        validator = validators.get(record.type)
        if validator is not None:
            text = record.raw.decode(encoding, "replace")
            readable = validator.validate(record, text, findings) and readable
    if lines:
        codecs = codecs_for(version, encoding)
        for number, record_type, raw in lines:
            record, read = validators[record_type].read(
                number,
                raw,
                raw.decode(encoding, "replace"),
                codecs[record_type],
                findings,
                # the header's values are read by the transaction's rules too
                values=keep_work or not records or record_type in RULE_RECORDS,
            )
            records.append(record)
            readable = read and readable
    if tx.type == "ACK":
        check_ack_order(tx)
        if tx.header["transaction_status"] == "RJ":
            _echo_notes(tx, findings)
    if tx.type in WORK_HEADERS:
        check_record_order(tx, version)
    mapped = work_from_transaction(tx, sender, source, for_rules=not keep_work)
    # a record that cannot be read (cut, shifted) makes the work's rules meaningless
    if mapped is not None and tx.type in ("NWR", "REV") and not tx.header.dropped and readable:
        findings.extend(check_work(mapped.work, mapped.line_of, tx.header.line))
    if mapped is not None:
        mapped.claim_lines.clear()  # keyed by object ids: meaningless once passed on
        findings.extend(mapped.findings)  # records read and not kept
        mapped.findings.clear()
    rejected = tx.rejected or any(f.rejects_transaction for f in findings)
    return CheckedTransaction(
        tx.type,
        tx.group_id,
        tx.sequence,
        tx.header.line,
        rejected,
        findings,
        mapped if keep_work else None,
        digest(tx) if fingerprint else "",
    )


def digest(tx: Transaction) -> str:
    """What a transaction says, as a fingerprint: equal for a resent identical transaction.

    Prefixes (sequence numbers) and trailing blanks do not count.
    """
    prefix = record_prefix()
    kind, rest = prefix.record_type, slice(prefix.end, None)
    content = b"\n".join([r.raw[kind] + r.raw[rest].rstrip() for r in tx.records])
    return hashlib.blake2b(content, digest_size=16).hexdigest()
