"""issued_tokens.user_id: whom a token was issued to, beside the subject name it carries.

A token issued to a federated subject (a trusted SAML issuer's), a Kerberos principal of
another realm or a certificate's subject carries a name that may also be a local user's; a
token presented back must stand for whom it was issued to. Nullable: records from before
this revision keep the earlier rule.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_review_token_principal"
down_revision = "0005_trust12"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite adds a nullable column in place (no table copy), so no batch mode is needed.
    op.add_column("issued_tokens", sa.Column("user_id", sa.String(255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issued_tokens") as batch:
        batch.drop_column("user_id")
