"""A placeholder IPI (``00000000000``, zeros, blanks) is no identity: real files and the store.

Senders write zeros as the IPI name number of the writers and publishers they
do not control (OWR, OPU) and of some they do (SWR, SPU). Each such party is
identified by what is left (the sender's key, else the work, side and name),
never merged with another party because both carry the placeholder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from sqlalchemy import select

from adapters import safe_xml
from adapters.cwr import pipeline
from adapters.cwr.layout import layouts
from adapters.cwr.work_records import encode_work
from adapters.ddex.mwn.reader import read_message
from adapters.ddex.mwn.writer import message_bytes
from adapters.spreadsheet.parties import read_parties
from exchange.conflicts.rules import party_identity, work_conflicts
from exchange.identifiers import ipi_name, is_placeholder, known
from exchange.imports.cwr import CwrImporter
from exchange.imports.parties import PartyImporter
from exchange.matching.matcher import Matcher
from exchange.model import WORLD, Claim, InterestedParty, Shares, Side, Source, TerritoryShare, Work
from exchange.store import Store, tables
from tests.adapters.cwr.cwr_builder import CwrFile, Rec
from tests.imports.test_acks import Node, acks_in, node_config
from tests.imports.test_mwn import header as mwn_header
from tests.imports.test_sheets import importer as sheet_importer
from tests.rows import row_counts

ZEROS = "00000000000"
SENDER = "PUB"


def valid_ipi(number: int) -> str:
    """A valid IPI name number with the 9-digit body ``number``."""
    body = f"{number:09d}"
    return body + ipi_name.calc_check_digit(body)


def _world(ip: str, pr: int, mr: int = 0, sr: int = 0, record: str = "SPT") -> Rec:
    return (
        record,
        {
            "interested_party_number": ip,
            "pr_collection_share": pr,
            "mr_collection_share": mr,
            "sr_collection_share": sr,
            "inclusion_exclusion_indicator": "I",
            "tis_code": "2136",
            "territory_sequence": 1,
        },
    )


def placeholder_work(i: int) -> tuple[list[Rec], list[tuple[str, str, str | None, str | None]]]:
    """Work ``i`` of a clean one-publisher file, and the parties it names.

    The parties are (side, name, key, IPI) as the file gives them: the
    controlled publisher and writer with real IPIs; in some works a second
    controlled publisher (SPU) or writer (SWR) with zeros; other writers (OWR,
    one or two) and another publisher (OPU) with zeros, some with keys.
    """
    records: list[Rec] = [
        (
            "NWR",
            {
                "work_title": f"PLACEHOLDER SONG {i}",
                "submitter_work_number": f"W{i:05d}",
                "musical_work_distribution_category": "POP",
                "duration": 180,
                "recorded_indicator": "U",
                "version_type": "ORI",
            },
        )
    ]
    parties: list[tuple[str, str, str | None, str | None]] = []
    own_ipi = valid_ipi(334284)
    records += [
        (
            "SPU",
            {
                "publisher_sequence": 1,
                "interested_party_number": "P01",
                "publisher_name": "PUB MUSIC",
                "publisher_type": "E",
                "ipi_name_number": own_ipi,
                "pr_society": "052",
                "pr_ownership_share": 2500,
                "mr_society": "052",
                "mr_ownership_share": 5000,
                "sr_ownership_share": 5000,
            },
        ),
        _world("P01", 2500, 5000, 5000),
    ]
    parties.append(("publisher", "PUB MUSIC", "P01", own_ipi))
    second = {
        "publisher_sequence": 2,
        "publisher_type": "E",
        "ipi_name_number": ZEROS,
        "pr_ownership_share": 2500,
        "mr_ownership_share": 5000,
        "sr_ownership_share": 5000,
    }
    if i % 5 == 0:  # a second controlled publisher, without an IPI
        name, key = f"SUB CATALOGUE {i % 3}", f"P1{i % 3}"
        records += [
            ("SPU", {**second, "interested_party_number": key, "publisher_name": name}),
            _world(key, 2500, 5000, 5000),
        ]
    else:  # a publisher the sender does not control
        name, key = f"OTHER PUBLISHER {i % 7}", (f"X{i % 7}" if i % 4 == 1 else None)
        records.append(
            ("OPU", {**second, "interested_party_number": key or "", "publisher_name": name})
        )
    parties.append(("publisher", name, key, None))
    writer = {"writer_designation_code": "CA", "pr_society": "052", "pr_ownership_share": 2500}
    if i % 6 == 0:  # a controlled writer without an IPI
        name, key, ipi = f"NOIPI WRITER {i % 4}", f"Z{i % 4}", None
    else:
        name, key, ipi = f"WRITER {i % 10}", f"W{i % 10:02d}", valid_ipi(14107 + i % 10)
    records += [
        (
            "SWR",
            {
                **writer,
                "interested_party_number": key,
                "writer_last_name": name,
                "ipi_name_number": ipi or ZEROS,
            },
        ),
        _world(key, 2500, record="SWT"),
        (
            "PWR",
            {
                "publisher_ip_number": "P01",
                "publisher_name": "PUB MUSIC",
                "writer_ip_number": key,
                "publisher_sequence": 1,
            },
        ),
    ]
    parties.append(("writer", name, key, ipi))
    others = [f"OTHER WRITER {i % 13}"] + ([f"OTHER WRITER {(i + 5) % 13}"] if i % 3 == 0 else [])
    for name in others:
        key = f"O{name.rsplit(' ', 1)[1]}" if i % 2 else None
        records.append(
            (
                "OWR",
                {
                    **writer,
                    "pr_ownership_share": 2500 // len(others),
                    "interested_party_number": key or "",
                    "writer_last_name": name,
                    "ipi_name_number": ZEROS,
                },
            )
        )
        parties.append(("writer", name, key, None))
    return records, parties


def placeholder_file(works: int = 200) -> tuple[CwrFile, int, int]:
    """The file, and how many distinct writers and publishers it names.

    A party with an IPI is one party; one without is one per sender's key,
    else one per work and name.
    """
    cwr = CwrFile(sender=SENDER)
    seen: dict[str, set[object]] = {"writer": set(), "publisher": set()}
    for i in range(works):
        records, parties = placeholder_work(i)
        cwr.add("NWR", records)
        for side, name, key, ipi in parties:
            identity = ("ipi", ipi) if ipi else ("key", key) if key else ("name", i, name)
            seen[side].add(identity)
    return cwr, len(seen["writer"]), len(seen["publisher"])


def parties_by_side(store: Store) -> dict[str, int]:
    """How many distinct parties the store's claims name, per side."""
    with store.connect() as conn:
        rows = conn.execute(select(tables.claims.c.side, tables.claims.c.party_id)).all()
    found: dict[str, set[int]] = {}
    for side, pid in rows:
        found.setdefault(side, set()).add(pid)
    return {side: len(ids) for side, ids in found.items()}


