"""The file ledger: every file received or sent is an entry (table ``files``) whose
state each step of an import or an exchange moves on.

A received file (direction ``in``) starts ``importing``; a file the node writes
(``out``) starts ``writing``. :data:`TRANSITIONS` says, for each direction, which
state may follow which, as the importers (:mod:`exchange.imports`), the import
claims (:mod:`exchange.imports.file_claims`) and an exchange (:mod:`exchange.sync`) use
them. :meth:`FileLedger.update_file` checks every change of state against it: a
move not listed raises :class:`TransitionError` and changes nothing. "Nothing lost,
nothing doubled" rests on it: an entry imported (or rejected) is never taken up
again, a file delivered is never delivered again.

The states are strings in the database and in every JSON document
(:class:`FileState` is a :class:`enum.StrEnum`), and :class:`LedgerSummary` reads
the summaries earlier versions wrote: stores need no migration.
"""

from __future__ import annotations

import enum
import typing
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from exchange.store import tables as t
from exchange.store.database import Database, StoreError
from exchange.store.rows import now


class FileState(enum.StrEnum):
    """Where a ledger entry stands."""

    #: received, being imported (or left so by an importer that died: taken over)
    IMPORTING = "importing"
    #: received and imported (its transactions accepted or rejected one by one)
    IMPORTED = "imported"
    #: received and rejected as a whole, by the standard's rules
    REJECTED = "rejected"
    #: stopped on an error (see the entry's ``error``); a received file is taken up again
    FAILED = "failed"
    #: received, and not imported by an exchange: a format the partner may not send,
    #: a file other than its manifest says, a manifest that does not check out
    REFUSED = "refused"
    #: recorded by the node, being written (left so by a run that died)
    WRITING = "writing"
    #: written into the outbox, to be delivered
    WRITTEN = "written"
    #: delivered to the partner
    DELIVERED = "delivered"


IMPORTING, IMPORTED, REJECTED, FAILED, REFUSED, WRITING, WRITTEN, DELIVERED = FileState

#: The ledger's directions: received (``in``) and sent (``out``).
DIRECTIONS = ("in", "out")

#: The state a new entry starts in, per direction.
INITIAL: dict[str, FileState] = {"in": IMPORTING, "out": WRITING}

#: The states an entry may move to from each state, per direction. A state not
#: listed as a key is final. Staying in a state is a move like another (an
#: importer that died is taken over, a failure or a refusal is said again).
TRANSITIONS: dict[str, dict[FileState, frozenset[FileState]]] = {
    "in": {
        IMPORTING: frozenset({IMPORTING, IMPORTED, REJECTED, FAILED, REFUSED}),
        FAILED: frozenset({FAILED, IMPORTING}),
        REFUSED: frozenset({REFUSED, IMPORTING}),
    },
    "out": {
        WRITING: frozenset({WRITTEN, FAILED}),
        WRITTEN: frozenset({DELIVERED, FAILED}),
    },
}

#: States of a received entry whose file needs nothing more: a later copy is a duplicate.
DONE = frozenset({IMPORTED, REJECTED})
#: States that stamp an entry's ``completed_at``.
COMPLETED = frozenset({IMPORTED, REJECTED, WRITTEN, DELIVERED})


class TransitionError(StoreError):
    """A change of state :data:`TRANSITIONS` does not allow (the entry is left as it was)."""


def allowed(direction: str, current: str) -> frozenset[FileState]:
    """The states an entry of ``direction`` in state ``current`` may move to."""
    if direction not in TRANSITIONS:
        raise TransitionError(f"{direction!r} is not a ledger direction (in, out)")
    return TRANSITIONS[direction].get(FileState(current), frozenset())


