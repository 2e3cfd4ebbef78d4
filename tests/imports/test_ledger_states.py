"""The typed ledger: the states of an entry, the moves between them, and its summary.

Every move :data:`TRANSITIONS` allows is made in a real store, every other one is
refused (and changes nothing), and random sequences of moves leave an entry where
the table says. The summary reads what earlier versions wrote and writes it back
as it was.
"""

from __future__ import annotations

import json
import secrets
from collections import deque
from collections.abc import Iterator
from dataclasses import fields, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from exchange.imports.batch import BatchImporter
from exchange.imports.report import FileReport
from exchange.store import Store, tables
from exchange.store.ledger import (
    COMPLETED,
    DIRECTIONS,
    INITIAL,
    TRANSITIONS,
    FileEntry,
    FileState,
    LedgerSummary,
    TransitionError,
    allowed,
    transition,
)
from exchange.store.rows import now
from exchange.sync.manifests import Manifest, ManifestFile
from tests.services import missing_service


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """One store per engine for the module: each test makes entries of its own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('ledger') / 'store.db'}"
    else:
        server = request.getfixturevalue("postgres")
        if isinstance(server, str):
            missing_service(f"PostgreSQL unreachable: {server}")
        url = server.new_database()
    with Store(url) as made:
        made.init()
        yield made


def path_to(direction: str, state: FileState) -> list[FileState]:
    """The shortest sequence of moves from a new entry's state to ``state``."""
    start = INITIAL[direction]
    paths: dict[FileState, list[FileState]] = {start: []}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        for there in sorted(allowed(direction, here)):
            if there not in paths:
                paths[there] = [*paths[here], there]
                queue.append(there)
    return paths[state]


def reachable(direction: str) -> list[FileState]:
    return [s for s in FileState if _reaches(direction, s)]


def _reaches(direction: str, state: FileState) -> bool:
    try:
        path_to(direction, state)
    except KeyError:
        return False
    return True


def new_entry(store: Store, direction: str, name: str = "CW250001PUB_052.V21") -> FileEntry:
    sha = secrets.token_hex(32)
    return store.start_file(
        name, sha, partner="PUB", format="cwr", version="2.1", direction=direction
    )


def stored_state(store: Store, file_id: int) -> str:
    with store.connect() as conn:
        return conn.execute(
            select(tables.files.c.state).where(tables.files.c.id == file_id)
        ).scalar_one()


MOVES = [
    (direction, current, target)
    for direction in DIRECTIONS
    for current, targets in TRANSITIONS[direction].items()
    for target in sorted(targets)
]
REFUSED_MOVES = [
    (direction, current, target)
    for direction in DIRECTIONS
    for current in reachable(direction)
    for target in FileState
    if target not in allowed(direction, current)
]


def test_the_table_names_only_states_an_entry_can_reach() -> None:
    for direction in DIRECTIONS:
        for current, targets in TRANSITIONS[direction].items():
            assert _reaches(direction, current), (direction, current)
            assert targets <= set(reachable(direction))
    # a received file's entry never becomes an outgoing state, and the other way round
    assert set(reachable("in")) == {"importing", "imported", "rejected", "failed", "refused"}
    assert set(reachable("out")) == {"writing", "written", "delivered", "failed"}


def test_states_are_the_strings_stored_before() -> None:
    assert [s.value for s in FileState] == [
        "importing",
        "imported",
        "rejected",
        "failed",
        "refused",
        "writing",
        "written",
        "delivered",
    ]
    assert json.dumps({"state": FileState.IMPORTED}) == '{"state": "imported"}'
    assert f"{FileState.DELIVERED}" == "delivered" and FileState.FAILED == "failed"


@pytest.mark.parametrize(("direction", "current", "target"), MOVES)
def test_every_allowed_move_is_made(
    store: Store, direction: str, current: FileState, target: FileState
) -> None:
    entry = new_entry(store, direction)
    assert entry.state == INITIAL[direction]
    for state in [*path_to(direction, current), target]:
        store.update_file(entry.id, state=state)
    found = store.get_file(entry.id)
    assert found is not None and found.state is target
    assert stored_state(store, entry.id) == target.value
    assert (found.completed_at is not None) == any(
        s in COMPLETED for s in [*path_to(direction, current), target]
    )


@pytest.mark.parametrize(("direction", "current", "target"), REFUSED_MOVES)
def test_every_other_move_is_refused_and_changes_nothing(
    store: Store, direction: str, current: FileState, target: FileState
) -> None:
    entry = new_entry(store, direction)
    for state in path_to(direction, current):
        store.update_file(entry.id, state=state)
    before = store.get_file(entry.id)
    with pytest.raises(TransitionError, match=f"is {current} and cannot become {target}"):
        store.update_file(entry.id, state=target, error="should not be written", size=7)
    assert store.get_file(entry.id) == before


def test_an_imported_file_is_never_imported_again(store: Store) -> None:
    entry = new_entry(store, "in")
    store.update_file(entry.id, state=FileState.IMPORTED)
    with pytest.raises(TransitionError) as refused:
        store.update_file(entry.id, state=FileState.IMPORTING)
    assert str(refused.value) == (
        f"ledger entry {entry.id} (CW250001PUB_052.V21) (in) is imported and cannot become "
        "importing: it is final"
    )
    assert stored_state(store, entry.id) == "imported"


def test_the_refusal_names_the_states_that_may_follow() -> None:
    with pytest.raises(TransitionError, match="is written and cannot become writing: it may "):
        transition("out", "written", "writing")
    with pytest.raises(TransitionError, match="'sideways' is not a ledger direction"):
        transition("sideways", "written", "delivered")
    assert transition("out", "written", "delivered") is FileState.DELIVERED


