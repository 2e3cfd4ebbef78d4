"""``python -m tests.fuzz``: a fuzz campaign over the CWR and ACK readers (or the ISWC codecs).

Example:
    python -m tests.fuzz --cases 3000 --seed 7 --keep fuzz-failures
    python -m tests.fuzz --iswc --cases 20000          # the ISWC JSON and EDI readers
    python -m tests.fuzz --atheris -atheris_runs=10000   # coverage-guided, if atheris installs
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from rich.progress import Progress

from tests.fuzz.corpus import seeds
from tests.fuzz.iswc import run_iswc_campaign
from tests.fuzz.target import Campaign, run_campaign


def _report(campaign: Campaign, cases: int) -> int:
    outcomes = ", ".join(f"{n} {what}" for what, n in sorted(campaign.outcomes.items()))
    print(f"{cases} cases ({outcomes}); {len(campaign.problems)} problems")
    for p in campaign.problems:
        print(f"case {p.case} {p.name} [{' '.join(p.mutations)}]: {p.what}")
        if p.detail:
            print("    " + p.detail.rstrip().replace("\n", "\n    "))
    return 1 if campaign.problems else 0


def _atheris(argv: list[str], folder: Path) -> int:
    """Let atheris choose the bytes of a CWR file, judged by the same target."""
    import atheris  # not a test dependency: pip install atheris

    campaign = Campaign(folder)
    atheris.instrument_all()
    count = iter(range(sys.maxsize))

    def one_input(data: bytes) -> None:
        campaign.run(next(count), "CW260001PUB_052.V21", data, ["atheris"])
        if campaign.problems:
            problem = campaign.problems.pop()
            raise AssertionError(f"{problem.what}\n{problem.detail}")

    corpus = folder / "corpus"  # atheris starts from the seeds, and adds what it finds
    corpus.mkdir()
    for n, (_, data) in enumerate(seeds()):
        (corpus / str(n)).write_bytes(data)
    atheris.Setup([sys.argv[0], *argv, str(corpus)], one_input)
    atheris.Fuzz()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fuzz",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--cases", type=int, default=300, help="how many mutated files")
    parser.add_argument("--seed", type=int, default=0, help="the campaign's seed")
    parser.add_argument("--keep", type=Path, help="copy the files that broke a promise here")
    parser.add_argument("--atheris", action="store_true", help="coverage-guided, with atheris")
    parser.add_argument("--iswc", action="store_true", help="the ISWC JSON and EDI readers")
    args, rest = parser.parse_known_args()
    if args.iswc:
        iswc = run_iswc_campaign(args.cases, args.seed)
        outcomes = ", ".join(f"{n} {what}" for what, n in sorted(iswc.outcomes.items()))
        print(f"{args.cases} cases ({outcomes}); {len(iswc.problems)} problems")
        for problem in iswc.problems:
            print(problem)
        return 1 if iswc.problems else 0
    with tempfile.TemporaryDirectory(prefix="exchange-fuzz-") as tmp:
        if args.atheris:
            return _atheris(rest, Path(tmp))
        if rest:
            parser.error(f"unknown arguments: {' '.join(rest)}")
        with Progress(transient=True) as bar:
            task = bar.add_task("fuzzing", total=args.cases)
            campaign = run_campaign(
                args.cases, args.seed, Path(tmp), args.keep, lambda _: bar.advance(task)
            )
    return _report(campaign, args.cases)


if __name__ == "__main__":
    sys.exit(main())
