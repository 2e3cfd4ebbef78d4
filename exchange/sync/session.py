"""One exchange with a partner: collect, import, acknowledge, export, deliver.

:func:`exchange_with` is one exchange session: it holds the partner's lease,
opens its transport, runs the exchange and closes both, for the command line,
the scheduler and the demo alike.

Every file in or out is a ledger entry (table ``files``), and every step moves
it on, so that a run killed at any point is completed by the next one: the way
in is :mod:`exchange.sync.inbound`, the way out :mod:`exchange.sync.outbound`.

``dry_run`` lists what would be fetched, exported and delivered, and changes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from exchange.config import NodeConfig
from exchange.model import Partner
from exchange.store import Store
from exchange.store.leases import Holder, partner_lease
from exchange.sync.inbound import Inbound
from exchange.sync.outbound import Outbound
from exchange.sync.run import SyncReport
from exchange.transports.kinds import open_transport


class Sync(Inbound, Outbound):
    """One run of the exchange with one partner."""

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


def exchange_with(
    store: Store,
    config: NodeConfig,
    partner: Partner,
    *,
    purpose: str = "sync",
    wait: float = 0.0,
    on_wait: Callable[[Holder | None], None] | None = None,
    dry_run: bool = False,
) -> SyncReport:
    """One exchange session with ``partner``: its lease held (waiting up to ``wait``
    seconds for another exchange, else PartnerBusy), its transport open, one run."""
    with (
        partner_lease(store, partner.code, purpose, wait=wait, on_wait=on_wait) as lease,
        open_transport(partner, config) as transport,
    ):
        return Sync(store, config, partner, transport, dry_run=dry_run, lease=lease).run()
