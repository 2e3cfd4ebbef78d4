"""Writing DDEX MWN 1.3 claim notification messages from works as the node holds them.

:func:`write_message` writes a ShareNotification, or with conflict groups a
ConflictNotification (see :mod:`adapters.ddex.mwn` for how the node's model maps to
MWN), element by element as text: each Party, MusicalWork and RightShare is put
together from its escaped values and written in turn, pretty-printed as lxml would
print the tree, and no tree of the whole message is ever built.
:func:`message_bytes` gives the same message as bytes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any

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
    WORLDWIDE,
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


#: Characters XML 1.0 does not allow, which lxml refuses in any text or attribute value.
_NOT_XML = "\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff"
_TEXT_SPECIAL = re.compile(f"[&<>\r{_NOT_XML}]")
_ATTRIBUTE_SPECIAL = re.compile(f'[&<>"\t\n\r{_NOT_XML}]')
_REFUSED = re.compile(f"[{_NOT_XML}]")


def _refuse_not_xml(value: str) -> None:
    """Raise what lxml raises for a value XML cannot hold (a surrogate fails to encode
    first, as it does in lxml)."""
    if _REFUSED.search(value):
        value.encode("utf-8")
        raise ValueError(
            "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or "
            "control characters"
        )


def _text(value: str) -> str:
    """A value as element text, escaped as lxml escapes it.

    >>> _text("A & B <C>\\r")
    'A &amp; B &lt;C&gt;&#13;'
    """
    if _TEXT_SPECIAL.search(value) is None:
        return value
    _refuse_not_xml(value)
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _attributes(attrs: dict[str, str]) -> str:
    """Attributes as they follow an element's name, values escaped as lxml escapes them.

    >>> _attributes({"Namespace": 'A"B', "Type": "X\\tY"})
    ' Namespace="A&quot;B" Type="X&#9;Y"'
    """
    written = []
    for name, value in attrs.items():
        if _ATTRIBUTE_SPECIAL.search(value) is not None:
            _refuse_not_xml(value)
            value = (
                value.replace("&", "&amp;")
                .replace("<", "&lt;")
                .replace(">", "&gt;")
                .replace('"', "&quot;")
                .replace("\n", "&#10;")
                .replace("\r", "&#13;")
                .replace("\t", "&#9;")
            )
        written.append(f' {name}="{value}"')
    return "".join(written)


def _leaf(indent: str, tag: str, text: str | None, attributes: str = "") -> str:
    """An element without children on its own line (``indent``: the line break and the
    spaces before it); an element without text is empty (``<Tag/>``)."""
    if text is None:
        return f"{indent}<{tag}{attributes}/>"
    return f"{indent}<{tag}{attributes}>{_text(text)}</{tag}>"


#: Line breaks and indents of each level of the message (the root's children at 1).
_LEVEL = ["\n" + "  " * level for level in range(6)]


def territory_code(tis: str) -> tuple[str, dict[str, str]]:
    """The TerritoryCode text and attributes for a TIS code.

    >>> territory_code("2136"), territory_code("0826")
    (('Worldwide', {}), ('826', {'IdentifierType': 'TIS'}))
    """
    if tis == WORLD:
        return WORLDWIDE, {}
    return tis.lstrip("0") or "0", {"IdentifierType": "TIS"}


def _territory(indent: str, tag: str, tis: str) -> str:
    text, attrs = territory_code(tis)
    return _leaf(indent, tag, text, _attributes(attrs))


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
        #: the Namespace attribute of the ids the sender gives
        self.namespace = _attributes({"Namespace": namespace})
        self.refs: dict[Any, str] = {}
        self.elements: list[str] = []
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
        _, l3, l4 = _LEVEL[2:5]
        self.elements.append(
            f"{_LEVEL[2]}<Party>{l3}<PartyId>"
            + _leaf(l4, "CisacSocietyId", code)
            + _leaf(l4, "ProprietaryId", f"SOCIETY{code}", self.namespace)
            + f"{l3}</PartyId>"
            + _leaf(l3, "PartyReference", ref)
            + f"{l3}<PartyName>"
            + _leaf(l4, "FullName", codes.society_name(code) or f"SOCIETY {code}")
            + f"{l3}</PartyName>{l3}<IsOrganization>true</IsOrganization>{_LEVEL[2]}</Party>"
        )
        self.refs[identity] = ref
        return ref

    def party(self, party: InterestedParty) -> str:
        identity = self._identity(party)
        if identity in self.refs:
            return self.refs[identity]
        ref = f"P{len(self.refs) + 1}"
        self.refs[identity] = ref
        l2, l3, l4 = _LEVEL[2:5]
        parts = [f"{l2}<Party>{l3}<PartyId>"]
        ipi, base = known(party.ipi_name_number), known(party.ipi_base_number)
        if ipi:
            parts.append(_leaf(l4, "IpiNameNumber", ipi))
        parts.append(_leaf(l4, "ProprietaryId", self._key(party, ref), self.namespace))
        if base:
            parts.append(_leaf(l4, "ProprietaryId", base, _IPI_BASE))
        parts.append(f"{l3}</PartyId>")
        parts.append(_leaf(l3, "PartyReference", ref))
        parts.append(f"{l3}<PartyName>")
        full = f"{party.first_name} {party.last_name}" if party.first_name else party.last_name
        parts.append(_leaf(l4, "FullName", full or "UNKNOWN"))
        if party.first_name:
            parts.append(_leaf(l4, "NamesBeforeKeyName", party.first_name))
        if party.last_name:
            parts.append(_leaf(l4, "KeyName", party.last_name))
        parts.append(f"{l3}</PartyName>")
        for affiliation in party.affiliations:
            society_ref = self.society(affiliation.society)
            parts.append(f"{l3}<SocietyAffiliation>")
            parts.append(_territory(l4, "TerritoryCode", affiliation.territory))
            parts.append(f"{l4}<RightsType>{RIGHTS[Right(affiliation.right)]}</RightsType>")
            parts.append(f"{l4}<MusicRightsSociety>{society_ref}</MusicRightsSociety>")
            parts.append(f"{l3}</SocietyAffiliation>")
        organization = "true" if party.is_legal_entity else "false"
        parts.append(f"{l3}<IsOrganization>{organization}</IsOrganization>{l2}</Party>")
        self.elements.append("".join(parts))
        return ref


_IPI_BASE = _attributes({"Namespace": IPI_BASE_NAMESPACE})
_CWR = _attributes({"Namespace": CWR_NAMESPACE})
_RIGHTS_ORDER = (Right.PR, Right.MR, Right.SR)


@functools.lru_cache(maxsize=1024)
def _by_percentage(pr: int, mr: int, sr: int) -> tuple[tuple[int, tuple[Right, ...]], ...]:
    """Rights grouped by equal share, in PR, MR, SR order.

    >>> _by_percentage(5000, 10000, 10000)
    ((5000, (<Right.PR: 'PR'>,)), (10000, (<Right.MR: 'MR'>, <Right.SR: 'SR'>)))
    """
    groups: dict[int, list[Right]] = {}
    for right, value in zip(_RIGHTS_ORDER, (pr, mr, sr), strict=True):
        groups.setdefault(value, []).append(right)
    return tuple((value, tuple(rights)) for value, rights in groups.items())


#: A RightShare without its references, in the pieces that go around them: before
#: the share's, between it and the work's, between that and the controller's, after.
_Template = tuple[str, str, str, str]
#: A right share before it is written: its reference, its work's, its party's and
#: its template.
_ShareSpec = tuple[str, str, str, _Template]


class _Shares:
    """The RightShareList: every claim's right shares, with references by claim.

    Right shares that differ only in their references (the share's, the work's and
    the controller's) share one template, put together once."""

    def __init__(self) -> None:
        self.specs: list[_ShareSpec] = []
        #: (claim id, rights) of each right share reference, for conflict groups
        self.of_claim: dict[int, list[tuple[str, tuple[Right, ...]]]] = {}
        self.templates: dict[tuple, _Template] = {}

    def claim(self, work_ref: str, party_ref: str, claim: Claim) -> None:
        head = (claim_tag(claim), claim.side, claim.role)
        own = claim.ownership
        keys = [
            (head, OWNERSHIP, rights, value, WORLD, ())
            for value, rights in _by_percentage(own.pr, own.mr, own.sr)
        ]
        entries = claim.territories
        for index, entry in enumerate(entries):
            if not entry.include:
                continue
            excluded = []
            for later in entries[index + 1 :]:
                if later.include:
                    break
                excluded.append(later.tis)
            share = entry.collection
            keys += (
                (head, COLLECTION, rights, value, entry.tis, tuple(excluded))
                for value, rights in _by_percentage(share.pr, share.mr, share.sr)
            )
        specs, templates = self.specs, self.templates
        refs = []
        for key in keys:
            template = templates.get(key)
            if template is None:
                template = templates[key] = _share_template(claim, *key[1:])
            ref = f"S{len(specs) + 1}"
            specs.append((ref, work_ref, party_ref, template))
            refs.append((ref, key[2]))
        if claim.id is not None:
            self.of_claim.setdefault(claim.id, []).extend(refs)


def _share_template(
    claim: Claim,
    kind: str,
    rights: tuple[Right, ...],
    value: int,
    included: str,
    excluded: tuple[str, ...],
) -> _Template:
    l3, l4 = _LEVEL[3:5]
    middle = [
        "</RightShareWorkReference>",
        _territory(l3, "TerritoryCode", included),
        *(_territory(l3, "ExcludedTerritoryCode", tis) for tis in excluded),
        *(f"{l3}<RightsType>{RIGHTS[right]}</RightsType>" for right in rights),
    ]
    controller = ""
    if claim.side is Side.PUBLISHER:
        owner = "true" if claim.role in ("E", "AQ") else "false"
        agent = "true" if claim.role in ("AM", "SE", "ES") else "false"
        controller = f' IsOwner="{owner}" IsAgent="{agent}"'
    middle.append(f"{l3}<RightsController{controller}>{l4}<RightsControllerPartyReference>")
    return (
        f"{_LEVEL[2]}<RightShare>{l3}<RightShareReference>",
        f"</RightShareReference>{l3}<RightShareType>{kind}</RightShareType>"
        + _leaf(l3, "RightShareId", claim_tag(claim), _CWR)
        + f"{l3}<RightShareWorkReference>",
        "".join(middle),
        f"</RightsControllerPartyReference>{l3}</RightsController>"
        f"{l3}<RightSharePercentage>{percentage(value)}</RightSharePercentage>",
    )


_DISPUTED = f"{_LEVEL[3]}<HasRightsInDispute>true</HasRightsInDispute>"


def _work(
    work: Work, ref: str, number: str, namespace: str, writers: list[tuple[str, Claim]]
) -> str:
    """A MusicalWork (``namespace``: the Namespace attribute of its ProprietaryId)."""
    l2, l3, l4 = _LEVEL[2:5]
    parts = [f"{l2}<MusicalWork>{l3}<MusicalWorkReference>{ref}</MusicalWorkReference>"]
    parts.append(f"{l3}<MusicalWorkId>")
    if work.iswc:
        parts.append(_leaf(l4, "ISWC", iswc_id.compact(work.iswc)))
    parts.append(_leaf(l4, "ProprietaryId", number, namespace))
    parts.append(f"{l3}</MusicalWorkId>")
    main = {"TitleType": "OriginalTitle"}
    if work.language:
        main["LanguageAndScriptCode"] = work.language.lower()
    parts.append(f"{l3}<Title{_attributes(main)}>")
    parts.append(_leaf(l4, "TitleText", work.title))
    parts.append(f"{l3}</Title>")
    for title in work.titles:
        attrs = {}
        if title.type in TITLE_TYPES:
            attrs["TitleType"] = TITLE_TYPES[title.type]
        else:
            attrs = {"TitleType": "UserDefined", "Namespace": CWR_NAMESPACE}
            attrs["UserDefinedValue"] = title.type
        if title.language:
            attrs["LanguageAndScriptCode"] = title.language.lower()
        parts.append(f"{l3}<Title{_attributes(attrs)}>")
        parts.append(_leaf(l4, "TitleText", title.title))
        parts.append(f"{l3}</Title>")
    if work.duration:
        parts.append(f"{l3}<Duration>{_duration(work.duration)}</Duration>")
    for party_ref, claim in writers:
        parts.append(f"{l3}<Writer>{l4}<WriterPartyReference>{party_ref}</WriterPartyReference>")
        if claim.role in WRITER_ROLE_NAMES:
            parts.append(f"{l4}<Role>{WRITER_ROLE_NAMES[claim.role]}</Role>")
        parts.append(f"{l3}</Writer>")
    parts.append(f"{l2}</MusicalWork>")
    return "".join(parts)


def _message_header(header: Header) -> str:
    l1, l2, l3, l4 = _LEVEL[1:5]
    parts = [f"{l1}<MessageHeader>", _leaf(l2, "MessageId", header.message_id)]
    if header.file_name:
        parts.append(_leaf(l2, "MessageFileName", header.file_name))
    for tag, dpid, name in (
        ("MessageSender", header.sender_dpid, header.sender_name),
        ("MessageRecipient", header.recipient_dpid, header.recipient_name),
    ):
        parts.append(f"{l2}<{tag}>" + _leaf(l3, "PartyId", dpid) + f"{l3}<PartyName>")
        parts.append(_leaf(l4, "FullName", name) + f"{l3}</PartyName>{l2}</{tag}>")
    parts.append(_leaf(l2, "MessageCreatedDateTime", header.created.isoformat(timespec="seconds")))
    control = "TestMessage" if header.test else "LiveMessage"
    parts.append(f"{l2}<MessageControlType>{control}</MessageControlType>{l1}</MessageHeader>")
    return "".join(parts)


#: Pieces of text gathered before they are written out.
_FLUSH_EVERY = 2000


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
    MusicalWork and RightShare is put together and written in turn.
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
    pending: list[str] = []

    def put(text: str) -> None:
        pending.append(text)
        if len(pending) >= _FLUSH_EVERY:
            output.write("".join(pending).encode("utf-8"))
            pending.clear()

    l1, l2 = _LEVEL[1:3]
    root = f"mwn:{ROOT}"
    put(
        f"<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<{root} xmlns:mwn="{NAMESPACE}" AvsVersionId="{AVS_VERSION}" '
        'LanguageAndScriptCode="en">'
    )
    put(_message_header(header))
    profile = CONFLICT_NOTIFICATION if conflicts else SHARE_NOTIFICATION
    put(f"{l1}<ProfileId>{profile}</ProfileId>{l1}<PartyList>")
    for party in parties.elements:
        put(party)
    put(f"{l1}</PartyList>{l1}<WorkList>")
    for index, (work, written) in enumerate(zip(works, writers, strict=True), 1):
        number = work.number(sender) or (str(work.id) if work.id is not None else f"{index}")
        put(_work(work, f"W{index}", number, parties.namespace, written))
    put(f"{l1}</WorkList>{l1}<RightShareList>")
    end = f"{l2}</RightShare>"
    for ref, work_ref, party_ref, (before, work_at, party_at, after) in shares.specs:
        flag = _DISPUTED if ref in disputed else ""
        put(f"{before}{ref}{work_at}{work_ref}{party_at}{party_ref}{after}{flag}{end}")
    for refs in groups:
        put(
            f"{l2}<Conflict>"
            + "".join(
                f"{_LEVEL[3]}<ConflictRightShareReference>{ref}</ConflictRightShareReference>"
                for ref in refs
            )
            + f"{l2}</Conflict>"
        )
    put(f"{l1}</RightShareList>\n</{root}>\n")
    output.write("".join(pending).encode("utf-8"))


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
