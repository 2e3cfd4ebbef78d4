"""DDEX MWN 1.3: messages written, validated against the official schema, read back;
the store round trip through two nodes; ConflictNotification; hostile XML refused."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from adapters import safe_xml
from adapters.ddex.mwn.reader import read_message
from adapters.ddex.mwn.vocabulary import COLLECTION, NAMESPACE, OWNERSHIP
from adapters.ddex.mwn.writer import Header, message_bytes
from exchange.ddex import load_schema
from exchange.identifiers import ipi_base
from exchange.identifiers import iswc as iswc_id
from exchange.model import Claim, InterestedParty, Shares, Side, TerritoryShare, Work
from exchange.store import Store
from tests.adapters.cwr.cwr_builder import CwrFile, change, valid_work
from tests.conflicts.test_lifecycle import disputed
from tests.imports.test_acks import Node, node_config, run
from tests.services import mwn_schema_dir
from tests.strategies import SENDER, cwr_works

NS = {"m": NAMESPACE}


@pytest.fixture(scope="module")
def schema_dir() -> Path:
    return mwn_schema_dir()


@pytest.fixture
def with_schema(schema_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EXCHANGE_DDEX_SCHEMA_DIR", str(schema_dir))
    return schema_dir


def header() -> Header:
    return Header(
        "MSG-1", "PADPIDACISAC052", "SOCIETY 052", "PADPIDACISAC058", "SOCIETY 058",
        datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
    )  # fmt: skip


def _claim_key(claim: Claim) -> tuple:
    """Claims in a comparable order (a message does not keep theirs)."""
    party = claim.party
    return (
        str(claim.side), claim.chain or 0, party.name, claim.role, claim.controlled,
        party.key or "", party.ipi_name_number or "",
    )  # fmt: skip


def mwn_view(work: Work) -> Work:
    """What an MWN message carries of a work (docs/mwn.md), in a comparable form."""
    claims = []
    for claim in work.claims:
        party = dataclasses.replace(
            claim.party,
            id=None,
            key=None if claim.party.key == f"IPI{claim.party.ipi_name_number}" else claim.party.key,
            ipi_base_number=claim.party.ipi_base_number
            and ipi_base.compact(claim.party.ipi_base_number),
            affiliations=[dataclasses.replace(a, source=None) for a in claim.party.affiliations],
        )
        territories = []
        for entry in claim.territories:
            if not entry.include and not territories:
                continue  # an exclusion before any inclusion says nothing
            territories.append(entry if entry.include else TerritoryShare(entry.tis, False))
        claims.append(
            dataclasses.replace(
                claim, party=party, territories=territories, writers=(), source=None, id=None
            )
        )
    return Work(
        title=work.title,
        iswc=work.iswc and iswc_id.compact(work.iswc),
        language=work.language,
        duration=work.duration,
        titles=list(work.titles),
        numbers=[n for n in work.numbers if n.issuer == SENDER and n.kind == "submitter"],
        claims=sorted(claims, key=_claim_key),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(work=cwr_works())
def test_a_work_survives_an_mwn_message(work: Work) -> None:
    work.id = 7
    schema = load_schema(mwn_schema_dir())
    data = message_bytes([work], header(), SENDER)
    tree = safe_xml.parse_bytes(data, "message")
    assert safe_xml.validate(schema, tree, "message") == []
    read = read_message(tree.getroot(), SENDER)
    [tx] = read.transactions
    assert not tx.rejected, tx.findings
    expected = mwn_view(work)
    if not work.number(SENDER):
        expected.numbers = []
        tx.mapped.work.numbers = []
    assert mwn_view(tx.mapped.work) == expected


def test_shares_are_percentages_and_rights_with_one_share_are_grouped() -> None:
    publisher = Claim(
        InterestedParty("PUB", is_legal_entity=True), "E", Side.PUBLISHER,
        Shares(3333, 10000, 10000),
        [TerritoryShare("2136", True, Shares(3333, 10000, 10000)), TerritoryShare("0826", False)],
        chain=1,
    )  # fmt: skip
    data = message_bytes([Work("A SONG", claims=[publisher])], header(), SENDER)
    tree = safe_xml.parse_bytes(data, "message")
    shares = tree.getroot().findall("RightShareList/RightShare")
    ownership = [s for s in shares if s.findtext("RightShareType") == OWNERSHIP]
    assert [(s.findtext("RightSharePercentage"), [r.text for r in s.findall("RightsType")])
            for s in ownership] == [
        ("33.33", ["PerformingRight"]),
        ("100.00", ["MechanicalRight", "SynchronizationRight"]),
    ]  # fmt: skip
    collection = [s for s in shares if s.findtext("RightShareType") == COLLECTION]
    assert {s.findtext("TerritoryCode") for s in collection} == {"Worldwide"}
    assert {s.findtext("ExcludedTerritoryCode") for s in collection} == {"826"}
    assert {s.findtext("RightShareId") for s in shares} == {"SPU E 1"}


_AWKWARD = st.text(
    st.sampled_from("aZ9 &<>\"'\t\n\r;]é€😀\x00\x01\x1f\ufffe"), min_size=1, max_size=12
)


@settings(max_examples=200, deadline=None)
@given(title=_AWKWARD, name=_AWKWARD, kind=_AWKWARD)
def test_a_message_is_printed_as_lxml_prints_it_and_refuses_what_lxml_refuses(
    title: str, name: str, kind: str
) -> None:
    from exchange.model import Title

    writer = Claim(InterestedParty(name, first_name=name), "CA", Side.WRITER, Shares(10000))
    work = Work(title, titles=[Title(title, kind, "EN")], claims=[writer])
    try:  # lxml refuses what XML cannot hold
        etree.Element("Check", Kind=kind).text = title + name
    except ValueError as refused:
        with pytest.raises(ValueError) as raised:
            message_bytes([work], header(), SENDER)
        assert type(raised.value) is type(refused) and str(raised.value) == str(refused)
        return
    data = message_bytes([work], header(), SENDER)
    root = etree.fromstring(data)
    assert (
        etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8") + b"\n" == data
    )
    assert root.findtext("WorkList/MusicalWork/Title/TitleText") == title


def test_worldwide_first_in_the_schema_changes_no_verdict(schema_dir: Path) -> None:
    from exchange.ddex import MAIN_SCHEMA, XMLDSIG

    as_published = safe_xml.load_schema(
        schema_dir / MAIN_SCHEMA, {XMLDSIG: schema_dir / "xmldsig-core-schema.xsd"}
    )
    publisher = Claim(
        InterestedParty("PUB", is_legal_entity=True), "E", Side.PUBLISHER, Shares(10000),
        [TerritoryShare("2136", True, Shares(10000)), TerritoryShare("0826", False)],
    )  # fmt: skip
    data = message_bytes([Work("A SONG", claims=[publisher])], header(), SENDER)
    world = b"<TerritoryCode>Worldwide</TerritoryCode>"
    for code in (b"Worldwide", b"worldwide", b"Worldwide ", b"GB", b"826", b"ZZ", b""):
        tree = etree.ElementTree(
            etree.fromstring(data.replace(world, b"<TerritoryCode>%s</TerritoryCode>" % code))
        )
        verdict = as_published.checker.validate(tree)
        assert load_schema(schema_dir).checker.validate(tree) is verdict
        assert verdict is (code in (b"Worldwide", b"GB", b"826"))


# -- two nodes -------------------------------------------------------------------------


@pytest.fixture
def nodes(capsys, tmp_path: Path, pg_or_sqlite_urls) -> tuple[Node, Node]:
    first, second = pg_or_sqlite_urls
    a = node_config(tmp_path / "a", "052")
    a.write_text(a.read_text() + '\n[[partners]]\ncode = "058"\nname = "SISTER"\n')
    b = node_config(tmp_path / "b", "058")
    b.write_text(b.read_text() + '\n[[partners]]\ncode = "052"\nname = "FIRST"\n')
    return Node(capsys, first, a), Node(capsys, second, b)


@pytest.fixture
def pg_or_sqlite_urls(db_url: str, tmp_path: Path, request) -> tuple[str, str]:
    """Two fresh stores of the same kind as ``db_url``."""
    if db_url.startswith("sqlite"):
        return db_url, f"sqlite:///{tmp_path / 'second.db'}"
    return db_url, request.getfixturevalue("postgres").new_database()


def stored_works(node: Node) -> dict[str, dict]:
    store = Store(node.url)
    found = {}
    for work in store.iter_works(store.work_ids()):
        claims = sorted(
            (c.party.ipi_name_number or c.party.name, str(c.side), c.role, c.ownership,
             tuple((t.tis, t.include, t.collection if t.include else None) for t in c.territories))
            for c in work.claims
        )  # fmt: skip
        titles = sorted((t.title, t.type) for t in work.titles)
        found[work.title] = {"iswc": work.iswc, "titles": titles, "claims": claims}
    return found


def test_export_validate_import_gives_the_same_works_and_shares(
    nodes: tuple[Node, Node], with_schema: Path, tmp_path: Path
) -> None:
    first, second = nodes
    cwr = CwrFile()
    for i in range(3):
        cwr.add("NWR", change(valid_work(f"W{i}", f"SONG NUMBER {i}"), "NWR", iswc=""))
    first("import", str(cwr.write(tmp_path, "CW260001PUB_052.V21")))
    _, exported = first("export", "--format", "mwn", "--partner", "058", "-o", str(tmp_path / "o"))
    [written] = exported["files"]
    assert written["validated"] is True and written["works"] == 3
    path = Path(written["path"])
    assert path.name.startswith("MWN_052_058_")

    code, imported = second("import", str(path))  # the sender is told by its DPID
    report = imported["files"][0]
    assert code == 0, report["findings"]
    assert (report["format"], report["works_created"], report["rejected"]) == ("mwn", 3, 0)
    assert stored_works(second) == stored_works(first)

    # the same message again changes nothing
    _, again = second("import", str(path))
    assert again["files"][0]["duplicate_of"] is not None
    # a new message with the same content: each work is a duplicate registration
    _, newer = first("export", "--format", "mwn", "--partner", "058", "-o", str(tmp_path / "p"))
    _, reread = second("import", newer["files"][0]["path"])
    assert reread["files"][0]["statuses"] == {"DU": 3}
    assert stored_works(second) == stored_works(first)


def _three_works(node: Node, tmp_path: Path) -> None:
    cwr = CwrFile()
    for i in range(3):
        cwr.add("NWR", change(valid_work(f"W{i}", f"SONG NUMBER {i}"), "NWR", iswc=""))
    node("import", str(cwr.write(tmp_path, "CW260001PUB_052.V21")))


@pytest.mark.parametrize("workers", ["0", "2"])
def test_messages_are_validated_in_worker_processes_or_not_alike(
    workers: str, capsys, db_url: str, tmp_path: Path, with_schema: Path, monkeypatch
) -> None:
    monkeypatch.setenv("EXCHANGE_WORKERS", workers)
    node = Node(capsys, db_url, node_config(tmp_path / "n", "052"))
    _three_works(node, tmp_path)
    out = tmp_path / "o"
    _, exported = node("export", "--format", "mwn", "--max-works", "1", "-o", str(out))
    files = exported["files"]
    assert [(f["works"], f["validated"]) for f in files] == [(1, True)] * 3
    assert sorted(p.name for p in out.iterdir()) == [Path(f["path"]).name for f in files]
    schema = load_schema(with_schema)
    for written in files:
        path = Path(written["path"])
        assert safe_xml.validate(schema, safe_xml.parse(path), path.name) == []


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_message_the_schema_refuses_is_not_written(
    workers: str, capsys, db_url: str, tmp_path: Path, with_schema: Path, monkeypatch
) -> None:
    monkeypatch.setenv("EXCHANGE_WORKERS", workers)
    node = Node(capsys, db_url, node_config(tmp_path / "n", "052"))
    _three_works(node, tmp_path)

    def broken(file, works, header, sender, **_):  # a message without its WorkList
        file.write(b'<m:MusicalWorkClaimNotificationMessage xmlns:m="%s"/>' % NAMESPACE.encode())

    monkeypatch.setattr("exchange.exports.mwn.write_message", broken)
    out = tmp_path / "o"
    code, said = said_by(node, "export", "--format", "mwn", "--max-works", "1", "-o", str(out))
    assert code == 2 and "the DDEX schema refuses" in said and "Traceback" not in said
    assert list(out.iterdir()) == []  # nothing written, no temporary file left


def test_a_worker_that_dies_leaves_the_check_to_the_main_process(
    capsys, db_url: str, tmp_path: Path, with_schema: Path, monkeypatch
) -> None:
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    class DeadWorkers:  # every check answers as a pool whose worker was killed
        def submit(self, *_args: object) -> Future[list[str]]:
            dead: Future[list[str]] = Future()
            dead.set_exception(BrokenProcessPool("a worker ended abruptly"))
            return dead

    monkeypatch.setenv("EXCHANGE_WORKERS", "2")
    monkeypatch.setattr("exchange.exports.mwn.process_pool", lambda _workers: DeadWorkers())
    node = Node(capsys, db_url, node_config(tmp_path / "n", "052"))
    _three_works(node, tmp_path)
    out = tmp_path / "o"
    _, exported = node("export", "--format", "mwn", "--max-works", "1", "-o", str(out))
    assert [(f["works"], f["validated"]) for f in exported["files"]] == [(1, True)] * 3
    assert sorted(p.name for p in out.iterdir()) == sorted(
        Path(f["path"]).name for f in exported["files"]
    )


def test_export_without_schema_says_it_did_not_validate(
    capsys, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EXCHANGE_DDEX_SCHEMA_DIR", raising=False)
    node = Node(capsys, db_url, node_config(tmp_path / "n", "052"))
    node("import", str(CwrFile().add("NWR", valid_work()).write(tmp_path, "CW260001PUB_052.V21")))
    _, exported = node("export", "--format", "mwn", "-o", str(tmp_path / "o"))
    assert exported["files"][0]["validated"] is False
    code, said = said_by(node, "import", exported["files"][0]["path"])
    assert code == 2 and "schema_dir" in said


def test_a_conflict_notification_groups_the_conflicting_shares(
    capsys, db_url: str, tmp_path: Path, with_schema: Path
) -> None:
    config = node_config(tmp_path / "n", "052")
    config.write_text(config.read_text() + '\n[[partners]]\ncode = "OTH"\nname = "OTHER"\n')
    node = Node(capsys, db_url, config)
    disputed(node, tmp_path)
    out = tmp_path / "conflicts.xml"
    _, written = node("conflicts", "report", "--format", "mwn", "--partner", "OTH", "-o", str(out))
    assert written["validated"] is True and written["works"] == 1
    tree = safe_xml.parse(out)
    assert safe_xml.validate(load_schema(with_schema), tree, out.name) == []
    root = tree.getroot()
    assert root.findtext("ProfileId") == "ConflictNotification"
    assert root.find("ResourceList") is None and root.find("ReleaseList") is None
    groups = root.findall("RightShareList/Conflict")
    assert groups
    shares = {s.findtext("RightShareReference"): s for s in root.iter("RightShare")}
    for group in groups:
        refs = [r.text for r in group.findall("ConflictRightShareReference")]
        assert refs and all(shares[r].findtext("HasRightsInDispute") == "true" for r in refs)
        controllers = {
            shares[r].findtext("RightsController/RightsControllerPartyReference") for r in refs
        }
        assert len(controllers) >= 2  # shares of different parties conflict with each other
    # both publishers' claims are in the message, each from its own source
    names = {p.findtext("PartyName/FullName") for p in root.iter("Party")}
    assert "RIVAL MUSIC" in names


# -- hostile and broken XML ------------------------------------------------------------

ATTACKS = {
    "xxe.xml": b'<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b"<m>&x;</m>\n",
    "laughs.xml": b'<?xml version="1.0"?>\n<!DOCTYPE m [\n<!ENTITY a "lol">\n'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n'
    b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">\n]>\n<m>&d;</m>\n',
    "dtd.xml": b'<?xml version="1.0"?>\n<!DOCTYPE m SYSTEM "http://127.0.0.1:9/evil.dtd">\n<m/>\n',
    "utf16.xml": '<?xml version="1.0" encoding="UTF-16"?>\n'
    '<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<m>&x;</m>\n'.encode("utf-16"),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_hostile_xml_is_refused_and_nothing_stored(
    name: str, capsys, db_url: str, tmp_path: Path, with_schema: Path
) -> None:
    node = Node(capsys, db_url, node_config(tmp_path / "n", "052"))
    path = tmp_path / name
    path.write_bytes(ATTACKS[name])
    code, said = said_by(node, "import", "--partner", "058", str(path))
    assert code == 2
    assert name in said and "DTD" in said and "Traceback" not in said
    assert Store(node.url).work_ids() == [] and Store(node.url).ledger() == []


def test_network_references_are_never_fetched(
    capsys, db_url: str, tmp_path: Path, with_schema: Path
) -> None:
    """An XInclude and a schema location naming the network: not fetched, the message is
    judged against the local schema only (and refused, as XInclude is not MWN)."""
    node = Node(capsys, db_url, node_config(tmp_path / "n", "052"))
    path = tmp_path / "remote.xml"
    path.write_bytes(
        b'<?xml version="1.0"?>\n'
        b'<mwn:MusicalWorkClaimNotificationMessage xmlns:mwn="http://ddex.net/xml/mc-notif/13" '
        b'xmlns:xi="http://www.w3.org/2001/XInclude" '
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        b'xsi:schemaLocation="http://ddex.net/xml/mc-notif/13 http://127.0.0.1:9/mwn.xsd" '
        b'AvsVersionId="7" LanguageAndScriptCode="en">\n'
        b'<xi:include href="http://127.0.0.1:9/works.xml"/>\n'
        b"</mwn:MusicalWorkClaimNotificationMessage>\n"
    )
    code, err = node.raw("--json", "import", "--partner", "058", str(path))
    assert code == 1
    assert Store(node.url).work_ids() == []


def test_an_invalid_message_is_rejected_with_the_line(
    capsys, db_url: str, tmp_path: Path, with_schema: Path
) -> None:
    node = Node(capsys, db_url, node_config(tmp_path / "n", "052"))
    work = Work("A SONG", claims=[Claim(mwn_party(), "CA", Side.WRITER, Shares(10000))])
    tree = safe_xml.parse_bytes(message_bytes([work], header(), SENDER), "message")
    bad = tree.getroot().find("WorkList/MusicalWork/Title")
    etree.SubElement(bad, "Unexpected").text = "x"
    path = tmp_path / "bad.xml"
    path.write_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
    code, report = node("import", "--partner", "058", str(path))
    [found] = report["files"]
    assert code == 1 and found["works_created"] == 0
    [finding] = found["findings"][:1]
    assert finding["level"] == "ER" and finding["line"] and "Unexpected" in finding["message"]
    assert Store(node.url).work_ids() == []


def test_oversized_files_and_trees_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b"<m>" + b"<w/>" * 1000 + b"</m>")
    with pytest.raises(safe_xml.XmlRefused, match="bytes is more than"):
        safe_xml.parse(path, max_bytes=100)
    with pytest.raises(safe_xml.XmlRefused, match="more than 10 elements"):
        safe_xml.parse(path, max_elements=10)
    deep = tmp_path / "deep.xml"
    deep.write_bytes(b"<a>" * 300 + b"</a>" * 300)
    with pytest.raises(safe_xml.XmlRefused, match="deep.xml"):
        safe_xml.parse(deep)


def _with_extra_declarations(extra: bytes) -> bytes:
    """A valid message whose root element carries ``extra`` (attributes, namespaces)."""
    work = Work("A SONG", claims=[Claim(mwn_party(), "CA", Side.WRITER, Shares(10000))])
    data = message_bytes([work], header(), SENDER)
    root = data.index(b"<mwn:MusicalWorkClaimNotificationMessage ") + len(b"<mwn:Musical")
    end = data.index(b" ", root)
    return data[:end] + b" " + extra + data[end:]


SWAMPED = {
    # xmlschema's time grows with the cube of an element's attributes (20,000: hours)
    "attributes.xml": b" ".join(b'a%d="x"' % i for i in range(20_000)),
    # and with the namespaces in scope times the elements
    "namespaces.xml": b" ".join(b'xmlns:n%d="urn:n%d"' % (i, i) for i in range(50_000)),
}


@pytest.mark.parametrize("name", sorted(SWAMPED))
@pytest.mark.parametrize("command", ["validate", "import"])
def test_messages_swamped_with_attributes_or_namespaces_are_refused_before_validation(
    name: str, command: str, capsys, db_url: str, tmp_path: Path, with_schema: Path
) -> None:
    node = Node(capsys, db_url, node_config(tmp_path / "n", "052"))
    path = tmp_path / name
    path.write_bytes(_with_extra_declarations(SWAMPED[name]))
    partner = ["--partner", "058"] if command == "import" else []
    args = ("--db", node.url, "--config", str(node.config), "--json", command, *partner)
    code, out, _ = run(capsys, *args, str(path))
    [refused] = json.loads(out)["files"]
    assert code == 2 and refused["file"] == str(path)
    assert name in refused["error"] and "refused" in refused["error"]
    assert ("attributes" if name == "attributes.xml" else "namespace") in refused["error"]
    assert Store(node.url).work_ids() == []


def test_limits_leave_ordinary_messages_alone(with_schema: Path) -> None:
    """64 attributes on an element, and the same namespaces declared again on every
    element, are parsed (and judged by the schema, which refuses the attributes)."""
    many = b" ".join(b'a%d="x"' % i for i in range(safe_xml.MAX_ATTRIBUTES - 2))
    tree = safe_xml.parse_bytes(_with_extra_declarations(many), "many.xml")
    errors = safe_xml.schema_errors(load_schema(with_schema), tree)
    assert errors and "attribute not allowed" in errors[0][1]
    declared = b" ".join(b'xmlns:n%d="urn:n%d"' % (i, i) for i in range(safe_xml.MAX_NAMESPACES))
    repeated = b"<m>" + b"<w %s/>" % declared * 1000 + b"</m>"
    assert len(safe_xml.parse_bytes(repeated, "repeated.xml").getroot()) == 1000
    with pytest.raises(safe_xml.XmlRefused, match="more than 64 different namespace"):
        safe_xml.parse_bytes(b"<m xmlns:extra='urn:x'>" + repeated + b"</m>", "more.xml")
    too_many = b" ".join(b'a%d="x"' % i for i in range(safe_xml.MAX_ATTRIBUTES + 1))
    with pytest.raises(safe_xml.XmlRefused, match=r"x.xml, line 2: .* \(w\) with 65 attrib"):
        safe_xml.parse_bytes(b"<m>\n<w %s/></m>" % too_many, "x.xml")


def said_by(node: Node, *args: str) -> tuple[int, str]:
    """Exit code and everything a command printed (stdout and stderr)."""
    code, out, err = run(node.capsys, "--db", node.url, "--config", str(node.config), *args)
    return code, out + err


def mwn_party():

    return InterestedParty("WRITER", "ANNA")


def test_a_message_checked_by_a_worker_while_read_imports_as_one_checked_here(
    capsys, tmp_path: Path, with_schema: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large messages are validated in a worker process while the main process reads
    them: valid, invalid and hostile messages end as they do checked in one process."""
    work = Work("A SONG", claims=[Claim(mwn_party(), "CA", Side.WRITER, Shares(10000))])
    valid = tmp_path / "valid.xml"
    valid.write_bytes(message_bytes([work], header(), SENDER))
    tree = safe_xml.parse_bytes(valid.read_bytes(), "message")
    etree.SubElement(tree.getroot().find("WorkList/MusicalWork/Title"), "Unexpected").text = "x"
    invalid = tmp_path / "invalid.xml"
    invalid.write_bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))
    hostile = tmp_path / "xxe.xml"
    hostile.write_bytes(ATTACKS["xxe.xml"])
    swamped = tmp_path / "namespaces.xml"
    swamped.write_bytes(_with_extra_declarations(SWAMPED["namespaces.xml"]))

    monkeypatch.setattr("exchange.imports.mwn.PARALLEL_FROM_BYTES", 0)  # every message
    ended = {}
    for workers in ("0", "2"):
        monkeypatch.setenv("EXCHANGE_WORKERS", workers)
        node = Node(
            capsys,
            f"sqlite:///{tmp_path / f'w{workers}.db'}",
            node_config(tmp_path / workers, "052"),
        )
        for path in (valid, invalid, hostile, swamped):
            code, out, _ = run(
                capsys, "--db", node.url, "--config", str(node.config), "--json",
                "import", "--partner", "058", str(path),
            )  # fmt: skip
            [report] = json.loads(out)["files"]
            ended[workers, path.name] = (
                code,
                report.get("error"),
                report.get("findings"),
                report.get("works_created"),
            )
        ended[workers, "works"] = stored_works(node)
    assert {k[1]: v for k, v in ended.items() if k[0] == "0"} == {
        k[1]: v for k, v in ended.items() if k[0] == "2"
    }
    assert ended["2", "valid.xml"][0] == 0 and ended["2", "valid.xml"][3] == 1
    assert ended["2", "invalid.xml"][0] == 1 and ended["2", "xxe.xml"][0] == 2
