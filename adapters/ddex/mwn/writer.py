"""Writing DDEX MWN 1.3 claim notification messages from works as the node holds them.

:func:`build_message` writes a ShareNotification, or with conflict groups a
ConflictNotification (see :mod:`adapters.ddex.mwn` for how the node's model maps to
MWN); :func:`to_bytes` serialises it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from adapters.ddex.mwn.vocabulary import (
    AVS_VERSION,
    COLLECTION,
    CONFLICT_NOTIFICATION,
    CWR_NAMESPACE,
    IPI_BASE_NAMESPACE,
    NAMESPACE,
    OWNERSHIP,
    RIGHTS,
    ROOT,
    SHARE_NOTIFICATION,
    TITLE_TYPES,
    WRITER_ROLE_NAMES,
)
from exchange import codes
from exchange.identifiers import iswc as iswc_id
from exchange.identifiers import known
from exchange.model import WORLD, Claim, InterestedParty, Right, Side, Work
from exchange.shares import percentage


class MwnError(ValueError):
    """A work that cannot be written as MWN (the message says which and why)."""


@dataclass(frozen=True, slots=True)
class Header:
    """Who sends a message to whom, and its identity."""

    message_id: str
    sender_dpid: str
    sender_name: str
    recipient_dpid: str
    recipient_name: str
    created: datetime
    file_name: str | None = None
    test: bool = False


@dataclass(slots=True)
class ConflictGroup:
    """Claims of a work that conflict with each other (for ConflictNotification).

    ``right`` limits the group to the right shares of one right (None: all).
    """

    work_id: int
    claim_ids: frozenset[int]
    right: str | None = None


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> Any:
    element = etree.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def territory_code(tis: str) -> tuple[str, dict[str, str]]:
    """The TerritoryCode text and attributes for a TIS code.

    >>> territory_code("2136"), territory_code("0826")
    (('Worldwide', {}), ('826', {'IdentifierType': 'TIS'}))
    """
    if tis == WORLD:
        return "Worldwide", {}
    return tis.lstrip("0") or "0", {"IdentifierType": "TIS"}


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{secs}S"


def claim_tag(claim: Claim) -> str:
    """The CWR record type, role and chain of a claim (the RightShareId in namespace CWR).

    >>> from exchange.model import InterestedParty
    >>> claim_tag(Claim(InterestedParty("X"), "E", Side.PUBLISHER, chain=1))
    'SPU E 1'
    >>> claim_tag(Claim(InterestedParty("Y"), "CA", Side.WRITER, controlled=False))
    'OWR CA'
    """
    record = ("S" if claim.controlled else "O") + ("PU" if claim.side is Side.PUBLISHER else "WR")
    parts = [record, claim.role or ("E" if claim.side is Side.PUBLISHER else "CA")]
    if claim.side is Side.PUBLISHER and claim.chain is not None:
        parts.append(str(claim.chain))
    return " ".join(parts)


class _Parties:
    """The PartyList: one Party per party (and per society), with references."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.refs: dict[Any, str] = {}
        self.elements: list[etree._Element] = []
        self.keys: set[str] = set()  # ProprietaryIds given so far (one party each)

    def _identity(self, party: InterestedParty) -> Any:
        if party.id is not None:
            return ("id", party.id)
        ipi = known(party.ipi_name_number)
        if ipi:
            return ("ipi", ipi)
        return ("name", party.name, party.key)

    def _key(self, party: InterestedParty, ref: str) -> str:
        """The party's id in the sender's namespace: its key if no other party has it."""
        ipi = known(party.ipi_name_number)
        key = party.key or (f"IPI{ipi}" if ipi else None)
        if key is None or key in self.keys:
            key = f"P{party.id}" if party.id is not None else ref
        self.keys.add(key)
        return key

    def society(self, code: str) -> str:
        identity = ("society", code)
        if identity in self.refs:
            return self.refs[identity]
        ref = f"PS{code}"
        party = etree.Element("Party")
        ids = _sub(party, "PartyId")
        _sub(ids, "CisacSocietyId", code)
        _sub(ids, "ProprietaryId", f"SOCIETY{code}", Namespace=self.namespace)
        _sub(party, "PartyReference", ref)
        name = _sub(party, "PartyName")
        _sub(name, "FullName", codes.society_name(code) or f"SOCIETY {code}")
        _sub(party, "IsOrganization", "true")
        self.refs[identity] = ref
        self.elements.append(party)
        return ref

    def party(self, party: InterestedParty) -> str:
        identity = self._identity(party)
        if identity in self.refs:
            return self.refs[identity]
        ref = f"P{len(self.refs) + 1}"
        self.refs[identity] = ref
        element = etree.Element("Party")
        ids = _sub(element, "PartyId")
        ipi, base = known(party.ipi_name_number), known(party.ipi_base_number)
        if ipi:
            _sub(ids, "IpiNameNumber", ipi)
        _sub(ids, "ProprietaryId", self._key(party, ref), Namespace=self.namespace)
        if base:
            _sub(ids, "ProprietaryId", base, Namespace=IPI_BASE_NAMESPACE)
        _sub(element, "PartyReference", ref)
        name = _sub(element, "PartyName")
        full = f"{party.first_name} {party.last_name}" if party.first_name else party.last_name
        _sub(name, "FullName", full or "UNKNOWN")
        if party.first_name:
            _sub(name, "NamesBeforeKeyName", party.first_name)
        if party.last_name:
            _sub(name, "KeyName", party.last_name)
        for affiliation in party.affiliations:
            society_ref = self.society(affiliation.society)
            aff = _sub(element, "SocietyAffiliation")
            text, attrs = territory_code(affiliation.territory)
            _sub(aff, "TerritoryCode", text, **attrs)
            _sub(aff, "RightsType", RIGHTS[Right(affiliation.right)])
            _sub(aff, "MusicRightsSociety", society_ref)
        _sub(element, "IsOrganization", "true" if party.is_legal_entity else "false")
        self.elements.append(element)
        return ref


