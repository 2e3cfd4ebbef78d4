"""The repertoire as plain data: works, parties, claims, recordings and their sources.

This module knows nothing of databases, files or the network. Adapters turn bytes
into these objects and back; the store maps them to tables.

Shares are integers in hundredths of a percent (``10000`` is 100 %, ``3333`` is
33.33 %), as CWR carries them; :mod:`exchange.shares` does the arithmetic on them.
Territories are CISAC TIS numeric codes written with four digits (``"2136"`` is
the world, ``"0826"`` the United Kingdom). Durations are whole seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from operator import attrgetter
from typing import Any


class Right(StrEnum):
    """The three right types that CWR shares are split into."""

    PR = "PR"  # performing
    MR = "MR"  # mechanical
    SR = "SR"  # synchronisation


class Side(StrEnum):
    """Whether a claim is made as a writer or as a publisher."""

    WRITER = "writer"
    PUBLISHER = "publisher"


#: CWR writer designation codes (CA composer/author, C composer, A author, AR arranger,
#: AD adaptor, TR translator, SA sub-author, SR sub-arranger, PA income participant).
WRITER_ROLES = frozenset({"CA", "C", "A", "AR", "AD", "TR", "SA", "SR", "PA"})

#: CWR publisher types (E original publisher, AM administrator, SE sub-publisher,
#: ES substituted publisher, AQ acquirer, PA income participant).
PUBLISHER_ROLES = frozenset({"E", "AM", "SE", "ES", "AQ", "PA"})

#: Title types of CWR (OT original title, AT alternative, TE first line of text,
#: FT formal, IT incorrect, TT original translated, PT part, RT restricted,
#: ET extra search, OL original in another language, AL alternative in another language).
TITLE_TYPES = frozenset({"OT", "AT", "TE", "FT", "IT", "TT", "PT", "RT", "ET", "OL", "AL"})

WORLD = "2136"  # the TIS code of the whole world


class _Value:
    """The base of the slots dataclasses below that workers send in numbers: pickled as
    their constructor's arguments.

    Dataclasses pickle one with slots through a state that ``dataclasses.fields``
    lists anew for each object, both ways: a third of what a worker process spends on
    pickling the works it sends (:mod:`adapters.cwr.pipeline`), and as much of what the
    main process spends on taking them back.
    """

    __slots__ = ()

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        return type(self), _arguments(type(self))(self)


@cache
def _arguments(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """The values of a :class:`_Value` class's fields (its bases' too), in their order
    (at least two)."""
    return attrgetter(*(f.name for f in fields(cls)))


#: The attribute of :class:`Shares` that holds each right's share.
_SHARE_ATTRIBUTES = {right: right.lower() for right in Right}


@dataclass(frozen=True, slots=True)
class Shares(_Value):
    """PR, MR and SR shares in hundredths of a percent."""

    pr: int = 0
    mr: int = 0
    sr: int = 0

    def get(self, right: Right | str) -> int:
        return getattr(self, _SHARE_ATTRIBUTES.get(right) or str(right).lower())

    def __bool__(self) -> bool:
        return bool(self.pr or self.mr or self.sr)


@dataclass(frozen=True, slots=True)
class Source(_Value):
    """Where a statement came from: which partner said it, in which file, when."""

    partner: str
    file: str | None = None
    transaction: int | None = None
    received_at: datetime | None = None
    transaction_type: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Title(_Value):
    title: str
    type: str = "OT"
    language: str | None = None


@dataclass(frozen=True, slots=True)
class WorkNumber(_Value):
    """A work number given by someone else.

    ``kind`` is ``"submitter"`` for the number a sender (publisher or society)
    uses in its own files, ``"society"`` for a number a society assigned in its
    own database (from an ACK or an XRF record).
    """

    issuer: str
    number: str
    kind: str = "submitter"


@dataclass(slots=True)
class Affiliation(_Value):
    """A party's membership of a society for one right type in a territory."""

    society: str
    right: Right
    territory: str = WORLD
    source: Source | None = None


@dataclass(slots=True)
class NamedParty(_Value):
    """A person or a company as CWR names one, writer, publisher or performer.

    ``last_name`` is a company's whole name; the IPI name and base numbers are
    there when they are known.
    """

    last_name: str
    first_name: str = ""
    ipi_name_number: str | None = None
    ipi_base_number: str | None = None


@dataclass(slots=True)
class InterestedParty(NamedParty):
    """A writer or publisher.

    ``key`` is the identifier the sender uses for the party in its own files
    (the CWR interested party number), used when no IPI name number is known.
    """

    is_legal_entity: bool = False
    key: str | None = None
    affiliations: list[Affiliation] = field(default_factory=list)
    id: int | None = None

    @property
    def name(self) -> str:
        if self.first_name:
            return f"{self.last_name}, {self.first_name}"
        return self.last_name

    def societies(self) -> dict[Right, str]:
        """One society per right: that of the world-wide affiliation, else of the first."""
        first: dict[Right, str] = {}
        world: dict[Right, str] = {}
        for a in self.affiliations:
            right = a.right if a.right.__class__ is Right else Right(a.right)
            first.setdefault(right, a.society)
            if a.territory == WORLD:
                world.setdefault(right, a.society)
        return {**first, **world}


