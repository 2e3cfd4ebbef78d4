"""Alembic environment: runs the node's migrations on the connection the store hands over."""

from __future__ import annotations

from alembic import context

from exchange.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - the store always passes a connection
    raise RuntimeError("exchange migrations run through `exchange init`, not the alembic command")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
