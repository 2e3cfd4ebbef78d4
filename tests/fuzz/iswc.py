"""Fuzzing the ISWC codecs: mutated JSON and EDI v3.00 files through their readers, judged.

The readers are pure (no store), so a case is one call: it breaks a promise
when the reader raises anything but :class:`IswcFileError` (a file refused
whole, with its findings), or when what it returns or refuses says nowhere
where the problem is (a finding without a line, a JSON path or a message).
EDI files get the byte and line mutations of :mod:`tests.fuzz.mutations`;
JSON files get those and damage to their values (wrong types, missing or
extra keys, huge or odd strings, deep nesting), so that cases get past the
JSON parser and reach the schema and the record builders.
"""

from __future__ import annotations

import copy
import json
import random
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from adapters.iswc import edi_writer, json_files
from adapters.iswc.edi import read_edi
from adapters.iswc.json_files import read_json
from adapters.iswc.model import (
    Acknowledgement,
    Deletion,
    DerivedFrom,
    ErrorMessage,
    FileHeader,
    InterestedParty,
    IswcFileError,
    Notification,
    Performer,
    Submission,
    Title,
    WorkInfo,
)
from tests.fuzz.mutations import MUTATIONS, mutate

CREATED = datetime(2026, 12, 1, 9, 30, 0, tzinfo=UTC)
TO_CISAC = FileHeader("052", "315", CREATED, 52)
FROM_CISAC = FileHeader("315", "052", CREATED, 315)
ODD_VALUES = (None, True, 0, -1, 10**30, 1.5, "", " ", "T0345246801", "\u0000", "Ω" * 70_000,
              [], {}, [[[]]], {"a": {"b": {}}}, ["T0345246802"], [{"iswc": 1}])  # fmt: skip
KNOWN_KEYS = ("iswc", "archivedIswc", "mergeIswcs", "disambiguateFrom", "derivedFromIswcs",
              "workInfo", "interestedParties", "submissionId")  # fmt: skip


def _records() -> tuple[list, list, list]:
    work = Submission(
        0, "052", 52, "W-0001", "FUZZ WORK", (InterestedParty(375001586, "CA"),), "DOM",
        other_titles=(Title("FUZZ", "AT"), Title("ΦΑΖ", "AL", "EL")),
        derived_work_type="ModifiedVersion", derived_from=(DerivedFrom("T0345246801"),),
        disambiguation=True, disambiguation_reason="DIP", disambiguate_from=("T0000000010",),
        performers=(Performer("BAND"),), instrumentation=("PNO",),
    )  # fmt: skip
    works = [work, replace(work, submission_id=1, workcode="W-0002", preferred_iswc="T0345246801"),
             Deletion(2, "T0345246801", "052", 52, "W-0003", "DUPLICATE", "OLD WORK")]  # fmt: skip
    info = (WorkInfo("058", 58, "S1", "T0345246801", "T0000000010"),)
    day = CREATED.replace(hour=0, minute=0)
    acks = [
        Acknowledgement(CREATED, 0, "CAR", day, "FA", 0, 1, "T0345246801", "052", 52, "W-0001",
                        "FUZZ WORK", work_info=info),
        Acknowledgement(CREATED, 1, "CUR", day, "RJ", 1, 1, errors=(ErrorMessage(113, "ISWC"),)),
    ]  # fmt: skip
    notes = [
        Notification("T0345246801", "058", 58, "S1", "FUZZ WORK", day, CREATED, "MER", 0, 4,
                     "FA", 99, "Outstanding", interested_parties=work.interested_parties,
                     work_info=info),
    ]  # fmt: skip
    return works, acks, notes


def seeds() -> list[tuple[str, bytes]]:
    """Valid ISWC files: JSON submissions, acknowledgements and notifications; EDI the same."""
    works, acks, notes = _records()
    return [
        json_files.write_submissions(TO_CISAC, works),
        json_files.write_acknowledgements(FROM_CISAC, acks),
        json_files.write_notifications(FROM_CISAC, notes),
        edi_writer.write_edi(TO_CISAC, works),
        edi_writer.write_acknowledgements(FROM_CISAC, acks),
        edi_writer.write_notifications(FROM_CISAC, notes),
    ]


def _odd(rng: random.Random) -> object:
    return copy.deepcopy(rng.choice(ODD_VALUES))


def _walk(node: object, rng: random.Random) -> None:
    """Damage one place of a JSON document in place."""
    while True:
        if isinstance(node, dict) and node:
            key = rng.choice(sorted(node))
            if rng.random() < 0.3 or not isinstance(node[key], dict | list):
                what = rng.random()
                if what < 0.2:
                    del node[key]
                elif what < 0.3:  # a field of its own, or one the format has elsewhere
                    node[rng.choice((f"x{rng.randrange(99)}", *KNOWN_KEYS))] = _odd(rng)
                else:
                    node[key] = _odd(rng)
                return
            node = node[key]
        elif isinstance(node, list) and node:
            i = rng.randrange(len(node))
            if rng.random() < 0.3 or not isinstance(node[i], dict | list):
                if rng.random() < 0.5:
                    node[i] = _odd(rng)
                else:
                    node.insert(i, node[i])  # a repeated submission id, a second entry
                return
            node = node[i]
        else:
            return


def json_damage(data: bytes, rng: random.Random) -> bytes:
    """One to four values of a JSON file changed, the file still well-formed JSON."""
    document = json.loads(data)
    for _ in range(rng.randint(1, 4)):
        _walk(document, rng)
    return json.dumps(document).encode()


@dataclass
class IswcCampaign:
    problems: list[str] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)

    def judge(self, case: int, name: str, data: bytes, applied: list[str]) -> None:
        reader: Callable = read_json if name.endswith(".json") else read_edi
        try:
            read = reader(data, name)
        except IswcFileError as refused:
            self._count("refused")
            if not refused.findings or not all(f.message for f in refused.findings):
                self.problems.append(f"case {case} {name} {applied}: refused without findings")
            return
        except Exception:
            self.problems.append(f"case {case} {name} {applied}:\n{traceback.format_exc()}")
            return
        self._count("read")
        for f in read.findings:
            where = f.line if name.endswith((".CSN", ".ACK")) else f.field
            if f.level != "TR" or where is None:
                self.problems.append(f"case {case} {name} {applied}: finding {f} says not where")

    def _count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


def run_iswc_campaign(cases: int, seed: int) -> IswcCampaign:
    """``cases`` mutated ISWC files, case ``n`` drawn from ``random.Random(f"{seed}:{n}")``."""
    starts = seeds()
    campaign = IswcCampaign()
    for case in range(cases):
        rng = random.Random(f"{seed}:{case}")
        name, data = rng.choice(starts)
        if name.endswith(".json") and rng.random() < 0.6:
            data, applied = json_damage(data, rng), ["json_damage"]
            if rng.random() < 0.3:
                mutation = rng.choice(list(MUTATIONS))
                data = MUTATIONS[mutation](data, rng)
                applied.append(mutation)
        else:
            _, data, applied = mutate(name, data, rng)
        campaign.judge(case, name, data, applied)
    return campaign