def test_columns_without_a_state_change_freely(store: Store) -> None:
    entry = new_entry(store, "in")
    store.update_file(entry.id, state=FileState.IMPORTED)
    store.update_file(entry.id, error="no ACK written", remote_name="x.V21")
    found = store.get_file(entry.id)
    assert (
        found is not None and found.state is FileState.IMPORTED and found.error == "no ACK written"
    )


@given(direction=st.sampled_from(DIRECTIONS), moves=st.lists(st.sampled_from(list(FileState))))
def test_random_moves_follow_the_table(
    store: Store, direction: str, moves: list[FileState]
) -> None:
    entry = new_entry(store, direction)
    state = INITIAL[direction]
    for target in moves:
        if target in allowed(direction, state):
            store.update_file(entry.id, state=target)
            state = target
        else:
            with pytest.raises(TransitionError):
                store.update_file(entry.id, state=target)
        assert stored_state(store, entry.id) == state


# -- the summary ------------------------------------------------------------------------


def test_an_import_summary_is_stored_as_before(store: Store) -> None:
    report = FileReport("CW250001PUB_052.V21", transactions=3, accepted=2, rejected=1)
    report.statuses = {"AS": 2, "RJ": 1}
    report.findings_total = 4
    entry = new_entry(store, "in")
    store.update_file(entry.id, state=FileState.IMPORTED, summary=report.summary())
    with store.connect() as conn:
        stored = conn.execute(
            select(tables.files.c.summary).where(tables.files.c.id == entry.id)
        ).scalar_one()
    assert list(stored.items()) == [
        ("transactions", 3),
        ("accepted", 2),
        ("rejected", 1),
        ("works_created", 0),
        ("works_updated", 0),
        ("conflicts_opened", 0),
        ("matches_queued", 0),
        ("statuses", {"AS": 2, "RJ": 1}),
        ("findings", 4),
    ]
    found = store.get_file(entry.id)
    assert found is not None and found.summary == report.summary()
    assert found.as_dict()["summary"] == stored


#: Summaries as each kind of entry has always written them (key order included).
WRITTEN_BEFORE = [
    {  # a CWR file imported, then acknowledged
        "transactions": 1,
        "accepted": 1,
        "rejected": 0,
        "works_created": 1,
        "works_updated": 0,
        "conflicts_opened": 0,
        "matches_queued": 0,
        "statuses": {"AS": 1},
        "findings": 0,
        "ack": "CW250001052_PUB.V21",
    },
    {  # a file no part of which could be read
        "transactions": 0,
        "accepted": 0,
        "rejected": 0,
        "works_created": 0,
        "works_updated": 0,
        "conflicts_opened": 0,
        "matches_queued": 0,
        "statuses": {},
        "findings": 1,
        "unsupported": "not a CWR file",
    },
    {"mismatch": True, "manifest": "MANIFEST_058_052_000001.xml"},
    {"send": "cwr22", "works": 3, "until": "2026-01-02T03:04:05+00:00", "manifest": "pending"},
    {
        "answers": "CW250001PUB_052.V21",
        "transactions": 2,
        "statuses": {"AS": 1, "RJ": 1},
        "iswc_notifications": 0,
        "answers_entry": 4,
    },
    {"sequence": 7, "file_ids": [3, 4], "files": ["CW250001052_058.V22", "MWN_1.xml"]},
    {},
]


def manifest_received() -> dict:
    manifest = Manifest(
        sender="058",
        receiver="052",
        sequence=2,
        created=now(),
        files=(ManifestFile("CW250002058_052.V22", "cwr22", 120, "a" * 64, works=3),),
    )
    return {**manifest.as_dict(), "pending": ["CW250002058_052.V22"]}


@pytest.mark.parametrize("data", [*WRITTEN_BEFORE, manifest_received()])
def test_every_kind_of_summary_reads_and_writes_back_as_it_was(data: dict) -> None:
    summary = LedgerSummary.from_json(data)
    assert summary.extra == {}
    assert list(summary.to_json().items()) == list(data.items())


def test_a_summary_of_an_earlier_version_reads_with_defaults() -> None:
    old = LedgerSummary.from_json({"transactions": 5, "accepted": 5})
    assert old.rejected is None and old.statuses is None and old.extra == {}
    report = FileReport("x")
    entry = FileEntry(
        1, "x", "0" * 64, None, "cwr", None, "in", FileState.IMPORTING, 5, old, now(), None
    )
    assert BatchImporter.resume(report, entry) == 5
    assert (report.transactions, report.accepted, report.rejected, report.statuses) == (5, 5, 0, {})
    assert LedgerSummary.from_json(None) == LedgerSummary()


def test_keys_it_does_not_know_are_kept() -> None:
    data = {"accepted": 1, "added_later": {"x": 1}, "works": "three", "mismatch": 1}
    summary = LedgerSummary.from_json(data)
    assert summary.accepted == 1
    assert summary.works is None and summary.mismatch is None  # not of the declared type
    assert summary.extra == {"added_later": {"x": 1}, "works": "three", "mismatch": 1}
    assert summary.to_json() == data
    # a field set later wins over a value of another type kept from before
    assert replace(summary, works=3).to_json()["works"] == 3


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=5,
)
KEYS = st.sampled_from([f.name for f in fields(LedgerSummary) if f.name != "extra"]) | st.text(
    max_size=8
)


@given(st.dictionaries(KEYS, JSON_VALUES))
def test_any_stored_summary_is_written_back_unchanged(data: dict) -> None:
    """Whatever a summary holds comes back (keys with null values are the keys left out)."""
    declared = {f.name for f in fields(LedgerSummary) if f.name != "extra"}
    kept = {k: v for k, v in data.items() if v is not None or k not in declared}
    assert LedgerSummary.from_json(data).to_json() == kept