def transition(direction: str, current: str, new: str, what: str = "the entry") -> FileState:
    """``new`` as a :class:`FileState` when an entry of ``direction`` in state
    ``current`` may move to it; else :class:`TransitionError` naming the entry (``what``)."""
    target = FileState(new)
    following = allowed(direction, current)
    if target in following:
        return target
    may = f"it may become {', '.join(sorted(following))}" if following else "it is final"
    raise TransitionError(f"{what} ({direction}) is {current} and cannot become {target}: {may}")


@dataclass(frozen=True, slots=True)
class LedgerSummary:
    """What a ledger entry keeps besides its columns (the JSON column ``summary``).

    Each kind of entry fills some of the fields and leaves the others None:

    * a received file that was imported: the counts of its
      :class:`~exchange.imports.report.FileReport` (``transactions`` to
      ``unsupported``: an interrupted import resumes from them), and ``ack``;
    * a received file refused as other than its manifest says: ``mismatch``, ``manifest``;
    * a received manifest: the manifest (``version`` to ``files``) and ``pending``;
    * an export: ``send``, ``works``, ``until``, then ``manifest``;
    * an ACK the node wrote: ``answers``, ``transactions``, ``statuses``,
      ``iswc_notifications``, ``answers_entry``;
    * a manifest the node wrote: ``sequence``, ``file_ids``, ``files``.

    :meth:`to_json` writes the fields that are not None, in the order declared here
    (the order each kind of entry always had), then ``extra``.
    """

    #: an ACK written: the name of the received file it answers
    answers: str | None = None
    #: transactions read (imports), or answered (an ACK written)
    transactions: int | None = None
    accepted: int | None = None
    rejected: int | None = None
    works_created: int | None = None
    works_updated: int | None = None
    conflicts_opened: int | None = None
    matches_queued: int | None = None
    #: transactions per ACK status (imports and ACKs written)
    statuses: dict[str, int] | None = None
    #: an ACK written: ISWC notifications it carries
    iswc_notifications: int | None = None
    #: an ACK written: the ledger entry of the file it answers
    answers_entry: int | None = None
    #: how many findings the import had (the entry keeps the count, not the findings)
    findings: int | None = None
    #: why nothing of the file could be read (empty, not CWR, an unsupported version)
    unsupported: str | None = None
    #: a received CWR file: the name of the ACK written for it
    ack: str | None = None
    #: an export: the partner format it was written in (cwr21, cwr22, mwn, csv, xlsx)
    send: str | None = None
    #: an export: how many works it holds
    works: int | None = None
    #: an export: when it started (ISO 8601); the next export takes works changed since
    until: str | None = None
    #: a received file refused for differing from the manifest that lists it
    mismatch: bool | None = None
    #: a refused file: the manifest that lists it; a delivered one: the manifest that
    #: lists it, or :data:`exchange.sync.outbound.AWAITING_MANIFEST`
    manifest: str | None = None
    #: a manifest: its schema version, sender, receiver, sequence and creation (ISO 8601)
    version: str | None = None
    sender: str | None = None
    receiver: str | None = None
    sequence: int | None = None
    created: str | None = None
    #: a manifest written: the ledger entries of the files it lists
    file_ids: list[int] | None = None
    #: a manifest received: the files it lists (as ManifestFile.as_dict); one written:
    #: their names
    files: list[dict[str, Any]] | list[str] | None = None
    #: a manifest received: the names of the files it lists that have not come intact
    pending: list[str] | None = None
    #: keys this version does not declare (or whose value is not of the declared
    #: type), kept as they were: an entry written by another version keeps them when
    #: it is updated (the updates read, change and write the summary back)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The summary as stored and shown: the fields set (not None), then ``extra``."""
        data = {
            f.name: value
            for f in fields(self)
            if f.name != "extra" and (value := getattr(self, f.name)) is not None
        }
        for key, value in self.extra.items():
            data.setdefault(key, value)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> LedgerSummary:
        """The summary of a stored entry, of this version or an earlier one: a key
        missing (or null) leaves its field None; one not declared, or holding a value
        of another type than declared, goes to ``extra`` as it is."""
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in (data or {}).items():
            if value is None and key in _KINDS:
                continue
            if _fits(key, value):
                known[key] = value
            else:
                extra[key] = value
        return cls(**known, extra=extra)


