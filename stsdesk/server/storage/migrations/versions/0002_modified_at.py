"""users.modified_at and roles.modified_at (SCIM meta.lastModified); nullable: None = never changed."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite adds a nullable column in place (no table copy), so no batch mode is needed.
    op.add_column("users", sa.Column("modified_at", sa.DateTime(), nullable=True))
    op.add_column("roles", sa.Column("modified_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("roles") as batch:
        batch.drop_column("modified_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("modified_at")
