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

* **manifest**: when the partner takes manifests (``[partners.transport]
  manifest``, on by default over SFTP and HTTP), the files delivered in a run
  form a batch, closed by a delivery manifest (:mod:`exchange.sync.manifests`) listing
  each with its size and sha256. The manifest is recorded before it is
  delivered, after the files; files delivered by a run that died before its
  manifest are listed by the next run's.

On the way in, manifests are optional: the partner's manifests (recognised by
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

``dry_run`` lists what would be fetched, exported and delivered, and changes
nothing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from adapters.cwr.export import export_works
from adapters.cwr.writer import FORMATS
from adapters.safe_xml import XmlRefused
from exchange import formats
from exchange.config import ConfigError, NodeConfig
from exchange.digest import sha256_file
from exchange.errors import ExchangeError
from exchange.exports.acks import AckWriter
from exchange.exports.cwr import works_to_export
from exchange.exports.mwn import MwnWriter
from exchange.exports.sheets import export_sheet
from exchange.imports.cwr import head_of, open_source
from exchange.imports.report import FileReport
from exchange.model import Partner
from exchange.store import FileEntry, Store, StoreError
from exchange.store.leases import Lease, PartnerBusy
from exchange.store.rows import now
from exchange.sync.manifests import FORMATS as MANIFEST_FORMATS
from exchange.sync.manifests import Manifest, ManifestError, ManifestFile, is_manifest_name
from exchange.sync.manifests import read as read_manifest
from exchange.sync.manifests import write as write_manifest
from exchange.transports import FileChanged, RemoteFile, Transport, TransportError

logger = logging.getLogger(__name__)

#: ``summary["manifest"]`` of a delivered file that no manifest lists yet.
AWAITING_MANIFEST = "pending"
#: Kinds of transport over which manifests are sent unless the partner says otherwise.
MANIFEST_BY_DEFAULT = ("sftp", "http", "served")


#: Names of the files each format writes into staging (left there by a run that died).
STAGED = {"mwn": "MWN_*", "csv": "WORKS_*.csv", "xlsx": "WORKS_*.xlsx"}
#: Ledger states of a received file that later runs do not import again.
SETTLED = ("imported", "rejected", "refused", "failed")
#: Ledger states of a received file that reject something (exit code 1).
REJECTING = ("rejected", "refused", "failed")
#: Failures that are not the file's: they stop the run (the next run takes the file up).
NOT_THE_FILES = (TransportError, StoreError, OperationalError, PartnerBusy)


def _ledger_format(fmt: str) -> str:
    """The ledger's format for a partner format: cwr for cwr21 and cwr22."""
    return "cwr" if fmt.startswith("cwr") else fmt


def sends_manifests(partner: Partner) -> bool:
    """Whether batches for ``partner`` end with a delivery manifest.

    ``[partners.transport] manifest = true|false``; by default, over SFTP and HTTP
    (``http`` and ``served``) but not through folders.
    """
    value = partner.transport.get("manifest")
    if value is None:
        return partner.transport.get("kind") in MANIFEST_BY_DEFAULT
    if not isinstance(value, bool):
        raise ConfigError(
            f"partner {partner.code}: [partners.transport] manifest must be true or false, "
            f"not {value!r}"
        )
    return value