def _by_percentage(values: dict[Right, int]) -> list[tuple[int, list[Right]]]:
    """Rights grouped by equal share, in PR, MR, SR order."""
    groups: dict[int, list[Right]] = {}
    for right in (Right.PR, Right.MR, Right.SR):
        groups.setdefault(values[right], []).append(right)
    return list(groups.items())


class _Shares:
    """The RightShareList: every claim's right shares, with references by claim."""

    def __init__(self) -> None:
        self.elements: list[etree._Element] = []
        #: (claim id, rights) of each right share reference, for conflict groups
        self.of_claim: dict[int, list[tuple[str, list[Right]]]] = {}

    def _share(
        self,
        work_ref: str,
        party_ref: str,
        claim: Claim,
        kind: str,
        rights: list[Right],
        value: int,
        territories: tuple[str, list[str]],
    ) -> etree._Element:
        ref = f"S{len(self.elements) + 1}"
        share = etree.Element("RightShare")
        _sub(share, "RightShareReference", ref)
        _sub(share, "RightShareType", kind)
        _sub(share, "RightShareId", claim_tag(claim), Namespace=CWR_NAMESPACE)
        _sub(share, "RightShareWorkReference", work_ref)
        included, excluded = territories
        text, attrs = territory_code(included)
        _sub(share, "TerritoryCode", text, **attrs)
        for tis in excluded:
            text, attrs = territory_code(tis)
            _sub(share, "ExcludedTerritoryCode", text, **attrs)
        for right in rights:
            _sub(share, "RightsType", RIGHTS[right])
        controller = _sub(share, "RightsController")
        _sub(controller, "RightsControllerPartyReference", party_ref)
        if claim.side is Side.PUBLISHER:
            controller.set("IsOwner", "true" if claim.role in ("E", "AQ") else "false")
            controller.set("IsAgent", "true" if claim.role in ("AM", "SE", "ES") else "false")
        _sub(share, "RightSharePercentage", percentage(value))
        self.elements.append(share)
        if claim.id is not None:
            self.of_claim.setdefault(claim.id, []).append((ref, rights))
        return share

    def claim(self, work_ref: str, party_ref: str, claim: Claim) -> None:
        ownership = {r: claim.ownership.get(r) for r in Right}
        for value, rights in _by_percentage(ownership):
            self._share(work_ref, party_ref, claim, OWNERSHIP, rights, value, (WORLD, []))
        entries = claim.territories
        for index, entry in enumerate(entries):
            if not entry.include:
                continue
            excluded = []
            for later in entries[index + 1 :]:
                if later.include:
                    break
                excluded.append(later.tis)
            collection = {r: entry.collection.get(r) for r in Right}
            for value, rights in _by_percentage(collection):
                self._share(
                    work_ref, party_ref, claim, COLLECTION, rights, value, (entry.tis, excluded)
                )

    def disputed(self, refs: set[str]) -> None:
        for share in self.elements:
            if share.findtext("RightShareReference") in refs:
                flag = etree.Element("HasRightsInDispute")
                flag.text = "true"
                share.find("RightSharePercentage").addnext(flag)


