"""A store that already holds many works (1,000,000 by default), for the growth stages of
``cwr_bench.py``: built once through the store's tables in bulk (minutes, where the
importer would take hours), kept as a template, copied for each run.

What it holds, per work: a title (most made of a common word and made-up ones, as
the ``varied`` catalogue's; 2 % a title of :data:`tests.catalogues.COMMON_TITLES`,
about 1,700 works each in a million), an alternate title, an ISWC, the
submitter's work number, two or three writers and an original publisher (drawn
from 20,000 writers and 3,000 publishers, each with a party key and PR/MR
affiliations), a world territory for each claim, and a recording with an ISRC.
Its numbers, ISWCs and IPIs are of ranges the benchmark's catalogues do not use,
so the catalogue imported into it is new works, as a night's delivery mostly is.

Templates, named by size and schema revision (a new migration builds a new one):

- SQLite: ``<folder>/store-<works>-<revision>.db``, copied to the run's folder;
- PostgreSQL: the database ``exchange_bench_tpl_<works>_<revision>``, from which
  each run's database is created (``CREATE DATABASE ... TEMPLATE``).

    python bench/big_store.py --works 1000000 --sqlite      # build (or find) them
    python bench/big_store.py --works 1000000 --pg URL
    python bench/big_store.py --drop --pg URL              # remove the PG templates
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from catalogue import varied_title  # noqa: E402
from databases import pg_dsn  # noqa: E402
from sqlalchemy import Connection, inspect  # noqa: E402

from exchange.identifiers import ipi_name, iswc  # noqa: E402
from exchange.normalise import normalise_name, normalise_title  # noqa: E402
from exchange.store import Store, tables  # noqa: E402
from exchange.store.bulk import insert_rows  # noqa: E402
from tests.catalogues import COMMON_TITLES  # noqa: E402

#: The sender of the works held, and its parties' key issuer.
HOLDER = "299"
WRITERS, PUBLISHERS = 20_000, 3_000
#: Works written per transaction.
CHUNK = 20_000
DEFAULT_FOLDER = Path("/tmp/exchange-bench-templates")
#: The tables the template fills: the parties', then those written per chunk of works.
FILLED = (
    tables.parties,
    tables.party_keys,
    tables.affiliations,
    tables.works,
    tables.titles,
    tables.work_numbers,
    tables.claims,
    tables.claim_territories,
    tables.recordings,
)
WORLD = "2136"


def _ipi(n: int) -> str:
    body = f"{n:09d}"
    return body + ipi_name.calc_check_digit(body)


def _parties(conn: object) -> tuple[list[int], list[int]]:
    parties, keys, affiliations = [], [], []
    for n in range(WRITERS + PUBLISHERS):
        writer = n < WRITERS
        last = f"{'WRITER' if writer else 'PUBLISHING'} {n:05d}"
        first = "SAM" if writer else ""
        parties.append(
            {
                "id": n + 1,
                "ipi_name_number": _ipi(30_000_000 + n),
                "ipi_base_number": None,
                "last_name": last,
                "first_name": first,
                "name_norm": normalise_name(f"{last} {first}".strip()),
                "is_legal_entity": not writer,
            }
        )
        keys.append({"id": n + 1, "party_id": n + 1, "issuer": HOLDER, "key": f"K{n:07d}"})
        for k, right in enumerate(("PR", "MR")):
            affiliations.append(
                {
                    "id": 2 * n + k + 1,
                    "party_id": n + 1,
                    "society": ("052", "058", "035")[n % 3],
                    "right": right,
                    "territory": WORLD,
                    "source_id": None,
                }
            )
    insert_rows(conn, tables.parties, parties)
    insert_rows(conn, tables.party_keys, keys)
    insert_rows(conn, tables.affiliations, affiliations)
    return list(range(1, WRITERS + 1)), list(range(WRITERS + 1, WRITERS + PUBLISHERS + 1))


def _chunk(
    conn: object, rng: random.Random, first: int, last: int, ids: dict, teams: tuple
) -> None:
    """Works ``first``..``last`` (their ids), with one source and file for the chunk."""
    writers, publishers = teams
    stamp = datetime(2025, 1, 1, tzinfo=UTC)
    ids["file"] += 1
    name = f"CW25{ids['file']:04d}{HOLDER}_052.V21"
    insert_rows(
        conn,
        tables.files,
        [
            {
                "id": ids["file"],
                "partner": HOLDER,
                "direction": "in",
                "name": name,
                "sha256": f"{ids['file']:064x}",
                "format": "cwr",
                "version": "2.1",
                "state": "imported",
                "transactions_done": last - first + 1,
                "created_at": stamp,
                "completed_at": stamp,
            }
        ],
    )
    source = ids["file"]
    insert_rows(
        conn,
        tables.sources,
        [
            {
                "id": source,
                "partner": HOLDER,
                "file_id": ids["file"],
                "file_name": name,
                "transaction_seq": None,
                "transaction_type": "NWR",
                "received_at": stamp,
            }
        ],
    )
    works, titles, numbers, claims, territories, recordings = [], [], [], [], [], []
    for i in range(first, last + 1):
        title = rng.choice(COMMON_TITLES) if rng.random() < 0.02 else varied_title(rng)
        body = f"{500_000_000 + i:09d}"
        works.append(
            {
                "id": i,
                "iswc": "T" + body + iswc.calc_check_digit(body),
                "title": title,
                "title_norm": normalise_title(title),
                "language": "EN",
                "duration": 180 + i % 240,
                "version_type": "ORI",
                "distribution_category": "POP",
                "source_id": source,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
        alternate = varied_title(rng)
        titles.append(
            {
                "id": i,
                "work_id": i,
                "title": alternate,
                "title_type": "AT",
                "language": None,
                "title_norm": normalise_title(alternate),
                "source_id": source,
            }
        )
        numbers.append(
            {
                "id": i,
                "work_id": i,
                "kind": "submitter",
                "issuer": HOLDER,
                "number": f"GW{i:010d}",
                "source_id": source,
            }
        )
        team = rng.sample(writers, rng.randint(2, 3))
        pr = [5000 // len(team)] * len(team)
        pr[0] += 5000 - sum(pr)
        rows = [
            (party, "writer", "CA", share, 0, None, None)
            for party, share in zip(team, pr, strict=True)
        ]
        keys = ",".join(f"K{party - 1:07d}" for party in team)
        rows.append((rng.choice(publishers), "publisher", "E", 5000, 10000, 1, keys))
        for position, (party, side, role, pr_share, mr_share, chain, linked) in enumerate(rows):
            ids["claim"] += 1
            claims.append(
                {
                    "id": ids["claim"],
                    "work_id": i,
                    "party_id": party,
                    "side": side,
                    "role": role,
                    "controlled": True,
                    "chain": chain,
                    "writers": linked,
                    "pr_ownership": pr_share,
                    "mr_ownership": mr_share,
                    "sr_ownership": mr_share,
                    "position": position,
                    "source_id": source,
                }
            )
            territories.append(
                {
                    "id": ids["claim"],
                    "claim_id": ids["claim"],
                    "position": 0,
                    "tis": WORLD,
                    "include": True,
                    "pr_collection": pr_share,
                    "mr_collection": mr_share,
                    "sr_collection": mr_share,
                }
            )
        recordings.append(
            {
                "id": i,
                "work_id": i,
                "isrc": f"USBNC{25 + i % 10:02d}{i % 100_000:05d}",
                "title": title[:60],
                "duration": 180 + i % 240,
                "source_id": source,
            }
        )
    for table, rows_of in zip(
        FILLED[3:], (works, titles, numbers, claims, territories, recordings), strict=True
    ):
        insert_rows(conn, table, rows_of)


def fill(url: str, works: int, say: object = print) -> None:
    """Initialise the store at ``url`` and write ``works`` works into it."""
    store = Store(url)
    store.init()
    rng = random.Random(19)
    ids = {"file": 0, "claim": 0}
    start = time.perf_counter()
    with store.engine.begin() as conn:
        indexes = _drop_indexes(conn)
        teams = _parties(conn)
    for first in range(1, works + 1, CHUNK):
        last = min(first + CHUNK - 1, works)
        with store.engine.begin() as conn:
            _chunk(conn, rng, first, last, ids, teams)
        if last % 200_000 == 0 or last == works:
            say(f"  {last:,} works written ({time.perf_counter() - start:.0f} s)")
    with store.engine.begin() as conn:
        for name, table, columns in indexes:
            conn.exec_driver_sql(f'CREATE INDEX "{name}" ON "{table}" ({columns})')
        say(f"  indexes built ({time.perf_counter() - start:.0f} s)")
        if conn.dialect.name == "postgresql":
            for table in tables.metadata.sorted_tables:
                if "id" in table.c and table.c.id.primary_key:
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"GREATEST((SELECT max(id) FROM {table.name}), 1))"
                    )
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
    store.engine.dispose()


def _drop_indexes(conn: Connection) -> list[tuple[str, str, str]]:
    """Drop the indexes of the tables the template fills, but those of its unique
    constraints: each is built once after the load, far faster than kept up row by row.
    Returns (name, table, columns) of each, to build it again."""
    inspector = inspect(conn)
    dropped = []
    for table in FILLED:
        for index in inspector.get_indexes(table.name):
            if not index["unique"]:
                columns = ", ".join(f'"{name}"' for name in index["column_names"])
                dropped.append((index["name"], table.name, columns))
                conn.exec_driver_sql(f'DROP INDEX "{index["name"]}"')
    return dropped


def revision() -> str:
    return Store("sqlite://").head_revision()


def sqlite_template(folder: Path, works: int, say: object = print) -> Path:
    """The SQLite template of ``works`` works (built when missing)."""
    path = folder / f"store-{works}-{revision()}.db"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.unlink(missing_ok=True)
        say(f"building {path} (once; later runs copy it)")
        fill(f"sqlite:///{partial}", works, say)
        partial.replace(path)
    return path


def sqlite_copy(folder: Path, works: int, to: Path, say: object = print) -> None:
    shutil.copyfile(sqlite_template(folder, works, say), to)


def pg_template(admin_url: str, works: int, say: object = print) -> str:
    """The name of the PostgreSQL template database of ``works`` works (built when
    missing; a half-built one, from an interrupted run, is built again)."""
    import psycopg

    name = f"exchange_bench_tpl_{works}_{revision()}".lower()
    with psycopg.connect(pg_dsn(admin_url), autocommit=True) as conn:
        found = conn.execute(
            "SELECT datallowconn, pg_catalog.shobj_description(oid, 'pg_database') "
            "FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
        if found is not None and found[1] == "complete":
            return name
        say(f"building the PostgreSQL template {name} (once; later runs copy it)")
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    fill(admin_url.rsplit("/", 1)[0] + "/" + name, works, say)
    with psycopg.connect(pg_dsn(admin_url), autocommit=True) as conn:
        conn.execute(f"COMMENT ON DATABASE \"{name}\" IS 'complete'")
    return name


def drop_pg_templates(admin_url: str) -> list[str]:
    import psycopg

    with psycopg.connect(pg_dsn(admin_url), autocommit=True) as conn:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'exchange_bench_tpl_%'"
            )
        ]
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--works", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER, help="SQLite templates")
    parser.add_argument("--sqlite", action="store_true", help="build the SQLite template")
    parser.add_argument("--pg", help="build the PostgreSQL template on this server (URL)")
    parser.add_argument("--drop", action="store_true", help="drop the PostgreSQL templates")
    args = parser.parse_args()
    if args.drop:
        print("dropped:", ", ".join(drop_pg_templates(args.pg)) or "none")
        return
    if args.sqlite:
        print(sqlite_template(args.folder, args.works))
    if args.pg:
        print(pg_template(args.pg, args.works))


if __name__ == "__main__":
    main()
