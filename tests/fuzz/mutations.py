"""Ways to damage a file as broken software, careless operators and attackers do.

Each mutation takes the file's bytes and a seeded random generator and returns
new bytes; the same seed always gives the same damage, so a failing case can
be replayed from its seed alone.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable

Mutation = Callable[[bytes, random.Random], bytes]

#: Latin-1 superscripts (B2, B3, B9), Arabic-Indic and full-width digits:
#: ``str.isdigit()`` says yes to each, ``int()`` does not always agree.
NON_ASCII_DIGITS = ("\u00b2", "\u00b3", "\u00b9", "\u0663", "\uff17")


def _lines(data: bytes) -> list[bytes]:
    return data.splitlines(keepends=True) or [data]


def bit_flips(data: bytes, rng: random.Random) -> bytes:
    """A few single bits flipped anywhere."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def truncation(data: bytes, rng: random.Random) -> bytes:
    """The file cut short, as by an interrupted transfer."""
    return data[: rng.randrange(len(data) + 1)]


def duplicated_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines.insert(rng.randrange(len(lines) + 1), lines[i])
    return b"".join(lines)


def swapped_lines(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"".join(lines)


def removed_line(data: bytes, rng: random.Random) -> bytes:
    lines = _lines(data)
    del lines[rng.randrange(len(lines))]
    return b"".join(lines)


def field_swap(data: bytes, rng: random.Random) -> bytes:
    """Two stretches of one line exchanged, as a misaligned generator writes them."""
    lines = _lines(data)
    i = rng.randrange(len(lines))
    line = lines[i]
    if len(line) < 8:
        return data
    width = rng.randint(1, max(1, len(line) // 4))
    a = rng.randrange(len(line) - width)
    b = rng.randrange(len(line) - width)
    if abs(a - b) < width:
        return data
    a, b = sorted((a, b))
    lines[i] = line[:a] + line[b : b + width] + line[a + width : b] + line[a : a + width]
    lines[i] += line[b + width :]
    return b"".join(lines)


def shifted_field(data: bytes, rng: random.Random) -> bytes:
    """A line with characters inserted or removed in the middle: every later field moves."""
    lines = _lines(data)
    i = rng.randrange(len(lines))
    line = lines[i]
    at = rng.randrange(len(line) + 1)
    if rng.random() < 0.5:
        lines[i] = line[:at] + b" " * rng.randint(1, 5) + line[at:]
    else:
        lines[i] = line[:at] + line[at + rng.randint(1, 5) :]
    return b"".join(lines)


def huge_line(data: bytes, rng: random.Random) -> bytes:
    """A line of up to a megabyte, record prefix and all."""
    lines = _lines(data)
    prefix = rng.choice(lines)[:19] or b"NWR"
    filler = bytes([rng.choice(b"A0 ")]) * rng.randint(10_000, 1_000_000)
    lines.insert(rng.randrange(len(lines) + 1), prefix + filler + b"\r\n")
    return b"".join(lines)


def nul_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        out.insert(rng.randrange(len(out) + 1), 0)
    return bytes(out)


def non_utf8(data: bytes, rng: random.Random) -> bytes:
    """Bytes that are no UTF-8 (and odd Latin-1): lone continuations, overlongs, FF FE."""
    junk = (b"\xff\xfe", b"\xc3\x28", b"\x80", b"\xe2\x82", b"\xc0\xaf", b"\xed\xa0\x80")
    out = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        at = rng.randrange(len(out) + 1)
        piece = rng.choice(junk)
        out[at : at + len(piece)] = piece
    return bytes(out)


def non_ascii_digits(data: bytes, rng: random.Random) -> bytes:
    """ASCII digits replaced by other digits, in Latin-1 or UTF-8 as senders encode them."""
    digits = [i for i, b in enumerate(data) if 0x30 <= b <= 0x39]
    if not digits:
        return data
    out = bytearray(data)
    for at in sorted(rng.sample(digits, min(len(digits), rng.randint(1, 6))), reverse=True):
        char = rng.choice(NON_ASCII_DIGITS)
        encoded = char.encode("latin-1") if ord(char) < 256 else char.encode("utf-8")
        out[at : at + 1] = encoded
    return bytes(out)


def line_ends(data: bytes, rng: random.Random) -> bytes:
    """Line ends changed (LF, CR, mixed) and a byte-order mark, as editors leave them."""
    lines = [line.rstrip(b"\r\n") for line in _lines(data)]
    ends = (b"\n", b"\r", b"\r\n", b"\n\r")
    body = b"".join(line + rng.choice(ends) for line in lines)
    return (b"\xef\xbb\xbf" if rng.random() < 0.3 else b"") + body


MUTATIONS: dict[str, Mutation] = {
    f.__name__: f
    for f in (
        bit_flips,
        truncation,
        duplicated_line,
        swapped_lines,
        removed_line,
        field_swap,
        shifted_field,
        huge_line,
        nul_bytes,
        non_utf8,
        non_ascii_digits,
        line_ends,
    )
}


def zipped(name: str, data: bytes) -> bytes:
    """The file as the only member of a zip package, as senders deliver CWR."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def zip_damage(package: bytes, rng: random.Random) -> bytes:
    """A zip package broken in one of the ways transfers and tools break them."""
    out = bytearray(package)
    kind = rng.choice(("crc", "central", "truncated", "data", "flip"))
    if kind == "crc" and len(out) > 18:
        out[14 + rng.randrange(4)] ^= 0xFF  # the local header's CRC-32
    elif kind == "central":
        at = out.rfind(b"PK\x01\x02")
        if at >= 0:
            out[at + rng.randrange(4, 46) : at + 46] = b"\xff" * 4
    elif kind == "truncated":
        del out[rng.randrange(len(out)) :]
    elif kind == "data" and len(out) > 60:
        out[30 + rng.randrange(len(out) - 60)] ^= 0x55
    else:
        return bit_flips(package, rng)
    return bytes(out)


def mutate(name: str, data: bytes, rng: random.Random) -> tuple[str, bytes, list[str]]:
    """One to three mutations of a file, zipped (and maybe broken) one time in five.

    Returns the name to give the result, its bytes and the mutations applied.
    """
    applied = rng.choices(list(MUTATIONS), k=rng.randint(1, 3))
    for mutation in applied:
        data = MUTATIONS[mutation](data, rng)
    if rng.random() < 0.2:
        data = zipped(name, data)
        name = name.rsplit(".", 1)[0] + ".zip"
        applied.append("zipped")
        if rng.random() < 0.7:
            data = zip_damage(data, rng)
            applied.append("zip_damage")
    return name, data, applied
