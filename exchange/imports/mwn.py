"""DDEX MWN claim notifications in: :class:`MwnReader` reads a received message
for :class:`~exchange.imports.registrations.RegistrationImporter`.

A message is streamed (:func:`adapters.safe_xml.iterparse`: the same refusals as
a safe parse, no tree of the whole message) and validated against the MWN 1.3
schema (:mod:`exchange.ddex`) by libxml2 as it is read; nothing is imported
before the whole message has been read and found valid: import needs the schema
folder. A large message is validated in a worker process while the main process
reads it. A message libxml2 finds invalid is parsed again as a tree for
xmlschema's detailed findings (the element's path and what was expected).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from adapters import safe_xml
from adapters.cwr.pipeline import PARALLEL_FROM_BYTES, drop_broken_pool, process_pool, worker_count
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


def streams_valid(folder: Path, path: Path) -> bool:
    """Whether a received message streams through :func:`safe_xml.iterparse` valid
    against the schema (run in a worker process: the schema is loaded once per process).
    False too for a message refused or unreadable: the main process says why."""
    schema = load_schema(folder)
    try:
        for _element in safe_xml.iterparse(
            path, STREAMED, schema=schema, max_bytes=MAX_MESSAGE_BYTES
        ):
            pass
    except (safe_xml.NotValid, ExchangeError):
        return False
    return True


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

        valid = self._valid_in_worker(folder, path)
        if valid is not None:
            # read it meanwhile: kept if the worker finds it valid, as read with the schema
            try:
                read = _read(path, None, sender_of)
            except Exception:  # noqa: BLE001 - what an invalid message may cause the reader
                if _verdict(valid) is True:
                    raise  # refused, not a claim notification: as with the schema
            else:
                if _verdict(valid) is True:
                    return read
        try:
            return _read(path, schema, sender_of)
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

    @staticmethod
    def _valid_in_worker(folder: Path, path: Path) -> Future[bool] | None:
        """A worker process's check of a large message, or None (read it here)."""
        try:
            large = path.stat().st_size >= PARALLEL_FROM_BYTES
        except OSError:
            return None  # the reading says why
        workers = worker_count()
        if not large or workers < 1:
            return None
        try:
            return process_pool(workers).submit(streams_valid, folder, path)
        except BrokenProcessPool:
            drop_broken_pool()
            return None

    def sender(self, read: ReadFile, path: Path) -> str:
        """Who sent a message (without --partner): the partner its DPID names."""
        code = sender_code(self.config, read.sender_id or "")
        if code is None:
            raise ExchangeError(
                f"{path.name}: the sender's DPID {read.sender_id!r} is not a configured "
                "partner's ([[partners]] dpid): give --partner CODE"
            )
        return code


def _read(path: Path, schema: safe_xml.Schema | None, sender_of: Callable[[str], str]) -> ReadFile:
    """A message streamed and read (validated by libxml2 as it is read, with ``schema``)."""
    elements = safe_xml.iterparse(path, STREAMED, schema=schema, max_bytes=MAX_MESSAGE_BYTES)
    first = next(elements, None)
    if first is not None:
        _claim_notification(first.getroottree().getroot(), path)
    return read_elements(itertools.chain([first] if first is not None else [], elements), sender_of)


def _verdict(valid: Future[bool]) -> bool | None:
    """The worker's answer; None if it died (the message is then checked here)."""
    try:
        return valid.result()
    except BrokenProcessPool:
        drop_broken_pool()
        return None
