"""Builds small CWR files in code for tests: records by field name, counts filled in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from adapters.cwr.layout import layouts
from adapters.cwr.records import codec_for

Rec = tuple[str, dict[str, object]]


def valid_work(number: str = "W0001", title: str = "A TEST WORK") -> list[Rec]:
    """One valid registration: publisher 50/100/100, writer 50/0/0, world."""
    return [
        (
            "NWR",
            {
                "work_title": title,
                "submitter_work_number": number,
                "iswc": "T0345246801",
                "musical_work_distribution_category": "POP",
                "duration": 215,
                "recorded_indicator": "U",
                "version_type": "ORI",
            },
        ),
        (
            "SPU",
            {
                "publisher_sequence": 1,
                "interested_party_number": "P01",
                "publisher_name": "TEST PUBLISHING",
                "publisher_type": "E",
                "ipi_name_number": "00334284961",
                "pr_society": "052",
                "pr_ownership_share": 5000,
                "mr_society": "052",
                "mr_ownership_share": 10000,
                "sr_ownership_share": 10000,
            },
        ),
        (
            "SPT",
            {
                "interested_party_number": "P01",
                "pr_collection_share": 5000,
                "mr_collection_share": 10000,
                "sr_collection_share": 10000,
                "inclusion_exclusion_indicator": "I",
                "tis_code": "2136",
                "territory_sequence": 1,
            },
        ),
        (
            "SWR",
            {
                "interested_party_number": "W01",
                "writer_last_name": "WRITER",
                "writer_first_name": "TEST",
                "writer_designation_code": "CA",
                "ipi_name_number": "00014107338",
                "pr_society": "052",
                "pr_ownership_share": 5000,
            },
        ),
        (
            "SWT",
            {
                "interested_party_number": "W01",
                "pr_collection_share": 5000,
                "inclusion_exclusion_indicator": "I",
                "tis_code": "2136",
                "territory_sequence": 1,
            },
        ),
        (
            "PWR",
            {
                "publisher_ip_number": "P01",
                "publisher_name": "TEST PUBLISHING",
                "writer_ip_number": "W01",
                "publisher_sequence": 1,
            },
        ),
    ]


def change(records: list[Rec], record_type: str, **values: object) -> list[Rec]:
    """A copy with fields of the first record of a type changed."""
    out, done = [], False
    for kind, fields in records:
        if kind == record_type and not done:
            fields = {**fields, **values}
            done = True
        out.append((kind, fields))
    assert done, record_type
    return out


@dataclass
class CwrFile:
    version: str = "2.1"
    sender: str = "PUB"
    groups: dict[str, list[list[Rec]]] = field(default_factory=dict)

    def add(self, group: str, transaction: list[Rec]) -> CwrFile:
        self.groups.setdefault(group, []).append(transaction)
        return self

    def _line(self, kind: str, values: Mapping[str, object]) -> str:
        """The record line; fields the version does not have (e.g. 2.2-only) are left out."""
        codec = codec_for(self.version, kind)
        return codec.encode({k: v for k, v in values.items() if k in codec.index})

    def lines(self) -> list[str]:
        header = {
            "sender_type": "PB",
            "sender_id": 199,
            "sender_name": "TEST SENDER",
            "edi_standard_version": "01.10",
            "creation_date": "20260101",
            "creation_time": "120000",
            "transmission_date": "20260101",
        }
        if self.version == "2.2":
            header.update(version="2.2", revision=1)
        lines = [self._line("HDR", header)]
        total_tx = 0
        for gid, (group, transactions) in enumerate(self.groups.items(), start=1):
            start = len(lines)
            version_number = "02.10" if self.version == "2.1" else "02.20"
            lines.append(
                self._line(
                    "GRH",
                    {"transaction_type": group, "group_id": gid, "version_number": version_number},
                )
            )
            for seq, records in enumerate(transactions):
                for rseq, (kind, values) in enumerate(records):
                    if rseq == 0 and group in ("NWR", "REV", "ISW") and kind in ("NWR", "REV"):
                        kind = group  # the work header takes its group's transaction type
                    lines.append(
                        self._line(
                            kind, {**values, "transaction_sequence": seq, "record_sequence": rseq}
                        )
                    )
            total_tx += len(transactions)
            lines.append(
                self._line(
                    "GRT",
                    {
                        "group_id": gid,
                        "transaction_count": len(transactions),
                        "record_count": len(lines) - start + 1,
                    },
                )
            )
        lines.append(
            self._line(
                "TRL",
                {
                    "group_count": len(self.groups),
                    "transaction_count": total_tx,
                    "record_count": len(lines) + 1,
                },
            )
        )
        return lines

    def write(self, folder: Path, name: str | None = None) -> Path:
        ext = "V21" if self.version == "2.1" else "V22"
        path = folder / (name or f"CW260001{self.sender}_052.{ext}")
        path.write_bytes(("\r\n".join(self.lines()) + "\r\n").encode("latin-1"))
        return path


def put(
    lines: list[str], record_type: str, field_name: str, text: str, version: str = "2.1"
) -> tuple[list[str], int]:
    """A copy of ``lines`` with ``text`` over the start of a field of the first record of a
    type (the rest of the field kept), and that record's line number (1-based)."""
    f = layouts(version)[record_type].field(field_name)
    out = list(lines)
    for i, line in enumerate(out):
        if line.startswith(record_type):
            out[i] = line[: f.offset] + text + line[f.offset + len(text) :]
            return out, i + 1
    raise KeyError(record_type)


def write_lines(path: Path, lines: list[str], encoding: str = "latin-1") -> Path:
    """Lines written as a CWR file (CR/LF)."""
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def numbered_works(count: int) -> CwrFile:
    """A file of ``count`` distinct new works (W000000, W000001...), without ISWCs."""
    cwr = CwrFile()
    for i in range(count):
        cwr.add("NWR", change(valid_work(f"W{i:06d}", f"WORK NUMBER {i}"), "NWR", iswc=""))
    return cwr
