"""``exchange demo``: the README's main job, on an embedded SQLite store."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from exchange.cli.common import NodeContext, emit, json_option
from exchange.demo import sample_works

pass_node = click.make_pass_decorator(NodeContext)


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("exchange-demo"),
    show_default=True,
    help="Folder for the demo store and files (created if missing).",
)
@json_option
@pass_node
def demo(node: NodeContext, directory: Path) -> None:
    """Create a store in DIR and load the built-in sample repertoire into it.

    Running it again starts from a fresh demo store.

    \b
    Example:
      exchange demo --dir /tmp/exchange-demo
      exchange --db sqlite:////tmp/exchange-demo/exchange.db works list
    """
    directory.mkdir(parents=True, exist_ok=True)
    db_file = directory / "exchange.db"
    for stale in directory.glob("exchange.db*"):
        stale.unlink()
    url = f"sqlite:///{db_file}"
    store = node.store(require_schema=False, url=url)
    store.init()
    store.add_works((w, w.claims[0].source) for w in sample_works())
    rows = store.list_works()

    def human(out: Console) -> None:
        out.print(f"demo store: {db_file}")
        for r in rows:
            out.print(f"  work {r.id}: {r.title}  [{', '.join(r.sources)}]")
        out.print(f"try: exchange --db {url} works show 1")

    emit(node, {"store": url, "works": len(rows)}, human)
