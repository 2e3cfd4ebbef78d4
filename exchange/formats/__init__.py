"""The registry of file formats: what a file is, who reads it, who writes it.

Each format is one object answering :class:`Format` (docs/formats.md): its name
(what ``--format``, ``send`` and ``accept`` say), a description, the pattern of
its file names, whether a received file is answered with an ACK, and
``identify(path, head)``. A format that reads has ``importer()`` and
``validate()``; one that writes has ``write()``.

Formats are found through the entry points of group ``cmo_exchange.formats``:
the node's own (``pyproject.toml``) and those of any other installed package, so
that a society adds its format in a package of its own. They are loaded on first
use, not when the command line starts, and a format imports its heavy modules
only inside ``importer``, ``validate`` and ``write``.

Run from a source tree, the node's own formats are those its ``pyproject.toml``
declares, not those of the metadata installed with it (which may describe
another checkout, or the tree before its last change).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from exchange.errors import EXIT_USAGE, ExchangeError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

    from exchange.imports.report import FileReport, Progress
    from exchange.store import Store

GROUP = "cmo_exchange.formats"
DISTRIBUTION = "cmo-exchange"
#: The format of a file no format identifies: its reader says what the file is not.
FALLBACK = "cwr21"
#: Bytes of a file's beginning handed to ``identify``.
HEAD_BYTES = 512


class Importer(Protocol):
    """Imports files into the store: ``ReadingFormat.importer`` gives one."""

    def import_file(self, path: Path, progress: Progress | None = None) -> FileReport: ...


@dataclass(frozen=True, slots=True)
class Export:
    """What to write: the works, where, for whom; options a format does not use it ignores."""

    store: Store
    #: the node's NodeConfig (typed Any: exchange.config asks this registry, not the reverse)
    config: Any
    ids: Sequence[int]
    folder: Path
    #: the receiver's code, in the file names ("000": anyone)
    receiver: str
    max_works: int
    #: CWR: NWR (new registrations) or REV (revisions)
    transaction: str = "NWR"
    #: CWR: each file zipped
    package: bool = False
    #: CWR: the text encoding (ascii, latin-1, utf-8)
    encoding: str = "ascii"
    #: called once per work written
    progress: Callable[[object], None] | None = None


@dataclass(frozen=True, slots=True)
class WrittenFile:
    path: Path
    works: int
    #: what else the format tells of the file (``records``, ``validated``...), in the JSON
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "works": self.works, **self.details}


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A work not written: why, for the JSON (``data``) and for people (``text``)."""

    data: dict[str, Any]
    text: str
    #: the work could not be written (exit code 1); else there was nothing to write
    rejected: bool = True


@dataclass(slots=True)
class Written:
    files: list[WrittenFile] = field(default_factory=list)
    skipped: list[LeftOut] = field(default_factory=list)


@runtime_checkable
class Format(Protocol):
    """One file format. ``importer``/``validate`` and ``write`` are there as it supports."""

    #: what ``--format``, ``send``, ``accept`` and delivery manifests say: ``cwr22``
    name: str
    #: one line for people (docs/formats.md)
    description: str
    #: the names of its files (a glob): ``CW*.V22``
    pattern: str
    #: whether a file of this format received from a partner is answered with an ACK
    acknowledged: bool
    #: its name in the import ledger and on ``exchange import --format``; formats of
    #: one family are read alike (``cwr``: the version comes from the file)
    family: str
    #: the version its files carry (the ledger keeps it), None if it has none
    version: str | None

    def identify(self, path: Path, head: bytes) -> bool:
        """Whether the file at ``path``, beginning with ``head``, is of this format."""
        ...


@runtime_checkable
class ReadingFormat(Format, Protocol):
    """A format the node reads: imports into the store, or judges without it."""

    def importer(self, store: Store, config: Any, partner: str | None) -> Importer:
        """Imports files of this format sent by ``partner`` (None: the file says who)."""
        ...

    def validate(self, path: Path, config: Any, progress: Progress | None = None) -> FileReport:
        """What the import of a file would accept and reject, the store untouched."""
        ...


@runtime_checkable
class WritingFormat(Format, Protocol):
    """A format the node writes."""

    def write(self, export: Export) -> Written:
        """Write the works into files in ``export.folder`` (under a temporary name each,
        renamed when complete)."""
        ...


