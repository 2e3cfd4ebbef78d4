"""What a reader of a non-CWR registration format (DDEX MWN, spreadsheets) hands over.

Each work read becomes a :class:`~adapters.cwr.validator.CheckedTransaction`
of type ``REG``, as a CWR transaction does, so that one importer applies them
all the same way (:mod:`exchange.imports.registrations`): matched to the store,
stored with their source, answered with a status, checked for conflicts. A
``REG`` states the sender's whole claim on a work: a work the sender
registered before is revised, another is created or matched.

``line`` is the line of the file (the XML element, the spreadsheet row) where
the work starts, so that findings say where.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from adapters.cwr.reader import MappedWork
from adapters.cwr.validator import CheckedTransaction
from exchange.model import Finding, Work
from exchange.model_json import work_to_json

#: The transaction type of a registration read from a non-CWR format.
REGISTRATION = "REG"


@dataclass(slots=True)
class ReadFile:
    """A registration file as a reader understood it."""

    format: str  # mwn, csv, xlsx
    version: str | None = None
    #: the sender named by the file itself (a DDEX DPID), if any
    sender_id: str | None = None
    transactions: list[CheckedTransaction] = field(default_factory=list)
    #: findings about the file as a whole
    findings: list[Finding] = field(default_factory=list)
    file_rejected: bool = False


def content_digest(work: Work) -> str:
    """A fingerprint of what a registration says (the same content, the same digest)."""
    data = json.dumps(work_to_json(work), sort_keys=True, ensure_ascii=False)
    return hashlib.blake2b(data.encode(), digest_size=16).hexdigest()


def registration(
    work: Work,
    number: str,
    sequence: int,
    line: int,
    findings: list[Finding] | None = None,
) -> CheckedTransaction:
    """One work read from a file, as a transaction for the importer.

    ``number`` is the sender's own number for the work (it must also be among
    ``work.numbers``); ``findings`` rejecting the transaction (TR or worse)
    make it rejected.
    """
    found = list(findings or [])
    rejected = any(f.rejects_transaction for f in found)
    mapped = None if rejected else MappedWork(work, number)
    digest = "" if rejected else content_digest(work)
    return CheckedTransaction(REGISTRATION, 0, sequence, line, rejected, found, mapped, digest)
