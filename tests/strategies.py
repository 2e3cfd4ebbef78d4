"""Hypothesis strategies for valid works as a CWR sender sends them, and how to compare them.

:func:`cwr_works` draws one :class:`~exchange.model.Work` that the CWR writer
can write and the validator accepts without a single finding: CIS character
sets, valid identifiers (ISWC, IPI name and base numbers, ISRC, EAN),
codes from the lookup tables, and ownership and collection shares that obey
CWR's rules (publishers own at most 50 % of PR, writers and publishers add up
to 100 % per right, MR and SR are all on the publishers when there is one,
only original publishers own shares, every territory total is at most 100 %).
:func:`cwr_work_lists` draws several such works sharing a pool of parties, as
one sender's repertoire (party keys and IPI numbers unique in its system).

:func:`cwr_view` says what a CWR file of a given version can carry of a work,
and :func:`normalise` takes out the differences that are only representation;
a work written and read back must satisfy
``normalise(read) == normalise(cwr_view(sent, version, sender))``.
"""

from __future__ import annotations

import copy
import string
from datetime import date

from hypothesis import strategies as st
from stdnum import ean as ean_id

from adapters.cwr.layout import lookup
from exchange.identifiers import ipi_base, ipi_name, iswc
from exchange.identifiers import isrc as isrc_id
from exchange.model import (
    Affiliation,
    Claim,
    Component,
    CrossReference,
    Instrument,
    Instrumentation,
    InterestedParty,
    OriginalWork,
    Performer,
    Production,
    Recording,
    Right,
    Shares,
    Side,
    TerritoryShare,
    Title,
    Work,
    WorkNote,
    WorkNumber,
)

__all__ = [
    "SENDER",
    "SOCIETIES",
    "cwr_view",
    "cwr_work_lists",
    "cwr_works",
    "normalise",
]

#: The society that sends (and numbers) the works in the tests.
SENDER = "052"
#: Real CISAC society codes: PRS, SACEM, GEMA, ASCAP, BMI.
SOCIETIES = ("052", "058", "035", "010", "021")
WORLD = "2136"
#: Countries a sub-publisher may be given (excluded from the original publisher's world).
SUB_TERRITORIES = ("0826", "0250", "0276", "0380", "0724")
FULL = 10000
HALF = 5000

# -- text ------------------------------------------------------------------------------

#: A part of the CIS Titles character set (upper-case ASCII, digits, blank, punctuation).
TITLE_ALPHABET = string.ascii_uppercase + string.digits + " .,'!?&()-/:"
#: A part of the CIS Names character set (no comma there).
NAME_ALPHABET = string.ascii_uppercase + string.digits + " '-.&"
KEY_ALPHABET = string.ascii_uppercase + string.digits

LANGUAGES = tuple(sorted(lookup("language_code")))
#: Title types an ALT record may carry (everything but OT, which is the header's title).
ALT_TITLE_TYPES = tuple(sorted(lookup("title_type") - {"OT"}))
NATIONAL_TITLE_TYPES = frozenset({"OL", "AL"})  # these need a language code
TEXT_MUSIC = tuple(sorted(lookup("text_music_relationship")))
CREATORS = ("C", "CA", "A")
MODIFIERS = ("AR", "AD", "TR", "SA", "SR")
LYRIC_ROLES = frozenset({"CA", "A", "SA", "TR"})
ISRC_COUNTRIES = ("GB", "US", "FR", "DE", "SE", "JP", "NL", "ES")


def cis_text(alphabet: str, max_size: int) -> st.SearchStrategy[str]:
    """Non-blank text of the alphabet, without leading or trailing blanks."""
    return st.text(alphabet, min_size=1, max_size=max_size).map(str.strip).filter(bool)


def titles_text(max_size: int = 60) -> st.SearchStrategy[str]:
    return cis_text(TITLE_ALPHABET, max_size)


def names_text(max_size: int) -> st.SearchStrategy[str]:
    return cis_text(NAME_ALPHABET, max_size)


def party_keys() -> st.SearchStrategy[str]:
    """Interested party numbers: 1 to 9 upper-case letters and digits."""
    return st.text(KEY_ALPHABET, min_size=1, max_size=9)


# -- identifiers -----------------------------------------------------------------------

_BODY = st.text(string.digits, min_size=9, max_size=9).filter(lambda b: b.strip("0"))


