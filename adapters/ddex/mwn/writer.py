"""Writing DDEX MWN 1.3 claim notification messages from works as the node holds them.

:func:`write_message` writes a ShareNotification, or with conflict groups a
ConflictNotification (see :mod:`adapters.ddex.mwn` for how the node's model maps to
MWN), element by element (lxml's incremental ``xmlfile``): no tree of the whole
message is ever built. :func:`message_bytes` gives the same message as bytes.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
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
from exchange.model import WORLD, Claim, InterestedParty, Right, Shares, Side, Work
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
    element = etree.SubElement(parent, tag, attrs) if attrs else etree.SubElement(parent, tag)
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


def _by_percentage(shares: Shares) -> list[tuple[int, list[Right]]]:
    """Rights grouped by equal share, in PR, MR, SR order."""
    groups: dict[int, list[Right]] = {}
    for right, value in ((Right.PR, shares.pr), (Right.MR, shares.mr), (Right.SR, shares.sr)):
        groups.setdefault(value, []).append(right)
    return list(groups.items())


#: A right share before it is written: its reference, its work's and its party's, the
#: claim, its kind, rights and percentage, and (included, excluded) territories.
_ShareSpec = tuple[str, str, str, Claim, str, list[Right], int, tuple[str, list[str]]]


class _Shares:
    """The RightShareList: every claim's right shares, with references by claim."""

    def __init__(self) -> None:
        self.specs: list[_ShareSpec] = []
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
    ) -> None:
        ref = f"S{len(self.specs) + 1}"
        self.specs.append((ref, work_ref, party_ref, claim, kind, rights, value, territories))
        if claim.id is not None:
            self.of_claim.setdefault(claim.id, []).append((ref, rights))

    def claim(self, work_ref: str, party_ref: str, claim: Claim) -> None:
        for value, rights in _by_percentage(claim.ownership):
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
            for value, rights in _by_percentage(entry.collection):
                self._share(
                    work_ref, party_ref, claim, COLLECTION, rights, value, (entry.tis, excluded)
                )


class _ShareElements:
    """RightShare elements, indented for their place: right shares that differ only in
    their references (the share's, the work's and the controller's) are copies of one
    element built once, their references put in."""

    def __init__(self) -> None:
        self.built: dict[tuple, etree._Element] = {}

    def __call__(self, spec: _ShareSpec, disputed: bool) -> etree._Element:
        ref, work_ref, party_ref, claim, kind, rights, value, (included, excluded) = spec
        key = (claim_tag(claim), claim.side, claim.role, kind, *rights, value, included)
        key += (*excluded, disputed)
        model = self.built.get(key)
        if model is None:
            model = self.built[key] = _share_element(spec, disputed)
            etree.indent(model, level=2)
        share = copy.copy(model)  # an lxml element copies its whole subtree
        share[0].text = ref
        share[3].text = work_ref
        share[5 + len(excluded) + len(rights)][0].text = party_ref  # the RightsController
        return share


def _share_element(spec: _ShareSpec, disputed: bool) -> etree._Element:
    ref, work_ref, party_ref, claim, kind, rights, value, (included, excluded) = spec
    share = etree.Element("RightShare")
    _sub(share, "RightShareReference", ref)
    _sub(share, "RightShareType", kind)
    _sub(share, "RightShareId", claim_tag(claim), Namespace=CWR_NAMESPACE)
    _sub(share, "RightShareWorkReference", work_ref)
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
    if disputed:
        _sub(share, "HasRightsInDispute", "true")
    return share


def _work(work: Work, ref: str, number: str, namespace: str) -> etree._Element:
    element = etree.Element("MusicalWork")
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
    return element


def _message_header(header: Header) -> etree._Element:
    head = etree.Element("MessageHeader")
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
    return head


def _put(xf: Any, element: etree._Element, level: int) -> None:
    """Write an element on its own line, indented as a pretty-printed tree would be."""
    xf.write("\n" + "  " * level)
    etree.indent(element, level=level)
    xf.write(element)


def write_message(
    output: Any,
    works: Sequence[Work],
    header: Header,
    sender: str,
    *,
    conflicts: Sequence[ConflictGroup] = (),
) -> None:
    """Write a claim notification message for works as the node holds them.

    ``output`` is a binary file. ``sender`` is the code whose work
    numbers identify the works (a work without one is identified by its local
    id). With ``conflicts`` the message has the ConflictNotification profile: the
    right shares of each group are flagged as disputed and grouped in a
    ``Conflict``. The parties, the references and the right shares are worked out
    first (:class:`MwnError` before anything is written); then each Party,
    MusicalWork and RightShare is built and written in turn.
    """
    if not works:
        raise MwnError("a claim notification needs at least one work")
    namespace = f"DPID:{header.sender_dpid}"
    parties = _Parties(namespace)
    shares = _Shares()
    writers: list[list[tuple[str, Claim]]] = []
    for index, work in enumerate(works, 1):
        ref = f"W{index}"
        writers.append([])
        for claim in work.claims:
            party_ref = parties.party(claim.party)
            if claim.side is Side.WRITER:
                writers[-1].append((party_ref, claim))
            shares.claim(ref, party_ref, claim)
    if not shares.specs:
        raise MwnError("none of the works has a claim: a claim notification needs right shares")
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
    disputed = {ref for refs in groups for ref in refs}
    attrs = {"AvsVersionId": AVS_VERSION, "LanguageAndScriptCode": "en"}
    with etree.xmlfile(output, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(f"{{{NAMESPACE}}}{ROOT}", attrs, nsmap={"mwn": NAMESPACE}):
            _put(xf, _message_header(header), 1)
            profile = etree.Element("ProfileId")
            profile.text = CONFLICT_NOTIFICATION if conflicts else SHARE_NOTIFICATION
            _put(xf, profile, 1)
            xf.write("\n  ")
            with xf.element("PartyList"):
                for party in parties.elements:
                    _put(xf, party, 2)
                xf.write("\n  ")
            xf.write("\n  ")
            with xf.element("WorkList"):
                for index, (work, written) in enumerate(zip(works, writers, strict=True), 1):
                    number = work.number(sender) or (
                        str(work.id) if work.id is not None else f"{index}"
                    )
                    element = _work(work, f"W{index}", number, namespace)
                    for party_ref, claim in written:
                        writer = _sub(element, "Writer")
                        _sub(writer, "WriterPartyReference", party_ref)
                        if claim.role in WRITER_ROLE_NAMES:
                            _sub(writer, "Role", WRITER_ROLE_NAMES[claim.role])
                    _put(xf, element, 2)
                xf.write("\n  ")
            xf.write("\n  ")
            with xf.element("RightShareList"):
                share_element = _ShareElements()
                for spec in shares.specs:
                    xf.write("\n    ")
                    xf.write(share_element(spec, spec[0] in disputed))
                for refs in groups:
                    conflict = etree.Element("Conflict")
                    for ref in refs:
                        _sub(conflict, "ConflictRightShareReference", ref)
                    _put(xf, conflict, 2)
                xf.write("\n  ")
            xf.write("\n")
    output.write(b"\n")


def message_bytes(
    works: Sequence[Work],
    header: Header,
    sender: str,
    *,
    conflicts: Sequence[ConflictGroup] = (),
) -> bytes:
    """The message :func:`write_message` writes, as bytes."""
    output = BytesIO()
    write_message(output, works, header, sender, conflicts=conflicts)
    return output.getvalue()
