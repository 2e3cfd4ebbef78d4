"""CWR benchmark: generate a realistic CWR 2.1 file, then time reading, validating, importing
and exporting it, each stage in its own process so that its peak memory is its own.

Usage (from the repository root):

    python bench/cwr_bench.py --works 10000
    python bench/cwr_bench.py --works 10000 --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/cwr_bench.py --works 1000000 --stages import-sqlite

Figures are lines per second and peak resident memory (MB) per stage: of the stage's
process, and the largest of its worker processes. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import operator
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
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
WORDS = (
    "LOVE NIGHT DANCE RIVER LIGHT HEART SUMMER RAIN GOLD FIRE SILENT CITY ROAD HOME "
    "BLUE MORNING SHADOW OCEAN WILD STAR DREAM GLASS HIGHWAY ECHO THUNDER VELVET"
).split()
SYLLABLES = "KA LO MI RE SU TA VE NO DI BRA ZEN FO GLI MAR TOS QUE LIN DRA PE SHU".split()
SOCIETIES = ("052", "058", "035", "010", "021", "079", "074", "023")
STAGES = ("floor", "validate", "import-sqlite", "import-postgres", "export")


def _ipi(n: int) -> str:
    body = f"{n:09d}"
    return body + ipi_name.calc_check_digit(body)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))


def _title(rng: random.Random) -> str:
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
        title=_title(rng),
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
    work.titles = [Title(_title(rng), "AT") for _ in range(rng.randint(1, 3))]
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


def generate(path: Path, works: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    writers = [_party(rng, "W", n) for n in range(2000)]
    publishers = [_party(rng, "P", n) for n in range(300)]
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
        counts = writer.close()
    return counts.records


# -- stages, each run in a child process -----------------------------------------------


def stage_floor(path: Path) -> None:
    """Read line by line and slice 12 fields: what pure Python costs at least."""
    cut = operator.itemgetter(*[slice(i * 10, i * 10 + 8) for i in range(12)])
    with path.open("rb") as fh:
        for line in fh:
            cut(line)


def stage_validate(path: Path) -> None:
    from exchange.imports.cwr import validate_file

    report = validate_file(path)
    assert report.rejected == 0, report.findings[:5]


def _import(path: Path, url: str) -> None:
    from exchange.imports.cwr import CwrImporter
    from exchange.store import Store

    store = Store(url)
    store.init()
    report = CwrImporter(store).import_file(path)
    assert report.rejected == 0 and report.works_created > 0, report.findings[:5]


def stage_export(path: Path, url: str, out: Path) -> None:
    from adapters.cwr.export import export_works
    from exchange.exports.cwr import works_to_export
    from exchange.store import Store

    store = Store(url)
    ids = store.work_ids()
    works = works_to_export(
        store, ids, version="2.1", transaction="NWR", sender="052", encoding="ascii"
    )
    export_works(
        works,
        out,
        version="2.1",
        sender="052",
        sender_name="BENCH SOCIETY",
        next_sequence=lambda: 1,
        max_works_per_file=10**9,
    )


def run_child(args: argparse.Namespace) -> None:
    path = Path(args.file)
    start = time.perf_counter()
    if args.child == "floor":
        stage_floor(path)
    elif args.child == "validate":
        stage_validate(path)
    elif args.child in ("import-sqlite", "import-postgres"):
        _import(path, args.url)
    elif args.child == "export":
        stage_export(path, args.url, Path(args.out))
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "worker_mb": _worker_peak_mb()}))


def _worker_peak_mb() -> float:
    """The largest peak resident set of this process's descendants still running (the
    worker processes and their server), from /proc; 0 where there is no /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # the command name may hold spaces: the fields after it start at ") "
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    mine = {os.getpid()}
    grew = True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in mine} - mine
        grew = bool(found)
        mine |= found
    peak = 0.0
    for pid in mine - {os.getpid()}:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) / 1024)
    return peak


def measure(stage: str, file: Path, **extra: str) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--child", stage, "--file", str(file)]
    for key, value in extra.items():
        cmd += [f"--{key}", value]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fresh_pg(admin_url: str) -> tuple[str, str]:
    import psycopg

    dsn = admin_url.replace("postgresql+psycopg://", "postgresql://")
    name = f"exchange_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name, name


def _drop_pg(admin_url: str, name: str) -> None:
    import psycopg

    dsn = admin_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--works", type=int, default=10000)
    parser.add_argument(
        "--stages", default=",".join(STAGES), help=f"comma-separated, of: {', '.join(STAGES)}"
    )
    parser.add_argument(
        "--pg",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
        help="PostgreSQL URL of a database to create the bench database from",
    )
    parser.add_argument("--dir", help="work folder (default: a temporary one)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args)
        return

    stages = [s for s in args.stages.split(",") if s]
    folder = Path(args.dir or tempfile.mkdtemp(prefix="cwr-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / f"CW260001{SENDER}_052.V21"
    start = time.perf_counter()
    lines = generate(file, args.works)
    print(
        f"generated {file} : {args.works} works, {lines} lines, "
        f"{file.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - start:.1f}s"
    )
    sqlite_url = f"sqlite:///{folder / 'bench.db'}"
    results = {}
    for stage in stages:
        if stage == "import-sqlite":
            (folder / "bench.db").unlink(missing_ok=True)
            results[stage] = measure(stage, file, url=sqlite_url)
        elif stage == "import-postgres":
            url, name = _fresh_pg(args.pg)
            try:
                results[stage] = measure(stage, file, url=url)
            finally:
                _drop_pg(args.pg, name)
        elif stage == "export":
            if not (folder / "bench.db").exists():
                measure("import-sqlite", file, url=sqlite_url)
            out = folder / "export"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir()
            results[stage] = measure(stage, file, url=sqlite_url, out=str(out))
        else:
            results[stage] = measure(stage, file)
    print(f"{'stage':16} {'seconds':>9} {'lines/s':>10} {'peak MB':>8} {'worker MB':>10}")
    for stage, r in results.items():
        print(
            f"{stage:16} {r['seconds']:9.2f} {lines / r['seconds']:10.0f} "
            f"{r['peak_mb']:8.0f} {r['worker_mb']:10.0f}"
        )


if __name__ == "__main__":
    main()
