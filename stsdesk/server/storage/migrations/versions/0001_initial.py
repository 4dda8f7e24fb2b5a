"""The schema as first released: configuration, keys, applications, users, nonces, tokens, audit.

Written out here rather than taken from schema.py, so that later changes to schema.py do not
change what this revision creates. Datetimes are stored naive in UTC (schema.UtcDateTime).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_NAME = 255
_URI = 1024


def upgrade() -> None:
    op.create_table(
        "config_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("signing_alias", sa.String(_NAME), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_config_state"),
    )
    op.create_table(
        "config_values",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_config_values"),
    )
    op.create_table(
        "trusted_certificates",
        sa.Column("alias", sa.String(_NAME), nullable=False),
        sa.Column("certificate_der", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("alias", name="pk_trusted_certificates"),
    )
    op.create_table(
        "signing_keys",
        sa.Column("alias", sa.String(_NAME), nullable=False),
        sa.Column("private_key_pem", sa.LargeBinary(), nullable=False),
        sa.Column("certificate_der", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("alias", name="pk_signing_keys"),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(_NAME), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("subject_claim_uri", sa.String(_URI), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_applications"),
        sa.UniqueConstraint("name", name="uq_applications_name"),
    )
    op.create_table(
        "application_claims",
        sa.Column("application_id", sa.String(36), nullable=False),
        sa.Column("claim_uri", sa.String(_URI), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("mandatory", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], ondelete="CASCADE",
            name="fk_application_claims_application_id_applications",
        ),
        sa.PrimaryKeyConstraint("application_id", "claim_uri", name="pk_application_claims"),
    )
    op.create_table(
        "relying_parties",
        sa.Column("application_id", sa.String(36), nullable=False),
        sa.Column("audience", sa.String(2048), nullable=False),
        sa.Column("certificate_alias", sa.String(_NAME), nullable=True),
        sa.Column("token_type", sa.String(16), nullable=False),
        sa.Column("key_type", sa.String(16), nullable=False),
        sa.Column("encrypt_token", sa.Boolean(), nullable=False),
        sa.Column("encryption_algorithm", sa.String(_URI), nullable=False),
        sa.Column("key_transport_algorithm", sa.String(_URI), nullable=False),
        sa.Column("signature_algorithm", sa.String(_URI), nullable=False),
        sa.Column("digest_algorithm", sa.String(_URI), nullable=False),
        sa.Column("token_lifetime_seconds", sa.Integer(), nullable=True),
        sa.Column("name_id_format", sa.String(_URI), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"], ["applications.id"], ondelete="CASCADE",
            name="fk_relying_parties_application_id_applications",
        ),
        sa.ForeignKeyConstraint(
            ["certificate_alias"], ["trusted_certificates.alias"], ondelete="RESTRICT",
            name="fk_relying_parties_certificate_alias_trusted_certificates",
        ),
        sa.PrimaryKeyConstraint("application_id", name="pk_relying_parties"),
        sa.UniqueConstraint("audience", name="uq_relying_parties_audience"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("username", sa.String(_NAME), nullable=False),
        sa.Column("password_hash", sa.String(_NAME), nullable=False),
        sa.Column("password_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "roles",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(_NAME), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_roles"),
        sa.UniqueConstraint("name", name="uq_roles_name"),
    )
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("role_id", sa.String(36), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE", name="fk_user_roles_user_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], ondelete="CASCADE", name="fk_user_roles_role_id_roles"
        ),
        sa.PrimaryKeyConstraint("user_id", "role_id", name="pk_user_roles"),
    )
    op.create_index("ix_user_roles_role_id", "user_roles", ["role_id"])
    op.create_table(
        "user_claims",
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("claim_uri", sa.String(_URI), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], ondelete="CASCADE", name="fk_user_claims_user_id_users"
        ),
        sa.PrimaryKeyConstraint("user_id", "claim_uri", name="pk_user_claims"),
    )
    op.create_table(
        "nonces",
        sa.Column("digest", sa.LargeBinary(32), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_nonces"),
    )
    op.create_index("ix_nonces_expires_at", "nonces", ["expires_at"])
    op.create_table(
        "issued_tokens",
        sa.Column("token_id", sa.String(_NAME), nullable=False),
        sa.Column("token_type", sa.String(16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("audience", sa.Text(), nullable=True),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("renew_allowed", sa.Boolean(), nullable=False),
        sa.Column("renew_after_expiry", sa.Boolean(), nullable=False),
        sa.Column("replaced_by", sa.String(_NAME), nullable=True),
        sa.PrimaryKeyConstraint("token_id", name="pk_issued_tokens"),
    )
    op.create_index("ix_issued_tokens_expires_at", "issued_tokens", ["expires_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(_NAME), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    for table in (
        "audit_log", "issued_tokens", "nonces", "user_claims", "user_roles", "roles", "users",
        "relying_parties", "application_claims", "applications", "signing_keys",
        "trusted_certificates", "config_values", "config_state",
    ):
        op.drop_table(table)
