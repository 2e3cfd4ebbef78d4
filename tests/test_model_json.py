"""work_from_json(json(work_to_json(work))) == work, and the reader's strictness."""

from __future__ import annotations

import copy
import dataclasses
import doctest
import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings

from exchange import demo, model_json
from exchange.model import (
    Affiliation,
    Claim,
    InterestedParty,
    Performer,
    Recording,
    Right,
    Side,
    Source,
    Work,
)
from exchange.model_json import work_from_json, work_to_json
from tests.strategies import cwr_works


def through_json(work: Work) -> Work:
    """The work written as JSON text and read back, as a database JSON column would."""
    return work_from_json(json.loads(json.dumps(work_to_json(work))))


def assert_plain_json(value: Any, path: str = "work") -> None:
    """Only dicts with string keys, lists, strings, integers, booleans and None."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, path
            assert_plain_json(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            assert_plain_json(item, f"{path}[{i}]")
    else:
        assert value is None or type(value) in (str, int, bool), (path, value)


def with_ids(works: list[Work]) -> list[Work]:
    """The works with ids on works, claims, parties and sources, as the store gives them."""
    ids = iter(range(1, 10_000))
    sources: dict[int, Source] = {}  # one identified copy per source object
    for work in works:
        work.id = next(ids)
        for claim in work.claims:
            claim.id = next(ids)
            claim.party.id = claim.party.id or next(ids)
            if claim.source is not None:
                src = claim.source
                claim.source = sources.setdefault(id(src), dataclasses.replace(src, id=next(ids)))
        for recording in work.recordings:
            if recording.source is not None:
                recording.source = dataclasses.replace(recording.source, id=next(ids))
    return works


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(cwr_works())
def test_random_works_round_trip(work: Work) -> None:
    data = work_to_json(work)
    assert_plain_json(data)
    assert through_json(work) == work


def test_demo_works_round_trip() -> None:
    sister = demo.sister_work()
    zone = ZoneInfo("Europe/Paris")
    sister.recordings.append(
        Recording(
            isrc="FR-Z03-26-00001",
            title="QUAND LA MAREE MONTE",
            version_title="RADIO EDIT",
            duration=181,
            label="PHARE DISQUES",
            release_date=date(2026, 3, 2),
            album_title="MAREES",
            catalogue_number="PH-0001",
            ean="3700187654323",
            display_artist="THEO VALLANCE",
            performers=[Performer("VALLANCE", "THEO", isni="0000000121032683")],
            source=Source("058", "CW260001058_052.V22", 0, datetime(2026, 7, 1, 10, tzinfo=zone)),
        )
    )
    works = with_ids([*demo.sample_works(), sister])
    assert works[0].recordings and works[0].claims[0].source is not None
    for work in works:
        data = work_to_json(work)
        assert_plain_json(data)
        back = through_json(work)
        assert back == work
        assert [type(c.writers) for c in back.claims] == [tuple] * len(back.claims)
        assert back.claims[0].side is Side.PUBLISHER
        assert back.claims[0].party.affiliations[0].right is Right.PR

    received = through_json(works[0]).claims[0].source
    assert received is not None and received.received_at is not None
    assert received.received_at.tzinfo is UTC
    assert received.id == works[0].claims[0].source.id

    stamped = through_json(sister).recordings[0].source
    assert stamped is not None and stamped.received_at is not None
    assert stamped.received_at.tzinfo is zone
    assert stamped.received_at.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 1, 15, 9, 30),  # naive stays naive
        datetime(2026, 1, 15, 9, 30, 0, 123456, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 10, 25, 2, 30, tzinfo=ZoneInfo("Europe/Paris"), fold=1),
    ],
)
def test_datetimes_keep_their_zone(moment: datetime) -> None:
    work = Work("CLOCKWORK")
    party = InterestedParty("HANDS", affiliations=[Affiliation("052", Right.SR, "0826")])
    party.affiliations[0].source = Source("052", received_at=moment)
    work.claims.append(Claim(party, "E", Side.PUBLISHER, writers=("W1", "W2")))
    back = through_json(work)
    assert back == work
    got = back.claims[0].party.affiliations[0].source.received_at
    assert got.tzinfo == moment.tzinfo
    assert got.utcoffset() == moment.utcoffset()
    assert (got.replace(tzinfo=None), got.fold) == (moment.replace(tzinfo=None), moment.fold)


def test_missing_keys_take_the_defaults() -> None:
    work = with_ids(demo.sample_works())[0]
    data = work_to_json(work)
    for key in ("language", "titles", "recordings", "version_type"):
        del data[key]
    claim = data["claims"][0]
    for key in ("controlled", "writers", "territories", "source", "id"):
        del claim[key]
    del claim["party"]["affiliations"][0]["territory"]

    back = work_from_json(data)
    assert (back.language, back.titles, back.recordings, back.version_type) == (None, [], [], "ORI")
    first = back.claims[0]
    assert (first.controlled, first.writers, first.territories) == (True, (), [])
    assert (first.source, first.id) == (None, None)
    assert first.party.affiliations[0].territory == "2136"
    assert back.title == work.title and back.claims[1] == work.claims[1]


def test_missing_required_key_is_rejected() -> None:
    data = work_to_json(demo.sister_work())
    del data["claims"][1]["party"]["last_name"]
    with pytest.raises(ValueError, match=r"work\.claims\[1\]\.party: missing .*'last_name'"):
        work_from_json(data)


def test_unknown_keys_are_rejected() -> None:
    data = work_to_json(demo.sister_work())
    top = copy.deepcopy(data)
    top["mood"] = "calm"
    with pytest.raises(ValueError, match=r"work: unknown keys for Work: 'mood'"):
        work_from_json(top)

    nested = copy.deepcopy(data)
    nested["claims"][0]["territories"][0]["collection"]["lr"] = 100
    nested["claims"][0]["territories"][0]["collection"]["dr"] = 100
    pattern = r"work\.claims\[0\]\.territories\[0\]\.collection: unknown keys .*'dr', 'lr'"
    with pytest.raises(ValueError, match=pattern):
        work_from_json(nested)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("duration",), "187"),
        (("duration",), True),
        (("claims", 0, "controlled"), 1),
        (("claims", 0, "side"), "composer"),
        (("claims", 0, "writers"), "W9"),
        (("claims", 0, "source", "received_at"), "yesterday"),
        (("claims", 0, "party"), None),
        (("titles", 0), ["WHEN THE TIDE COMES IN"]),
    ],
)
def test_wrong_types_are_rejected(path: tuple[str | int, ...], value: Any) -> None:
    data = work_to_json(demo.sister_work())
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(ValueError, match="expected"):
        work_from_json(data)


def test_writing_rejects_what_could_not_be_read_back() -> None:
    work = demo.sister_work()
    work.duration = "187"  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"work\.duration: expected int"):
        work_to_json(work)
    work = demo.sister_work()
    work.recordings.append(Recording(release_date=datetime(2026, 1, 1)))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"work\.recordings\[0\]\.release_date: expected date"):
        work_to_json(work)


def test_docstring_example() -> None:
    assert doctest.testmod(model_json).failed == 0
