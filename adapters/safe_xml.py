"""Parsing XML from partners without trusting it.

Every XML document the node reads (DDEX messages, delivery manifests) goes
through :func:`parse` (or, streamed in bounded memory, :func:`iterparse`), which:

* refuses any document type declaration (``<!DOCTYPE``): no DTD is read, local
  or remote, and no entity is defined, so neither external entities (XXE) nor
  entity expansion ("billion laughs") can happen;
* never touches the network and never resolves entities;
* refuses files larger than ``max_bytes`` and trees deeper or with longer text
  nodes than libxml2's default limits (no ``huge_tree``: 256 levels), or with
  more than ``max_elements`` elements;
* refuses an element with more than :data:`MAX_ATTRIBUTES` attributes and a
  document with more than :data:`MAX_NAMESPACES` different namespace
  declarations. Parsing such a document is quick, but xmlschema's validation
  is not: its time grows with the cube of an element's attributes and with the
  namespaces in scope times the elements, so that a few hundred kilobytes of
  them would keep the node busy for minutes. Real messages have a handful of
  each. Namespace declarations are counted while parsing, so a document is
  refused as soon as it has one too many.

A refused document raises :class:`XmlRefused` with the file, line and reason.
Schemas (:func:`load_schema`) are read from the local disk only. libxml2 judges
a document against them (:func:`schema_errors`, :func:`validate`, or
:func:`iterparse` as it reads); xmlschema reads only the documents libxml2 finds
invalid, for its detailed report.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from lxml import etree

from exchange.errors import ExchangeError

#: Files larger than this are refused unless the caller allows more.
MAX_BYTES = 512 * 1024 * 1024
#: Trees with more elements than this are refused.
MAX_ELEMENTS = 20_000_000
#: Elements with more attributes than this are refused (DDEX elements have at most 6).
MAX_ATTRIBUTES = 64
#: Documents with more different namespace declarations (prefix and URI) than this
#: are refused; declaring the same namespace again on other elements is allowed.
MAX_NAMESPACES = 64

_XSD = "http://www.w3.org/2001/XMLSchema"


class XmlRefused(ExchangeError):
    """A document the node will not read: unsafe, oversized or not well-formed."""


#: How the document is parsed: nothing fetched, nothing expanded, libxml2's limits.
_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


def _refuse_dtd(where: str, line: int | None) -> XmlRefused:
    at = f", line {line}" if line else ""
    return XmlRefused(
        f"{where}{at}: refused: the document declares a DTD (<!DOCTYPE>); DTDs and "
        "entities are never read (they can fetch files or expand without end)"
    )


def _refuse(where: str, line: int | None, reason: str) -> XmlRefused:
    at = f", line {line}" if line else ""
    return XmlRefused(f"{where}{at}: refused: {reason}")


def _count_namespace(declared: set[tuple[str, str]], declaration: Any, where: str) -> None:
    """Count a namespace declaration, refusing the (MAX_NAMESPACES + 1)th different one."""
    declared.add(declaration)
    if len(declared) > MAX_NAMESPACES:
        prefix, uri = declaration
        raise _refuse(
            where,
            None,
            f"more than {MAX_NAMESPACES} different namespace declarations "
            f"(the last: xmlns{':' + prefix if prefix else ''}={uri[:80]!r})",
        )


def _parse_counting_namespaces(data: bytes, where: str) -> etree._ElementTree:
    """Parse, refusing the document at its (MAX_NAMESPACES + 1)th different namespace."""
    events = etree.iterparse(BytesIO(data), events=("start-ns",), **_PARSER_OPTIONS)
    declared: set[tuple[str, str]] = set()
    for _event, declaration in events:
        _count_namespace(declared, declaration, where)
    return etree.ElementTree(events.root)


def _not_well_formed(exc: etree.XMLSyntaxError, where: str) -> XmlRefused:
    line = exc.lineno or (exc.position[0] if exc.position else None)
    at = f", line {line}" if line else ""
    return XmlRefused(f"{where}{at}: not well-formed XML: {exc.msg}")


def _check_elements(elements: Any, where: str, counted: int, max_elements: int) -> int:
    """Refuse the element past ``max_elements`` and one with too many attributes; how
    many elements were counted (``counted`` before these)."""
    for count, element in enumerate(elements, counted + 1):
        if count > max_elements:
            raise _refuse(
                where,
                None,
                f"more than {max_elements:,} elements (raise the limit if this is expected)",
            )
        if len(element.attrib) > MAX_ATTRIBUTES:
            raise _refuse(
                where,
                element.sourceline,
                f"an element ({etree.QName(element).localname}) with "
                f"{len(element.attrib):,} attributes, more than the {MAX_ATTRIBUTES} allowed",
            )
        counted = count
    return counted


def parse_bytes(data: bytes, where: str, *, max_elements: int = MAX_ELEMENTS) -> etree._ElementTree:
    """Parse a document held in memory; ``where`` names it in messages."""
    at = data.find(b"<!DOCTYPE")
    if at >= 0:  # refused before parsing (the check after parsing covers other encodings)
        raise _refuse_dtd(where, data.count(b"\n", 0, at) + 1)
    try:
        tree = _parse_counting_namespaces(data, where)
    except etree.XMLSyntaxError as exc:
        raise _not_well_formed(exc, where) from None
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise _refuse_dtd(where, None)
    _check_elements(tree.getroot().iter(), where, 0, max_elements)
    return tree


def _check_size(path: Path, max_bytes: int) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ExchangeError(f"cannot read {path}: {exc.strerror}") from None
    if size > max_bytes:
        raise XmlRefused(
            f"{path.name}: refused: {size:,} bytes is more than the {max_bytes:,} "
            "allowed for an XML file"
        )


def parse(
    path: Path, *, max_bytes: int = MAX_BYTES, max_elements: int = MAX_ELEMENTS
) -> etree._ElementTree:
    """Parse a file safely (see the module's description)."""
    _check_size(path, max_bytes)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ExchangeError(f"cannot read {path}: {exc.strerror}") from None
    return parse_bytes(data, path.name, max_elements=max_elements)


def _drop(element: etree._Element) -> None:
    """Empty an element read by iterparse and drop the siblings before it."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    while element.getprevious() is not None:
        del parent[0]


def schema_accepts(schema: Schema, path: Path, tags: tuple[str, ...]) -> bool:
    """Whether libxml2 finds a file the node wrote itself valid, streamed in bounded
    memory (each element named ``tags`` dropped once read). Without the refusals of
    :func:`iterparse`: the file is the node's own, not a partner's."""
    events = etree.iterparse(
        str(path), events=("end",), tag=tags, schema=schema.checker, **_PARSER_OPTIONS
    )
    try:
        for _event, element in events:
            _drop(element)
    except etree.XMLSyntaxError:
        return False
    return True


class NotValid(Exception):
    """libxml2 found a document streamed by :func:`iterparse` invalid against the schema
    (:func:`schema_errors` on the parsed tree tells the details)."""


#: How much of a streamed file is looked at for a ``<!DOCTYPE`` before parsing.
_PROLOG_BYTES = 64 * 1024


def iterparse(
    path: Path,
    tags: tuple[str, ...],
    *,
    schema: Schema | None = None,
    max_bytes: int = MAX_BYTES,
    max_elements: int = MAX_ELEMENTS,
) -> Iterator[etree._Element]:
    """The elements named ``tags`` of a file, each whole when the parser reaches its end,
    in bounded memory: each is emptied and dropped (with the siblings before it) when
    the next is asked for. The refusals of :func:`parse` hold (the elements not
    yielded are checked at the end); with ``schema`` libxml2 validates the document
    as it reads it and raises :class:`NotValid` at the first error. The tree an
    element belongs to (``getroottree()``) holds what was not dropped: the root,
    the elements not named and their ancestors."""
    _check_size(path, max_bytes)
    where = path.name
    try:
        with path.open("rb") as file:
            prolog = file.read(_PROLOG_BYTES)
    except OSError as exc:
        raise ExchangeError(f"cannot read {path}: {exc.strerror}") from None
    at = prolog.find(b"<!DOCTYPE")
    if at >= 0:  # the prolog of an ASCII-compatible file; the docinfo check covers others
        raise _refuse_dtd(where, prolog.count(b"\n", 0, at) + 1)
    checker = schema.checker if schema is not None else None
    events = etree.iterparse(
        str(path), events=("start-ns", "end"), tag=tags, schema=checker, **_PARSER_OPTIONS
    )
    declared: set[tuple[str, str]] = set()
    counted = 0
    tree = None
    try:
        for event, element in events:
            if event == "start-ns":
                _count_namespace(declared, element, where)
                continue
            if tree is None:
                tree = element.getroottree()
                if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
                    raise _refuse_dtd(where, None)
                counted = _check_elements([tree.getroot()], where, counted, max_elements)
            counted = _check_elements(element.iter(), where, counted, max_elements)
            yield element
            _drop(element)
    except etree.XMLSyntaxError as exc:
        if any(e.domain == etree.ErrorDomains.SCHEMASV for e in exc.error_log):
            raise NotValid(str(exc)) from None
        raise _not_well_formed(exc, where) from None
    tree = etree.ElementTree(events.root)
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise _refuse_dtd(where, None)
    _check_elements(tree.getroot().iter(), where, counted, max_elements)


class _LocalFilesOnly(etree.Resolver):
    """Lets libxml2 read the schema's own local files; anything else resolves to nothing.

    With ``first`` values, each local file is read here and handed to libxml2 with
    those values first in every enumeration that lists them (:func:`_values_first`).
    """

    def __init__(self, first: Collection[str] = ()) -> None:
        super().__init__()
        self.first = tuple(first)

    def resolve(self, url: str | None, pubid: str | None, context: Any) -> Any:
        if url and "://" not in url.removeprefix("file://"):
            if not self.first:
                return None  # a local file: libxml2 reads it
            local = unquote(urlsplit(url).path) if url.startswith("file:") else url
            document = etree.parse(local, etree.XMLParser(**_PARSER_OPTIONS))
            _values_first(document, self.first)
            return self.resolve_string(etree.tostring(document), context, base_url=url)
        return self.resolve_empty(context)


def _values_first(document: etree._ElementTree, values: tuple[str, ...]) -> None:
    """Put these values first in each enumeration of a schema that lists them.

    An enumeration is a set: the order changes nothing a document is judged by, but
    libxml2 compares a value with the allowed ones in turn, and the value sets of
    some schemas list hundreds (DDEX's territory codes end with Worldwide).
    """
    enumeration = f"{{{_XSD}}}enumeration"
    listed = [e for e in document.iter(enumeration) if e.get("value") in values]
    for value in reversed(values):
        for element in listed:
            first = next(e for e in element.getparent() if e.tag == enumeration)
            if element.get("value") == value and first is not element:
                first.addprevious(element)


@dataclass(slots=True)
class Schema:
    """An XML schema from local files, twice: compiled by libxml2 (lxml), which checks a
    document in C, and read by xmlschema, whose reports say more (the element's path,
    what was expected): loaded only for a document libxml2 finds invalid."""

    path: Path
    locations: dict[str, Path]
    checker: etree.XMLSchema
    _reporter: Any = None

    def reporter(self) -> Any:
        """xmlschema's reading of the schema (loaded on first use)."""
        if self._reporter is None:
            self._reporter = _xmlschema(self.path, self.locations)
        return self._reporter


def _xmlschema(path: Path, locations: dict[str, Path]) -> Any:
    import xmlschema

    mapped = [(ns, str(p)) for ns, p in locations.items()]
    try:
        return xmlschema.XMLSchema(
            str(path), locations=mapped, allow="sandbox", defuse="always", base_url=None
        )
    except (xmlschema.XMLSchemaException, OSError) as exc:
        raise ExchangeError(f"cannot load the XML schema {path}: {exc}") from None


def load_schema(
    path: Path, locations: dict[str, Path] | None = None, first: Collection[str] = ()
) -> Schema:
    """A schema from local files only: the imports of the namespaces in ``locations``
    are read from the files it names, and nothing is ever fetched. ``first``: values
    the documents checked hold most, which libxml2 then tries first wherever the
    schema enumerates them (the same documents are valid)."""
    parser = etree.XMLParser(**_PARSER_OPTIONS)
    parser.resolvers.add(_LocalFilesOnly(first))
    try:
        document = etree.parse(str(path), parser)
        _values_first(document, tuple(first))
        for imported in document.getroot().iterfind(f"{{{_XSD}}}import"):
            local = (locations or {}).get(imported.get("namespace", ""))
            if local is not None:
                imported.set("schemaLocation", local.resolve().as_uri())
        checker = etree.XMLSchema(document)
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError, OSError) as exc:
        raise ExchangeError(f"cannot load the XML schema {path}: {exc}") from None
    return Schema(path, dict(locations or {}), checker)


def schema_errors(
    schema: Schema, tree: etree._ElementTree, limit: int = 20
) -> list[tuple[int | None, str]]:
    """(line, message) of each schema error of a parsed tree (at most ``limit``).

    libxml2 judges; a document it finds invalid is judged again by xmlschema for
    its detailed report (libxml2's own is given if xmlschema finds nothing)."""
    if schema.checker.validate(tree):
        return []
    import xmlschema

    found: list[tuple[int | None, str]] = []
    # The tree is parsed already: its resource may fetch nothing at all.
    resource = xmlschema.XMLResource(tree, allow="none")
    for error in schema.reporter().iter_errors(resource):
        elem = error.elem
        line = getattr(elem, "sourceline", None) if elem is not None else None
        path = f"{error.path}: " if error.path else ""
        found.append((line, f"{path}{error.reason or error.message}"))
        if len(found) >= limit:
            break
    return found or [(e.line or None, e.message) for e in schema.checker.error_log][:limit]


def validate(schema: Schema, tree: etree._ElementTree, where: str, limit: int = 20) -> list[str]:
    """Schema errors of a parsed tree, each saying where (at most ``limit``)."""
    return [
        f"{where}{f', line {line}' if line else ''}: {message}"
        for line, message in schema_errors(schema, tree, limit)
    ]
