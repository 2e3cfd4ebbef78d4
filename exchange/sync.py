"""One exchange with a partner: collect, import, acknowledge, export, deliver.

Every file in or out is a ledger entry (table ``files``), and every step moves
it on, so that a run killed at any point is completed by the next one:

* **collect**: each file the partner left is fetched into
  ``<data_dir>/received/<partner>/``; its content (sha256) tells whether it was
  imported before (then it is not imported again); a registration file is
  answered with an ACK; only then is it marked collected at the partner's side.
  Killed before the mark, the next run fetches it again, finds it imported,
  writes the ACK if it is missing, and marks it.
* **export**: the works changed since the last export to this partner (the time
  the previous export started, so that nothing changed during it is lost) and
  holding claims from someone else than the partner (it is not sent its own) are
  written, in each format the partner accepts, into a staging folder, recorded
  (state ``written``) and only then moved to ``<data_dir>/outbox/<partner>/``:
  files that were never recorded are never delivered.
* **deliver**: each ``written`` entry is delivered (atomically, by the
  transport) and becomes ``delivered``. Killed between the two, it is delivered
  again: the same name, the same content, which the partner's ledger recognises.

``dry_run`` lists what would be fetched, exported and delivered, and changes
nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.cwr.export import export_works
from adapters.cwr.writer import FORMATS
from exchange.ack_import import AckImporter, is_ack_file
from exchange.config import NodeConfig
from exchange.cwr_ack import AckWriter
from exchange.cwr_export import works_to_export
from exchange.cwr_import import CwrImporter, head_of, open_source
from exchange.digest import sha256_file
from exchange.errors import ExchangeError
from exchange.model import Partner
from exchange.store import Store
from exchange.store.rows import now
from exchange.transports import Transport


@dataclass(slots=True)
class SyncReport:
    partner: str
    dry_run: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    exported: list[dict[str, Any]] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "dry_run": self.dry_run,
            "received": self.received,
            "exported": self.exported,
            "delivered": self.delivered,
        }


class Sync:
    """One run of the exchange with one partner."""

    def __init__(
        self,
        store: Store,
        config: NodeConfig,
        partner: Partner,
        transport: Transport,
        *,
        dry_run: bool = False,
    ) -> None:
        if config.own_society is None:
            raise ExchangeError("set [node] society_code before exchanging with partners")
        self.store = store
        self.config = config
        self.partner = partner
        self.transport = transport
        self.dry_run = dry_run
        code = partner.code
        self.received = config.data_dir / "received" / code
        self.outbox = config.data_dir / "outbox" / code
        self.staging = config.data_dir / "staging" / code
        self.report = SyncReport(code, dry_run)

    def run(self) -> SyncReport:
        for folder in (self.received, self.outbox, self.staging):
            folder.mkdir(parents=True, exist_ok=True)
        self.collect()
        self.deliver()  # what an earlier run wrote but did not deliver
        self.export()
        self.deliver()
        return self.report

    # -- in -------------------------------------------------------------------------

    def collect(self) -> None:
        config, code = self.config, self.partner.code
        for remote in self.transport.list_inbound():
            if self.dry_run:
                self.report.received.append({"name": remote.name, "action": "fetch"})
                continue
            local = self.received / remote.name
            self.transport.fetch(remote, local)
            sha = sha256_file(local)
            entry = self.store.find_file(sha)
            seen_before = entry is not None and entry.state in ("imported", "rejected", "refused")
            kind = self._kind(local)
            if not seen_before and kind not in self.partner.accept:
                entry = self.store.start_file(
                    remote.name, sha, partner=code, format=kind, version=None
                )
                accepted = ", ".join(self.partner.accept)
                error = f"{kind} files are not accepted from {code} (accept: {accepted})"
                self.store.update_file(entry.id, state="refused", error=error)
                entry = self.store.find_file(sha)
            elif not seen_before:
                if kind == "ack":
                    acks = AckImporter(self.store, config.own_society, code, config.deadline_days)
                    acks.import_file(local)
                else:
                    CwrImporter(
                        self.store,
                        code,
                        config.own_society,
                        config.deadline_days,
                        (config.match_certain, config.match_review),
                    ).import_file(local)
                entry = self.store.find_file(sha)
            assert entry is not None
            ack = entry.summary.get("ack")
            if entry.format == "cwr" and ack is None:
                written = AckWriter(self.store, config.own_society or "", config.name, code)
                result = written.write(local, self.staging)
                ack = self._publish(result.path)
                self.store.update_file(entry.id, summary={**entry.summary, "ack": ack})
            self.store.update_file(entry.id, remote_name=remote.name, size=local.stat().st_size)
            self.transport.mark_collected(remote)
            self.report.received.append(
                {
                    "name": remote.name,
                    "sha256": sha,
                    "format": entry.format,
                    "state": entry.state,
                    "imported_before": seen_before,
                    "ack": ack,
                }
            )

    @staticmethod
    def _kind(local: Path) -> str:
        """What a received file is: ack, or cwr21/cwr22 (as its header says)."""
        source = open_source(local)
        if is_ack_file(source):
            return "ack"
        return "cwr" + head_of(source).version.replace(".", "")

    # -- out ------------------------------------------------------------------------

    def _publish(self, staged: Path) -> str:
        """Move a recorded file from staging to the outbox; returns its name."""
        os.replace(staged, self.outbox / staged.name)
        return staged.name

    def export(self) -> None:
        code = self.partner.code
        society = self.config.own_society or ""

        def next_sequence() -> int:
            return self.store.next_file_sequence(society, code)

        for fmt in self.partner.send:
            if fmt not in FORMATS:
                continue  # formats this node cannot write yet (mwn, csv, xlsx)
            since = self._exported_until(fmt)
            until = now()
            ids = self.store.work_ids(changed_since=since, news_for=code)
            if not ids:
                continue
            if self.dry_run:
                self.report.exported.append({"format": fmt, "works": len(ids), "action": "export"})
                continue
            for stale in self.staging.glob("CW*"):
                stale.unlink()  # written by a run that died before recording it
            version = FORMATS[fmt]
            result = export_works(
                works_to_export(
                    self.store,
                    ids,
                    version=version,
                    transaction="NWR",
                    sender=society,
                    encoding="ascii",
                ),
                self.staging,
                version=version,
                sender=society,
                sender_name=self.config.name,
                next_sequence=next_sequence,
                receiver=code,
                max_works_per_file=self.partner.max_works_per_file,
            )
            for written in result.files:
                sha = sha256_file(written.path)
                entry = self.store.start_file(
                    written.path.name,
                    sha,
                    partner=code,
                    format="cwr",
                    version=version,
                    direction="out",
                )
                summary = {"send": fmt, "works": written.works, "until": until.isoformat()}
                self.store.update_file(
                    entry.id, state="written", summary=summary, size=written.path.stat().st_size
                )
                self._publish(written.path)
                self.report.exported.append(
                    {"name": written.path.name, "format": fmt, "works": written.works}
                )

    def _exported_until(self, fmt: str) -> datetime | None:
        """When the last export in this format to this partner started (None: never)."""
        entries = self.store.ledger(partner=self.partner.code, direction="out", format="cwr")
        stamps = [
            datetime.fromisoformat(e.summary["until"])
            for e in entries
            if e.summary.get("send") == fmt and e.summary.get("until")
        ]
        return max(stamps) if stamps else None

    def deliver(self) -> None:
        pending = self.store.ledger(partner=self.partner.code, direction="out", state="written")
        for entry in pending:
            path = self.outbox / entry.name
            if self.dry_run:
                self.report.delivered.append(entry.name)
                continue
            if not path.exists():
                self.store.update_file(
                    entry.id, state="failed", error=f"{path} is gone: nothing to deliver"
                )
                continue
            self.transport.deliver(path)
            self.store.update_file(entry.id, state="delivered", error=None)
            self.report.delivered.append(entry.name)
