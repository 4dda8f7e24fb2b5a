"""Schema migrations (Alembic, shipped in the package): bring any stsdesk database to the head."""

from __future__ import annotations

import logging

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

__all__ = [
    "upgrade", "current_revision", "head_revision", "alembic_config", "SCRIPT_LOCATION",
    "LEGACY_REVISIONS",
]

log = logging.getLogger("stsdesk.server.storage")

# A package resource, so that an installed (non-editable) copy finds the scripts without an
# alembic.ini or a path relative to the working directory.
SCRIPT_LOCATION = "stsdesk.server.storage:migrations"

# Databases made before migrations existed carry no alembic_version row. What they hold tells
# which revision they match: the first release's tables, then the modified_at columns.
LEGACY_REVISIONS = ("0001", "0002")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration built in code; ``connection`` is the one to migrate."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # the package ships at least one revision
        raise RuntimeError("stsdesk ships no schema migrations; the installation is incomplete")
    return head


def current_revision(connection: Connection) -> str | None:
    """The revision the database is stamped with; None for an empty or pre-migration one."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> str | None:
    """Migrate the database behind ``connection`` to the head, inside its open transaction.

    An empty database gets every revision; one made before migrations existed is first stamped
    with the revision its tables match, so its data is upgraded in place, never rebuilt.
    Returns the revision the database had before (None if it was empty or unstamped).
    """
    config = alembic_config(connection)
    before = current_revision(connection)
    if before is None:
        legacy = _legacy_revision(connection)
        if legacy is not None:
            log.info("Adopting a database made before schema migrations (matches %s)", legacy)
            command.stamp(config, legacy)
    head = head_revision()
    if current_revision(connection) != head:
        log.info("Migrating the database schema to revision %s", head)
        command.upgrade(config, "head")
    return before


def _legacy_revision(connection: Connection) -> str | None:
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    if "config_state" not in tables:
        return None  # empty (or foreign): the migrations create everything
    columns = {c["name"] for c in inspector.get_columns("users")} if "users" in tables else set()
    return LEGACY_REVISIONS[1] if "modified_at" in columns else LEGACY_REVISIONS[0]
