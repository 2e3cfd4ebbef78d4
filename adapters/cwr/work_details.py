"""The CWR detail records of a work that map field for field onto one model object.

EWT and VER (the entire work of an excerpt, the original work of a version),
COM (components), ORN (productions), INS and IND (instrumentation), ARI
(notes for societies) and XRF (cross references): each record is one object
of :mod:`exchange.model`, each of its fields one attribute.  This module is
the one table of which attribute goes into which field; the reader
(:mod:`adapters.cwr.reader`) and the writer (:mod:`adapters.cwr.work_records`) both
work from it, so that what is written is read back as it was.

Where the two versions put the same thing in fields of different names, the
table names both (ORN's ISAN check character is ``isan_check_digit`` in 2.1,
``isan_check_digit_1`` in 2.2); the first one the version's layout has is
used. A field the version's layout lacks (the EIDR in 2.1) is not written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from adapters.cwr.records import duration_or_none, number_or_none
from exchange.model import (
    Component,
    CrossReference,
    Instrument,
    Instrumentation,
    OriginalWork,
    Production,
    WorkNote,
)

__all__ = ["DETAILS", "DetailRecord", "Slot"]


@dataclass(frozen=True, slots=True)
class Slot:
    """One attribute of the model object and the CWR field (or fields) that carries it.

    ``kind`` says what the field holds: ``text`` is kept as read, ``code`` is a
    CWR code (written in upper case), ``society`` a CISAC society code (three
    digits), ``iswc`` an ISWC (written compact), ``number`` a whole number,
    ``digits`` a code made of digits where a numeric field of zeros (what a
    writer puts in an empty one) means none, ``duration`` HHMMSS (seconds in
    the model). A number of 0 is no number: CWR writes zeros into empty
    numeric fields.
    """

    attribute: str
    fields: tuple[str, ...]
    kind: str = "text"
    #: an attribute without which this one means nothing (a segment of an absent ISAN)
    needs: str | None = None

    def field_in(self, names: frozenset[str] | Mapping[str, object]) -> str | None:
        """The first of :attr:`fields` that a layout (field names or values) has."""
        for name in self.fields:
            if name in names:
                return name
        return None


@dataclass(frozen=True, slots=True)
class DetailRecord:
    """A record type, the model class it becomes and where the work keeps it.

    ``attribute`` is the :class:`~exchange.model.Work` attribute: a list, or a
    single value when ``single``.
    """

    record: str
    cls: type
    attribute: str
    slots: tuple[Slot, ...]
    single: bool = False

    @property
    def required(self) -> tuple[str, ...]:
        """The attributes the model class cannot do without (read as ``""`` when blank)."""
        return _required(self.cls)

    def read(self, values: Mapping[str, str]) -> object:
        """The model object of one decoded record (field values as stripped strings)."""
        kwargs: dict[str, object] = {}
        for slot in self.slots:
            name = slot.field_in(values)
            value = values.get(name, "") if name else ""
            if slot.kind == "number":
                kwargs[slot.attribute] = number_or_none(value) or None
            elif slot.kind == "digits":
                kwargs[slot.attribute] = value if value.strip("0") else None
            elif slot.kind == "duration":
                kwargs[slot.attribute] = duration_seconds(value)
            else:
                kwargs[slot.attribute] = value or None
        for slot in self.slots:
            if slot.needs and kwargs[slot.needs] is None:
                kwargs[slot.attribute] = None
        for name in self.required:
            if kwargs[name] is None:
                kwargs[name] = ""
        return self.cls(**kwargs)


@cache
def _required(cls: type) -> tuple[str, ...]:
    return tuple(
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )


def duration_seconds(value: str) -> int | None:
    """An HHMMSS duration in seconds; None for zeros, blanks or anything but HHMMSS."""
    return duration_or_none(value) or None


def _writers(first: str = "writer_1_", second: str = "writer_2_") -> tuple[Slot, ...]:
    """The two writers that EWT, VER and COM name, each with name and IPI numbers."""
    return tuple(
        Slot(f"{attr_prefix}{part}", (f"{field_prefix}{part}",))
        for attr_prefix, field_prefix in (("writer_", first), ("second_writer_", second))
        for part in ("last_name", "first_name", "ipi_name_number", "ipi_base_number")
    )


def _named_work(title_field: str) -> tuple[Slot, ...]:
    return (
        Slot("title", (title_field,)),
        Slot("iswc", ("iswc",), "iswc"),
        Slot("language", ("language_code",), "code"),
        *_writers(),
        Slot("origin", ("source",)),
        Slot("submitter_work_number", ("submitter_work_number",)),
    )


_RECORDS = (
    DetailRecord("EWT", OriginalWork, "entire_work", _named_work("entire_work_title"), single=True),
    DetailRecord("VER", OriginalWork, "original", _named_work("original_work_title"), single=True),
    DetailRecord(
        "ORN",
        Production,
        "productions",
        (
            Slot("intended_purpose", ("intended_purpose",), "code"),
            Slot("production_title", ("production_title",)),
            Slot("cd_identifier", ("cd_identifier",)),
            Slot("cut_number", ("cut_number",), "number"),
            Slot("library", ("library",)),
            Slot("bltvr", ("bltvr",), "code"),
            Slot("production_number", ("production_number",)),
            Slot("episode_title", ("episode_title",)),
            Slot("episode_number", ("episode_number",)),
            Slot("year_of_production", ("year_of_production",), "number"),
            Slot("avi_society", ("avi_society_code",), "digits"),
            Slot("avi_number", ("audio_visual_number",)),
            Slot("isan", ("isan",), "digits"),
            Slot("isan_episode", ("isan_episode",), needs="isan"),
            Slot("isan_check_digit", ("isan_check_digit", "isan_check_digit_1"), needs="isan"),
            Slot("isan_version", ("isan_version",), needs="isan"),
            Slot("isan_version_check_digit", ("isan_check_digit_2",), needs="isan_version"),
            Slot("eidr", ("eidr",)),
            Slot("eidr_check_digit", ("eidr_check_digit",), needs="eidr"),
        ),
    ),
    DetailRecord(
        "INS",
        Instrumentation,
        "instrumentation",
        (
            Slot("voices", ("number_of_voices",), "number"),
            Slot("standard_type", ("standard_instrumentation_type",), "code"),
            Slot("description", ("instrumentation_description",)),
        ),
    ),
    DetailRecord(
        "IND",
        Instrument,
        "instruments",
        (
            Slot("code", ("instrument_code",), "code"),
            Slot("players", ("number_of_players",), "number"),
        ),
    ),
    DetailRecord(
        "COM",
        Component,
        "components",
        (
            Slot("title", ("title",)),
            Slot("iswc", ("iswc",), "iswc"),
            Slot("submitter_work_number", ("submitter_work_number",)),
            Slot("duration", ("duration",), "duration"),
            *_writers(),
        ),
    ),
    DetailRecord(
        "ARI",
        WorkNote,
        "notes",
        (
            Slot("society", ("society_code",), "society"),
            Slot("right", ("type_of_right",), "code"),
            Slot("work_number", ("work_number",)),
            Slot("subject", ("subject_code",), "code"),
            Slot("note", ("note",)),
        ),
    ),
    DetailRecord(
        "XRF",
        CrossReference,
        "references",
        (
            Slot("organisation", ("organisation_code",), "code"),
            Slot("identifier", ("identifier",)),
            Slot("identifier_type", ("identifier_type",), "code"),
            Slot("validity", ("validity",), "code"),
        ),
    ),
)

#: The detail records of this table, by record type.
DETAILS: Mapping[str, DetailRecord] = MappingProxyType({d.record: d for d in _RECORDS})
