"""Generated catalogues of one sender whose titles repeat as real catalogues' do.

A publisher's repertoire holds many works called "LOVE", "HOME" or "INTRO", by
different writers and sometimes by the same ones; each is a work of its own
under its own work number. :func:`common_title_catalogue` makes such a
catalogue, the same for the same seed, and :func:`write_catalogue` writes it as
a CWR 2.1 file of NWR transactions.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from adapters.cwr.file_writer import CwrWriter
from exchange.identifiers import ipi_name, iswc
from exchange.model import (
    Affiliation,
    Claim,
    InterestedParty,
    Right,
    Shares,
    Side,
    TerritoryShare,
    Work,
    WorkNumber,
)

#: Titles that real catalogues hold many times over.
COMMON_TITLES = (
    "LOVE",
    "HOME",
    "INTRO",
    "OUTRO",
    "INTERLUDE",
    "HELLO",
    "TONIGHT",
    "FOREVER",
    "ANGEL",
    "HOLD ON",
    "THE END",
    "STAY",
)
_SYLLABLES = "KA LO MI RE SU TA VE NO DI BRA ZEN FO GLI MAR TOS QUE LIN DRA PE SHU".split()
WORLD = "2136"


def _ipi(n: int) -> str:
    body = f"{n:09d}"
    return body + ipi_name.calc_check_digit(body)


def _party(n: int, *, writer: bool) -> InterestedParty:
    society = ("052", "058", "035")[n % 3]
    return InterestedParty(
        last_name=f"{'WRITER' if writer else 'PUBLISHING'} {n:03d}",
        first_name="ALEX" if writer else "",
        ipi_name_number=_ipi((100_000 if writer else 500_000) + n),
        is_legal_entity=not writer,
        key=f"{'W' if writer else 'P'}{n:05d}",
        affiliations=[Affiliation(society, Right.PR), Affiliation(society, Right.MR)],
    )


def common_title_catalogue(
    count: int, sender: str, seed: int = 14, writers: int = 40, publishers: int = 6
) -> list[Work]:
    """``count`` works numbered ``C000001``...: a third with a common title (a fifth of
    those by the writers of an earlier work of that title), half with an ISWC; their
    writers and publishers drawn from ``writers`` and ``publishers`` parties."""
    rng = random.Random(seed)
    team_of = [_party(n, writer=True) for n in range(writers)]
    houses = [_party(n, writer=False) for n in range(publishers)]
    teams: dict[str, list[InterestedParty]] = {}
    works = []
    for i in range(1, count + 1):
        if rng.random() < 1 / 3:
            title = rng.choice(COMMON_TITLES)
        else:
            title = " ".join("".join(rng.sample(_SYLLABLES, 3)) for _ in range(2))
        if title in teams and rng.random() < 0.2:
            team = teams[title]
        else:
            team = rng.sample(team_of, rng.randint(1, 3))
            teams.setdefault(title, team)
        body = f"{i:09d}"
        work = Work(
            title=title,
            iswc="T" + body + iswc.calc_check_digit(body) if rng.random() < 0.5 else None,
            distribution_category="POP",
            numbers=[WorkNumber(sender, f"C{i:06d}")],
        )
        shares = [5000 // len(team)] * len(team)
        shares[0] += 5000 - sum(shares)
        for party, pr in zip(team, shares, strict=True):
            world = [TerritoryShare(WORLD, True, Shares(pr, 0, 0))]
            work.claims.append(Claim(party, "CA", Side.WRITER, Shares(pr, 0, 0), world))
        everything = Shares(5000, 10000, 10000)
        work.claims.append(
            Claim(
                rng.choice(houses),
                "E",
                Side.PUBLISHER,
                everything,
                [TerritoryShare(WORLD, True, everything)],
                chain=1,
                writers=tuple(p.key for p in team),
            )
        )
        works.append(work)
    return works


def write_catalogue(works: list[Work], folder: Path, sender: str) -> Path:
    """The works as one CWR 2.1 file from ``sender`` to society 052."""
    path = folder / f"CW260001{sender}_052.V21"
    with path.open("wb") as stream:
        writer = CwrWriter(
            stream,
            "2.1",
            sender=sender,
            sender_name=f"PUBLISHER {sender}",
            sender_type="PB",
            created=datetime(2026, 1, 1, tzinfo=UTC),
        )
        for work in works:
            writer.add(work)
        writer.close()
    return path
