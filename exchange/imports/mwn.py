"""DDEX MWN claim notifications in: :class:`MwnReader` reads a received message
for :class:`~exchange.imports.registrations.RegistrationImporter`.

A message is streamed (:func:`adapters.safe_xml.iterparse`: the same refusals as
a safe parse, no tree of the whole message) and validated against the MWN 1.3
schema (:mod:`exchange.ddex`) by libxml2 as it is read; nothing is imported
before the whole message has been read and found valid: import needs the schema
folder. A message libxml2 finds invalid is parsed again as a tree for
xmlschema's detailed findings (the element's path and what was expected).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from adapters import safe_xml
from adapters.ddex.mwn.reader import (
    STREAMED,
    is_claim_notification,
    message_sender,
    read_elements,
)
from adapters.registrations import ReadFile
from exchange.config import NodeConfig
from exchange.ddex import SCHEMA_ENV, load_schema, schema_dir, sender_code
from exchange.errors import ExchangeError
from exchange.model import Finding

#: Messages read may not be larger (about 10,000 works: their registrations are held).
MAX_MESSAGE_BYTES = 128 * 1024 * 1024


def _claim_notification(root: Any, path: Path) -> None:
    if not is_claim_notification(root):
        raise ExchangeError(
            f"{path.name}: not a DDEX MWN 1.3 claim notification (root element {root.tag!r})"
        )


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

        def sender_of(dpid: str) -> str:
            return partner or sender_code(self.config, dpid) or "?"

        elements = safe_xml.iterparse(path, STREAMED, schema=schema, max_bytes=MAX_MESSAGE_BYTES)
        try:
            first = next(elements, None)
            if first is not None:
                _claim_notification(first.getroottree().getroot(), path)
            return read_elements(
                itertools.chain([first] if first is not None else [], elements), sender_of
            )
        except safe_xml.NotValid:
            pass
        tree = safe_xml.parse(path, max_bytes=MAX_MESSAGE_BYTES)
        root = tree.getroot()
        _claim_notification(root, path)
        read = ReadFile("mwn", "1.3", message_sender(root), file_rejected=True)
        read.findings = [
            Finding("ER", f"not valid against the DDEX MWN 1.3 schema: {message}", line)
            for line, message in safe_xml.schema_errors(schema, tree)
        ]
        return read

    def sender(self, read: ReadFile, path: Path) -> str:
        """Who sent a message (without --partner): the partner its DPID names."""
        code = sender_code(self.config, read.sender_id or "")
        if code is None:
            raise ExchangeError(
                f"{path.name}: the sender's DPID {read.sender_id!r} is not a configured "
                "partner's ([[partners]] dpid): give --partner CODE"
            )
        return code
