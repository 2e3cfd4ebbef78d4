"""The delivery manifest: the last file of a batch, listing the files that came before it.

A node that delivers files to a partner over SFTP or HTTP ends the batch with a
manifest (``schemas/manifest.xsd``, namespace ``urn:cmo-exchange:manifest:1``):
who sends it to whom, its sequence number for that pair, when it was made, and
for every file of the batch its name, format, size, sha256 and, when known, how
many works and transactions it holds. A partner that sees the manifest knows the
batch is complete and can check each file against it.

* :func:`write` builds the document with lxml, checks it against the schema and
  only then writes it (under a temporary name, renamed when complete). A
  manifest our own schema refuses is a bug, and raises.
* :func:`read` never trusts the file: it goes through :mod:`adapters.safe_xml`
  (no DTD, no entities, no network, a size limit) and is validated against the
  schema before anything in it is used.

Manifests are named ``MANIFEST_<sender>_<receiver>_<sequence>.xml`` (the
sequence on at least six digits); :func:`is_manifest_name` recognises that
pattern and nothing else, so that a manifest is never taken for a CWR file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

import schemas
from adapters import safe_xml
from exchange.errors import ExchangeError

NAMESPACE = "urn:cmo-exchange:manifest:1"
#: The revision of namespace 1 this module writes (and the newest it knows).
VERSION = "1.0"
SCHEMA_FILE = schemas.FOLDER / "manifest.xsd"
#: A manifest lists file names and checksums: a few megabytes hold thousands of files.
MAX_BYTES = 16 * 1024 * 1024
#: The formats a manifest of namespace 1 may name (schemas/manifest.xsd): the standard
#: formats of the node's registry, which a partner's node also knows; a format another
#: package adds goes to partners that take no manifests.
FORMATS = ("cwr21", "cwr22", "ack", "mwn", "csv", "xlsx")

_NAME = re.compile(r"MANIFEST_([A-Za-z0-9]{1,20})_([A-Za-z0-9]{1,20})_([0-9]{6,})\.xml")
_M = f"{{{NAMESPACE}}}"


class ManifestError(ExchangeError):
    """A manifest that cannot be used: invalid against the schema, or inconsistent."""


@dataclass(frozen=True, slots=True)
class ManifestFile:
    """One file of a batch, as the manifest describes it."""

    name: str
    format: str
    size: int
    sha256: str
    works: int | None = None
    transactions: int | None = None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "format": self.format,
            "size": self.size,
            "sha256": self.sha256,
        }
        for key in ("works", "transactions"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ManifestFile:
        return cls(
            name=data["name"],
            format=data["format"],
            size=int(data["size"]),
            sha256=data["sha256"],
            works=data.get("works"),
            transactions=data.get("transactions"),
        )


@dataclass(frozen=True, slots=True)
class Manifest:
    """A batch of files from ``sender`` to ``receiver``, numbered ``sequence``."""

    sender: str
    receiver: str
    sequence: int
    created: datetime
    files: tuple[ManifestFile, ...]
    version: str = VERSION

    @property
    def name(self) -> str:
        return manifest_name(self.sender, self.receiver, self.sequence)

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "sender": self.sender,
            "receiver": self.receiver,
            "sequence": self.sequence,
            "created": self.created.isoformat(),
            "files": [f.as_dict() for f in self.files],
        }


def manifest_name(sender: str, receiver: str, sequence: int) -> str:
    """``MANIFEST_052_058_000007.xml``."""
    return f"MANIFEST_{sender}_{receiver}_{sequence:06d}.xml"


def parse_name(name: str) -> tuple[str, str, int] | None:
    """Sender, receiver and sequence of a manifest's file name; None for any other name.

    >>> parse_name("MANIFEST_052_058_000007.xml")
    ('052', '058', 7)
    >>> parse_name("CW260001052_058.V22") is None
    True
    """
    found = _NAME.fullmatch(name)
    if found is None:
        return None
    return found[1], found[2], int(found[3])


def is_manifest_name(name: str) -> bool:
    """Whether a file name is one of our manifests' (and so not a CWR file)."""
    return parse_name(name) is not None


@cache
def schema() -> Any:
    """``schemas/manifest.xsd``, loaded once."""
    return safe_xml.load_schema(SCHEMA_FILE)


