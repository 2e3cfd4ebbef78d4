"""The code lists of the ISWC file formats, one source for the JSON and the EDI codecs.

The JSON codes are read from the project's JSON Schema
(``schemas/iswc/iswc_schema.json``), so the schema and the codecs cannot
disagree. The EDI v3.00 format names some of them differently (``FA`` for
``FullyAccepted``, ``CAR`` for ``AddSubmission``, a digit for a workflow status,
one letter for BVLTR); those spellings are mapped here, and every mapped value
is checked against the schema when this module loads.

The records the node reads and writes carry the EDI spellings of transaction
types and statuses (``CAR``, ``FA``, as the guidelines write them) and the JSON
spellings of everything else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any

from schemas.iswc import SCHEMA_FILE

#: The agency code of the ISWC database, the receiver of our submission files and the
#: sender of their acknowledgements (SPE_20191118 2.2.3 and its sample files).
ISWC_DATABASE_AGENCY = "315"


@cache
def schema() -> Mapping[str, Any]:
    """The ISWC JSON Schema, loaded once."""
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def _enum(name: str) -> tuple[Any, ...]:
    return tuple(schema()["$defs"][name]["enum"])


TITLE_TYPES: frozenset[str] = frozenset(_enum("titleType"))
ROLES: frozenset[str] = frozenset(_enum("role"))
#: Roles of creators (IV/07: a submission needs at least one).
CREATOR_ROLES: frozenset[str] = frozenset({"C", "CA", "A", "AR", "AD", "TR", "SA", "SR"})
CATEGORIES: frozenset[str] = frozenset(_enum("category"))
DERIVED_WORK_TYPES: frozenset[str] = frozenset(_enum("derivedWorkType"))
DISAMBIGUATION_REASONS: frozenset[str] = frozenset(_enum("disambiguationReason"))
BVLTR: frozenset[str] = frozenset(_enum("bvltr"))
WORKFLOW_TYPES: frozenset[str] = frozenset(_enum("workflowType"))

#: EDI transaction codes and the JSON transaction types they are.
TRANSACTION_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "CAR": "AddSubmission",
        "CUR": "UpdateSubmission",
        "CDR": "DeleteSubmission",
        "CMQ": "SearchByIswcSubmission",
        "CIQ": "SearchByAgencyWorkCodeSubmission",
        "MER": "MergeSubmission",
        "WFT": "UpdateWorkflowTask",
    }
)
TRANSACTION_CODES: Mapping[str, str] = MappingProxyType(
    {v: k for k, v in TRANSACTION_TYPES.items()}
)

#: EDI transaction statuses (Transaction Status table) and the JSON ones.
STATUSES: Mapping[str, str] = MappingProxyType(
    {"FA": "FullyAccepted", "PA": "PartiallyAccepted", "RJ": "Rejected"}
)
STATUS_CODES: Mapping[str, str] = MappingProxyType({v: k for k, v in STATUSES.items()})

#: Workflow task statuses by their EDI digit.
WORKFLOW_STATUSES: Mapping[int, str] = MappingProxyType(
    {0: "Outstanding", 1: "Approved", 2: "Rejected", 3: "Cancelled"}
)
WORKFLOW_STATUS_NUMBERS: Mapping[str, int] = MappingProxyType(
    {v: k for k, v in WORKFLOW_STATUSES.items()}
)
#: Workflow types by their EDI digit (WFT record: 1 update, 2 merge approval).
WORKFLOW_TYPE_NUMBERS: Mapping[str, int] = MappingProxyType(
    {"UpdateApproval": 1, "MergeApproval": 2}
)

#: BVLTR values and the one letter the EDI field holds.
BVLTR_LETTERS: Mapping[str, str] = MappingProxyType(
    {"Background": "B", "Logo": "L", "Theme": "T", "Visual": "V", "RolledUpCue": "R"}
)
BVLTR_NAMES: Mapping[str, str] = MappingProxyType({v: k for k, v in BVLTR_LETTERS.items()})


def _check() -> None:
    """Every EDI spelling maps to a value the schema knows (a typo here fails at import)."""
    pairs = (
        (set(TRANSACTION_TYPES.values()), set(_enum("transactionType"))),
        (set(STATUSES.values()), set(_enum("transactionStatus"))),
        (set(WORKFLOW_STATUSES) | set(WORKFLOW_STATUSES.values()), set(_enum("workflowStatus"))),
        (set(WORKFLOW_TYPE_NUMBERS), set(WORKFLOW_TYPES)),
        (set(BVLTR_LETTERS), set(BVLTR)),
        (set(CREATOR_ROLES), set(ROLES)),
    )
    for mapped, known in pairs:
        if not mapped <= known:
            raise RuntimeError(f"ISWC vocabulary not in the schema: {sorted(mapped - known)}")


_check()
