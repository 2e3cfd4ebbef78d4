"""Collecting the ISWC database's notification files from where ``[iswc]`` says.

- ``notification_partner``: the inbox of a configured partner (CISAC's SFTP
  site): one exchange with that partner (:func:`exchange.sync.session.exchange_with`),
  so the files come in through the same transport, lease and ledger as any
  partner's, and must be formats the partner's ``accept`` lists (``iswc-json``,
  ``iswc-edi``);
- ``notification_folder``: a folder; each ISWC file in it (as the format registry
  tells them), in name order.

Either way each file is a ledger entry and is applied once
(:mod:`exchange.iswc.notifications`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy.exc import OperationalError

from exchange import formats
from exchange.config import ConfigError, NodeConfig
from exchange.digest import sha256_file
from exchange.formats.iswc import EDI, JSON
from exchange.store import Store
from exchange.store.database import StoreError
from exchange.store.ledger import DONE, FAILED
from exchange.sync.session import exchange_with

logger = logging.getLogger(__name__)


def collect(store: Store, config: NodeConfig, *, dry_run: bool = False) -> dict[str, Any]:
    """Fetch and apply the notification files waiting; what came of each."""
    settings = config.iswc
    if settings is None:
        raise ConfigError("no [iswc] section: the node does not talk to the ISWC database")
    if settings.notification_partner:
        partner = config.partner(settings.notification_partner)
        report = exchange_with(store, config, partner, purpose="iswc", dry_run=dry_run)
        for item in report.received:  # what came of the transactions, as from a folder
            entry = store.find_file(item["sha256"]) if item.get("sha256") else None
            if entry is not None:
                item.setdefault("statuses", dict(entry.summary.statuses or {}))
        return {"route": "partner", "partner": partner.code, "received": report.received}
    folder = settings.notification_folder
    if folder is None:
        raise ConfigError(
            "[iswc] names neither notification_partner nor notification_folder: "
            "nowhere to collect notification files from"
        )
    if not folder.is_dir():
        raise ConfigError(f"[iswc] notification_folder {folder} is not a folder")
    received: list[dict[str, Any]] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        fmt = next((f for f in (JSON, EDI) if f.identify(path, b"")), None)
        if fmt is None:
            continue  # not an ISWC file: not ours to take
        if dry_run:
            before = _state(store, path) in DONE
            action = "none (imported before)" if before else "apply"
            received.append({"name": path.name, "format": fmt.name, "action": action})
            continue
        try:
            report = formats.reader(fmt.name).importer(store, config, None).import_file(path)
        except (StoreError, OperationalError):
            raise
        except Exception as exc:  # noqa: BLE001 - one file's failure must not stop the others
            said = " ".join(str(exc).split())
            logger.warning("%s: %s", path.name, said)
            received.append({"name": path.name, "state": FAILED, "error": said[:1990]})
            continue
        received.append(
            {
                "name": path.name,
                "state": _state(store, path),
                "imported_before": report.duplicate_of is not None,
                **report.as_dict(imported=True),
            }
        )
    return {"route": "folder", "folder": str(folder), "received": received}


def _state(store: Store, path: Path) -> str | None:
    entry = store.find_file(sha256_file(path))
    return entry.state if entry else None
