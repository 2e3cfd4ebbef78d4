"""``exchange iswc``: our works in CISAC's ISWC database (docs/iswc.md)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Column, Table

from exchange.cli.common import NodeContext, emit, json_option
from exchange.config import ConfigError, IswcSettings
from exchange.errors import EXIT_FINDINGS
from exchange.identifiers import iswc as iswc_id
from exchange.iswc import repertoire, tasks
from exchange.iswc.client import IswcClient
from exchange.iswc.collect import collect
from exchange.store.iswc_works import ISWC_DATABASE

pass_node = click.make_pass_decorator(NodeContext)


def settings_of(node: NodeContext) -> IswcSettings:
    settings = node.config.iswc
    if settings is None:
        where = node.config.path or "the configuration"
        raise ConfigError(
            f"no [iswc] section in {where}: the node does not talk to the ISWC database"
        )
    return settings


def client_of(node: NodeContext) -> IswcClient:
    client = IswcClient.from_settings(settings_of(node), node.store())
    click.get_current_context().call_on_close(client.close)
    return client


def _iswc(value: str | None) -> str:
    return iswc_id.format(value) if value and iswc_id.is_valid(value) else (value or "-")


def _report_table(report: repertoire.Report) -> Table:
    table = Table("work", "code", "how", "outcome", "ISWC", "why", box=None)
    for w in report.works:
        why = w.message or ""
        if w.rejection:
            why = f"{w.rejection['code']} {w.rejection['message']}"
        table.add_row(
            str(w.work_id), w.workcode or "-", w.method or "", w.outcome, _iswc(w.iswc), why
        )
    return table


def _emit_report(
    node: NodeContext, report: repertoire.Report, verb: str, file: Path | None = None
) -> None:
    """The report; with ``file``, the submission file written (None: nothing to write)."""
    data = report.as_dict()
    if verb == "written":
        data["file"] = str(file) if file is not None else None

    def human(out: Console) -> None:
        counts = ", ".join(
            f"{report.count(o)} {o}"
            for o in (
                "accepted",
                "found",
                "pending",
                "rejected",
                "conflict",
                "not found",
                "unsendable",
            )  # fmt: skip
            if report.count(o)
        )
        out.print(
            f"{report.considered} works considered, {report.sent} {verb}, "
            f"{report.unchanged} unchanged" + (f"; {counts}" if counts else "")
        )
        if verb == "written":
            out.print(f"file: {file}" if file is not None else "no file written", markup=False)
        if report.works:
            out.print(_report_table(report))

    emit(node, data, human)
    if report.count("rejected") or report.count("unsendable"):
        raise SystemExit(EXIT_FINDINGS)


@click.group()
def iswc() -> None:
    """Our works in CISAC's ISWC database: submit, look up, workflow tasks, notifications.

    The [iswc] section of the configuration says where the database is (CISAC's
    test or production portal) and names the variable holding the key.

    \b
    Example:
      exchange iswc submit
      exchange iswc tasks list --json
    """


@iswc.command()
@click.option(
    "--file",
    "folder",
    metavar="DIR",
    type=click.Path(file_okay=False, dir_okay=True, writable=True, path_type=Path),
    help="Write the submissions as one ISWC JSON file in this folder instead of "
    "calling the API (the file route).",
)
@json_option
@pass_node
def submit(node: NodeContext, folder: Path | None) -> None:
    """Send our works without an ISWC from the database, or changed since our last
    submission, as batch adds and updates; keep the ISWCs and rejections answered.

    Our works are those a member of our agency has a claim on. A second run sends
    nothing for works that did not change. An ISWC other than the one a work holds
    opens an ISWC conflict (see `exchange conflicts list --type iswc`). Exit 1 when
    a work was rejected or could not be sent (the table says which and why).

    With --file the same works are written as one ISWC JSON submission file in
    DIR (named iswc_<UTC time>_315_<agency>.json, checked against the schema),
    for the ISWC database's SFTP route; [iswc] url is not needed. They stay
    pending until `exchange iswc sync` applies the file's acknowledgement.

    \b
    Example:
      exchange iswc submit
      exchange iswc submit --json
      exchange iswc submit --file outbox/iswc
    """
    store = node.store()
    if folder is not None:
        settings = settings_of(node)
        report, path = repertoire.write_file(
            store, folder, agency=settings.agency, source_db=settings.source_db
        )
        _emit_report(node, report, "written", path)
        return
    client = client_of(node)
    report = repertoire.submit(
        store, client, deadline_days=node.config.deadline_days(ISWC_DATABASE)
    )
    _emit_report(node, report, "sent")


@iswc.command()
@json_option
@pass_node
def lookup(node: NodeContext) -> None:
    """Ask the ISWC database the ISWCs of our works that have none, by our agency
    work codes, in batches; keep those found with their source.

    \b
    Example:
      exchange iswc lookup --json
    """
    store = node.store()
    client = client_of(node)
    report = repertoire.lookup(
        store, client, deadline_days=node.config.deadline_days(ISWC_DATABASE)
    )
    _emit_report(node, report, "searched")


@iswc.group("tasks")
def tasks_() -> None:
    """Workflow tasks: other agencies' changes to ISWCs of our works, to approve or reject.

    \b
    Example:
      exchange iswc tasks list
      exchange iswc tasks reject 12 --message "writer share wrong"
    """


def _task_lines(views: list[tasks.TaskView]) -> list[str]:
    """Two lines a task, for 80 columns: what and by whom; our work, when, conflicts."""
    lines = []
    for v in views:
        d = v.as_dict()
        work = d["work"]
        lines.append(
            f"task {d['id']}  {d['type']}  {d['status']}  by {d['originating_agency'] or '-'}"
            f"  ISWC {_iswc(d['iswc'])}"
        )
        what = "no work of ours" if work is None else f"work {work['id']} {work['title'] or ''}"
        when = (d["auto_approved_on"] or "-")[:10]
        conflicts = ", ".join(f"#{c['id']} {c['kind']}" for c in d["conflicts"]) or "none"
        lines.append(f"  {what.strip()}; approved on {when} if pending; conflicts: {conflicts}")
        if d["rejection"]:
            lines.append(f"  refused by the ISWC database: {v.task.rejection}")
    return lines


@tasks_.command("list")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["Outstanding", "Approved", "Rejected", "Cancelled"]),
    help="Only tasks in this status (repeat for several).",
)
@json_option
@pass_node
def tasks_list(node: NodeContext, statuses: tuple[str, ...]) -> None:
    """The workflow tasks assigned to our agency, with our work, the day the database
    approves a task left pending ([iswc] auto_approve_days) and the work's open conflicts.

    \b
    Example:
      exchange iswc tasks list --status Outstanding
    """
    days = settings_of(node).auto_approve_days
    views = tasks.list_tasks(node.store(), client_of(node), auto_approve_days=days,
                             statuses=statuses)  # fmt: skip

    def human(out: Console) -> None:
        out.print(f"{len(views)} workflow tasks")
        for line in _task_lines(views):
            out.print(line, markup=False)

    emit(node, {"tasks": [v.as_dict() for v in views]}, human)


def _decide(node: NodeContext, task_id: int, decision: str, message: str | None) -> None:
    days = settings_of(node).auto_approve_days
    view = tasks.decide(node.store(), client_of(node), task_id, decision, message,
                        auto_approve_days=days)  # fmt: skip
    data = view.as_dict()

    def human(out: Console) -> None:
        for line in _task_lines([view]):
            out.print(line, markup=False)

    emit(node, {"task": data}, human)
    if view.task.rejection is not None:
        raise SystemExit(EXIT_FINDINGS)


@tasks_.command("approve")
@click.argument("task_id", type=int)
@click.option("--message", help="A note for the other agency (at most 200 characters).")
@json_option
@pass_node
def tasks_approve(node: NodeContext, task_id: int, message: str | None) -> None:
    """Approve workflow task TASK_ID (the other agency's change stands).

    \b
    Example:
      exchange iswc tasks approve 12
    """
    _decide(node, task_id, "approve", message)


@tasks_.command("reject")
@click.argument("task_id", type=int)
@click.option("--message", help="Why (at most 200 characters).")
@json_option
@pass_node
def tasks_reject(node: NodeContext, task_id: int, message: str | None) -> None:
    """Reject workflow task TASK_ID (the database undoes the other agency's change).

    \b
    Example:
      exchange iswc tasks reject 12 --message "not our writer"
    """
    _decide(node, task_id, "reject", message)


@iswc.command("sync")
@click.option("--dry-run", is_flag=True, help="Say which files would be applied; change nothing.")
@json_option
@pass_node
def sync_(node: NodeContext, dry_run: bool) -> None:
    """Collect the ISWC database's notification files (ISWC JSON; EDI CSN, ACK, CSE)
    from [iswc] notification_partner or notification_folder, and apply them.

    Each file is in the ledger and applied once. A new or changed ISWC of a work we
    hold is ingested, a merge archives the old ISWC, a delete withdraws ours, another
    agency's update is noted in the work's history; a notification on a work we do
    not hold is recorded and skipped; a file that fails its schema is rejected whole.
    Exit 1 when a file was rejected or held rejected transactions.

    \b
    Example:
      exchange iswc sync
      exchange iswc sync --dry-run --json
    """
    settings_of(node)
    result = collect(node.store(), node.config, dry_run=dry_run)

    def human(out: Console) -> None:
        where = result.get("partner") or result.get("folder")
        out.print(f"{len(result['received'])} notification files from {where}")
        table = Table(Column("file", overflow="fold"), "state", "transactions",
                      Column("outcomes", overflow="fold"), box=None)  # fmt: skip
        for item in result["received"]:
            outcomes = ", ".join(
                f"{n} {o}" for o, n in sorted((item.get("statuses") or {}).items())
            )
            table.add_row(
                item["name"],
                str(item.get("state") or item.get("action") or "-")
                + (" before" if item.get("imported_before") else ""),
                str(item.get("transactions", "-")),
                outcomes or item.get("error", "") or "",
            )
        if result["received"]:
            out.print(table)
        for item in result["received"]:
            for f in item.get("findings") or ():
                out.print(f"  {item['name']}: {f.get('level')} {f.get('message')}")

    emit(node, result, human)
    rejecting = ("rejected", "refused", "failed")
    if any(i.get("state") in rejecting or i.get("rejected") for i in result["received"]):
        raise SystemExit(EXIT_FINDINGS)
