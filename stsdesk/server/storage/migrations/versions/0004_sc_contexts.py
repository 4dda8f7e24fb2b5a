"""security_contexts: WS-SecureConversation contexts shared by every node of a cluster."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_sc_contexts"
down_revision = "0003"
branch_labels = None
depends_on = None

_NAME = 255


def upgrade() -> None:
    op.create_table(
        "security_contexts",
        sa.Column("identifier", sa.String(_NAME), nullable=False),
        sa.Column("key_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("user_id", sa.String(_NAME), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("identifier", name="pk_security_contexts"),
    )
    op.create_index("ix_security_contexts_expires_at", "security_contexts", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_security_contexts_expires_at", table_name="security_contexts")
    op.drop_table("security_contexts")