def _kind(annotation: Any) -> type:
    """The JSON type of a field: the one non-None type of its annotation, unsubscripted."""
    found = {typing.get_origin(a) or a for a in typing.get_args(annotation) if a is not type(None)}
    (kind,) = found
    return kind


_HINTS = typing.get_type_hints(LedgerSummary)
#: The JSON type of each declared field of LedgerSummary.
_KINDS: dict[str, type] = {
    f.name: _kind(_HINTS[f.name]) for f in fields(LedgerSummary) if f.name != "extra"
}


def _fits(key: str, value: Any) -> bool:
    kind = _KINDS.get(key)
    if kind is None:
        return False
    if kind is int and isinstance(value, bool):  # JSON true is no count
        return False
    return isinstance(value, kind)


@dataclass(slots=True)
class FileEntry:
    """One file in the exchange ledger."""

    id: int
    name: str
    sha256: str
    partner: str | None
    format: str | None
    version: str | None
    direction: str
    state: FileState
    transactions_done: int
    summary: LedgerSummary
    created_at: datetime
    completed_at: datetime | None
    size: int | None = None
    error: str | None = None
    remote_name: str | None = None
    #: the process importing the file (host, pid, process start), see exchange.imports.file_claims
    holder: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> FileEntry:
        return cls(
            id=row.id,
            name=row.name,
            sha256=row.sha256,
            partner=row.partner,
            format=row.format,
            version=row.version,
            direction=row.direction,
            state=FileState(row.state),
            transactions_done=row.transactions_done,
            summary=LedgerSummary.from_json(row.summary),
            created_at=row.created_at,
            completed_at=row.completed_at,
            size=row.size,
            error=row.error,
            remote_name=row.remote_name,
            holder=row.holder,
        )

    def as_dict(self) -> dict[str, Any]:
        """The shape of ``ledger list --json`` (docs/CLI.md), with more keys."""
        return {
            "id": self.id,
            "partner": self.partner,
            "direction": self.direction,
            "name": self.name,
            "sha256": self.sha256,
            "state": self.state,
            "created": self.created_at.isoformat(),
            "completed": self.completed_at.isoformat() if self.completed_at else None,
            "format": self.format,
            "version": self.version,
            "size": self.size,
            "error": self.error,
            "holder": self.holder,
            "summary": self.summary.to_json(),
        }


def ledger_row(
    name: str,
    sha256: str,
    partner: str | None,
    format: str | None,
    version: str | None,
    direction: str = "in",
) -> dict[str, Any]:
    """The columns of a new ledger entry (a file received, or one being written)."""
    return {
        "name": name,
        "sha256": sha256,
        "partner": partner,
        "format": format,
        "version": version,
        "direction": direction,
        "state": INITIAL[direction],
        "transactions_done": 0,
        "summary": {},
        "created_at": now(),
    }