@st.composite
def iswcs(draw: st.DrawFn) -> str:
    """A valid ISWC, compact (``T0345246801``) or in display form (``T-034.524.680-1``)."""
    body = draw(_BODY)
    compact = f"T{body}{iswc.calc_check_digit(body)}"
    return iswc.format(compact) if draw(st.booleans()) else compact


def ipi_name_numbers() -> st.SearchStrategy[str]:
    return _BODY.map(lambda body: body + ipi_name.calc_check_digit(body))


def ipi_base_numbers() -> st.SearchStrategy[str]:
    """IPI base numbers as CWR writes them (``I-NNNNNNNNN-C``, the 13-character field)."""
    return _BODY.map(lambda body: f"I-{body}-{ipi_base.calc_check_digit(body)}")


@st.composite
def isrcs(draw: st.DrawFn) -> str:
    """A valid ISRC, compact or with dashes (``GB-AYE-26-00001``)."""
    country = draw(st.sampled_from(ISRC_COUNTRIES))
    registrant = draw(st.text(KEY_ALPHABET, min_size=3, max_size=3))
    year = draw(st.text(string.digits, min_size=2, max_size=2))
    designation = draw(st.text(string.digits, min_size=5, max_size=5))
    code = f"{country}{registrant}{year}{designation}"
    assert isrc_id.is_valid(code), code
    return isrc_id.format(code) if draw(st.booleans()) else code


def eans() -> st.SearchStrategy[str]:
    return st.text(string.digits, min_size=12, max_size=12).map(
        lambda digits: digits + ean_id.calc_check_digit(digits)
    )


def dates() -> st.SearchStrategy[date]:
    return st.dates(date(1900, 1, 1), date(2099, 12, 31))


def maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | strategy


# -- parties ---------------------------------------------------------------------------


@st.composite
def affiliations(draw: st.DrawFn) -> list[Affiliation]:
    """At most one world-wide society per right (a CWR record has one field per right)."""
    found = []
    for right in Right:
        society = draw(maybe(st.sampled_from(SOCIETIES)))
        if society is not None:
            found.append(Affiliation(society, right))
    return draw(st.permutations(found))


@st.composite
def writer_parties(draw: st.DrawFn, key: str, ipi: str | None) -> InterestedParty:
    return InterestedParty(
        last_name=draw(names_text(45)),
        first_name=draw(st.just("") | names_text(30)),
        ipi_name_number=ipi,
        ipi_base_number=draw(maybe(ipi_base_numbers())),
        is_legal_entity=False,
        key=key,
        affiliations=draw(affiliations()),
    )


@st.composite
def publisher_parties(draw: st.DrawFn, key: str, ipi: str | None) -> InterestedParty:
    return InterestedParty(
        last_name=draw(names_text(45)),
        ipi_name_number=ipi,
        ipi_base_number=draw(maybe(ipi_base_numbers())),
        is_legal_entity=True,
        key=key,
        affiliations=draw(affiliations()),
    )


@st.composite
def party_pool(
    draw: st.DrawFn, writers: int, publishers: int
) -> tuple[list[InterestedParty], list[InterestedParty]]:
    """Writers and publishers with keys and IPI name numbers unique among them all."""
    total = writers + publishers
    keys = draw(st.lists(party_keys(), min_size=total, max_size=total, unique=True))
    ipis = draw(st.lists(ipi_name_numbers(), min_size=total, max_size=total, unique=True))
    has_ipi = draw(st.lists(st.booleans(), min_size=total, max_size=total))
    numbers = [ipi if has else None for ipi, has in zip(ipis, has_ipi, strict=True)]
    return (
        [draw(writer_parties(keys[i], numbers[i])) for i in range(writers)],
        [draw(publisher_parties(keys[i], numbers[i])) for i in range(writers, total)],
    )


# -- shares ----------------------------------------------------------------------------


def _split(draw: st.DrawFn, total: int, parts: int, minimum: int = 0) -> list[int]:
    """``parts`` whole numbers of at least ``minimum`` that add up to ``total``."""
    if parts == 0:
        return []
    room = total - parts * minimum
    assert room >= 0
    cuts = sorted(draw(st.lists(st.integers(0, room), min_size=parts - 1, max_size=parts - 1)))
    bounds = [0, *cuts, room]
    return [minimum + b - a for a, b in zip(bounds, bounds[1:], strict=False)]


