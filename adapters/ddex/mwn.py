"""DDEX MWN 1.3 claim notification messages: works and right shares to XML and back.

A ``MusicalWorkClaimNotificationMessage`` (namespace ``http://ddex.net/xml/mc-notif/13``)
carries a PartyList, a WorkList and a RightShareList. The node writes two of the
profiles of MWN part 2:

* **ShareNotification**: works with their writers and each claim's right shares;
* **ConflictNotification**: only works in conflict, every claim on them, and
  ``Conflict`` composites grouping the right shares that conflict with each other.

How the node's model maps to MWN (docs/mwn.md says the same for operators):

* a claim's ownership per right is a ``MusicalWorkManuscriptShare`` (territory
  Worldwide); its collection per right and territory is a
  ``MusicalWorkCollectionShare`` whose TerritoryCode is the TIS code
  (``IdentifierType="TIS"``), followed by the territories it excludes. Rights
  with the same percentage share one RightShare (several RightsType);
* MWN has no place for the CWR role of a publisher, the publisher chain or
  whether the sender controls the party: each right share carries them as
  ``<RightShareId Namespace="CWR">SPU E 1</RightShareId>`` (record type, role,
  chain), which other readers may ignore;
* writers are also listed in the work (``Writer`` with a DDEX role);
* ids the sender gives (work numbers, party keys) are ProprietaryIds in the
  namespace ``DPID:<sender's DPID>``; IPI base numbers, which MWN has no element
  for, in the namespace ``IPI:BaseNumber``; a society is a Party with its
  ``CisacSocietyId``;
* shares are percentages with two decimals (``33.33``).

Reading accepts what other senders write too: parties without our ids, shares
as fractions (``HasMaxValueOfOne``), ``All`` rights, ISO territory codes, and
falls back on ``IsOwner``/``IsAgent`` and the Writer role when the CWR id is
absent.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from adapters.registrations import ReadFile, registration
from exchange import codes
from exchange.identifiers import digits_value, ipi_base, ipi_name, is_digits, is_placeholder, known
from exchange.identifiers import iswc as iswc_id
from exchange.model import (
    PUBLISHER_ROLES,
    WORLD,
    WRITER_ROLES,
    Affiliation,
    Claim,
    Finding,
    InterestedParty,
    Right,
    Shares,
    Side,
    TerritoryShare,
    Title,
    Work,
    WorkNumber,
)
from exchange.shares import FULL, percentage

NAMESPACE = "http://ddex.net/xml/mc-notif/13"
ROOT = "MusicalWorkClaimNotificationMessage"
#: The allowed-value-set version the 1.3 schema ships with.
AVS_VERSION = "7"
SHARE_NOTIFICATION = "ShareNotification"
CONFLICT_NOTIFICATION = "ConflictNotification"
#: Namespaces of the ProprietaryIds the node writes besides the sender's own.
CWR_NAMESPACE = "CWR"
IPI_BASE_NAMESPACE = "IPI:BaseNumber"

RIGHTS = {
    Right.PR: "PerformingRight",
    Right.MR: "MechanicalRight",
    Right.SR: "SynchronizationRight",
}
RIGHTS_BACK = {v: k for k, v in RIGHTS.items()}
OWNERSHIP = "MusicalWorkManuscriptShare"
COLLECTION = "MusicalWorkCollectionShare"

#: CWR title types and MWN TitleTypes (others travel as UserDefined in namespace CWR).
TITLE_TYPES = {
    "OT": "OriginalTitle",
    "AT": "AlternativeTitle",
    "TE": "FirstLineOfText",
    "FT": "FormalTitle",
    "IT": "IncorrectTitle",
    "TT": "TranslatedTitle",
    "PT": "TitleAsPart",
}
TITLE_TYPES_BACK = {v: k for k, v in TITLE_TYPES.items()}

#: CWR writer designations and MWN creator roles (PA, an income participant, has none).
WRITER_ROLE_NAMES = {
    "CA": "ComposerLyricist",
    "C": "Composer",
    "A": "Lyricist",
    "AR": "Arranger",
    "AD": "Adapter",
    "TR": "Translator",
    "SA": "SubLyricist",
    "SR": "SubArranger",
}
WRITER_ROLES_BACK = {v: k for k, v in WRITER_ROLE_NAMES.items()} | {
    "Author": "A",
    "Creator": "CA",
}


class MwnError(ValueError):
    """A work that cannot be written as MWN (the message says which and why)."""


# -- writing ----------------------------------------------------------------------------


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


# -- reading ----------------------------------------------------------------------------


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _bool(element: etree._Element | None) -> bool:
    return _text(element) in ("true", "1")


_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


@dataclass(slots=True)
class _Reading:
    """Findings gathered while reading one work."""

    findings: list[Finding] = field(default_factory=list)
    #: the parties read for this work, by reference (each is read, and judged, once)
    parties: dict[str, InterestedParty] = field(default_factory=dict)

    def note(self, level: str, message: str, element: Any, name: str, value: str) -> None:
        line = getattr(element, "sourceline", None)
        record = _local(element.getparent()) if element.getparent() is not None else None
        self.findings.append(Finding(level, message, line, record, name, value))


def _tis(text: str) -> str | None:
    """A TIS code (four digits) for a TerritoryCode, None if unknown."""
    if text == "Worldwide":
        return WORLD
    territory = codes.territory(text.zfill(4) if is_digits(text) else text)
    return territory.tis_n if territory is not None else None


def _set(shares: Shares, rights: list[Right], amount: int) -> Shares:
    """``shares`` with ``amount`` for each of ``rights``."""
    return dataclasses.replace(shares, **{r.value.lower(): amount for r in rights})


def _rights(elements: Iterable[etree._Element]) -> list[Right]:
    found: list[Right] = []
    for element in elements:
        value = _text(element)
        if value == "All":
            found.extend(r for r in Right if r not in found)
        elif value in RIGHTS_BACK and RIGHTS_BACK[value] not in found:
            found.append(RIGHTS_BACK[value])
    return found


class _Reader:
    def __init__(self, root: etree._Element, sender: str) -> None:
        self.root = root
        self.sender = sender
        sender_dpid = _text(root.find("MessageHeader/MessageSender/PartyId"))
        self.namespace = f"DPID:{sender_dpid}"
        self.parties: dict[str, etree._Element] = {
            _text(p.find("PartyReference")): p for p in root.iterfind("PartyList/Party")
        }
        self.societies = {
            ref: _text(p.find("PartyId/CisacSocietyId"))
            for ref, p in self.parties.items()
            if p.find("PartyId/CisacSocietyId") is not None
        }
        self.shares: dict[str, list[etree._Element]] = {}
        for share in root.iterfind("RightShareList/RightShare"):
            for ref in share.iterfind("RightShareWorkReference"):
                self.shares.setdefault(_text(ref), []).append(share)

    def party(self, ref: str, reading: _Reading) -> InterestedParty:
        if ref not in reading.parties:
            reading.parties[ref] = self._party(ref, reading)
        return reading.parties[ref]

    def _party(self, ref: str, reading: _Reading) -> InterestedParty:
        element = self.parties[ref]
        ids = element.find("PartyId")
        name = element.find("PartyName")
        last = _text(name.find("KeyName")) or _text(name.find("FullName"))
        first = _text(name.find("NamesBeforeKeyName"))
        party = InterestedParty(
            last_name=last, first_name=first, is_legal_entity=_bool(element.find("IsOrganization"))
        )
        ipi = ids.find("IpiNameNumber")
        if ipi is not None:
            if ipi_name.is_valid(_text(ipi)):
                party.ipi_name_number = ipi_name.compact(_text(ipi))
            else:
                reading.note(
                    "FR",
                    "zeros or blanks stand for no IPI name number: number dropped"
                    if is_placeholder(_text(ipi))
                    else "IPI name number check digits do not match: number dropped",
                    ipi,
                    "IpiNameNumber",
                    _text(ipi),
                )
        for pid in ids.iterfind("ProprietaryId"):
            namespace = pid.get("Namespace")
            if namespace == IPI_BASE_NAMESPACE:
                if ipi_base.is_valid(_text(pid)):
                    party.ipi_base_number = ipi_base.compact(_text(pid))
                else:
                    reading.note(
                        "FR",
                        "zeros or blanks stand for no IPI base number: dropped"
                        if is_placeholder(_text(pid))
                        else "not a valid IPI base number: dropped",
                        pid,
                        "ProprietaryId",
                        _text(pid),
                    )
            elif namespace == self.namespace and party.key is None:
                party.key = _text(pid)[:20]
        if party.key == f"IPI{party.ipi_name_number}":
            party.key = None  # the IPI name number standing in for a key
        for aff in element.iterfind("SocietyAffiliation"):
            society = self.societies.get(_text(aff.find("MusicRightsSociety")))
            if not society or not codes.is_society(society):
                reading.note(
                    "FR",
                    "society affiliation to a party without a known CISAC society code: dropped",
                    aff,
                    "MusicRightsSociety",
                    _text(aff.find("MusicRightsSociety")),
                )
                continue
            codes_found = [_tis(_text(t)) for t in aff.iterfind("TerritoryCode")]
            for right in _rights(aff.iterfind("RightsType")):
                for tis in codes_found or [WORLD]:
                    if tis is not None:
                        party.affiliations.append(Affiliation(society.zfill(3), right, tis))
        return party

    def work(self, element: etree._Element, sequence: int) -> Any:
        reading = _Reading()
        ref = _text(element.find("MusicalWorkReference"))
        ids = element.find("MusicalWorkId")
        numbers = list(ids.iterfind("ProprietaryId"))
        own = [p for p in numbers if p.get("Namespace") == self.namespace] or numbers
        number = _text(own[0])[:20]
        titles = list(element.iterfind("Title"))
        main = next((t for t in titles if t.get("TitleType") == "OriginalTitle"), titles[0])
        work = Work(
            title=_text(main.find("TitleText")),
            language=(main.get("LanguageAndScriptCode") or "").upper()[:2] or None,
            numbers=[WorkNumber(self.sender, number)],
        )
        iswc = ids.find("ISWC")
        if iswc is not None:
            if iswc_id.is_valid(_text(iswc)):
                work.iswc = iswc_id.compact(_text(iswc))
            else:
                reading.note(
                    "FR", "ISWC check digit does not match: ISWC dropped", iswc, "ISWC", _text(iswc)
                )
        for title in titles:
            if title is main:
                continue
            kind = title.get("TitleType") or "AlternativeTitle"
            code = TITLE_TYPES_BACK.get(kind, "AT")
            if kind == "UserDefined" and title.get("Namespace") == CWR_NAMESPACE:
                code = title.get("UserDefinedValue") or "AT"
            language = (title.get("LanguageAndScriptCode") or "").upper()[:2] or None
            work.titles.append(Title(_text(title.find("TitleText")), code, language))
        duration = element.find("Duration")
        if duration is not None:
            match = _DURATION.match(_text(duration))
            if match:
                days, hours, minutes, secs = (float(g or 0) for g in match.groups())
                work.duration = int(days * 86400 + hours * 3600 + minutes * 60 + secs)
        writer_roles: dict[str, str] = {}
        for writer in element.iterfind("Writer"):
            party_ref = _text(writer.find("WriterPartyReference"))
            role = _text(writer.find("Role"))
            writer_roles[party_ref] = WRITER_ROLES_BACK.get(role, "PA" if not role else "CA")
        work.claims = self._claims(ref, writer_roles, reading)
        if not work.claims:
            reading.note(
                "TR",
                "the work has no writer and no right share: nothing to register",
                element.find("MusicalWorkReference"),
                "MusicalWorkReference",
                ref,
            )
        line = element.sourceline or 0
        return registration(work, number, sequence, line, reading.findings)

    def _claims(self, work_ref: str, writer_roles: dict[str, str], reading: _Reading) -> list:
        claims: dict[tuple[str, str], Claim] = {}
        for party_ref, role in writer_roles.items():
            if party_ref in self.parties:
                tag = f"SWR {role}"
                claims[(party_ref, tag)] = self._claim(party_ref, tag, reading)
        for share in self.shares.get(work_ref, []):
            controller = share.find("RightsController/RightsControllerPartyReference")
            if controller is None or _text(controller) not in self.parties:
                reading.note(
                    "WARN",
                    "right share without a known rights controller: ignored",
                    share.find("RightShareReference"),
                    "RightShareReference",
                    _text(share.find("RightShareReference")),
                )
                continue
            party_ref = _text(controller)
            tag = self._tag(share, party_ref, writer_roles)
            key = (party_ref, tag)
            if key not in claims:
                same_writer = (party_ref, f"SWR {writer_roles.get(party_ref)}")
                if tag.startswith(("SWR", "OWR")) and same_writer in claims:
                    claims[key] = claims.pop(same_writer)  # the writer, with its CWR tag
                    self._retag(claims[key], tag)
                else:
                    claims[key] = self._claim(party_ref, tag, reading)
            self._add_share(claims[key], share, reading)
        return list(claims.values())

    def _tag(self, share: etree._Element, party_ref: str, writer_roles: dict[str, str]) -> str:
        for pid in share.iterfind("RightShareId"):
            if pid.get("Namespace") == CWR_NAMESPACE:
                return _text(pid)
        if party_ref in writer_roles:
            return f"SWR {writer_roles[party_ref]}"
        controller = share.find("RightsController")
        role = "AM" if controller.get("IsAgent") == "true" else "E"
        return f"SPU {role}"

    def _claim(self, party_ref: str, tag: str, reading: _Reading) -> Claim:
        claim = Claim(self.party(party_ref, reading), "", Side.WRITER)
        self._retag(claim, tag)
        return claim

    @staticmethod
    def _retag(claim: Claim, tag: str) -> None:
        parts = tag.split()
        record = parts[0] if parts else "SWR"
        claim.controlled = not record.startswith("O")
        claim.side = Side.PUBLISHER if record.endswith("PU") else Side.WRITER
        roles = PUBLISHER_ROLES if claim.side is Side.PUBLISHER else WRITER_ROLES
        role = parts[1] if len(parts) > 1 else ""
        claim.role = role if role in roles else ("E" if claim.side is Side.PUBLISHER else "CA")
        claim.chain = digits_value(parts[2]) if len(parts) > 2 else None

    def _add_share(self, claim: Claim, share: etree._Element, reading: _Reading) -> None:
        value_element = share.find("RightSharePercentage")
        if value_element is None:
            return  # unknown or not claimed: nothing to store
        try:
            value = Decimal(_text(value_element))
        except InvalidOperation:
            value = Decimal(-1)
        if value_element.get("HasMaxValueOfOne") == "true":
            value *= 100
        hundredths = value * 100
        if not 0 <= hundredths <= FULL:
            reading.note(
                "TR",
                "a share must be between 0 and 100 percent",
                value_element,
                "RightSharePercentage",
                _text(value_element),
            )
            return
        if hundredths != hundredths.to_integral_value():
            reading.note(
                "FR",
                "share rounded to hundredths of a percent",
                value_element,
                "RightSharePercentage",
                _text(value_element),
            )
        amount = int(hundredths.to_integral_value())
        rights = _rights(share.iterfind("RightsType"))
        kind = _text(share.find("RightShareType"))
        if kind in (OWNERSHIP, "OriginalPublisherShare"):
            claim.ownership = _set(claim.ownership, rights, amount)
            return
        included = []
        for element in share.iterfind("TerritoryCode"):
            tis = _tis(_text(element))
            if tis is None:
                reading.note(
                    "FR",
                    "unknown territory: share dropped",
                    element,
                    "TerritoryCode",
                    _text(element),
                )
                continue
            included.append(tis)
        excluded = [
            tis
            for element in share.iterfind("ExcludedTerritoryCode")
            if (tis := _tis(_text(element))) is not None
        ]
        for tis in included:
            self._collect(claim, tis, rights, amount, excluded)

    @staticmethod
    def _collect(claim: Claim, tis: str, rights: list[Right], amount: int, excluded: list[str]):
        entries = claim.territories
        for index, entry in enumerate(entries):
            if entry.include and entry.tis == tis:
                entries[index] = TerritoryShare(tis, True, _set(entry.collection, rights, amount))
                return
        entries.append(TerritoryShare(tis, True, _set(Shares(), rights, amount)))
        entries.extend(TerritoryShare(x, False) for x in excluded)


def read_message(root: etree._Element, sender: str) -> ReadFile:
    """The works of a claim notification message (already validated) as registrations."""
    read = ReadFile("mwn", "1.3", _text(root.find("MessageHeader/MessageSender/PartyId")))
    profile = _text(root.find("ProfileId"))
    if profile in ("LinkNotification", "Revocation"):
        read.file_rejected = True
        element = root.find("ProfileId")
        read.findings.append(
            Finding(
                "ER",
                f"{profile} messages carry no right shares: not imported",
                element.sourceline,
                ROOT,
                "ProfileId",
                profile,
            )
        )
        return read
    reader = _Reader(root, sender)
    for sequence, element in enumerate(root.iterfind("WorkList/MusicalWork"), 1):
        read.transactions.append(reader.work(element, sequence))
    return read


def message_sender(root: etree._Element) -> str:
    """The DPID of the message's sender."""
    return _text(root.find("MessageHeader/MessageSender/PartyId"))


def is_claim_notification(root: etree._Element) -> bool:
    return root.tag == f"{{{NAMESPACE}}}{ROOT}"
