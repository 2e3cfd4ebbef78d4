"""The file ledger: every file received or sent is an entry (table ``files``) whose
state each step of an import or an exchange moves on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from exchange.store import tables as t
from exchange.store.database import Database
from exchange.store.rows import now


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
    state: str
    transactions_done: int
    summary: dict[str, Any]
    created_at: datetime
    completed_at: datetime | None
    size: int | None = None
    error: str | None = None
    remote_name: str | None = None
    #: the process importing the file (host, pid, process start), see exchange.imports.ledger
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
            state=row.state,
            transactions_done=row.transactions_done,
            summary=row.summary or {},
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
            "summary": self.summary,
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
        "state": "importing" if direction == "in" else "writing",
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
            file_id = conn.execute(
                insert(t.files).values(**values).returning(t.files.c.id)
            ).scalar_one()
        return FileEntry(
            id=file_id,
            **{k: v for k, v in values.items() if k != "direction"},
            direction=direction,
            completed_at=None,
        )

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

    def get_file(self, file_id: int) -> FileEntry | None:
        with self.connect() as conn:
            row = conn.execute(select(t.files).where(t.files.c.id == file_id)).first()
        return None if row is None else FileEntry.from_row(row)

    def update_file(self, file_id: int, conn: Connection | None = None, **values: Any) -> None:
        """Change a ledger entry (inside ``conn``'s transaction when given)."""
        if values.get("state") in ("imported", "rejected", "delivered", "written"):
            values.setdefault("completed_at", now())
        values.setdefault("updated_at", now())
        statement = update(t.files).where(t.files.c.id == file_id).values(**values)
        if conn is not None:
            conn.execute(statement)
            return
        with self.connect() as own:
            own.execute(statement)
