"""Opening the transport a partner's configuration names (``[partners.transport] kind``)."""

from __future__ import annotations

from pathlib import Path

from exchange.config import ConfigError
from exchange.model import Partner
from exchange.transports import Transport


def open_transport(partner: Partner, base: Path) -> Transport:
    """The transport of a configured partner; ``base`` is the configuration's folder."""
    kind = partner.transport.get("kind")
    if kind == "folder":
        from exchange.transports.folder import FolderSettings, FolderTransport

        return FolderTransport(FolderSettings.from_partner(partner, base))
    if kind == "sftp":  # paramiko is imported only by those who need it
        from exchange.transports.sftp import SftpSettings, SftpTransport

        return SftpTransport(SftpSettings.from_partner(partner, base))
    if kind == "http":
        from exchange.transports.http import HttpSettings, HttpTransport

        return HttpTransport(HttpSettings.from_partner(partner, base))
    raise ConfigError(
        f"partner {partner.code}: [partners.transport] kind must be sftp, http or folder"
        + (f", not {kind!r}" if kind else " (it is missing)")
    )