def _work(parent: etree._Element, work: Work, ref: str, number: str, namespace: str) -> None:
    element = _sub(parent, "MusicalWork")
    _sub(element, "MusicalWorkReference", ref)
    ids = _sub(element, "MusicalWorkId")
    if work.iswc:
        _sub(ids, "ISWC", iswc_id.compact(work.iswc))
    _sub(ids, "ProprietaryId", number, Namespace=namespace)
    main = _sub(element, "Title", TitleType="OriginalTitle")
    if work.language:
        main.set("LanguageAndScriptCode", work.language.lower())
    _sub(main, "TitleText", work.title)
    for title in work.titles:
        attrs = {}
        if title.type in TITLE_TYPES:
            attrs["TitleType"] = TITLE_TYPES[title.type]
        else:
            attrs = {"TitleType": "UserDefined", "Namespace": CWR_NAMESPACE}
            attrs["UserDefinedValue"] = title.type
        if title.language:
            attrs["LanguageAndScriptCode"] = title.language.lower()
        alt = _sub(element, "Title", **attrs)
        _sub(alt, "TitleText", title.title)
    if work.duration:
        _sub(element, "Duration", _duration(work.duration))


def build_message(
    works: Sequence[Work],
    header: Header,
    sender: str,
    *,
    conflicts: Sequence[ConflictGroup] = (),
) -> etree._ElementTree:
    """A claim notification message for works as the node holds them.

    ``sender`` is the code whose work numbers identify the works (a work without
    one is identified by its local id). With ``conflicts`` the message has the
    ConflictNotification profile: the right shares of each group are flagged as
    disputed and grouped in a ``Conflict``.
    """
    if not works:
        raise MwnError("a claim notification needs at least one work")
    namespace = f"DPID:{header.sender_dpid}"
    root = etree.Element(
        f"{{{NAMESPACE}}}{ROOT}",
        nsmap={"mwn": NAMESPACE},
        AvsVersionId=AVS_VERSION,
        LanguageAndScriptCode="en",
    )
    head = _sub(root, "MessageHeader")
    _sub(head, "MessageId", header.message_id)
    if header.file_name:
        _sub(head, "MessageFileName", header.file_name)
    for tag, dpid, name in (
        ("MessageSender", header.sender_dpid, header.sender_name),
        ("MessageRecipient", header.recipient_dpid, header.recipient_name),
    ):
        party = _sub(head, tag)
        _sub(party, "PartyId", dpid)
        names = _sub(party, "PartyName")
        _sub(names, "FullName", name)
    _sub(head, "MessageCreatedDateTime", header.created.isoformat(timespec="seconds"))
    _sub(head, "MessageControlType", "TestMessage" if header.test else "LiveMessage")
    _sub(root, "ProfileId", CONFLICT_NOTIFICATION if conflicts else SHARE_NOTIFICATION)
    party_list = _sub(root, "PartyList")
    work_list = _sub(root, "WorkList")
    parties = _Parties(namespace)
    shares = _Shares()
    for index, work in enumerate(works, 1):
        ref = f"W{index}"
        number = work.number(sender) or (str(work.id) if work.id is not None else f"{index}")
        _work(work_list, work, ref, number, namespace)
        element = work_list[-1]  # Writer is the last of its children the node writes
        for claim in work.claims:
            party_ref = parties.party(claim.party)
            if claim.side is Side.WRITER:
                writer = _sub(element, "Writer")
                _sub(writer, "WriterPartyReference", party_ref)
                if claim.role in WRITER_ROLE_NAMES:
                    _sub(writer, "Role", WRITER_ROLE_NAMES[claim.role])
            shares.claim(ref, party_ref, claim)
    party_list.extend(parties.elements)
    share_list = _sub(root, "RightShareList")
    groups = []
    for group in conflicts:
        refs = [
            ref
            for claim_id in sorted(group.claim_ids)
            for ref, rights in shares.of_claim.get(claim_id, [])
            if group.right is None or Right(group.right) in rights
        ]
        if refs:
            groups.append(refs)
    shares.disputed({ref for refs in groups for ref in refs})
    if not shares.elements:
        raise MwnError("none of the works has a claim: a claim notification needs right shares")
    share_list.extend(shares.elements)
    for refs in groups:
        conflict = _sub(share_list, "Conflict")
        for ref in refs:
            _sub(conflict, "ConflictRightShareReference", ref)
    if not len(party_list):
        root.remove(party_list)
    return etree.ElementTree(root)


def to_bytes(tree: etree._ElementTree) -> bytes:
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)
