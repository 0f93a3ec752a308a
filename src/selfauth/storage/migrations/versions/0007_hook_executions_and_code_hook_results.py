"""hook executions, and what hooks added to an authorization code's tokens

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 04:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from selfauth.storage.tables import UTCDateTime

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hook_executions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("trigger_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=300), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("results", Json, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hook_executions")),
    )
    op.create_index(
        op.f("ix_hook_executions_created_at"), "hook_executions", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_hook_executions_user_id_created_at"),
        "hook_executions",
        ["user_id", "created_at"],
        unique=False,
    )
    with op.batch_alter_table("authorization_codes") as batch:
        batch.add_column(sa.Column("hook_result", Json, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("authorization_codes") as batch:
        batch.drop_column("hook_result")
    op.drop_index(op.f("ix_hook_executions_user_id_created_at"), table_name="hook_executions")
    op.drop_index(op.f("ix_hook_executions_created_at"), table_name="hook_executions")
    op.drop_table("hook_executions")
