"""``exchange matches``: incoming works that may be works we hold, for a person to decide."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from exchange.cli.common import NodeContext, emit, json_option
from exchange.conflicts.lifecycle import operator
from exchange.matching.queue import MatchEntry, Matches

pass_node = click.make_pass_decorator(NodeContext)


def _service(node: NodeContext) -> Matches:
    config = node.config
    return Matches(node.store(), config.own_society, config.deadline_days)


@click.group()
def matches() -> None:
    """The review queue: incoming works that resemble a work of the store.

    An import merges a work with one it surely is (ISWC, work numbers, same
    title and writers) and keeps here those it only resembles, instead of
    creating a duplicate. A work that resembles one the same sender registered
    under another work number is stored as a work of its own and waits here as
    a possible duplicate (kind "duplicate"). Scores and thresholds: [matching]
    in the configuration.

    \b
    Example:
      exchange matches list
      exchange matches confirm 3
    """


@matches.command("list")
@click.option(
    "--status",
    type=click.Choice(["pending", "confirmed", "rejected", "all"]),
    default="pending",
    show_default=True,
    help="Which entries.",
)
@json_option
@pass_node
def list_(node: NodeContext, status: str) -> None:
    """List the queue: the incoming work, the work it may be, the score and why.

    A possible duplicate shows the work it was stored as ("stored as").

    \b
    Example:
      exchange matches list --json | jq '.matches[] | {id, score}'
    """
    found = _service(node).list(None if status == "all" else status)

    def human(out: Console) -> None:
        if not found:
            out.print("no matches waiting" if status == "pending" else "no matches")
            return
        table = Table("id", "score", "incoming (partner)", "may be work", "why", "status", box=None)
        for m in found:
            stored = f", stored as {m.work_id}" if m.kind == "duplicate" else ""
            table.add_row(
                str(m.id),
                str(m.score),
                f"{m.work.title} ({m.partner}{stored})",
                f"{m.candidate_id} {m.candidate_title or ''}",
                f"possible duplicate: {m.reason}" if stored else m.reason,
                m.status,
            )
        out.print(table)

    emit(node, {"matches": [m.as_dict() for m in found]}, human)


def _decided(node: NodeContext, entry: MatchEntry) -> None:
    said = f"match {entry.id}: {entry.status}, the registration is on work {entry.work_id}"
    emit(node, {"match": entry.as_dict()}, lambda out: out.print(said))


@matches.command()
@click.argument("match_id", type=int)
@json_option
@pass_node
def confirm(node: NodeContext, match_id: int) -> None:
    """The incoming work is the work it resembles: add the sender's registration to it.

    For a possible duplicate: the work it was stored as becomes part of the
    earlier work (numbers, titles, claims, recordings move there).

    \b
    Example:
      exchange matches confirm 3
    """
    _decided(node, _service(node).confirm(match_id, operator()))


@matches.command()
@click.argument("match_id", type=int)
@json_option
@pass_node
def reject(node: NodeContext, match_id: int) -> None:
    """The incoming work is another work: store it as a new work.

    For a possible duplicate: the two works stay as they are.

    \b
    Example:
      exchange matches reject 3
    """
    _decided(node, _service(node).reject(match_id, operator()))
