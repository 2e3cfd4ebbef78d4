"""Works, their history and partners' messages as people read them: one wording for the
command line (``exchange works show``, ``exchange registrations list``) and the console."""

from __future__ import annotations

from exchange.model import Source
from exchange.store.repertoire import HistoryEntry

#: The history's actions, as a line says them.
_DONE = {
    "create": "created",
    "add": "added",
    "update": "changed",
    "delete": "removed",
    "archive": "archived",
    "notify": "notified",
}


def history_lines(history: list[HistoryEntry]) -> list[str]:
    """A work's history, one line per event; claims added or removed together are one line.

    >>> from datetime import UTC, datetime
    >>> at = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
    >>> source = Source("058", "CW260001058_052.V22", 3, at)
    >>> for line in history_lines([HistoryEntry("work", 1, "create", {}, source, at),
    ...                             HistoryEntry("claim", 7, "add", {}, source, at),
    ...                             HistoryEntry("claim", 8, "add", {}, source, at)]):
    ...     print(line)
    2026-12-01 10:30  work created by 058 (CW260001058_052.V22 #3)
    2026-12-01 10:30  2 claims added by 058 (CW260001058_052.V22 #3)
    """
    groups: list[tuple[tuple[object, ...], int]] = []
    for h in history:
        key = (f"{h.changed_at:%Y-%m-%d %H:%M}", h.entity, h.action, h.source)
        if groups and h.entity == "claim" and groups[-1][0] == key:
            groups[-1] = (key, groups[-1][1] + 1)
        else:
            groups.append((key, 1))
    lines = []
    for (when, entity, action, source), n in groups:
        what = f"{n} {entity}s" if n > 1 else str(entity)
        by = said(source) if isinstance(source, Source) else "locally"
        lines.append(f"{when}  {what} {_DONE.get(str(action), action)} {by}")
    return lines


def said(source: Source) -> str:
    """Who stated something: ``by 058 (CW260001058_052.V22 #3)``."""
    where = " ".join(
        part
        for part in (
            source.file,
            f"#{source.transaction}" if source.transaction is not None else "",
        )
        if part
    )
    return f"by {source.partner}" + (f" ({where})" if where else "")


def message_line(message: dict[str, str]) -> str:
    """An MSG record of a partner's ACK, as a person reads it."""
    edit = "-".join(
        part
        for part in (
            message.get("original_record_type"),
            message.get("message_level"),
            message.get("validation_number"),
        )
        if part
    )
    return f"{message.get('message_type', '')} {edit}: {message.get('message_text', '')}"
