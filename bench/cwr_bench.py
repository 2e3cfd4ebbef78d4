"""CWR benchmark: time validate, import (SQLite, PostgreSQL), export (CWR 2.1,
DDEX MWN) and MWN import of a generated catalogue, each stage in its own
process, as multiples of the floor measured in the same run; and the start-up
of the command line, as multiples of ``python -c "import click"``.

The floor is one process of pure Python: open the file as text (Latin-1) and, for
each line, build the list of the 12 slices at the NWR field boundaries; best of
three. A figure in lines per second depends on the machine (they differ by three
times from day to day); the multiple of the floor does much less.

Usage (from the repository root):

    python bench/cwr_bench.py --works 10000
    python bench/cwr_bench.py --works 50000 --catalogue common --stages validate
    python bench/cwr_bench.py --works 10000 --json > bench.json
    python bench/cwr_bench.py --stages startup

MWN stages need the DDEX MWN 1.3 schemas: --ddex-schema-dir, or
$EXCHANGE_DDEX_SCHEMA_DIR. See bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import operator
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# (big_store, and SQLAlchemy with it, is imported where a grown store is made: every
# worker process of a stage runs this module's top level again, as multiprocessing runs
# a main script's, and `exchange validate`'s workers import no SQLAlchemy)
from catalogue import CATALOGUES, write_file  # noqa: E402
from databases import drop_pg, fresh_pg, pg_missing  # noqa: E402

#: The floor's 12 slices: the NWR field boundaries, fixed here (not read from the layout
#: tables) so that the floor stays the same measure whatever the layouts become.
FLOOR_FIELDS = (
    (0, 3), (3, 11), (11, 19), (19, 79), (79, 81), (81, 95),
    (95, 106), (106, 114), (114, 126), (126, 129), (129, 135), (135, 136),
)  # fmt: skip
#: The node that receives the catalogue (and exports it), and the one its MWN goes to.
NODE, PARTNER = "052", "058"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    what: str
    #: the stage whose time this one is a multiple of, and the target for that multiple
    base: str = "floor"
    target: float | None = None


STAGES = {
    s.name: s
    for s in (
        Stage("floor", "read as Latin-1 text, 12 slices per line (best of 3)", ""),
        Stage("floor-bytes", "the former floor: bytes cut by one itemgetter (best of 3)"),
        Stage("validate", "exchange validate: every rule (worker processes)", target=4),
        Stage("import-sqlite", "exchange import into a fresh SQLite file", target=12),
        Stage("import-postgres", "the same into a fresh PostgreSQL database", target=12),
        Stage("export", "CWR 2.1 export of the SQLite store", target=5),
        Stage("export-mwn", "DDEX MWN export of the same works", "export", 3),
        Stage("import-mwn", "those MWN messages into a fresh SQLite file", "import-sqlite", 3),
        # time at most 1.25 times the empty store's: a speed of at least 80 % of it
        Stage("grown-sqlite", "import into a SQLite store of --grown works", "import-sqlite", 1.25),
        Stage("grown-postgres", "the same on PostgreSQL", "import-postgres", 1.25),
        # once, not per catalogue: see run_startup
        Stage("startup", "exchange --help, works count (best of 5)", "import click", 3),
    )
}
#: Not run unless named: the former floor, and the growth stages (their store template
#: takes minutes to build the first time: bench/big_store.py).
OPTIONAL = ("floor-bytes", "grown-sqlite", "grown-postgres")
DEFAULT_STAGES = [name for name in STAGES if name not in OPTIONAL]


# -- stages, each run in a child process -----------------------------------------------


def _best_of_three(run: object) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def floor(path: Path) -> None:
    """The issue's floor: text lines, a list of 12 slices each."""
    cuts = [slice(a, b) for a, b in FLOOR_FIELDS]
    with path.open(encoding="latin-1") as fh:
        for line in fh:
            [line[cut] for cut in cuts]


def floor_bytes(path: Path) -> None:
    """The former floor: bytes lines, 12 slices through one itemgetter."""
    cut = operator.itemgetter(*[slice(a, b) for a, b in FLOOR_FIELDS])
    with path.open("rb") as fh:
        for line in fh:
            cut(line)


def node_config(society: str, schema_dir: str | None) -> object:
    from exchange.config import NodeConfig

    return NodeConfig(
        society_code=society,
        name=f"BENCH SOCIETY {society}",
        ddex_schema_dir=Path(schema_dir) if schema_dir else None,
    )


def stage_validate(path: Path) -> None:
    from exchange.imports.cwr import validate_file

    report = validate_file(path)
    assert report.rejected == 0, report.findings[:5]


