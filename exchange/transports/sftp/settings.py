"""How to reach one partner's SFTP server: its ``[partners.transport]`` table, read and checked.

The partner gives us an account on its server, a folder where we deliver
(``inbox``) and a folder where it leaves files for us (``outbox``)::

    [partners.transport]
    kind = "sftp"
    host = "sftp.partner.example"
    port = 22
    username = "exchange"
    key_file = "keys/partner_ed25519"      # relative to the configuration's folder
    known_hosts = "keys/known_hosts"       # the partner's host key, checked, never learnt
    inbox = "/incoming"
    outbox = "/outgoing"
    collect = "marker"                     # or "delete", or "move:<folder>"
    delivery_marker = false                # also write <name>.delivery.complete
    timeout = 30
    retries = 3

The key's passphrase, if it has one, never sits in the configuration: it comes
from the environment variable ``EXCHANGE_KEY_PASSPHRASE_<CODE>``
(:func:`passphrase_variable`).
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exchange.config import TRANSPORT_KEYS, ConfigError
from exchange.model import Partner

KEYS = TRANSPORT_KEYS["sftp"]


def passphrase_variable(code: str) -> str:
    """The environment variable holding the key passphrase for partner ``code``.

    >>> passphrase_variable("gema-1")
    'EXCHANGE_KEY_PASSPHRASE_GEMA_1'
    """
    return "EXCHANGE_KEY_PASSPHRASE_" + re.sub(r"[^A-Z0-9]", "_", code.upper())


@dataclass(frozen=True, slots=True)
class SftpSettings:
    """Where and how to reach one partner's SFTP server."""

    host: str
    username: str
    key_file: Path
    known_hosts: Path
    port: int = 22
    inbox: str = "/incoming"
    outbox: str = "/outgoing"
    collect: str = "marker"
    delivery_marker: bool = False
    timeout: float = 30.0
    retries: int = 3
    #: the partner code, for messages and the passphrase variable
    partner: str = ""
    passphrase: str | None = field(default=None, repr=False, compare=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def collect_folder(self) -> str | None:
        """The folder of ``collect = "move:<folder>"`` (relative: inside the outbox)."""
        if not self.collect.startswith("move:"):
            return None
        return posixpath.join(self.outbox, self.collect.removeprefix("move:"))

    @classmethod
    def from_partner(
        cls, partner: Partner, base: Path, *, config_file: Path | None = None
    ) -> SftpSettings:
        """Read ``partner.transport``; relative key paths are taken from ``base``.

        Errors are :class:`ConfigError` naming ``<file>: [partners.transport] <key>``;
        ``config_file`` is the file to name (default: ``base``, the folder).
        """
        data = dict(partner.transport)
        source = config_file if config_file is not None else base

        def where(key: str) -> str:
            return f"{source}: [partners.transport] {key} (partner {partner.code})"

        def get(key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
            if key not in data:
                return default
            value = data[key]
            wrong_bool = isinstance(value, bool) and kind is not bool
            if not isinstance(value, kind) or wrong_bool:
                names = (
                    kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
                )
                raise ConfigError(f"{where(key)} must be a {names}, not {value!r}")
            return value

        def text(key: str, default: str | None = None) -> str:
            if key not in data and default is None:
                raise ConfigError(f"{where(key)} is missing")
            value = get(key, str, default).strip()
            if not value:
                raise ConfigError(f"{where(key)} must not be empty")
            return value

        for key in data:
            if key == "passphrase":
                raise ConfigError(
                    f"{where(key)}: passphrases do not belong in the configuration; "
                    f"set {passphrase_variable(partner.code)} in the environment"
                )
            if key not in KEYS:
                raise ConfigError(f"{where(key)}: unknown key (known: {', '.join(sorted(KEYS))})")
        kind = get("kind", str, "sftp")
        if kind != "sftp":
            raise ConfigError(f"{where('kind')} must be 'sftp' for SFTP settings, not {kind!r}")
        port = get("port", int, 22)
        if not 1 <= port <= 65535:
            raise ConfigError(f"{where('port')} must be a TCP port (1-65535), not {port}")
        collect = text("collect", "marker")
        if collect not in ("marker", "delete") and not (
            collect.startswith("move:") and collect.removeprefix("move:").strip("/ ")
        ):
            raise ConfigError(
                f"{where('collect')} must be 'marker', 'delete' or 'move:<folder>', not {collect!r}"
            )
        timeout = get("timeout", (int, float), 30)
        if timeout <= 0:
            raise ConfigError(f"{where('timeout')} must be a number of seconds above 0")
        retries = get("retries", int, 3)
        if retries < 0:
            raise ConfigError(f"{where('retries')} must be 0 or more, not {retries}")
        passphrase = os.environ.get(passphrase_variable(partner.code)) or None
        return cls(
            host=text("host"),
            port=port,
            username=text("username"),
            key_file=base / text("key_file"),
            known_hosts=base / text("known_hosts"),
            inbox=text("inbox", "/incoming"),
            outbox=text("outbox", "/outgoing"),
            collect=collect,
            delivery_marker=get("delivery_marker", bool, False),
            timeout=float(timeout),
            retries=retries,
            partner=partner.code,
            passphrase=passphrase,
        )
