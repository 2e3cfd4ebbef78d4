"""ISWC JSON files (SPE_20191118 v1.6): submissions written, answers read, whole files judged.

Reading takes the bytes of a file and checks them, in this order, refusing
the whole file (:class:`IswcFileError`, each finding naming the JSON path and
the value) at the first step that fails:

1. size (:data:`MAX_FILE_BYTES`), UTF-8 (a byte-order mark is allowed);
2. JSON syntax, without duplicate keys or ``NaN``/``Infinity``, nesting no
   deeper than :data:`MAX_DEPTH`;
3. the project's JSON Schema (``schemas/iswc/iswc_schema.json``): the format
   says a file that fails its schema is rejected whole; at most
   :data:`MAX_FINDINGS` findings are listed.

What the schema cannot say is judged per transaction: an ISWC whose check
digit is wrong (IV/15) or a submission id used twice in a group drops that
transaction with a TR finding; the others are read.

Writing builds the file from records, checks it against the same schema (a
file that fails is never written: :class:`IswcWriteError`) and names it as the
format says (:mod:`adapters.iswc.naming`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jsonschema_rs

from adapters.iswc import json_records as jr
from adapters.iswc import vocabulary
from adapters.iswc.model import (
    Acknowledgement,
    FileHeader,
    IswcFileError,
    IswcWriteError,
    Notification,
    Submission,
    Transaction,
)
from adapters.iswc.naming import FROM_LOCAL_RANGE, json_file_name
from exchange.identifiers import iswc as iswc_id
from exchange.model import Finding

#: A JSON file larger than this is refused before it is parsed (a day's answers for a
#: large agency are a few megabytes).
MAX_FILE_BYTES = 64 * 1024 * 1024
#: Objects and arrays nested deeper than this are refused (the format nests 4 deep).
MAX_DEPTH = 32
#: Schema findings listed for a refused file; the rest are counted.
MAX_FINDINGS = 20
#: Schema errors counted past those listed (a file of garbage has millions).
MAX_COUNTED = 100_000
#: Values quoted in findings are cut to this many characters.
QUOTE_CHARS = 60

_ISWC_KEYS = frozenset({"iswc", "preferredIswc", "archivedIswc", "locallyAllocatedIswc"})
_ISWC_LISTS = frozenset({"disambiguateFrom", "mergeIswcs"})


@dataclass
class JsonFile:
    """An ISWC JSON file as read: its header, its records, and what was dropped."""

    header: FileHeader
    transactions: list[Transaction] = field(default_factory=list)
    acknowledgements: list[Acknowledgement] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    #: transactions dropped (TR), with the JSON path of what was wrong
    findings: list[Finding] = field(default_factory=list)


def _date_time(value: str) -> bool:
    try:
        jr.parse_time(value)
    except (ValueError, OverflowError):  # OverflowError: year 9999 at -23:59
        return False
    return True


@cache
def validator() -> jsonschema_rs.Draft202012Validator:
    """The schema's validator; ``date-time`` values must be real dates and times."""
    return jsonschema_rs.Draft202012Validator(
        vocabulary.schema(), validate_formats=True, formats={"date-time": _date_time}
    )


def quote(value: object) -> str:
    """A short, printable rendering of a value for a finding."""
    if isinstance(value, dict):
        return f"an object of {len(value)} fields"
    if isinstance(value, list):
        return f"an array of {len(value)} items"
    text = value if isinstance(value, str) else json.dumps(value)
    text = text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 3] + "..."


def json_path(parts: Iterable[object]) -> str:
    """``$.acknowledgements[3].preferredIswc`` from a path of keys and indexes."""
    out = "$"
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _refuse(name: str, what: str, findings: list[Finding] | None = None) -> IswcFileError:
    found = findings or [Finding("ER", what)]
    return IswcFileError(f"{name}: refused: {what}", found)


