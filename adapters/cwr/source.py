"""Opening a CWR file as real senders deliver it: plain or zipped, any line end.

Yields raw lines as bytes, without line ends, with their 1-based line numbers.
The text encoding is decided from the HDR record (CWR allows a character set
declaration there): Latin-1 unless a Unicode set is declared.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import BinaryIO

from exchange.digest import sha256_file

BOM = b"\xef\xbb\xbf"
_CHARSET = slice(86, 101)  # HDR character set field, positions 87-101
_UNICODE = re.compile(rb"UTF|UNICODE|UCS", re.IGNORECASE)
_CWR_NAME = re.compile(r"\.(v2[0-2]|sub|ack1|ack2|isr|isa)$", re.IGNORECASE)


class CwrSourceError(Exception):
    """The file cannot be read at all (missing, not a zip it claims to be, empty zip)."""


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
            with zipfile.ZipFile(self.path) as archive:
                names = [i.filename for i in archive.infolist() if not i.is_dir()]
            if not names:
                raise CwrSourceError(f"{self.path}: the zip package is empty")
            cwr = [n for n in names if _CWR_NAME.search(n)]
            if not cwr:
                raise CwrSourceError(
                    f"{self.path}: no CWR file (.V21, .V22...) in the zip package "
                    f"(it holds {', '.join(names[:5])})"
                )
            self.member = cwr[0]

    @property
    def size(self) -> int:
        """Bytes to read: the file, or the CWR member of a zip package."""
        if self.member is None:
            return self.path.stat().st_size
        with zipfile.ZipFile(self.path) as archive:
            return archive.getinfo(self.member).file_size

    @property
    def name(self) -> str:
        """The CWR file name (the member's name for a zip package)."""
        return Path(self.member).name if self.member else self.path.name

    def sha256(self) -> str:
        return sha256_file(self.path)

    def _open(self) -> tuple[BinaryIO, zipfile.ZipFile | None]:
        if self.member is None:
            return self.path.open("rb"), None
        archive = zipfile.ZipFile(self.path)
        try:
            return archive.open(self.member), archive
        except (zipfile.BadZipFile, OSError) as exc:
            archive.close()
            raise CwrSourceError(f"{self.path}: cannot open {self.member}: {exc}") from None

    def lines(self) -> Iterator[tuple[int, bytes]]:
        """(line number, raw line) pairs; blank lines and line ends are dropped.

        ``line_offset`` is the byte offset of the line just given (for a reader that
        seeks to it); ``bytes_read`` follows the reading every thousand lines.
        """
        fh, archive = self._open()
        number = 0
        try:
            first = fh.readline()
            start = 0
            if first.startswith(BOM):
                first, start = first[3:], 3
            read = start
            for number, raw in enumerate(chain((first,), fh), start=1):
                if not number % 1000:
                    self.bytes_read = read
                start = read
                read += len(raw)
                line = strip_line(raw)
                if line:
                    self.line_offset = start
                    yield number, line
            self.bytes_read = read
        except (zipfile.BadZipFile, OSError) as exc:
            raise CwrSourceError(f"{self.path}: read failed at line {number}: {exc}") from None
        finally:
            fh.close()
            if archive is not None:
                archive.close()
