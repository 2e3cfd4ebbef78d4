"""The command line starts fast: ``exchange --help`` and ``exchange works count``
import none of the heavy libraries, which only the commands that use them load.

Each check runs in a fresh interpreter (the test process has everything loaded
already). The times themselves are bench/cwr_bench.py's ``startup`` stage.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest

from exchange.cli import COMMANDS, cli
from exchange.errors import StoreError
from exchange.migrations import VERSION_TABLE, head_revision
from exchange.model import Work
from exchange.store import Store, sqlite_reads, tables

#: Libraries a command imports only when it uses them.
HEAVY = (
    "sqlalchemy",
    "alembic",
    "fastapi",
    "starlette",
    "uvicorn",
    "paramiko",
    "openpyxl",
    "lxml",
    "xmlschema",
    "rapidfuzz",
    "httpx",
    "argon2",
    "jinja2",
    "apscheduler",
    "psycopg",
    "stdnum",
)

# Runs the command line (or only imports it), then writes which of the libraries
# named (JSON) it loaded to the file named: ``-c _PROBE FILE LIBRARIES ARGS...``.
_PROBE = """
import json, sys
out, libraries, args = sys.argv[1], set(json.loads(sys.argv[2])), sys.argv[3:]
try:
    if args == ["(import)"]:
        import exchange.cli
    else:
        from exchange.cli import main
        main(args)
finally:
    with open(out, "w") as fh:
        json.dump(sorted({m.split(".")[0] for m in sys.modules} & libraries), fh)
"""


def probe(
    tmp_path: Path, *args: str, also: tuple[str, ...] = ()
) -> tuple[list[str], subprocess.CompletedProcess[str]]:
    """The heavy modules that ``exchange ARGS`` loads in a new interpreter, and its run."""
    out = tmp_path / "modules.json"
    env = {**os.environ, "COLUMNS": "80"}
    env.pop("EXCHANGE_CONFIG", None)
    env.pop("EXCHANGE_DB", None)
    libraries = json.dumps([*HEAVY, *also])
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(out), libraries, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert out.exists(), result.stderr
    return json.loads(out.read_text()), result


@pytest.fixture
def sqlite_store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'count.db'}"
    with Store(url) as store:
        store.init()
        store.add_works([(Work("ONE"), None), (Work("TWO"), None)])
    return url


def test_importing_the_command_line_loads_no_heavy_library(tmp_path: Path) -> None:
    loaded, _ = probe(tmp_path, "(import)", also=("rich",))
    assert loaded == []


def test_help_lists_every_command_with_its_line_and_loads_nothing(tmp_path: Path) -> None:
    loaded, result = probe(tmp_path, "--help", also=("rich",))
    assert result.returncode == 0 and loaded == []
    for name, entry in COMMANDS.items():
        assert re.search(rf"^  {re.escape(name)} +{re.escape(entry.help)}$", result.stdout, re.M), (
            name
        )


def test_works_count_reads_a_sqlite_store_without_sqlalchemy(
    tmp_path: Path, sqlite_store: str
) -> None:
    loaded, result = probe(tmp_path, "--db", sqlite_store, "works", "count", "--json")
    assert (result.returncode, json.loads(result.stdout), loaded) == (0, {"works": 2}, [])
    loaded, result = probe(tmp_path, "--db", sqlite_store, "works", "count")
    assert (result.returncode, result.stdout, loaded) == (0, "2 works\n", [])


def test_init_of_a_store_at_the_newest_revision_loads_no_alembic(
    tmp_path: Path, sqlite_store: str
) -> None:
    loaded, result = probe(tmp_path, "--db", sqlite_store, "init", "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["changed"] is False
    assert "alembic" not in loaded


def test_the_table_names_each_command_and_a_short_line() -> None:
    ctx = click.Context(cli)
    assert cli.list_commands(ctx) == sorted(COMMANDS)
    for name, entry in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name, name
        assert 0 < len(entry.help) <= 60 and "\n" not in entry.help, name
        assert command.get_short_help_str() == entry.help


def test_the_head_read_from_the_scripts_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    with Store("sqlite://") as store, store.connect() as conn:
        from exchange.store.database import alembic_config

        assert (
            head_revision() == ScriptDirectory.from_config(alembic_config(conn)).get_current_head()
        )


def test_the_sqlite_read_agrees_with_the_store(tmp_path: Path, sqlite_store: str) -> None:
    assert tables.works.name == sqlite_reads.WORKS_TABLE
    with Store(sqlite_store) as store:
        assert sqlite_reads.count_works(sqlite_store) == store.count_works() == 2
    # any URL but a plain SQLite file is left to SQLAlchemy
    spaced = tmp_path / "a b"
    spaced.mkdir()
    escaped = f"sqlite:///{spaced}/s.db".replace(" ", "%20")
    assert sqlite_reads.count_works(escaped) is None
    with Store(escaped) as store:
        store.init()
    assert probe(tmp_path, "--db", escaped, "works", "count")[1].stdout == "0 works\n"


def _refusal(url: str) -> tuple[str, str]:
    """What the SQLite read and the store say of a store they cannot count."""
    with pytest.raises(StoreError) as quick:
        sqlite_reads.count_works(url)
    with pytest.raises(StoreError) as full, Store(url, create=False) as store:
        store.require_schema()
    return str(quick.value), str(full.value)


def test_a_store_it_cannot_count_is_refused_as_the_store_does(
    tmp_path: Path, sqlite_store: str
) -> None:
    missing = f"sqlite:///{tmp_path / 'missing.db'}"
    quick, full = _refusal(missing)
    assert quick == full and "there is no store at" in quick
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    quick, full = _refusal(f"sqlite:///{empty}")
    assert quick == full and quick.endswith("is empty: run `exchange init` first")
    with sqlite3.connect(sqlite_store.removeprefix("sqlite:///")) as conn:
        conn.execute(f"UPDATE {VERSION_TABLE} SET version_num = '0011_iswc'")
    quick, full = _refusal(sqlite_store)
    assert quick == full and "is at revision 0011_iswc: run `exchange init`" in quick


def test_a_file_that_is_no_database_is_one_clear_line(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_text("not a database\n")
    _, result = probe(tmp_path, "--db", f"sqlite:///{junk}", "works", "count")
    assert result.returncode == 2
    assert result.stderr == f"error: database sqlite:///{junk}: file is not a database\n"


def test_a_mistyped_command_is_told_the_nearest_of_all(tmp_path: Path) -> None:
    loaded, result = probe(tmp_path, "wrks")
    assert result.returncode == 2 and loaded == []
    assert "No such command 'wrks'." in result.stderr
    if hasattr(click.exceptions, "NoSuchCommand"):  # click 8.2 on suggests a name
        assert "Did you mean 'works'?" in result.stderr
