"""DDEX MWN claim notifications in: :class:`MwnReader` reads a received message
for :class:`~exchange.imports.registrations.RegistrationImporter`.

A message is parsed safely (:mod:`adapters.safe_xml`) and validated against the
MWN 1.3 schema (:mod:`exchange.ddex`) before anything is imported: import needs
the schema folder. It is read as one tree in memory, hence
:data:`MAX_MESSAGE_BYTES`.
"""

from __future__ import annotations

from pathlib import Path

from adapters import safe_xml
from adapters.ddex.mwn.reader import is_claim_notification, message_sender, read_message
from adapters.registrations import ReadFile
from exchange.config import NodeConfig
from exchange.ddex import SCHEMA_ENV, load_schema, schema_dir, sender_code
from exchange.errors import ExchangeError
from exchange.model import Finding

#: Messages read may not be larger (about 10,000 works, 1 GB in memory).
MAX_MESSAGE_BYTES = 128 * 1024 * 1024


class MwnReader:
    """Reads received MWN messages for the importer (safe parse, schema validation first)."""

    def __init__(self, config: NodeConfig) -> None:
        self.config = config

    def __call__(self, path: Path, partner: str | None) -> ReadFile:
        folder = schema_dir(self.config)
        if folder is None:
            raise ExchangeError(
                f"{path.name}: DDEX messages are validated before import: set [ddex] "
                f"schema_dir (or ${SCHEMA_ENV}) to the folder of the MWN 1.3 schemas"
            )
        schema = load_schema(folder)
        tree = safe_xml.parse(path, max_bytes=MAX_MESSAGE_BYTES)
        root = tree.getroot()
        if not is_claim_notification(root):
            raise ExchangeError(
                f"{path.name}: not a DDEX MWN 1.3 claim notification (root element {root.tag!r})"
            )
        errors = safe_xml.schema_errors(schema, tree)
        if errors:
            read = ReadFile("mwn", "1.3", message_sender(root), file_rejected=True)
            read.findings = [
                Finding("ER", f"not valid against the DDEX MWN 1.3 schema: {message}", line)
                for line, message in errors
            ]
            return read
        sender = partner or sender_code(self.config, message_sender(root)) or "?"
        return read_message(root, sender)

    def sender(self, read: ReadFile, path: Path) -> str:
        """Who sent a message (without --partner): the partner its DPID names."""
        code = sender_code(self.config, read.sender_id or "")
        if code is None:
            raise ExchangeError(
                f"{path.name}: the sender's DPID {read.sender_id!r} is not a configured "
                "partner's ([[partners]] dpid): give --partner CODE"
            )
        return code
