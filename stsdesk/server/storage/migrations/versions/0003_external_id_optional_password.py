"""users.external_id and roles.external_id (SCIM externalId), and an optional password
(users.password_hash nullable).

Provisioning services (Microsoft Entra ID, Okta) create users without a password; such a user
exists and cannot sign in until a password is set.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_NAME = 255


def upgrade() -> None:
    op.add_column("users", sa.Column("external_id", sa.String(_NAME), nullable=True))
    op.add_column("roles", sa.Column("external_id", sa.String(_NAME), nullable=True))
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("users", "password_hash", existing_type=sa.String(_NAME), nullable=True)
        return
    # SQLite cannot drop a NOT NULL constraint in place, and batch mode's table copy would drop
    # the old users table: with foreign keys on (they are, and the migration runs inside a
    # transaction, where that pragma cannot be changed) dropping it cascades to user_roles and
    # user_claims and deletes every role membership and claim. A nullable copy of the column
    # replaces the old one instead (ALTER TABLE DROP/RENAME COLUMN, SQLite 3.35+), so the table
    # and every row referring to it stay where they are.
    op.add_column("users", sa.Column("password_hash_new", sa.String(_NAME), nullable=True))
    op.execute("UPDATE users SET password_hash_new = password_hash")
    op.drop_column("users", "password_hash")
    op.alter_column("users", "password_hash_new", new_column_name="password_hash")


def downgrade() -> None:
    # An older release needs a password for every user: refuse rather than invent one.
    missing = op.get_bind().execute(
        sa.text("SELECT count(*) FROM users WHERE password_hash IS NULL")
    ).scalar()
    if missing:
        raise RuntimeError(
            f"{missing} user(s) have no password; set one for each before downgrading, since "
            "older releases require a password for every user."
        )
    if op.get_bind().dialect.name == "sqlite":
        # As in upgrade: a NOT NULL copy of the column (a default is needed to add one to a
        # table that has rows; no row keeps it) replaces the nullable one.
        op.add_column("users", sa.Column("password_hash_old", sa.String(_NAME), nullable=False,
                                         server_default=""))
        op.execute("UPDATE users SET password_hash_old = password_hash")
        op.drop_column("users", "password_hash")
        op.alter_column("users", "password_hash_old", new_column_name="password_hash")
    else:
        op.alter_column("users", "password_hash", existing_type=sa.String(_NAME), nullable=False)
    op.drop_column("users", "external_id")
    op.drop_column("roles", "external_id")
