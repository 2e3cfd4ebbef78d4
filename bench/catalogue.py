"""The benchmark's catalogues, each written as one CWR 2.1 file of NWR transactions.

``varied``: about 18 records per work (an original publisher and a UK
sub-publisher, two or three writers with territories and PWR links, alternate
titles, a performer, recordings), titles made of a common word and made-up
ones, so nearly all distinct; 2,000 writers and 300 publishers shared.

``common``: titles repeated as a real catalogue's are (a third of the works
called LOVE, HOME, INTRO...; a fifth of those by the writers of an earlier work
of the title, the others by other writers), from :mod:`tests.catalogues`, with
as many writers and publishers as ``varied``; about 8 records per work.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.cwr.file_writer import CwrWriter  # noqa: E402
from exchange.identifiers import ipi_name, iswc  # noqa: E402
from exchange.model import (  # noqa: E402
    Affiliation,
    Claim,
    InterestedParty,
    Performer,
    Recording,
    Right,
    Shares,
    Side,
    TerritoryShare,
    Title,
    Work,
    WorkNumber,
)

SENDER = "199"
WRITERS, PUBLISHERS = 2000, 300
WORDS = (
    "LOVE NIGHT DANCE RIVER LIGHT HEART SUMMER RAIN GOLD FIRE SILENT CITY ROAD HOME "
    "BLUE MORNING SHADOW OCEAN WILD STAR DREAM GLASS HIGHWAY ECHO THUNDER VELVET"
).split()
SYLLABLES = "KA LO MI RE SU TA VE NO DI BRA ZEN FO GLI MAR TOS QUE LIN DRA PE SHU".split()
SOCIETIES = ("052", "058", "035", "010", "021", "079", "074", "023")


def _ipi(n: int) -> str:
    body = f"{n:09d}"
    return body + ipi_name.calc_check_digit(body)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))


def varied_title(rng: random.Random) -> str:
    """A common word and one to three made-up ones: as varied as a real catalogue's titles."""
    return " ".join([rng.choice(WORDS)] + [_word(rng) for _ in range(rng.randint(1, 3))])


def _party(rng: random.Random, kind: str, n: int) -> InterestedParty:
    society = rng.choice(SOCIETIES)
    if kind == "W":
        last, first, legal = f"{rng.choice(WORDS)}SON", rng.choice(WORDS).title().upper(), False
    else:
        last, first, legal = f"{rng.choice(WORDS)} {rng.choice(WORDS)} MUSIC", "", True
    return InterestedParty(
        last_name=last,
        first_name=first,
        ipi_name_number=_ipi(1_000_000 + n if kind == "W" else 5_000_000 + n),
        is_legal_entity=legal,
        key=f"{kind}{n:06d}",
        affiliations=[Affiliation(society, Right.PR), Affiliation(society, Right.MR)],
    )


def make_work(rng: random.Random, i: int, writers: list, publishers: list) -> Work:
    """About 20 records: 2 chains (E + SE), 2-3 writers, territories, titles, recordings."""
    body = f"{i:09d}"
    work = Work(
        title=varied_title(rng),
        iswc="T" + body + iswc.calc_check_digit(body),
        language="EN",
        duration=rng.randint(120, 420),
        distribution_category="POP",
        numbers=[WorkNumber(SENDER, f"BW{i:010d}")],
    )
    team = rng.sample(writers, rng.randint(2, 3))
    writer_pr = 5000 // len(team)
    shares = [writer_pr] * len(team)
    shares[0] += 5000 - sum(shares)
    for party, pr in zip(team, shares, strict=True):
        work.claims.append(
            Claim(
                party,
                rng.choice(("CA", "C", "A")) if party is not team[0] else "CA",
                Side.WRITER,
                Shares(pr, 0, 0),
                [TerritoryShare("2136", True, Shares(pr, 0, 0))],
            )
        )
    original, sub = rng.sample(publishers, 2)
    work.claims.append(
        Claim(
            original,
            "E",
            Side.PUBLISHER,
            Shares(5000, 10000, 10000),
            [
                TerritoryShare("2136", True, Shares(5000, 10000, 10000)),
                TerritoryShare("0826", False),
            ],
            chain=1,
            writers=tuple(p.key for p in team),
        )
    )
    work.claims.append(
        Claim(
            sub,
            "SE",
            Side.PUBLISHER,
            territories=[TerritoryShare("0826", True, Shares(5000, 10000, 10000))],
            chain=1,
        )
    )
    work.titles = [Title(varied_title(rng), "AT") for _ in range(rng.randint(1, 3))]
    work.performers = [Performer(f"THE {rng.choice(WORDS)}S")]
    for k in range(rng.randint(1, 2)):
        work.recordings.append(
            Recording(
                isrc=f"GBAYE{rng.randint(0, 99):02d}{(i * 2 + k) % 100000:05d}",
                title=work.title,
                duration=work.duration,
                label="BENCH RECORDS",
                release_date=date(2020, 1, 1 + k),
                album_title="BENCH ALBUM",
            )
        )
    return work


def _varied(path: Path, works: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    writers = [_party(rng, "W", n) for n in range(WRITERS)]
    publishers = [_party(rng, "P", n) for n in range(PUBLISHERS)]
    with path.open("wb") as fh:
        writer = CwrWriter(
            fh,
            "2.1",
            sender=SENDER,
            sender_name="BENCH PUBLISHING",
            sender_type="PB",
            created=datetime(2026, 1, 1, tzinfo=UTC),
        )
        for i in range(1, works + 1):
            writer.add(make_work(rng, i, writers, publishers))
        writer.close()


def _common(path: Path, works: int) -> None:
    from tests.catalogues import common_title_catalogue, write_catalogue

    catalogue = common_title_catalogue(works, SENDER, writers=WRITERS, publishers=PUBLISHERS)
    assert write_catalogue(catalogue, path.parent, SENDER) == path


CATALOGUES = {"varied": _varied, "common": _common}


def write_file(kind: str, folder: Path, works: int) -> Path:
    """The catalogue ``kind`` of ``works`` works as a CWR 2.1 file in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"CW260001{SENDER}_052.V21"
    CATALOGUES[kind](path, works)
    return path
