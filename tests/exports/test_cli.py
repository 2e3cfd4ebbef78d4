"""``exchange export``: CWR files from the store, the JSON contract and the exit codes."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from adapters.cwr.layout import layouts
from adapters.cwr.parser import CwrParser
from adapters.cwr.source import CwrSource
from exchange.cli import main
from exchange.demo import sample_works
from exchange.model import Claim, InterestedParty, Shares, Side, Work, WorkNumber
from exchange.store import Store


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "exchange.toml"
    path.write_text(
        '[node]\nsociety_code = "52"\nname = "EXAMPLE SOCIETY"\n\n'
        '[[partners]]\ncode = "058"\nname = "SISTER SOCIETY"\nmax_works_per_file = 2\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def filled(store: Store) -> Store:
    store.add_works((w, w.claims[0].source) for w in sample_works())
    return store


def export(
    capsys: pytest.CaptureFixture[str], store: Store, config: Path, *args: str
) -> tuple[int, str, str]:
    return run(capsys, "--db", store.url, "--config", str(config), "export", *args)


def check_cwr(path: Path, version: str) -> list[str]:
    data = path.read_bytes()
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            (member,) = archive.namelist()
            assert member == path.with_suffix(f".V{version.replace('.', '')}").name
            data = archive.read(member)
    text = data.decode("ascii")
    assert text.endswith("\r\n")
    lines = text[:-2].split("\r\n")
    table = layouts(version)
    for line in lines:
        assert len(line) == table[line[:3]].length, line[:3]
    parser = CwrParser(CwrSource(path))
    assert len(list(parser.transactions())) == int(lines[-1][8:16])
    assert parser.findings == []
    return lines


def test_export_json_shape_and_files(
    filled: Store, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    code, out, err = export(
        capsys, filled, config, "--format", "cwr22", "-o", str(out_dir), "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"files", "skipped"} and data["skipped"] == []
    (entry,) = data["files"]
    assert set(entry) == {"path", "works", "records"}
    path = Path(entry["path"])
    assert path.parent == out_dir and path.name.endswith("052_000.V22")
    assert path.name.startswith("CW") and path.name[4:8] == "0001"
    lines = check_cwr(path, "2.2")
    assert entry == {"path": str(path), "works": 3, "records": len(lines)}
    assert lines[0][:14] == "HDRSO000000052" and lines[0][14:59].rstrip() == "EXAMPLE SOCIETY"
    # The society has no number of its own for these works: the local id is sent.
    assert [line[81:95].rstrip() for line in lines if line[:3] == "NWR"] == ["1", "2", "3"]


def test_two_exports_get_different_sequence_numbers(
    filled: Store, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = []
    for _ in range(2):
        code, out, _ = export(
            capsys, filled, config, "--format", "cwr21", "-o", str(tmp_path), "--json"
        )
        assert code == 0
        names += [Path(f["path"]).name for f in json.loads(out)["files"]]
    assert [n[4:8] for n in names] == ["0001", "0002"]
    assert all(n.endswith("052_000.V21") for n in names)


def test_partner_gives_receiver_and_max_works(
    filled: Store, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = export(
        capsys, filled, config, "--format", "cwr22", "--partner", "058", "-o", str(tmp_path),
        "--json",
    )  # fmt: skip
    files = json.loads(out)["files"]
    assert code == 0
    assert [(Path(f["path"]).name[4:], f["works"]) for f in files] == [
        ("0001052_058.V22", 2),
        ("0002052_058.V22", 1),
    ]
    for f in files:
        assert len(check_cwr(Path(f["path"]), "2.2")) == f["records"]
    code, out, _ = export(
        capsys, filled, config, "--format", "cwr22", "--partner", "058", "--max-works", "1",
        "-o", str(tmp_path), "--json",
    )  # fmt: skip
    assert [f["works"] for f in json.loads(out)["files"]] == [1, 1, 1]
    # The sequence goes on where the first export left it.
    assert [Path(f["path"]).name[4:8] for f in json.loads(out)["files"]] == [
        "0003",
        "0004",
        "0005",
    ]


def test_zip_package(
    filled: Store, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = export(
        capsys, filled, config, "--format", "cwr21", "--zip", "-o", str(tmp_path), "--json"
    )
    (entry,) = json.loads(out)["files"]
    assert code == 0 and entry["path"].endswith("052_000.zip")
    assert len(check_cwr(Path(entry["path"]), "2.1")) == entry["records"]


def test_selected_works_and_changed_since(
    filled: Store, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = export(
        capsys, filled, config, "--format", "cwr22", "--work", "DMO:DMO0003",
        "--work", "T-034.524.680-1", "--work", "1", "-o", str(tmp_path), "--json",
    )  # fmt: skip
    (entry,) = json.loads(out)["files"]
    assert code == 0 and entry["works"] == 2
    titles = [line[19:79].rstrip() for line in check_cwr(Path(entry["path"]), "2.2")]
    assert [t for t in titles if t.startswith(("LANTERNS", "NORTHBOUND"))] == [
        "LANTERNS OVER THE BAY",
        "LANTERNS OVER THE BAY",  # its ALT record
        "NORTHBOUND LINE",
    ]
    code, out, _ = export(
        capsys, filled, config, "--format", "cwr22", "--changed-since", "2999-01-01",
        "-o", str(tmp_path / "none"), "--json",
    )  # fmt: skip
    assert (code, json.loads(out)) == (0, {"files": [], "skipped": []})
    code, out, _ = export(
        capsys, filled, config, "--format", "cwr22", "--changed-since", "2000-01-01T00:00:00+01:00",
        "-o", str(tmp_path / "all"), "--json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["files"][0]["works"] == 3


def test_bad_works_are_skipped_and_reported(
    filled: Store, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long_name = InterestedParty(last_name="A VERY LONG WRITER NAME THAT NO CWR FIELD CAN HOLD")
    work = Work(
        title="TOO LONG A NAME",
        numbers=[WorkNumber("052", "EX0001")],
        claims=[Claim(long_name, "CA", Side.WRITER, Shares(10000, 0, 0))],
    )
    (work_id,) = filled.add_works([(work, None)])
    code, out, err = export(
        capsys, filled, config, "--format", "cwr22", "-o", str(tmp_path), "--json"
    )
    data = json.loads(out)
    assert code == 1
    assert data["files"][0]["works"] == 3
    (skipped,) = data["skipped"]
    assert skipped["work"] == work_id and skipped["title"] == "TOO LONG A NAME"
    assert (skipped["record"], skipped["field"]) == ("SWR", "writer_last_name")
    assert skipped["value"] == long_name.last_name
    assert "longer than 45" in skipped["message"]
    code, out, _ = export(capsys, filled, config, "--format", "cwr22", "-o", str(tmp_path))
    assert code == 1 and "skipped work" in out and "SWR.writer_last_name" in out


def test_usage_errors_are_one_line_with_exit_2(
    filled: Store, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [
        (["--format", "cwr22", "--work", "NOPE"], "NOPE"),
        (["--format", "mwn", "--work", "NOPE"], "NOPE"),
        (["--format", "xlsx", "--changed-since", "yesterday"], "ISO date"),
        (["--format", "cwr22", "--changed-since", "yesterday"], "ISO date"),
        (["--format", "cwr22", "--partner", "SACEM"], "receiver code"),
    ]
    for args, needle in cases:
        code, out, err = export(capsys, filled, config, *args, "-o", str(tmp_path), "--json")
        assert code == 2, args
        assert needle in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1
        assert json.loads(out)["error"] == {
            "message": err.strip().removeprefix("error: "),
            "code": 2,
        }
    assert list(tmp_path.glob("CW*")) == []


def test_society_code_must_be_configured(
    filled: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = tmp_path / "bare.toml"
    bare.write_text('[node]\nname = "NO CODE"\n', encoding="utf-8")
    code, out, err = export(capsys, filled, bare, "--format", "cwr22", "-o", str(tmp_path))
    assert code == 2 and "society_code" in err and len(err.strip().splitlines()) == 1


def test_exported_file_validates_imports_and_exports_the_same(
    filled: Store, config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = export(
        capsys, filled, config, "--format", "cwr22", "-o", str(tmp_path / "a"), "--json"
    )
    first = Path(json.loads(out)["files"][0]["path"])
    code, out, _ = run(capsys, "validate", str(first), "--json")
    (report,) = json.loads(out)["files"]
    assert code == 0 and report["findings"] == [] and report["accepted"] == 3
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert run(capsys, "--db", other, "init")[0] == 0
    code, out, _ = run(capsys, "--db", other, "import", str(first), "--json")
    assert code == 0 and json.loads(out)["files"][0]["works_created"] == 3
    code, out, _ = run(
        capsys, "--db", other, "--config", str(config), "export", "--format", "cwr22",
        "-o", str(tmp_path / "b"), "--json",
    )  # fmt: skip
    second = Path(json.loads(out)["files"][0]["path"])
    # Everything but the HDR (creation time) is the same.
    assert first.read_bytes().split(b"\r\n")[1:] == second.read_bytes().split(b"\r\n")[1:]


def test_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "export", "--help")
    assert code == 0 and "Example:" in out and "exchange export --format cwr22" in out


def test_encoding_in_worker_processes_gives_the_same_file(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large exports are encoded by worker processes; the file is the same as without them."""
    from concurrent.futures import ProcessPoolExecutor
    from datetime import datetime
    from threading import Thread

    created = datetime(2026, 3, 14, 9, 26, 53)
    from adapters.cwr.export import export_works
    from adapters.cwr.pipeline import start_workers
    from exchange.exports import cwr as cwr_exports

    def started(pool: ProcessPoolExecutor, workers: int) -> Thread:
        """The workers, there before the first chunk (which they then take)."""
        starting = start_workers(pool, workers)
        starting.join()
        return starting

    store.add_works((w, w.claims[0].source) for w in sample_works())
    ids = store.work_ids()
    monkeypatch.setattr(cwr_exports, "PARALLEL_FROM_WORKS", 1)
    monkeypatch.setattr(cwr_exports, "CHUNK_WORKS", 1)
    monkeypatch.setattr(cwr_exports, "start_workers", started)
    contents = []
    for workers in (0, 1):
        out = tmp_path / f"w{workers}"
        works = cwr_exports.works_to_export(
            store,
            ids,
            version="2.2",
            transaction="NWR",
            sender="052",
            encoding="ascii",
            workers=workers,
        )
        result = export_works(
            works,
            out,
            version="2.2",
            sender="052",
            sender_name="PRS",
            next_sequence=lambda: 1,
            created=created,
        )
        contents.append(result.files[0].path.read_bytes())
    assert contents[0] == contents[1]
