"""A short fuzz campaign in every test run (the long one: ``python -m tests.fuzz``)."""

from __future__ import annotations

import random

from tests.fuzz.corpus import seeds
from tests.fuzz.iswc import run_iswc_campaign
from tests.fuzz.mutations import MUTATIONS, mutate
from tests.fuzz.target import run_campaign

#: Bounded: a few hundred files, under two minutes on a busy two-core machine.
CI_CASES = 300


def test_mutations_are_replayable_from_their_seed():
    name, data = seeds()[0]
    first = mutate(name, data, random.Random("7:3"))
    assert mutate(name, data, random.Random("7:3")) == first


def test_every_mutation_changes_something_somewhere():
    name, data = seeds()[-1]
    for mutation, damage in MUTATIONS.items():
        outcomes = {damage(data, random.Random(n)) for n in range(20)}
        assert outcomes - {data}, mutation


def test_a_fuzz_campaign_breaks_no_promise(tmp_path):
    campaign = run_campaign(CI_CASES, seed=20261201, folder=tmp_path / "fuzz")
    assert campaign.outcomes.get("imported"), "no mutated file was imported at all"
    assert [
        f"case {p.case} {p.name} {p.mutations}: {p.what}\n{p.detail}" for p in campaign.problems
    ] == []


def test_an_iswc_fuzz_campaign_breaks_no_promise():
    campaign = run_iswc_campaign(1000, seed=20261202)
    assert campaign.outcomes.get("read"), "no mutated ISWC file was read at all"
    assert campaign.problems == []