def _world(collection: Shares) -> list[TerritoryShare]:
    """World-wide collection of what a party owns (nothing when it owns nothing)."""
    return [TerritoryShare(WORLD, True, collection)] if collection else []


# -- works -----------------------------------------------------------------------------


@st.composite
def recordings(draw: st.DrawFn) -> Recording:
    recording = Recording(
        isrc=draw(maybe(isrcs())),
        title=draw(maybe(titles_text())),
        version_title=draw(maybe(titles_text())),
        duration=draw(maybe(st.integers(1, 35999))),
        label=draw(maybe(titles_text())),
        release_date=draw(maybe(dates())),
        album_title=draw(maybe(titles_text())),
        catalogue_number=draw(maybe(cis_text(KEY_ALPHABET + "-", 18))),
        ean=draw(maybe(eans())),
        display_artist=draw(maybe(names_text(60))),
        recording_format=draw(maybe(st.sampled_from(("A", "V")))),
        recording_technique=draw(maybe(st.sampled_from(("A", "D", "U")))),
        media_type=draw(maybe(st.sampled_from(_MEDIA_TYPES))),
        submitter_recording_id=draw(maybe(cis_text(KEY_ALPHABET, 14))),
    )
    if not (recording.isrc or recording.release_date or recording.album_title):
        recording.isrc = draw(isrcs())  # REC-F-001: a REC that 2.1 can carry says something
    if recording.isrc:
        recording.isrc_validity = draw(maybe(st.sampled_from(("Y", "U", "N"))))
    return recording


def performers() -> st.SearchStrategy[Performer]:
    return st.builds(
        Performer,
        last_name=names_text(45),
        first_name=st.just("") | names_text(30),
        ipi_name_number=maybe(ipi_name_numbers()),
        ipi_base_number=maybe(ipi_base_numbers()),
    )


@st.composite
def alternate_titles(draw: st.DrawFn) -> Title:
    kind = draw(st.sampled_from(ALT_TITLE_TYPES))
    language = draw(
        st.sampled_from(LANGUAGES)
        if kind in NATIONAL_TITLE_TYPES
        else maybe(st.sampled_from(LANGUAGES))
    )
    return Title(draw(titles_text()), kind, language)


@st.composite
def _named_writers(draw: st.DrawFn, first_required: bool = False) -> dict[str, str | None]:
    """The two writers that EWT, VER and COM name (a first name only with a last name)."""
    found: dict[str, str | None] = {}
    for prefix in ("writer_", "second_writer_"):
        required = first_required and prefix == "writer_"
        last = draw(names_text(45)) if required else draw(maybe(names_text(45)))
        found[f"{prefix}last_name"] = last
        found[f"{prefix}first_name"] = draw(maybe(names_text(30))) if last else None
        found[f"{prefix}ipi_name_number"] = draw(maybe(ipi_name_numbers()))
        found[f"{prefix}ipi_base_number"] = draw(maybe(ipi_base_numbers()))
    return found


@st.composite
def original_works(draw: st.DrawFn) -> OriginalWork:
    return OriginalWork(
        title=draw(titles_text()),
        iswc=draw(maybe(iswcs())),
        language=draw(maybe(st.sampled_from(LANGUAGES))),
        origin=draw(maybe(titles_text())),
        submitter_work_number=draw(maybe(cis_text(KEY_ALPHABET, 14))),
        **draw(_named_writers()),
    )


@st.composite
def components(draw: st.DrawFn) -> Component:
    return Component(
        title=draw(titles_text()),
        iswc=draw(maybe(iswcs())),
        submitter_work_number=draw(maybe(cis_text(KEY_ALPHABET, 14))),
        duration=draw(maybe(st.integers(1, 35999))),
        **draw(_named_writers(first_required=True)),
    )


_HEX = string.digits + "ABCDEF"
_MEDIA_TYPES = sorted(lookup("media_type"))
_PURPOSES = sorted(lookup("intended_purpose"))
_BLTVR = sorted(lookup("bltvr"))
_ENSEMBLES = sorted(lookup("standard_instrumentation_type"))
_INSTRUMENTS = sorted(lookup("instrument_code"))
_RIGHTS = sorted(lookup("type_of_right"))
_EXCERPTS = sorted(lookup("excerpt_type"))
_COMPOSITES = sorted(lookup("composite_type"))


