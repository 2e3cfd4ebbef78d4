"""DDEX MWN files for the store: claim notifications out, and in.

* :meth:`MwnWriter.works` writes works as ShareNotification messages, at most
  ``max_works`` (and never more than :data:`MAX_WORKS_PER_MESSAGE`) works per
  file; :meth:`MwnWriter.conflicts` writes the open conflicts as one
  ConflictNotification message.
* :class:`MwnReader` reads a received message for :class:`RegistrationImporter`.

A message is built, validated and read as one tree in memory: about 110 MB and
5 s (most of it xmlschema's validation) per 1,000 works of ordinary size. Hence
the cap on works per message written, and :data:`MAX_MESSAGE_BYTES` on those read.

Every message written is validated against the official DDEX MWN 1.3 schema
before it leaves (a message that fails is a bug of the node: nothing is
written); without a schema folder (``[ddex] schema_dir``, or the environment
variable ``EXCHANGE_DDEX_SCHEMA_DIR``) export still works and says it did not
validate. A message received is parsed safely (:mod:`adapters.safe_xml`) and
validated before anything is imported: import needs the schema folder.

The schema is not part of the project (DDEX licenses it); the folder must hold
``works-share-notification-choreography.xsd``, ``allowed-value-sets.xsd`` and
``xmldsig-core-schema.xsd`` (to which the schema's network reference to
xmldsig is mapped: nothing is fetched).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters import safe_xml
from adapters.ddex import mwn
from adapters.registrations import ReadFile
from exchange.config import NodeConfig
from exchange.cwr_export import registration
from exchange.errors import EXIT_USAGE, ExchangeError
from exchange.model import Finding, Work
from exchange.store import Store
from exchange.store.conflicts import Conflict

MAIN_SCHEMA = "works-share-notification-choreography.xsd"
XMLDSIG = "http://www.w3.org/2000/09/xmldsig#"
SCHEMA_ENV = "EXCHANGE_DDEX_SCHEMA_DIR"
#: Works per message written, whatever the partner's max_works_per_file says.
MAX_WORKS_PER_MESSAGE = 1000
#: Messages read may not be larger (about 10,000 works, 1 GB in memory).
MAX_MESSAGE_BYTES = 128 * 1024 * 1024
#: The stand-in DPID of a node whose DPID is not configured: PADPIDA + CISAC + society.
STAND_IN = re.compile(r"PADPIDACISAC(\d{3})")


def schema_dir(config: NodeConfig) -> Path | None:
    """The folder of the DDEX MWN 1.3 schemas: the configuration's, else the environment's."""
    if config.ddex_schema_dir is not None:
        return config.ddex_schema_dir
    found = os.environ.get(SCHEMA_ENV)
    return Path(found) if found else None


@functools.lru_cache(maxsize=4)
def load_schema(folder: Path) -> Any:
    """The MWN 1.3 schema from a local folder (xmldsig mapped to the local copy)."""
    main = folder / MAIN_SCHEMA
    if not main.is_file():
        raise ExchangeError(
            f"{folder}: no {MAIN_SCHEMA} here; [ddex] schema_dir must be the folder of the "
            "DDEX MWN 1.3 schemas",
            EXIT_USAGE,
        )
    return safe_xml.load_schema(main, {XMLDSIG: folder / "xmldsig-core-schema.xsd"})


def dpid_of(config: NodeConfig, code: str | None = None) -> str:
    """Our DPID (``code`` None) or a partner's: configured, else the stand-in."""
    if code is None:
        return config.ddex_dpid or f"PADPIDACISAC{config.society_code}"
    partner = config.partners.get(code)
    if partner is not None and partner.dpid:
        return partner.dpid
    return f"PADPIDACISAC{code}" if code.isalnum() else "PADPIDACISAC000"


def sender_code(config: NodeConfig, dpid: str) -> str | None:
    """The partner code a DPID stands for (configured partners, then the stand-in)."""
    for code, partner in config.partners.items():
        if partner.dpid == dpid:
            return code
    found = STAND_IN.fullmatch(dpid)
    return found.group(1) if found else None


@dataclass(slots=True)
class MwnFile:
    path: Path
    works: int
    validated: bool

    def as_dict(self) -> dict[str, object]:
        return {"path": str(self.path), "works": self.works, "validated": self.validated}


@dataclass(slots=True)
class MwnExport:
    files: list[MwnFile] = field(default_factory=list)
    skipped: list[dict[str, object]] = field(default_factory=list)


