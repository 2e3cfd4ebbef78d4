"""The business rules the stand-in checks, each answered with its documented error code.

Codes and messages are those of the REST specification's table 5.1
(:data:`exchange.iswc.codes.ERRORS`); the rule each check comes from is named.
"""

from __future__ import annotations

import re
from typing import NoReturn

from adapters.iswc.vocabulary import CREATOR_ROLES
from exchange.codes import society
from exchange.identifiers import iswc as iswc_id
from exchange.iswc.answers import Rejection
from exchange.iswc.codes import ERRORS
from tests.iswc_standin.models import Submission

ISWC_PATTERN = re.compile(r"T[0-9]{10}")
#: Hubs that may submit for any society (sourcedb, 3.3 of the specification: the WID).
HUBS = frozenset({300})
#: The longest agency work code (IV/45).
MAX_WORKCODE = 20


class Refused(Exception):
    """A request (or one item of a batch) that a rule rejects."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        message = ERRORS[code] + (f" ({detail})" if detail else "")
        super().__init__(message)
        self.rejection = Rejection(code, message)


def refuse(code: str, detail: str | None = None) -> NoReturn:
    raise Refused(code, detail)


def check_iswc(value: str) -> str:
    """IV/14 (113) the pattern T[0-9]{10}; IV/15 (141) the check digit of ISO 15707."""
    if not ISWC_PATTERN.fullmatch(value):
        refuse("113", value)
    if not iswc_id.is_valid(value):
        refuse("141", value)
    return value


def check_agency(agency: str) -> None:
    """IV/10 (103): a CISAC society code."""
    if not agency.isdigit() or society(agency) is None:
        refuse("103", agency)


def check_source(agency: str, sourcedb: int) -> None:
    """IV/12 (138) a source database code; IV/08 (115) allowed for the agency."""
    if not 0 < sourcedb < 1000:
        refuse("138", str(sourcedb))
    if sourcedb != int(agency) and sourcedb not in HUBS:
        refuse("115", f"sourcedb {sourcedb} for agency {agency}")


def check_workcode(workcode: str) -> None:
    """IV/11 (136) required; IV/45 (158) at most 20 characters."""
    if not workcode.strip():
        refuse("136")
    if len(workcode) > MAX_WORKCODE:
        refuse("158", workcode)


def check_submission(sub: Submission, ipis: frozenset[int] | None) -> None:
    """The initial validation of an add or an update (IV rules, MD/16)."""
    check_agency(sub.agency)
    check_source(sub.agency, sub.sourcedb)
    check_workcode(sub.workcode)
    if not sub.originalTitle.strip():
        refuse("109")  # IV/05
    if any(t.type == "OT" for t in sub.otherTitles or ()):
        refuse("110")  # IV/06
    if not sub.interestedParties:
        refuse("104")  # IV/02
    if not any(ip.role in CREATOR_ROLES for ip in sub.interestedParties):
        refuse("111")  # IV/07
    for ip in sub.interestedParties:
        if ip.nameNumber <= 0:
            refuse("134", str(ip.nameNumber))  # IV/20
        if ipis is not None and ip.nameNumber not in ipis:
            refuse("137", f"{ip.nameNumber:011d}")  # MD/16
    for value in (sub.iswc, sub.preferredIswc):
        if value is not None:
            check_iswc(value)
    _check_derivation(sub)
    if sub.disambiguation:
        if sub.disambiguationReason is None:
            refuse("123")  # IV/40
        if not sub.disambiguateFrom:
            refuse("124")
        for item in sub.disambiguateFrom:
            check_iswc(item.iswc)
    for performer in sub.performers or ():
        if len(performer.lastName) > 50 or len(performer.firstName or "") > 50:
            refuse("162", performer.lastName[:60])  # IV/47


def _check_derivation(sub: Submission) -> None:
    """IV/34, IV/36, IV/38: what a derived work is derived from ("basic" for versions)."""
    sources = sub.derivedFromIswcs or []
    if sub.derivedWorkType == "Composite" and not sources:
        refuse("121")
    if sub.derivedWorkType == "Excerpt" and not sources:
        refuse("147")
    for source in sources:
        if not source.iswc and not (source.title or "").strip():
            refuse("120")
        if source.iswc:
            check_iswc(source.iswc)


def read_ipis(text: str) -> frozenset[int]:
    """IPI name numbers, one a line (blank lines and ``#`` comments ignored)."""
    numbers = set()
    for number, line in enumerate(text.splitlines(), 1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        if not value.isdigit():
            raise ValueError(f"line {number}: {value!r} is not an IPI name number")
        numbers.add(int(value))
    return frozenset(numbers)
