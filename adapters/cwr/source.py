"""Opening a CWR file as real senders deliver it: plain or zipped, any line end.

Yields raw lines as bytes, without line ends, with their 1-based line numbers.
The text encoding is decided from the HDR record (CWR allows a character set
declaration there): Latin-1 unless a Unicode set is declared.

What cannot be read is a :class:`CwrSourceError` naming the file and the
problem: a damaged zip package (bad CRC, central directory, truncated member),
a member that would inflate beyond :data:`MAX_MEMBER_BYTES` or more than
:data:`MAX_RATIO` times its compressed size (a "zip bomb"), a central directory
over :data:`MAX_DIRECTORY_BYTES` (thousands of members), a member encrypted or
compressed in a way zipfile cannot read, a line longer
than :data:`MAX_LINE_BYTES` (no CWR record comes near: read on, one such line
could fill the memory).
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import BinaryIO

from exchange.digest import sha256_file
from exchange.errors import ExchangeError

BOM = b"\xef\xbb\xbf"
_CHARSET = slice(86, 101)  # HDR character set field, positions 87-101
_UNICODE = re.compile(rb"UTF|UNICODE|UCS", re.IGNORECASE)
_CWR_NAME = re.compile(r"\.(v2[0-2]|sub|ack1|ack2|isr|isa)$", re.IGNORECASE)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
#: Longer lines are refused: the longest CWR record is 663 characters (4 bytes each in UTF-8).
MAX_LINE_BYTES = 64 * 1024
#: A zip member may not inflate to more than this (the ZIP format's own limit without Zip64).
MAX_MEMBER_BYTES = 4 * 1024**3
#: Nor to more than this many times its compressed size (CWR files compress 5 to 40 times).
MAX_RATIO = 200
#: A zip package's central directory may not be larger (a CWR package has one member,
#: about 80 bytes of it; the directory is read whole, a ZipInfo per member).
MAX_DIRECTORY_BYTES = 1024 * 1024
#: The end of central directory record: signature, disk numbers, entries, size, offset.
_END_RECORD = struct.Struct("<4s4H2LH")
#: What reading a damaged zip member raises (EOFError: a member cut short).
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError)


class CwrSourceError(ExchangeError):
    """The file cannot be read (missing, a damaged or oversized zip package, a line no
    CWR file has); the message names the file and the problem."""


def strip_line(raw: bytes) -> bytes:
    """A raw line without its line end (and a DOS end-of-file mark); b"" if blank."""
    line = raw.rstrip(b"\r\n\x1a")
    return line if line and not line.isspace() else b""


def encoding_of_header(header: bytes) -> str:
    """The text encoding that a HDR line declares (Latin-1 unless Unicode is named)."""
    return "utf-8" if _UNICODE.search(header[_CHARSET]) else "latin-1"


@dataclass
class CwrSource:
    """One CWR file on disk; a ``.zip`` package is opened transparently."""

    path: Path

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if not self.path.is_file():
            raise CwrSourceError(f"{self.path}: no such file")
        self.member: str | None = None
        self.bytes_read = 0
        self.line_offset = 0
        if zipfile.is_zipfile(self.path):
            self.member = self._cwr_member()
        elif self._looks_zipped():
            raise CwrSourceError(
                f"{self.path}: a damaged zip package: its central directory is missing "
                "(the file may be cut short)"
            )

    def _looks_zipped(self) -> bool:
        try:
            with self.path.open("rb") as fh:
                return fh.read(4) in _ZIP_MAGIC
        except OSError as exc:
            raise CwrSourceError(f"{self.path}: cannot read: {exc.strerror}") from None

    def _directory_size(self) -> int:
        """The size its end record gives the central directory (0: not given there, as
        in a Zip64 package, or no end record: zipfile judges those)."""
        with self.path.open("rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - _END_RECORD.size - 0xFFFF))
            tail = fh.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _END_RECORD.size:
            return 0  # zipfile says what is wrong
        size = _END_RECORD.unpack_from(tail, at)[5]
        return 0 if size == 0xFFFFFFFF else size

    def _cwr_member(self) -> str:
        """The CWR file in a zip package, once its declared sizes are judged safe."""
        try:
            directory = self._directory_size()
        except OSError as exc:
            raise CwrSourceError(f"{self.path}: cannot read: {exc.strerror}") from None
        if directory > MAX_DIRECTORY_BYTES:
            raise CwrSourceError(
                f"{self.path}: refused: the zip package's central directory is "
                f"{directory:,} bytes long (thousands of members), more than the "
                f"{MAX_DIRECTORY_BYTES:,} allowed"
            )
        try:
            with zipfile.ZipFile(self.path) as archive:
                members = [i for i in archive.infolist() if not i.is_dir()]
        except (*_DAMAGED, OSError) as exc:
            raise CwrSourceError(f"{self.path}: a damaged zip package: {exc}") from None
        if not members:
            raise CwrSourceError(f"{self.path}: the zip package is empty")
        cwr = [i for i in members if _CWR_NAME.search(i.filename)]
        if not cwr:
            names = ", ".join(i.filename for i in members[:5])
            raise CwrSourceError(
                f"{self.path}: no CWR file (.V21, .V22...) in the zip package (it holds {names})"
            )
        member = cwr[0]
        if member.file_size > MAX_MEMBER_BYTES:
            raise CwrSourceError(
                f"{self.path}: refused: {member.filename} would inflate to "
                f"{member.file_size:,} bytes, more than the {MAX_MEMBER_BYTES:,} allowed"
            )
        if member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise CwrSourceError(
                f"{self.path}: refused: {member.filename} would inflate from "
                f"{member.compress_size:,} to {member.file_size:,} bytes, more than "
                f"{MAX_RATIO} times (a zip bomb?)"
            )
        return member.filename

    @property
    def size(self) -> int:
        """Bytes to read: the file, or the CWR member of a zip package."""
        if self.member is None:
            return self.path.stat().st_size
        try:
            with zipfile.ZipFile(self.path) as archive:
                return archive.getinfo(self.member).file_size
        except (*_DAMAGED, OSError) as exc:
            raise CwrSourceError(f"{self.path}: a damaged zip package: {exc}") from None

    @property
    def name(self) -> str:
        """The CWR file name (the member's name for a zip package)."""
        return Path(self.member).name if self.member else self.path.name

    def sha256(self) -> str:
        return sha256_file(self.path)

    def _open(self) -> tuple[BinaryIO, zipfile.ZipFile | None]:
        if self.member is None:
            return self.path.open("rb"), None
        try:
            archive = zipfile.ZipFile(self.path)
        except (*_DAMAGED, OSError) as exc:
            raise CwrSourceError(f"{self.path}: a damaged zip package: {exc}") from None
        try:
            return archive.open(self.member), archive
        except (NotImplementedError, RuntimeError) as exc:  # a method zipfile lacks, a password
            archive.close()
            raise CwrSourceError(
                f"{self.path}: cannot read {self.member} in the zip package: {exc}"
            ) from None
        except (*_DAMAGED, OSError) as exc:
            archive.close()
            raise CwrSourceError(
                f"{self.path}: a damaged zip package: cannot open {self.member}: {exc}"
            ) from None

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(line number, raw line) pairs; blank lines and line ends are dropped.

        ``line_offset`` is the byte offset of the line just given (for a reader that
        seeks to it); ``bytes_read`` follows the reading every thousand lines.
        """
        fh, archive = self._open()
        number = 0
        try:
            first = fh.readline(MAX_LINE_BYTES + 1)
            start = 0
            if first.startswith(BOM):
                first, start = first[3:], 3
            read = start
            for number, raw in enumerate(chain((first,), _bounded_lines(fh)), start=1):
                if not number % 1000:
                    self.bytes_read = read
                start = read
                read += len(raw)
                if len(raw) > MAX_LINE_BYTES:
                    raise CwrSourceError(
                        f"{self.path}: refused: line {number} is longer than "
                        f"{MAX_LINE_BYTES:,} bytes (no CWR record is): not a CWR file"
                    )
                line = strip_line(raw)
                if line:
                    self.line_offset = start
                    yield number, line
            self.bytes_read = read
        except _DAMAGED as exc:
            after = f" after line {number}" if number else ""
            raise CwrSourceError(
                f"{self.path}: a damaged zip package: {self.member} cannot be read"
                f"{after}: {_reason(exc)}"
            ) from None
        except OSError as exc:
            raise CwrSourceError(f"{self.path}: read failed at line {number}: {exc}") from None
        finally:
            fh.close()
            if archive is not None:
                archive.close()


def _bounded_lines(fh: BinaryIO) -> Iterator[bytes]:
    """The lines of a file, none longer than one byte over :data:`MAX_LINE_BYTES`."""
    while raw := fh.readline(MAX_LINE_BYTES + 1):
        yield raw


def _reason(exc: BaseException) -> str:
    """What is wrong with a damaged zip member, in words."""
    if isinstance(exc, EOFError):
        return "the member is cut short"
    if isinstance(exc, zlib.error):
        return f"its compressed data are corrupt ({exc})"
    return str(exc)
