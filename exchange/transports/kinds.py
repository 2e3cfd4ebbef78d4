"""Opening the transport a partner's configuration names (``[partners.transport] kind``)."""

from __future__ import annotations

from pathlib import Path

from exchange.config import ConfigError, NodeConfig
from exchange.model import Partner
from exchange.transports import Transport


def open_transport(partner: Partner, config: NodeConfig) -> Transport:
    """The transport of a configured partner (relative paths from the configuration's folder),
    to use in a ``with`` block, which closes it::

        with open_transport(partner, config) as transport:
            transport.deliver(path)

    ``served``: the partner reaches us through our HTTP API (``exchange serve``): it
    uploads into ``<data_dir>/inbox/<code>`` and downloads from
    ``<data_dir>/outbox/<code>``, where the exchange leaves its files anyway.
    """
    base = config.path.parent if config.path is not None else Path.cwd()
    kind = partner.transport.get("kind")
    if kind == "served":
        from exchange.transports.folder import FolderSettings, FolderTransport

        folders = config.data_dir
        outbox, inbox = folders / "outbox" / partner.code, folders / "inbox" / partner.code
        for folder in (outbox, inbox):
            folder.mkdir(parents=True, exist_ok=True)
        return FolderTransport(FolderSettings(inbox=outbox, outbox=inbox))
    if kind == "folder":
        from exchange.transports.folder import FolderSettings, FolderTransport

        return FolderTransport(FolderSettings.from_partner(partner, base))
    if kind == "sftp":  # paramiko is imported only by those who need it
        from exchange.transports.sftp.settings import SftpSettings
        from exchange.transports.sftp.transport import SftpTransport

        settings = SftpSettings.from_partner(partner, base, config_file=config.path)
        return SftpTransport(settings)
    if kind == "http":
        from exchange.transports.http import HttpSettings, HttpTransport

        return HttpTransport(HttpSettings.from_partner(partner, base))
    raise ConfigError(
        f"partner {partner.code}: [partners.transport] kind must be sftp, http, folder or served"
        + (f", not {kind!r}" if kind else " (it is missing)")
    )
