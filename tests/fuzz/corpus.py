"""The files mutations start from: the real samples, and files generated in code."""

from __future__ import annotations

from tests.adapters.cwr.cwr_builder import CwrFile, change, valid_work
from tests.services import shared_dir

SAMPLE_SUFFIXES = (".v21", ".v22", ".txt", ".sub", ".isr")


def samples() -> list[tuple[str, bytes]]:
    """The real CWR and ACK files of the workplace's ``shared/data/samples`` (none if absent)."""
    folder = shared_dir() / "data" / "samples"
    if not folder.is_dir():
        return []
    return [
        (path.name, path.read_bytes())
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.suffix.lower() in SAMPLE_SUFFIXES
    ]


def generated() -> list[tuple[str, bytes]]:
    """Small valid CWR 2.1 and 2.2 files: several works, a revision, an ISWC notice."""
    seeds = []
    for version in ("2.1", "2.2"):
        cwr = CwrFile(version=version)
        for n in range(1, 4):
            cwr.add("NWR", valid_work(f"W{n:04}", f"FUZZ WORK {n}"))
        cwr.add("REV", change(valid_work("W0001", "FUZZ WORK 1"), "NWR", duration=300))
        suffix = "V21" if version == "2.1" else "V22"
        seeds.append(
            (f"CW260001PUB_052.{suffix}", ("\r\n".join(cwr.lines()) + "\r\n").encode("latin-1"))
        )
    return seeds


def seeds() -> list[tuple[str, bytes]]:
    """Every starting file, samples first; never empty."""
    return samples() + generated()
