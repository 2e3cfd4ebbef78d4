"""Writing CWR 2.1 / 2.2: strict lines, control records, naming, splitting, packaging."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.cwr.export import ExportResult, export_works, file_name
from adapters.cwr.file_writer import CwrWriter
from adapters.cwr.layout import layouts
from adapters.cwr.parser import CwrParser
from adapters.cwr.reader import work_from_transaction
from adapters.cwr.source import CwrSource
from adapters.cwr.validator import check_transaction
from adapters.cwr.work_records import encode_work, work_records
from adapters.cwr.work_values import CwrWriteError, WorkWriteError
from exchange.demo import sample_works
from exchange.model import (
    Affiliation,
    Claim,
    InterestedParty,
    OriginalWork,
    Performer,
    Recording,
    Right,
    Shares,
    Side,
    TerritoryShare,
    Title,
    Work,
    WorkNumber,
)

CREATED = datetime(2026, 3, 14, 9, 26, 53)
VERSIONS = ("2.1", "2.2")


def numbered_samples() -> list[Work]:
    works = sample_works()
    for number, work in enumerate(works, start=1):
        work.id = number
    return works


def _party(
    last: str, first: str = "", key: str | None = None, pid: int | None = None, **kw: Any
) -> InterestedParty:
    return InterestedParty(last_name=last, first_name=first, key=key, id=pid, **kw)


def rich_work(n: int = 1) -> Work:
    """A work using every record the writer knows: two chains, OPU, OWR, PWR, VER..."""
    pub1 = _party(
        "HARBOUR LIGHT MUSIC",
        key="P001",
        pid=11,
        ipi_name_number="00334284961",
        affiliations=[
            Affiliation("052", Right.PR),
            Affiliation("052", Right.MR),
            Affiliation("033", Right.SR, territory="0826"),
        ],
    )
    sub = _party("SOUS EDITIONS", key="P002", pid=12, affiliations=[Affiliation("058", Right.PR)])
    other_pub = _party("FAR AWAY SONGS", key=None, pid=13)
    writer1 = _party("ORCHARD", "MAIA", key="W001", pid=21, ipi_name_number="00045620792")
    writer2 = _party("VALLANCE", "THEO", key=None, pid=22, ipi_name_number="00014107338")
    other_writer = _party("STRANGER", "ANN", key="W009", pid=23)
    world = TerritoryShare("2136", True, Shares(2500, 5000, 5000))
    return Work(
        title=f"LANTERNS OVER THE BAY {n}",
        iswc="T-034.524.680-1",
        language="EN",
        duration=3 * 60 + 34,
        version_type="MOD",
        music_arrangement="ARR",
        lyric_adaptation="MOD",
        original=OriginalWork("OLD LANTERNS", "T0101713147", "EN", "OLDMAN", "JO"),
        distribution_category="POP",
        text_music_relationship="MTX",
        copyright_date=date(2025, 12, 1),
        titles=[
            Title(f"LANTERNS {n}", "AT"),
            Title(f"LES LANTERNES {n}", "TT", "FR"),
            Title(f"LANTERNS OVER THE BAY {n}", "OT"),
        ],
        numbers=[
            WorkNumber("052", f"PRS{n:05d}"),
            WorkNumber("058", f"SAC{n:05d}", "society"),
        ],
        claims=[
            Claim(
                pub1,
                "E",
                Side.PUBLISHER,
                Shares(2500, 5000, 5000),
                [world, TerritoryShare("0250", False)],  # France goes to the SE
                chain=1,
                writers=("W001", "00014107338"),  # a key, and an IPI name number
            ),
            Claim(
                sub,
                "SE",
                Side.PUBLISHER,
                Shares(0, 0, 0),
                [TerritoryShare("250", True, Shares(2500, 5000, 5000))],
                chain=1,
            ),
            Claim(
                other_pub,
                "E",
                Side.PUBLISHER,
                Shares(1000, 2500, 2500),
                [TerritoryShare("2136", True, Shares(1000, 2500, 2500))],
                controlled=False,
                chain=2,
                writers=("W009",),
            ),
            Claim(
                writer1,
                "CA",
                Side.WRITER,
                Shares(3000, 1250, 1250),
                [TerritoryShare("2136", True, Shares(3000, 0, 0))],
            ),
            Claim(
                writer2,
                "AR",
                Side.WRITER,
                Shares(1500, 1250, 1250),
                [TerritoryShare("2136", True, Shares(1500, 0, 0))],
            ),
            Claim(
                other_writer,
                "C",
                Side.WRITER,
                Shares(2000, 0, 0),
                [TerritoryShare("2136", True, Shares(2000, 0, 0))],
                controlled=False,
            ),
        ],
        performers=[Performer("THE TIDES"), Performer("SHORE", "SAM", "00052210040")],
        recordings=[
            Recording(
                isrc="GB-AYE-26-00001",
                title="LANTERNS",
                version_title="RADIO EDIT",
                duration=201,
                label="HARBOUR LIGHT RECORDS",
                release_date=date(2026, 2, 1),
                album_title="NIGHT HARBOUR",
                catalogue_number="HLR001",
                ean="4006381333931",
                display_artist="THE TIDES",
            )
        ],
        id=100 + n,
    )


def write(works: list[Work], version: str, **kw: Any) -> bytes:
    buffer = io.BytesIO()
    writer = CwrWriter(buffer, version, sender="052", sender_name="PRS", created=CREATED, **kw)
    for work in works:
        writer.add(work)
    writer.close()
    return buffer.getvalue()


def lines_of(data: bytes) -> list[str]:
    text = data.decode("latin-1")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "") and "\r" not in text.replace("\r\n", "")
    return text[:-2].split("\r\n")


# -- lines and structure ------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_every_line_has_its_layout_length_and_ends_with_crlf(version: str) -> None:
    lines = lines_of(write([*numbered_samples(), rich_work(1), rich_work(2)], version))
    table = layouts(version)
    for number, line in enumerate(lines, start=1):
        assert len(line) == table[line[:3]].length, (number, line[:3])
        assert line == line.upper()
    assert lines[0].startswith("HDRSO000000052PRS ")
    assert lines[1] == f"GRHNWR00001{'02.10' if version == '2.1' else '02.20'}0000000000  "


@pytest.mark.parametrize("version", VERSIONS)
def test_header_record(version: str) -> None:
    hdr = lines_of(write(numbered_samples(), version))[0]
    assert hdr[59:64] == "01.10"
    assert hdr[64:86] == "20260314" + "092653" + "20260314"
    assert hdr[86:101] == " " * 15  # ASCII: no character set declared
    if version == "2.2":
        assert hdr[101:107] == "2.2001"
        assert hdr[107:137].rstrip() == "CMO-EXCHANGE"
    utf8 = lines_of(write(numbered_samples(), version, encoding="utf-8"))[0]
    assert utf8[86:101].rstrip() == "UTF-8"


@pytest.mark.parametrize("version", VERSIONS)
def test_control_counts(version: str) -> None:
    lines = lines_of(write([*numbered_samples(), rich_work()], version))
    grt, trl = lines[-2], lines[-1]
    assert grt[:3] == "GRT" and trl[:3] == "TRL"
    group_records = len(lines) - 2  # everything but HDR and TRL
    assert grt[3:8] == "00001"
    assert int(grt[8:16]) == 4  # transactions
    assert int(grt[16:24]) == group_records
    assert grt[24:] == "   0000000000"
    assert (int(trl[3:8]), int(trl[8:16]), int(trl[16:24])) == (1, 4, len(lines))


@pytest.mark.parametrize("version", VERSIONS)
def test_prefix_numbering(version: str) -> None:
    lines = lines_of(write([*numbered_samples(), rich_work()], version))
    expected_tx = -1
    expected_rec = 0
    for line in lines[2:-2]:
        tx, rec = int(line[3:11]), int(line[11:19])
        if line[:3] == "NWR":
            expected_tx += 1
            expected_rec = 0
        assert (tx, rec) == (expected_tx, expected_rec), line[:19]
        expected_rec += 1
    assert expected_tx == 3


def test_the_project_parser_and_validator_find_nothing_to_complain_about(tmp_path: Path) -> None:
    for version in VERSIONS:
        path = tmp_path / f"CW260001052_000.V{version.replace('.', '')}"
        path.write_bytes(write([*numbered_samples(), rich_work()], version))
        parser = CwrParser(CwrSource(path))
        transactions = list(parser.transactions())
        assert parser.findings == []
        assert parser.version == version
        assert [t.findings for t in transactions] == [[]] * 4
        for transaction in transactions:  # field, record and transaction rules too
            checked = check_transaction(transaction, version, parser.encoding, "052")
            assert checked.findings == [] and not checked.rejected, checked.findings


def test_record_order_follows_edit_43() -> None:
    types22 = [r["record_type"] for r in work_records(rich_work(), "2.2", "NWR", 0, "052")]
    assert types22 == [
        "NWR",
        "SPU", "SPT", "SPT", "SPU", "SPT",  # chain 1: E then SE  # fmt: skip
        "OPU", "OPT",
        "SWR", "SWT", "PWR",
        "SWR", "SWT", "PWR",
        "OWR", "OWT", "PWR",
        "ALT", "ALT",
        "VER", "PER", "PER", "REC", "XRF",
    ]  # fmt: skip
    types21 = [r["record_type"] for r in work_records(rich_work(), "2.1", "NWR", 0, "052")]
    assert types21 == [
        "NWR",
        "SPU", "SPT", "SPT", "SPU", "SPT",
        "OPU",
        "SWR", "SWT", "PWR",
        "SWR", "SWT", "PWR",
        "OWR",
        "ALT", "ALT",
        "VER", "PER", "PER", "REC",
    ]  # fmt: skip


def test_two_groups_for_two_transaction_types() -> None:
    buffer = io.BytesIO()
    writer = CwrWriter(buffer, "2.2", sender="052", sender_name="PRS", created=CREATED)
    nwr, rev, late = numbered_samples()
    writer.add(nwr)
    writer.add(rev, "REV")
    with pytest.raises(CwrWriteError, match="already written"):
        writer.add(late, "NWR")
    counts = writer.close()
    lines = lines_of(buffer.getvalue())
    assert [line[:11] for line in lines if line[:3] in ("GRH", "GRT")] == [
        "GRHNWR00001",
        "GRT00001000",
        "GRHREV00002",
        "GRT00002000",
    ]
    rev_header = next(line for line in lines if line.startswith("REV"))
    assert rev_header[3:19] == "0" * 16  # sequences restart in each group
    assert (counts.groups, counts.transactions) == (2, 2)
    assert lines[-1] == f"TRL00002{2:08d}{len(lines):08d}"


# -- the mapping, as the reader takes it back -----------------------------------------


def _read_back(version: str, work: Work, tmp_path: Path) -> Work:
    path = tmp_path / f"CW260001052_000.V{version.replace('.', '')}"
    path.write_bytes(write([work], version))
    parser = CwrParser(CwrSource(path))
    (transaction,) = list(parser.transactions())
    mapped = work_from_transaction(transaction, "052")
    assert mapped is not None
    return mapped.work


@pytest.mark.parametrize("version", VERSIONS)
def test_written_work_reads_back_the_same(version: str, tmp_path: Path) -> None:
    original = rich_work()
    back = _read_back(version, original, tmp_path)
    assert back.title == original.title
    assert back.iswc == "T0345246801"
    assert (back.language, back.duration, back.version_type) == ("EN", 214, "MOD")
    assert (back.distribution_category, back.text_music_relationship) == ("POP", "MTX")
    assert back.copyright_date == original.copyright_date
    assert back.original == original.original
    assert back.titles == [t for t in original.titles if t.type != "OT"]
    assert back.performers == original.performers
    society_numbers = [WorkNumber("058", "SAC00001", "society")] if version == "2.2" else []
    assert back.numbers == [WorkNumber("052", "PRS00001"), *society_numbers]

    def shape(claims: list[Claim], with_other_territories: bool) -> list[tuple]:
        return [
            (
                c.side,
                c.controlled,
                c.role,
                c.party.last_name,
                c.party.first_name,
                c.party.ipi_name_number,
                c.ownership,
                c.chain if c.side is Side.PUBLISHER else None,
                [(t.tis.zfill(4), t.include, t.collection) for t in c.territories]
                if c.controlled or with_other_territories
                else [],
            )
            for c in claims
        ]

    sent = sorted(shape(original.claims, version == "2.2"), key=repr)
    assert sorted(shape(back.claims, True), key=repr) == sent
    keys = {c.party.last_name: c.party.key for c in back.claims}
    assert keys == {
        "HARBOUR LIGHT MUSIC": "P001",
        "SOUS EDITIONS": "P002",
        "FAR AWAY SONGS": "IP0000013",
        "ORCHARD": "W001",
        "VALLANCE": "IP0000022",
        "STRANGER": "W009",
    }
    links = {c.party.last_name: c.writers for c in back.claims if c.side is Side.PUBLISHER}
    # 2.1 has no PWR after an OWR, so the other publisher's link is lost there.
    assert links == {
        "HARBOUR LIGHT MUSIC": ("W001", "IP0000022"),
        "SOUS EDITIONS": (),
        "FAR AWAY SONGS": ("W009",) if version == "2.2" else (),
    }
    harbour = next(c for c in back.claims if c.party.last_name == "HARBOUR LIGHT MUSIC")
    # The SR affiliation is for the UK only, but the only one for SR: still written.
    assert [(a.society, a.right) for a in harbour.party.affiliations] == [
        ("052", Right.PR),
        ("052", Right.MR),
        ("033", Right.SR),
    ]
    (recording,) = back.recordings
    sent_recording = original.recordings[0]
    assert recording.isrc == "GBAYE2600001"
    assert (recording.duration, recording.release_date) == (201, date(2026, 2, 1))
    assert (recording.album_title, recording.catalogue_number, recording.ean) == (
        "NIGHT HARBOUR",
        "HLR001",
        "4006381333931",
    )
    assert recording.label == sent_recording.label
    if version == "2.2":
        assert (recording.title, recording.version_title, recording.display_artist) == (
            "LANTERNS",
            "RADIO EDIT",
            "THE TIDES",
        )


def test_submitter_number_is_the_senders_else_the_local_id() -> None:
    work = numbered_samples()[0]
    assert work_records(work, "2.2", "NWR", 0, "DMO")[0]["submitter_work_number"] == "DMO0001"
    assert work_records(work, "2.2", "NWR", 0, "052")[0]["submitter_work_number"] == "1"
    work.id = None
    with pytest.raises(WorkWriteError, match="submitter_work_number"):
        work_records(work, "2.2", "NWR", 0, "052")


def test_ip_numbers_are_unique_within_a_work() -> None:
    work = rich_work()
    # Two parties that their sources both call W001, and one party without key or id.
    clash = _party("HOMONYM", key="w001", pid=30)
    anonymous = _party("NOBODY")
    work.claims += [
        Claim(clash, "C", Side.WRITER, Shares(), controlled=False),
        Claim(anonymous, "C", Side.WRITER, Shares(), controlled=False),
    ]
    records = work_records(work, "2.2", "NWR", 0, "052")
    numbers = {
        r["writer_last_name"]: r["interested_party_number"]
        for r in records
        if r["record_type"] in ("SWR", "OWR")
    }
    assert numbers["ORCHARD"] == "W001"
    assert numbers["HOMONYM"] == "IP0000030"
    assert numbers["NOBODY"] not in {v for k, v in numbers.items() if k != "NOBODY"}
    assert len(set(numbers.values())) == len(numbers)
    again = work_records(work, "2.2", "NWR", 0, "052")
    assert again == records  # deterministic


def test_publisher_without_chain_gets_the_next_free_sequence() -> None:
    work = numbered_samples()[0]
    extra = _party("LATE ARRIVAL", key="P777")
    work.claims.append(Claim(extra, "AM", Side.PUBLISHER, Shares()))
    records = work_records(work, "2.2", "NWR", 0, "DMO")
    sequences = [r["publisher_sequence"] for r in records if r["record_type"] == "SPU"]
    assert sequences == [1, 2]


# -- what cannot be written ---------------------------------------------------------------


def test_a_value_too_long_names_work_record_field_and_value() -> None:
    work = rich_work()
    work.claims[3].party.last_name = "X" * 46
    with pytest.raises(WorkWriteError) as info:
        encode_work(work, "2.2", "NWR", 0, "052")
    error = info.value
    assert (error.work_id, error.record, error.field) == (101, "SWR", "writer_last_name")
    assert error.value == "X" * 46
    message = str(error)
    assert "work 101" in message and "LANTERNS OVER THE BAY 1" in message
    assert "SWR.writer_last_name" in message and "longer than 45" in message


def test_characters_outside_the_encoding_are_refused() -> None:
    work = numbered_samples()[1]
    work.title = "QUAND LA MARÉE MONTE"
    with pytest.raises(WorkWriteError, match=r"NWR\.work_title.*ascii"):
        encode_work(work, "2.1", "NWR", 0, "DMO")
    latin = encode_work(work, "2.1", "NWR", 0, "DMO", encoding="latin-1")
    assert latin[0][19:79].rstrip() == "QUAND LA MARÉE MONTE"
    work.title = "SNOW ☃ MAN"
    with pytest.raises(WorkWriteError, match="cannot be written in iso8859-1"):
        encode_work(work, "2.1", "NWR", 0, "DMO", encoding="latin-1")


def test_codes_outside_the_lookup_tables_are_refused() -> None:
    work = rich_work()
    work.claims[0].role = "XX"
    with pytest.raises(WorkWriteError, match=r"SPU\.publisher_type.*lookup"):
        encode_work(work, "2.2", "NWR", 0, "052")
    work = rich_work()
    work.iswc = "T12345"
    with pytest.raises(WorkWriteError, match="iswc"):
        encode_work(work, "2.2", "NWR", 0, "052")


def test_a_refused_work_leaves_the_file_untouched() -> None:
    buffer = io.BytesIO()
    writer = CwrWriter(buffer, "2.2", sender="052", sender_name="PRS", created=CREATED)
    good, bad, last = numbered_samples()
    writer.add(good)
    bad.claims[1].party.first_name = "Y" * 31
    with pytest.raises(WorkWriteError):
        writer.add(bad)
    writer.add(last)
    writer.close()
    lines = lines_of(buffer.getvalue())
    assert [line[:19] for line in lines if line[:3] == "NWR"] == [
        "NWR" + "0" * 16,
        "NWR" + "00000001" + "0" * 8,
    ]
    assert int(lines[-1][8:16]) == 2


def test_bad_sender_is_refused() -> None:
    with pytest.raises(CwrWriteError, match="sender id"):
        CwrWriter(io.BytesIO(), "2.2", sender="PRS", sender_name="PRS")
    with pytest.raises(CwrWriteError, match="HDR"):
        CwrWriter(io.BytesIO(), "2.2", sender="052", sender_name="N" * 46)
    with pytest.raises(CwrWriteError, match="version"):
        CwrWriter(io.BytesIO(), "3.1", sender="052", sender_name="PRS")


# -- files ----------------------------------------------------------------------------------


def test_file_names() -> None:
    assert file_name("2.1", CREATED, 1, "052", "000") == "CW260001052_000.V21"
    assert file_name("2.2", CREATED, 9999, "052", "058") == "CW269999052_058.V22"
    assert file_name("2.2", CREATED, 42, "052", "058", zip=True) == "CW260042052_058.zip"
    with pytest.raises(CwrWriteError, match="4 digits"):
        file_name("2.2", CREATED, 10000, "052", "058")
    with pytest.raises(CwrWriteError, match="receiver"):
        file_name("2.2", CREATED, 1, "052", "SACEM")


class Sequence:
    def __init__(self) -> None:
        self.last = 0

    def __call__(self) -> int:
        self.last += 1
        return self.last


def _export(tmp_path: Path, works: Iterable[Work], **kw: Any) -> ExportResult:
    options = {
        "version": "2.2",
        "sender": "052",
        "sender_name": "PRS",
        "receiver": "058",
        "created": CREATED,
    }
    options.update(kw)
    return export_works(works, tmp_path / "out", **options)


def _check_file(data: bytes, version: str) -> list[str]:
    lines = lines_of(data)
    table = layouts(version)
    assert all(len(line) == table[line[:3]].length for line in lines)
    assert lines[0][:3] == "HDR" and lines[-1][:3] == "TRL"
    assert int(lines[-1][16:24]) == len(lines)
    return lines


def test_export_splits_by_max_works(tmp_path: Path) -> None:
    works = [rich_work(n) for n in range(1, 6)]
    sequence = Sequence()
    result = _export(tmp_path, works, next_sequence=sequence, max_works_per_file=2)
    names = [f.path.name for f in result.files]
    assert names == ["CW260001052_058.V22", "CW260002052_058.V22", "CW260003052_058.V22"]
    assert [f.works for f in result.files] == [2, 2, 1]
    assert [f.sequence for f in result.files] == [1, 2, 3]
    assert result.skipped == []
    for f in result.files:
        lines = _check_file(f.path.read_bytes(), "2.2")
        assert f.records == len(lines)
        assert int(lines[-1][8:16]) == f.works
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == names  # no temporary left


def test_export_as_zip(tmp_path: Path) -> None:
    result = _export(
        tmp_path, numbered_samples(), version="2.1", next_sequence=Sequence(), package=True
    )
    (written,) = result.files
    assert written.path.name == "CW260001052_058.zip"
    with zipfile.ZipFile(written.path) as archive:
        assert archive.namelist() == ["CW260001052_058.V21"]
        data = archive.read("CW260001052_058.V21")
    assert len(_check_file(data, "2.1")) == written.records == 21
    # The project's reader opens the package transparently.
    parser = CwrParser(CwrSource(written.path))
    assert len(list(parser.transactions())) == 3 and parser.findings == []


def test_export_skips_and_reports_bad_works(tmp_path: Path) -> None:
    works = [rich_work(n) for n in range(1, 5)]
    works[1].claims[0].party.last_name = "P" * 50
    works[3].title = "T" * 61
    result = _export(tmp_path, works, next_sequence=Sequence())
    assert [(s.work_id, s.record, s.field) for s in result.skipped] == [
        (102, "SPU", "publisher_name"),
        (104, "NWR", "work_title"),
    ]
    assert result.skipped[0].as_dict()["value"] == "P" * 50
    assert "work 102" in result.skipped[0].as_dict()["message"]
    (written,) = result.files
    lines = _check_file(written.path.read_bytes(), "2.2")
    headers = [line for line in lines if line[:3] == "NWR"]
    assert [int(h[3:11]) for h in headers] == [0, 1]
    assert written.works == 2


def test_export_with_nothing_to_write_creates_no_file(tmp_path: Path) -> None:
    sequence = Sequence()
    bad = rich_work()
    bad.title = "T" * 61
    result = _export(tmp_path, [bad], next_sequence=sequence)
    assert result.files == [] and len(result.skipped) == 1
    assert sequence.last == 0  # no file number used up
    assert list((tmp_path / "out").iterdir()) == []


def test_export_never_overwrites_and_cleans_up(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "CW260001052_058.V22").write_bytes(b"someone else's file")
    with pytest.raises(CwrWriteError, match="exists already"):
        _export(tmp_path, numbered_samples(), next_sequence=Sequence())
    assert [p.name for p in out.iterdir()] == ["CW260001052_058.V22"]
    assert (out / "CW260001052_058.V22").read_bytes() == b"someone else's file"

    def failing() -> Iterator[Work]:
        yield from numbered_samples()[:2]
        raise RuntimeError("database went away")

    sequence = Sequence()
    sequence.last = 10
    with pytest.raises(RuntimeError):
        _export(tmp_path, failing(), next_sequence=sequence)
    assert [p.name for p in out.iterdir()] == ["CW260001052_058.V22"]  # no .part left


def test_a_file_appearing_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    intruder = out / "CW260001052_058.V22"

    def meanwhile(_work: Work) -> None:
        intruder.write_bytes(b"arrived first")

    with pytest.raises(CwrWriteError, match="exists already"):
        _export(tmp_path, numbered_samples()[:1], next_sequence=Sequence(), progress=meanwhile)
    assert [p.name for p in out.iterdir()] == [intruder.name]
    assert intruder.read_bytes() == b"arrived first"


def test_export_checks_the_header_before_numbering_anything(tmp_path: Path) -> None:
    sequence = Sequence()
    with pytest.raises(CwrWriteError):
        _export(tmp_path, numbered_samples(), next_sequence=sequence, sender_name="N" * 46)
    with pytest.raises(CwrWriteError, match="receiver"):
        _export(tmp_path, numbered_samples(), next_sequence=sequence, receiver="SACEM")
    assert sequence.last == 0
