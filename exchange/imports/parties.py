"""Importing parties sheets: interested parties and their society memberships.

A parties sheet (:mod:`adapters.spreadsheet.parties`) from a partner says who
its writers and publishers are. The whole file is one database transaction,
committed with its ledger entry (formats ``parties-csv`` and ``parties-xlsx``);
a file imported before (same sha256) changes nothing, and a file rejected as a
whole changes nothing but its ledger entry.

For each party the sheet accepts:

* a party the store does not know (by IPI name number, else by the partner's
  ``party_key``) is created, with the partner's key;
* a party the store holds under an IPI name number is not renamed: another name
  opens an identity conflict (``identity:name:{ipi}:{name}``), as in CWR
  imports, and so does another IPI base number (``identity:base:{ipi}:{base}``);
  a base number the store lacks is filled in, a key it lacks is added;
* a party the store knows only by the partner's key (no IPI name number) is the
  partner's to correct: it takes the sheet's names, base number, legal entity
  flag and IPI name number (the previous values go to the history);
* memberships (society per right and territory) that differ from the current
  ones are recorded as new statements with their source (the partner, the file,
  the row); a membership the sheet does not list is not removed.

The report is the :class:`~exchange.imports.report.FileReport` of other imports:
one "transaction" per party, ``statuses`` counting the parties ``created``,
``updated``, ``unchanged``, in ``conflict`` (an identity conflict opened) and
``rejected``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select, update

from adapters.spreadsheet.parties import SheetParty, read_parties
from adapters.spreadsheet.table import sniff_format
from exchange.errors import ExchangeError
from exchange.identifiers import ipi_base
from exchange.imports.apply import DEADLINE_DAYS
from exchange.imports.file_claims import claim_file
from exchange.imports.report import FileReport, Progress, duplicate, earlier_import
from exchange.model import Finding, InterestedParty, Source
from exchange.normalise import normalise_name
from exchange.store import Store, conflicts, tables
from exchange.store.bulk import insert_rows
from exchange.store.ledger import IMPORTED, REJECTED, FileEntry
from exchange.store.rows import chunks, jsonable, now
from exchange.store.writer import WorkWriter

#: Ledger format of a parties sheet, by file format.
FORMATS = {"csv": "parties-csv", "xlsx": "parties-xlsx"}
#: The transaction type of the sources a parties sheet states things with.
PARTY_SOURCE = "PTY"


class PartyImporter:
    """Imports parties sheets of one partner into one store."""

    def __init__(
        self,
        store: Store,
        partner: str,
        deadline_days: Callable[[str], int] | None = None,
    ) -> None:
        if not partner:
            raise ExchangeError("a parties sheet is imported for a partner: give --partner CODE")
        self.store = store
        self.partner = partner
        #: days an identity conflict this partner brings in may stay unresolved
        self.deadline_days = deadline_days or (lambda _partner: DEADLINE_DAYS)

    def import_file(self, path: Path, progress: Progress | None = None) -> FileReport:
        sha, _previous, done = earlier_import(self.store, path)
        if done is not None:
            return done
        fmt = FORMATS[sniff_format(path)]
        parties, findings = read_parties(path)
        claim = claim_file(
            self.store, sha, name=path.name, partner=self.partner, format=fmt, version=None
        )
        with claim:
            if claim.entry is None:
                assert claim.done is not None
                return duplicate(path.name, claim.done)
            return self._import(path, fmt, parties, findings, claim.entry, progress)

    def _import(
        self,
        path: Path,
        fmt: str,
        parties: list[SheetParty],
        findings: list[Finding],
        entry: FileEntry,
        progress: Progress | None,
    ) -> FileReport:
        report = FileReport(path.name, fmt)
        report.add(findings)
        if any(f.level == "ER" for f in findings):
            report.file_rejected = True
            self.store.update_file(entry.id, state=REJECTED, summary=report.summary())
            return report
        with self.store.connect() as conn:
            applier = _Applier(
                conn,
                self.store.writer(conn, entry.id),
                self.partner,
                path.name,
                now() + timedelta(days=self.deadline_days(self.partner)),
                report,
            )
            applier.apply(parties)
            self.store.update_file(
                entry.id,
                conn,
                state=IMPORTED,
                transactions_done=len(parties),
                summary=report.summary(),
            )
        if progress is not None:
            size = path.stat().st_size
            progress(size, size)
        return report


@dataclass(slots=True)
class _Held:
    """A party as the store held it before the import."""

    id: int
    row: dict[str, Any]

    @property
    def ipi(self) -> str | None:
        return self.row["ipi_name_number"]


class _Applier:
    """Applies the parties of one sheet on one connection."""

    def __init__(
        self,
        conn: Connection,
        writer: WorkWriter,
        partner: str,
        file_name: str,
        deadline: datetime,
        report: FileReport,
    ) -> None:
        self.conn = conn
        self.writer = writer
        self.partner = partner
        self.file_name = file_name
        self.deadline = deadline
        self.report = report
        self.stamp = now()

    def apply(self, parties: list[SheetParty]) -> None:
        report = self.report
        accepted = [p for p in parties if not p.rejected]
        by_ipi, by_key = self._held(accepted)
        source_ids = self.writer.source_ids(
            [
                Source(self.partner, self.file_name, p.line, self.stamp, PARTY_SOURCE)
                for p in accepted
            ]
        )
        held: list[_Held | None] = []
        for sheet, sid in zip(accepted, source_ids, strict=True):
            held.append(self._find(sheet, by_ipi, by_key, sid))
        party_ids = self.writer.party_ids([(p.party, self.partner) for p in accepted])
        current = self._current_affiliations(party_ids)
        for sheet, before, pid, sid in zip(accepted, held, party_ids, source_ids, strict=True):
            status = "created" if before is None else self._compare(sheet, before, by_key, sid)
            if self._affiliations(sheet.party, pid, sid, current) and status == "unchanged":
                status = "updated"
            report.statuses[status] = report.statuses.get(status, 0) + 1
        for sheet in parties:
            report.transactions += 1
            if sheet.rejected:
                report.rejected += 1
                report.statuses["rejected"] = report.statuses.get("rejected", 0) + 1
            else:
                report.accepted += 1
            report.add(sheet.findings)

    # -- what the store holds ---------------------------------------------------------

    def _held(self, parties: Sequence[SheetParty]) -> tuple[dict[str, _Held], dict[str, _Held]]:
        """Parties held under the sheet's IPI name numbers, and under the partner's keys."""
        p, k = tables.parties, tables.party_keys
        ipis = sorted({s.party.ipi_name_number for s in parties if s.party.ipi_name_number})
        keys = sorted({s.party.key for s in parties if s.party.key})
        by_ipi: dict[str, _Held] = {}
        by_key: dict[str, _Held] = {}
        for chunk in chunks(ipis, 500):
            for row in self.conn.execute(select(p).where(p.c.ipi_name_number.in_(chunk))):
                by_ipi[row.ipi_name_number] = _Held(row.id, row._asdict())
        for chunk in chunks(keys, 500):
            rows = self.conn.execute(
                select(k.c.key, p)
                .join(p, p.c.id == k.c.party_id)
                .where(k.c.issuer == self.partner, k.c.key.in_(chunk))
            )
            for row in rows:
                data = row._asdict()
                by_key[data.pop("key")] = _Held(data["id"], data)
        return by_ipi, by_key

    def _find(
        self,
        sheet: SheetParty,
        by_ipi: dict[str, _Held],
        by_key: dict[str, _Held],
        source_id: int | None,
    ) -> _Held | None:
        """The party the store holds for a sheet party, None for a new one.

        A party known only by the partner's key that the sheet gives an IPI name
        number takes it here, so that the writer finds it by that number.
        """
        party = sheet.party
        ipi = party.ipi_name_number
        if ipi and ipi in by_ipi:
            return by_ipi[ipi]
        keyed = by_key.get(party.key) if party.key else None
        if keyed is None:
            return None
        if not ipi:
            return keyed
        if keyed.ipi is None:
            self._history(keyed, source_id)
            self.conn.execute(
                update(tables.parties)
                .where(tables.parties.c.id == keyed.id)
                .values(ipi_name_number=ipi)
            )
            keyed.row = {**keyed.row, "adopted": True}
            by_ipi[ipi] = keyed
            return keyed
        self._note(
            sheet,
            f"party_key {party.key!r} of {self.partner} names the party with IPI name number "
            f"{keyed.ipi} in the store; IPI {ipi} is another party, made apart",
            "party_key",
            party.key,
        )
        return None

    def _current_affiliations(self, party_ids: Sequence[int]) -> dict[tuple[int, str, str], str]:
        """The latest society per (party, right, territory)."""
        a = tables.affiliations
        current: dict[tuple[int, str, str], str] = {}
        for chunk in chunks(sorted(set(party_ids)), 500):
            rows = self.conn.execute(
                select(a.c.party_id, a.c.right, a.c.territory, a.c.society)
                .where(a.c.party_id.in_(chunk))
                .order_by(a.c.id)
            )
            for pid, right, territory, society in rows:
                current[(pid, right, territory)] = society
        return current

    # -- changes ----------------------------------------------------------------------

    def _compare(
        self, sheet: SheetParty, held: _Held, by_key: dict[str, _Held], source_id: int | None
    ) -> str:
        """Update or open conflicts for a known party; what became of it."""
        party = sheet.party
        row = held.row
        own = held.ipi is None or bool(row.get("adopted"))  # known only by the partner's key
        status = "updated" if row.get("adopted") else "unchanged"
        if party.key and by_key.get(party.key) is None:
            status = "updated"  # the writer adds the partner's key
        elif party.key and by_key[party.key].id != held.id:
            self._note(
                sheet,
                f"party_key {party.key!r} of {self.partner} names another party in the store "
                f"(id {by_key[party.key].id}); the key stays with it",
                "party_key",
                party.key,
            )
        name = normalise_name(party.name)
        held_base, base = row["ipi_base_number"], party.ipi_base_number
        changes: dict[str, Any] = {}
        if own:
            if name != row["name_norm"] or (party.last_name, party.first_name) != (
                row["last_name"],
                row["first_name"],
            ):
                changes.update(
                    last_name=party.last_name, first_name=party.first_name, name_norm=name
                )
            if base and base != held_base:
                changes["ipi_base_number"] = base
            if party.is_legal_entity != row["is_legal_entity"]:
                changes["is_legal_entity"] = party.is_legal_entity
        else:
            if name != row["name_norm"]:
                status = self._identity_conflict(
                    sheet,
                    held,
                    f"identity:name:{held.ipi}:{name}",
                    f"{self.partner} names IPI {held.ipi} {party.name!r}; the store knows it "
                    f"as {_display(row)!r}",
                    {"held": row["name_norm"], "received": name},
                    source_id,
                )
            if base and not held_base:
                changes["ipi_base_number"] = base
            elif base and ipi_base.compact(base) != ipi_base.compact(held_base):
                status = self._identity_conflict(
                    sheet,
                    held,
                    f"identity:base:{held.ipi}:{ipi_base.compact(base)}",
                    f"{self.partner} gives IPI {held.ipi} the base number {base}; the store "
                    f"holds {held_base}",
                    {"held": held_base, "received": base},
                    source_id,
                )
            if party.is_legal_entity != row["is_legal_entity"]:
                self._note(
                    sheet,
                    f"legal_entity differs from the store's for IPI {held.ipi}; not changed",
                    "legal_entity",
                    "Y" if party.is_legal_entity else "N",
                )
        if changes:
            if not row.get("adopted"):
                self._history(held, source_id)
            self.conn.execute(
                update(tables.parties).where(tables.parties.c.id == held.id).values(**changes)
            )
            if status == "unchanged":
                status = "updated"
        return status

    def _identity_conflict(
        self,
        sheet: SheetParty,
        held: _Held,
        key: str,
        message: str,
        values: dict[str, Any],
        source_id: int | None,
    ) -> str:
        conflict_id, new = conflicts.open_conflict(
            self.conn,
            kind="identity",
            key=key,
            work_id=None,
            partner=self.partner,
            detail={
                "message": message,
                "ipi_name_number": held.ipi,
                "party_id": held.id,
                **values,
            },
            source_id=source_id,
            deadline=self.deadline,
        )
        self.report.conflicts_opened += new
        self._note(
            sheet,
            f"{message}: not changed; identity conflict {conflict_id} "
            + ("opened" if new else "still open"),
            "last_name" if key.startswith("identity:name") else "ipi_base_number",
            str(values["received"]),
        )
        return "conflict"

    def _affiliations(
        self,
        party: InterestedParty,
        party_id: int,
        source_id: int | None,
        current: dict[tuple[int, str, str], str],
    ) -> bool:
        """Record the memberships that differ from the current ones; whether any did."""
        rows = []
        for a in party.affiliations:
            key = (party_id, str(a.right), a.territory)
            if current.get(key) == a.society:
                continue
            current[key] = a.society
            rows.append(
                {
                    "party_id": party_id,
                    "society": a.society,
                    "right": key[1],
                    "territory": a.territory,
                    "source_id": source_id,
                }
            )
        insert_rows(self.conn, tables.affiliations, rows)
        return bool(rows)

    def _history(self, held: _Held, source_id: int | None) -> None:
        before = {k: v for k, v in held.row.items() if k != "adopted"}
        insert_rows(
            self.conn,
            tables.history,
            [
                {
                    "work_id": None,
                    "entity": "party",
                    "entity_id": held.id,
                    "action": "update",
                    "before": jsonable(before),
                    "source_id": source_id,
                    "changed_at": self.stamp,
                }
            ],
        )

    @staticmethod
    def _note(sheet: SheetParty, message: str, field: str, value: str | None) -> None:
        sheet.findings.append(Finding("WARN", message, sheet.line, "parties", field, value))


def _display(row: dict[str, Any]) -> str:
    if row["first_name"]:
        return f"{row['last_name']}, {row['first_name']}"
    return row["last_name"]
