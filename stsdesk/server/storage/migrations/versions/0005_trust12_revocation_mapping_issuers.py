"""Revocation lists in the trust store, client certificates mapped to users, and trusted SAML
issuers (issue 12).

Three new tables; no existing table or row changes, so the downgrade only drops them.
Datetimes are stored naive in UTC (schema.UtcDateTime), as in 0001.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_trust12"
down_revision = "0004_sc_contexts"
branch_labels = None
depends_on = None

_NAME = 255
_URI = 1024


def upgrade() -> None:
    op.create_table(
        "revocation_lists",
        sa.Column("issuer_key", sa.String(64), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("crl_der", sa.LargeBinary(), nullable=False),
        sa.Column("this_update", sa.DateTime(), nullable=False),
        sa.Column("next_update", sa.DateTime(), nullable=True),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("issuer_key", name="pk_revocation_lists"),
    )
    op.create_table(
        "user_certificates",
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("certificate_der", sa.LargeBinary(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name="fk_user_certificates_user_id_users"),
        sa.PrimaryKeyConstraint("fingerprint", name="pk_user_certificates"),
    )
    op.create_index("ix_user_certificates_user_id", "user_certificates", ["user_id"])
    op.create_table(
        "trusted_saml_issuers",
        sa.Column("certificate_alias", sa.String(_NAME), nullable=False),
        sa.Column("issuer", sa.String(_URI), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_alias"], ["trusted_certificates.alias"], ondelete="CASCADE",
            name="fk_trusted_saml_issuers_certificate_alias_trusted_certificates"),
        sa.PrimaryKeyConstraint("certificate_alias", name="pk_trusted_saml_issuers"),
    )
    op.create_index("ix_trusted_saml_issuers_issuer", "trusted_saml_issuers", ["issuer"])


def downgrade() -> None:
    op.drop_index("ix_trusted_saml_issuers_issuer", table_name="trusted_saml_issuers")
    op.drop_table("trusted_saml_issuers")
    op.drop_index("ix_user_certificates_user_id", table_name="user_certificates")
    op.drop_table("user_certificates")
    op.drop_table("revocation_lists")
