"""The way in of an exchange: collect, import, acknowledge.

* **collect**: each file the partner left is fetched into
  ``<data_dir>/received/<partner>/``; its content (sha256) tells whether it was
  imported before (then it is not imported again); a registration file is
  answered with an ACK; only then is it marked collected at the partner's side.
  Killed before the mark, the next run fetches it again, finds it imported,
  writes the ACK if it is missing, and marks it.

Manifests are optional on the way in: the partner's manifests (recognised by
their name) are fetched first, read safely and checked (schema, sender,
receiver, sequence); a file a manifest lists must then have the size and sha256
it gives, or it is refused, not imported and left at the partner's side, to be
fetched again by the next run (it may still have been on its way).

One file never stops the exchange: a file whose import fails for any reason
(a parser bug, say) is recorded as ``failed`` with the error, marked collected
(so that later runs do not stumble on it again; ``exchange import`` takes it up
once the cause is fixed) and the run goes on with the other files and the
deliveries. A file whose name the transport refuses, or that was still being
written when it was fetched, is reported and left where it is.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from adapters.safe_xml import XmlRefused
from exchange import formats
from exchange.digest import sha256_file
from exchange.errors import ExchangeError
from exchange.exports.acks import AckWriter
from exchange.imports.report import FileReport
from exchange.store.database import StoreError
from exchange.store.leases import PartnerBusy
from exchange.store.ledger import (
    DONE,
    FAILED,
    IMPORTED,
    IMPORTING,
    REFUSED,
    REJECTED,
    FileEntry,
    LedgerSummary,
)
from exchange.sync.manifests import ManifestError, ManifestFile, is_manifest_name
from exchange.sync.manifests import read as read_manifest
from exchange.sync.run import SyncRun
from exchange.transports import FileChanged, RemoteFile, TransportError

logger = logging.getLogger(__name__)

#: Ledger states of a received file that later runs do not import again.
SETTLED = frozenset({IMPORTED, REJECTED, REFUSED, FAILED})
#: Failures that are not the file's: they stop the run (the next run takes the file up).
NOT_THE_FILES = (TransportError, StoreError, OperationalError, PartnerBusy)


class Inbound(SyncRun):
    """Collecting, checking and importing what the partner sent."""

    def collect(self) -> None:
        listed = self.transport.list_inbound()
        for remote in listed:
            if remote.refused is not None:  # bytes that are not UTF-8 as \udcXX
                name = remote.name.encode("utf-8", "backslashreplace").decode("utf-8")
                self.report.received.append(
                    {"name": name, "state": REFUSED, "error": remote.refused}
                )
        listed = [r for r in listed if r.refused is None]
        manifests = [r for r in listed if is_manifest_name(r.name)]
        files = [r for r in listed if not is_manifest_name(r.name)]
        if self.dry_run:
            for remote in manifests:
                self.report.manifests.append(
                    {"name": remote.name, "direction": "in", "action": "fetch"}
                )
            for remote in files:
                self.report.received.append({"name": remote.name, "action": "fetch"})
            return
        waiting = {r.name for r in files}
        for remote in manifests:  # first: they say what the other files must be
            if self._fetch(remote):
                self._collect_manifest(remote, waiting)
        expected = self._expected_files()
        for remote in files:
            if self._fetch(remote):
                self._collect_file(remote, expected.get(remote.name))

    def _fetch(self, remote: RemoteFile) -> bool:
        """Fetch a listed file into ``received``; False if it changed since it was listed."""
        self._still_held()
        try:
            self.transport.fetch(remote, self.received / remote.name)
        except FileChanged as exc:  # still being written: taken by a later run
            self.report.received.append(
                {"name": remote.name, "state": "waiting", "error": str(exc)}
            )
            return False
        return True

    def _collect_file(
        self, remote: RemoteFile, expected: tuple[FileEntry, ManifestFile] | None
    ) -> None:
        local = self.received / remote.name
        sha = sha256_file(local)
        if expected is not None:
            listed_in, listed = expected
            size = local.stat().st_size
            if (size, sha) != (listed.size, listed.sha256):
                self._refuse_mismatch(remote, sha, size, listed_in, listed)
                return
            self._verified(listed_in, remote.name)
        entry = self.store.find_file(sha)
        # refused earlier for differing from a manifest: this content is now acceptable
        stale = entry if entry is not None and entry.summary.mismatch else None
        seen_before = entry is not None and stale is None and entry.state in SETTLED
        report: FileReport | None = None
        try:
            entry, report = self._take(local, sha, entry, stale, seen_before)
        except NOT_THE_FILES:
            raise
        except Exception as exc:  # noqa: BLE001 - one file's failure must not stop the others
            entry = self._failed(local, sha, exc)
        ack = entry.summary.ack
        answered = formats.of_entry(entry.format, entry.version)
        acknowledged = answered is not None and answered.acknowledged
        if acknowledged and ack is None and entry.state in DONE:
            try:
                ack = self._acknowledge(local, entry)
            except NOT_THE_FILES:
                raise
            except Exception as exc:  # noqa: BLE001 - the other files still come in
                error = f"no ACK written ({type(exc).__name__}): {' '.join(str(exc).split())}"
                logger.warning("%s: %s", local.name, error)
                logger.debug("%s: the ACK failed", local.name, exc_info=exc)
                self.store.update_file(entry.id, error=error[:1990])
                entry = self.store.get_file(entry.id) or entry
        self.store.update_file(entry.id, remote_name=remote.name, size=local.stat().st_size)
        self.transport.mark_collected(remote)
        item: dict[str, Any] = {
            "name": remote.name,
            "sha256": sha,
            "format": entry.format,
            "state": entry.state,
            "imported_before": seen_before,
            "ack": ack,
        }
        if report is not None:
            item.update(
                transactions=report.transactions,
                accepted=report.accepted,
                rejected=report.rejected,
                findings=[f.as_dict() for f in report.findings],
            )
            if report.findings_total > len(report.findings):
                item["findings_omitted"] = report.findings_total - len(report.findings)
        if entry.error and not seen_before:
            item["error"] = entry.error
        self.report.received.append(item)

    def _take(
        self,
        local: Path,
        sha: str,
        entry: FileEntry | None,
        stale: FileEntry | None,
        seen_before: bool,
    ) -> tuple[FileEntry, FileReport | None]:
        """Import a fetched file unless it was before, or refuse its format: its entry."""
        code = self.partner.code
        if seen_before:
            assert entry is not None
            return entry, None
        fmt = formats.detect(local)
        report = None
        if fmt.name not in self.partner.accept:
            entry = stale or self.store.start_file(
                local.name, sha, partner=code, format=fmt.name, version=None
            )
            accepted = ", ".join(self.partner.accept)
            error = f"{fmt.name} files are not accepted from {code} (accept: {accepted})"
            self.store.update_file(entry.id, state=REFUSED, error=error, summary=LedgerSummary())
        else:
            if stale is not None:  # the importers take up an entry left "importing"
                self.store.update_file(
                    stale.id, state=IMPORTING, error=None, summary=LedgerSummary()
                )
            report = fmt.importer(self.store, self.config, code).import_file(local)
        found = self.store.find_file(sha)
        assert found is not None
        return found, report

    def _acknowledge(self, local: Path, entry: FileEntry) -> str:
        """Write the ACK of a received CWR file into the outbox; its name."""
        result = AckWriter(self.store, self.config, self.partner.code).write(local, self.staging)
        ack = self._publish(result.path)
        self.store.update_file(entry.id, summary=replace(entry.summary, ack=ack))
        return ack

    def _failed(self, local: Path, sha: str, exc: Exception) -> FileEntry:
        """Record a file whose import failed: ``failed``, with the error; its entry."""
        said = " ".join(str(exc).split())
        if isinstance(exc, ExchangeError):  # a bad file: the message says what is wrong
            error = f"import failed: {said}"[:1990]
        else:  # a bug: the exception is named
            error = f"import failed ({type(exc).__name__}): {said}"[:1990]
        logger.warning("%s: %s", local.name, error)
        logger.debug("%s: the import failed", local.name, exc_info=exc)
        entry = self.store.find_file(sha)
        if entry is None or entry.state not in (IMPORTING, FAILED):
            try:
                kind = formats.detect(local).family
            except Exception:  # noqa: BLE001 - what it is cannot even be told
                kind = "unknown"
            entry = self.store.start_file(
                local.name, sha, partner=self.partner.code, format=kind, version=None
            )
        self.store.update_file(entry.id, state=FAILED, error=error)
        found = self.store.get_file(entry.id)
        assert found is not None
        return found

    def _refuse_mismatch(
        self, remote: RemoteFile, sha: str, size: int, listed_in: FileEntry, listed: ManifestFile
    ) -> None:
        """A file that is not what its manifest says: refused, left where it is."""
        error = (
            f"{remote.name} is not the file {listed_in.name} lists: expected "
            f"{listed.size} bytes with sha256 {listed.sha256}, got {size} bytes with sha256 "
            f"{sha}; not imported, fetched again by the next run"
        )
        entry = self.store.find_file(sha)
        if entry is None or not entry.summary.mismatch or entry.name != remote.name:
            entry = self.store.start_file(
                remote.name, sha, partner=self.partner.code, format=listed.format, version=None
            )
        self.store.update_file(
            entry.id,
            state=REFUSED,
            error=error,
            size=size,
            remote_name=remote.name,
            summary=LedgerSummary(mismatch=True, manifest=listed_in.name),
        )
        self.report.received.append(
            {
                "name": remote.name,
                "sha256": sha,
                "format": listed.format,
                "state": REFUSED,
                "imported_before": False,
                "ack": None,
                "error": error,
            }
        )

    def _collect_manifest(self, remote: RemoteFile, waiting: set[str]) -> None:
        """Fetch a manifest, check it and record it; refused, it changes nothing else."""
        local = self.received / remote.name
        sha = sha256_file(local)
        entry = self.store.find_file(sha)
        if entry is None or entry.format != "manifest" or entry.state == IMPORTING:
            previous = entry if entry is not None and entry.format == "manifest" else None
            entry = self._check_manifest(local, sha, previous)
        self.store.update_file(entry.id, remote_name=remote.name, size=local.stat().st_size)
        self.transport.mark_collected(remote)
        summary = entry.summary
        self.report.manifests.append(
            {
                "name": remote.name,
                "direction": "in",
                "sha256": sha,
                "state": entry.state,
                "sequence": summary.sequence,
                "files": len(summary.files or []),
                "missing": [n for n in summary.pending or [] if n not in waiting],
                "error": entry.error,
            }
        )

    def _check_manifest(self, local: Path, sha: str, previous: FileEntry | None) -> FileEntry:
        code, society = self.partner.code, self.config.own_society
        entry = previous or self.store.start_file(
            local.name, sha, partner=code, format="manifest", version=None
        )
        try:
            manifest = read_manifest(local)
            if manifest.receiver != society:
                raise ManifestError(
                    f"{local.name}: addressed to {manifest.receiver}, not to us ({society})"
                )
            if manifest.sender != code:
                raise ManifestError(
                    f"{local.name}: sent by {manifest.sender} according to the manifest, "
                    f"but it came from partner {code}"
                )
            for other in self.store.ledger(partner=code, direction="in", format="manifest"):
                if other.id != entry.id and other.summary.sequence == manifest.sequence:
                    raise ManifestError(
                        f"{local.name}: sequence {manifest.sequence} was received before, "
                        f"in {other.name}; a manifest's sequence is never repeated"
                    )
        except (XmlRefused, ManifestError) as exc:
            self.store.update_file(entry.id, state=REFUSED, error=str(exc)[:1990])
        else:
            pending = [
                f.name
                for f in manifest.files
                if not self._received_before(f.sha256)  # a file may come before its manifest
            ]
            summary = LedgerSummary.from_json({**manifest.as_dict(), "pending": pending})
            self.store.update_file(
                entry.id, state=IMPORTED, version=manifest.version, summary=summary
            )
        found = self.store.get_file(entry.id)
        assert found is not None
        return found

    def _received_before(self, sha: str) -> bool:
        entry = self.store.find_file(sha)
        return (
            entry is not None
            and not entry.summary.mismatch
            and entry.state in (IMPORTED, REJECTED, REFUSED)
        )

    def _expected_files(self) -> dict[str, tuple[FileEntry, ManifestFile]]:
        """Files that accepted manifests list and that have not arrived intact, by name."""
        expected = {}
        for entry in self.store.ledger(
            partner=self.partner.code, direction="in", format="manifest", state=IMPORTED
        ):
            pending = set(entry.summary.pending or ())
            for item in entry.summary.files or ():
                if item["name"] in pending:
                    expected[item["name"]] = (entry, ManifestFile.from_dict(item))
        return expected

    def _verified(self, manifest: FileEntry, name: str) -> None:
        """A listed file arrived as its manifest says: it is no longer awaited."""
        current = self.store.get_file(manifest.id)
        assert current is not None
        pending = [n for n in current.summary.pending or () if n != name]
        self.store.update_file(current.id, summary=replace(current.summary, pending=pending))