def _zoned(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ManifestError("a manifest's creation time needs its time zone")
    text = moment.isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def to_bytes(manifest: Manifest) -> bytes:
    """The manifest as an XML document, checked against the schema."""
    root = etree.Element(_M + "DeliveryManifest", nsmap={None: NAMESPACE})
    root.set("version", manifest.version)
    for tag, value in (
        ("Sender", manifest.sender),
        ("Receiver", manifest.receiver),
        ("Sequence", str(manifest.sequence)),
        ("Created", _zoned(manifest.created)),
    ):
        etree.SubElement(root, _M + tag).text = value
    files = etree.SubElement(root, _M + "Files")
    for item in manifest.files:
        node = etree.SubElement(files, _M + "File")
        etree.SubElement(node, _M + "Name").text = item.name
        etree.SubElement(node, _M + "Format").text = item.format
        etree.SubElement(node, _M + "Size").text = str(item.size)
        etree.SubElement(node, _M + "Sha256").text = item.sha256
        counts = {k: getattr(item, k) for k in ("works", "transactions")}
        if any(v is not None for v in counts.values()):
            element = etree.SubElement(node, _M + "Counts")
            for key, value in counts.items():
                if value is not None:
                    element.set(key, str(value))
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    errors = safe_xml.validate(schema(), safe_xml.parse_bytes(data, manifest.name), manifest.name)
    if errors:  # what we write must follow our own schema: anything else is a bug here
        raise ManifestError(
            f"the manifest {manifest.name} does not follow {SCHEMA_FILE.name} (a bug in the "
            "node, nothing was written): " + "; ".join(errors)
        )
    return data


def write(manifest: Manifest, folder: Path) -> Path:
    """Write the manifest into ``folder`` under its own name; returns its path."""
    data = to_bytes(manifest)
    final = folder / manifest.name
    temporary = folder / f".{manifest.name}.part"
    try:
        temporary.write_bytes(data)
        os.replace(temporary, final)
    except OSError as exc:
        raise ExchangeError(f"cannot write {final}: {exc.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return final


def read(path: Path, *, max_bytes: int = MAX_BYTES) -> Manifest:
    """Read a manifest safely and check it against the schema before using it.

    Raises :class:`adapters.safe_xml.XmlRefused` for a document that is unsafe
    or not well-formed, :class:`ManifestError` for one the schema refuses or
    whose content contradicts its file name.
    """
    tree = safe_xml.parse(path, max_bytes=max_bytes, max_elements=1_000_000)
    manifest = _from_tree(tree, path.name)
    named = parse_name(path.name)
    if named is not None and named != (manifest.sender, manifest.receiver, manifest.sequence):
        raise ManifestError(
            f"{path.name}: the file name says sender {named[0]}, receiver {named[1]}, "
            f"sequence {named[2]}; the manifest says {manifest.sender}, {manifest.receiver}, "
            f"{manifest.sequence}"
        )
    return manifest


def read_bytes(data: bytes, where: str) -> Manifest:
    """Read a manifest held in memory (``where`` names it in messages)."""
    return _from_tree(safe_xml.parse_bytes(data, where, max_elements=1_000_000), where)


def _from_tree(tree: etree._ElementTree, where: str) -> Manifest:
    errors = safe_xml.validate(schema(), tree, where, limit=5)
    if errors:
        said = [e.removeprefix(f"{where}, ").removeprefix(f"{where}: ") for e in errors]
        raise ManifestError(
            f"{where}: not a valid delivery manifest ({SCHEMA_FILE.name}): " + "; ".join(said)
        )
    root = tree.getroot()

    def text(node: etree._Element, tag: str) -> str:
        child = node.find(_M + tag)
        assert child is not None and child.text is not None  # the schema requires it
        return child.text if tag == "Name" else child.text.strip()

    created_text = text(root, "Created")
    try:
        created = datetime.fromisoformat(created_text)
    except ValueError:
        raise ManifestError(f"{where}: Created {created_text!r} is not a usable time") from None
    files = []
    for node in root.iterfind(f"{_M}Files/{_M}File"):
        counts = node.find(_M + "Counts")

        def count(key: str, counts: etree._Element | None = counts) -> int | None:
            value = counts.get(key) if counts is not None else None
            return int(value) if value is not None else None

        files.append(
            ManifestFile(
                name=text(node, "Name"),
                format=text(node, "Format"),
                size=int(text(node, "Size")),
                sha256=text(node, "Sha256"),
                works=count("works"),
                transactions=count("transactions"),
            )
        )
    return Manifest(
        sender=text(root, "Sender"),
        receiver=text(root, "Receiver"),
        sequence=int(text(root, "Sequence")),
        created=created.astimezone(UTC),
        files=tuple(files),
        version=root.get("version", VERSION),
    )
