"""``exchange works``: count, list, show and search the repertoire.

``works count`` must answer at once: this module imports only what it needs,
the other commands import theirs when they run.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

import click

from exchange.cli.common import NodeContext, emit, json_option
from exchange.errors import NotFound
from exchange.store import sqlite_reads

if TYPE_CHECKING:
    from rich.console import Console

    from exchange.model import Claim, Source
    from exchange.store.repertoire import WorkSummary

pass_node = click.make_pass_decorator(NodeContext)


@click.group()
def works() -> None:
    """Look at the works in the store.

    \b
    Example:
      exchange works count --json
      exchange works show T-034.524.680-1
    """


@works.command()
@json_option
@pass_node
def count(node: NodeContext) -> None:
    """How many works the store holds.

    \b
    Example:
      exchange works count --json      # {"works": 0}
    """
    url = node.store_url()
    total = sqlite_reads.count_works(url)
    if total is None:  # not a plain SQLite file: through SQLAlchemy
        total = node.store(url=url).count_works()
    emit(node, {"works": total}, lambda out: out.print(f"{total} works"))


def _summaries(node: NodeContext, rows: list[WorkSummary]) -> None:
    from rich.table import Table

    from exchange.identifiers import iswc as iswc_id

    def human(out: Console) -> None:
        table = Table("id", "ISWC", "title", "sources", box=None)
        for r in rows:
            table.add_row(
                str(r.id), iswc_id.format(r.iswc) if r.iswc else "", r.title, ", ".join(r.sources)
            )
        out.print(table)

    data = {
        "works": [
            {"id": r.id, "iswc": r.iswc, "title": r.title, "sources": r.sources} for r in rows
        ]
    }
    emit(node, data, human)


@works.command("list")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many works.")
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip this many first.")
@json_option
@pass_node
def list_(node: NodeContext, limit: int | None, offset: int) -> None:
    """List works by local id, with ISWC, title and the partners that sent them.

    \b
    Example:
      exchange works list --limit 20
    """
    _summaries(node, node.store().list_works(limit=limit, offset=offset))


@works.command()
@click.argument("text")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@json_option
@pass_node
def search(node: NodeContext, text: str, limit: int) -> None:
    """Find works whose title (or any alternate title) contains TEXT.

    Case, accents, punctuation and a leading article do not matter.

    \b
    Example:
      exchange works search "dancing queen"
    """
    _summaries(node, node.store().list_works(limit=limit, search=text))


def _shares(claim: Claim) -> str:
    from exchange.model import Right
    from exchange.shares import percentage

    return "/".join(percentage(claim.ownership.get(right)) for right in Right)


def _territories(claim: Claim) -> str:
    return " ".join(
        f"{'+' if t.include else '-'}{t.tis}"
        f"({t.collection.pr / 100:g}/{t.collection.mr / 100:g}/{t.collection.sr / 100:g})"
        for t in claim.territories
    )


def iswc_lines(state: dict[str, Any]) -> list[str]:
    """A work's ISWCs with their sources, its last submission and rejections (one a line).

    >>> iswc_lines({"iswcs": [{"iswc": "T9000000011", "status": "archived",
    ...     "preferred": "T9000000022", "source": {"partner": "ISWC-DB", "file": None,
    ...     "transaction": None}, "at": "2026-12-02T10:00:00+00:00"}],
    ...     "submission": None, "rejections": []})
    ['ISWC T-900.000.001-1 archived, merged into T-900.000.002-2 (from ISWC-DB)']
    """
    from exchange.identifiers import iswc as iswc_id

    lines = []
    for i in state["iswcs"]:
        source = i["source"] or {}
        where = " ".join(str(p) for p in (source.get("partner"), source.get("file")) if p)
        merged = f", merged into {iswc_id.format(i['preferred'])}" if i["preferred"] else ""
        lines.append(
            f"ISWC {iswc_id.format(i['iswc'])} {i['status']}{merged}"
            + (f" (from {where})" if where else "")
        )
    last = state["submission"]
    if last:
        lines.append(
            f"ISWC database: {last['method']} {last['outcome']} {last['submitted'][:16]}"
            f" (work code {last['workcode']}"
            + (f", in {last['file']} #{last['submission_id']})" if last.get("file") else ")")
        )
    lines += [f"  rejected {r['code']}: {r['message']}" for r in state["rejections"]]
    # the caller indents by 2: 80 columns in all
    return [part for line in lines for part in textwrap.wrap(line, 78, subsequent_indent="    ")]


def _on(source: Source) -> str:
    return f", {source.received_at:%Y-%m-%d}" if source.received_at else ""


@works.command()
@click.argument("key")
@json_option
@pass_node
def show(node: NodeContext, key: str) -> None:
    """Everything about one work: titles, numbers, claims with their sources, history.

    KEY is a local id, an ISWC (any form), or PARTNER:WORKNUMBER.

    \b
    Example:
      exchange works show 1
      exchange works show 058:SW0001234
    """
    from rich.markup import escape

    from exchange.cli.registrations import registration_line
    from exchange.identifiers import iswc as iswc_id
    from exchange.jsonview import source_view, work_view
    from exchange.textview import history_lines, message_line, said

    store = node.store()
    work = store.work_for(key)
    if work is None:
        raise NotFound(f"no work {key!r} in the store (give a local id, an ISWC or PARTNER:NUMBER)")
    history = store.history(work.id)
    registrations = store.registrations(work_id=work.id)
    in_iswc_database = store.iswc_state(work.id)

    def human(out: Console) -> None:
        out.print(f"[bold]{escape(work.title)}[/]  (work {work.id})", markup=True)
        out.print(
            f"ISWC {iswc_id.format(work.iswc) if work.iswc else '-'}  "
            f"version {work.version_type}  category {work.distribution_category}  "
            f"duration {work.duration or 0}s  language {work.language or '-'}"
        )
        for t in work.titles:
            out.print(f"  title {t.type}: {t.title}")
        for n in work.numbers:
            out.print(f"  number ({n.kind} {n.issuer}): {n.number}")
        out.print("claims:" if work.claims else "claims: none")
        for c in work.claims:
            ipi = f"  IPI {c.party.ipi_name_number}" if c.party.ipi_name_number else ""
            other = "" if c.controlled else " (not controlled)"
            out.print(f"  {c.role:<2}  {c.party.name}{ipi}{other}")
            collects = f"   collects {_territories(c)}" if c.territories else ""
            out.print(f"      own PR/MR/SR {_shares(c)}{collects}")
            if c.source:
                out.print(f"      {said(c.source)}{_on(c.source)}")
        for r in work.recordings:
            out.print(f"  recording {r.isrc or '-'} {r.title or ''} {r.label or ''}")
        for p in work.productions:
            title = p.production_title or p.library or ""
            isan = f" ISAN {p.isan}" if p.isan else ""
            out.print(f"  production {p.intended_purpose} {title}{isan}")
        for c in work.components:
            out.print(f"  component {c.iswc or '-'} {c.title}")
        for line in iswc_lines(in_iswc_database):
            out.print(f"  {line}")
        for reg in registrations:
            out.print(registration_line(reg))
            for m in reg.messages:
                out.print(f"    {message_line(m)}")
        out.print("history:")
        for line in history_lines(history):
            out.print(f"  {line}")

    data = {
        "work": work_view(work),
        "history": [
            {
                "entity": h.entity,
                "entity_id": h.entity_id,
                "action": h.action,
                "before": h.before,
                "source": source_view(h.source),
                "changed_at": h.changed_at,
            }
            for h in history
        ],
        "registrations": [r.as_dict() for r in registrations],
        "iswc_database": in_iswc_database,
    }
    emit(node, data, human)
