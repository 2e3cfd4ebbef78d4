"""Answering a received CWR file with an ACK file, as a society does.

The import of a file records what became of each NWR, REV and AGR transaction
(``transaction_outcomes``: status, our work id, the findings). The ACK is made
from those outcomes and a second read of the received file, which gives each
transaction's records as the import processed them (field defaults applied,
rejected records left out) to echo after the ACK record:

* one ACK group with one ACK transaction per acknowledged transaction, in the
  version the sender used; MSG records for the findings; the echoed
  transaction; for a conflict (CO) an EXC with the work as this node holds it;
* an ISW group notifying the ISWC of accepted works that came without one;
* a file rejected as a whole gets one ACK for its HDR (or TRL) with status RJ
  and the file-level messages.

The file is named ``CWyynnnnsss_rrr.V2x`` with our society code as sender and
the partner's as receiver, numbered by the store's per-pair sequence, written
under a temporary name, and recorded in the ledger.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from adapters.cwr.ack import HELD, AckBuilder, Acknowledged
from adapters.cwr.export import file_name
from adapters.cwr.file_writer import CwrWriter
from adapters.cwr.parser import CwrParser
from adapters.cwr.records import date_or_none, time_or_none
from adapters.cwr.validator import check_transaction
from adapters.cwr.work_records import encode_work
from adapters.cwr.work_values import CwrWriteError, WorkWriteError
from exchange import formats
from exchange.config import NodeConfig
from exchange.digest import sha256_file
from exchange.errors import ExchangeError
from exchange.exports.claims import registration
from exchange.imports.apply import ACKNOWLEDGED
from exchange.imports.cwr import judge_header, open_source
from exchange.model import Finding
from exchange.store import Store, tables
from exchange.store.ledger import DONE, REJECTED, WRITTEN, FileEntry, LedgerSummary

#: Outcomes read from the store at a time.
PAGE = 2000


@dataclass(slots=True)
class AckResult:
    """One ACK file written: what it answers and what it says."""

    path: Path
    answers: str
    transactions: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    iswc_notifications: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "answers": self.answers,
            "transactions": self.transactions,
            "statuses": dict(sorted(self.statuses.items())),
            "iswc_notifications": self.iswc_notifications,
        }


def _finding(data: dict[str, Any]) -> Finding:
    return Finding(
        level=data["level"],
        message=data["message"],
        line=data.get("line"),
        record=data.get("record"),
        field=data.get("field"),
        value=data.get("value"),
        edit=data.get("edit"),
    )


class AckWriter:
    """Writes the ACK answering received files, for the node's society."""

    def __init__(self, store: Store, config: NodeConfig, partner: str | None = None) -> None:
        """``config``: the node's (society, name, and the matching and deadlines with
        which a file not imported yet is imported)."""
        if config.own_society is None:
            raise ExchangeError(
                "the node's society code is not configured: set [node] society_code "
                "(3 digits) in the configuration (--config or $EXCHANGE_CONFIG)"
            )
        self.store = store
        self.config = config
        self.society = config.own_society
        self.society_name = config.name
        self.partner = partner

    def write(self, path: Path, out_dir: Path, processed: date | None = None) -> AckResult:
        """Import the file if it is not yet, then write its ACK into ``out_dir``."""
        source = open_source(path)
        entry = self.store.find_file(source.sha256())
        if entry is None or entry.state not in DONE:  # new, cut short, or failed
            importer = formats.reader("cwr").importer(self.store, self.config, self.partner)
            importer.import_file(path)
            entry = self.store.find_file(source.sha256())
            assert entry is not None
        receiver = (entry.partner or "").upper()
        if not (2 <= len(receiver) <= 3 and receiver.isascii() and receiver.isalnum()):
            raise ExchangeError(
                f"{source.name}: the sender's code {entry.partner!r} cannot name an ACK file "
                "(2 or 3 letters or digits); give --partner"
            )
        parser = CwrParser(open_source(path))
        version = entry.version or "2.1"  # the parser knows it only once it has read the HDR
        created_at = datetime.now(UTC)
        processed = processed or created_at.date()
        out_dir.mkdir(parents=True, exist_ok=True)
        sequence = self.store.next_file_sequence(self.society, receiver)
        try:
            name = file_name(version, created_at, sequence, self.society, receiver)
        except CwrWriteError as exc:
            raise ExchangeError(str(exc)) from None
        final = out_dir / name
        temporary = out_dir / f".{name}.part"
        result = AckResult(final, source.name)
        try:
            with temporary.open("wb") as stream:
                writer = CwrWriter(
                    stream,
                    version,
                    sender=self.society,
                    sender_name=self.society_name,
                    sender_type="SO",
                    transaction="ACK",
                    created=created_at.replace(tzinfo=None),
                )
                if entry.state == REJECTED:
                    self._file_rejected(parser, writer, processed, result)
                else:
                    notify = self._acknowledge(
                        parser, AckBuilder(version), entry, writer, processed, result
                    )
                    self._notify(notify, receiver, version, writer, result)
                writer.close()
            os.replace(temporary, final)
        finally:
            temporary.unlink(missing_ok=True)
        self._record(final, receiver, version, entry, result)
        return result

    # -- the ACK group ------------------------------------------------------------

    def _file_rejected(
        self, parser: CwrParser, writer: CwrWriter, processed: date, result: AckResult
    ) -> None:
        for _ in parser.transactions():
            pass
        judge_header(parser)
        errors = [f for f in parser.findings if f.level == "ER"]
        kind = "TRL" if errors and all(f.record == "TRL" for f in errors) else "HDR"
        ack = Acknowledged(_created(parser), 0, 0, kind, None, None, None, processed, "RJ")
        builder = AckBuilder(parser.version)
        writer.add_lines(builder.transaction(writer.sequence_for("ACK"), ack, errors))
        result.transactions = 1
        result.statuses = {"RJ": 1}

    def _acknowledge(
        self,
        parser: CwrParser,
        builder: AckBuilder,
        entry: FileEntry,
        writer: CwrWriter,
        processed: date,
        result: AckResult,
    ) -> list[int]:
        """Write the ACK transactions; return the ids of works whose ISWC to notify."""
        outcomes = self._outcomes(entry.id)
        notify: list[int] = []
        created: datetime | None = None
        sender = entry.partner or ""
        for tx in parser.transactions():
            if tx.type not in ACKNOWLEDGED:
                continue
            outcome = next(outcomes, None)
            if outcome is None or outcome["transaction_seq"] != tx.sequence:
                raise ExchangeError(
                    f"{entry.name}: the file no longer matches its import (transaction "
                    f"{tx.sequence} of group {tx.group_id}); import it again"
                )
            created = created or _created(parser)
            checked = check_transaction(tx, parser.version, parser.encoding, sender)
            status = outcome["status"]
            work_id = outcome["work_id"]
            header = tx.header.values
            ack = Acknowledged(
                created,
                tx.group_id,
                tx.sequence,
                tx.type,
                outcome["title"] or header.get("work_title") or None,
                outcome["submitter_number"] or header.get("submitter_work_number") or None,
                str(work_id) if status in HELD and work_id is not None else None,
                processed,
                status,
            )
            findings = [_finding(m) for m in outcome["messages"] or ()]
            echo = [r for r in tx.records if not r.dropped]
            existing = self._existing(outcome, builder.version) if status == "CO" else []
            writer.add_lines(
                builder.transaction(writer.sequence_for("ACK"), ack, findings, echo, existing)
            )
            result.transactions += 1
            result.statuses[status] = result.statuses.get(status, 0) + 1
            sent_iswc = checked.mapped is not None and checked.mapped.work.iswc
            if status in ("AS", "AC") and outcome["iswc"] and not sent_iswc:
                notify.append(work_id)
        return notify

    def _outcomes(self, file_id: int) -> Iterator[dict[str, Any]]:
        """The file's transaction outcomes in file order, a page at a time."""
        o, w = tables.transaction_outcomes, tables.works
        last = 0
        while True:
            with self.store.connect() as conn:
                rows = conn.execute(
                    select(o, w.c.iswc)
                    .outerjoin(w, w.c.id == o.c.work_id)
                    .where(o.c.file_id == file_id, o.c.id > last)
                    .order_by(o.c.id)
                    .limit(PAGE)
                ).all()
            if not rows:
                return
            for row in rows:
                yield row._asdict()
            last = rows[-1].id

    def _existing(self, outcome: dict[str, Any], version: str) -> list[str]:
        """The EXC lines of the work a conflicting transaction meets (none if unwritable)."""
        work_id = outcome["conflict_work_id"]
        work = self.store.load_work(work_id) if work_id is not None else None
        if work is None:
            return []
        try:
            return encode_work(registration(work, self.society), version, "EXC", 0, self.society)
        except WorkWriteError:
            return []

    # -- the ISW group ----------------------------------------------------------

    def _notify(
        self,
        work_ids: list[int],
        receiver: str,
        version: str,
        writer: CwrWriter,
        result: AckResult,
    ) -> None:
        """ISWC notifications: each work as the receiver registered it, with our ISWC."""
        for work in self.store.iter_works(sorted(set(work_ids))):
            try:
                lines = encode_work(
                    registration(work, receiver),
                    version,
                    "ISW",
                    writer.sequence_for("ISW"),
                    receiver,
                )
            except WorkWriteError:
                continue
            writer.add_lines(lines)
            result.iswc_notifications += 1

    def _record(
        self, path: Path, receiver: str, version: str, answered: FileEntry, result: AckResult
    ) -> None:
        sha = sha256_file(path)
        entry = self.store.start_file(
            path.name, sha, partner=receiver, format="ack", version=version, direction="out"
        )
        summary = LedgerSummary(
            answers=result.answers,
            transactions=result.transactions,
            statuses=dict(sorted(result.statuses.items())),
            iswc_notifications=result.iswc_notifications,
            answers_entry=answered.id,
        )
        self.store.update_file(entry.id, state=WRITTEN, summary=summary)


def _created(parser: CwrParser) -> datetime:
    """The received file's HDR creation date and time (zeros if unreadable)."""
    header = parser.header
    day = date_or_none(header.get("creation_date", ""))
    time = time_or_none(header.get("creation_time", ""))
    if day is None or time is None:
        return datetime(1900, 1, 1)
    return datetime.combine(day, time)
