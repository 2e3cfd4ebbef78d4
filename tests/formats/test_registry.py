"""A format from a package of its own: found through its entry point, in the command
line's choices, in exports and in exchanges with partners, the engine untouched.

The package (tests/formats/plugin_format) is installed as an installer would: its
module on a folder of sys.path beside a ``.dist-info`` whose ``entry_points.txt`` says
what its pyproject.toml declares. The commands run in processes of their own, whose registry
finds it through ``importlib.metadata`` as it finds the node's formats.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from exchange import formats
from exchange.demo import sample_works
from exchange.store import Store

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = Path(__file__).parent / "plugin_format"


def install(site: Path, project: dict, modules: tuple[Path, ...] = ()) -> None:
    """Put a package's modules and its metadata (entry points included) into ``site``."""
    site.mkdir(parents=True, exist_ok=True)
    for module in modules:
        shutil.copy(module, site)
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    lines = []
    for group, points in project.get("entry-points", {}).items():
        lines += [f"[{group}]", *(f"{name} = {value}" for name, value in points.items()), ""]
    (info / "entry_points.txt").write_text("\n".join(lines))


class Node:
    """A node whose commands run in their own processes, with ``site`` on their path."""

    def __init__(self, home: Path, site: Path, send: str = "cwr22") -> None:
        self.home, self.site = home, site
        self.outbox = home / "to052"
        self.outbox.mkdir(parents=True)
        self.url = f"sqlite:///{home / 'store.db'}"
        self.config = home / "exchange.toml"
        self.config.write_text(
            '[node]\nsociety_code = "058"\nname = "SOCIETY 058"\ndata_dir = "data"\n\n'
            f'[[partners]]\ncode = "052"\nname = "SOCIETY 052"\nsend = ["{send}"]\n\n'
            f'[partners.transport]\nkind = "folder"\ninbox = "{self.outbox}"\n'
            f'outbox = "{home / "to058"}"\n'
        )
        (home / "to058").mkdir()
        store = Store(self.url)
        store.init()
        store.add_works((w, w.claims[0].source) for w in sample_works())

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(self.site), str(ROOT)))}
        env.pop("EXCHANGE_CONFIG", None)
        command = [sys.executable, "-m", "exchange", "--db", self.url, "--config", str(self.config)]
        return subprocess.run(
            [*command, *args], cwd=self.home, env=env, capture_output=True, text=True, timeout=300
        )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    project = tomllib.loads((PLUGIN / "pyproject.toml").read_text())["project"]
    site = tmp_path / "site-packages"
    install(site, project, (PLUGIN / "titles_format.py",))
    return site


def test_the_node_ships_its_formats_through_entry_points() -> None:
    iswc = ["iswc-edi", "iswc-json"]  # read only (the node submits through the REST API)
    assert formats.names() == [*iswc, "cwr21", "cwr22", "ack", "csv", "xlsx", "mwn"]
    assert formats.names("write") == ["cwr21", "cwr22", "csv", "xlsx", "mwn"]
    assert formats.families() == [*iswc, "cwr", "ack", "csv", "xlsx", "mwn"]
    for fmt in formats.all_formats():
        assert isinstance(fmt, formats.Format) and fmt.description and fmt.pattern
    assert [f.name for f in formats.all_formats() if f.acknowledged] == ["cwr21", "cwr22"]


def test_a_format_of_another_package_is_an_export_choice_and_writes(
    tmp_path: Path, site: Path
) -> None:
    node = Node(tmp_path / "node", site)
    shown = node.run("export", "--help")
    assert shown.returncode == 0, shown.stderr
    assert "cwr21|cwr22|csv|xlsx|mwn|titles" in " ".join(shown.stdout.split())

    out = tmp_path / "out"
    done = node.run("--json", "export", "--format", "titles", "--partner", "052", "-o", str(out))
    assert done.returncode == 0, done.stderr
    [written] = json.loads(done.stdout)["files"]
    path = Path(written["path"])
    assert (path.name, written["works"]) == ("TITLES_058_052_000001.txt", 3)
    titles = sorted(line.split("\t")[1] for line in path.read_text().splitlines())
    assert titles == sorted(w.title for w in sample_works())


def test_a_partner_is_sent_a_format_of_another_package(tmp_path: Path, site: Path) -> None:
    node = Node(tmp_path / "node", site, send="titles")
    done = node.run("--json", "sync", "052")
    assert done.returncode == 0, done.stderr
    [partner] = json.loads(done.stdout)["partners"]
    assert partner["exported"] == [
        {"name": "TITLES_058_052_000001.txt", "format": "titles", "works": 3}
    ]
    assert partner["delivered"] == ["TITLES_058_052_000001.txt"]
    assert len((node.outbox / "TITLES_058_052_000001.txt").read_text().splitlines()) == 3
    [entry] = Store(node.url).ledger(partner="052")
    assert (entry.direction, entry.format, entry.state) == ("out", "titles", "delivered")
    again = node.run("--json", "sync", "052")
    assert json.loads(again.stdout)["partners"][0]["exported"] == []  # nothing changed since


def test_without_the_package_its_format_is_unknown(tmp_path: Path) -> None:
    node = Node(tmp_path / "node", tmp_path / "empty", send="titles")
    done = node.run("partners", "list")
    assert done.returncode == 2
    assert "unknown format 'titles' (known: cwr21, cwr22, csv, xlsx, mwn)" in done.stderr


def test_a_package_whose_format_cannot_be_loaded_is_named(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    broken = {
        "name": "broken-format",
        "version": "1.0",
        "entry-points": {formats.GROUP: {"broken": "no_such_module:FORMAT"}},
    }
    install(site, broken)
    done = Node(tmp_path / "node", site).run("partners", "list")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "the format 'broken' of package broken-format cannot be loaded" in done.stderr
