"""The ``exchange`` command line: contract shapes, exit codes and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from exchange.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


@pytest.fixture
def demo_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code, _, _ = run(capsys, "demo", "--dir", str(tmp_path / "demo"))
    assert code == 0
    return f"sqlite:///{tmp_path / 'demo' / 'our-node' / 'exchange.db'}"


def test_init_count_and_idempotence(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", db_url, "init", "--json")
    assert code == 0 and json.loads(out)["changed"] is True
    code, out, _ = run(capsys, "--db", db_url, "works", "count", "--json")
    assert (code, json.loads(out)) == (0, {"works": 0})
    code, out, _ = run(capsys, "--db", db_url, "--json", "init")
    assert code == 0 and json.loads(out)["changed"] is False


def test_uninitialised_store_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--db", f"sqlite:///{tmp_path}/x.db", "works", "count")
    assert code == 2 and out == ""
    assert "run `exchange init` first" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_demo_then_list_show_search(demo_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", demo_db, "works", "list", "--json")
    works = json.loads(out)["works"]
    assert code == 0 and len(works) == 3
    assert works[0] == {
        "id": 1,
        "iswc": "T0345246801",
        "title": "LANTERNS OVER THE BAY",
        "sources": ["DMO"],
    }
    assert works[2]["sources"] == ["035", "DMO"]  # 035's copy, without ISWC, matched
    code, out, _ = run(capsys, "--db", demo_db, "works", "list", "--limit", "1", "--json")
    assert len(json.loads(out)["works"]) == 1
    code, out, _ = run(capsys, "--db", demo_db, "works", "show", "T-034.524.680-1", "--json")
    work = json.loads(out)["work"]
    assert work["id"] == 1 and len(work["claims"]) == 2
    assert work["claims"][0]["source"]["partner"] == "DMO"
    code, out, _ = run(capsys, "--db", demo_db, "works", "show", "DMO:DMO0002")
    assert code == 0 and "QUAND LA MAREE MONTE" in out and "VALLANCE" in out
    code, out, _ = run(capsys, "--db", demo_db, "works", "search", "Northbound", "--json")
    assert [w["id"] for w in json.loads(out)["works"]] == [3]


def test_works_show_tells_the_history(demo_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", demo_db, "works", "show", "T-010.171.314-7", "--json")
    history = json.loads(out)["history"]
    assert [(h["entity"], h["action"], h["source"]["partner"]) for h in history] == [
        ("work", "create", "DMO"),
        ("claim", "add", "058"),
        ("claim", "add", "058"),
    ]
    code, out, _ = run(capsys, "--db", demo_db, "works", "show", "T-010.171.314-7")
    lines = out.splitlines()
    at = lines.index("history:")
    assert "work created by DMO (CW260001DMO_052.V21 #1)" in lines[at + 1]
    assert "2 claims added by 058 (CW260001058_052.V22 #0)" in lines[at + 2]
    assert all(len(line) <= 80 for line in lines)
    assert any(line.startswith("      by 058 (CW260001058_052.V22 #0), ") for line in lines)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("partners", "show", "058"), "transport:\n  kind: folder\n"),
        (("partners", "check", "058"), "outbox:\n  path: "),
        (("ledger", "show", "1"), "summary:\n  transactions: 3\n"),
    ],
)
def test_one_object_reads_as_text(
    demo_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple, says: str
) -> None:
    config = str(tmp_path / "demo" / "our-node" / "exchange.toml")
    code, out, _ = run(capsys, "--config", config, *args)
    assert code == 0 and says in out
    assert not any(mark in out for mark in ("{", "}", "'", "None", "True"))
    assert all(len(line) <= 80 for line in out.splitlines() if str(tmp_path) not in line)


def test_show_unknown_work_is_one_line(demo_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--db", demo_db, "works", "show", "NOPE")
    assert code != 0 and out == ""
    assert len(err.strip().splitlines()) == 1 and "NOPE" in err


def test_parties(demo_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", demo_db, "parties", "list", "--json")
    assert code == 0 and len(json.loads(out)["parties"]) == 4
    code, out, _ = run(capsys, "--db", demo_db, "parties", "show", "00045620792", "--json")
    data = json.loads(out)
    assert data["party"]["last_name"] == "ORCHARD" and data["works"] == [1, 3]
    code, _, err = run(capsys, "--db", demo_db, "parties", "show", "00000000199")
    assert code == 1 and "00000000199" in err


def test_bad_configuration_names_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "node.toml"
    config.write_text('[node]\nsociety_code = "52X"\n')
    code, _, err = run(capsys, "--config", str(config), "works", "count")
    assert code == 2 and "society_code" in err and str(config) in err
    config.write_text("[node\n")
    code, _, err = run(capsys, "--config", str(config), "works", "count")
    assert code == 2 and "not valid TOML" in err
    code, _, err = run(capsys, "--config", str(tmp_path / "missing.toml"), "works", "count")
    assert code == 2 and "not found" in err
    config.write_text('[[partners]]\ncode = "058"\n[partners.transport]\npassword = "x"\n')
    code, _, err = run(capsys, "--config", str(config), "works", "count")
    assert code == 2 and "password: secrets do not belong" in err


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('timezone = "Mars/Olympus"', "timezone"),
        ('schedule = "every night"', "schedule"),
        ('accept = ["cwr99"]', "accept"),
        ("conflict_deadline_days = 0", "conflict_deadline_days"),
    ],
)
def test_bad_partner_settings_name_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str, key: str
) -> None:
    config = tmp_path / "node.toml"
    config.write_text(f'[[partners]]\ncode = "058"\n{line}\n')
    code, _, err = run(capsys, "--config", str(config), "works", "count")
    assert code == 2 and f"partners[0]] {key}" in err and str(config) in err


@pytest.mark.parametrize(
    ("text", "where", "suggestion"),
    [
        ('[node]\nsociety_cod = "052"\n', "[node] society_cod", "society_code"),
        ('[nodes]\nname = "X"\n', "nodes", "node"),
        ("[matching]\ncertian = 90\n", "[matching] certian", "certain"),
        ('[[partners]]\ncode = "058"\nsned = ["cwr22"]\n', "[partners[0]] sned", "send"),
        (
            '[[partners]]\ncode = "058"\n[partners.transport]\nkind = "sftp"\nkeyfile = "k"\n',
            "[partners[0].transport] keyfile",
            "key_file",
        ),
        (
            '[[partners]]\ncode = "058"\n[partners.transport]\nkind = "http"\nurl = "x"\n'
            'tokenenv = "T"\n',
            "[partners[0].transport] tokenenv",
            "token_env",
        ),
    ],
)
def test_unknown_configuration_keys_are_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, where: str, suggestion: str
) -> None:
    config = tmp_path / "node.toml"
    config.write_text(text)
    code, out, err = run(capsys, "--config", str(config), "template", "csv", "-o", "x.csv")
    assert code == 2 and out == ""
    assert f"{config}: {where}: unknown" in err and f"did you mean {suggestion!r}" in err
    assert len(err.strip().splitlines()) == 1


def test_a_missing_config_is_an_error_even_with_db(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert run(capsys, "--db", url, "init")[0] == 0
    missing = str(tmp_path / "mising.toml")
    code, _, err = run(capsys, "--db", url, "--config", missing, "works", "count")
    assert code == 2 and "mising.toml: configuration file not found" in err
    monkeypatch.setenv("EXCHANGE_CONFIG", missing)
    monkeypatch.setenv("EXCHANGE_DB", url)
    code, _, err = run(capsys, "works", "count")
    assert code == 2 and "configuration file not found" in err


@pytest.mark.parametrize(
    "url", ["mysql://user@localhost/repertoire", "oracle+oracledb://u@h/x", "nonsense"]
)
def test_an_unsupported_database_url_is_one_line(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    code, out, err = run(capsys, "--db", url, "works", "count")
    assert code == 2 and out == ""
    assert "internal error" not in err and len(err.strip().splitlines()) == 1
    assert "sqlite:///" in err and "postgresql+psycopg://" in err


@pytest.mark.parametrize(
    "command",
    [
        ("works", "list"),
        ("works", "count"),
        ("parties", "show", "00045620792"),
        ("ledger", "list"),
        ("conflicts", "list"),
        ("registrations", "list"),
    ],
)
def test_reading_a_mistyped_store_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    typo = tmp_path / "repertoir.db"
    code, out, err = run(capsys, "--db", f"sqlite:///{typo}", "--json", *command)
    assert code == 2 and not typo.exists()
    assert f"there is no store at {typo}" in err
    assert json.loads(out)["error"]["code"] == 2
    assert run(capsys, "--db", f"sqlite:///{typo}", "init")[0] == 0 and typo.exists()


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("works", "show", "NOPE", "--json"), 1, "NOPE"),
        (("--json", "works", "list", "--limit", "0"), 2, "--limit"),
        (("works", "nosuch", "--json"), 2, "nosuch"),
        (("--json", "partners", "show", "999"), 2, "unknown partner '999'"),
        (("--db", "mysql://u@h/x", "--json", "works", "count"), 2, "unsupported database URL"),
    ],
)
def test_json_errors_are_one_document(
    demo_db: str, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], code: int, says: str
) -> None:
    exit_code, out, err = run(capsys, "--db", demo_db, *args)
    [line] = out.splitlines()
    document = json.loads(line)
    assert exit_code == code and document["error"]["code"] == code
    assert says in document["error"]["message"] and says in err


def test_example_configuration_loads() -> None:
    from exchange.config import load_config

    config = load_config(Path(__file__).parents[1] / "config" / "node.example.toml")
    assert config.society_code == "052"
    assert config.partner("058").timezone == "Europe/Paris"
    assert config.partner("058").transport["kind"] == "sftp"
    assert config.partner("035").transport == {"kind": "served"}


def test_the_docs_name_every_ack_status_and_transport() -> None:
    from exchange.config import TRANSPORT_KINDS

    docs = Path(__file__).parents[1] / "docs"
    acks = (docs / "acks.md").read_text(encoding="utf-8")
    for status in ("AS", "AC", "RJ", "DU", "CO", "NP", "RA"):  # what the node's ACKs say
        assert f"| `{status}` |" in acks
    exchange = (docs / "exchange.md").read_text(encoding="utf-8")
    for kind in TRANSPORT_KINDS:
        assert f"| `{kind}` |" in exchange


def test_bad_database_url(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--db", "nosuch://db", "works", "count")
    assert code == 2 and "unsupported database URL 'nosuch://db'" in err


def test_every_command_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    from exchange.cli import cli

    def commands(group, path):
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            yield [*path, name], command
            if isinstance(command, click.Group):
                yield from commands(command, [*path, name])

    for path, _command in commands(cli, []):
        code, out, _ = run(capsys, *path, "--help")
        assert code == 0 and "Example" in out, path


def test_console_script_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "exchange", "--db", f"sqlite:///{tmp_path}/c.db", "init", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["revision"]


def test_demo_tells_the_whole_story(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Three nodes exchange both ways, with ACKs, a match, a disputed claim, reports."""
    code, out, _ = run(capsys, "demo", "--dir", str(tmp_path / "d"), "--json")
    data = json.loads(out)
    assert code == 0 and data["works"] == 3
    assert {(r["work"]["id"], r["partner"]) for r in data["registrations"]} == {
        (w, p) for w in (1, 2, 3) for p in ("058", "035")
    }  # every work acknowledged by both sisters
    assert {c["type"] for c in data["conflicts"]} == {"overclaim"}
    assert all(Path(p).stat().st_size > 0 for p in data["reports"])
    assert {(e["direction"], e["format"], e["state"]) for e in data["ledger"]} >= {
        ("in", "cwr", "imported"),
        ("in", "ack", "imported"),
        ("out", "cwr", "delivered"),
        ("out", "ack", "delivered"),
    }
    # every file that crossed validates clean at its receiver
    lanes = sorted((tmp_path / "d" / "exchange").glob("*/CW*.V2?"))
    assert len(lanes) == 8  # registrations and ACKs, both ways, with each sister
    code, out, _ = run(capsys, "validate", *map(str, lanes), "--json")
    for report in json.loads(out)["files"]:
        assert report["rejected"] == 0 and report["findings"] == [], report


def test_show_a_work_with_its_production(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What an ORN said (a film's title, its ISAN) is shown with the work."""
    from tests.adapters.cwr.cwr_builder import CwrFile, valid_work

    orn = ("ORN", {"intended_purpose": "FIL", "production_title": "A FILM", "isan": "000000018947"})
    path = CwrFile().add("NWR", [*valid_work(), orn]).write(tmp_path)
    assert run(capsys, "--db", db_url, "init")[0] == 0
    assert run(capsys, "--db", db_url, "import", str(path), "--partner", "PUB")[0] == 0
    code, out, _ = run(capsys, "--db", db_url, "works", "show", "PUB:W0001")
    assert code == 0 and "production FIL A FILM ISAN 000000018947" in out
    code, out, _ = run(capsys, "--db", db_url, "works", "show", "PUB:W0001", "--json")
    [production] = json.loads(out)["work"]["productions"]
    assert production["production_title"] == "A FILM" and production["isan"] == "000000018947"
