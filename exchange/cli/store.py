"""``exchange init``: create or upgrade the store."""

from __future__ import annotations

import click

from exchange.cli.common import NodeContext, emit, json_option

pass_node = click.make_pass_decorator(NodeContext)


@click.command()
@json_option
@pass_node
def init(node: NodeContext) -> None:
    """Create the store, or upgrade it to the newest schema. Safe to run again.

    \b
    Example:
      exchange --db sqlite:///repertoire.db init
      exchange --db postgresql+psycopg://exchange@db:5432/repertoire init --json
    """
    store = node.store(require_schema=False)
    before, after = store.init()
    changed = before != after
    url = store.engine.url.render_as_string(hide_password=True)

    def human(out: object) -> None:
        if changed:
            node.info(f"store {url}: schema {before or 'empty'} -> {after}")
        else:
            node.info(f"store {url}: schema already at {after}, nothing to do")

    emit(node, {"store": url, "before": before, "revision": after, "changed": changed}, human)
