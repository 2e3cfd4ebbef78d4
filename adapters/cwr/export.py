"""CWR 2.x files in a folder: their names, zip packages, and exports split by size.

:func:`export_works` writes a stream of works (or of works encoded ahead) into one
or more files named ``CWyynnnnsss_rrr.V2x`` (optionally ``.zip`` packages), each
written under a temporary name and renamed when complete; works that cannot be
written are skipped and listed.
"""

from __future__ import annotations

import contextlib
import io
import os
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from adapters.cwr.file_writer import CwrWriter, FileCounts
from adapters.cwr.layout import record_prefix
from adapters.cwr.work_records import encode_work
from adapters.cwr.work_values import (
    TRANSACTION_TYPES,
    CwrWriteError,
    WorkWriteError,
    version_profile,
)
from exchange.model import Work


def file_name(
    version: str, created: datetime, sequence: int, sender: str, receiver: str, zip: bool = False
) -> str:
    """The CWR 2.x file name ``CWyynnnnsss_rrr.V2x`` (``.zip`` for the package).

    >>> file_name("2.1", datetime(2026, 5, 4), 7, "052", "058")
    'CW260007052_058.V21'
    >>> file_name("2.2", datetime(2026, 5, 4), 12, "052", "000", zip=True)
    'CW260012052_000.zip'
    """
    version_profile(version)
    if not 0 < sequence <= 9999:
        raise CwrWriteError(
            f"file sequence {sequence} does not fit the 4 digits of a CWR 2.x file name"
        )
    for what, code in (("sender", sender), ("receiver", receiver)):
        if not (2 <= len(code) <= 3 and code.isascii() and code.isalnum()):
            raise CwrWriteError(
                f"{what} code {code!r} cannot be used in a CWR file name (2 or 3 letters/digits)"
            )
    stem = f"CW{created.year % 100:02d}{sequence:04d}{sender.upper()}_{receiver.upper()}"
    return f"{stem}.zip" if zip else f"{stem}.V{version.replace('.', '')}"


@dataclass(frozen=True, slots=True)
class WrittenFile:
    """A finished file: where it is, how many works and physical records it holds."""

    path: Path
    works: int
    records: int
    sequence: int

    def as_dict(self) -> dict[str, object]:
        return {"path": str(self.path), "works": self.works, "records": self.records}


@dataclass(frozen=True, slots=True)
class EncodedWork:
    """A work encoded ahead (in a worker process), with the transaction sequence number
    it was expected to have (renumbered when it gets another one)."""

    work_id: int | None
    lines: list[str]


def renumbered(lines: list[str], sequence: int) -> list[str]:
    """The lines of a transaction with transaction sequence number ``sequence``."""
    prefix = record_prefix()
    if int(lines[0][prefix.transaction_sequence]) == sequence:
        return lines
    return prefix.renumbered(lines, sequence)


@dataclass(frozen=True, slots=True)
class SkippedWork:
    """A work left out of an export, and why."""

    work_id: int | None
    title: str
    record: str
    field: str | None
    value: str | None
    reason: str

    @classmethod
    def from_error(cls, error: WorkWriteError) -> SkippedWork:
        value = None if error.value is None else str(error.value)
        return cls(error.work_id, error.title, error.record, error.field, value, error.reason)

    @property
    def message(self) -> str:
        where = f"{self.record}.{self.field}" if self.field else self.record
        who = f"work {self.work_id}" if self.work_id is not None else "work"
        return f"{who} ({self.title!r}): {where}: {self.reason} ({self.value!r})"

    def as_dict(self) -> dict[str, object]:
        return {
            "work": self.work_id,
            "title": self.title,
            "record": self.record,
            "field": self.field,
            "value": self.value,
            "message": self.message,
        }


@dataclass(slots=True)
class ExportResult:
    files: list[WrittenFile] = field(default_factory=list)
    skipped: list[SkippedWork] = field(default_factory=list)


