"""Matching and conflict detection on a large store.

Usage (from the repository root), on a store made by the CWR benchmark:

    python bench/cwr_bench.py --works 1000000 --stages import-sqlite --dir /tmp/bench1m
    python bench/conflicts_bench.py --url sqlite:////tmp/bench1m/bench.db

Stages:

prepare  a second society (035) registers ``--shared`` works of the store as well,
         one in five with another original publisher (so: overclaims and
         counterclaims); done once per store
match    ``--incoming`` works arrive from a third society (077) without ISWC and
         under its own numbers: 60 % with a title and writers we hold (spelt with
         another case or article), 20 % with a misspelt title, 20 % new works;
         times :class:`exchange.matching.matcher.Matcher` alone, and checks the answers
detect   times ``exchange conflicts detect`` over the whole store

See bench/README.md for figures.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from exchange.conflicts.lifecycle import Conflicts  # noqa: E402
from exchange.matching.matcher import Matcher  # noqa: E402
from exchange.model import Claim, Source, Work, WorkNumber  # noqa: E402
from exchange.store import Store, tables  # noqa: E402
from exchange.store.rows import now  # noqa: E402

CHUNK = 2000
SECOND, THIRD = "035", "077"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _copy(claim: Claim) -> Claim:
    party = replace(claim.party, key=None, id=None, affiliations=list(claim.party.affiliations))
    return replace(claim, party=party, source=None, id=None, writers=())


def prepare(store: Store, shared: int, rng: random.Random) -> None:
    with store.connect() as conn:
        done = conn.execute(
            select(func.count())
            .select_from(tables.sources)
            .where(tables.sources.c.partner == SECOND)
        ).scalar_one()
    if done:
        print(f"prepare: {SECOND} registered {done} works already")
        return
    ids = store.work_ids()
    chosen = sorted(rng.sample(ids, min(shared, len(ids))))
    publishers = [c.party for w in store.iter_works(ids[:50]) for c in w.publishers]
    start = time.perf_counter()
    for part in range(0, len(chosen), CHUNK):
        batch = list(store.iter_works(chosen[part : part + CHUNK]))
        with store.connect() as conn:
            writer = store.writer(conn)
            items = []
            for work in batch:
                claims = [_copy(c) for c in work.claims]
                if rng.random() < 0.2:  # another original publisher: a disputed share
                    first = next(i for i, c in enumerate(claims) if c.role == "E")
                    other = rng.choice(publishers)
                    claims[first] = replace(claims[first], party=replace(other, key=None))
                source = Source(SECOND, "CW260001035_052.V21", work.id, now(), "NWR")
                copy = Work(title=work.title, numbers=[WorkNumber(SECOND, f"G{work.id}")])
                copy.claims = claims
                items.append((work.id, copy, source))
            source_ids = writer.source_ids([s for _, _, s in items])
            writer.add_details(
                [(wid, w, s, sid) for (wid, w, s), sid in zip(items, source_ids, strict=True)]
            )
    print(
        f"prepare: {len(chosen)} works registered by {SECOND} in {time.perf_counter() - start:.0f}s"
    )


def _misspelt(title: str, rng: random.Random) -> str:
    words = title.split()
    last = words[-1]
    if len(last) > 3:
        i = rng.randrange(1, len(last))
        words[-1] = last[:i] + last[i + 1 :]
    else:
        words[-1] = last + "E"
    return " ".join(words)


def match(store: Store, incoming: int, rng: random.Random) -> None:
    ids = store.work_ids()
    sample = rng.sample(ids, min(incoming, len(ids)))
    others = rng.sample(ids, min(incoming, len(ids)))
    arriving: list[tuple[Work, str, int | None, str]] = []  # work, sender, expected id, kind
    loaded = time.perf_counter()
    for n, (work, stranger) in enumerate(
        zip(store.iter_works(sample), store.iter_works(others), strict=True)
    ):
        roll = rng.random()
        if roll < 0.6:
            title, expected, kind = f"The {work.title.lower()}", work.id, "same"
        elif roll < 0.8:
            title, expected, kind = _misspelt(work.title, rng), work.id, "misspelt"
        else:  # a new work: a title of our own making, another work's writers
            title, expected, kind = f"{work.title} {n} NEW", None, "new"
            work = stranger
        claims = [_copy(c) for c in work.claims]
        arriving.append(
            (
                Work(title=title, numbers=[WorkNumber(THIRD, f"N{n}")], claims=claims),
                THIRD,
                expected,
                kind,
            )  # fmt: skip
        )
    print(f"match: {len(arriving)} incoming works built in {time.perf_counter() - loaded:.0f}s")

    results = []
    start = time.perf_counter()
    with store.connect() as conn:
        matcher = Matcher(conn, 95, 80)
        for part in range(0, len(arriving), CHUNK):
            batch = arriving[part : part + CHUNK]
            results += matcher.match_many([(w, sender) for w, sender, _, _ in batch])
    seconds = time.perf_counter() - start

    tally: dict[str, dict[str, int]] = {}
    for (_, _, expected, kind), found in zip(arriving, results, strict=True):
        if found is None:
            outcome = "none"
        elif found.score >= 95:
            outcome = "merged" if found.work_id == expected else "merged WRONG"
        else:
            outcome = "review" if found.work_id == expected else "review other"
        tally.setdefault(kind, {}).setdefault(outcome, 0)
        tally[kind][outcome] += 1
    print(
        f"match: {len(arriving)} works in {seconds:.1f}s ({len(arriving) / seconds:,.0f} works/s), "
        f"peak {_peak_mb():.0f} MB"
    )
    for kind, outcomes in tally.items():
        print(f"  {kind:9s} " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))


def detect(store: Store) -> None:
    start = time.perf_counter()
    result = Conflicts(store, lambda _partner: 60).detect()
    seconds = time.perf_counter() - start
    print(
        f"detect: {result.works_checked} shared works checked, {result.conflicts_found} "
        f"conflicts ({', '.join(f'{n} {k}' for k, n in sorted(result.by_kind.items()))}), "
        f"{result.conflicts_opened} new, in {seconds:.1f}s, peak {_peak_mb():.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of a filled store")
    parser.add_argument("--incoming", type=int, default=100_000)
    parser.add_argument("--shared", type=int, default=100_000)
    parser.add_argument("--stages", default="prepare,match,detect")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    store = Store(args.url)
    store.init()  # brings an older benchmark store up to date
    rng = random.Random(args.seed)
    with store.connect() as conn:
        total = conn.execute(select(func.count()).select_from(tables.works)).scalar_one()
    print(f"store: {total} works")
    for stage in args.stages.split(","):
        {"prepare": lambda: prepare(store, args.shared, rng),
         "match": lambda: match(store, args.incoming, rng),
         "detect": lambda: detect(store)}[stage]()  # fmt: skip


if __name__ == "__main__":
    main()
