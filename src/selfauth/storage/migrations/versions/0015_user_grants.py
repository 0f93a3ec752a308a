"""user_grants: users' consent to third-party applications (/api/v2/grants)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from selfauth.storage.tables import UTCDateTime

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_grants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=300), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("audience", sa.String(length=600), nullable=False),
        sa.Column("scope", Json, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_user_grants_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.client_id"],
            name=op.f("fk_user_grants_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_grants")),
        sa.UniqueConstraint(
            "user_id",
            "client_id",
            "audience",
            name=op.f("uq_user_grants_user_id_client_id_audience"),
        ),
    )
    with op.batch_alter_table("user_grants") as batch_op:
        batch_op.create_index(batch_op.f("ix_user_grants_client_id"), ["client_id"])


def downgrade() -> None:
    with op.batch_alter_table("user_grants") as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_grants_client_id"))
    op.drop_table("user_grants")