@st.composite
def productions(draw: st.DrawFn) -> Production:
    """An ORN record's production; its ISAN complete or absent, in digits (2.1 fields are N)."""
    purpose = draw(st.sampled_from(_PURPOSES))
    library = draw(maybe(titles_text()))
    title = draw(
        titles_text() if purpose in ("FIL", "TEL") or not library else maybe(titles_text())
    )
    isan = draw(
        maybe(st.text(string.digits, min_size=12, max_size=12).filter(lambda v: v.strip("0")))
    )
    eidr = draw(maybe(st.text(_HEX, min_size=20, max_size=20)))
    digit = st.sampled_from(string.digits)
    return Production(
        intended_purpose=purpose,
        production_title=title,
        cd_identifier=draw(cis_text(KEY_ALPHABET, 15))
        if purpose == "LIB"
        else draw(maybe(cis_text(KEY_ALPHABET, 15))),
        cut_number=draw(maybe(st.integers(1, 9999))),
        library=library,
        bltvr=draw(maybe(st.sampled_from(_BLTVR))),
        production_number=draw(maybe(cis_text(KEY_ALPHABET, 12))),
        episode_title=draw(maybe(titles_text())),
        episode_number=draw(maybe(cis_text(KEY_ALPHABET, 20))),
        year_of_production=draw(maybe(st.integers(1900, 2099))),
        avi_society=draw(maybe(st.sampled_from(SOCIETIES))),
        avi_number=draw(maybe(cis_text(KEY_ALPHABET, 15))),
        isan=isan,
        isan_episode=draw(st.text(string.digits, min_size=4, max_size=4)) if isan else None,
        isan_check_digit=draw(digit) if isan else None,
        isan_version=draw(st.text(string.digits, min_size=8, max_size=8)) if isan else None,
        isan_version_check_digit=draw(digit) if isan else None,
        eidr=eidr,
        eidr_check_digit=draw(st.sampled_from(_HEX)) if eidr else None,
    )


@st.composite
def instrumentation(draw: st.DrawFn) -> Instrumentation:
    standard = draw(maybe(st.sampled_from(_ENSEMBLES)))
    return Instrumentation(
        voices=draw(maybe(st.integers(1, 999))),
        standard_type=standard,
        description=None if standard else draw(titles_text(50)),
    )


def instruments() -> st.SearchStrategy[Instrument]:
    return st.builds(
        Instrument,
        code=st.sampled_from(_INSTRUMENTS),
        players=maybe(st.integers(1, 999)),
    )


@st.composite
def work_notes(draw: st.DrawFn) -> WorkNote:
    note = draw(maybe(titles_text(160)))
    numbers = cis_text(KEY_ALPHABET, 14)
    return WorkNote(
        society=draw(st.sampled_from(("000", *SOCIETIES))),
        right=draw(st.sampled_from(_RIGHTS)),
        work_number=draw(numbers if note is None else maybe(numbers)),
        subject=draw(st.sampled_from(("DL", "SC", "DW", "IQ", "RQ"))) if note else None,
        note=note,
    )


def cross_references() -> st.SearchStrategy[CrossReference]:
    return st.builds(
        CrossReference,
        organisation=st.sampled_from(SOCIETIES),
        identifier=cis_text(KEY_ALPHABET, 14),
        identifier_type=st.sampled_from(("R", "P", "V")),
        validity=st.sampled_from(("Y", "N", "U")),
    )


@st.composite
def _chain(
    draw: st.DrawFn,
    parties: list[InterestedParty],
    number: int,
    controlled: bool,
    owned: Shares,
    represented: tuple[str, ...],
) -> list[Claim]:
    """One publisher chain: the original publisher (E), then maybe an AM, then maybe an SE.

    The E owns ``owned`` and collects it world-wide; with a sub-publisher it
    excludes one country, where the SE collects the same shares instead.
    """
    shape = draw(st.sampled_from([(), ("AM",), ("SE",), ("AM", "SE")]))
    assert len(parties) >= 1 + len(shape)
    original_territories = _world(owned)
    sub: list[TerritoryShare] = []
    if "SE" in shape:
        country = draw(st.sampled_from(SUB_TERRITORIES))
        original_territories.append(TerritoryShare(country, False))
        sub = [TerritoryShare(country, True, owned)]
    claims = [
        Claim(
            parties[0],
            "E",
            Side.PUBLISHER,
            owned,
            original_territories,
            controlled=controlled,
            chain=number,
            writers=represented,
        )
    ]
    for party, role in zip(parties[1:], shape, strict=False):
        claims.append(
            Claim(
                party,
                role,
                Side.PUBLISHER,
                Shares(),
                sub if role == "SE" else [],
                controlled=controlled,
                chain=number,
            )
        )
    return claims


