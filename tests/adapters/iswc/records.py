"""Hypothesis strategies for ISWC records, and the spec's samples, for the ISWC codec tests.

``json_*`` strategies draw records the JSON format carries whole (any Unicode
text, millisecond times, every optional field); ``edi_*`` strategies draw
records the EDI format carries whole (upper-case text that fits its fields,
whole seconds, dates at midnight, no JSON-only fields). Written and read back,
each must come out equal.
"""

from __future__ import annotations

import string
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from adapters.iswc import vocabulary as v
from adapters.iswc.model import (
    Acknowledgement,
    Deletion,
    DerivedFrom,
    ErrorMessage,
    FileHeader,
    InterestedParty,
    Merge,
    Notification,
    Performer,
    SearchByIswc,
    SearchByWorkCode,
    Submission,
    Title,
    WorkflowTaskUpdate,
    WorkInfo,
)
from exchange.identifiers import iswc as iswc_id
from tests.strategies import TITLE_ALPHABET, cis_text, ipi_base_numbers, iswcs, maybe

EDI_WORKCODE = string.ascii_uppercase + string.digits + "-/"
#: Upper-case letters beyond ASCII that stay the same when upper-cased (NAT titles).
NON_ROMAN = "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩАБВГДЕЖЗИКЛМНОПРСТУФ"


def compact_iswcs() -> st.SearchStrategy[str]:
    return iswcs().map(iswc_id.compact)


def agencies() -> st.SearchStrategy[str]:
    return st.integers(1, 999).map(lambda n: f"{n:03d}")


