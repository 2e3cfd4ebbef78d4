"""One fuzz case: a file through ``exchange validate`` and ``exchange import``, judged.

A case breaks a promise when
- either command raises an exception of its own (``main`` re-raises it under
  ``-v``) or ends other than 0, 1 or 2;
- the import refuses the file (exit 2, or the file rejected, or no transaction
  accepted) and yet the repertoire changed;
- importing the same file a second time changes anything;
- ``validate`` and an import into an empty store disagree on how many
  transactions there are and how many were accepted or rejected.

Each case starts from a copy of one store, made once per campaign, that holds
the generated seed files: so mutated revisions meet works they revise (and an
NWR of a work the sender registered before is rightly rejected there, which
``validate`` cannot know: hence the empty store for the comparison).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import random
import shutil
import signal
import sqlite3
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from exchange.cli import main
from exchange.store import tables
from tests.fuzz.corpus import generated, seeds
from tests.fuzz.mutations import mutate

#: What the ledger keeps of an import (the file, its outcome); everything else is repertoire.
LEDGER_TABLES = {
    "files",
    "transaction_outcomes",
    "file_sequences",
    "partner_leases",
    "partner_tokens",
    "alembic_version",
}

#: A case that takes longer than this is stuck, not slow: each file is at most a few MB.
CASE_LIMIT_SECONDS = 120

CONFIG = '[node]\nsociety_code = "052"\nname = "FUZZ SOCIETY"\n'


@dataclass
class Problem:
    """A broken promise, with what is needed to see it again."""

    case: int
    name: str
    mutations: list[str]
    what: str
    detail: str = ""


@dataclass
class Campaign:
    """The working folder, the store every case starts from, and what went wrong."""

    folder: Path
    problems: list[Problem] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config = self.folder / "exchange.toml"
        self.config.write_text(CONFIG)
        self.empty = self.folder / "empty.db"
        self.empty.unlink(missing_ok=True)
        _cli(self._args(self.empty, "init"))
        self.template = self.folder / "template.db"
        shutil.copyfile(self.empty, self.template)
        for name, data in generated():
            path = self.folder / name
            path.write_bytes(data)
            _cli(self._args(self.template, "import", str(path)))
            path.unlink()

    def _args(self, db: Path, *command: str) -> list[str]:
        return ["-q", "-v", "--db", f"sqlite:///{db}", "--config", str(self.config), *command]

    def run(self, case: int, name: str, data: bytes, mutations: list[str]) -> None:
        """Judge one file; problems found are added to :attr:`problems`."""
        case_dir = self.folder / f"case-{case}"
        case_dir.mkdir()
        try:
            path = case_dir / name
            path.write_bytes(data)
            db, fresh = case_dir / "store.db", case_dir / "empty.db"
            shutil.copyfile(self.template, db)
            shutil.copyfile(self.empty, fresh)
            for what, detail in self._judge(path, db, fresh):
                self.problems.append(Problem(case, name, mutations, what, detail))
        finally:
            shutil.rmtree(case_dir, ignore_errors=True)

    def _judge(self, path: Path, db: Path, fresh: Path) -> Iterator[tuple[str, str]]:
        with _time_limit(CASE_LIMIT_SECONDS):
            try:
                checked = _cli(self._args(db, "validate", "--json", str(path)))
                before = repertoire(db)
                imported = _cli(self._args(db, "import", "--json", str(path)))
                after = repertoire(db)
                _cli(self._args(db, "import", "--json", str(path)))
                last = repertoire(db)
                first = _cli(self._args(fresh, "import", "--json", str(path)))
            except Exception:
                yield "uncaught exception", traceback.format_exc()
                return
        for step, (code, _) in (("validate", checked), ("import", imported), ("import", first)):
            if code not in (0, 1, 2):
                yield f"{step} exited {code}", ""
        outcome = "refused" if imported[0] == 2 else "imported"
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        report = _report(imported)
        refused = imported[0] == 2 or (
            report is not None and (report.get("file_rejected") or not report.get("accepted"))
        )
        if refused and after != before:
            yield "refused file changed the store", _changed(before, after)
        if last != after:
            yield "second import of the same file changed the store", _changed(after, last)
        judged, first_report = _report(checked), _report(first)
        if first_report is not None and judged is not None:
            counts = ("transactions", "accepted", "rejected")
            seen = {k: judged.get(k) for k in counts}
            stored = {k: first_report.get(k) for k in counts}
            if seen != stored:
                yield "validate and import disagree", f"validate {seen}, import {stored}"


def run_campaign(
    cases: int,
    seed: int,
    folder: Path,
    keep: Path | None = None,
    on_case: Callable[[int], None] | None = None,
) -> Campaign:
    """``cases`` mutated files, case ``n`` drawn from ``random.Random(f"{seed}:{n}")``.

    Files that broke a promise are copied to ``keep`` (if given) as
    ``<case>-<name>``, to be replayed with ``exchange import`` by hand.
    """
    starts = seeds()
    campaign = Campaign(folder)
    for case in range(cases):
        rng = random.Random(f"{seed}:{case}")
        name, data, applied = mutate(*rng.choice(starts), rng)
        known = len(campaign.problems)
        campaign.run(case, name, data, applied)
        if keep is not None and len(campaign.problems) > known:
            keep.mkdir(parents=True, exist_ok=True)
            (keep / f"{case}-{name}").write_bytes(data)
        if on_case is not None:
            on_case(case)
    return campaign


def _cli(args: list[str]) -> tuple[int, str]:
    """Run the command line in this process: its exit code and standard output.

    Under ``-v`` the entry point re-raises an exception that it would otherwise
    report as an internal error, so the caller sees the traceback.
    """
    out = io.StringIO()
    code: int | str | None = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(args)
        except SystemExit as stop:
            code = stop.code
    return (code if isinstance(code, int) else (0 if code is None else 2)), out.getvalue()


def _report(result: tuple[int, str]) -> dict | None:
    """The one file's entry of a ``--json`` answer, when there is one."""
    code, out = result
    if code not in (0, 1):
        return None
    files = json.loads(out)["files"]
    return files[0] if files else None


def repertoire(db: Path) -> dict[str, str]:
    """A digest of every repertoire table's rows (the ledger's tables left out)."""
    names = [t for t in tables.metadata.tables if t not in LEDGER_TABLES]
    with contextlib.closing(sqlite3.connect(db)) as conn:
        digests = {}
        for name in names:
            rows = sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{name}"'))
            digests[name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        return digests


def _changed(before: dict[str, str], after: dict[str, str]) -> str:
    return "tables changed: " + ", ".join(sorted(k for k in after if before.get(k) != after[k]))


@contextlib.contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    """Raise TimeoutError in the case if it runs past ``seconds`` (main thread, POSIX)."""

    def stop(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"the case ran for more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
