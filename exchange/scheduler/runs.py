"""The record of every scheduled run.

After each run, a record (outcome, files, transactions, ACK statuses, conflicts
opened) is appended to ``<data_dir>/reports/exchange-YYYY-MM-DD.jsonl`` (one JSON
object a line, what ``exchange scheduler status`` reads) and, readably, to the
``.txt`` file of the same day.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from exchange import formats
from exchange.config import NodeConfig
from exchange.formats.cwr import ACK
from exchange.store import Store
from exchange.store import tables as t
from exchange.store.ledger import DELIVERED, FileEntry
from exchange.sync.run import SyncReport

logger = logging.getLogger(__name__)

OUTCOMES = ("ok", "failed", "busy", "missed")


# -- the record of runs -------------------------------------------------------------------


@dataclass(slots=True)
class RunRecord:
    """One scheduled run of a partner's exchange: what came of it."""

    partner: str
    outcome: str  # one of OUTCOMES
    timezone: str = "UTC"
    scheduled: datetime | None = None
    started: datetime | None = None
    finished: datetime | None = None
    error: str | None = None
    received: list[str] = field(default_factory=list)
    exported: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    #: registrations received in this run (None when the run did not get that far)
    accepted: int | None = None
    rejected: int | None = None
    #: ACK statuses: those we gave the partner's registrations, those it gave ours
    acks_sent: dict[str, int] = field(default_factory=dict)
    acks_received: dict[str, int] = field(default_factory=dict)
    conflicts_opened: int | None = None

    def _iso(self, value: datetime | None) -> str | None:
        return None if value is None else value.astimezone(ZoneInfo(self.timezone)).isoformat()

    @property
    def when(self) -> datetime | None:
        """When it ran, or when it was due (a missed or skipped run)."""
        return self.started or self.scheduled

    def as_dict(self) -> dict[str, Any]:
        counted = self.accepted is not None
        return {
            "partner": self.partner,
            "outcome": self.outcome,
            "timezone": self.timezone,
            "scheduled": self._iso(self.scheduled),
            "started": self._iso(self.started),
            "finished": self._iso(self.finished),
            "error": self.error,
            "files": {
                "in": len(self.received),
                "out": len(self.exported),
                "delivered": len(self.delivered),
            },
            "received": self.received,
            "exported": self.exported,
            "delivered": self.delivered,
            "transactions": (
                {"accepted": self.accepted, "rejected": self.rejected} if counted else None
            ),
            "acks": (
                {
                    "sent": dict(sorted(self.acks_sent.items())),
                    "received": dict(sorted(self.acks_received.items())),
                }
                if counted
                else None
            ),
            "conflicts_opened": self.conflicts_opened,
        }

    def text(self) -> str:
        """A few readable lines for the morning report."""
        when = self.when.astimezone(ZoneInfo(self.timezone)) if self.when else None
        stamp = when.isoformat(sep=" ", timespec="seconds") if when else "-"
        head = f"{stamp}  {self.partner}  {self.outcome}"
        if self.outcome in ("busy", "missed"):
            return f"{head}: {self.error}" if self.error else head
        if self.started and self.finished:
            head += f" (took {(self.finished - self.started).total_seconds():.0f} s)"
        lines = [head]
        if self.error:
            lines.append(f"    error: {self.error}")
        lines.append(
            f"    files: {len(self.received)} in, {len(self.exported)} out, "
            f"{len(self.delivered)} delivered"
        )
        if self.accepted is not None:
            lines.append(f"    transactions: {self.accepted} accepted, {self.rejected} rejected")
            sent = _statuses(self.acks_sent)
            got = _statuses(self.acks_received)
            lines.append(f"    ACK statuses: sent {sent}; received {got}")
        if self.conflicts_opened is not None:
            lines.append(f"    conflicts opened: {self.conflicts_opened}")
        return "\n".join(lines)


def _statuses(counts: dict[str, int]) -> str:
    return ", ".join(f"{status} {n}" for status, n in sorted(counts.items())) or "none"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or exc.__class__.__name__