@dataclass(frozen=True, slots=True)
class TerritoryShare(_Value):
    """Collection shares for a territory, included or excluded."""

    tis: str
    include: bool = True
    collection: Shares = Shares()


@dataclass(slots=True)
class Claim(_Value):
    """One party's claim on a work, as one source stated it.

    Publishers are grouped in chains (``chain`` is the CWR publisher sequence
    number); a publisher claim names the writers it represents in ``writers``
    (their party keys, as the source gives them) when the source says so.
    ``controlled`` tells whether the submitter controls the party (SPU/SWR) or
    only reports it (OPU/OWR).
    """

    party: InterestedParty
    role: str
    side: Side
    ownership: Shares = Shares()
    territories: list[TerritoryShare] = field(default_factory=list)
    controlled: bool = True
    chain: int | None = None
    writers: tuple[str, ...] = ()
    source: Source | None = None
    id: int | None = None

    def collection(self, right: Right | str) -> int:
        """The collection share for the first included territory (0 if none)."""
        for territory in self.territories:
            if territory.include:
                return territory.collection.get(right)
        return 0


@dataclass(slots=True)
class Performer(NamedParty):
    isni: str | None = None


@dataclass(slots=True)
class Recording(_Value):
    isrc: str | None = None
    title: str | None = None
    version_title: str | None = None
    duration: int | None = None
    label: str | None = None
    release_date: date | None = None
    album_title: str | None = None
    catalogue_number: str | None = None
    ean: str | None = None
    display_artist: str | None = None
    #: CWR codes: format A audio or V video, technique A analogue, D digital or U
    #: unknown, the BIEM/CISAC media type
    recording_format: str | None = None
    recording_technique: str | None = None
    media_type: str | None = None
    #: whether the ISRC belongs to this work's recording: Y, U (doubtful) or N
    isrc_validity: str | None = None
    #: the sender's own identifier of the recording
    submitter_recording_id: str | None = None
    performers: list[Performer] = field(default_factory=list)
    source: Source | None = None


@dataclass
class NamedWriters:
    """Up to two writers of another work, as a record of this one names them.

    CWR's VER, EWT and COM records give each writer a last and first name and
    IPI numbers; they are only named there, they hold no claims. A mixin: it
    has no slots of its own (the class that takes it in has them all) and comes
    first among the bases, so that the other base's fields, the title first,
    come before the writers (``OriginalWork(title, iswc, language,
    writer_last_name, ...)``).
    """

    __slots__ = ()

    writer_last_name: str | None = None
    writer_first_name: str | None = None
    writer_ipi_name_number: str | None = None
    writer_ipi_base_number: str | None = None
    second_writer_last_name: str | None = None
    second_writer_first_name: str | None = None
    second_writer_ipi_name_number: str | None = None
    second_writer_ipi_base_number: str | None = None


@dataclass(slots=True)
class _OriginalWorkTitle:
    """The fields of an :class:`OriginalWork` that come before its writers."""

    title: str
    iswc: str | None = None
    language: str | None = None


@dataclass(slots=True)
class OriginalWork(NamedWriters, _OriginalWorkTitle):
    """The work a version (MOD) is made from (CWR VER), or an excerpt taken from (EWT).

    CWR names up to two of its writers; ``origin`` is where the work comes from
    (the record's "source" field), ``submitter_work_number`` the sender's number
    for it.
    """

    origin: str | None = None
    submitter_work_number: str | None = None


@dataclass(slots=True)
class _ComponentTitle:
    """The fields of a :class:`Component` that come before its writers."""

    title: str
    iswc: str | None = None
    submitter_work_number: str | None = None
    duration: int | None = None


@dataclass(slots=True)
class Component(NamedWriters, _ComponentTitle):
    """A work that is part of this one, a composite (CWR COM), with up to two writers."""


@dataclass(slots=True)
class Production:
    """What a work was written for: a film, a programme, a library (CWR ORN).

    ``intended_purpose`` is the CWR code (FIL film, LIB library, TEL television...).
    The ISAN comes in its segments as CWR carries them (root, episode, version and
    their check characters); ``avi_society`` and ``avi_number`` say which society's
    audio-visual index holds the production under which number.
    """

    intended_purpose: str
    production_title: str | None = None
    cd_identifier: str | None = None
    cut_number: int | None = None
    library: str | None = None
    bltvr: str | None = None
    production_number: str | None = None
    episode_title: str | None = None
    episode_number: str | None = None
    year_of_production: int | None = None
    avi_society: str | None = None
    avi_number: str | None = None
    isan: str | None = None
    isan_episode: str | None = None
    isan_check_digit: str | None = None
    isan_version: str | None = None
    isan_version_check_digit: str | None = None
    eidr: str | None = None
    eidr_check_digit: str | None = None


