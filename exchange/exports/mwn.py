"""DDEX MWN claim notifications out: :meth:`MwnWriter.works` writes works as
ShareNotification messages, at most ``max_works`` (and never more than
:data:`MAX_WORKS_PER_MESSAGE`) works per file; :meth:`MwnWriter.conflicts`
writes the open conflicts as one ConflictNotification message.

A message is written element by element to a temporary file, then read back
by libxml2 and validated against the official DDEX MWN 1.3 schema
(:func:`exchange.ddex.message_errors`) before it takes its name: no tree of the
whole message is held, only its works (hence still the cap on works per
message). A message that fails is a bug of the node: nothing is written, and
xmlschema tells where and why. Without a schema folder export still works and
says it did not validate. An export of several messages validates each in a
worker process (:func:`adapters.cwr.pipeline.process_pool`) while the main
process writes the next; ``EXCHANGE_WORKERS=0`` validates them in the main
process.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from adapters.cwr.pipeline import drop_broken_pool, process_pool, relaxed_gc, worker_count
from adapters.ddex.mwn.writer import ConflictGroup, Header, MwnError, write_message
from exchange.config import NodeConfig
from exchange.ddex import dpid_of, load_schema, message_errors, schema_dir
from exchange.errors import ExchangeError
from exchange.exports.claims import registration
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


class _Messages:
    """Messages written to temporary files, each given its name once the schema has
    accepted it: in worker processes for an export of several messages (while the
    main process writes the next), else at once."""

    def __init__(self, folder: Path | None, parallel: bool) -> None:
        self.folder = folder
        workers = worker_count() if parallel and folder is not None else 0
        self.workers = workers
        self.pool = process_pool(workers) if workers >= 1 else None
        self.pending: deque[tuple[MwnFile, Path, Future[list[str]] | None]] = deque()
        self.files: list[MwnFile] = []

    def write(self, path: Path, works: int, write: Callable[[BinaryIO], None]) -> None:
        """Write a message of ``works`` works (``write`` puts it into a binary file)."""
        temporary = path.with_name(f".{path.name}.part")
        message = MwnFile(path, works, self.folder is not None)
        try:
            with temporary.open("wb") as file:
                write(file)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise ExchangeError(f"cannot write {path}: {exc.strerror}") from None
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        checked = None
        if self.pool is not None:
            checked = self.pool.submit(message_errors, self.folder, temporary, path.name)
        self.pending.append((message, temporary, checked))
        while len(self.pending) > self.workers:
            self._publish()

    def _publish(self) -> None:
        message, temporary, checked = self.pending.popleft()
        try:
            errors = None
            if checked is not None:
                try:
                    errors = checked.result()
                except BrokenProcessPool:  # the worker died (memory?): check it here
                    drop_broken_pool()
                    self.pool = None
            if errors is None:
                errors = (
                    message_errors(self.folder, temporary, message.path.name)
                    if self.folder is not None
                    else []
                )
            if errors:
                raise ExchangeError(
                    "the node wrote a message the DDEX schema refuses (a bug; nothing "
                    "written):\n" + "\n".join(errors)
                )
            os.replace(temporary, message.path)
        except OSError as exc:
            raise ExchangeError(f"cannot write {message.path}: {exc.strerror}") from None
        finally:
            temporary.unlink(missing_ok=True)
        self.files.append(message)

    def finish(self) -> list[MwnFile]:
        """Every message written, once each has been given its name."""
        try:
            while self.pending:
                self._publish()
        except BaseException:
            self.discard()
            raise
        return self.files

    def discard(self) -> None:
        """Drop the messages not named yet (an export that failed)."""
        for _message, temporary, checked in self.pending:
            if checked is not None:
                checked.cancel()
            temporary.unlink(missing_ok=True)
        self.pending.clear()


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
        messages = _Messages(self.folder, parallel=len(ids) > per_message)

        def flush() -> None:
            if not batch:
                return
            sequence, name = self._name("")
            header = self._header(sequence, name)
            messages.write(
                output / name,
                len(batch),
                lambda file: write_message(file, batch, header, self.sender),
            )
            batch.clear()

        try:
            with relaxed_gc():  # a message is many small objects: collect less often
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
        except BaseException:
            messages.discard()
            raise
        result.files = messages.finish()
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
        messages = _Messages(self.folder, parallel=False)
        try:
            messages.write(
                path,
                len(works),
                lambda file: write_message(file, works, header, self.sender, conflicts=groups),
            )
        except MwnError:
            return None
        [written] = messages.finish()
        return written
