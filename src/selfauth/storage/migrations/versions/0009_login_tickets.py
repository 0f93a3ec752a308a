"""cross-origin authentication's login tickets

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 14:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from selfauth.storage.tables import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_tickets",
        sa.Column("ticket_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=300), nullable=False),
        sa.Column("co_id", sa.String(length=64), nullable=False),
        sa.Column("verifier_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.client_id"],
            name=op.f("fk_login_tickets_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_login_tickets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ticket_hash", name=op.f("pk_login_tickets")),
    )
    with op.batch_alter_table("login_tickets") as batch_op:
        batch_op.create_index(batch_op.f("ix_login_tickets_expires_at"), ["expires_at"])


def downgrade() -> None:
    with op.batch_alter_table("login_tickets") as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_tickets_expires_at"))
    op.drop_table("login_tickets")