def ready_store(url: str) -> object:
    """The store at ``url``, created or brought up to date: before an import's clock starts,
    since a store is made once and imported into nightly."""
    from exchange.store import Store

    store = Store(url)
    store.init()
    return store


def import_files(store: object, fmt: str, files: list[Path], config: object) -> None:
    """The files imported into the store as `exchange import` does."""
    from exchange import formats

    importer = formats.get(fmt).importer(store, config, None)
    for file in files:
        report = importer.import_file(file)
        assert report.rejected == 0 and report.works_created > 0, report.findings[:5]


def export_store(url: str, fmt: str, out: Path, config: object) -> None:
    """Every work of the store exported as `exchange export --format` does."""
    from exchange import formats
    from exchange.formats import Export
    from exchange.store import Store

    store = Store(url)
    export = Export(store, config, store.work_ids(), out, PARTNER, max_works=10**9)
    written = formats.get(fmt).write(export)
    rejected = [x.text for x in written.skipped if x.rejected]
    assert written.files and not rejected, rejected[:5]


#: What each stage imports, imported before its clock starts: the stage's time is the
#: work's, not the modules' loading (which the CLI's start-up figure covers).
_IMPORT = ("exchange.formats.cwr", "exchange.imports.cwr", "exchange.store")
MODULES = {
    "validate": ("exchange.imports.cwr",),
    **dict.fromkeys(
        ("import-sqlite", "import-postgres", "grown-sqlite", "grown-postgres"), _IMPORT
    ),
    "export": ("exchange.formats.cwr", "exchange.exports.cwr", "adapters.cwr.export"),
    "export-mwn": ("exchange.formats.ddex", "exchange.exports.mwn"),
    "import-mwn": ("exchange.formats.ddex", "exchange.imports.mwn", "exchange.store"),
}


def run_child(args: argparse.Namespace) -> None:
    path = Path(args.file)
    node = node_config(NODE, args.ddex_schema_dir)
    for module in MODULES.get(args.child, ()):
        importlib.import_module(module)
    store = ready_store(args.url) if args.child.startswith(("import-", "grown-")) else None
    start = time.perf_counter()
    if args.child == "floor":
        seconds = _best_of_three(lambda: floor(path))
    elif args.child == "floor-bytes":
        seconds = _best_of_three(lambda: floor_bytes(path))
    else:
        if args.child == "validate":
            stage_validate(path)
        elif args.child.startswith(("import-sqlite", "import-postgres", "grown-")):
            import_files(store, "cwr21", [path], node)
        elif args.child == "export":
            export_store(args.url, "cwr21", Path(args.out), node)
        elif args.child == "export-mwn":
            export_store(args.url, "mwn", Path(args.out), node)
        elif args.child == "import-mwn":
            files = sorted(Path(args.out).glob("*.xml"))
            import_files(store, "mwn", files, node_config(PARTNER, args.ddex_schema_dir))
        seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "worker_mb": _worker_peak_mb()}))


