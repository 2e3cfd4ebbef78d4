"""A placeholder IPI (``00000000000``, zeros, blanks) is no identity: real files and the store.

Senders write zeros as the IPI name number of the writers and publishers they
do not control (OWR, OPU) and of some they do (SWR, SPU). Each such party is
identified by what is left (the sender's key, else the work, side and name),
never merged with another party because both carry the placeholder.
"""

from __future__ import annotations

from pathlib import Path

from adapters.cwr.layout import layouts
from exchange.cwr_import import CwrImporter
from exchange.identifiers import ipi_name
from exchange.normalise import normalise_name
from exchange.store import Store, tables
from tests.adapters.cwr_builder import CwrFile, Rec
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
        rows = conn.execute(
            tables.claims.select().with_only_columns(tables.claims.c.side, tables.claims.c.party_id)
        ).all()
    found: dict[str, set[int]] = {}
    for side, pid in rows:
        found.setdefault(side, set()).add(pid)
    return {side: len(ids) for side, ids in found.items()}


def test_the_file_is_clean_as_the_standard_reads_it() -> None:
    cwr, writers, publishers = placeholder_file(20)
    assert writers > 10 and publishers > 5
    assert all(len(line) >= 19 for line in cwr.lines())
    assert layouts("2.1")  # the builder's layouts


def test_a_clean_file_with_placeholder_ipis_opens_no_conflict(
    store: Store, tmp_path: Path
) -> None:
    cwr, writers, publishers = placeholder_file()
    path = cwr.write(tmp_path)
    report = CwrImporter(store).import_file(path)
    assert report.rejected == 0, [f.as_dict() for f in report.findings if f.level != "FR"][:5]
    assert "CO" not in report.statuses, report.statuses
    assert report.conflicts_opened == 0
    assert report.works_created == 200
    assert parties_by_side(store) == {"writer": writers, "publisher": publishers}
    with store.connect() as conn:
        ipis = conn.execute(tables.parties.select()).all()
    assert not any(row.ipi_name_number and not row.ipi_name_number.strip("0") for row in ipis)
    assert row_counts(store, conflicts=tables.conflicts) == {"conflicts": 0}
    assert normalise_name("x") == "X"
