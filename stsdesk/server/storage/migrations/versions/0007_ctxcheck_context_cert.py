"""security_contexts.certificate_der: the client certificate a context's bootstrap proved.

A context bootstrapped with an X.509 certificate (scenarios 9-11) stands for that certificate
(or the user it was mapped to) while it lives; the STS checks on each use that the certificate
is still trusted, valid and not revoked, and still mapped as it was. Nullable: a context
bootstrapped otherwise (a UsernameToken, anonymous) has none, and contexts from before this
revision keep the earlier rule until they expire.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_ctxcheck_context_cert"
down_revision = "0006_review_token_principal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite adds a nullable column in place (no table copy), so no batch mode is needed.
    # (The revision id stays within alembic_version's 32 characters.)
    op.add_column("security_contexts",
                  sa.Column("certificate_der", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("security_contexts") as batch:
        batch.drop_column("certificate_der")