@st.composite
def _claims(
    draw: st.DrawFn,
    writers: list[InterestedParty],
    publishers: list[InterestedParty],
    version_type: str,
    text_music: str | None,
) -> list[Claim]:
    """Writers and publisher chains whose shares obey CWR's rules, in a random order of blocks.

    ``writers`` and ``publishers`` are distinct parties to take from (enough for
    4 writers and 2 chains of 3).
    """
    music_only = text_music == "MUS"
    creators = ("C",) if music_only else CREATORS
    modifiers = tuple(r for r in MODIFIERS if not (music_only and r in LYRIC_ROLES))
    roles = [draw(st.sampled_from(creators)) for _ in range(draw(st.integers(1, 3)))]
    if version_type == "MOD":  # NWR-T-010: a modified version needs an arranger or the like
        roles.append(draw(st.sampled_from(modifiers)))
    controlled_writers = [draw(st.booleans()) for _ in roles]

    chains = draw(st.integers(0, 2))
    # Controlled chains get the first numbers: the writer writes SPU chains before OPU
    # chains, and publisher sequence numbers go up in the file (SPU-F-001).
    controlled_chains = sorted((draw(st.booleans()) for _ in range(chains)), reverse=True)
    # Shares: publishers own at most half of PR and (when there is one) all of MR and SR.
    publisher_pr = draw(st.sampled_from([HALF, HALF, 0]) | st.integers(0, HALF)) if chains else 0
    chain_pr = _split(draw, publisher_pr, chains)
    chain_mr = _split(draw, FULL, chains, 1)  # NWR-T-025: every chain owns something
    chain_sr = _split(draw, FULL, chains, 1)
    writer_pr = _split(draw, FULL - publisher_pr, len(roles))
    writer_mr = _split(draw, 0 if chains else FULL, len(roles))
    writer_sr = _split(draw, 0 if chains else FULL, len(roles))

    keys_of = {
        flag: tuple(p.key for p, c in zip(writers, controlled_writers, strict=False) if c is flag)
        for flag in (True, False)
    }
    blocks: list[list[Claim]] = []
    for i, role in enumerate(roles):
        owned = Shares(writer_pr[i], writer_mr[i], writer_sr[i])
        blocks.append(
            [
                Claim(
                    writers[i],
                    role,
                    Side.WRITER,
                    owned,
                    _world(owned),
                    controlled=controlled_writers[i],
                )
            ]
        )
    free = list(publishers)
    uncovered = set(keys_of[True])
    for number, controlled in enumerate(controlled_chains, start=1):
        # Controlled chains represent controlled writers (PWR after SWR), the others
        # other writers (PWR after OWR, CWR 2.2 only); every controlled writer gets
        # a publisher when there is a controlled chain (SWR-R-002).
        candidates = keys_of[controlled]
        represented = tuple(k for k in candidates if draw(st.booleans()))
        if controlled and number == sum(controlled_chains):
            represented += tuple(k for k in candidates if k in uncovered and k not in represented)
        if controlled:
            uncovered -= set(represented)
        owned = Shares(chain_pr[number - 1], chain_mr[number - 1], chain_sr[number - 1])
        chain = draw(_chain(free[:3], number, controlled, owned, represented))
        del free[: len(chain)]
        blocks.append(chain)
    blocks = draw(st.permutations(blocks))  # the model keeps claims in any order
    return [claim for block in blocks for claim in block]