def _worker_peak_mb() -> float:
    """The largest peak resident set of this process's worker processes: those it waited
    for (getrusage) and its descendants still running (from /proc, where there is one)."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
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
    for pid in mine - {os.getpid()}:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) / 1024)
    return peak


# -- start-up of the command line -------------------------------------------------------

#: The commands whose start-up is timed, against the base: a Python that imports click.
STARTUP_BASE = ("-c", "import click")
STARTUP_COMMANDS = {"exchange --help": ("--help",), "exchange works count": ("works", "count")}
STARTUP_RUNS = 5


def run_startup(folder: Path) -> dict:
    """Each command's best of :data:`STARTUP_RUNS` runs, as a multiple of the base's.

    The runs go round the commands in turn (after one round not timed), so that a
    load on the machine that comes and goes weighs on all of them alike. ``works
    count`` counts an empty SQLite store made here; no configuration is read.
    """
    folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "EXCHANGE_CONFIG"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["EXCHANGE_DB"] = f"sqlite:///{folder / 'startup.db'}"
    commands = {
        'python -c "import click"': [sys.executable, *STARTUP_BASE],
        **{name: [sys.executable, "-m", "exchange", *a] for name, a in STARTUP_COMMANDS.items()},
    }

    def run(cmd: list[str]) -> float:
        start = time.perf_counter()
        done = subprocess.run(cmd, env=env, cwd=folder, capture_output=True, check=False)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"stage startup: {' '.join(cmd)} failed:\n{done.stderr.decode()}")
        return seconds

    run([sys.executable, "-m", "exchange", "init"])
    best = {name: float("inf") for name in commands}
    for round_ in range(STARTUP_RUNS + 1):
        for name, cmd in commands.items():
            seconds = run(cmd)
            if round_:
                best[name] = min(best[name], seconds)
    base_name, base = next(iter(best.items()))
    target = STAGES["startup"].target
    return {
        "base": base_name,
        "base_seconds": base,
        "runs": STARTUP_RUNS,
        "commands": {
            name: {
                "seconds": seconds,
                "ratio": seconds / base,
                "target": target,
                "met": seconds / base <= (target or float("inf")),
            }
            for name, seconds in best.items()
            if name != base_name
        },
    }


def print_startup(run: dict) -> None:
    print(
        f"\nstart-up, best of {run['runs']}, as multiples of {run['base']} "
        f"({run['base_seconds']:.3f} s):"
    )
    for name, r in run["commands"].items():
        mark = "ok" if r["met"] else "NO"
        print(
            f"{name:24}{r['seconds']:8.3f} s{r['ratio']:6.1f} x  (target {r['target']:g}: {mark})"
        )


# -- the run ---------------------------------------------------------------------------


def measure(stage: str, file: Path, args: argparse.Namespace, **extra: str) -> dict:
    cmd = [sys.executable, __file__, "--child", stage, "--file", str(file)]
    if args.ddex_schema_dir:
        cmd += ["--ddex-schema-dir", args.ddex_schema_dir]
    for key, value in extra.items():
        cmd += [f"--{key}", value]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)


def run_catalogue(kind: str, stages: list[str], args: argparse.Namespace) -> dict:
    folder = Path(args.dir) / kind
    start = time.perf_counter()
    file = write_file(kind, folder, args.works)
    generated = time.perf_counter() - start
    lines = count_lines(file)
    db = folder / "bench.db"
    sqlite_url = f"sqlite:///{db}"
    cwr_out, mwn_out = folder / "export-cwr", folder / "export-mwn"
    results: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    say = (lambda text: print(text, file=sys.stderr)) if args.json else print
    for stage in stages:  # what a growth stage is compared with runs first
        if STAGES[stage].base.startswith("import-") and STAGES[stage].base not in stages:
            stages = [STAGES[stage].base, *stages]

    def store_ready() -> None:
        if not db.exists():
            measure("import-sqlite", file, args, url=sqlite_url)

    def fresh(out: Path) -> str:
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        return str(out)

    for stage in ["floor", *[s for s in stages if s != "floor"]]:
        if stage in ("export-mwn", "import-mwn") and not args.ddex_schema_dir:
            skipped[stage] = "no MWN schemas: --ddex-schema-dir or $EXCHANGE_DDEX_SCHEMA_DIR"
        elif stage == "import-sqlite":
            db.unlink(missing_ok=True)
            results[stage] = measure(stage, file, args, url=sqlite_url)
        elif stage == "import-postgres":
            missing = pg_missing(args.pg)
            if missing:
                skipped[stage] = missing
                continue
            url, name = fresh_pg(args.pg)
            try:
                results[stage] = measure(stage, file, args, url=url)
            finally:
                drop_pg(args.pg, name)
        elif stage == "grown-sqlite":
            import big_store

            grown = folder / "grown.db"
            templates = Path(args.templates or big_store.DEFAULT_FOLDER)
            big_store.sqlite_copy(templates, args.grown, grown, say)
            results[stage] = measure(stage, file, args, url=f"sqlite:///{grown}")
            grown.unlink()
        elif stage == "grown-postgres":
            missing = pg_missing(args.pg)
            if missing:
                skipped[stage] = missing
                continue
            import big_store

            template = big_store.pg_template(args.pg, args.grown, say)
            url, name = fresh_pg(args.pg, template)
            try:
                results[stage] = measure(stage, file, args, url=url)
            finally:
                drop_pg(args.pg, name)
        elif stage in ("export", "export-mwn"):
            store_ready()
            out = fresh(cwr_out if stage == "export" else mwn_out)
            results[stage] = measure(stage, file, args, url=sqlite_url, out=out)
        elif stage == "import-mwn":
            if not any(mwn_out.glob("*.xml")):
                store_ready()
                measure("export-mwn", file, args, url=sqlite_url, out=fresh(mwn_out))
            mwn_db = folder / "mwn.db"
            mwn_db.unlink(missing_ok=True)
            results[stage] = measure(stage, file, args, url=f"sqlite:///{mwn_db}", out=str(mwn_out))
        else:
            results[stage] = measure(stage, file, args)
    for stage, result in results.items():
        spec = STAGES[stage]
        result["lines_per_second"] = lines / result["seconds"]
        base = results.get(spec.base) if spec.base else None
        if base is not None:
            result["base"] = spec.base
            result["ratio"] = result["seconds"] / base["seconds"]
            result["floor_ratio"] = result["seconds"] / results["floor"]["seconds"]
            if spec.target is not None:
                result["target"] = spec.target
                result["met"] = result["ratio"] <= spec.target
    return {
        "catalogue": kind,
        "works": args.works,
        "lines": lines,
        "megabytes": file.stat().st_size / 1e6,
        "generated_seconds": generated,
        "stages": results,
        "skipped": skipped,
    }


def _n(value: float) -> str:
    return f"{value:,.0f}"


def print_catalogue(run: dict) -> None:
    floor_run = run["stages"]["floor"]
    print(
        f"\n{run['catalogue']} catalogue: {run['works']:,} works, {run['lines']:,} lines, "
        f"{run['megabytes']:.1f} MB"
    )
    print(
        f"floor: {floor_run['seconds']:.3f} s, {_n(floor_run['lines_per_second'])} lines/s "
        "(best of 3)"
    )
    print(f"{'stage':16}{'seconds':>8}{'lines/s':>10}{'x floor':>8}{'target':>7}    "
          f"{'peak MB':>8}{'workers':>8}")  # fmt: skip
    for stage, r in run["stages"].items():
        if stage == "floor":
            continue
        target = ""
        if r.get("base") == "floor" and "target" in r:
            target = f"{r['target']:g}" + (" ok" if r["met"] else " NO")
        print(
            f"{stage:16}{r['seconds']:8.2f}{_n(r['lines_per_second']):>10}"
            f"{r['floor_ratio']:8.1f}{target:>7}    {r['peak_mb']:8.0f}{r['worker_mb']:8.0f}"
        )
    for stage, r in run["stages"].items():
        if r.get("base") not in (None, "floor"):
            mark = "ok" if r["met"] else "NO"
            print(f"{stage} / {r['base']}: {r['ratio']:.1f} times (target {r['target']:g}: {mark})")
    for stage, why in run["skipped"].items():
        print(f"{stage}: skipped ({why})")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    listing = "\n".join(f"  {s.name:16}{s.what}" for s in STAGES.values())
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=f"stages (floor always runs with a catalogue's):\n{listing}\n\nexample:\n"
        "  python bench/cwr_bench.py --works 10000 --catalogue common",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--works", type=int, default=10000, help="works per catalogue")
    parser.add_argument(
        "--catalogue",
        choices=[*CATALOGUES, "both"],
        default="both",
        help="varied titles, common (repeated) titles, or both (default)",
    )
    parser.add_argument(
        "--stages", default=",".join(DEFAULT_STAGES), help="comma-separated (default: all)"
    )
    parser.add_argument(
        "--pg", default=DEFAULT_PG, help="PostgreSQL URL to create the bench databases from"
    )
    parser.add_argument(
        "--ddex-schema-dir",
        default=os.environ.get("EXCHANGE_DDEX_SCHEMA_DIR"),
        help="the DDEX MWN 1.3 schemas (default: $EXCHANGE_DDEX_SCHEMA_DIR)",
    )
    parser.add_argument(
        "--grown", type=int, default=1_000_000, help="works already in the store of grown-*"
    )
    parser.add_argument(
        "--templates",
        help="where the grown store's SQLite template is kept (default: big_store's)",
    )
    parser.add_argument("--dir", help="work folder (default: a temporary one, removed)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = [s for s in args.stages.split(",") if s and s not in STAGES]
    if unknown:
        parser.error(f"unknown stage {', '.join(unknown)} (known: {', '.join(STAGES)})")
    return args


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load": os.getloadavg(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def main() -> None:
    args = parse_args()
    if args.child:
        run_child(args)
        return
    stages = [s for s in args.stages.split(",") if s]
    # the start-up stage runs once; the others per catalogue (none: no catalogue)
    startup, stages = "startup" in stages, [s for s in stages if s != "startup"]
    kinds = list(CATALOGUES) if args.catalogue == "both" else [args.catalogue]
    about = machine()
    keep = args.dir is not None
    args.dir = args.dir or tempfile.mkdtemp(prefix="cwr-bench-")
    try:
        runs = [run_catalogue(kind, stages, args) for kind in kinds] if stages else []
        started = run_startup(Path(args.dir) / "startup") if startup else None
    finally:
        if not keep:
            shutil.rmtree(args.dir, ignore_errors=True)
    if args.json:
        document = {"machine": about, "catalogues": runs}
        print(json.dumps(document | ({"startup": started} if started else {}), indent=2))
        return
    print(
        f"{about['when']}, Python {about['python']}, {about['cpus']} CPUs, "
        f"load {about['load'][0]:.1f} at the start"
    )
    for run in runs:
        print_catalogue(run)
    if started:
        print_startup(started)


if __name__ == "__main__":
    main()
