"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 01:23:37.471302
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from selfauth.storage.tables import UTCDateTime

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clients",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=140), nullable=True),
        sa.Column("app_type", sa.String(length=32), nullable=True),
        sa.Column("is_first_party", sa.Boolean(), nullable=False),
        sa.Column("callbacks", Json, nullable=False),
        sa.Column("allowed_origins", Json, nullable=False),
        sa.Column("web_origins", Json, nullable=False),
        sa.Column("allowed_logout_urls", Json, nullable=False),
        sa.Column("grant_types", Json, nullable=False),
        sa.Column("token_endpoint_auth_method", sa.String(length=32), nullable=False),
        sa.Column("client_metadata", Json, nullable=False),
        sa.Column("secret_hash", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_clients")),
    )
    op.create_table(
        "connections",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("display_name", sa.String(length=128), nullable=True),
        sa.Column("strategy", sa.String(length=32), nullable=False),
        sa.Column("options", Json, nullable=False),
        sa.Column("realms", Json, nullable=False),
        sa.Column("metadata", Json, nullable=False),
        sa.Column("is_domain_connection", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connections")),
        sa.UniqueConstraint("name", name=op.f("uq_connections_name")),
    )
    op.create_table(
        "resource_servers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("identifier", sa.String(length=600), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scopes", Json, nullable=False),
        sa.Column("token_lifetime", sa.Integer(), nullable=False),
        sa.Column("signing_alg", sa.String(length=16), nullable=False),
        sa.Column("allow_offline_access", sa.Boolean(), nullable=False),
        sa.Column(
            "skip_consent_for_verifiable_first_party_clients",
            sa.Boolean(),
            nullable=False,
        ),
        sa.Column("is_system", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_servers")),
        sa.UniqueConstraint("identifier", name=op.f("uq_resource_servers_identifier")),
    )
    op.create_table(
        "server_secrets",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_secrets")),
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=16), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("public_jwk", Json, nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )
    op.create_table(
        "client_grants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("audience", sa.String(length=600), nullable=False),
        sa.Column("scope", Json, nullable=False),
        sa.ForeignKeyConstraint(
            ["audience"],
            ["resource_servers.identifier"],
            name=op.f("fk_client_grants_audience_resource_servers"),
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.client_id"],
            name=op.f("fk_client_grants_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_grants")),
        sa.UniqueConstraint(
            "client_id", "audience", name=op.f("uq_client_grants_client_id_audience")
        ),
    )
    op.create_table(
        "connection_clients",
        sa.Column("connection_id", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.client_id"],
            name=op.f("fk_connection_clients_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_connection_clients_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "client_id", name=op.f("pk_connection_clients")),
    )
    op.create_table(
        "users",
        sa.Column("user_id", sa.String(length=300), nullable=False),
        sa.Column("connection_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("email_verified", sa.Boolean(), nullable=False),
        sa.Column("username", sa.String(length=128), nullable=True),
        sa.Column("phone_number", sa.String(length=16), nullable=True),
        sa.Column("phone_verified", sa.Boolean(), nullable=False),
        sa.Column("given_name", sa.String(length=150), nullable=True),
        sa.Column("family_name", sa.String(length=150), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("nickname", sa.String(length=350), nullable=True),
        sa.Column("picture", sa.Text(), nullable=True),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=128), nullable=True),
        sa.Column("identities", Json, nullable=False),
        sa.Column("user_metadata", Json, nullable=False),
        sa.Column("app_metadata", Json, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("last_login", UTCDateTime(), nullable=True),
        sa.Column("last_ip", sa.String(length=64), nullable=True),
        sa.Column("logins_count", sa.Integer(), nullable=False),
        sa.Column("last_password_reset", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_users_connection_id_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_users")),
        sa.UniqueConstraint("connection_id", "email", name=op.f("uq_users_connection_id_email")),
        sa.UniqueConstraint(
            "connection_id", "username", name=op.f("uq_users_connection_id_username")
        ),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_email"), ["email"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_email"))
        batch_op.drop_index(batch_op.f("ix_users_created_at"))

    op.drop_table("users")
    op.drop_table("connection_clients")
    op.drop_table("client_grants")
    op.drop_table("signing_keys")
    op.drop_table("server_secrets")
    op.drop_table("resource_servers")
    op.drop_table("connections")
    op.drop_table("clients")
