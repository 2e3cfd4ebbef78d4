"""``exchange conflicts``: the disputed claims staff work on, and their reports."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from exchange.cli.common import LazyChoice, NodeContext, console, emit, json_option
from exchange.conflicts.lifecycle import Conflicts, operator
from exchange.errors import EXIT_USAGE, ExchangeError
from exchange.shares import percent
from exchange.store.conflicts import KINDS, OUTCOMES, STATUSES, Conflict

pass_node = click.make_pass_decorator(NodeContext)


def _service(node: NodeContext) -> Conflicts:
    return Conflicts(node.store(), node.config.deadline_days)


def _pct(value: int | None) -> str:
    return "" if value is None else percent(value)


def _table(found: list[Conflict]) -> Table:
    table = Table(
        "id", "type", "status", "work", "right", "territory", "total", "excess", "partners",
        "deadline", box=None,
    )  # fmt: skip
    for c in found:
        deadline = c.deadline.date().isoformat() if c.deadline else ""
        if c.overdue():
            deadline += " OVERDUE"
        table.add_row(
            str(c.id),
            c.kind,
            c.status,
            f"{'-' if c.work_id is None else c.work_id} {c.work_title or ''}".strip(),
            c.right or "",
            c.territory or "",
            _pct(c.total),
            _pct(c.excess),
            ", ".join(c.partners),
            deadline,
        )
    return table


@click.group()
def conflicts() -> None:
    """Disputed claims: overclaims, counterclaims, ISWC and identity conflicts.

    \b
    Example:
      exchange conflicts list --status open --overdue
      exchange conflicts report --format xlsx -o conflicts.xlsx
    """


_type_option = click.option(
    "--type", "kind", type=click.Choice(KINDS), help="Only conflicts of this type."
)
_overdue_option = click.option(
    "--overdue", is_flag=True, help="Only unresolved conflicts past their deadline."
)


@conflicts.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only conflicts in this state.")
@click.option("--partner", metavar="CODE", help="Only conflicts involving this partner.")
@_type_option
@_overdue_option
@json_option
@pass_node
def list_(
    node: NodeContext, status: str | None, partner: str | None, kind: str | None, overdue: bool
) -> None:
    """List conflicts (shares in hundredths of a percent in --json).

    \b
    Example:
      exchange conflicts list --partner 058
      exchange conflicts list --overdue --json | jq '.conflicts[].id'
    """
    found = _service(node).list(status=status, partner=partner, kind=kind, overdue=overdue)

    def human(out: Console) -> None:
        out.print(_table(found) if found else "no conflicts")

    emit(node, {"conflicts": [c.as_dict() for c in found]}, human)


@conflicts.command()
@click.argument("conflict_id", type=int)
@json_option
@pass_node
def show(node: NodeContext, conflict_id: int) -> None:
    """One conflict: the claims involved with their sources, and its history.

    \b
    Example:
      exchange conflicts show 12
    """
    conflict, history = _service(node).get(conflict_id)

    def human(out: Console) -> None:
        out.print(_table([conflict]))
        if conflict.detail.get("message"):
            out.print(conflict.detail["message"])
        claims = Table("party", "IPI", "role", "own PR/MR/SR", "source", box=None)
        for claim in conflict.claims:
            own = claim["ownership"]
            source = claim.get("source") or {}
            claims.add_row(
                claim["party"]["name"],
                claim["party"].get("ipi_name_number") or "",
                claim["role"],
                "/".join(_pct(own[r]) for r in ("pr", "mr", "sr")),
                f"{source.get('partner', '')} {source.get('file') or ''}"
                f"#{source.get('transaction', '')}",
            )
        if conflict.claims:
            out.print(claims)
        for event in history:
            line = f"  {event['at'][:16]} {event['status']}"
            if event["outcome"]:
                line += f" ({event['outcome']})"
            line += f" by {event['by']}"
            if event["note"]:
                line += f": {event['note']}"
            out.print(line)

    data = {**conflict.as_dict(), "detail": conflict.detail, "claims": conflict.claims}
    emit(node, {"conflict": data, "history": history}, human)


@conflicts.command()
@click.argument("conflict_id", type=int)
@click.option(
    "--status",
    required=True,
    type=click.Choice(["notified", "documents_requested"]),
    help="The step the conflict has reached.",
)
@click.option("--note", help="Why, or what was sent.")
@json_option
@pass_node
def mark(node: NodeContext, conflict_id: int, status: str, note: str | None) -> None:
    """Record a step of a conflict: the partners were notified, documents were requested.

    \b
    Example:
      exchange conflicts mark 12 --status notified --note "report sent to 058 and 035"
    """
    conflict = _service(node).mark(conflict_id, status, note, operator())
    emit(
        node,
        {"conflict": conflict.as_dict()},
        lambda out: out.print(f"conflict {conflict.id}: {conflict.status}"),
    )


@conflicts.command()
@click.argument("conflict_id", type=int)
@click.option("--outcome", required=True, type=click.Choice(OUTCOMES), help="How it was settled.")
@click.option("--note", help="Why (kept in the conflict's history).")
@json_option
@pass_node
def resolve(node: NodeContext, conflict_id: int, outcome: str, note: str | None) -> None:
    """Settle a conflict, changing the claims it settles.

    withdrawn: the claims of the partner that brought the conflict in are
    removed (an ISWC it gave is dropped). upheld: its claims stand and the other
    claims involved are removed (an ISWC it gave replaces ours). amended: the
    partners corrected their registrations; nothing else changes. Removed claims
    stay in the work's history.

    \b
    Example:
      exchange conflicts resolve 12 --outcome withdrawn --note "058 withdrew, letter of 2026-03-02"
    """
    conflict, closed = _service(node).resolve(conflict_id, outcome, note, operator())
    said = f"conflict {conflict.id}: resolved ({outcome})"
    if closed:
        said += f"; its claims no longer conflict, so also closed: {', '.join(map(str, closed))}"
    data = {"conflict": conflict.as_dict(), "closed": closed}
    emit(node, data, lambda out: out.print(said))


def _report_formats() -> list[str]:
    from exchange.conflicts.reports import FORMATS  # and the HTML templates' engine

    return [*FORMATS, "mwn"]


@conflicts.command()
@click.option(
    "--format",
    "fmt",
    required=True,
    type=LazyChoice(_report_formats),
    help="Report format (mwn: a DDEX ConflictNotification message).",
)
@click.option("--partner", metavar="CODE", help="Only conflicts involving this partner.")
@click.option("--status", type=click.Choice(STATUSES), help="Only conflicts in this state.")
@_type_option
@_overdue_option
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The report file to write.",
)
@json_option
@pass_node
def report(
    node: NodeContext,
    fmt: str,
    partner: str | None,
    status: str | None,
    kind: str | None,
    overdue: bool,
    output: Path,
) -> None:
    """Write a report of conflicts, grouped by conflict.

    HTML is one self-contained file laid out as the console's Conflicts page:
    one card per dispute, the claims side by side per source (partner, file,
    date) with their shares and the total past 100 %, the deadline, the history.
    CSV, XLSX and JSON have one row (object) per claim involved: each gives
    the work (id, ISWC, titles, work numbers), the conflict (type, right,
    territory, totals and excess, status, opened, deadline), the party (name,
    IPI numbers, role, society), its shares and the source of the claim. XLSX
    has one sheet per conflict type.

    mwn writes the unresolved conflicts as a DDEX MWN ConflictNotification for
    the partner (every claim on each work in conflict, the conflicting right
    shares grouped), validated against the MWN 1.3 schema when [ddex]
    schema_dir is set.

    \b
    Example:
      exchange conflicts report --format xlsx --partner 058 -o conflicts-058.xlsx
      exchange conflicts report --format html -o conflicts.html
      exchange conflicts report --format csv --type overclaim --overdue -o late.csv
      exchange conflicts report --format mwn --partner 058 -o MWNC_052_058.xml
    """
    from exchange.conflicts.reports import report_rows, write_report

    service = _service(node)
    found = service.list(status=status, partner=partner, kind=kind, overdue=overdue)
    if fmt == "mwn":
        _notify(node, found, partner, output)
        return
    disputes = service.disputes(found)
    try:
        write_report(disputes, output, fmt)
    except OSError as exc:
        raise ExchangeError(f"cannot write {output}: {exc.strerror}", EXIT_USAGE) from None
    rows = len(report_rows(disputes))
    data = {"path": str(output), "conflicts": len(found), "rows": rows}
    emit(node, data, lambda out: out.print(f"{output}: {len(found)} conflicts, {rows} rows"))


def _notify(node: NodeContext, found: list[Conflict], partner: str | None, output: Path) -> None:
    from exchange.exports.mwn import MwnWriter

    writer = MwnWriter(node.store(), node.config, partner)
    try:
        written = writer.conflicts(found, output)
    except OSError as exc:
        raise ExchangeError(f"cannot write {output}: {exc.strerror}", EXIT_USAGE) from None
    if written is None:
        data = {"path": None, "conflicts": 0, "works": 0, "validated": False}
        emit(
            node,
            data,
            lambda out: out.print("no unresolved conflict on right shares: nothing written"),
        )
        return
    data = {**written.as_dict(), "conflicts": sum(c.status != "resolved" for c in found)}
    note = "" if written.validated else " (not validated: no [ddex] schema_dir)"
    emit(node, data, lambda out: out.print(f"{output}: {written.works} works in conflict{note}"))


@conflicts.command()
@json_option
@pass_node
def detect(node: NodeContext) -> None:
    """Look for conflicts over the whole store: every work more than one partner
    registered, and every ISWC held by more than one work. Conflicts found before
    are updated, not opened twice.

    \b
    Example:
      exchange conflicts detect --json
    """
    service = _service(node)
    if not node.json and not node.quiet:
        console(stderr=True).print("looking for conflicts...")
    result = service.detect()

    def human(out: Console) -> None:
        kinds = ", ".join(f"{n} {k}" for k, n in sorted(result.by_kind.items())) or "none"
        out.print(
            f"{result.works_checked} shared works checked: {result.conflicts_found} conflicts "
            f"({kinds}), {result.conflicts_opened} new"
        )

    emit(node, result.as_dict(), human)