class FileLedger(Database):
    """The store's file ledger (see :class:`exchange.store.Store`)."""

    def next_file_sequence(self, sender: str, receiver: str) -> int:
        """The next file sequence number for sender to receiver; never repeats."""
        ins = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        with self.connect() as conn:
            conn.execute(
                ins(t.file_sequences)
                .values(sender=sender, receiver=receiver, last_number=0)
                .on_conflict_do_nothing()
            )
            return conn.execute(
                update(t.file_sequences)
                .where(t.file_sequences.c.sender == sender)
                .where(t.file_sequences.c.receiver == receiver)
                .values(last_number=t.file_sequences.c.last_number + 1)
                .returning(t.file_sequences.c.last_number)
            ).scalar_one()

    def find_file(self, sha256: str, direction: str = "in") -> FileEntry | None:
        """The newest ledger entry for a file with this content, if any."""
        with self.connect() as conn:
            row = conn.execute(
                select(t.files)
                .where(t.files.c.sha256 == sha256, t.files.c.direction == direction)
                .order_by(t.files.c.id.desc())
            ).first()
        return None if row is None else FileEntry.from_row(row)

    def start_file(
        self,
        name: str,
        sha256: str,
        *,
        partner: str | None,
        format: str,
        version: str | None,
        direction: str = "in",
    ) -> FileEntry:
        values = ledger_row(name, sha256, partner, format, version, direction)
        with self.connect() as conn:
            row = conn.execute(insert(t.files).values(**values).returning(t.files)).one()
        return FileEntry.from_row(row)

    def ledger(
        self,
        *,
        partner: str | None = None,
        direction: str | None = None,
        state: str | None = None,
        format: str | None = None,
    ) -> list[FileEntry]:
        """Ledger entries in the order they were made."""
        query = select(t.files).order_by(t.files.c.id)
        for column, value in (
            (t.files.c.partner, partner),
            (t.files.c.direction, direction),
            (t.files.c.state, state),
            (t.files.c.format, format),
        ):
            if value is not None:
                query = query.where(column == value)
        with self.connect() as conn:
            return [FileEntry.from_row(row) for row in conn.execute(query)]

    def findings_of(self, file_id: int) -> list[tuple[int, str, dict[str, Any]]]:
        """The findings an import kept for the received file ``file_id``, per transaction
        in file order: (transaction, its ACK status, ``Finding.as_dict()``)."""
        o = t.transaction_outcomes
        query = (
            select(o.c.transaction_seq, o.c.status, o.c.messages)
            .where(o.c.file_id == file_id)
            .order_by(o.c.group_id, o.c.transaction_seq)
        )
        with self.connect() as conn:
            return [
                (row.transaction_seq, row.status, finding)
                for row in conn.execute(query)
                for finding in row.messages or ()
            ]

    def get_file(self, file_id: int) -> FileEntry | None:
        with self.connect() as conn:
            row = conn.execute(select(t.files).where(t.files.c.id == file_id)).first()
        return None if row is None else FileEntry.from_row(row)

    def update_file(
        self,
        file_id: int,
        conn: Connection | None = None,
        *,
        state: FileState | None = None,
        summary: LedgerSummary | None = None,
        **values: Any,
    ) -> None:
        """Change a ledger entry (inside ``conn``'s transaction when given).

        A new ``state`` must be one the entry's current state leads to
        (:data:`TRANSITIONS`), else :class:`TransitionError` and nothing changes.
        """
        if summary is not None:
            values["summary"] = summary.to_json()
        if state in COMPLETED:
            values.setdefault("completed_at", now())
        values.setdefault("updated_at", now())
        if conn is not None:
            _update_entry(conn, file_id, state, values)
            return
        with self.connect() as own:
            _update_entry(own, file_id, state, values)


def _update_entry(
    conn: Connection, file_id: int, state: FileState | None, values: dict[str, Any]
) -> None:
    """Change a ledger entry's columns, its state only as :data:`TRANSITIONS` allow.

    The state read is a condition of the change (``WHERE state =`` what was read):
    an entry another process moved meanwhile is read again.
    """
    entry = update(t.files).where(t.files.c.id == file_id)
    if state is None:
        conn.execute(entry.values(**values))
        return
    while True:
        row = conn.execute(
            select(t.files.c.state, t.files.c.direction, t.files.c.name).where(
                t.files.c.id == file_id
            )
        ).first()
        if row is None:
            return  # no such entry: nothing to change
        what = f"ledger entry {file_id} ({row.name})"
        new = transition(row.direction, row.state, state, what)
        moved = conn.execute(entry.where(t.files.c.state == row.state).values(state=new, **values))
        if moved.rowcount:
            return
