"""Tests for exchange.codes and the generated CISAC code tables."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from importlib import resources
from pathlib import Path

import pytest

from exchange import codes
from tests.services import shared_dir

REPO = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------
# societies


@pytest.mark.parametrize(
    ("code", "name"),
    [("052", "PRS"), ("058", "SACEM"), ("035", "GEMA"), ("010", "ASCAP"), ("021", "BMI")],
)
def test_known_societies(code: str, name: str) -> None:
    assert codes.society(code).name == name
    assert codes.society_name(code) == name
    assert codes.is_society(code)


def test_society_code_forms() -> None:
    assert codes.society("52") == codes.society("052") == codes.society(52)
    assert codes.society(" 52 ").code == "052"


@pytest.mark.parametrize("code", ["999", "", "5A", "0052", -1, 1000, True, None])
def test_not_societies(code) -> None:
    assert codes.society(code) is None
    assert not codes.is_society(code)


def test_cwr_special_society_codes() -> None:
    assert not codes.is_society("000")
    assert not codes.is_society("099")
    assert codes.is_society("000", cwr=True)
    assert codes.is_society(99, cwr=True)
    assert codes.society("000", cwr=True).name == "DP"
    assert codes.society("000", cwr=True).cwr_only
    assert codes.society_name("099", cwr=True) == "NS"
    # cwr=True does not change real societies
    assert codes.society("052", cwr=True).name == "PRS"


def test_society_fields() -> None:
    prs = codes.society("052")
    assert prs.status == "Member"
    assert prs.repertoire == "Musical"
    assert prs.country == "UNITED KINGDOM"
    bmi = codes.society("021")
    assert bmi.status == "Client RME"  # trailing space in the sheet is stripped


# --------------------------------------------------------------------------
# territories


def test_territory_code_forms() -> None:
    uk = codes.territory("0826")
    assert uk is not None and uk.name == "UNITED KINGDOM"
    assert codes.territory("826") is uk
    assert codes.territory(826) is uk
    assert codes.territory("GB") is uk
    assert codes.territory("gb") is uk
    assert codes.territory("2WL").tis_n == "2136"


@pytest.mark.parametrize("code", ["9999", "0000", "XX", "", "12345", None, True])
def test_not_territories(code) -> None:
    assert codes.territory(code) is None
    assert not codes.is_territory(code)


def test_groups() -> None:
    assert codes.territory("2100").name == "AFRICA"
    assert codes.territory("2120").name == "EUROPE"
    assert codes.territory("2136").name == "WORLD"
    assert codes.territory("2136").is_group
    assert not codes.territory("0826").is_group


def test_world_and_europe() -> None:
    world = codes.countries_in("2136")
    assert {"0826", "0250", "0840", "0276", "0036"} <= world
    europe = codes.countries_in("2120")
    assert "0250" in europe
    assert "0840" not in europe
    assert "0826" in europe
    assert codes.countries_in("0826") == {"0826"}


def test_world_without_uk() -> None:
    result = codes.resolve([(True, "2136"), (False, "0826")])
    assert "0826" not in result
    assert {"0250", "0840"} <= result
    assert result == codes.countries_in("2136") - {"0826"}
    # order matters: a later include adds the country back
    again = codes.resolve([(True, "2136"), (False, "0826"), (True, "0826")])
    assert again == codes.countries_in("2136")
    # CWR indicators are accepted too
    assert codes.resolve([("I", "2136"), ("E", "0826")]) == result


def test_resolve_errors() -> None:
    with pytest.raises(ValueError, match="unknown TIS territory code"):
        codes.resolve([(True, "9999")])
    with pytest.raises(ValueError, match="indicator"):
        codes.resolve([("X", "2136")])


def test_group_results_are_countries_only() -> None:
    for group in ("2100", "2101", "2106", "2114", "2120", "2123", "2136"):
        found = codes.countries_in(group)
        assert found
        assert all(not codes.territory(code).is_group for code in found)


def test_every_country_is_in_the_world() -> None:
    table = codes._territory_table()
    countries = {c for c, t in table.by_tis_n.items() if not t.is_group}
    # 0446 Macao comes from the newer ISTIS-0184a list and is in no group of
    # the 2012 hierarchy (see territories.json notes).
    assert countries - codes.countries_in("2136") == {"0446"}


def test_historic_territories() -> None:
    before = dt.date(1985, 6, 1)
    after = dt.date(2010, 6, 1)
    world_1985 = codes.countries_in("2136", on=before)
    world_2010 = codes.countries_in("2136", on=after)
    assert {"0810", "0278", "0280", "0890", "0200"} <= world_1985  # USSR, GDR, FRG, YU, CS
    assert not {"0643", "0276", "0203", "0703"} & world_1985
    assert {"0643", "0276", "0203", "0703", "0688", "0499"} <= world_2010
    assert not {"0810", "0278", "0280", "0891"} & world_2010
    # the USSR is a known code, but did not exist in 2000
    assert codes.is_territory("0810")
    assert not codes.is_territory("0810", on=dt.date(2000, 1, 1))
    assert codes.territory("0810").valid_until == dt.date(1991, 12, 31)


def test_reused_tis_a_codes_and_renames() -> None:
    assert codes.territory("DE").tis_n == "0276"
    assert codes.territory("DE", on=dt.date(1980, 1, 1)).tis_n == "0280"
    eu = codes.territory("2123")
    assert eu.tis_a == "2EN"
    assert eu.name_on(dt.date(1980, 1, 1)).name == "EUROPEAN ECONOMIC COMMUNITY"
    assert codes.territory("2EY").tis_n == "2123"
    assert codes.territory("2EY", on=dt.date(2000, 1, 1)) is None
    # membership dates: Spain joined the EEC in 1986
    assert "0724" not in codes.countries_in("2123", on=dt.date(1985, 12, 31))
    assert "0724" in codes.countries_in("2123", on=dt.date(1986, 1, 1))


def test_members_and_caching() -> None:
    assert codes.members("2136") == ("2100", "2101", "2106", "2120", "2130")
    assert codes.members("0826") == ()
    assert codes.countries_in("2136") is codes.countries_in("2WL")


# --------------------------------------------------------------------------
# the generated JSON files


def _json(name: str) -> dict:
    return json.loads(resources.files("exchange.data").joinpath(name).read_text("utf-8"))


def test_societies_json_records_its_source() -> None:
    data = _json("societies.json")
    assert data["generated_by"] == "scripts/build_code_tables.py"
    first = data["sources"][0]
    assert first["document"] == "SG26-0077"
    assert first["published"] == "2026-07-06"
    assert first["file"].startswith("SG26-0077_CISAC_societies_codes")
    assert data["sources"][1]["document"].startswith("CWR08-3615")
    assert codes.sources("societies")[0]["document"] == "SG26-0077"


def test_territories_json_records_its_sources() -> None:
    data = _json("territories.json")
    assert data["generated_by"] == "scripts/build_code_tables.py"
    documents = [s["document"] for s in data["sources"]]
    assert documents[:2] == ["TIS09-1540a", "TIS09-1540c"]
    assert all(s.get("file") for s in data["sources"])


SOURCE_DIR = shared_dir() / "docs" / "standards" / "cisac"


@pytest.mark.skipif(not SOURCE_DIR.is_dir(), reason="CISAC source documents not available")
def test_generated_files_are_up_to_date(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    pytest.importorskip("xlrd")
    spec = importlib.util.spec_from_file_location(
        "build_code_tables", REPO / "scripts" / "build_code_tables.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.main([str(SOURCE_DIR), "--out", str(tmp_path)])
    for name in ("societies.json", "territories.json"):
        committed = (REPO / "exchange" / "data" / name).read_text("utf-8")
        assert (tmp_path / name).read_text("utf-8") == committed, f"{name} is stale"
