#!/usr/bin/env python3
"""Generate the CISAC code tables shipped as package data.

Reads the CISAC spreadsheets and writes two JSON files that
``exchange.codes`` loads at run time:

* ``exchange/data/societies.json`` from the CISAC societies codes listing
  (SGnn-nnnn ...xlsx) plus the two special society values ``000`` (DP) and
  ``099`` (NS) of the CWR 2.x lookup table (CWR08-3615 ...xlsx);
* ``exchange/data/territories.json`` from the TIS territory list
  (TIS09-1540a ...xls, sheet ``en``) and the TIS hierarchies
  (TIS09-1540c ...xls, sheet ``Hierarchy_Down``).  When the newer TIS
  extract ISTIS-0184a (current territories only) is present, its names
  replace the names of the matching (current) name periods, and territories
  missing from TIS09-1540a are added.

The script is run by developers when CISAC publishes new tables; the output
is committed.  Usage::

    python scripts/build_code_tables.py [SOURCE_DIR] [--out DIR]

SOURCE_DIR defaults to ``../shared/docs/standards/cisac`` relative to the
repository root.  Needs openpyxl (.xlsx) and xlrd (.xls): the ``tools`` extra.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import openpyxl
import xlrd

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "docs" / "standards" / "cisac"
DEFAULT_OUT = REPO / "exchange" / "data"
SCRIPT = "scripts/build_code_tables.py"

SOCIETIES_GLOB = "SG*_CISAC_societies_codes_*.xlsx"
LOOKUP_GLOB = "CWR*_CWR_2x_Lookup_Table_*.xlsx"
TERRITORIES_GLOB = "TIS*_Territories_*.xls"
HIERARCHIES_GLOB = "TIS*_Hierarchies_*.xls"
ISTIS_GLOB = "ISTIS-*_list_of_territories_*.xlsx"

# Society codes that the CWR 2.x lookup table defines but that are not
# societies: 000 = DP (public domain) and 099 = NS.
CWR_SPECIAL_SOCIETY_CODES = (0, 99)

# TIS writes "always" as 01.01.1000 and "open ended" as 31.12.3999.
TIS_BEGINNING = dt.date(1000, 1, 1)
TIS_END = dt.date(3999, 12, 31)

# openpyxl warns about workbook features it does not read (data-validation
# extensions, print areas); they do not affect the cell values used here.
warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")

TERRITORY_TYPES = {
    "COUNTRY": "country",
    "GEOGRAPHICAL COUNTRY-GROUP": "geographical group",
    "POLITICAL COUNTRY-GROUP": "political group",
    "ECONOMICAL COUNTRY-GROUP": "economic group",
}


# --------------------------------------------------------------------------
# small helpers


def find_one(directory: Path, pattern: str, required: bool = True) -> Path | None:
    """The matching file with the latest date in its name (names end in a date)."""
    matches = sorted(directory.glob(pattern), key=lambda p: (file_date(p) or "", p.name))
    if not matches:
        if required:
            sys.exit(f"error: no file matching {pattern!r} in {directory}")
        return None
    return matches[-1]


def file_date(path: Path) -> str | None:
    """The ISO date in a CISAC file name, e.g. ..._2026-07-06_EN.xlsx."""
    found = re.findall(r"(\d{4}-\d{2}-\d{2})", path.name)
    return found[-1] if found else None


def text(value: Any) -> str | None:
    """Cell value as stripped text, None when empty."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    result = str(value).strip()
    return result or None


def compact(entry: dict[str, Any]) -> dict[str, Any]:
    """Drop empty fields so each JSON line stays short."""
    return {
        key: value
        for key, value in entry.items()
        if value is not None and value is not False and value != "" and value != []
    }


def published_on(cells: list[Any]) -> str | None:
    """Find 'Published on: DD/MM/YYYY' on a cover sheet and return it as ISO."""
    for cell in cells:
        match = re.search(r"Published on:\s*(\d{2})/(\d{2})/(\d{4})", str(cell or ""))
        if match:
            day, month, year = match.groups()
            return f"{year}-{month}-{day}"
    return None


