"""No record dropped without a word: what an import keeps of a CWR file, and what it says.

Every detail record of a work transaction is either stored and written back
by an export (counted per record type, and compared field by field), or
reported by a WARN finding that names its line and record type. On SQLite and
PostgreSQL (the ``store`` fixture), with real sample files and files built
here.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from adapters.cwr import pipeline
from adapters.cwr.export import export_works
from adapters.cwr.records import codec_for
from adapters.cwr.work_details import DETAILS
from exchange.exports import cwr as cwr_exports
from exchange.imports.cwr import CwrImporter
from exchange.imports.report import FileReport
from exchange.model import Production
from exchange.store import Store
from tests.adapters.cwr.cwr_builder import CwrFile, Rec, valid_work
from tests.services import shared_dir

SAMPLES = shared_dir() / "data" / "samples"
CONTROL = {"HDR", "GRH", "GRT", "TRL"}
WORK_HEADERS = {"NWR", "REV"}

#: The records that name or title something in another script: read, reported, not kept.
NON_ROMAN = ("NPN", "NWN", "NAT", "NET", "NOW", "NVT", "NPR", "NCT")


def _records(path: Path) -> list[str]:
    return [line for line in path.read_text("latin-1").splitlines() if line[:3].strip()]


def _counts(paths: list[Path]) -> Counter[str]:
    return Counter(line[:3] for path in paths for line in _records(path))


def _each_read_alone_as_with_others(store: Store) -> None:
    """A work read alone (PostgreSQL: one statement, its parts as JSON) is the work an
    export reads with others."""
    works = list(store.iter_works(store.work_ids()))
    assert works
    for work in works:
        assert store.load_work(work.id or 0) == work


def _import_and_export(
    store: Store, path: Path, version: str, folder: Path
) -> tuple[FileReport, list[Path]]:
    """Import a file into the store, then export every work the store holds."""
    report = CwrImporter(store, "PUB", thresholds=None).import_file(path)
    result = export_works(
        cwr_exports.works_to_export(
            store,
            store.work_ids(),
            version=version,
            transaction="NWR",
            sender="052",
            encoding="latin-1",
            workers=0,
        ),
        folder,
        version=version,
        sender="052",
        sender_name="PRS",
        next_sequence=lambda: store.next_file_sequence("052", "000"),
        encoding="latin-1",
        created=datetime(2026, 12, 1, 12, 0),
    )
    assert result.skipped == []
    return report, [written.path for written in result.files]


# -- real files --------------------------------------------------------------------------

#: Sample files whose works are accepted (the others are rejected as a whole, on purpose).
ACCEPTED_SAMPLES = [
    "dmp-tests/CW220001DMP_000.V21",
    "weso-cwr-dataapi/revexample.V21",
    "weso-cwr-dataapi/nwrexample2.V21",
]


@pytest.mark.parametrize("name", ACCEPTED_SAMPLES)
def test_a_real_file_comes_back_with_every_record(store: Store, name: str, tmp_path: Path) -> None:
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} missing")
    report, written = _import_and_export(store, path, "2.1", tmp_path / "out")
    assert not report.has_rejections
    sent, back = _counts([path]), _counts(written)
    # REV transactions come back as NWR: the export registers the works as they are now
    assert sum(sent[t] for t in WORK_HEADERS) == back["NWR"]
    details = {t for t in sent if t not in CONTROL | WORK_HEADERS}
    assert {t: back[t] for t in details} == {t: sent[t] for t in details}
    _each_read_alone_as_with_others(store)


def test_orn_of_a_real_file_is_stored_with_its_production(store: Store, tmp_path: Path) -> None:
    """The ORN the dmp-tests sample carries (a library work) is kept, and written back.

    The sender left empty numeric fields blank where the export writes zeros: the
    records are compared for what they say.
    """
    path = SAMPLES / "dmp-tests" / "CW220001DMP_000.V21"
    if not path.exists():
        pytest.skip(f"{path} missing")
    _, written = _import_and_export(store, path, "2.1", tmp_path / "out")
    orn = codec_for("2.1", "ORN")
    [sent] = [orn.decode_dict(line) for line in _records(path) if line.startswith("ORN")]
    [back] = [orn.decode_dict(line) for line in _records(written[0]) if line.startswith("ORN")]
    assert DETAILS["ORN"].read(back) == DETAILS["ORN"].read(sent)
    [work] = store.iter_works(store.work_ids())
    [production] = work.productions
    assert isinstance(production, Production)
    assert production.intended_purpose == sent["intended_purpose"]
    assert production.library == (sent["library"] or None)
    assert production.cd_identifier == (sent["cd_identifier"] or None)


# -- files built here --------------------------------------------------------------------

_NAMED = {
    "iswc": "T0345246801",
    "language_code": "EN",
    "writer_1_last_name": "SMITH",
    "writer_1_first_name": "JOHN",
    "writer_1_ipi_name_number": "00014107338",
    "writer_2_last_name": "JONES",
    "source": "A SONGBOOK",
    "submitter_work_number": "ORIG01",
}

#: One record of each type that the node keeps, with values in every field it has.
KEPT: list[Rec] = [
    ("ALT", {"alternate_title": "ANOTHER TITLE", "title_type": "AT"}),
    ("EWT", {"entire_work_title": "THE WHOLE SUITE", **_NAMED}),
    ("VER", {"original_work_title": "THE FIRST SONG", **_NAMED}),
    ("PER", {"performing_artist_last_name": "THE BAND", "ipi_name_number": "00014107338"}),
    (
        "REC",
        {
            "first_release_date": "20200101",
            "first_release_duration": 215,
            "first_album_title": "AN ALBUM",
            "first_album_label": "A LABEL",
            "first_release_catalog_number": "CAT-1",
            "ean": "4006381333931",
            "isrc": "GBAYE2000001",
            "recording_format": "A",
            "recording_technique": "D",
            "media_type": "CD",
            "recording_title": "THE RECORDING",
            "version_title": "RADIO EDIT",
            "display_artist": "THE BAND",
            "record_label": "A LABEL",
            "isrc_validity": "U",
            "submitter_recording_identifier": "REC01",
        },
    ),
    (
        "ORN",
        {
            "intended_purpose": "FIL",
            "production_title": "A FILM",
            "cd_identifier": "CD0001",
            "cut_number": 12,
            "library": "A LIBRARY",
            "bltvr": "B",
            "production_number": "PROD42",
            "episode_title": "PILOT",
            "episode_number": "E01",
            "year_of_production": 2019,
            "avi_society_code": "052",
            "audio_visual_number": "AV123",
            "isan": "000000018947",
            "isan_episode": "0000",
            "isan_check_digit": "7",
            "isan_check_digit_1": "7",
            "isan_version": "00000000",
            "isan_check_digit_2": "5",
            "eidr": "10.5240/7791-8534",
            "eidr_check_digit": "X",
        },
    ),
    (
        "INS",
        {"number_of_voices": 4, "standard_instrumentation_type": "SQU"},
    ),
    ("IND", {"instrument_code": "VLN", "number_of_players": 2}),
    ("IND", {"instrument_code": "VCL", "number_of_players": 1}),
    (
        "COM",
        {
            "title": "FIRST MOVEMENT",
            "iswc": "T0345246801",
            "submitter_work_number": "MOV1",
            "duration": 95,
            "writer_1_last_name": "SMITH",
            "writer_1_ipi_base_number": "I-000000229-7",
        },
    ),
    (
        "ARI",
        {"society_code": "000", "type_of_right": "ALL", "subject_code": "DW", "note": "SEE FILE"},
    ),
    (
        "XRF",
        {"organisation_code": "052", "identifier": "REC000123", "identifier_type": "R"},
    ),
]


def _non_roman(kind: str) -> Rec:
    values = {
        "NPN": {
            "publisher_sequence": 1,
            "interested_party_number": "P01",
            "publisher_name": "EDITIONS NON ROMAINES",
        },
        "NWN": {"interested_party_number": "W01", "writer_last_name": "NON ROMAN WRITER"},
        "NAT": {"title": "NON ROMAN TITLE", "title_type": "AT"},
        "NET": {"title": "NON ROMAN ENTIRE WORK"},
        "NOW": {"writer_last_name": "NON ROMAN WRITER", "writer_first_name": "ICHI"},
        "NVT": {"title": "NON ROMAN ORIGINAL"},
        "NPR": {"performing_artist_last_name": "NON ROMAN BAND"},
        "NCT": {"title": "NON ROMAN COMPONENT"},
    }[kind]
    return kind, values


def _transaction(version: str, extra: list[Rec]) -> list[Rec]:
    """A valid work with the given records, placed in the order of CWR 2.2 edit 43."""
    order = ["ALT", "NAT", "EWT", "NET", "VER", "NVT", "NOW", "PER", "NPR", "REC", "ORN"]
    order += ["INS", "IND", "COM", "NCT", "ARI", "XRF"]
    after = {"SPU": "NPN", "SWR": "NWN"}  # a party's non-Roman name follows it
    [(header, values), *parties] = valid_work()
    out: list[Rec] = [(header, {**values, "composite_type": "MED", "composite_component_count": 2})]
    for record in parties:
        out.append(record)
        out += [rec for rec in extra if rec[0] == after.get(record[0])]
    rest = [rec for rec in extra if rec[0] not in after.values()]
    return out + sorted(rest, key=lambda rec: order.index(rec[0]))


def _kept_in(version: str) -> list[Rec]:
    return [rec for rec in KEPT if version == "2.2" or rec[0] != "XRF"]


@pytest.mark.parametrize("version", ["2.1", "2.2"])
def test_every_kept_record_comes_back_field_by_field(
    store: Store, version: str, tmp_path: Path
) -> None:
    kept = _kept_in(version)
    path = CwrFile(version=version).add("NWR", _transaction(version, kept)).write(tmp_path)
    report, written = _import_and_export(store, path, version, tmp_path / "out")
    assert [f.as_dict() for f in report.findings] == []
    assert report.accepted == 1
    _each_read_alone_as_with_others(store)

    def details(lines: list[str]) -> list[tuple[str, dict[str, str]]]:
        out = []
        for line in lines:
            kind = line[:3]
            if kind in {r for r, _ in kept}:
                values = codec_for(version, kind).decode_dict(line)
                out.append((kind, {k: v for k, v in values.items() if not k.endswith("sequence")}))
        return out

    assert details(_records(written[0])) == details(_records(path))
    assert _counts(written) - Counter({"HDR": 1, "GRH": 1, "GRT": 1, "TRL": 1}) == _counts(
        [path]
    ) - Counter({"HDR": 1, "GRH": 1, "GRT": 1, "TRL": 1})


@pytest.mark.parametrize("in_workers", [False, True], ids=["here", "in_workers"])
@pytest.mark.parametrize("version", ["2.1", "2.2"])
def test_records_not_kept_are_reported_one_by_one(
    store: Store, version: str, in_workers: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Non-Roman names and titles: a WARN per record with its line; nothing rejected.

    Also when worker processes check the file (they send the findings, the main
    process maps the works again and must not report them twice).
    """
    if in_workers:
        monkeypatch.setenv("EXCHANGE_WORKERS", "2")
        monkeypatch.setattr(pipeline, "PARALLEL_FROM_BYTES", 0)
    else:
        monkeypatch.setenv("EXCHANGE_WORKERS", "0")
    extra = [_non_roman(kind) for kind in NON_ROMAN]
    cwr = CwrFile(version=version).add("NWR", _transaction(version, extra))
    lines = cwr.lines()
    path = cwr.write(tmp_path)
    report = CwrImporter(store, "PUB", thresholds=None).import_file(path)
    assert report.accepted == 1 and not report.has_rejections
    warned = [(f.level, f.record, f.line) for f in report.findings if "not kept" in f.message]
    expected = [
        ("WARN", line[:3], number)
        for number, line in enumerate(lines, start=1)
        if line[:3] in NON_ROMAN
    ]
    assert warned == expected
    assert len(warned) == len(NON_ROMAN)