def json_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Any text with a non-blank character (what the schema's titles need)."""
    return st.text(min_size=1, max_size=max_size).filter(lambda s: s.strip() != "")


def edi_text(max_size: int) -> st.SearchStrategy[str]:
    return cis_text(TITLE_ALPHABET, max_size)


def json_times() -> st.SearchStrategy[datetime]:
    moments = st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31), timezones=st.just(UTC))
    return moments.map(lambda m: m.replace(microsecond=m.microsecond // 1000 * 1000))


def edi_times() -> st.SearchStrategy[datetime]:
    return json_times().map(lambda m: m.replace(microsecond=0))


def edi_days() -> st.SearchStrategy[datetime]:
    return json_times().map(lambda m: m.replace(hour=0, minute=0, second=0, microsecond=0))


def _parties(edi: bool) -> st.SearchStrategy[tuple[InterestedParty, ...]]:
    one = st.builds(
        InterestedParty,
        name_number=st.integers(1, 99_999_999_999),
        role=st.sampled_from(sorted(v.ROLES)),
        name=st.none() if edi else maybe(json_text()),
        base_number=maybe(ipi_base_numbers()),
    )
    creator = one.map(lambda p: replace(p, role="CA"))  # IV/07: at least one creator
    return st.tuples(creator, st.lists(one, max_size=3)).map(lambda p: (p[0], *p[1]))


def _titles(edi: bool) -> st.SearchStrategy[tuple[Title, ...]]:
    types = st.sampled_from(sorted(v.TITLE_TYPES))
    languages = st.sampled_from(["EN", "FR", "EL", "RU"]) if edi else st.sampled_from(["en", "fr"])
    text = edi_text(100) | cis_text(NON_ROMAN + " ", 100) if edi else json_text()
    return st.lists(st.builds(Title, text, types, maybe(languages)), max_size=3).map(tuple)


def _derived(edi: bool) -> st.SearchStrategy[DerivedFrom]:
    title = edi_text(100) if edi else json_text()
    return st.builds(DerivedFrom, maybe(compact_iswcs()), title) | st.builds(
        DerivedFrom, compact_iswcs(), st.none()
    )


@st.composite
def submissions(draw: st.DrawFn, edi: bool = False, update: bool | None = None) -> Submission:
    text = (lambda n: edi_text(n)) if edi else (lambda n: json_text())
    disambiguation = draw(st.booleans())
    derived = draw(maybe(st.sampled_from(sorted(v.DERIVED_WORK_TYPES))))
    update = draw(st.booleans()) if update is None else update
    return Submission(
        submission_id=draw(st.integers(0, 10**6)),
        agency=draw(agencies()),
        sourcedb=draw(st.integers(1, 999)),
        workcode=draw(cis_text(EDI_WORKCODE, 20) if edi else json_text()),
        original_title=draw(text(100)),
        interested_parties=draw(_parties(edi)),
        category=None if edi else draw(st.sampled_from(sorted(v.CATEGORIES))),
        other_titles=draw(_titles(edi)),
        iswc=None if update else draw(maybe(compact_iswcs())),
        preferred_iswc=draw(compact_iswcs()) if update else None,
        disambiguation=disambiguation,
        disambiguation_reason=(
            draw(st.sampled_from(sorted(v.DISAMBIGUATION_REASONS))) if disambiguation else None
        ),
        disambiguate_from=tuple(draw(st.lists(compact_iswcs(), min_size=1, max_size=2)))
        if disambiguation
        else (),
        bvltr=draw(maybe(st.sampled_from(sorted(v.BVLTR)))),
        derived_work_type=derived,
        derived_from=tuple(draw(st.lists(_derived(edi), min_size=1, max_size=2)))
        if derived
        else (),
        performers=tuple(
            draw(st.lists(st.builds(Performer, text(50), maybe(text(50))), max_size=2))
        ),
        instrumentation=tuple(draw(st.lists(cis_text(string.ascii_uppercase, 3), max_size=2))),
        locally_allocated_iswc=None if update or edi else draw(maybe(compact_iswcs())),
    )


@st.composite
def deletions(draw: st.DrawFn, edi: bool = False) -> Deletion:
    text = edi_text(25) if edi else json_text()
    return Deletion(
        submission_id=draw(st.integers(0, 10**6)),
        preferred_iswc=draw(compact_iswcs()),
        agency=draw(agencies()),
        sourcedb=draw(st.integers(1, 999)),
        workcode=draw(cis_text(EDI_WORKCODE, 20) if edi else json_text()),
        reason=draw(text),
        original_title=draw(edi_text(100)) if edi else None,
    )


def requests() -> st.SearchStrategy:
    """The JSON-only transactions: searches, merges and workflow task updates."""
    ids = st.integers(0, 10**6)
    return st.one_of(
        st.builds(SearchByIswc, ids, compact_iswcs()),
        st.builds(SearchByWorkCode, ids, agencies(), st.integers(0, 999), json_text()),
        st.builds(
            Merge,
            ids,
            compact_iswcs(),
            agencies(),
            st.integers(0, 999),
            json_text(),
            st.lists(compact_iswcs(), min_size=1, max_size=3).map(tuple),
        ),  # fmt: skip
        st.builds(
            WorkflowTaskUpdate,
            ids,
            st.integers(0, 10**9),
            st.sampled_from(sorted(v.WORKFLOW_TYPES)),
            st.sampled_from(["Approved", "Rejected"]),
        ),  # fmt: skip
    )


def _work_info(edi: bool) -> st.SearchStrategy[WorkInfo]:
    code = cis_text(EDI_WORKCODE, 20) if edi else json_text()
    return st.builds(
        WorkInfo, agencies(), st.integers(1, 999), code, maybe(compact_iswcs()),
        maybe(compact_iswcs()),
    )  # fmt: skip


@st.composite
def acknowledgements(draw: st.DrawFn, edi: bool = False) -> Acknowledgement:
    status = draw(st.sampled_from(sorted(v.STATUSES)))
    text = edi_text(100) if edi else json_text()
    errors = st.builds(ErrorMessage, st.integers(100, 247), json_text(), maybe(json_text()))
    return Acknowledgement(
        original_file_created=draw(edi_times() if edi else json_times()),
        original_submission=draw(st.integers(0, 10**6)),
        original_transaction_type=draw(st.sampled_from(sorted(v.TRANSACTION_TYPES))),
        processed=draw(edi_days() if edi else json_times()),
        status=status,
        submission_id=draw(st.integers(0, 10**6)),
        original_group=draw(st.integers(0, 99)) if edi else None,
        preferred_iswc=draw(maybe(compact_iswcs())),
        agency=draw(maybe(agencies())),
        sourcedb=draw(maybe(st.integers(1, 999))),
        workcode=draw(maybe(cis_text(EDI_WORKCODE, 20) if edi else json_text())),
        original_title=draw(maybe(text)),
        other_titles=draw(_titles(edi)),
        interested_parties=draw(_parties(edi)),
        work_info=tuple(draw(st.lists(_work_info(edi), max_size=2))),
        errors=()
        if edi or status == "FA"
        else tuple(draw(st.lists(errors, min_size=1, max_size=2))),
    )


@st.composite
def notifications(draw: st.DrawFn, edi: bool = False) -> Notification:
    text = (lambda n: edi_text(n)) if edi else (lambda n: json_text())
    task = draw(maybe(st.integers(1, 9_999_999_999)))
    derived = draw(maybe(st.sampled_from(sorted(v.DERIVED_WORK_TYPES))))
    # a MER record names the preferred ISWC the work was merged into
    merged = st.builds(replace, _work_info(True), preferred_iswc=compact_iswcs())
    return Notification(
        preferred_iswc=draw(compact_iswcs()),
        agency=draw(agencies()),
        sourcedb=draw(st.integers(1, 999)),
        workcode=draw(cis_text(EDI_WORKCODE, 20) if edi else json_text()),
        original_title=draw(text(100)),
        processed=draw(edi_days() if edi else json_times()),
        original_file_created=draw(edi_times() if edi else json_times()),
        original_transaction_type=draw(st.sampled_from(sorted(v.TRANSACTION_TYPES))),
        submission_id=draw(st.integers(0, 10**6)),
        original_submission=draw(st.integers(1, 10**6)),
        status=draw(
            (st.sampled_from if edi else lambda x: maybe(st.sampled_from(x)))(sorted(v.STATUSES))
        ),  # fmt: skip
        workflow_task_id=task,
        workflow_status=None
        if task is None
        else draw(st.sampled_from(sorted(v.WORKFLOW_STATUS_NUMBERS))),  # fmt: skip
        other_titles=draw(_titles(edi)),
        interested_parties=draw(_parties(edi)),
        work_info=tuple(draw(st.lists(_work_info(edi), max_size=2))),
        derived_work_type=None if edi else derived,
        derived_from=tuple(draw(st.lists(_derived(edi), max_size=2))),
        performers=tuple(
            draw(st.lists(st.builds(Performer, text(50), maybe(text(50))), max_size=2))
        ),  # fmt: skip
        instrumentation=tuple(draw(st.lists(cis_text(string.ascii_uppercase, 3), max_size=2))),
        merges=tuple(draw(st.lists(merged, max_size=2))) if edi else (),
    )


def headers(times: st.SearchStrategy[datetime] | None = None) -> st.SearchStrategy[FileHeader]:
    return st.builds(
        lambda sender, receiver, created: FileHeader(sender, receiver, created, int(sender)),
        agencies(), agencies(), json_times() if times is None else times,
    )  # fmt: skip


def numbered(records: list, kind_of) -> list:
    """The records with the submission ids EDI gives them: their place in their group."""
    counts: dict[str, int] = {}
    out = []
    for r in records:
        kind = kind_of(r)
        out.append(replace(r, submission_id=counts.get(kind, 0)))
        counts[kind] = counts.get(kind, 0) + 1
    return out


START = datetime(2019, 11, 25, 18, 25, 43, 511000, tzinfo=UTC)
LATER = START + timedelta(hours=15)