def reports_dir(config: NodeConfig) -> Path:
    return config.data_dir / "reports"


_write_lock = threading.Lock()


def write_record(config: NodeConfig, record: RunRecord) -> Path:
    """Append the record to today's report files (the node's local date); the JSON lines path."""
    folder = reports_dir(config)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"exchange-{datetime.now().astimezone():%Y-%m-%d}"
    line = json.dumps(record.as_dict(), ensure_ascii=False) + "\n"
    with _write_lock:
        with (folder / f"{stem}.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(line)
        with (folder / f"{stem}.txt").open("a", encoding="utf-8") as fh:
            fh.write(record.text() + "\n")
    return folder / f"{stem}.jsonl"


def read_records(config: NodeConfig) -> list[dict[str, Any]]:
    """Every recorded run, oldest first (lines that cannot be read are skipped)."""
    records = []
    for path in sorted(reports_dir(config).glob("exchange-*.jsonl")):
        records.extend(_records_in(path))
    return records


def _records_in(path: Path) -> list[dict[str, Any]]:
    found = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            logger.warning("%s:%d: not a JSON record, skipped", path, number)
            continue
        if isinstance(record, dict) and "partner" in record:
            found.append(record)
    return found


def last_runs(config: NodeConfig, partners: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The newest record of each of ``partners`` (those never run are missing)."""
    wanted = set(partners)
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(reports_dir(config).glob("exchange-*.jsonl"), reverse=True):
        for record in reversed(_records_in(path)):
            code = record["partner"]
            if code in wanted and code not in found:
                found[code] = record
        if len(found) == len(wanted):
            break
    return found


# -- one run ---------------------------------------------------------------------------


def _count(record: RunRecord, entries: Iterable[FileEntry]) -> None:
    """Transactions and ACK statuses of the files received (and imported) in the run."""
    record.accepted = record.rejected = 0
    for entry in entries:
        fmt = formats.of_entry(entry.format or "", entry.version)
        if fmt is None:  # a manifest, or a file whose format was not told
            continue
        statuses = entry.summary.statuses or {}
        if fmt is not ACK:  # registrations: their transactions are counted
            record.accepted += entry.summary.accepted or 0
            record.rejected += entry.summary.rejected or 0
        if fmt.acknowledged:
            target = record.acks_sent
        elif fmt is ACK:
            target = record.acks_received
        else:
            continue
        for status, n in statuses.items():
            target[status] = target.get(status, 0) + int(n)


def _written(entry: FileEntry) -> bool:
    """Whether a ledger entry is of a file a format wrote (not an ACK, not a manifest)."""
    return isinstance(formats.of_entry(entry.format or "", entry.version), formats.WritingFormat)


def _fill_from_report(store: Store, record: RunRecord, report: SyncReport) -> None:
    fetched = [item for item in report.received if item.get("sha256")]  # not refused names
    record.received = [item["name"] for item in fetched]
    record.exported = [item["name"] for item in report.exported if "name" in item]
    record.delivered = list(report.delivered)
    new = [item["sha256"] for item in fetched if not item.get("imported_before")]
    _count(record, filter(None, (store.find_file(sha) for sha in new)))


def _fill_from_ledger(store: Store, record: RunRecord, started: datetime) -> None:
    """After a failure: what the ledger recorded for the partner since the run started."""
    entries = store.ledger(partner=record.partner)
    received = [e for e in entries if e.direction == "in" and e.created_at >= started]
    record.received = [e.name for e in received]
    record.exported = [
        e.name for e in entries if e.direction == "out" and e.created_at >= started and _written(e)
    ]
    record.delivered = [
        e.name
        for e in entries
        if e.direction == "out"
        and e.format != "manifest"
        and e.state == DELIVERED
        and e.completed_at is not None
        and e.completed_at >= started
    ]
    _count(record, received)


def _conflicts_since(store: Store, partner: str, started: datetime) -> int:
    with store.connect() as conn:
        return conn.execute(
            select(func.count())
            .select_from(t.conflicts)
            .where(t.conflicts.c.partner == partner, t.conflicts.c.opened_at >= started)
        ).scalar_one()
