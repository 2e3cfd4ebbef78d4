"""Which work of the store an incoming work is, when neither its ISWC nor the sender's
own work number says so.

In order of certainty (the import tries the ISWC and the sender's own number
first):

1. a society work number: one the work carries (CWR 2.2 XRF), or the sender's
   own number when the store knows it as that society's number (from its ACKs);
2. the title and the writers: the normalised title (case, accents,
   punctuation, leading articles do not count) of the work or of one of its
   alternate titles, and the writers by IPI name number, else by normalised name
   (a placeholder IPI of zeros is no IPI);
3. a similar title (rapidfuzz) with the writers.

A score from 0 to 100 says how sure a match is: numbers give 100; a title
gives its similarity, kept whole when every writer of the smaller list is on
the other, cut by a tenth when only some are, by three tenths when none is
(a title alone is not enough). At or above ``certain`` the work is taken as
the same work; from ``review`` on it waits for a person (``exchange matches``).
A similar title is never certain (it scores at most ``certain - 1``), and titles
whose numbers differ ("SONG 1", "SONG 2") are not similar.

A work the sender registered itself under another work number is never the
same work, however sure the match: the sender's numbers say two works. Only
when it has its ISWC or society number, or its title and the very same writers,
does the match say ``own``, and the import keeps the incoming work as a work of
its own and queues it as a possible duplicate (:mod:`exchange.imports.apply`); a
lesser resemblance to the sender's own works is no question at all (a
catalogue holds many works called "LOVE", by writers who write together).
Between two candidates that score alike, a work of another sender is preferred.
:class:`SeenTitles` finds such duplicates among the works of one batch, which
the store does not hold yet.

Candidates for a similar title are the works whose normalised titles sort
nearest to it (``CANDIDATES`` of them, from the title index): spelling variants
mostly differ towards the end of a title. A batch costs two index reads per title,
all in two statements on PostgreSQL.

Candidates with the very same title are read through the incoming works' writers
(their works, then those works' titles), not through the title: a title such as
LOVE is held by more works the more the store grows, and without a writer in common
a title scores below ``review`` (unless ``review`` is set that low).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import ARRAY, Connection, bindparam, func, select, true
from sqlalchemy.engine import Dialect

from exchange.identifiers import known
from exchange.model import Side, Work
from exchange.normalise import normalise_name, normalise_title
from exchange.store import tables as t
from exchange.store.reader import registered_by
from exchange.store.rows import one_of

#: Candidate works read per title: the titles that sort nearest to it, half on each side.
CANDIDATES = 40
_NUMBERS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class Match:
    """The work an incoming work most probably is."""

    work_id: int
    score: int
    reason: str
    #: the work is one the sender registered under another work number of its own
    own: bool = False


@dataclass(frozen=True, slots=True)
class _Writers:
    ipis: frozenset[str]
    names: frozenset[str]

    def overlap(self, other: _Writers) -> float:
        """Share of the smaller list found on the other (by IPI, else by name); -1 if unknown."""
        if not (self.ipis or self.names) or not (other.ipis or other.names):
            return -1.0
        if self.ipis and other.ipis:
            common, smaller = len(self.ipis & other.ipis), min(len(self.ipis), len(other.ipis))
        else:
            common, smaller = len(self.names & other.names), min(len(self.names), len(other.names))
        return common / smaller if smaller else 0.0

    def same(self, other: _Writers) -> bool:
        """The same writers (by IPI, else by name), none missing on either side."""
        if self.ipis and other.ipis:
            return self.ipis == other.ipis
        return bool(self.names) and self.names == other.names


def _writers_of(work: Work) -> _Writers:
    writers = [c.party for c in work.claims if c.side is Side.WRITER]
    return _Writers(
        frozenset(ipi for ipi in (known(p.ipi_name_number) for p in writers) if ipi),
        frozenset(normalise_name(p.name) for p in writers if p.last_name),
    )


def _titles_of(work: Work) -> list[str]:
    found = [normalise_title(work.title)] + [normalise_title(t.title) for t in work.titles]
    return [title for title in dict.fromkeys(found) if title]


@lru_cache(maxsize=65536)
def _digits(title: str) -> tuple[str, ...]:
    """The numbers in a title (cached: a batch compares each candidate's many times)."""
    return tuple(_NUMBERS.findall(title))


def score(title_similarity: float, writer_overlap: float) -> int:
    """The match score of a title similarity (0-100) and a writer overlap (0-1, -1 unknown).

    >>> score(100, 1.0), score(100, 0.5), score(100, 0.0), score(92.5, 1.0)
    (100, 90, 70, 92)
    """
    if writer_overlap >= 1.0:
        factor = 1.0
    elif writer_overlap > 0:
        factor = 0.9
    else:
        factor = 0.7
    return int(title_similarity * factor)


def _reason(similarity: float, overlap: float) -> str:
    how = "title" if similarity == 100 else f"similar title ({similarity:.0f})"
    return f"{how} and {'writers' if overlap >= 1 else 'some writers'}"


class WorkKeys:
    """The normalised titles and the writers of incoming works, each work's found once:
    the matcher and :class:`SeenTitles` both need them (it holds the works it was asked about,
    so that their ids stay theirs)."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[Work, list[str], _Writers]] = {}

    def of(self, work: Work) -> tuple[list[str], _Writers]:
        """(normalised titles, writers) of a work."""
        held = self._by_id.get(id(work))
        if held is None:
            held = self._by_id[id(work)] = (work, _titles_of(work), _writers_of(work))
        return held[1], held[2]


class SeenTitles:
    """Works met earlier in one batch, by normalised title: the store does not hold them
    yet, so the matcher cannot find a later work of the batch with the same title and
    the same writers (a possible duplicate of the sender's).

    >>> from exchange.model import Claim, InterestedParty, Side
    >>> def work(title):
    ...     writer = InterestedParty(last_name="SMITH", ipi_name_number="00014107338")
    ...     return Work(title=title, claims=[Claim(writer, "CA", Side.WRITER)])
    >>> seen = SeenTitles()
    >>> seen.add(work("Love"), "W1")
    >>> seen.find(work("LOVE!"))
    ('W1', 100, 'title and writers')
    >>> seen.find(work("HOME")) is None
    True
    """

    def __init__(self, keys: WorkKeys | None = None) -> None:
        self._by_title: dict[str, list[tuple[str, _Writers]]] = {}
        self.keys = keys or WorkKeys()

    def add(self, work: Work, key: str, *, find: bool = False) -> tuple[str, int, str] | None:
        """Remember a work of the batch under ``key`` (its sender's work number); with
        ``find``, first say which earlier work it is like (as :meth:`find` does)."""
        titles, writers = self.keys.of(work)
        found = self._find(titles, writers) if find else None
        for title in titles:
            self._by_title.setdefault(title, []).append((key, writers))
        return found

    def find(self, work: Work) -> tuple[str, int, str] | None:
        """(key, score, reason) of the first earlier work with its title and writers."""
        return self._find(*self.keys.of(work))

    def _find(self, titles: list[str], incoming: _Writers) -> tuple[str, int, str] | None:
        for title in titles:
            for key, writers in self._by_title.get(title, ()):
                if incoming.same(writers):
                    return key, 100, _reason(100, 1.0)
        return None


_NOBODY = _Writers(frozenset(), frozenset())


class _Contenders:
    """The candidates of a title (or of a work's titles) for the works of one sender, with
    its own works among them sorted out once for all the works that share the title.

    A work the sender registered under another number contends only with the very same
    title and writers (:meth:`_Writers.same`): those are found by their writers, not
    compared one by one, as a common title is held by many of the sender's own works.
    """

    def __init__(
        self,
        similar: dict[int, float],
        writers: dict[int, _Writers],
        registered: set[tuple[int, str]],
        sender: str,
    ) -> None:
        self.writers = writers
        self.others: list[tuple[int, float]] = []
        #: the sender's own candidates of the very same title, by their writers' IPIs
        #: and by their names
        self.own_by_ipis: dict[frozenset[str], list[int]] = {}
        self.own_by_names: dict[frozenset[str], list[int]] = {}
        for work_id, similarity in similar.items():
            if (work_id, sender) not in registered:
                self.others.append((work_id, similarity))
            elif similarity == 100:
                theirs = writers.get(work_id, _NOBODY)
                if theirs.ipis:
                    self.own_by_ipis.setdefault(theirs.ipis, []).append(work_id)
                self.own_by_names.setdefault(theirs.names, []).append(work_id)

    def best(self, ours: _Writers, review: int) -> Match | None:
        """The best match at or above ``review`` for a work with these writers."""
        best: Match | None = None
        for work_id, similarity, own in self._contending(ours):
            overlap = ours.overlap(self.writers.get(work_id, _NOBODY))
            value = score(similarity, overlap)
            if value >= review and (
                best is None
                or (value, not own, -work_id) > (best.score, not best.own, -best.work_id)
            ):
                best = Match(work_id, value, _reason(similarity, overlap), own)
        return best

    def _contending(self, ours: _Writers) -> list[tuple[int, float, bool]]:
        """(candidate, similarity, own) of the candidates that may match: others' works,
        and the sender's own works with the very same title and writers."""
        found = [(work_id, similarity, False) for work_id, similarity in self.others]
        if ours.ipis:
            found += [(w, 100.0, True) for w in self.own_by_ipis.get(ours.ipis, ())]
        if ours.names:
            found += [
                (w, 100.0, True)
                for w in self.own_by_names.get(ours.names, ())
                if not (ours.ipis and self.writers.get(w, _NOBODY).ipis)
            ]
        return found


class Matcher:
    """Matches incoming works against the store, a batch at a time."""

    def __init__(self, conn: Connection, certain: int = 95, review: int = 80) -> None:
        self.conn = conn
        self.certain = certain
        self.review = review

    def match_many(
        self, works: Sequence[tuple[Work, str]], keys: WorkKeys | None = None
    ) -> list[Match | None]:
        """For each (work, sender): the best match at or above ``review``, else None
        (``keys``: the works' keys, when they are needed again after matching).

        Similar titles are looked for only for works without an ISWC: a work whose
        ISWC the store does not hold is new, unless its title and writers are ours.
        """
        found: list[Match | None] = self._by_society_numbers(works)
        rest = [i for i, m in enumerate(found) if m is None]
        keys = keys or WorkKeys()
        titles: dict[int, list[str]] = {}
        incoming: dict[int, _Writers] = {}
        for i in rest:
            titles[i], incoming[i] = keys.of(works[i][0])
        fuzzy = {titles[i][0] for i in rest if titles[i] and not works[i][0].iswc}
        candidates = self._title_candidates(
            {t for ts in titles.values() for t in ts},
            fuzzy,
            self._written_by([incoming[i] for i in rest if titles[i]]),
        )
        # per title (a batch repeats common titles): candidate -> its best similarity
        alike = {title: self._similar(title, found) for title, found in candidates.items()}
        similar: dict[int, dict[int, float]] = {}  # per work: candidate -> similarity
        for i in rest:
            if len(titles[i]) == 1:
                similar[i] = alike[titles[i][0]]
                continue
            seen: dict[int, float] = {}
            for title in titles[i]:
                for work_id, similarity in alike[title].items():
                    if similarity > seen.get(work_id, -1):
                        seen[work_id] = similarity
            similar[i] = seen
        candidate_ids = {w for pairs in similar.values() for w in pairs}
        writers = self._writers(sorted(candidate_ids))
        registered = registered_by(self.conn, candidate_ids | {m.work_id for m in found if m})
        for i, match in enumerate(found):
            if match is not None and (match.work_id, works[i][1]) in registered:
                found[i] = Match(match.work_id, match.score, match.reason, own=True)
        # per (candidates, sender): works with one title share their title's candidates
        contenders: dict[tuple[int, str], _Contenders] = {}
        for i in rest:
            if not similar[i]:
                continue
            sender = works[i][1]
            key = (id(similar[i]), sender)
            if key not in contenders:
                contenders[key] = _Contenders(similar[i], writers, registered, sender)
            found[i] = contenders[key].best(incoming[i], self.review)
        return found

    def _similar(self, title: str, candidates: list[tuple[int, str]]) -> dict[int, float]:
        """Candidate work id -> the best similarity of its titles to ``title``, for those
        at or above ``review``."""
        seen: dict[int, float] = {}
        for work_id, other in candidates:
            if other == title:
                similarity = 100.0
            elif _digits(other) != _digits(title):
                continue  # "SONG 1" and "SONG 2" are two works
            else:
                # a similar title is never certain on its own: a person decides
                similarity = min(fuzz.ratio(title, other), self.certain - 1)
            if similarity >= self.review and similarity > seen.get(work_id, -1):
                seen[work_id] = similarity
        return seen

    def _by_society_numbers(self, works: Sequence[tuple[Work, str]]) -> list[Match | None]:
        keys: list[list[tuple[str, str]]] = []
        for work, sender in works:
            mine = [(n.issuer, n.number) for n in work.numbers if n.kind == "society"]
            own = work.number(sender)
            if own:
                mine.append((sender, own))  # the sender's number, known from its ACKs?
            keys.append(mine)
        numbers = sorted({number for mine in keys for _, number in mine})
        n = t.work_numbers
        held: dict[tuple[str, str], int] = {}
        if numbers:
            rows = self.conn.execute(
                select(n.c.issuer, n.c.number, n.c.work_id).where(
                    n.c.kind == "society", one_of(self.conn.dialect.name, n.c.number, numbers)
                )
            )
            held.update({(issuer, number): work_id for issuer, number, work_id in rows})
        result: list[Match | None] = []
        for mine in keys:
            hit = next((held[k] for k in mine if k in held), None)
            result.append(None if hit is None else Match(hit, 100, "society work number"))
        return result

    def _written_by(self, incoming: Sequence[_Writers]) -> list[int] | None:
        """The works of the store with one of these writers (by IPI or by name): the only
        ones the very same title brings to ``review``, as a title without a writer in
        common scores ``score(100, 0)``. None when that score reaches ``review`` (set that
        low): then any work of the title may match.

        Read through the writers, not through the titles: a title such as LOVE is held by
        more works the more the store grows, a writer's works are the writer's.
        """
        if self.review <= score(100, 0):
            return None
        c, p = t.claims, t.parties
        dialect = self.conn.dialect.name
        ipis = sorted({ipi for writers in incoming for ipi in writers.ipis})
        names = sorted({name for writers in incoming for name in writers.names})
        party_ids: set[int] = set()  # (rows fetched all at once: faster than one by one)
        for column, values in ((p.c.ipi_name_number, ipis), (p.c.name_norm, names)):
            if values:
                query = select(p.c.id).where(one_of(dialect, column, values))
                party_ids.update(self.conn.execute(query).scalars().all())
        work_ids: set[int] = set()
        writer = c.c.side == str(Side.WRITER)
        ids = sorted(party_ids)
        if ids:
            query = select(c.c.work_id).where(one_of(dialect, c.c.party_id, ids), writer)
            work_ids.update(self.conn.execute(query).scalars().all())
        return sorted(work_ids)

    def _title_candidates(
        self, titles: set[str], fuzzy: set[str], among: Sequence[int] | None = None
    ) -> dict[str, list[tuple[int, str]]]:
        """Per normalised title: (work id, its title) of works with this exact title or
        alternate title (only works of ``among`` if given), and for the ``fuzzy`` titles
        also of the works whose titles sort nearest to it."""
        w, ti = t.works, t.titles
        near = _nearest_titles(self.conn, sorted(fuzzy))
        exact: dict[str, list[tuple[int, str]]] = {}
        dialect = self.conn.dialect.name
        # the works of these titles, or the titles of the works ``among``
        keys = sorted(titles) if among is None else among
        if keys:
            for work_id, norm in (ti.c.work_id, ti.c.title_norm), (w.c.id, w.c.title_norm):
                key = norm if among is None else work_id
                query = select(work_id, norm).where(one_of(dialect, key, keys))
                for row_work, row_norm in self.conn.execute(query).all():
                    if row_norm in titles:
                        exact.setdefault(row_norm, []).append((row_work, row_norm))
        return {
            title: list(dict.fromkeys(exact.get(title, []) + near.get(title, [])))
            for title in titles
        }

    def _writers(self, work_ids: Sequence[int]) -> dict[int, _Writers]:
        c, p = t.claims, t.parties
        ipis: dict[int, set[str]] = {}
        names: dict[int, set[str]] = {}
        ids = list(work_ids)
        if ids:
            rows = self.conn.execute(
                select(c.c.work_id, p.c.ipi_name_number, p.c.name_norm)
                .join(p, p.c.id == c.c.party_id)
                .where(
                    one_of(self.conn.dialect.name, c.c.work_id, ids), c.c.side == str(Side.WRITER)
                )
            )
            for work_id, ipi, name in rows.all():  # all at once: much faster than row by row
                if known(ipi):
                    ipis.setdefault(work_id, set()).add(ipi)
                names.setdefault(work_id, set()).add(name)
        return {
            work_id: _Writers(frozenset(ipis.get(work_id, ())), frozenset(names[work_id]))
            for work_id in names
        }


def _nearest_titles(conn: Connection, titles: list[str]) -> dict[str, list[tuple[int, str]]]:
    """Per title: (id, normalised title) of the ``CANDIDATES`` works whose titles sort
    nearest to it, half above, then half below.

    On PostgreSQL one statement for all the titles (a lateral join on each side);
    on SQLite two index reads per title, through the driver with the statements
    compiled once (SQLAlchemy's own execution of a statement costs more than
    SQLite's reading of the index).
    """
    if not titles:
        return {}
    near: dict[str, list[tuple[int, str]]] = {title: [] for title in titles}
    if conn.dialect.name == "postgresql":
        for side in _near_sides():
            for title, work_id, norm in conn.execute(side, {"titles": titles}):
                near[title].append((work_id, norm))
        return near
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        statements = _near_statements(conn.dialect)
        for title in titles:
            found = near[title]
            for sql, order in statements:
                cursor.execute(sql, tuple(title if p is None else p for p in order))
                found.extend(cursor.fetchall())
    finally:
        cursor.close()
    return near


def _near_select(title: Any, above: bool) -> Any:
    w = t.works
    order = w.c.title_norm if above else w.c.title_norm.desc()
    where = w.c.title_norm > title if above else w.c.title_norm < title
    return select(w.c.id, w.c.title_norm).where(where).order_by(order).limit(CANDIDATES // 2)


@lru_cache(maxsize=8)
def _near_statements(dialect: Dialect) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """The SQL of the two nearest-title reads and their parameters (None: the title)."""
    found = []
    for above in (True, False):
        compiled = _near_select(bindparam("title"), above).compile(dialect=dialect)
        names = compiled.positiontup or []
        found.append(
            (compiled.string, tuple(None if n == "title" else compiled.params[n] for n in names))
        )
    return tuple(found)


@cache
def _near_sides() -> tuple[Any, ...]:
    """PostgreSQL: (title, id, normalised title) of the works nearest to each of the
    ``titles`` (an array parameter), one statement for each side."""
    wanted = (
        func.unnest(bindparam("titles", type_=ARRAY(t.works.c.title_norm.type)))
        .table_valued("title")
        .render_derived("wanted")
    )
    sides = []
    for above in (True, False):
        side = _near_select(wanted.c.title, above).lateral("near")
        sides.append(
            select(wanted.c.title, side.c.id, side.c.title_norm).select_from(
                wanted.join(side, true())
            )
        )
    return tuple(sides)
