"""What one run of an exchange with a partner shares, in and out: its folders, the
partner's lease, the report, and the ledger conventions of both directions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exchange.config import ConfigError, NodeConfig
from exchange.digest import sha256_file
from exchange.errors import ExchangeError
from exchange.model import Partner
from exchange.store import Store
from exchange.store.leases import Lease
from exchange.store.ledger import FAILED, REFUSED, REJECTED, FileEntry
from exchange.transports import Transport

#: Kinds of transport over which manifests are sent unless the partner says otherwise.
MANIFEST_BY_DEFAULT = ("sftp", "http", "served")


#: Ledger states of a received file that reject something (exit code 1).
REJECTING = frozenset({REJECTED, REFUSED, FAILED})


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


def partner_folder(config: NodeConfig, kind: str, code: str) -> Path:
    """``<data_dir>/<kind>/<partner>``: where an exchange keeps what it received
    (``received``) and what it leaves for delivery (``outbox``)."""
    return config.data_dir / kind / code


def ledger_copy(config: NodeConfig, entry: FileEntry) -> Path | None:
    """The node's copy of a ledger entry's file, if it still has one with the entry's
    content: what an exchange received, or wrote into the outbox."""
    if entry.partner is None or "/" in entry.name or entry.name.startswith("."):
        return None
    kind = "received" if entry.direction == "in" else "outbox"
    path = partner_folder(config, kind, entry.partner) / entry.name
    try:
        if path.is_file() and sha256_file(path) == entry.sha256:
            return path
    except OSError:
        pass
    return None


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
        ) or any(m.get("state") == REFUSED for m in self.manifests)

    def as_dict(self) -> dict[str, Any]:
        return {
            "partner": self.partner,
            "dry_run": self.dry_run,
            "received": self.received,
            "exported": self.exported,
            "delivered": self.delivered,
            "manifests": self.manifests,
        }


class SyncRun:
    """The state of one run with one partner (see :class:`exchange.sync.session.Sync`)."""

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
        self.received = partner_folder(config, "received", code)
        self.outbox = partner_folder(config, "outbox", code)
        self.staging = config.data_dir / "staging" / code
        self.report = SyncReport(code, dry_run)
        self.manifests = sends_manifests(partner)

    def _clear_partial_files(self) -> None:
        """Remove the temporary files of a run that was killed while writing them.

        Only the run holding the partner's lease writes in these folders, so every
        ``.<name>.part`` there is left over.
        """
        for folder in (self.received, self.staging):
            for partial in folder.glob(".*.part"):
                if partial.is_file():  # only ever files: leave anything else alone
                    partial.unlink(missing_ok=True)

    def _still_held(self) -> None:
        """Stop here (PartnerBusy) if the partner's lease was lost to another exchange."""
        if self.lease is not None:
            self.lease.check()

    def _publish(self, staged: Path) -> str:
        """Move a recorded file from staging to the outbox; returns its name."""
        os.replace(staged, self.outbox / staged.name)
        return staged.name