def _write(tree: Any, path: Path, schema: Any | None) -> bool:
    """Validate (when a schema is given) and write atomically; whether it was validated."""
    if schema is not None:
        errors = safe_xml.validate(schema, tree, path.name)
        if errors:
            raise ExchangeError(
                "the node wrote a message the DDEX schema refuses (a bug; nothing written):\n"
                + "\n".join(errors)
            )
    temporary = path.with_name(f".{path.name}.part")
    temporary.write_bytes(mwn.to_bytes(tree))
    os.replace(temporary, path)
    return schema is not None


class MwnWriter:
    """Writes messages from this node to one receiver."""

    def __init__(self, store: Store, config: NodeConfig, receiver: str | None) -> None:
        self.store = store
        self.config = config
        self.sender = config.society_code
        self.receiver = receiver or "000"
        folder = schema_dir(config)
        self.schema = load_schema(folder) if folder is not None else None

    def _header(self, sequence: int, name: str) -> mwn.Header:
        partner = self.config.partners.get(self.receiver)
        created = datetime.now(UTC)
        return mwn.Header(
            message_id=f"{self.sender}-{self.receiver}-{sequence}-{created:%Y%m%d%H%M%S}",
            sender_dpid=dpid_of(self.config),
            sender_name=self.config.name,
            recipient_dpid=dpid_of(self.config, self.receiver),
            recipient_name=partner.name if partner else f"RECEIVER {self.receiver}",
            created=created,
            file_name=name,
        )

    def _name(self, kind: str) -> tuple[int, str]:
        sequence = self.store.next_file_sequence(f"{self.sender}/mwn", self.receiver)
        return sequence, f"MWN{kind}_{self.sender}_{self.receiver}_{sequence:06d}.xml"

    def works(
        self,
        ids: Sequence[int],
        output: Path,
        max_works: int,
        progress: Callable[[Work], None] | None = None,
    ) -> MwnExport:
        """ShareNotification messages for these works (one consistent set of claims each)."""
        output.mkdir(parents=True, exist_ok=True)
        result = MwnExport()
        batch: list[Work] = []

        def flush() -> None:
            if not batch:
                return
            sequence, name = self._name("")
            tree = mwn.build_message(batch, self._header(sequence, name), self.sender)
            validated = _write(tree, output / name, self.schema)
            result.files.append(MwnFile(output / name, len(batch), validated))
            batch.clear()

        for work in self.store.iter_works(ids):
            if progress is not None:
                progress(work)
            chosen = registration(work, self.sender)
            if not chosen.claims:
                result.skipped.append(
                    {"work": work.id, "title": work.title, "message": "no claims to notify"}
                )
                continue
            batch.append(chosen)
            if len(batch) >= min(max_works, MAX_WORKS_PER_MESSAGE):
                flush()
        flush()
        return result

    def conflicts(self, found: Sequence[Conflict], path: Path) -> MwnFile | None:
        """A ConflictNotification for the unresolved ones of these conflicts, written to
        ``path`` (None, and nothing written, when none of them concerns right shares)."""
        groups = [
            mwn.ConflictGroup(
                c.work_id, frozenset(x["id"] for x in c.claims if x.get("id")), c.right
            )
            for c in found
            if c.work_id is not None and c.claims and c.status != "resolved"
        ]
        ids = sorted({g.work_id for g in groups})
        works = [w for w in self.store.iter_works(ids) if w.claims]
        if not works:
            return None
        sequence, _ = self._name("C")
        header = self._header(sequence, path.name)
        try:
            tree = mwn.build_message(works, header, self.sender, conflicts=groups)
        except mwn.MwnError:
            return None
        validated = _write(tree, path, self.schema)
        return MwnFile(path, len(works), validated)


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
        if not mwn.is_claim_notification(root):
            raise ExchangeError(
                f"{path.name}: not a DDEX MWN 1.3 claim notification (root element {root.tag!r})"
            )
        errors = safe_xml.schema_errors(schema, tree)
        if errors:
            read = ReadFile("mwn", "1.3", mwn.message_sender(root), file_rejected=True)
            read.findings = [
                Finding("ER", f"not valid against the DDEX MWN 1.3 schema: {message}", line)
                for line, message in errors
            ]
            return read
        sender = partner or sender_code(self.config, mwn.message_sender(root)) or "?"
        return mwn.read_message(root, sender)

    def sender(self, read: ReadFile, path: Path) -> str:
        """Who sent a message (without --partner): the partner its DPID names."""
        code = sender_code(self.config, read.sender_id or "")
        if code is None:
            raise ExchangeError(
                f"{path.name}: the sender's DPID {read.sender_id!r} is not a configured "
                "partner's ([[partners]] dpid): give --partner CODE"
            )
        return code
