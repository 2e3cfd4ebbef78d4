"""The built-in sample partners and repertoire of ``exchange demo``.

A publisher (DMO) registers three works in CWR 2.1; a sister society (058)
registers one of them again in CWR 2.2 with its own claims. Names and titles
are invented; the identifiers are valid published examples.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from adapters.cwr.export import file_name
from adapters.cwr.file_writer import CwrWriter
from exchange.errors import ExchangeError
from exchange.model import (
    WORLD,
    Affiliation,
    Claim,
    InterestedParty,
    Recording,
    Right,
    Shares,
    Side,
    Source,
    TerritoryShare,
    Title,
    Work,
    WorkNumber,
)


def _writer(last: str, first: str, ipi: str | None, key: str, society: str) -> InterestedParty:
    return InterestedParty(
        last_name=last,
        first_name=first,
        ipi_name_number=ipi,
        key=key,
        affiliations=[Affiliation(society, Right.PR), Affiliation(society, Right.MR)],
    )


def _publisher(name: str, ipi: str | None, key: str, society: str) -> InterestedParty:
    return InterestedParty(
        last_name=name,
        ipi_name_number=ipi,
        is_legal_entity=True,
        key=key,
        affiliations=[Affiliation(society, Right.PR), Affiliation(society, Right.MR)],
    )


def _claims(writer: InterestedParty, publisher: InterestedParty, source: Source) -> list[Claim]:
    return [
        Claim(
            publisher,
            "E",
            Side.PUBLISHER,
            Shares(5000, 10000, 10000),
            [TerritoryShare(WORLD, True, Shares(5000, 10000, 10000))],
            chain=1,
            source=source,
        ),
        Claim(
            writer,
            "CA",
            Side.WRITER,
            Shares(5000, 0, 0),
            [TerritoryShare(WORLD, True, Shares(5000, 0, 0))],
            source=source,
        ),
    ]


def sample_works() -> list[Work]:
    """Three works as a publisher (code ``DMO``) registered them."""
    received = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)
    writer_a = _writer("ORCHARD", "MAIA", "00045620792", "W001", "052")
    writer_b = _writer("VALLANCE", "THEO", "00052210040", "W002", "058")
    publisher = _publisher("HARBOUR LIGHT MUSIC", "00334284961", "P001", "052")
    specs = [
        ("LANTERNS OVER THE BAY", "T0345246801", "DMO0001", writer_a, "EN", 214),
        ("QUAND LA MAREE MONTE", "T0101713147", "DMO0002", writer_b, "FR", 187),
        ("NORTHBOUND LINE", None, "DMO0003", writer_a, "EN", 242),
    ]
    works = []
    for seq, (title, iswc, number, writer, language, duration) in enumerate(specs):
        source = Source("DMO", "CW260001DMO_052.V21", seq, received, "NWR")
        work = Work(
            title=title,
            iswc=iswc,
            language=language,
            duration=duration,
            distribution_category="POP",
            titles=[Title(title.title(), "AT")] if seq == 0 else [],
            numbers=[WorkNumber("DMO", number)],
            claims=_claims(writer, publisher, source),
        )
        if seq == 0:
            work.recordings.append(
                Recording(
                    isrc="GBAYE2600001",
                    title=title,
                    duration=duration,
                    label="HARBOUR LIGHT RECORDS",
                    source=source,
                )
            )
        works.append(work)
    return works


def sister_work() -> Work:
    """The sister society 058 registers one of the same works (same ISWC), its own way."""
    source = Source("058", "CW260001058_052.V22", 0, datetime(2026, 1, 20, tzinfo=UTC), "NWR")
    writer = _writer("VALLANCE", "THEO", "00052210040", "W9", "058")
    publisher = _publisher("EDITIONS DU PHARE", "00014107338", "P9", "058")
    return Work(
        title="QUAND LA MAREE MONTE",
        iswc="T0101713147",
        language="FR",
        duration=187,
        distribution_category="POP",
        titles=[Title("WHEN THE TIDE COMES IN", "TT", "EN")],
        numbers=[WorkNumber("058", "SACEM-7781")],
        claims=_claims(writer, publisher, source),
    )


def write_inbox(inbox: Path) -> list[Path]:
    """The files two partners left for us: a publisher's CWR 2.1, a sister society's CWR 2.2."""
    inbox.mkdir(parents=True, exist_ok=True)
    created = datetime(2026, 1, 20, 8, 0, tzinfo=UTC)
    files = [
        ("DMO", "2.1", "334284961", "PB", "HARBOUR LIGHT", sample_works()),
        ("058", "2.2", "058", "SO", "SACEM", [sister_work()]),
    ]
    paths = []
    for code, version, sender, kind, sender_name, works in files:
        path = inbox / file_name(version, created, 1, code, "052")
        with path.open("wb") as fh:
            writer = CwrWriter(
                fh,
                version,
                sender=sender,
                sender_name=sender_name,
                sender_type=kind,
                created=created,
                encoding="latin-1",
                numbers_from=code,
            )
            for work in works:
                writer.add(work)
            writer.close()
        paths.append(path)
    return paths


def northbound_from_035() -> Work:
    """Society 035 registers NORTHBOUND LINE without ISWC, spelt its own way: a match."""
    source = Source("035", "CW260001035_052.V21", 0, datetime(2026, 1, 21, tzinfo=UTC), "NWR")
    writer = _writer("ORCHARD", "MAIA", "00045620792", "A1", "052")
    publisher = _publisher("HARBOUR LIGHT MUSIC", "00334284961", "B1", "052")
    return Work(
        title="Northbound Line",
        language="EN",
        duration=242,
        distribution_category="POP",
        numbers=[WorkNumber("035", "GEMA-20031")],
        claims=_claims(writer, publisher, source),
    )


# -- the whole story: three nodes exchanging through folders -------------------------

OURS, SISTERS = "052", ("058", "035")


def _node_config(home: Path, code: str, name: str, partners: dict[str, tuple[Path, Path]]) -> Path:
    """Write a node's exchange.toml: folder transports (inbox, outbox) per partner."""
    lines = [
        f'[node]\nsociety_code = "{code}"\nname = "{name}"\ndata_dir = "data"\n',
        f'[store]\nurl = "sqlite:///{(home / "exchange.db").resolve()}"\n',
    ]
    for partner, (inbox, outbox) in partners.items():
        lines.append(
            f'[[partners]]\ncode = "{partner}"\nname = "SOCIETY {partner}"\nsend = ["cwr22"]\n\n'
            f'[partners.transport]\nkind = "folder"\ninbox = "{inbox}"\noutbox = "{outbox}"\n'
        )
    home.mkdir(parents=True, exist_ok=True)
    path = home / "exchange.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def demo_nodes(directory: Path) -> dict[str, Path]:
    """Configurations of our node (052) and two sister societies (058, 035), whose
    files travel through ``directory/exchange/<from>-to-<to>`` folders."""

    def lane(source: str, target: str) -> Path:
        folder = directory / "exchange" / f"{source}-to-{target}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder.resolve()

    configs = {
        OURS: _node_config(
            directory / "our-node",
            OURS,
            "DEMO SOCIETY",
            {s: (lane(OURS, s), lane(s, OURS)) for s in SISTERS},
        )
    }
    for sister in SISTERS:
        configs[sister] = _node_config(
            directory / f"sister-{sister}",
            sister,
            f"SISTER SOCIETY {sister}",
            {OURS: (lane(sister, OURS), lane(OURS, sister))},
        )
    return configs


