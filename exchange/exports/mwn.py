"""DDEX MWN claim notifications out: :meth:`MwnWriter.works` writes works as
ShareNotification messages, at most ``max_works`` (and never more than
:data:`MAX_WORKS_PER_MESSAGE`) works per file; :meth:`MwnWriter.conflicts`
writes the open conflicts as one ConflictNotification message.

A message is written element by element to a temporary file, then read back
by libxml2 and validated against the official DDEX MWN 1.3 schema
(:mod:`exchange.ddex`) before it takes its name: no tree of the whole message
is held, only its works (hence still the cap on works per message). A message
that fails is a bug of the node: nothing is written, and xmlschema tells where
and why. Without a schema folder export still works and says it did not
validate. A large export (from as many works as a CWR export encodes in
worker processes, :data:`~exchange.exports.cwr.PARALLEL_FROM_WORKS`) writes its
messages in worker processes (:func:`adapters.cwr.pipeline.process_pool`) while
the main process reads the works of the next from the store;
``EXCHANGE_WORKERS=0`` writes them in the main process.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from adapters import safe_xml
from adapters.cwr.pipeline import process_pool, worker_count
from adapters.ddex.mwn.reader import STREAMED
from adapters.ddex.mwn.writer import ConflictGroup, Header, MwnError, write_message
from exchange.config import NodeConfig
from exchange.ddex import dpid_of, load_schema, schema_dir
from exchange.errors import ExchangeError
from exchange.exports.claims import registration
from exchange.exports.cwr import PARALLEL_FROM_WORKS
from exchange.model import Work
from exchange.store import Store
from exchange.store.conflicts import Conflict

#: Works per message written, whatever the partner's max_works_per_file says.
MAX_WORKS_PER_MESSAGE = 1000


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


def _write(path: Path, schema: Any | None, write: Callable[[BinaryIO], None]) -> bool:
    """Write a message (``write`` puts it into a binary file), validate it when a schema
    is given, and give it its name; whether it was validated."""
    temporary = path.with_name(f".{path.name}.part")
    try:
        with temporary.open("wb") as file:
            write(file)
        if schema is not None:
            try:
                for _element in safe_xml.iterparse(temporary, STREAMED, schema=schema):
                    pass
            except safe_xml.NotValid:
                errors = safe_xml.validate(schema, safe_xml.parse(temporary), path.name)
                raise ExchangeError(
                    "the node wrote a message the DDEX schema refuses (a bug; nothing "
                    "written):\n" + "\n".join(errors)
                ) from None
        os.replace(temporary, path)
    except OSError as exc:
        raise ExchangeError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return schema is not None


def _message(
    path: Path,
    works: Sequence[Work],
    header: Header,
    sender: str,
    folder: Path | None,
    conflicts: Sequence[ConflictGroup] = (),
) -> MwnFile:
    """Write one message, validated against the schema of ``folder`` (None: not
    validated); in a worker process for an export of several messages."""
    schema = load_schema(folder) if folder is not None else None
    validated = _write(
        path, schema, lambda file: write_message(file, works, header, sender, conflicts=conflicts)
    )
    return MwnFile(path, len(works), validated)


class MwnWriter:
    """Writes messages from this node to one receiver."""

    def __init__(self, store: Store, config: NodeConfig, receiver: str | None) -> None:
        self.store = store
        self.config = config
        self.sender = config.society_code
        self.receiver = receiver or "000"
        self.folder = schema_dir(config)
        if self.folder is not None:
            load_schema(self.folder)  # a folder without the schema: refused before writing

    def _header(self, sequence: int, name: str) -> Header:
        partner = self.config.partners.get(self.receiver)
        created = datetime.now(UTC)
        return Header(
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

        per_message = min(max_works, MAX_WORKS_PER_MESSAGE)
        workers = worker_count()
        # messages are written in worker processes while the store is read for the next
        parallel = workers >= 1 and len(ids) >= PARALLEL_FROM_WORKS
        pool = process_pool(workers) if parallel else None
        pending: deque[Future[MwnFile]] = deque()

        def flush() -> None:
            if not batch:
                return
            sequence, name = self._name("")
            args = (output / name, list(batch), self._header(sequence, name))
            batch.clear()
            if pool is None:
                result.files.append(_message(*args, self.sender, self.folder))
                return
            pending.append(pool.submit(_message, *args, self.sender, self.folder))
            while len(pending) > workers:
                result.files.append(pending.popleft().result())

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
            if len(batch) >= per_message:
                flush()
        flush()
        while pending:
            result.files.append(pending.popleft().result())
        return result

    def conflicts(self, found: Sequence[Conflict], path: Path) -> MwnFile | None:
        """A ConflictNotification for the unresolved ones of these conflicts, written to
        ``path`` (None, and nothing written, when none of them concerns right shares)."""
        groups = [
            ConflictGroup(c.work_id, frozenset(x["id"] for x in c.claims if x.get("id")), c.right)
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
            return _message(path, works, header, self.sender, self.folder, groups)
        except MwnError:
            return None