def works_of(store: Store) -> Iterator[Work]:
    return store.iter_works(store.work_ids())


def works_view(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Per title, the claims: side, role, name, IPI, controlled, ownership, territories."""
    return {
        work.title: sorted(
            (
                str(c.side),
                c.role,
                c.party.name,
                c.party.ipi_name_number,
                c.controlled,
                c.ownership,
                tuple(c.territories),
            )
            for c in work.claims
        )
        for work in works_of(store)
    }


def empty_store(request: pytest.FixtureRequest, tmp_path: Path, name: str) -> str:
    """The URL of another empty store on the engine of the test's ``db_url``."""
    if request.getfixturevalue("db_url").startswith("sqlite"):
        return f"sqlite:///{tmp_path / f'{name}.db'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def society(capsys: pytest.CaptureFixture[str], db_url: str, tmp_path: Path) -> Node:
    return Node(capsys, db_url, node_config(tmp_path / "society", "052"))


@pytest.mark.parametrize(
    "value", ["00000000000", "0", "", " ", "I-000000000-0", "I0000000000", "0000000000000", None]
)
def test_zeros_and_blanks_are_placeholders(value: str | None) -> None:
    assert is_placeholder(value) and known(value) is None


@pytest.mark.parametrize("value", ["00045620792", "I-001068130-6", "00000000100"])
def test_numbers_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value) and known(value) == value


def test_the_cwr_validator_says_zeros_are_no_ipi(society: Node, tmp_path: Path) -> None:
    cwr, _, _ = placeholder_file(6)
    _, validated = society("validate", str(cwr.write(tmp_path)))
    found = validated["files"][0]["findings"]
    edits = {(f["record"], f["edit"], f["level"]) for f in found}
    assert edits == {("OWR", "SWR-F-009", "FR"), ("OPU", "SPU-F-010", "FR"),
                     ("SWR", "SWR-F-009", "FR"), ("SPU", "SPU-F-010", "FR")}  # fmt: skip
    assert all(f["value"] == ZEROS and "no IPI" in f["message"] for f in found)


