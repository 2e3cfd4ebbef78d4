"""The JSON of the ISWC database's REST API: submissions built from works, answers read.

A submission follows the conventions of the specification (chapter 4): an
optional field is left out rather than sent empty, dates are ISO 8601 with their
offset, titles and roles use the CISAC codes of :mod:`exchange.iswc.codes`.

The database knows parties only by IPI name number and uses creators (for
matching and eligibility) and original publishers or administrators (E, AM);
a creator without an IPI name number makes the work unsubmittable, a publisher
without one is left out. Income participants, sub-publishers and the like are
not sent.

>>> from exchange.model import Claim, InterestedParty, Side, Work
>>> writer = InterestedParty("CORLEY", "JOHN", ipi_name_number="00458930030")
>>> work = Work("WHOLE OTHER TEST WORK", id=7, claims=[Claim(writer, "C", Side.WRITER)])
>>> submission(work, agency="128", source_db=128)  # doctest: +NORMALIZE_WHITESPACE
{'agency': '128', 'sourcedb': 128, 'workcode': '7', 'category': 'INT',
 'originalTitle': 'WHOLE OTHER TEST WORK',
 'interestedParties': [{'nameNumber': 458930030, 'role': 'C', 'name': 'CORLEY, JOHN'}]}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adapters.iswc.vocabulary import CREATOR_ROLES, TITLE_TYPES
from exchange.errors import ExchangeError
from exchange.identifiers import is_digits, known
from exchange.identifiers import iswc as iswc_id
from exchange.iswc.codes import PUBLISHER_ROLES
from exchange.model import Component, OriginalWork, Work

#: The longest agency work code the database takes (IV/45).
MAX_WORKCODE = 20


class PayloadError(ExchangeError):
    """A work that cannot be sent to the ISWC database as it is (says which and why)."""


def iso(moment: datetime) -> str:
    """An ISO 8601 date-time with its offset, as the API writes them.

    >>> from datetime import UTC
    >>> iso(datetime(2019, 11, 5, 8, 31, 20, tzinfo=UTC))
    '2019-11-05T08:31:20+00:00'
    """
    if moment.tzinfo is None:
        raise ValueError("a date-time for the ISWC database needs a time zone")
    return moment.isoformat(timespec="seconds")


def workcode_of(work: Work, agency: str) -> str:
    """Our work code for ``work``: the number ``agency`` gave it, else its local id."""
    code = work.number(agency) or (str(work.id) if work.id is not None else "")
    if not code:
        raise PayloadError(f"{_where(work)}: no work code of {agency} and no local id")
    if len(code) > MAX_WORKCODE:
        raise PayloadError(
            f"{_where(work)}: work code {code!r} is longer than the {MAX_WORKCODE} "
            "characters the ISWC database takes"
        )
    return code


def category_of(work: Work, agency: str) -> str:
    """DOM when a creator of the work is a member of ``agency``, else INT."""
    for claim in work.writers:
        if any(a.society == agency for a in claim.party.affiliations):
            return "DOM"
    return "INT"


def submission(
    work: Work,
    *,
    agency: str,
    source_db: int,
    preferred_iswc: str | None = None,
    category: str | None = None,
    created: datetime | None = None,
    modified: datetime | None = None,
) -> dict[str, Any]:
    """The Submission object for ``work`` (POST and PUT /submission, and the batches).

    ``preferred_iswc`` is required by an update; ``created`` and ``modified`` become
    ``cisnetCreatedDate`` and ``cisnetLastModifiedDate``.
    """
    body: dict[str, Any] = {
        "agency": agency,
        "sourcedb": source_db,
        "workcode": workcode_of(work, agency),
        "category": category or category_of(work, agency),
        "originalTitle": _required_title(work),
        "interestedParties": _parties(work),
    }
    others = _other_titles(work)
    if others:
        body["otherTitles"] = others
    if work.iswc and iswc_id.is_valid(work.iswc):
        body["iswc"] = iswc_id.compact(work.iswc)
    if preferred_iswc:
        body["preferredIswc"] = iswc_id.compact(preferred_iswc)
    body.update(_derivation(work))
    performers = _performers(work)
    if performers:
        body["performers"] = performers
    instruments = sorted({i.code for i in work.instruments if i.code and len(i.code) <= 3})
    if instruments:
        body["instrumentation"] = [{"code": code} for code in instruments]
    if created is not None:
        body["cisnetCreatedDate"] = iso(created)
    if modified is not None:
        body["cisnetLastModifiedDate"] = iso(modified)
    return body


def _where(work: Work) -> str:
    return f"work {work.id if work.id is not None else '(new)'} ({work.title!r})"


def _required_title(work: Work) -> str:
    title = " ".join((work.title or "").split())
    if not title:
        raise PayloadError(f"{_where(work)}: the work has no title")
    return title


def _other_titles(work: Work) -> list[dict[str, str]]:
    seen = {(work.title, "OT")}
    out = []
    for t in work.titles:
        title = " ".join(t.title.split())
        # IV/06: the original title is originalTitle, never an OT in otherTitles
        if not title or t.type == "OT" or t.type not in TITLE_TYPES or (title, t.type) in seen:
            continue
        seen.add((title, t.type))
        out.append({"title": title, "type": t.type})
    return out


def _parties(work: Work) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[tuple[int, str]] = set()
    for claim in work.claims:
        creator = claim.role in CREATOR_ROLES
        if not creator and claim.role not in PUBLISHER_ROLES:
            continue
        party = claim.party
        number = known(party.ipi_name_number)
        if number is None or not is_digits(number):
            if creator:
                raise PayloadError(
                    f"{_where(work)}: writer {party.name!r} ({claim.role}) has no IPI name "
                    "number; the ISWC database knows parties only by it"
                )
            continue
        key = (int(number), claim.role)
        if key in seen:
            continue
        seen.add(key)
        item: dict[str, Any] = {"nameNumber": key[0], "role": claim.role}
        if party.name:
            item["name"] = party.name
        if known(party.ipi_base_number):
            item["baseNumber"] = party.ipi_base_number
        out.append(item)
    if not any(p["role"] in CREATOR_ROLES for p in out):
        raise PayloadError(f"{_where(work)}: no writer with a creator role (IV/07)")
    return out


def _derived_from(origin: OriginalWork | Component) -> dict[str, str] | None:
    if origin.iswc and iswc_id.is_valid(origin.iswc):
        return {"iswc": iswc_id.compact(origin.iswc)}
    title = " ".join((origin.title or "").split())
    return {"title": title} if title else None


def _derivation(work: Work) -> dict[str, Any]:
    """derivedWorkType and derivedFromIswcs: a composite, an excerpt or a modified version."""
    if work.composite_type or work.components:
        kind, origins = "Composite", list(work.components)
    elif work.excerpt_type or work.entire_work is not None:
        kind, origins = "Excerpt", [work.entire_work] if work.entire_work else []
    elif work.version_type == "MOD":
        kind, origins = "ModifiedVersion", [work.original] if work.original else []
    else:
        return {}
    sources = [s for s in (_derived_from(o) for o in origins) if s is not None]
    return {"derivedWorkType": kind, **({"derivedFromIswcs": sources} if sources else {})}


def _performers(work: Work) -> list[dict[str, str]]:
    out, seen = [], set()
    for p in work.performers:
        last, first = " ".join(p.last_name.split()), " ".join((p.first_name or "").split())
        if not last or (last, first) in seen:
            continue
        seen.add((last, first))
        out.append({"lastName": last[:50], **({"firstName": first[:50]} if first else {})})
    return out