@st.composite
def cwr_works(
    draw: st.DrawFn,
    writer_pool: list[InterestedParty] | None = None,
    publisher_pool: list[InterestedParty] | None = None,
    sender: str = SENDER,
) -> Work:
    """A valid work as a CWR sender sends it.

    Without pools, the work gets parties of its own; with them (at least 4
    writers and 6 publishers), it takes distinct parties from them.  The work
    has no id: give one before writing it when it has no number from ``sender``.
    """
    if writer_pool is None or publisher_pool is None:
        writer_pool, publisher_pool = draw(party_pool(4, 6))
    assert len(writer_pool) >= 4 and len(publisher_pool) >= 6
    writers = draw(st.permutations(writer_pool))
    publishers = draw(st.permutations(publisher_pool))

    version_type = draw(st.sampled_from(["ORI", "ORI", "MOD"]))
    text_music = draw(maybe(st.sampled_from(TEXT_MUSIC)))
    duration = draw(maybe(st.integers(1, 35999)))
    categories = ["POP", "UNC", "JAZ"] + (["SER"] if duration else [])  # SER needs a duration
    numbers = []
    if draw(st.booleans()):
        # The sender's own number starts with a letter: an export falls back to the local
        # id (digits) for works without one, and the two must not collide in one file.
        number = draw(st.sampled_from(string.ascii_uppercase)) + draw(
            st.text(KEY_ALPHABET, max_size=13)
        )
        numbers.append(WorkNumber(sender, number))
    society_numbers = draw(
        st.lists(
            st.tuples(st.sampled_from(SOCIETIES), cis_text(KEY_ALPHABET, 14)),
            max_size=2,
            unique_by=lambda n: n[0],
        )
    )
    numbers += [WorkNumber(issuer, number, "society") for issuer, number in society_numbers]
    instrumented = draw(st.lists(instrumentation(), max_size=1))
    excerpt_type = draw(maybe(st.sampled_from(_EXCERPTS)))
    composite_type = draw(maybe(st.sampled_from(_COMPOSITES)))
    return Work(
        title=draw(titles_text()),
        iswc=draw(maybe(iswcs())),
        language=draw(maybe(st.sampled_from(LANGUAGES))),
        duration=duration,
        version_type=version_type,
        original=draw(original_works()) if version_type == "MOD" else None,
        music_arrangement=draw(st.sampled_from(["NEW", "ARR", "ADM", "UNS", "ORI"]))
        if version_type == "MOD"
        else None,
        lyric_adaptation=draw(st.sampled_from(["NEW", "MOD", "NON", "ORI", "TRA", "UNS"]))
        if version_type == "MOD"
        else None,
        distribution_category=draw(st.sampled_from(categories)),
        text_music_relationship=text_music,
        copyright_date=draw(maybe(dates())),
        titles=draw(st.lists(alternate_titles(), max_size=3)),
        numbers=numbers,
        claims=draw(_claims(writers, publishers, version_type, text_music)),
        performers=draw(st.lists(performers(), max_size=2)),
        recordings=draw(st.lists(recordings(), max_size=2)),
        excerpt_type=excerpt_type,
        entire_work=draw(original_works()) if excerpt_type else None,
        composite_type=composite_type,
        composite_count=draw(st.integers(2, 999)) if composite_type else None,
        productions=draw(st.lists(productions(), max_size=2)),
        instrumentation=instrumented,
        instruments=draw(st.lists(instruments(), max_size=2)) if instrumented else [],
        components=draw(st.lists(components(), max_size=2)) if composite_type else [],
        notes=draw(st.lists(work_notes(), max_size=2)),
        references=draw(st.lists(cross_references(), max_size=2)),
    )


def _compact_iswc(work: Work) -> str | None:
    return iswc.compact(work.iswc) if work.iswc else None


@st.composite
def cwr_work_lists(
    draw: st.DrawFn, min_size: int = 1, max_size: int = 4, sender: str = SENDER
) -> list[Work]:
    """Works of one sender's repertoire: parties from one pool, works told apart.

    Titles, ISWCs and the sender's work numbers are unique, so that each work
    can be found again after an export and an import; so are society work
    numbers (a society's number identifies one work: the store enforces it).
    """
    writer_pool, publisher_pool = draw(party_pool(5, 7))
    works = draw(
        st.lists(
            cwr_works(writer_pool, publisher_pool, sender),
            min_size=min_size,
            max_size=max_size,
            unique_by=(
                lambda w: w.title,
                lambda w: _compact_iswc(w) or id(w),
                lambda w: w.number(sender) or id(w),
            ),
        )
    )
    seen: set[WorkNumber] = set()
    for work in works:
        work.numbers = [n for n in work.numbers if n not in seen]
        seen.update(work.numbers)
    return works


# -- comparing -------------------------------------------------------------------------