@dataclass(slots=True)
class Instrumentation:
    """How a serious work is scored: a standard ensemble code or a description (CWR INS)."""

    voices: int | None = None
    standard_type: str | None = None
    description: str | None = None


@dataclass(slots=True)
class Instrument:
    """One instrument a work is written for, and how many play it (CWR IND)."""

    code: str
    players: int | None = None


@dataclass(slots=True)
class WorkNote:
    """Additional information for a society about a work (CWR ARI).

    ``society`` is the CISAC code of the society it is meant for (``000`` for
    all), ``right`` the type of right (PER, MEC, SYN or ALL), ``subject`` the
    CWR subject code of the note.
    """

    society: str
    right: str
    work_number: str | None = None
    subject: str | None = None
    note: str | None = None


@dataclass(slots=True)
class CrossReference:
    """An identifier of something related to the work: a recording, a product, a video.

    CWR 2.2 XRF records of types R, P and V (work identifiers of type W are
    :class:`WorkNumber` of kind ``"society"``). ``validity`` is Y (valid), U (the
    link is doubtful) or N (the identifier is invalid).
    """

    organisation: str
    identifier: str
    identifier_type: str
    validity: str | None = None


@dataclass(slots=True)
class Work(_Value):
    """A musical work with everything the node knows of it."""

    title: str
    iswc: str | None = None
    language: str | None = None
    duration: int | None = None
    version_type: str = "ORI"
    original: OriginalWork | None = None
    #: For a modified version (MOD): how music and lyrics were changed (CWR codes).
    music_arrangement: str | None = None
    lyric_adaptation: str | None = None
    distribution_category: str = "UNC"
    text_music_relationship: str | None = None
    copyright_date: date | None = None
    titles: list[Title] = field(default_factory=list)
    numbers: list[WorkNumber] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    performers: list[Performer] = field(default_factory=list)
    recordings: list[Recording] = field(default_factory=list)
    #: For an excerpt: what kind of excerpt (CWR code), and the entire work it is from (EWT).
    excerpt_type: str | None = None
    entire_work: OriginalWork | None = None
    #: For a composite (medley, potpourri...): its CWR type and how many works it holds.
    composite_type: str | None = None
    composite_count: int | None = None
    productions: list[Production] = field(default_factory=list)
    instrumentation: list[Instrumentation] = field(default_factory=list)
    instruments: list[Instrument] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)
    notes: list[WorkNote] = field(default_factory=list)
    references: list[CrossReference] = field(default_factory=list)
    id: int | None = None

    def number(self, issuer: str, kind: str = "submitter") -> str | None:
        """The work number that ``issuer`` gave this work, if any."""
        for n in self.numbers:
            if n.issuer == issuer and n.kind == kind:
                return n.number
        return None

    @property
    def writers(self) -> list[Claim]:
        return [c for c in self.claims if c.side is Side.WRITER]

    @property
    def publishers(self) -> list[Claim]:
        return [c for c in self.claims if c.side is Side.PUBLISHER]


@dataclass(slots=True)
class Partner:
    """A sister society, hub or publisher the node exchanges files with."""

    code: str
    name: str
    send: tuple[str, ...] = ()
    #: what we take from them (cwr21, cwr22, ack...); other files are refused
    accept: tuple[str, ...] = ("cwr21", "cwr22", "ack")
    max_works_per_file: int = 10000
    schedule: str | None = None
    timezone: str = "UTC"
    transport: dict[str, object] = field(default_factory=dict)
    #: days a conflict this partner brings in may stay unresolved (None: the node's default)
    conflict_deadline_days: int | None = None
    #: the partner's DDEX Party Identifier (DDEX messages name it as their recipient)
    dpid: str | None = None


#: Rejection levels of CISAC's edits, most severe first, and WARN for notes that reject nothing.
LEVELS = ("ER", "GR", "TR", "RR", "FR", "WARN")


@dataclass(frozen=True, slots=True)
class Finding(_Value):
    """Something a validator noticed in an input file, and where.

    ``level`` says what it rejects: ER the file, GR the group, TR the
    transaction, RR the record, FR the field (replaced by a default); WARN
    rejects nothing. ``edit`` is the identifier of the standard's rule when
    there is one (e.g. ``SWR-F-012``).
    """

    level: str
    message: str
    line: int | None = None
    record: str | None = None
    field: str | None = None
    value: str | None = None
    edit: str | None = None
    transaction: int | None = None

    @property
    def rejects_transaction(self) -> bool:
        """Whether the finding rejects its whole transaction (or more)."""
        return self.level in ("ER", "GR", "TR")

    def as_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "record": self.record,
            "field": self.field,
            "value": self.value,
            "level": self.level,
            "edit": self.edit,
            "message": self.message,
        }
