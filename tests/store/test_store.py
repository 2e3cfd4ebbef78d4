"""The store on SQLite and PostgreSQL: migrations, round trips, lookups, history."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, inspect, select

from exchange.demo import sample_works
from exchange.model import Performer, Recording, Shares, Source, TerritoryShare, Work
from exchange.store import Store
from exchange.store import tables as t
from exchange.store.database import StoreError
from exchange.store.rows import one_of


def test_migrations_from_empty_and_idempotent(db_url: str) -> None:
    with Store(db_url) as store:
        assert store.current_revision() is None
        with pytest.raises(StoreError, match="exchange init"):
            store.require_schema()
        before, after = store.init()
        assert before is None and after == store.head_revision()
        tables = set(inspect(store.engine).get_table_names())
        assert {"works", "claims", "sources", "history", "parties"} <= tables
        assert store.init() == (after, after)
        store.require_schema()
        assert store.count_works() == 0


def _with_sources(works: list[Work]) -> list[tuple[Work, Source | None]]:
    return [(w, w.claims[0].source) for w in works]


def _comparable(work: Work) -> Work:
    """A work without store ids and with sources reduced to what a source says."""
    work = replace(work, id=None)
    for claim in work.claims:
        claim.id = None
        claim.party.id = None
        claim.party.key = None
        claim.party.affiliations = []
        if claim.source:
            claim.source = replace(claim.source, id=None)
    for recording in work.recordings:
        if recording.source:
            recording.source = replace(recording.source, id=None)
    return work


def test_works_round_trip(store: Store) -> None:
    ids = store.add_works(_with_sources(sample_works()))
    assert ids == sorted(ids) and len(ids) == 3
    assert store.count_works() == 3
    for work, wid in zip(sample_works(), ids, strict=True):
        loaded = store.load_work(wid)
        assert loaded is not None
        assert _comparable(loaded) == _comparable(work)


def test_performers_of_works_and_of_their_recordings_round_trip(store: Store) -> None:
    """Each performer comes back to its work or recording, in the order given."""
    works = sample_works()
    first, second = works[0], works[1]
    first.performers = [Performer("KEEL", "ANNA"), Performer("BRINE", isni="0000000121032683")]
    first.recordings[0].performers = [Performer("TIDE", "MOLLY"), Performer("SPRAY")]
    second.recordings = [Recording(isrc="GBAYE2600002", performers=[Performer("GULL")])]
    second.performers = [Performer("SHORE")]
    ids = store.add_works(_with_sources(works))
    loaded = store.iter_works(ids)
    for work, stored in zip(works, loaded, strict=True):
        assert stored.performers == work.performers
        assert [r.performers for r in stored.recordings] == [r.performers for r in work.recordings]


def test_a_party_with_two_keys_from_one_sender_claims_once(store: Store) -> None:
    """One claim, each of its territories once and in order, whichever key is read."""
    work = sample_works()[0]
    claim = work.claims[0]
    claim.territories = [
        TerritoryShare("2136", True, Shares(5000, 10000, 10000)),
        TerritoryShare("0826", False, Shares(0, 0, 0)),
        TerritoryShare("0250", True, Shares(2500, 0, 0)),
    ]
    (work_id,) = store.add_works([(work, claim.source)])
    loaded = store.load_work(work_id)
    assert loaded is not None
    party_id, sender = loaded.claims[0].party.id, loaded.claims[0].source.partner
    with store.connect() as conn:
        conn.execute(insert(t.party_keys).values(party_id=party_id, issuer=sender, key="OTHER"))
    again = store.load_work(work_id)
    assert again is not None
    assert [c.id for c in again.claims] == [c.id for c in loaded.claims]
    assert again.claims[0].territories == claim.territories
    assert again.claims[0].party.key in {loaded.claims[0].party.key, "OTHER"}


def test_parties_are_shared_by_ipi(store: Store) -> None:
    store.add_works(_with_sources(sample_works()))
    parties = store.list_parties()
    assert sorted(p.ipi_name_number for p in parties) == [
        "00045620792",
        "00052210040",
        "00334284961",
    ]
    party, work_ids = store.get_party("45620792")
    assert party.last_name == "ORCHARD" and work_ids == [1, 3]
    assert {a.society for a in party.affiliations} == {"052"}
    assert store.get_party("00000000199") is None


def test_lookups_by_a_list_of_values_find_each_value_as_it_is(store: Store) -> None:
    """A list bound as one parameter (on PostgreSQL the text of an array): values with
    the characters of that text (quotes, backslashes, commas, braces, spaces), an
    empty value and the word NULL are found as they are, and only they."""
    partners = ['A"B', "C\\D", "E,F", "{G}", " H ", "", "NULL", "null", "I\\"]
    received = datetime(2026, 1, 1, tzinfo=UTC)
    s = t.sources
    with store.connect() as conn:
        conn.execute(insert(s), [{"partner": p, "received_at": received} for p in partners])
        conn.execute(insert(s), [{"partner": "OTHER", "received_at": received}])
        dialect = conn.dialect.name
        by_partner = select(s.c.partner).where(one_of(dialect, s.c.partner, partners))
        assert sorted(conn.execute(by_partner).scalars()) == sorted(partners)
        ids = [1, 3, len(partners) + 1, 10**6]
        by_id = select(s.c.id).where(one_of(dialect, s.c.id, ids))
        assert sorted(conn.execute(by_id).scalars()) == [1, 3, len(partners) + 1]
        for nothing in ([], [None]):
            assert conn.execute(select(s.c.id).where(one_of(dialect, s.c.id, nothing))).all() == []


def test_find_work_by_keys(store: Store) -> None:
    store.add_works(_with_sources(sample_works()))
    assert store.find_work("1") == 1
    assert store.find_work("T-034.524.680-1") == 1
    assert store.find_work("t0101713147") == 2
    assert store.find_work("DMO:DMO0003") == 3
    assert store.find_work("DMO:NOPE") is None
    assert store.find_work("NOPE") is None
    assert store.find_work("99") is None


def test_find_work_finds_nothing_for_keys_no_work_can_have(store: Store) -> None:
    """Digits of other scripts, ids over 64 bits, NUL (PostgreSQL refuses it in text)."""
    store.add_works(_with_sources(sample_works()))
    for key in ["²", "١", str(2**63), "9" * 5000, "DMO:\x00", "\x00"]:
        assert store.find_work(key) is None, repr(key)


def test_list_and_search(store: Store) -> None:
    store.add_works(_with_sources(sample_works()))
    rows = store.list_works()
    assert [r.title for r in rows] == [
        "LANTERNS OVER THE BAY",
        "QUAND LA MAREE MONTE",
        "NORTHBOUND LINE",
    ]
    assert rows[0].sources == ["DMO"]
    assert [r.id for r in store.list_works(limit=1, offset=1)] == [2]
    assert [r.id for r in store.list_works(search="quand la marée")] == [2]
    assert [r.id for r in store.list_works(search="lanterns over the bay!")] == [1]


def test_update_and_removal_keep_history(store: Store) -> None:
    [wid] = store.add_works(_with_sources(sample_works()[:1]))
    later = Source("DMO", "CW260002DMO_052.V21", 0, datetime(2026, 2, 1, tzinfo=UTC), "REV")
    revised = replace(sample_works()[0], duration=300, claims=[])
    with store.connect() as conn:
        writer = store.writer(conn)
        [sid] = writer.source_ids([later])
        removed = writer.remove_statements(wid, "DMO", sid)
        writer.update_works([(wid, revised, later)])
    assert removed == 2
    work = store.load_work(wid)
    assert work.duration == 300 and work.claims == [] and work.recordings == []
    history = store.history(wid)
    assert [(h.entity, h.action) for h in history].count(("claim", "delete")) == 2
    update = next(h for h in history if h.entity == "work" and h.action == "update")
    assert update.before["duration"] == 214
    assert update.source.file == "CW260002DMO_052.V21"
    # first its creation, with the source that first stated it (not the REV's)
    assert (history[0].action, history[0].source.file) == ("create", "CW260001DMO_052.V21")
    assert [h.changed_at for h in history] == sorted(h.changed_at for h in history)


def test_file_sequences_never_repeat(store: Store) -> None:
    numbers = [store.next_file_sequence("052", "058") for _ in range(3)]
    assert numbers == [1, 2, 3]
    assert store.next_file_sequence("052", "035") == 1


def test_bad_url_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="unsupported database URL .nosuchdb://x."):
        Store("nosuchdb://x")


def test_migrations_build_the_declared_schema(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from exchange.store.tables import metadata

    with Store(db_url) as store:
        store.init()
        with store.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
