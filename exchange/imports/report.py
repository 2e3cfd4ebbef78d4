"""The report every import gives: what validating or importing one file found and
did, how its transactions are counted, and whether its content was imported before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.cwr.validator import CheckedTransaction
from exchange.digest import sha256_file
from exchange.errors import ExchangeError
from exchange.model import Finding
from exchange.store import Store
from exchange.store.ledger import DONE, FileEntry, LedgerSummary

#: How many findings one file report keeps (the counts stay exact).
MAX_FINDINGS = 10000

Progress = Callable[[int, int], None]


@dataclass(slots=True)
class FileReport:
    """What validating or importing one file found and did (the JSON of CLI.md)."""

    file: str
    format: str = "cwr"
    version: str | None = None
    duplicate_of: int | None = None
    transactions: int = 0
    accepted: int = 0
    rejected: int = 0
    works_created: int = 0
    works_updated: int = 0
    conflicts_opened: int = 0
    matches_queued: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    findings_total: int = 0
    file_rejected: bool = False
    #: Why nothing of the file could be read (empty, not CWR, an unsupported version).
    unsupported: str | None = None

    def add(self, findings: list[Finding]) -> None:
        self.findings_total += len(findings)
        room = MAX_FINDINGS - len(self.findings)
        if room > 0:
            self.findings.extend(findings[:room])

    @property
    def has_rejections(self) -> bool:
        return (
            self.file_rejected
            or self.rejected > 0
            or any(f.level in ("ER", "GR", "TR", "RR") for f in self.findings)
        )

    def summary(self) -> LedgerSummary:
        """The counts kept in the file's ledger entry (a resumed import starts from them)."""
        return LedgerSummary(
            transactions=self.transactions,
            accepted=self.accepted,
            rejected=self.rejected,
            works_created=self.works_created,
            works_updated=self.works_updated,
            conflicts_opened=self.conflicts_opened,
            matches_queued=self.matches_queued,
            statuses=self.statuses,
            findings=self.findings_total,
            unsupported=self.unsupported or None,
        )

    def as_dict(self, imported: bool) -> dict[str, Any]:
        data: dict[str, Any] = {"file": self.file, "format": self.format, "version": self.version}
        if imported:
            data["duplicate_of"] = self.duplicate_of
        data.update(transactions=self.transactions, accepted=self.accepted, rejected=self.rejected)
        if imported:
            data.update(
                works_created=self.works_created,
                works_updated=self.works_updated,
                conflicts_opened=self.conflicts_opened,
                matches_queued=self.matches_queued,
                statuses=dict(sorted(self.statuses.items())),
            )
        data["findings"] = [f.as_dict() for f in self.findings]
        if self.findings_total > len(self.findings):
            data["findings_omitted"] = self.findings_total - len(self.findings)
        if self.unsupported:
            data["error"] = self.unsupported
        return data


def earlier_import(store: Store, path: Path) -> tuple[str, FileEntry | None, FileReport | None]:
    """A file's sha256, its ledger entry if it has one, and, when that content was
    imported (or rejected) before, the report saying so (nothing is to be done)."""
    try:
        sha = sha256_file(path)
    except OSError as exc:
        raise ExchangeError(f"cannot read {path}: {exc.strerror}") from None
    previous = store.find_file(sha)
    if previous is not None and previous.state in DONE:
        return sha, previous, duplicate(path.name, previous)
    return sha, previous, None


def duplicate(name: str, earlier: FileEntry) -> FileReport:
    """The report on a file whose content an earlier ledger entry has imported (or rejected)."""
    report = FileReport(name, earlier.format or "cwr", earlier.version, duplicate_of=earlier.id)
    report.unsupported = earlier.summary.unsupported
    return report


def count(report: FileReport, tx: CheckedTransaction) -> None:
    """Count a transaction (accepted or rejected) and keep its findings in the report."""
    report.transactions += 1
    if tx.rejected:
        report.rejected += 1
    else:
        report.accepted += 1
    report.add(tx.findings)