def test_an_exc_transaction_is_reported_not_kept(store: Store, tmp_path: Path) -> None:
    [(_, header), *details] = valid_work()
    path = CwrFile().add("EXC", [("EXC", header), *details]).write(tmp_path)
    report = CwrImporter(store, "PUB", thresholds=None).import_file(path)
    assert [(f.level, f.record, f.line) for f in report.findings] == [("WARN", "EXC", 3)]
    assert "not kept" in report.findings[0].message
    assert store.count_works() == 0


def test_an_isan_with_letters_does_not_fit_a_cwr_21_orn() -> None:
    """2.1 has numeric ISAN fields: the work is refused by name, never written shifted."""
    from adapters.cwr.work_records import encode_work
    from adapters.cwr.work_values import WorkWriteError
    from exchange.demo import sample_works

    work = sample_works()[0]
    work.productions = [Production("FIL", "A FILM", isan="00000001A8F2", isan_episode="0000")]
    [orn] = [line for line in encode_work(work, "2.2", "NWR", 0, "DMO") if line[:3] == "ORN"]
    assert codec_for("2.2", "ORN").decode_dict(orn)["isan"] == "00000001A8F2"
    with pytest.raises(WorkWriteError) as error:
        encode_work(work, "2.1", "NWR", 0, "DMO")
    assert (error.value.record, error.value.field, error.value.value) == (
        "ORN",
        "isan",
        "00000001A8F2",
    )


def test_a_cross_reference_without_identifier_is_reported(store: Store, tmp_path: Path) -> None:
    xrf = ("XRF", {"organisation_code": "052", "identifier_type": "R", "validity": "Y"})
    path = CwrFile(version="2.2").add("NWR", [*valid_work(), xrf]).write(tmp_path)
    report = CwrImporter(store, "PUB", thresholds=None).import_file(path)
    assert report.accepted == 1
    assert [(f.level, f.record) for f in report.findings if f.record == "XRF"] == [("WARN", "XRF")]
    [work] = store.iter_works(store.work_ids())
    assert work.references == []