@cache
def _registry() -> dict[str, Format]:
    found: dict[str, Format] = {}
    where: dict[str, str] = {}
    for point, package in _entry_points():
        try:
            fmt = point.load()
        except Exception as exc:  # noqa: BLE001 - a broken package is named, not a traceback
            raise ExchangeError(
                f"the format {point.name!r} of package {package} cannot be loaded "
                f"({point.value}): {type(exc).__name__}: {exc}"
            ) from None
        if not isinstance(fmt, Format) or fmt.name != point.name:
            raise ExchangeError(
                f"the entry point {point.name!r} of package {package} ({point.value}) is not "
                f"a format named {point.name!r} (docs/formats.md)"
            )
        if point.name in found:
            raise ExchangeError(
                f"two packages register the format {point.name!r}: {where[point.name]} and "
                f"{package}"
            )
        found[point.name], where[point.name] = fmt, package
    return found


def _entry_points() -> list[tuple[EntryPoint, str]]:
    """The format entry points, with their package: the node's own first, then the others."""
    from importlib.metadata import entry_points

    installed = [(point, _package(point)) for point in entry_points(group=GROUP)]
    own = _source_tree_points()
    if own is None:  # installed: the node's entry points are those of its distribution
        own = [point for point, package in installed if package == DISTRIBUTION]
    others = [(point, package) for point, package in installed if package != DISTRIBUTION]
    return [(point, DISTRIBUTION) for point in own] + others


def _package(point: EntryPoint) -> str:
    name = point.dist.name if point.dist else "?"
    return name.lower().replace("_", "-")


def _source_tree_points() -> list[EntryPoint] | None:
    """The node's formats as the source tree it runs from declares (None: not a tree)."""
    from importlib.metadata import EntryPoint

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        return None
    if project.get("name") != DISTRIBUTION:
        return None
    declared = project.get("entry-points", {}).get(GROUP, {})
    return [EntryPoint(name, value, GROUP) for name, value in declared.items()]


def all_formats() -> list[Format]:
    """Every format, the node's own first, in the order they are declared."""
    return list(_registry().values())


def names(can: str | None = None) -> list[str]:
    """The names of the formats; ``can="read"`` or ``"write"``: of those that do."""
    return [f.name for f in all_formats() if can is None or _can(f, can)]


def families() -> list[str]:
    """The names ``exchange import --format`` takes: one per family of formats that read."""
    return list(dict.fromkeys(f.family for f in all_formats() if _can(f, "read")))


def _can(fmt: Format, what: str) -> bool:
    return isinstance(fmt, ReadingFormat if what == "read" else WritingFormat)


def get(name: str) -> Format:
    """The format of this name (ExchangeError naming the known ones if there is none)."""
    try:
        return _registry()[name]
    except KeyError:
        known = ", ".join(_registry())
        raise ExchangeError(f"unknown format {name!r} (known: {known})", EXIT_USAGE) from None


def reader(name: str) -> ReadingFormat:
    """The format that reads files of this name or family (``cwr``: any CWR 2.x file)."""
    fmt = _registry().get(name) or next(
        (f for f in all_formats() if f.family == name and _can(f, "read")), None
    )
    if not isinstance(fmt, ReadingFormat):
        known = ", ".join(families())
        raise ExchangeError(f"no format reads {name!r} files (known: {known})", EXIT_USAGE)
    return fmt


def writer(name: str) -> WritingFormat:
    """The format of this name, which writes files."""
    fmt = get(name)
    if not isinstance(fmt, WritingFormat):
        known = ", ".join(names("write"))
        raise ExchangeError(f"format {name!r} is not written by the node (it writes: {known})")
    return fmt


def of_entry(family: str, version: str | None) -> Format | None:
    """The format of a ledger entry, by its family and version (None: no such format)."""
    members = [f for f in all_formats() if f.family == family]
    return next((f for f in members if f.version == version), members[0] if members else None)


def detect(path: Path) -> ReadingFormat:
    """The format of a file: the first that identifies it, else :data:`FALLBACK`.

    The node's own formats are asked first, in the order they are declared, then
    those of other packages.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise ExchangeError(f"cannot read {path}: {exc.strerror}") from None
    for fmt in all_formats():
        if isinstance(fmt, ReadingFormat) and fmt.identify(path, head):
            return fmt
    return reader(FALLBACK)