# -- parsing ----------------------------------------------------------------------------


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {quote(key)!r} appears twice in one object")
        out[key] = value
    return out


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _depth(document: object) -> int:
    """How deep arrays and objects nest (counted without recursion)."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        if not isinstance(children, list | type({}.values())):
            continue
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > MAX_DEPTH:
                    return depth + 1
                stack.append((child, depth + 1))
        deepest = max(deepest, depth)
    return deepest


def parse(data: bytes, name: str = "file") -> dict[str, Any]:
    """The document of an ISWC JSON file, checked against the schema, or IswcFileError."""
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(name, f"{len(data):,} bytes, more than the {MAX_FILE_BYTES:,} allowed")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        what = f"not UTF-8 text (byte {exc.start:,} is {data[exc.start]:#04x})"
        raise _refuse(name, what) from None
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise _refuse(
            name,
            f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            [Finding("ER", f"not JSON: {exc.msg} (column {exc.colno})", line=exc.lineno)],
        ) from None
    except (ValueError, RecursionError) as exc:  # duplicate keys, NaN, a 5,000-digit number
        raise _refuse(name, f"not accepted as JSON: {str(exc)[:200]}") from None
    if _depth(document) > MAX_DEPTH:
        raise _refuse(name, f"arrays or objects nested more than {MAX_DEPTH} deep")
    findings = schema_findings(document)
    if findings:
        raise _refuse(name, f"fails the ISWC JSON schema: {findings[0].message}", findings)
    return document


def schema_findings(document: object) -> list[Finding]:
    """What the schema says of a document, one ER finding per error (at most MAX_FINDINGS)."""
    findings: list[Finding] = []
    more = 0
    for error in validator().iter_errors(document):
        if len(findings) < MAX_FINDINGS:
            findings.append(_finding(error))
        elif more < MAX_COUNTED:
            more += 1
        else:
            break
    if more:
        counted = f"{more}" if more < MAX_COUNTED else f"at least {MAX_COUNTED}"
        findings.append(Finding("ER", f"and {counted} more schema errors"))
    return findings


def _finding(error: jsonschema_rs.ValidationError) -> Finding:
    path = json_path(error.instance_path)
    group = next((p for p in error.instance_path if isinstance(p, str)), None)
    return Finding(
        "ER", f"{path}: {_reason(error)}", record=group, field=path, value=quote(error.instance)
    )


def _reason(error: jsonschema_rs.ValidationError) -> str:
    """The schema error in words, without repeating a long value."""
    kind = type(error.kind).__name__
    detail = error.kind.as_dict()
    if kind == "Required":
        return f"missing {detail['property']}"
    if kind == "Enum":
        return "not one of " + ", ".join(map(str, detail["options"]))
    if kind == "Pattern":
        return f"does not match {detail['pattern']}"
    if kind == "AdditionalProperties":
        return "unknown field " + ", ".join(map(quote, detail["unexpected"]))
    if kind == "Type":
        return f"not of type {detail['types']}"
    if kind == "Format":
        return f"not a valid {detail['format']}"
    if kind in ("AnyOf", "OneOfNotValid", "OneOfMultipleValid"):
        rule = "/".join(map(str, list(error.schema_path)[-3:]))
        return f"fits none or several of the forms {rule} allows"
    return error.message[:200]


# -- reading ----------------------------------------------------------------------------


def _bad_iswcs(item: dict[str, Any], path: list[object]) -> Iterator[Finding]:
    """ISWCs with a wrong check digit. Answers may carry fields the schema does not name,
    of any type: an ISWC field that is not an ISWC is as wrong as a bad check digit."""
    for key, value in item.items():
        if key in ("derivedFromIswcs", "workInfo") and isinstance(value, list):
            for n, nested in enumerate(value):
                if isinstance(nested, dict):
                    yield from _bad_iswcs(nested, [*path, key, n])
            continue
        if key in _ISWC_LISTS:
            values = value if isinstance(value, list) else [value]
        elif key in _ISWC_KEYS:
            values = [value]
        else:
            continue
        for n, iswc in enumerate(values):
            if not (isinstance(iswc, str) and iswc_id.is_valid(iswc)):
                listed = key in _ISWC_LISTS and isinstance(value, list)
                where = json_path([*path, key, n] if listed else [*path, key])
                yield Finding(
                    "TR", f"{where}: the ISWC check digit does not match (IV/15)",
                    record=str(path[0]), field=where, value=quote(iswc), edit="IV/15",
                )  # fmt: skip


def read_json(data: bytes, name: str = "file") -> JsonFile:
    """Every group of an ISWC JSON file as records (IswcFileError if refused whole)."""
    document = parse(data, name)
    result = JsonFile(jr.header_from_json(document["fileHeader"]))
    readers = {g: (back, result.transactions) for g, _, _, back in jr.GROUPS}
    readers["acknowledgements"] = (jr.acknowledgement_from_json, result.acknowledgements)
    readers["notifications"] = (jr.notification_from_json, result.notifications)
    for group, (back, into) in readers.items():
        seen: set[int] = set()
        for n, item in enumerate(document.get(group, ())):
            problems = list(_bad_iswcs(item, [group, n]))
            if item["submissionId"] in seen:
                where = json_path([group, n, "submissionId"])
                problems.append(
                    Finding("TR", f"{where}: submission id used twice in {group}",
                            record=group, field=where, value=str(item["submissionId"]))
                )  # fmt: skip
            seen.add(item["submissionId"])
            if problems:
                result.findings.extend(problems)
            else:
                into.append(back(item))
    return result


# -- writing ----------------------------------------------------------------------------


def _document(header: FileHeader, groups: dict[str, list[dict[str, Any]]]) -> bytes:
    document = {"fileHeader": jr.header_to_json(header)}
    document.update({g: items for g, items in groups.items() if items})
    findings = schema_findings(document)
    if findings:
        raise IswcWriteError(
            "the file would fail the ISWC JSON schema: "
            + "; ".join(f"{f.message} ({f.value})" for f in findings[:3])
        )
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _named(header: FileHeader, descriptor: str | None) -> str:
    if header.receiver is None:
        raise IswcWriteError("a JSON file needs a receiving agency")
    return json_file_name(header.created, header.sender, header.receiver, descriptor)


def write_submissions(
    header: FileHeader, transactions: Iterable[Transaction], descriptor: str | None = None
) -> tuple[str, bytes]:
    """A submission file (name, bytes): every transaction in its group, in order.

    With the descriptor ``FromLocalRange`` the file may hold only additions
    with a locally allocated ISWC (SPE_20191118 2.3).
    """
    items = list(transactions)
    if descriptor == FROM_LOCAL_RANGE:
        for t in items:
            if not (isinstance(t, Submission) and t.transaction_type == "CAR"):
                raise IswcWriteError(f"a {FROM_LOCAL_RANGE} file holds only additions")
            if t.locally_allocated_iswc is None:
                raise IswcWriteError(
                    f"submission {t.submission_id}: no locally allocated ISWC in a "
                    f"{FROM_LOCAL_RANGE} file"
                )
    groups: dict[str, list[dict[str, Any]]] = {g: [] for g, _, _, _ in jr.GROUPS}
    ids: set[int] = set()
    for t in items:
        if t.submission_id in ids:
            raise IswcWriteError(f"submission id {t.submission_id} used twice in one file")
        ids.add(t.submission_id)
        groups[jr.group_of(t)].append(jr.transaction_to_json(t))
    return _named(header, descriptor), _document(header, groups)


def write_acknowledgements(
    header: FileHeader, acknowledgements: Iterable[Acknowledgement], descriptor: str | None = None
) -> tuple[str, bytes]:
    """An acknowledgement file (name, bytes), as the ISWC database answers a file."""
    items = [jr.acknowledgement_to_json(a) for a in acknowledgements]
    return _named(header, descriptor), _document(header, {"acknowledgements": items})


def write_notifications(
    header: FileHeader, notifications: Iterable[Notification], descriptor: str | None = None
) -> tuple[str, bytes]:
    """A notification file (name, bytes), as the ISWC database sends other agencies."""
    items = [jr.notification_to_json(n) for n in notifications]
    return _named(header, descriptor), _document(header, {"notifications": items})
