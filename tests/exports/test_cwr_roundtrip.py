"""import(export(store)) == store: the CWR export of a store, imported into an empty one.

Random works (:mod:`tests.strategies`) go into a store; the export machinery of
``exchange export`` (:func:`works_to_export`, encoding in the main process or in
worker processes that read the store themselves, then :func:`export_works`)
writes them into CWR files; the importer reads those files into a second, empty
store on the same engine (SQLite and PostgreSQL, through the ``store`` fixture).
Both stores must then hold the same works: titles, identifiers, parties with
their names, IPI numbers, keys and societies, roles, shares, territories,
publisher links, performers and recordings, up to what the CWR version cannot
carry (:func:`cwr_view`) and to representation (:func:`normalise`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.cwr import pipeline
from adapters.cwr.export import export_works
from adapters.cwr.file_writer import CHARACTER_SETS
from exchange.exports import cwr as cwr_exports
from exchange.identifiers import iswc
from exchange.imports.cwr import CwrImporter
from exchange.model import Source, Work
from exchange.store import Store
from tests.strategies import SENDER, cwr_view, cwr_work_lists, normalise

RECEIVED = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)


@pytest.fixture
def new_store(store: Store, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[], Store]:
    """Makes empty, initialised stores on the engine of ``store``, as many as asked.

    Hypothesis runs many examples in one test call, and each needs stores of
    its own: SQLite files in ``tmp_path``, or fresh PostgreSQL databases from the
    test server (dropped at the end of the session).
    """
    server = request.getfixturevalue("postgres") if store.dialect == "postgresql" else None
    counter = itertools.count(1)

    def make() -> Store:
        number = next(counter)
        url = server.new_database() if server else f"sqlite:///{tmp_path / f'rt{number}.db'}"
        fresh = Store(url)
        fresh.init()
        return fresh

    return make


def _key(work: Work) -> str:
    """How a work is found again: its ISWC, else its title (both unique in an example)."""
    return iswc.compact(work.iswc) if work.iswc else work.title


def _all_works(store: Store) -> Iterator[Work]:
    return store.iter_works(store.work_ids())


@pytest.mark.parametrize("version", ["2.1", "2.2"])
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    works=cwr_work_lists(min_size=1, max_size=4),
    per_file=st.integers(1, 3),
    package=st.booleans(),
    encoding=st.sampled_from(sorted(CHARACTER_SETS)),
    in_workers=st.booleans(),
)
def test_import_of_the_export_is_the_store(
    version: str,
    works: list[Work],
    per_file: int,
    package: bool,
    encoding: str,
    in_workers: bool,
    new_store: Callable[[], Store],
    tmp_path: Path,
) -> None:
    with new_store() as first, new_store() as second:
        source = Source("PUB", "CW260001PUB_052.V22", 0, RECEIVED, "NWR")
        ids = first.add_works((work, source) for work in works)
        stored = list(first.iter_works(ids))
        # The first store keeps what it is given (else the comparison below proves little).
        for sent, kept in zip(works, stored, strict=True):
            assert normalise(kept) == normalise(sent)

        outbox = tmp_path / f"out-{first.url.rsplit('/', 1)[-1]}"
        # As `exchange export` does; a large export (here: any) is encoded in workers.
        threshold = 0 if in_workers else cwr_exports.PARALLEL_FROM_WORKS
        with mock.patch.object(cwr_exports, "PARALLEL_FROM_WORKS", threshold):
            result = export_works(
                cwr_exports.works_to_export(
                    first,
                    first.work_ids(),
                    version=version,
                    transaction="NWR",
                    sender=SENDER,
                    encoding=encoding,
                    workers=2 if in_workers else 0,
                ),
                outbox,
                version=version,
                sender=SENDER,
                sender_name="PRS",
                next_sequence=lambda: first.next_file_sequence(SENDER, "000"),
                max_works_per_file=per_file,
                package=package,
                encoding=encoding,
                created=RECEIVED.replace(tzinfo=None),
            )
        assert result.skipped == []
        assert [f.works for f in result.files] == [
            min(per_file, len(works) - start) for start in range(0, len(works), per_file)
        ]

        # random works share titles and writers: matching would (rightly) merge some
        importer = CwrImporter(second, thresholds=None)
        # a large import (here: any) is checked in workers, which send back values to map
        size = 0 if in_workers else pipeline.PARALLEL_FROM_BYTES
        with mock.patch.object(pipeline, "PARALLEL_FROM_BYTES", size):
            reports = [importer.import_file(written.path) for written in result.files]
        for written, report in zip(result.files, reports, strict=True):
            assert [f.as_dict() for f in report.findings] == []
            assert not report.has_rejections
            assert (report.accepted, report.works_created) == (written.works, written.works)

        assert second.count_works() == first.count_works() == len(works)
        imported = {_key(work): work for work in _all_works(second)}
        assert len(imported) == len(works)
        for work in _all_works(first):
            assert normalise(imported[_key(work)]) == normalise(cwr_view(work, version))
