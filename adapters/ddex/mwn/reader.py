"""Reading DDEX MWN 1.3 claim notification messages: their works as registrations.

Reading accepts what other senders write too: parties without our ids, shares
as fractions (``HasMaxValueOfOne``), ``All`` rights, ISO territory codes, and
falls back on ``IsOwner``/``IsAgent`` and the Writer role when the CWR id is
absent.

See :mod:`adapters.ddex.mwn` for how MWN maps to the node's model.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from adapters.ddex.mwn.vocabulary import (
    CWR_NAMESPACE,
    IPI_BASE_NAMESPACE,
    NAMESPACE,
    OWNERSHIP,
    RIGHTS_BACK,
    ROOT,
    TITLE_TYPES_BACK,
    WORLDWIDE,
    WRITER_ROLES_BACK,
)
from adapters.registrations import ReadFile, registration
from exchange import codes
from exchange.identifiers import digits_value, ipi_base, ipi_name, is_digits, is_placeholder
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
from exchange.shares import FULL


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _bool(element: etree._Element | None) -> bool:
    return _text(element) in ("true", "1")


class _Children:
    """An element's child elements by tag, gathered in one pass over them: lxml's
    ``find`` costs microseconds a call (a path parsed, an iterator started), and a
    right share is looked into for eight kinds of child."""

    __slots__ = ("by_tag",)

    def __init__(self, element: etree._Element) -> None:
        by_tag: dict[Any, list[etree._Element]] = {}
        for child in element:
            by_tag.setdefault(child.tag, []).append(child)
        self.by_tag = by_tag

    def all(self, tag: str) -> list[etree._Element]:
        return self.by_tag.get(tag, [])

    def first(self, tag: str) -> etree._Element | None:
        found = self.by_tag.get(tag)
        return found[0] if found else None

    def text(self, tag: str) -> str:
        return _text(self.first(tag))


_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def _finding(level: str, message: str, element: Any, name: str, value: str) -> Finding:
    line = getattr(element, "sourceline", None)
    record = _local(element.getparent()) if element.getparent() is not None else None
    return Finding(level, message, line, record, name, value)


@dataclass(slots=True)
class _Reading:
    """One work being read: what its MusicalWork said, its claims so far (by party
    reference and CWR tag) and the findings gathered."""

    work: Work
    number: str
    sequence: int
    line: int
    writer_roles: dict[str, str]
    #: what to say if no claim is found once every right share is read
    empty: Finding
    claims: dict[tuple[str, str], Claim] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    #: the parties read for this work, by reference (each is read, and judged, once)
    parties: dict[str, InterestedParty] = field(default_factory=dict)

    def note(self, level: str, message: str, element: Any, name: str, value: str) -> None:
        self.findings.append(_finding(level, message, element, name, value))


def _tis(text: str) -> str | None:
    """A TIS code (four digits) for a TerritoryCode, None if unknown."""
    if text == WORLDWIDE:
        return WORLD
    territory = codes.territory(text.zfill(4) if is_digits(text) else text)
    return territory.tis_n if territory is not None else None


def _set(shares: Shares, rights: list[Right], amount: int) -> Shares:
    """``shares`` with ``amount`` for each of ``rights``."""
    pr, mr, sr = shares.pr, shares.mr, shares.sr
    for right in rights:
        if right is Right.PR:
            pr = amount
        elif right is Right.MR:
            mr = amount
        else:
            sr = amount
    return Shares(pr, mr, sr)


def _rights(elements: Iterable[etree._Element]) -> list[Right]:
    found: list[Right] = []
    for element in elements:
        value = _text(element)
        if value == "All":
            found.extend(r for r in Right if r not in found)
        elif value in RIGHTS_BACK and RIGHTS_BACK[value] not in found:
            found.append(RIGHTS_BACK[value])
    return found


#: The elements a message is read by, each whole, in document order (what
#: :func:`adapters.safe_xml.iterparse` streams): nothing else of a message is needed.
STREAMED = ("MessageHeader", "ProfileId", "PartyList", "MusicalWork", "RightShare")


class _Reader:
    """Reads the elements of :data:`STREAMED` as they come: the parties once each,
    each work when its MusicalWork ends, each right share into the works it names;
    the works are complete when the message ends."""

    def __init__(self, sender_of: Callable[[str], str]) -> None:
        self.sender_of = sender_of
        self.sender = "?"
        self.namespace = "DPID:"
        self.read = ReadFile("mwn", "1.3", "")
        #: each party as read once (by reference), with what reading it found
        self.parties: dict[str, tuple[InterestedParty, list[Finding]]] = {}
        #: the works read, by reference, in the message's order
        self.works: dict[str, _Reading] = {}

    def header(self, element: etree._Element) -> None:
        dpid = _text(element.find("MessageSender/PartyId"))
        self.read.sender_id = dpid
        self.namespace = f"DPID:{dpid}"
        self.sender = self.sender_of(dpid)

    def profile(self, element: etree._Element) -> None:
        profile = _text(element)
        if profile in ("LinkNotification", "Revocation"):
            self.read.file_rejected = True
            self.read.findings.append(
                Finding(
                    "ER",
                    f"{profile} messages carry no right shares: not imported",
                    element.sourceline,
                    ROOT,
                    "ProfileId",
                    profile,
                )
            )

    def party_list(self, element: etree._Element) -> None:
        parties: dict[str, tuple[_Children, _Children]] = {}  # the Party's and its PartyId's
        for party in element.iterchildren("Party"):
            children = _Children(party)
            ids = _Children(children.first("PartyId"))
            parties[children.text("PartyReference")] = (children, ids)
        societies = {
            ref: _text(society)
            for ref, (_, ids) in parties.items()
            if (society := ids.first("CisacSocietyId")) is not None
        }
        for ref, (party, ids) in parties.items():
            findings: list[Finding] = []
            self.parties[ref] = (self._party(party, ids, societies, findings), findings)

    def party(self, ref: str, reading: _Reading) -> InterestedParty:
        """The party for one work: its own copy, the findings of reading it noted once."""
        if ref not in reading.parties:
            party, findings = self.parties[ref]
            reading.parties[ref] = dataclasses.replace(party, affiliations=list(party.affiliations))
            reading.findings.extend(findings)
        return reading.parties[ref]

    def _party(
        self,
        element: _Children,
        ids: _Children,
        societies: dict[str, str],
        findings: list[Finding],
    ) -> InterestedParty:
        name = _Children(element.first("PartyName"))
        last = name.text("KeyName") or name.text("FullName")
        first = name.text("NamesBeforeKeyName")
        party = InterestedParty(
            last_name=last, first_name=first, is_legal_entity=_bool(element.first("IsOrganization"))
        )
        ipi = ids.first("IpiNameNumber")
        if ipi is not None:
            if ipi_name.is_valid(_text(ipi)):
                party.ipi_name_number = ipi_name.compact(_text(ipi))
            else:
                findings.append(
                    _finding(
                        "FR",
                        "zeros or blanks stand for no IPI name number: number dropped"
                        if is_placeholder(_text(ipi))
                        else "IPI name number check digits do not match: number dropped",
                        ipi,
                        "IpiNameNumber",
                        _text(ipi),
                    )
                )
        for pid in ids.all("ProprietaryId"):
            namespace = pid.get("Namespace")
            if namespace == IPI_BASE_NAMESPACE:
                if ipi_base.is_valid(_text(pid)):
                    party.ipi_base_number = ipi_base.compact(_text(pid))
                else:
                    findings.append(
                        _finding(
                            "FR",
                            "zeros or blanks stand for no IPI base number: dropped"
                            if is_placeholder(_text(pid))
                            else "not a valid IPI base number: dropped",
                            pid,
                            "ProprietaryId",
                            _text(pid),
                        )
                    )
            elif namespace == self.namespace and party.key is None:
                party.key = _text(pid)[:20]
        if party.key == f"IPI{party.ipi_name_number}":
            party.key = None  # the IPI name number standing in for a key
        for aff in element.all("SocietyAffiliation"):
            affiliation = _Children(aff)
            society = societies.get(affiliation.text("MusicRightsSociety"))
            if not society or not codes.is_society(society):
                findings.append(
                    _finding(
                        "FR",
                        "society affiliation to a party without a known CISAC society code: "
                        "dropped",
                        aff,
                        "MusicRightsSociety",
                        affiliation.text("MusicRightsSociety"),
                    )
                )
                continue
            codes_found = [_tis(_text(t)) for t in affiliation.all("TerritoryCode")]
            for right in _rights(affiliation.all("RightsType")):
                for tis in codes_found or [WORLD]:
                    if tis is not None:
                        party.affiliations.append(Affiliation(society.zfill(3), right, tis))
        return party

    def work(self, element: etree._Element) -> None:
        """A MusicalWork: the work, its writers' claims (its right shares come later)."""
        findings: list[Finding] = []
        children = _Children(element)
        reference = children.first("MusicalWorkReference")
        ref = _text(reference)
        ids = _Children(children.first("MusicalWorkId"))
        numbers = ids.all("ProprietaryId")
        own = [p for p in numbers if p.get("Namespace") == self.namespace] or numbers
        number = _text(own[0])[:20]
        titles = children.all("Title")
        main = next((t for t in titles if t.get("TitleType") == "OriginalTitle"), titles[0])
        work = Work(
            title=_Children(main).text("TitleText"),
            language=(main.get("LanguageAndScriptCode") or "").upper()[:2] or None,
            numbers=[WorkNumber(self.sender, number)],
        )
        iswc = ids.first("ISWC")
        if iswc is not None:
            if iswc_id.is_valid(_text(iswc)):
                work.iswc = iswc_id.compact(_text(iswc))
            else:
                findings.append(
                    _finding(
                        "FR",
                        "ISWC check digit does not match: ISWC dropped",
                        iswc,
                        "ISWC",
                        _text(iswc),
                    )
                )
        for title in titles:
            if title is main:
                continue
            kind = title.get("TitleType") or "AlternativeTitle"
            code = TITLE_TYPES_BACK.get(kind, "AT")
            if kind == "UserDefined" and title.get("Namespace") == CWR_NAMESPACE:
                code = title.get("UserDefinedValue") or "AT"
            language = (title.get("LanguageAndScriptCode") or "").upper()[:2] or None
            work.titles.append(Title(_Children(title).text("TitleText"), code, language))
        duration = children.first("Duration")
        if duration is not None:
            match = _DURATION.match(_text(duration))
            if match:
                days, hours, minutes, secs = (float(g or 0) for g in match.groups())
                work.duration = int(days * 86400 + hours * 3600 + minutes * 60 + secs)
        writer_roles: dict[str, str] = {}
        for writer in children.all("Writer"):
            writer_children = _Children(writer)
            party_ref = writer_children.text("WriterPartyReference")
            role = writer_children.text("Role")
            writer_roles[party_ref] = WRITER_ROLES_BACK.get(role, "PA" if not role else "CA")
        empty = _finding(
            "TR",
            "the work has no writer and no right share: nothing to register",
            reference,
            "MusicalWorkReference",
            ref,
        )
        reading = _Reading(
            work, number, len(self.works) + 1, element.sourceline or 0, writer_roles, empty
        )
        reading.findings = findings
        for party_ref, role in writer_roles.items():
            if party_ref in self.parties:
                tag = f"SWR {role}"
                reading.claims[(party_ref, tag)] = self._claim(party_ref, tag, reading)
        self.works[ref] = reading

    def share(self, element: etree._Element) -> None:
        """A RightShare: its share in the claims of each work it names."""
        share = _Children(element)
        for work_ref in share.all("RightShareWorkReference"):
            reading = self.works.get(_text(work_ref))
            if reading is not None:
                self._share(share, reading)

    def _share(self, share: _Children, reading: _Reading) -> None:
        claims, writer_roles = reading.claims, reading.writer_roles
        rights_controller = share.first("RightsController")
        controller = (
            None
            if rights_controller is None
            else _Children(rights_controller).first("RightsControllerPartyReference")
        )
        if controller is None or _text(controller) not in self.parties:
            reading.note(
                "WARN",
                "right share without a known rights controller: ignored",
                share.first("RightShareReference"),
                "RightShareReference",
                share.text("RightShareReference"),
            )
            return
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

    def finish(self) -> ReadFile:
        """The works read, as registrations (none if the message is rejected)."""
        if self.read.file_rejected:
            return self.read
        for reading in self.works.values():
            work = reading.work
            work.claims = list(reading.claims.values())
            if not work.claims:
                reading.findings.append(reading.empty)
            self.read.transactions.append(
                registration(work, reading.number, reading.sequence, reading.line, reading.findings)
            )
        return self.read

    def _tag(self, share: _Children, party_ref: str, writer_roles: dict[str, str]) -> str:
        for pid in share.all("RightShareId"):
            if pid.get("Namespace") == CWR_NAMESPACE:
                return _text(pid)
        if party_ref in writer_roles:
            return f"SWR {writer_roles[party_ref]}"
        controller = share.first("RightsController")
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

    def _add_share(self, claim: Claim, share: _Children, reading: _Reading) -> None:
        value_element = share.first("RightSharePercentage")
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
        rights = _rights(share.all("RightsType"))
        kind = share.text("RightShareType")
        if kind in (OWNERSHIP, "OriginalPublisherShare"):
            claim.ownership = _set(claim.ownership, rights, amount)
            return
        included = []
        for element in share.all("TerritoryCode"):
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
            for element in share.all("ExcludedTerritoryCode")
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


def read_elements(elements: Iterable[etree._Element], sender_of: Callable[[str], str]) -> ReadFile:
    """The works of a claim notification message (already validated, or validated as it
    is streamed) as registrations, from its elements of :data:`STREAMED` in document
    order; ``sender_of`` gives the code of the sender a DPID names."""
    reader = _Reader(sender_of)
    read = {
        "MessageHeader": reader.header,
        "ProfileId": reader.profile,
        "PartyList": reader.party_list,
        "MusicalWork": reader.work,
        "RightShare": reader.share,
    }
    for element in elements:
        if not reader.read.file_rejected:
            read[element.tag](element)
    return reader.finish()


def read_message(root: etree._Element, sender: str) -> ReadFile:
    """The works of a claim notification message parsed as a tree (already validated)."""
    return read_elements(root.iter(*STREAMED), lambda _dpid: sender)


def message_sender(root: etree._Element) -> str:
    """The DPID of the message's sender."""
    return _text(root.find("MessageHeader/MessageSender/PartyId"))


def is_claim_notification(root: etree._Element) -> bool:
    return root.tag == f"{{{NAMESPACE}}}{ROOT}"