def cwr_view(work: Work, version: str, sender: str = SENDER) -> Work:
    """What a CWR ``version`` file sent by ``sender`` says of ``work`` (a copy).

    Left out, as :mod:`adapters.cwr.work_records` documents:

    * titles of type OT: the header carries the work's title;
    * work numbers other than the sender's: the header carries one submitter
      number (the sender's, else the local id), XRF records the society
      numbers, in CWR 2.2 only;
    * recording performers and ISNIs (no link from PER to REC, no ISNI field);
    * in CWR 2.1: territories of other publishers and writers (no OPT/OWT),
      links to other writers (no PWR after an OWR), recording titles, version
      titles, display artists, ISRC validities and the sender's recording
      identifiers (not in the 2.1 REC record), cross references
      (no XRF), the EIDR and the ISAN version's check character (not in the
      2.1 ORN record).

    A party's ``is_legal_entity`` is not carried either: publishers are read
    back as legal entities, writers as natural persons.  Publisher links
    (``Claim.writers``) are expected to name the writers by their keys.
    """
    v21 = version == "2.1"
    out = copy.deepcopy(work)
    out.titles = [t for t in out.titles if t.type != "OT"]
    number = work.number(sender) or (str(work.id) if work.id is not None else None)
    out.numbers = [WorkNumber(sender, number)] if number else []
    if not v21:
        out.numbers += [n for n in work.numbers if n.kind == "society"]
    if v21:
        out.references = []
        for production in out.productions:
            production.isan_version_check_digit = None
            production.eidr = production.eidr_check_digit = None
    for p in out.performers:
        p.isni = None
    for r in out.recordings:
        r.performers = []
        if v21:
            r.title = r.version_title = r.display_artist = None
            r.isrc_validity = r.submitter_recording_id = None
        elif r.isrc and r.isrc_validity is None:
            r.isrc_validity = "Y"  # the writer says an ISRC it has is valid
    controlled_writers = {c.party.key for c in out.writers if c.controlled}
    for claim in out.claims:
        claim.party.is_legal_entity = claim.side is Side.PUBLISHER
        if v21 and not claim.controlled:
            claim.territories = []
        if v21 and claim.side is Side.PUBLISHER:
            claim.writers = tuple(k for k in claim.writers if k in controlled_writers)
    return out


_RIGHT_ORDER = {right: n for n, right in enumerate(Right)}


def _claim_order(claim: Claim) -> tuple[bool, bool, int]:
    return (claim.side is Side.WRITER, not claim.controlled, claim.chain or 0)


def normalise(work: Work) -> Work:
    """A copy of ``work`` without the differences that are only representation.

    * ids (work, claims, parties) are the store's own, given on insertion;
    * sources (claims, recordings, affiliations) say who stated something and
      when: a re-imported work has a new provenance by definition;
    * ISWCs (of the work, its original, entire work and components) and ISRCs
      are compacted: CWR fields carry them without separators;
    * claims are put in CWR's physical order (stably): publishers before
      writers, controlled before other parties, publishers by chain number
      (the writer writes SPU chains, then OPU chains, then SWR, then OWR);
    * a publisher's represented writers (``Claim.writers``) are sorted: CWR
      carries one PWR record per link, under the writer, not an ordered list;
    * affiliations are sorted by right and territory: CWR has one society
      field per right, in the order PR, MR, SR;
    * work numbers are sorted: the sender's number is in the header, society
      numbers in XRF records, so their order is not kept.

    Everything else (titles and their order, names, keys, roles, shares,
    territories and their order, performers, recordings) is compared as it is.
    """
    out = copy.deepcopy(work)
    out.id = None
    out.iswc = _compact_iswc(out)
    for named in (out.original, out.entire_work, *out.components):
        if named is not None and named.iswc:
            named.iswc = iswc.compact(named.iswc)
    out.numbers = sorted(out.numbers, key=lambda n: (n.kind, n.issuer, n.number))
    for claim in out.claims:
        claim.id = None
        claim.source = None
        claim.writers = tuple(sorted(claim.writers))
        party = claim.party
        party.id = None
        party.affiliations = sorted(
            (Affiliation(a.society, Right(a.right), a.territory) for a in party.affiliations),
            key=lambda a: (_RIGHT_ORDER[a.right], a.territory, a.society),
        )
    out.claims.sort(key=_claim_order)
    for r in out.recordings:
        r.source = None
        if r.isrc:
            r.isrc = isrc_id.compact(r.isrc)
    return out
