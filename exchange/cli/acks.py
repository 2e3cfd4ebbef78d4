"""``exchange ack``: answer received CWR files with ACK files."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from exchange.cli.common import NodeContext, emit, json_option
from exchange.errors import EXIT_USAGE, ExchangeError
from exchange.exports.acks import AckResult, AckWriter

pass_node = click.make_pass_decorator(NodeContext)


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--partner", metavar="CODE", help="The sender's code (else taken from the file name or header)."
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the ACK files (created if missing).",
)
@json_option
@pass_node
def ack(node: NodeContext, files: tuple[Path, ...], partner: str | None, output: Path) -> None:
    """Write the ACK file that answers each received CWR file.

    A file not imported yet is imported first. The ACK, named
    CWyynnnnsss_rrr.V2x with our society code as sender, holds one ACK
    transaction per received NWR, REV or AGR: its status (AS accepted, AC
    accepted with changes, RJ rejected, CO conflict, DU duplicate, NP no
    participation), our work number, and an MSG record per finding, followed by
    the transaction as we processed it (and an EXC for a conflict). ISWCs the
    sender did not give are notified in an ISW group. A file rejected as a
    whole is answered with one ACK for its header.

    \b
    Example:
      exchange --config node.toml ack inbox/CW260001PUB_052.V21 -o outbox
      exchange ack --json inbox/*.V22 -o outbox | jq '.files[].statuses'
    """
    writer = AckWriter(node.store(), node.config, partner)
    results: list[AckResult] = []
    errors: list[dict[str, str]] = []
    for path in files:
        try:
            results.append(writer.write(path, output))
        except ExchangeError as exc:
            errors.append({"file": str(path), "error": str(exc)})

    def human(out: Console) -> None:
        for r in results:
            statuses = ", ".join(f"{n} {s}" for s, n in sorted(r.statuses.items())) or "nothing"
            line = f"{r.path}  answers {r.answers}: {r.transactions} ACK ({statuses})"
            if r.iswc_notifications:
                line += f", {r.iswc_notifications} ISWC notifications"
            out.print(line)
        for e in errors:
            out.print(f"error: {e['file']}: {e['error']}")

    emit(node, {"files": [r.as_dict() for r in results] + errors}, human)
    if errors:
        raise SystemExit(EXIT_USAGE)