def test_a_clean_file_with_placeholder_ipis_opens_no_conflict(
    society: Node, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    cwr, writers, publishers = placeholder_file()
    path = cwr.write(tmp_path, "CW260001PUB_052.V21")
    _, imported = society("import", str(path))
    [report] = imported["files"]
    assert report["rejected"] == 0 and report["works_created"] == 200
    assert report["conflicts_opened"] == 0
    assert "CO" not in report["statuses"], report["statuses"]
    _, acked = society("ack", str(path), "-o", str(tmp_path / "acks"))
    acks, _ = acks_in(Path(acked["files"][0]["path"]))
    assert len(acks) == 200 and {a.status for a in acks} <= {"AS", "AC"}

    store = Store(society.url)
    assert parties_by_side(store) == {"writer": writers, "publisher": publishers}
    assert row_counts(store, conflicts=tables.conflicts) == {"conflicts": 0}
    with store.connect() as conn:
        ipis = conn.execute(select(tables.parties.c.ipi_name_number)).scalars().all()
    assert not [ipi for ipi in ipis if ipi is not None and is_placeholder(ipi)]
    # each other writer keeps its own name
    work = store.load_work(store.find_work("PUB:W00003"))
    assert work is not None
    others = sorted(c.party.name for c in work.claims if not c.controlled)
    assert others == ["OTHER PUBLISHER 3", "OTHER WRITER 3", "OTHER WRITER 8"]

    # a revision from the same sender finds the same parties again
    held = row_counts(store, parties=tables.parties)
    assert held == {"parties": writers + publishers}
    revised = CwrFile(sender=SENDER)
    for i in range(200):
        records, _ = placeholder_work(i)
        records[0] = (records[0][0], {**records[0][1], "duration": 181})
        revised.add("REV", records)
    _, again = society("import", str(revised.write(tmp_path, "CW260002PUB_052.V21")))
    assert again["files"][0]["works_updated"] == 200
    assert again["files"][0]["conflicts_opened"] == 0
    assert parties_by_side(store) == {"writer": writers, "publisher": publishers}
    assert row_counts(store, parties=tables.parties) == held
    before = works_view(store)

    # its exports read back, into a fresh store, as the same works, parties and shares
    for fmt in ("cwr21", "csv", "xlsx"):
        out = tmp_path / f"out-{fmt}"
        _, exported = society("export", "--format", fmt, "-o", str(out))
        [written] = exported["files"]
        receiver = Node(society.capsys, empty_store(request, tmp_path, fmt), society.config)
        _, read = receiver("import", "--partner", "PUB", str(written["path"]))
        [result] = read["files"]
        assert (result["rejected"], result["conflicts_opened"]) == (0, 0), fmt
        assert result["works_created"] == 200, fmt
        second = Store(receiver.url)
        assert parties_by_side(second) == {"writer": writers, "publisher": publishers}, fmt
        assert works_view(second) == before, fmt


def test_checked_in_workers_the_zeros_are_no_ipi_either(store: Store, tmp_path: Path) -> None:
    cwr, writers, publishers = placeholder_file(60)
    with mock.patch.object(pipeline, "PARALLEL_FROM_BYTES", 0):  # a large file's way
        report = CwrImporter(store).import_file(cwr.write(tmp_path))
    assert (report.statuses, report.conflicts_opened) == ({"AC": 60}, 0)
    assert parties_by_side(store) == {"writer": writers, "publisher": publishers}


# -- the other formats, matching and the conflict rules -----------------------------------


def _other(name: str, side: Side = Side.WRITER, role: str = "CA") -> Claim:
    party = InterestedParty(name, ipi_name_number=ZEROS, is_legal_entity=side is Side.PUBLISHER)
    return Claim(party, role, side, Shares(2500), controlled=False)


def _two_others() -> Work:
    own = InterestedParty("ORCHARD", "MAY", "00045620792", key="W1")
    return Work(
        "TWO OTHERS",
        id=7,
        claims=[
            Claim(
                own, "CA", Side.WRITER, Shares(5000), [TerritoryShare(WORLD, True, Shares(5000))]
            ),
            _other("SMITH"),
            _other("JONES"),
        ],
    )


def test_the_cwr_writer_writes_no_zeros() -> None:
    lines = encode_work(_two_others(), "2.1", "NWR", 0, "052")
    owr = [line for line in lines if line.startswith("OWR")]
    ipi = layouts("2.1")["OWR"].field("ipi_name_number")
    assert [line[ipi.offset : ipi.end] for line in owr] == [" " * 11] * 2
    assert len({line[19:28] for line in owr}) == 2  # an interested party number each


def test_an_mwn_message_keeps_two_other_writers_apart() -> None:
    data = message_bytes([_two_others()], mwn_header(), "052")
    assert ZEROS.encode() not in data
    [tx] = read_message(safe_xml.parse_bytes(data, "message").getroot(), "052").transactions
    others = [c.party for c in tx.mapped.work.claims if not c.controlled]
    assert sorted(p.name for p in others) == ["JONES", "SMITH"]
    assert [p.ipi_name_number for p in others] == [None, None]
    # a message that carries zeros: the number is dropped, and the finding says why
    zeros = data.replace(b"00045620792", ZEROS.encode())
    [tx] = read_message(safe_xml.parse_bytes(zeros, "message").getroot(), "052").transactions
    assert all(c.party.ipi_name_number is None for c in tx.mapped.work.claims)
    assert [f.message for f in tx.findings] == [
        "zeros or blanks stand for no IPI name number: number dropped"
    ]


WORKS_SHEET = (
    "work_number,title,role,party_name,ipi_name_number,controlled,pr_ownership\n"
    "S1,FIRST,CA,ORCHARD,00045620792,Y,50\n"
    ",,CA,SMITH,00000000000,N,50\n"
    "S2,SECOND,CA,ORCHARD,00045620792,Y,50\n"
    ",,CA,JONES,0,N,50\n"
)


def test_a_works_sheet_with_zeros_is_imported_with_the_parties_apart(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "works.csv"
    path.write_text(WORKS_SHEET, encoding="utf-8")
    report = sheet_importer(store).import_file(path)
    assert (report.accepted, report.rejected, report.conflicts_opened) == (2, 0, 0)
    assert [(f.level, f.field, f.value) for f in report.findings] == [
        ("FR", "ipi_name_number", ZEROS),
        ("FR", "ipi_name_number", "0"),
    ]
    assert parties_by_side(store) == {"writer": 3}
    names = {c.party.name: c.party.ipi_name_number for w in works_of(store) for c in w.claims}
    assert names == {"ORCHARD": "00045620792", "SMITH": None, "JONES": None}


def test_a_parties_sheet_row_with_zeros_is_known_by_its_key(tmp_path: Path) -> None:
    path = tmp_path / "parties.csv"
    path.write_text(
        "ipi_name_number,party_key,last_name\n00000000000,K1,SMITH\n00000000000,,JONES\n",
        encoding="utf-8",
    )
    parties, findings = read_parties(path)
    assert findings == []
    smith, jones = parties
    assert (smith.party.key, smith.party.ipi_name_number, smith.rejected) == ("K1", None, False)
    assert [f.level for f in smith.findings] == ["FR"]
    assert jones.rejected  # neither an IPI nor a key: nothing says who it is
    assert "party_key" in jones.findings[-1].message


def test_a_placeholder_does_not_match_works(store: Store) -> None:
    """A store the old code filled (zeros kept as an IPI): the zeros are still no writer."""
    held = Work("SAME TITLE", claims=[_other("SMITH")])
    [work_id] = store.add_works([(held, Source("PUB"))])
    with store.connect() as conn:
        conn.execute(tables.parties.update().values(ipi_name_number=ZEROS))
        incoming = Work("SAME TITLE", claims=[_other("JONES")])
        assert Matcher(conn).match_many([(incoming, "OTH")]) == [None]
        same = Work("SAME TITLE", claims=[_other("SMITH")])
        [match] = Matcher(conn).match_many([(same, "OTH")])
    assert match is not None and (match.work_id, match.score) == (work_id, 100)


def test_zeros_give_no_identity_conflict() -> None:
    first, second = Source("PUB"), Source("058")
    a = _other("SMITH")
    b = _other("ACME TUNES", Side.PUBLISHER, "E")
    a.source, b.source = first, second
    b.ownership = Shares()
    assert party_identity(a.party) == ("name", "SMITH")
    assert work_conflicts(Work("W", claims=[a, b])) == []


def test_a_parties_sheet_with_zeros_makes_one_party_per_key(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "parties.csv"
    path.write_text(
        "ipi_name_number,party_key,last_name,society,right\n"
        "00000000000,K1,SMITH,052,PR\n"
        "00000000000,K2,JONES,058,PR\n",
        encoding="utf-8",
    )
    report = PartyImporter(store, "PUB").import_file(path)
    assert (report.accepted, report.rejected, report.conflicts_opened) == (2, 0, 0)
    assert report.statuses == {"created": 2}
    parties = {p.name: p for p in store.list_parties()}
    assert sorted(parties) == ["JONES", "SMITH"]
    assert {p.ipi_name_number for p in parties.values()} == {None}
    assert row_counts(store, memberships=tables.affiliations) == {"memberships": 2}
