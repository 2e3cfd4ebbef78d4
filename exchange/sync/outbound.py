"""The way out of an exchange: export, deliver, close the batch with a manifest.

* **export**: the works changed since the last export to this partner (the time
  the previous export started, so that nothing changed during it is lost) and
  holding claims from someone else than the partner (it is not sent its own) are
  written, in each format the partner accepts, into a staging folder, recorded
  (state ``written``) and only then moved to ``<data_dir>/outbox/<partner>/``:
  files that were never recorded are never delivered.
* **deliver**: each ``written`` entry is delivered (atomically, by the
  transport) and becomes ``delivered``. Killed between the two, it is delivered
  again: the same name, the same content, which the partner's ledger recognises.
* **manifest**: when the partner takes manifests (``[partners.transport]
  manifest``, on by default over SFTP and HTTP), the files delivered in a run
  form a batch, closed by a delivery manifest (:mod:`exchange.sync.manifests`)
  listing each with its size and sha256. The manifest is recorded before it is
  delivered, after the files; files delivered by a run that died before its
  manifest are listed by the next run's.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from exchange import formats
from exchange.digest import sha256_file
from exchange.errors import ExchangeError
from exchange.store.ledger import DELIVERED, FAILED, WRITING, WRITTEN, FileEntry, LedgerSummary
from exchange.store.rows import now
from exchange.sync.manifests import FORMATS as MANIFEST_FORMATS
from exchange.sync.manifests import Manifest, ManifestFile
from exchange.sync.manifests import write as write_manifest
from exchange.sync.run import SyncRun

#: ``summary.manifest`` of a delivered file that no manifest lists yet.
AWAITING_MANIFEST = "pending"


class Outbound(SyncRun):
    """Writing, recording and delivering what goes to the partner."""

    def export(self) -> None:
        code = self.partner.code
        for name in self.partner.send:
            self._still_held()
            fmt = formats.writer(name)
            since = self._exported_until(fmt)
            until = now()
            ids = self.store.work_ids(changed_since=since, news_for=code)
            if not ids:
                continue
            if self.dry_run:
                self.report.exported.append({"format": name, "works": len(ids), "action": "export"})
                continue
            for stale in self.staging.glob(fmt.pattern):
                stale.unlink()  # written by a run that died before recording it
            export = formats.Export(
                self.store, self.config, ids, self.staging, code, self.partner.max_works_per_file
            )
            for written in fmt.write(export).files:
                path = written.path
                entry = self.store.start_file(
                    path.name,
                    sha256_file(path),
                    partner=code,
                    format=fmt.family,
                    version=fmt.version,
                    direction="out",
                )
                summary = LedgerSummary(send=name, works=written.works, until=until.isoformat())
                self.store.update_file(
                    entry.id, state=WRITTEN, summary=summary, size=path.stat().st_size
                )
                self._publish(path)
                self.report.exported.append(
                    {"name": path.name, "format": name, "works": written.works}
                )

    def _exported_until(self, fmt: formats.Format) -> datetime | None:
        """When the last export in this format to this partner started (None: never)."""
        entries = self.store.ledger(partner=self.partner.code, direction="out", format=fmt.family)
        stamps = [
            datetime.fromisoformat(e.summary.until)
            for e in entries
            if e.summary.send == fmt.name and e.summary.until
        ]
        return max(stamps) if stamps else None

    def deliver(self) -> None:
        """Deliver every recorded file not delivered yet; manifests after the files."""
        pending = self.store.ledger(partner=self.partner.code, direction="out", state=WRITTEN)
        files = [e for e in pending if e.format != "manifest"]
        manifests = [e for e in pending if e.format == "manifest"]
        for entry in files + manifests:
            is_manifest = entry.format == "manifest"
            path = self.outbox / entry.name
            if self.dry_run:
                if is_manifest:
                    self.report.manifests.append(
                        {"name": entry.name, "direction": "out", "action": "deliver"}
                    )
                else:
                    self.report.delivered.append(entry.name)
                continue
            if not path.exists() and (self.staging / entry.name).exists():
                self._publish(self.staging / entry.name)  # recorded by a run that died then
            if not path.exists():
                self.store.update_file(
                    entry.id, state=FAILED, error=f"{path} is gone: nothing to deliver"
                )
                continue
            if is_manifest and not self._batch_delivered(entry):
                continue
            self._still_held()
            self.transport.deliver(path)
            summary = None
            if self.manifests and not is_manifest:
                summary = replace(entry.summary, manifest=AWAITING_MANIFEST)
            self.store.update_file(
                entry.id, state=DELIVERED, error=None, size=path.stat().st_size, summary=summary
            )
            if is_manifest:
                self.report.manifests.append(
                    {
                        "name": entry.name,
                        "direction": "out",
                        "state": DELIVERED,
                        "sequence": entry.summary.sequence,
                        "files": len(entry.summary.file_ids or ()),
                    }
                )
            else:
                self.report.delivered.append(entry.name)

    def _batch_delivered(self, manifest: FileEntry) -> bool:
        """Whether every file a manifest lists was delivered (else it is not sent)."""
        for file_id in manifest.summary.file_ids or ():
            listed = self.store.get_file(file_id)
            if listed is None or listed.state != DELIVERED:
                why = "gone from the ledger" if listed is None else listed.state
                self.store.update_file(
                    manifest.id,
                    state=FAILED,
                    error=f"{listed.name if listed else file_id} of the batch is {why}: "
                    "the manifest is not delivered",
                )
                return False
        return True

    def close_batch(self) -> None:
        """End the files delivered (by this run, or one that died before) with a manifest."""
        if not self.manifests:
            return
        if self.dry_run:
            if self.report.delivered or any("works" in e for e in self.report.exported):
                self.report.manifests.append({"direction": "out", "action": "write"})
            return
        code, society = self.partner.code, self.config.own_society or ""
        entries = self.store.ledger(partner=code, direction="out")
        for entry in entries:
            if entry.format == "manifest" and entry.state == WRITING:
                error = "the run writing it stopped before it was recorded; not delivered"
                self.store.update_file(entry.id, state=FAILED, error=error)
        recorded = {e.name for e in entries if e.format == "manifest" and e.state != WRITING}
        listed = {
            i
            for e in entries
            if e.format == "manifest" and e.state != WRITING
            for i in e.summary.file_ids or ()
        }
        batch = [
            e
            for e in entries
            if e.format != "manifest"
            and e.state == DELIVERED
            and e.summary.manifest == AWAITING_MANIFEST
            and e.id not in listed
        ]
        for stale in self.staging.glob("MANIFEST_*"):
            if stale.name not in recorded:
                stale.unlink()  # written by a run that died before recording it
        if not batch:
            return
        # a sequence of its own, so that the numbering of CWR and ACK files is unaffected
        sequence = self.store.next_file_sequence(f"{society}/manifest", code)
        manifest = Manifest(
            sender=society,
            receiver=code,
            sequence=sequence,
            created=now(),
            files=tuple(self._listed(e) for e in batch),
        )
        path = write_manifest(manifest, self.staging)
        entry = self.store.start_file(
            path.name,
            sha256_file(path),
            partner=code,
            format="manifest",
            version=None,
            direction="out",
        )
        summary = LedgerSummary(
            sequence=sequence, file_ids=[e.id for e in batch], files=[e.name for e in batch]
        )
        size = path.stat().st_size
        self.store.update_file(
            entry.id, state=WRITTEN, version=manifest.version, summary=summary, size=size
        )
        self._publish(path)
        for listed_entry in batch:
            self.store.update_file(
                listed_entry.id, summary=replace(listed_entry.summary, manifest=path.name)
            )
        self.deliver()

    def _listed(self, entry: FileEntry) -> ManifestFile:
        """How a manifest describes one delivered file."""
        fmt = entry.summary.send
        if fmt is None:  # an ACK, or written before entries said what they were sent as
            found = formats.of_entry(entry.format or "", entry.version)
            fmt = found.name if found is not None else entry.format
        if fmt not in MANIFEST_FORMATS:
            raise ExchangeError(f"{entry.name}: format {fmt!r} cannot be named in a manifest")
        size = entry.size
        if size is None:
            size = (self.outbox / entry.name).stat().st_size
        return ManifestFile(
            name=entry.name,
            format=fmt,
            size=size,
            sha256=entry.sha256,
            works=entry.summary.works,
            transactions=entry.summary.transactions,
        )