class _OpenFile:
    """A file being written under a temporary name in its final folder."""

    def __init__(
        self,
        directory: Path,
        name: str,
        inner: str | None,
        created: datetime,
        sequence: int,
        make_writer: Callable[[BinaryIO], CwrWriter],
    ) -> None:
        self.sequence = sequence
        self.final = directory / name
        if self.final.exists():
            raise CwrWriteError(f"{self.final} exists already; not overwriting it")
        self.temporary = directory / f".{name}.part"
        self._file = self.temporary.open("wb")
        self._zip: zipfile.ZipFile | None = None
        self._member: BinaryIO | None = None
        try:
            stream: BinaryIO = self._file
            if inner is not None:
                self._zip = zipfile.ZipFile(self._file, "w", zipfile.ZIP_DEFLATED)
                info = zipfile.ZipInfo(inner, date_time=created.timetuple()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                self._member = self._zip.open(info, "w", force_zip64=True)
                stream = self._member
            self.writer = make_writer(stream)
        except BaseException:
            self.abandon()
            raise

    def finish(self) -> FileCounts:
        counts = self.writer.close()
        if self._member is not None:
            self._member.close()
        if self._zip is not None:
            self._zip.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        try:  # a hard link does not replace a file that appeared meanwhile
            os.link(self.temporary, self.final)
        except FileExistsError:
            raise CwrWriteError(f"{self.final} exists already; not overwriting it") from None
        except OSError:
            if self.final.exists():
                raise CwrWriteError(f"{self.final} exists already; not overwriting it") from None
            os.replace(self.temporary, self.final)
        else:
            self.temporary.unlink()
        return counts

    def abandon(self) -> None:
        for closer in (self._member, self._zip, self._file):
            if closer is not None:
                with contextlib.suppress(Exception):  # cleaning up after a failure
                    closer.close()
        self.temporary.unlink(missing_ok=True)


def export_works(
    works: Iterable[Work | EncodedWork | SkippedWork],
    directory: Path,
    *,
    version: str,
    sender: str,
    sender_name: str,
    next_sequence: Callable[[], int],
    receiver: str = "000",
    transaction: str = "NWR",
    max_works_per_file: int = 10000,
    package: bool = False,
    encoding: str = "ascii",
    created: datetime | None = None,
    progress: Callable[[object], None] | None = None,
) -> ExportResult:
    """Write ``works`` into CWR files in ``directory``, streaming.

    ``works`` may also hold works encoded ahead (:class:`EncodedWork`, renumbered
    here) and works that could not be encoded (:class:`SkippedWork`, listed).

    A file is opened when the first writable work for it arrives and closed
    after ``max_works_per_file`` works; each file takes its sequence number
    from ``next_sequence()`` (e.g. ``store.next_file_sequence``) when it is
    opened, so an export with nothing to write writes (and numbers) nothing.
    Works that cannot be written are skipped and listed in the result.
    ``package=True`` writes ``CW...zip`` holding the ``.V2x`` file.  Files are
    written as ``.<name>.part`` and renamed when complete; on an error the
    unfinished file is removed (finished files stay).  ``progress`` is called
    once per work, written or skipped.
    """
    profile = version_profile(version)
    if transaction not in TRANSACTION_TYPES:
        raise CwrWriteError(f"unsupported transaction type {transaction!r}")
    if max_works_per_file < 1:
        raise CwrWriteError("max_works_per_file must be at least 1")
    for what, code in (("sender", sender), ("receiver", receiver)):
        if not (2 <= len(code) <= 3 and code.isascii() and code.isalnum()):
            raise CwrWriteError(
                f"{what} code {code!r} cannot be used in a CWR file name (2 or 3 letters/digits)"
            )
    # Check the header values before any file is numbered or created.
    CwrWriter(
        io.BytesIO(),
        profile.version,
        sender=sender,
        sender_name=sender_name,
        created=created,
        encoding=encoding,
    )
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    result = ExportResult()
    current: _OpenFile | None = None

    def open_file() -> _OpenFile:
        when = created or datetime.now()
        sequence = next_sequence()
        name = file_name(profile.version, when, sequence, sender, receiver)
        inner = None
        if package:
            inner = name
            name = file_name(profile.version, when, sequence, sender, receiver, zip=True)

        def make_writer(stream: BinaryIO) -> CwrWriter:
            return CwrWriter(
                stream,
                profile.version,
                sender=sender,
                sender_name=sender_name,
                transaction=transaction,
                created=when,
                encoding=encoding,
            )

        return _OpenFile(directory, name, inner, when, sequence, make_writer)

    def finish(opened: _OpenFile) -> None:
        try:
            counts = opened.finish()
        except BaseException:
            opened.abandon()
            raise
        result.files.append(
            WrittenFile(opened.final, opened.writer.works, counts.records, opened.sequence)
        )

    try:
        for work in works:
            sequence = current.writer.next_sequence if current is not None else 0
            try:
                if isinstance(work, SkippedWork):
                    result.skipped.append(work)
                    lines = None
                elif isinstance(work, EncodedWork):
                    lines = renumbered(work.lines, sequence)
                else:
                    lines = encode_work(
                        work, profile.version, transaction, sequence, sender, encoding
                    )
            except WorkWriteError as exc:
                result.skipped.append(SkippedWork.from_error(exc))
            else:
                if lines is None:
                    if progress is not None:
                        progress(work)
                    continue
                if current is None:
                    current = open_file()
                current.writer.add_lines(lines)
                if current.writer.works >= max_works_per_file:
                    opened, current = current, None
                    finish(opened)
            if progress is not None:
                progress(work)
        if current is not None:
            opened, current = current, None
            finish(opened)
    except BaseException:
        if current is not None:
            current.abandon()
        raise
    return result