# -- one round with the ISWC database's stand-in -------------------------------------------

#: The stand-in's key, and the variable our demo node reads it from ([iswc] key_env).
DEMO_ISWC_KEY = "demo-subscription-key"
DEMO_ISWC_KEY_ENV = "EXCHANGE_DEMO_ISWC_KEY"
#: Where the stand-in of CISAC's ISWC database lives: the tests of a source tree.
STANDIN = Path(__file__).resolve().parents[1] / "tests" / "iswc_standin"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def iswc_standin(notifications: Path) -> Iterator[str]:
    """The stand-in of the ISWC database (``python -m tests.iswc_standin``) on a loopback
    port until the block ends, writing its CSN files under ``notifications``; its URL."""
    import subprocess
    import sys
    import time

    import httpx

    from exchange.subprocesses import end

    port = _free_port()
    command = [
        *(sys.executable, "-m", "tests.iswc_standin", "--port", str(port)),
        *("--key", DEMO_ISWC_KEY, "--rpm", "600", "--notifications", str(notifications)),
    ]
    process = subprocess.Popen(
        command, cwd=STANDIN.parents[1], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                error = (process.stderr.read() if process.stderr else b"").decode(errors="replace")
                raise ExchangeError(f"the ISWC database stand-in did not start: {error.strip()}")
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise ExchangeError("the ISWC database stand-in did not answer") from None
                time.sleep(0.1)
        yield url
    finally:
        end(process, 10)


def iswc_config(url: str, notifications: Path) -> str:
    """The [iswc] section of our demo node: the stand-in, its CSN files for us (052)."""
    return (
        f'\n[iswc]\nurl = "{url}"\nkey_env = "{DEMO_ISWC_KEY_ENV}"\n'
        f'requests_per_minute = 600\nnotification_folder = "{notifications / OURS}"\n'
    )