def source_entry(path: Path, document: str, **extra: Any) -> dict[str, Any]:
    return compact({"document": document, "file": path.name, "file_date": file_date(path), **extra})


def write_json(path: Path, header: dict[str, Any], tables: dict[str, list[Any]]) -> None:
    """Write the header indented and every table entry on its own line."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = ["{"]
    for key, value in header.items():
        lines.append(f"  {dump(key)}: {dump(value)},")
    table_parts = []
    for key, entries in tables.items():
        rows = ",\n".join(f"    {dump(entry)}" for entry in entries)
        table_parts.append(f"  {dump(key)}: [\n{rows}\n  ]")
    lines.append(",\n".join(table_parts))
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    json.loads(path.read_text(encoding="utf-8"))  # sanity check
    print(f"wrote {path}")


# --------------------------------------------------------------------------
# societies


def year_and_note(value: Any) -> tuple[int | None, str | None]:
    """A year column: an int, or the first year in free text plus the text."""
    raw = text(value)
    if raw is None:
        return None, None
    if raw.isdigit():
        return int(raw), None
    found = re.search(r"\b(\d{4})\b", raw)
    return (int(found.group(1)) if found else None), raw


def read_societies(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    cover = [cell for row in book.worksheets[0].iter_rows(values_only=True) for cell in row]
    document = text(cover[next(i for i, c in enumerate(cover) if text(c))])
    sheet = next(ws for ws in book.worksheets if "listing" in ws.title.lower())
    rows = sheet.iter_rows(values_only=True)
    header = [text(h) for h in next(rows)]
    col = {name: header.index(name) for name in header if name}
    member_from_col = next(i for i, h in enumerate(header) if h and h.startswith("Membership\n"))

    societies = []
    for row in rows:
        if row[col["CISAC Code"]] is None:
            continue
        notes = []
        founded, note = year_and_note(row[col["Foundation Year"]])
        notes.append(note)
        ended, note = year_and_note(row[col["Ending"]])
        notes.append(note)
        member_from, note = year_and_note(row[member_from_col])
        notes.append(note)
        member_until, note = year_and_note(row[col["Membership end"]])
        notes.append(note)
        notes.append(text(row[col["Comments"]]))
        societies.append(
            compact(
                {
                    "code": f"{int(row[col['CISAC Code']]):03d}",
                    "name": text(row[col["Society name"]]),
                    "former_name": text(row[col["Former Name"]]),
                    "status": text(row[col["Membership status"]]),
                    "repertoire": text(row[col["Main Repertoire"]]),
                    "country": text(row[col["Country"]]),
                    "founded": founded,
                    "ended": ended,
                    "member_from": member_from,
                    "member_until": member_until,
                    "comment": "; ".join(n for n in notes if n) or None,
                }
            )
        )
    codes = [s["code"] for s in societies]
    if len(codes) != len(set(codes)):
        sys.exit(f"error: duplicate society codes in {path.name}")
    societies.sort(key=lambda s: s["code"])
    source = source_entry(
        path,
        document or path.name.split("_")[0],
        title="CISAC societies codes listing",
        published=published_on(cover),
        sheet=sheet.title,
    )
    return source, societies


def read_cwr_special_societies(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    cover = [cell for row in book.worksheets[0].iter_rows(values_only=True) for cell in row]
    document = text(cover[next(i for i, c in enumerate(cover) if text(c))])
    sheet = book["CWR Tables"]
    special = []
    for row in sheet.iter_rows(values_only=True):
        if text(row[0]) == "Society Code" and row[2] in CWR_SPECIAL_SOCIETY_CODES:
            special.append(
                compact(
                    {
                        "code": f"{int(row[2]):03d}",
                        "name": text(row[1]),
                        "description": text(row[3]),
                        "cwr_only": True,
                    }
                )
            )
    if len(special) != len(CWR_SPECIAL_SOCIETY_CODES):
        sys.exit(f"error: special society codes not found in {path.name}")
    source = source_entry(
        path,
        document or path.name.split("_")[0],
        title="CWR 2.x lookup tables (society codes 000 and 099 only)",
        published=published_on(cover),
        sheet=sheet.title,
    )
    return source, sorted(special, key=lambda s: s["code"])


def build_societies(source_dir: Path, out_dir: Path) -> None:
    soc_source, societies = read_societies(find_one(source_dir, SOCIETIES_GLOB))
    lt_source, special = read_cwr_special_societies(find_one(source_dir, LOOKUP_GLOB))
    clash = {s["code"] for s in societies} & {s["code"] for s in special}
    if clash:
        sys.exit(f"error: special CWR society codes also in the CISAC listing: {clash}")
    header = {
        "title": "CISAC society codes",
        "generated_by": SCRIPT,
        "sources": [soc_source, lt_source],
        "notes": [
            "code: 3-digit CISAC society code; name, former_name, status, repertoire "
            "(main repertoire), country (free text, as written in the listing), founded/ended "
            "(years of the society), member_from/member_until (years of CISAC membership or "
            "client approval), comment (remarks and any non-numeric year text).",
            "cwr_special: values of the CWR 2.x society code table that are not societies "
            "(000 DP public domain, 099 NS); valid only in CWR 2.x society fields.",
        ],
    }
    write_json(out_dir / "societies.json", header, {"societies": societies, "cwr_special": special})


# --------------------------------------------------------------------------
# territories


def xls_date(cell: xlrd.sheet.Cell, datemode: int) -> str | None:
    """A TIS date cell as ISO text; None for the 'always'/'open ended' markers."""
    if cell.ctype == xlrd.XL_CELL_EMPTY or text(cell.value) is None:
        return None
    if cell.ctype in (xlrd.XL_CELL_DATE, xlrd.XL_CELL_NUMBER):
        value = xlrd.xldate.xldate_as_datetime(cell.value, datemode).date()
    else:
        value = dt.datetime.strptime(str(cell.value).strip(), "%d.%m.%Y").date()
    return None if value in (TIS_BEGINNING, TIS_END) else value.isoformat()


def xlsx_date(value: Any) -> str | None:
    if value is None or text(value) is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    elif not isinstance(value, dt.date):
        value = dt.datetime.strptime(str(value).strip(), "%d.%m.%Y").date()
    return None if value in (TIS_BEGINNING, TIS_END) else value.isoformat()


def tis_cover(book: xlrd.book.Book) -> tuple[str | None, str | None, str | None]:
    """(document number, title, date) from the cover sheet of a TIS .xls file."""
    sheet = book.sheet_by_index(0)
    texts, date = [], None
    for r in range(sheet.nrows):
        for cell in sheet.row(r):
            if cell.ctype == xlrd.XL_CELL_DATE:
                date = xlrd.xldate.xldate_as_datetime(cell.value, book.datemode).date()
            elif text(cell.value):
                texts.append(text(cell.value))
    document = texts[0] if texts else None
    title = next((t for t in texts if t.startswith("TIS database")), None)
    return document, title, date.isoformat() if date else None


def name_period(values: dict[str, Any]) -> dict[str, Any]:
    return compact(
        {
            "tis_a": values["TIS-A"],
            "tis_a_ext": values["TIS-A-Ext"],
            "name": values["Name"],
            "official_name": values["Official name"],
            "abbreviated_name": values["Abbreviated name"],
            "unofficial_name": values["Unofficial name"],
            "from": values["Name from"],
            "until": values["Name until"],
        }
    )


def read_territories(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    book = xlrd.open_workbook(str(path))
    sheet = book.sheet_by_name("en")
    header = [text(c) for c in sheet.row_values(0)]
    territories: dict[str, dict[str, Any]] = {}
    for r in range(1, sheet.nrows):
        row = sheet.row(r)
        values = {}
        for name, cell in zip(header, row, strict=True):
            if name in ("Exists from", "Exists until", "Name from", "Name until"):
                values[name] = xls_date(cell, book.datemode)
            elif name == "TIS-N":
                values[name] = f"{int(cell.value):04d}"
            else:
                values[name] = text(cell.value)
        entry = territories.setdefault(
            values["TIS-N"],
            compact(
                {
                    "tis_n": values["TIS-N"],
                    "type": TERRITORY_TYPES[values["Type"]],
                    "from": values["Exists from"],
                    "until": values["Exists until"],
                    "remark": values["Remark"],
                }
            ),
        )
        entry.setdefault("names", []).append(name_period(values))
    document, title, date = tis_cover(book)
    source = source_entry(path, document or path.name.split("_")[0], title=title, published=date)
    source["sheet"] = "en"
    return source, territories


def apply_istis(path: Path, territories: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Update names from the newer current-territories extract; add new codes."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet = book["en"]
    rows = sheet.iter_rows(values_only=True)
    header = [text(h) for h in next(rows)]
    document = path.name.split("_")[0]
    for row in rows:
        if row[0] is None:
            continue
        values = {}
        for name, value in zip(header, row, strict=False):
            if name in ("Exists from", "Exists until", "Name from", "Name until"):
                values[name] = xlsx_date(value)
            elif name == "TIS-N":
                values[name] = f"{int(value):04d}"
            else:
                values[name] = text(value)
        period = name_period(values) | {"source": document}
        entry = territories.get(values["TIS-N"])
        if entry is None:
            territories[values["TIS-N"]] = compact(
                {
                    "tis_n": values["TIS-N"],
                    "type": TERRITORY_TYPES[values["Type"]],
                    "from": values["Exists from"],
                    "until": values["Exists until"],
                    "remark": values["Remark"],
                    "names": [period],
                    "source": document,
                }
            )
            print(f"note: {values['TIS-N']} {values['Name']} added from {document}")
            continue
        same = {
            "type": TERRITORY_TYPES[values["Type"]],
            "from": values["Exists from"],
            "until": values["Exists until"],
        }
        for key, value in same.items():
            if entry.get(key) != value:
                print(f"warning: {values['TIS-N']} {key} differs in {document}: kept TIS09 value")
        if values["Remark"] and values["Remark"] != entry.get("remark"):
            entry["remark"] = values["Remark"]
        for i, old in enumerate(entry["names"]):
            if old.get("from") == period.get("from") and old.get("until") == period.get("until"):
                if {k: v for k, v in period.items() if k != "source"} != old:
                    entry["names"][i] = period
                break
        else:
            print(f"warning: {values['TIS-N']}: no name period matches {document}; not merged")
    props = book.properties
    modified = props.modified.date().isoformat() if props.modified else None
    return source_entry(
        path,
        document,
        title="TIS database full data, appendix a: list of territories (current entries)",
        file_modified=modified,
        sheet="en",
    )


def read_hierarchy(path: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """Direct group -> member links (with membership dates) from Hierarchy_Down.

    The sheet lists every top group followed by its whole subtree; the Level
    column gives the depth, so a row's parent is the nearest row above it
    with the level one less.
    """
    book = xlrd.open_workbook(str(path))
    sheet = book.sheet_by_name("Hierarchy_Down")
    header = [text(c) for c in sheet.row_values(0)]
    col = {name: header.index(name) for name in header if name}
    path_stack: dict[int, str] = {}
    links: dict[str, dict[str, dict[str, Any]]] = {}
    for r in range(1, sheet.nrows):
        row = sheet.row(r)
        level = int(row[col["Level"]].value)
        code = f"{int(row[col['TIS-N']].value):04d}"
        path_stack[level] = code
        if level == 1:
            continue
        parent = path_stack[level - 1]
        member = compact(
            {
                "tis_n": code,
                "from": xls_date(row[col["Belongs to from"]], book.datemode),
                "until": xls_date(row[col["Belongs to until"]], book.datemode),
            }
        )
        known = links.setdefault(parent, {}).setdefault(code, member)
        if known != member:
            sys.exit(f"error: {parent} -> {code} has conflicting dates in {path.name}")
    check_hierarchy_up(book, links)
    document, title, date = tis_cover(book)
    source = source_entry(path, document or path.name.split("_")[0], title=title, published=date)
    source["sheet"] = "Hierarchy_Down"
    hierarchy = {
        group: sorted(members.values(), key=lambda m: m["tis_n"])
        for group, members in sorted(links.items())
    }
    return source, hierarchy


def check_hierarchy_up(book: xlrd.book.Book, links: dict[str, dict[str, Any]]) -> None:
    """Hierarchy_Up must describe the same direct links as Hierarchy_Down."""
    sheet = book.sheet_by_name("Hierarchy_Up")
    stack: dict[int, str] = {}
    up = set()
    for r in range(1, sheet.nrows):
        level, code = int(sheet.cell_value(r, 0)), f"{int(sheet.cell_value(r, 1)):04d}"
        stack[level] = code
        if level > 1:
            up.add((code, stack[level - 1]))
    down = {(group, member) for group, members in links.items() for member in members}
    if up != down:
        print(f"warning: Hierarchy_Up and Hierarchy_Down differ: {sorted(up ^ down)[:10]}")


def build_territories(source_dir: Path, out_dir: Path) -> None:
    tis_source, territories = read_territories(find_one(source_dir, TERRITORIES_GLOB))
    hier_source, hierarchy = read_hierarchy(find_one(source_dir, HIERARCHIES_GLOB))
    sources = [tis_source, hier_source]
    istis = find_one(source_dir, ISTIS_GLOB, required=False)
    if istis is not None:
        sources.append(apply_istis(istis, territories))
    unknown = {m["tis_n"] for ms in hierarchy.values() for m in ms} - territories.keys()
    unknown |= hierarchy.keys() - territories.keys()
    if unknown:
        sys.exit(f"error: hierarchy uses unknown territories {sorted(unknown)}")
    in_groups = {m["tis_n"] for ms in hierarchy.values() for m in ms}
    orphans = sorted(
        code for code, t in territories.items() if t["type"] == "country" and code not in in_groups
    )
    header = {
        "title": "CISAC TIS territories and hierarchy",
        "generated_by": SCRIPT,
        "sources": sources,
        "notes": [
            "Dates are ISO; a missing from/until means unbounded (TIS writes 01.01.1000 and "
            "31.12.3999).",
            "territories: tis_n (4 digits), type, from/until (existence), remark, and names: "
            "the dated name periods, each with its TIS-A code (tis_a), the 3-letter TIS-A-Ext "
            "and the names. A TIS-A code can change over time and be reused by another TIS-N.",
            "Names come from the TIS territory list; where the newer ISTIS extract (current "
            "entries only) is present it replaces the matching current name period and adds "
            "territories missing from the older list (marked with source).",
            "hierarchy: for each group, its direct members with membership dates.",
            f"countries in no group: {orphans}",
        ],
    }
    entries = [territories[code] for code in sorted(territories)]
    groups = [{"group": group, "members": members} for group, members in hierarchy.items()]
    write_json(out_dir / "territories.json", header, {"territories": entries, "hierarchy": groups})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source_dir", nargs="?", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not args.source_dir.is_dir():
        sys.exit(f"error: {args.source_dir} is not a directory")
    args.out.mkdir(parents=True, exist_ok=True)
    build_societies(args.source_dir, args.out)
    build_territories(args.source_dir, args.out)


if __name__ == "__main__":
    main()
