"""Batches: what importers of every registration format share.

Each batch of accepted transactions is applied to the store in one database
transaction that also advances the file's ledger entry (``transactions_done``
and the counts so far), so that an interrupted import resumes after the last
committed batch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection

from adapters.cwr.validator import CheckedTransaction
from exchange.imports.apply import DEADLINE_DAYS, Applier
from exchange.imports.report import FileReport, count
from exchange.matching.matcher import Matcher
from exchange.model import Finding, Source
from exchange.store import Store, tables
from exchange.store.bulk import insert_rows
from exchange.store.ledger import FileEntry
from exchange.store.rows import now
from exchange.store.writer import PartyCache

BATCH = 2000


class BatchImporter:
    """What importers of every registration format share: applying batches of transactions.

    Each batch is one database transaction that also advances the file's ledger
    entry (``transactions_done`` and the counts so far), so that an import
    interrupted by a crash resumes after the last committed batch.
    """

    def __init__(
        self,
        store: Store,
        partner: str | None = None,
        society: str | None = None,
        deadline_days: Callable[[str], int] | None = None,
        thresholds: tuple[int, int] | None = (95, 80),
    ) -> None:
        self.store = store
        self.partner = partner
        #: our own society code: a work without any of its members is answered NP
        self.society = society
        #: days a conflict a partner brings in may stay unresolved
        self.deadline_days = deadline_days or (lambda _partner: DEADLINE_DAYS)
        #: match scores: (certain, review), see exchange.matching; None: ISWCs and the
        #: sender's own numbers only
        self.thresholds = thresholds
        self.group_findings: dict[int, list[Finding]] = {}
        self.parties = PartyCache()

    @staticmethod
    def resume(report: FileReport, entry: FileEntry) -> int:
        """Take the counts of an interrupted import over; how many transactions it did."""
        totals = entry.summary
        for key in (
            "works_created",
            "works_updated",
            "transactions",
            "accepted",
            "rejected",
            "conflicts_opened",
            "matches_queued",
        ):
            setattr(report, key, getattr(totals, key) or 0)
        report.statuses = dict(totals.statuses or {})
        report.findings_total = totals.findings or 0
        return entry.transactions_done

    def _write(
        self,
        conn: Connection,
        batch: list[CheckedTransaction],
        file_id: int,
        sender: str,
        done: int,
        report: FileReport,
        received: datetime,
    ) -> None:
        file_name = report.file
        writer = self.store.writer(conn, file_id, self.parties)
        sources = [Source(sender, file_name, tx.sequence, received, tx.type) for tx in batch]
        deadline = now() + timedelta(days=self.deadline_days(sender))
        matcher = Matcher(conn, *self.thresholds) if self.thresholds else None
        applier = Applier(writer, sender, report, self.society, deadline, matcher)
        outcomes = applier.apply(list(zip(batch, sources, strict=True)))
        for outcome in outcomes:
            outcome.group_findings = self.group_findings.get(outcome.tx.group_id, [])
        insert_rows(conn, tables.transaction_outcomes, [o.row(file_id) for o in outcomes])
        for tx in batch:
            count(report, tx)
        for outcome in outcomes:
            report.statuses[outcome.status] = report.statuses.get(outcome.status, 0) + 1
        self.store.update_file(file_id, conn, transactions_done=done, summary=report.summary())
