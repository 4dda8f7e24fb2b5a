"""Alembic environment: migrates the connection stsdesk.server.storage.migrate hands over."""

from __future__ import annotations

from alembic import context

from stsdesk.server.storage.schema import metadata


def run_migrations() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        # Only stsdesk.server.storage.migrate runs these migrations: it opens the database the
        # way the server does (pragmas, locks) and passes the connection in.
        raise RuntimeError(
            "Run the stsdesk migrations through stsdesk.server.storage.migrate (stsdesk serve "
            "does it on every start), not through the alembic command."
        )
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite alters tables by copying them; batch mode does that when a migration asks.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# Alembic sets context.config while it runs this file; a plain import (a layer check, a
# linter) only defines the function.
if hasattr(context, "config"):
    run_migrations()
