"""email: the provider, tenant templates, the outbox, and the links' tickets

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 15:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from selfauth.storage.tables import UTCDateTime

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_provider",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("default_from_address", sa.String(length=320), nullable=True),
        sa.Column("credentials", Json, nullable=False),
        sa.Column("sealed_secrets", sa.Text(), nullable=True),
        sa.Column("settings", Json, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_provider")),
    )
    op.create_table(
        "email_templates",
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("from_address", sa.String(length=320), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("result_url", sa.String(length=2048), nullable=True),
        sa.Column("syntax", sa.String(length=16), nullable=False),
        sa.Column("url_lifetime_in_seconds", sa.Integer(), nullable=True),
        sa.Column("include_email_in_redirect", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("template", name=op.f("pk_email_templates")),
    )
    op.create_table(
        "email_outbox",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=300), nullable=True),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("from_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(length=32), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_outbox")),
    )
    with op.batch_alter_table("email_outbox") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_email_outbox_status_next_attempt_at"), ["status", "next_attempt_at"]
        )
        batch_op.create_index(batch_op.f("ix_email_outbox_created_at"), ["created_at"])
    op.create_table(
        "email_tickets",
        sa.Column("ticket_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=300), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("result_url", sa.String(length=2048), nullable=True),
        sa.Column("include_email_in_redirect", sa.Boolean(), nullable=False),
        sa.Column("mark_email_as_verified", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_email_tickets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_hash", name=op.f("pk_email_tickets")),
    )
    with op.batch_alter_table("email_tickets") as batch_op:
        batch_op.create_index(batch_op.f("ix_email_tickets_expires_at"), ["expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("email_tickets") as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_tickets_expires_at"))
    op.drop_table("email_tickets")
    with op.batch_alter_table("email_outbox") as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_outbox_created_at"))
        batch_op.drop_index(batch_op.f("ix_email_outbox_status_next_attempt_at"))
    op.drop_table("email_outbox")
    op.drop_table("email_templates")
    op.drop_table("email_provider")
