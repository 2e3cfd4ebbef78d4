"""Publisher and writer claims of a work as CWR records, in the order CWR prescribes.

Every controlled publisher chain (SPU, SPT) comes first, then the other
publishers (OPU, OPT in 2.2); then every controlled writer (SWR, SWT, PWR for
the publishers representing it), then the others (OWR; OWT and PWR in 2.2).
Interested party numbers are unique within the work: the party's key (the
number its source used) when it fits and no other party uses it, else ``IP``
and the party's store id on 7 digits (or a counter).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache

from adapters.cwr.work_values import (
    Profile,
    WorkWriteError,
    code_value,
    society_value,
    text_value,
)
from exchange.identifiers import is_digits, known
from exchange.model import Claim, InterestedParty, Right, Side, Work

__all__ = ["add_parties"]

#: :func:`known` of IPI numbers, which recur from work to work with their parties.
_known = lru_cache(maxsize=1 << 16)(known)


def _societies(party: InterestedParty) -> tuple[str | None, str | None, str | None]:
    """PR, MR and SR society of a party: the world-wide affiliation, else the first one."""
    pick = party.societies()
    return (
        society_value(pick.get(Right.PR)),
        society_value(pick.get(Right.MR)),
        society_value(pick.get(Right.SR)),
    )


def _tis(code: str) -> str:
    code = code.strip()
    return code.zfill(4) if is_digits(code) else code


def _identity(party: InterestedParty) -> object:
    return ("id", party.id) if party.id is not None else ("object", id(party))


def _usable_key(key: str | None) -> str | None:
    key = text_value(key)
    if key and len(key) <= 9 and key.isascii() and key.isprintable():
        return key.upper()
    return None


def _ip_numbers(claims: Sequence[Claim]) -> dict[object, str]:
    """Interested party number per party identity, unique within the work."""
    numbers: dict[object, str] = {}
    used: set[str] = set()
    pending: dict[object, InterestedParty] = {}
    for claim in claims:
        ident = _identity(claim.party)
        if ident in numbers or ident in pending:
            continue
        key = _usable_key(claim.party.key)
        if key and key not in used:
            numbers[ident] = key
            used.add(key)
        else:
            pending[ident] = claim.party
    counter = 0
    for ident, party in pending.items():
        number = None
        if party.id is not None and 0 <= party.id < 10**7:
            number = f"IP{party.id:07d}"
        while number is None or number in used:
            counter += 1
            number = f"IP{counter:07d}"
        numbers[ident] = number
        used.add(number)
    return numbers


def _chains(publishers: list[Claim]) -> list[tuple[int, Claim]]:
    """Publishers with their chain number, sorted by chain (stable within a chain).

    A publisher without a chain gets a chain of its own after the highest one.
    """
    highest = max((c.chain for c in publishers if c.chain is not None), default=0)
    numbered: list[tuple[int, Claim]] = []
    for claim in publishers:
        if claim.chain is None:
            highest += 1
            numbered.append((highest, claim))
        else:
            numbered.append((claim.chain, claim))
    numbered.sort(key=lambda item: item[0])
    return numbered


def _party_values(
    claim: Claim, ip: str, name_field: str, first_field: str | None, role_field: str
) -> dict[str, object]:
    party = claim.party
    pr, mr, sr = _societies(party)
    own = claim.ownership
    values: dict[str, object] = {
        "interested_party_number": ip,
        role_field: code_value(claim.role),
        "pr_ownership_share": own.pr,
        "mr_ownership_share": own.mr,
        "sr_ownership_share": own.sr,
    }
    name = text_value(party.last_name)
    if name:
        values[name_field] = name
    if first_field:
        first = text_value(party.first_name)
        if first:
            values[first_field] = first
    ipi, base = _known(party.ipi_name_number), _known(party.ipi_base_number)
    if ipi:  # a placeholder (zeros) is written as what it means: no number
        values["ipi_name_number"] = ipi
    if base:
        values["ipi_base_number"] = base
    if pr:
        values["pr_society"] = pr
    if mr:
        values["mr_society"] = mr
    if sr:
        values["sr_society"] = sr
    return values


def _territory_values(claim: Claim, ip: str | None) -> Iterator[tuple[int, dict[str, object]]]:
    for n, territory in enumerate(claim.territories, start=1):
        shares = territory.collection
        values: dict[str, object] = {
            "pr_collection_share": shares.pr,
            "mr_collection_share": shares.mr,
            "sr_collection_share": shares.sr,
            "inclusion_exclusion_indicator": "I" if territory.include else "E",
            "tis_code": _tis(territory.tis),
            "territory_sequence": n,
        }
        if ip:
            values["interested_party_number"] = ip
        yield n, values


def add_parties(
    work: Work, profile: Profile, add: Callable[[str, dict[str, object]], None]
) -> None:
    """Give ``add`` the record type and values of each party record of the work, in order.

    Raises :class:`WorkWriteError` for a controlled claim without name or role.
    """
    claims = work.claims
    publishers: list[Claim] = []
    writers: list[Claim] = []
    for claim in claims:
        if claim.side is Side.PUBLISHER:
            publishers.append(claim)
        elif claim.side is Side.WRITER:
            writers.append(claim)
        else:
            raise WorkWriteError(
                work, "SPU/SWR", "side", claim.side, "neither writer nor publisher"
            )
    ips = _ip_numbers(claims)

    def ip_of(claim: Claim) -> str:
        return ips[_identity(claim.party)]

    chained = _chains(publishers)

    # Publishers: every controlled chain (SPU, SPT...), then the others (OPU, OPT...).
    for controlled in (True, False):
        record, territory_record = ("SPU", "SPT") if controlled else ("OPU", "OPT")
        for chain, claim in chained:
            if claim.controlled is not controlled:
                continue
            ip = ip_of(claim)
            values = _party_values(claim, ip, "publisher_name", None, "publisher_type")
            values["publisher_sequence"] = chain
            if not controlled and "publisher_name" not in values:
                values["publisher_unknown_indicator"] = "Y"
            if controlled and "publisher_name" not in values:
                raise WorkWriteError(
                    work, "SPU", "publisher_name", claim.party.last_name, "no publisher name"
                )
            if controlled and values["publisher_type"] is None:
                raise WorkWriteError(work, "SPU", "publisher_type", claim.role, "no role")
            add(record, values)
            if controlled or profile.opt:
                for _, territory in _territory_values(claim, ip):
                    add(territory_record, territory)

    # Which writers does a publisher represent?  ``Claim.writers`` holds the
    # writers' keys as the publisher's source gives them (an IPI name number
    # is accepted too).
    by_source: dict[tuple[str | None, str], str] = {}
    by_ref: dict[str, str] = {}
    for claim in writers:
        ip = ip_of(claim)
        partner = claim.source.partner if claim.source else None
        for ref in (claim.party.key, _known(claim.party.ipi_name_number), ip):
            ref = text_value(ref)
            if ref:
                by_source.setdefault((partner, ref.upper()), ip)
                by_ref.setdefault(ref.upper(), ip)
    represented: dict[str, list[tuple[int, Claim]]] = {}
    for chain, claim in chained:
        partner = claim.source.partner if claim.source else None
        for ref in claim.writers:
            ref = text_value(ref)
            if not ref:
                continue
            writer_ip = by_source.get((partner, ref.upper())) or by_ref.get(ref.upper())
            if writer_ip:
                links = represented.setdefault(writer_ip, [])
                if (chain, claim) not in links:
                    links.append((chain, claim))

    # Writers: every controlled writer (SWR, SWT..., PWR...), then the others.
    for controlled in (True, False):
        record, territory_record = ("SWR", "SWT") if controlled else ("OWR", "OWT")
        for claim in writers:
            if claim.controlled is not controlled:
                continue
            ip = ip_of(claim)
            values = _party_values(
                claim, ip, "writer_last_name", "writer_first_name", "writer_designation_code"
            )
            if not controlled and "writer_last_name" not in values:
                values["writer_unknown_indicator"] = "Y"
            if controlled and "writer_last_name" not in values:
                raise WorkWriteError(
                    work, "SWR", "writer_last_name", claim.party.last_name, "no writer name"
                )
            if controlled and values["writer_designation_code"] is None:
                raise WorkWriteError(work, "SWR", "writer_designation_code", claim.role, "no role")
            add(record, values)
            if controlled or profile.owt:
                for _, territory in _territory_values(claim, ip):
                    add(territory_record, territory)
            if controlled or profile.pwr_after_owr:
                # Each publisher link is written once, under the first writer record.
                for chain, publisher in represented.pop(ip, ()):
                    link: dict[str, object] = {
                        "publisher_ip_number": ip_of(publisher),
                        "writer_ip_number": ip,
                    }
                    name = text_value(publisher.party.last_name)
                    if name:
                        link["publisher_name"] = name
                    if profile.pwr_sequence:
                        link["publisher_sequence"] = chain
                    add("PWR", link)