@dataclass(slots=True)
class SyncReport:
    partner: str
    dry_run: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    exported: list[dict[str, Any]] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    #: delivery manifests received ("direction": "in") and delivered ("out")
    manifests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def has_rejections(self) -> bool:
        """Whether something received was rejected, refused or failed (exit code 1)."""
        return any(
            item.get("state") in REJECTING or item.get("rejected") for item in self.received
        ) or any(m.get("state") == "refused" for m in self.manifests)

    def as_dict(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "dry_run": self.dry_run,
            "received": self.received,
            "exported": self.exported,
            "delivered": self.delivered,
            "manifests": self.manifests,
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
        lease: Lease | None = None,
    ) -> None:
        if config.own_society is None:
            raise ExchangeError("set [node] society_code before exchanging with partners")
        self.store = store
        self.config = config
        self.partner = partner
        self.transport = transport
        self.dry_run = dry_run
        self.lease = lease
        code = partner.code
        self.received = config.data_dir / "received" / code
        self.outbox = config.data_dir / "outbox" / code
        self.staging = config.data_dir / "staging" / code
        self.report = SyncReport(code, dry_run)
        self.manifests = sends_manifests(partner)

    def run(self) -> SyncReport:
        for folder in (self.received, self.outbox, self.staging):
            folder.mkdir(parents=True, exist_ok=True)
        if not self.dry_run:
            self._clear_partial_files()
        self.collect()
        self.deliver()  # what an earlier run wrote but did not deliver
        self.export()
        self.deliver()
        self.close_batch()
        return self.report

    def _clear_partial_files(self) -> None:
        """Remove the temporary files of a run that was killed while writing them.

        Only the run holding the partner's lease writes in these folders, so every
        ``.<name>.part`` there is left over.
        """
        for folder in (self.received, self.staging):
            for partial in folder.glob(".*.part"):
                if partial.is_file():  # only ever files: leave anything else alone
                    partial.unlink(missing_ok=True)

    # -- in -------------------------------------------------------------------------

    def collect(self) -> None:
        listed = self.transport.list_inbound()
        for remote in listed:
            if remote.refused is not None:  # bytes that are not UTF-8 as \udcXX
                name = remote.name.encode("utf-8", "backslashreplace").decode("utf-8")
                self.report.received.append(
                    {"name": name, "state": "refused", "error": remote.refused}
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

    def _still_held(self) -> None:
        """Stop here (PartnerBusy) if the partner's lease was lost to another exchange."""
        if self.lease is not None:
            self.lease.check()

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
        stale = entry if entry is not None and entry.summary.get("mismatch") else None
        seen_before = entry is not None and stale is None and entry.state in SETTLED
        report: FileReport | None = None
        try:
            entry, report = self._take(local, sha, entry, stale, seen_before)
        except NOT_THE_FILES:
            raise
        except Exception as exc:  # noqa: BLE001 - one file's failure must not stop the others
            entry = self._failed(local, sha, exc)
        ack = entry.summary.get("ack")
        if entry.format == "cwr" and ack is None and entry.state in ("imported", "rejected"):
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
        kind = self._kind(local)
        report = None
        if kind not in self.partner.accept:
            entry = stale or self.store.start_file(
                local.name, sha, partner=code, format=kind, version=None
            )
            accepted = ", ".join(self.partner.accept)
            error = f"{kind} files are not accepted from {code} (accept: {accepted})"
            self.store.update_file(entry.id, state="refused", error=error, summary={})
        else:
            if stale is not None:  # the importers take up an entry left "importing"
                self.store.update_file(stale.id, state="importing", error=None, summary={})
            importer = formats.importer(self.store, self.config, _ledger_format(kind), code)
            report = importer.import_file(local)
        found = self.store.find_file(sha)
        assert found is not None
        return found, report

    def _acknowledge(self, local: Path, entry: FileEntry) -> str:
        """Write the ACK of a received CWR file into the outbox; its name."""
        result = AckWriter(self.store, self.config, self.partner.code).write(local, self.staging)
        ack = self._publish(result.path)
        self.store.update_file(entry.id, summary={**entry.summary, "ack": ack})
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
        if entry is None or entry.state not in ("importing", "failed"):
            try:
                kind = _ledger_format(self._kind(local))
            except Exception:  # noqa: BLE001 - what it is cannot even be told
                kind = "unknown"
            entry = self.store.start_file(
                local.name, sha, partner=self.partner.code, format=kind, version=None
            )
        self.store.update_file(entry.id, state="failed", error=error)
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
        if entry is None or not entry.summary.get("mismatch") or entry.name != remote.name:
            entry = self.store.start_file(
                remote.name, sha, partner=self.partner.code, format=listed.format, version=None
            )
        self.store.update_file(
            entry.id,
            state="refused",
            error=error,
            size=size,
            remote_name=remote.name,
            summary={"mismatch": True, "manifest": listed_in.name},
        )
        self.report.received.append(
            {
                "name": remote.name,
                "sha256": sha,
                "format": listed.format,
                "state": "refused",
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
        if entry is None or entry.format != "manifest" or entry.state == "importing":
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
                "sequence": summary.get("sequence"),
                "files": len(summary.get("files") or []),
                "missing": [n for n in summary.get("pending") or [] if n not in waiting],
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
                if other.id != entry.id and other.summary.get("sequence") == manifest.sequence:
                    raise ManifestError(
                        f"{local.name}: sequence {manifest.sequence} was received before, "
                        f"in {other.name}; a manifest's sequence is never repeated"
                    )
        except (XmlRefused, ManifestError) as exc:
            self.store.update_file(entry.id, state="refused", error=str(exc)[:1990])
        else:
            pending = [
                f.name
                for f in manifest.files
                if not self._received_before(f.sha256)  # a file may come before its manifest
            ]
            summary = {**manifest.as_dict(), "pending": pending}
            self.store.update_file(
                entry.id, state="imported", version=manifest.version, summary=summary
            )
        found = self.store.get_file(entry.id)
        assert found is not None
        return found

    def _received_before(self, sha: str) -> bool:
        entry = self.store.find_file(sha)
        return (
            entry is not None
            and not entry.summary.get("mismatch")
            and entry.state in ("imported", "rejected", "refused")
        )

    def _expected_files(self) -> dict[str, tuple[FileEntry, ManifestFile]]:
        """Files that accepted manifests list and that have not arrived intact, by name."""
        expected = {}
        for entry in self.store.ledger(
            partner=self.partner.code, direction="in", format="manifest", state="imported"
        ):
            pending = set(entry.summary.get("pending") or ())
            for item in entry.summary.get("files") or ():
                if item["name"] in pending:
                    expected[item["name"]] = (entry, ManifestFile.from_dict(item))
        return expected

    def _verified(self, manifest: FileEntry, name: str) -> None:
        """A listed file arrived as its manifest says: it is no longer awaited."""
        current = self.store.get_file(manifest.id)
        assert current is not None
        pending = [n for n in current.summary.get("pending") or () if n != name]
        self.store.update_file(current.id, summary={**current.summary, "pending": pending})

    @staticmethod
    def _kind(local: Path) -> str:
        """What a received file is: cwr21/cwr22 (as its header says), ack, mwn, csv, xlsx."""
        kind = formats.detect(local)
        if kind == "cwr":
            return "cwr" + head_of(open_source(local)).version.replace(".", "")
        return kind

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
            self._still_held()
            since = self._exported_until(fmt)
            until = now()
            ids = self.store.work_ids(changed_since=since, news_for=code)
            if not ids:
                continue
            if self.dry_run:
                self.report.exported.append({"format": fmt, "works": len(ids), "action": "export"})
                continue
            for stale in self.staging.glob(STAGED.get(fmt, "CW*")):
                stale.unlink()  # written by a run that died before recording it
            for path, works, version in self._write(fmt, ids, next_sequence):
                sha = sha256_file(path)
                entry = self.store.start_file(
                    path.name,
                    sha,
                    partner=code,
                    format=_ledger_format(fmt),
                    version=version,
                    direction="out",
                )
                summary = {"send": fmt, "works": works, "until": until.isoformat()}
                self.store.update_file(
                    entry.id, state="written", summary=summary, size=path.stat().st_size
                )
                self._publish(path)
                self.report.exported.append({"name": path.name, "format": fmt, "works": works})

    def _write(
        self, fmt: str, ids: list[int], next_sequence: Callable[[], int]
    ) -> list[tuple[Path, int, str | None]]:
        """Write works for the partner into staging: (path, works, version) per file."""
        code = self.partner.code
        society = self.config.own_society or ""
        if fmt == "mwn":
            written = MwnWriter(self.store, self.config, code).works(
                ids, self.staging, self.partner.max_works_per_file
            )
            return [(f.path, f.works, "1.3") for f in written.files]
        if fmt in ("csv", "xlsx"):
            path, works = export_sheet(self.store, ids, self.staging, fmt, society, code)
            return [(path, works, None)]
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
        return [(f.path, f.works, version) for f in result.files]

    def _exported_until(self, fmt: str) -> datetime | None:
        """When the last export in this format to this partner started (None: never)."""
        entries = self.store.ledger(
            partner=self.partner.code, direction="out", format=_ledger_format(fmt)
        )
        stamps = [
            datetime.fromisoformat(e.summary["until"])
            for e in entries
            if e.summary.get("send") == fmt and e.summary.get("until")
        ]
        return max(stamps) if stamps else None

    def deliver(self) -> None:
        """Deliver every recorded file not delivered yet; manifests after the files."""
        pending = self.store.ledger(partner=self.partner.code, direction="out", state="written")
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
                    entry.id, state="failed", error=f"{path} is gone: nothing to deliver"
                )
                continue
            if is_manifest and not self._batch_delivered(entry):
                continue
            self._still_held()
            self.transport.deliver(path)
            values: dict[str, Any] = {"state": "delivered", "error": None}
            values["size"] = path.stat().st_size
            if self.manifests and not is_manifest:
                values["summary"] = {**entry.summary, "manifest": AWAITING_MANIFEST}
            self.store.update_file(entry.id, **values)
            if is_manifest:
                self.report.manifests.append(
                    {
                        "name": entry.name,
                        "direction": "out",
                        "state": "delivered",
                        "sequence": entry.summary.get("sequence"),
                        "files": len(entry.summary.get("file_ids") or ()),
                    }
                )
            else:
                self.report.delivered.append(entry.name)

    def _batch_delivered(self, manifest: FileEntry) -> bool:
        """Whether every file a manifest lists was delivered (else it is not sent)."""
        for file_id in manifest.summary.get("file_ids") or ():
            listed = self.store.get_file(file_id)
            if listed is None or listed.state != "delivered":
                why = "gone from the ledger" if listed is None else listed.state
                self.store.update_file(
                    manifest.id,
                    state="failed",
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
            if entry.format == "manifest" and entry.state == "writing":
                error = "the run writing it stopped before it was recorded; not delivered"
                self.store.update_file(entry.id, state="failed", error=error)
        recorded = {e.name for e in entries if e.format == "manifest" and e.state != "writing"}
        listed = {
            i
            for e in entries
            if e.format == "manifest" and e.state != "writing"
            for i in e.summary.get("file_ids") or ()
        }
        batch = [
            e
            for e in entries
            if e.format != "manifest"
            and e.state == "delivered"
            and e.summary.get("manifest") == AWAITING_MANIFEST
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
        summary = {
            "sequence": sequence,
            "file_ids": [e.id for e in batch],
            "files": [e.name for e in batch],
        }
        size = path.stat().st_size
        self.store.update_file(
            entry.id, state="written", version=manifest.version, summary=summary, size=size
        )
        self._publish(path)
        for listed_entry in batch:
            self.store.update_file(
                listed_entry.id, summary={**listed_entry.summary, "manifest": path.name}
            )
        self.deliver()

    def _listed(self, entry: FileEntry) -> ManifestFile:
        """How a manifest describes one delivered file."""
        fmt = entry.summary.get("send") or entry.format or ""
        if fmt == "cwr":
            fmt = "cwr" + (entry.version or "2.1").replace(".", "")
        if fmt not in MANIFEST_FORMATS:
            raise ExchangeError(f"{entry.name}: format {fmt!r} cannot be named in a manifest")
        size = entry.size
        if size is None:
            size = (self.outbox / entry.name).stat().st_size

        def count(key: str) -> int | None:
            value = entry.summary.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        return ManifestFile(
            name=entry.name,
            format=fmt,
            size=size,
            sha256=entry.sha256,
            works=count("works"),
            transactions=count("transactions"),
        )
