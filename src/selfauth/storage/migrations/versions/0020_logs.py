"""logs: the tenant's log events (/api/v2/logs), with indexes for date order, user and type

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from selfauth.storage.tables import UTCDateTime

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_logs_date_log_id": ["date", "log_id"],
    "ix_logs_user_id_date": ["user_id", "date"],
    "ix_logs_type_date": ["type", "date"],
}


def upgrade() -> None:
    op.create_table(
        "logs",
        sa.Column("log_id", sa.String(length=56), nullable=False),
        sa.Column("date", UTCDateTime(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("client_name", sa.String(length=255), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("user_id", sa.String(length=300), nullable=True),
        sa.Column("user_name", sa.String(length=512), nullable=True),
        sa.Column("connection", sa.String(length=128), nullable=True),
        sa.Column("connection_id", sa.String(length=64), nullable=True),
        sa.Column("strategy", sa.String(length=64), nullable=True),
        sa.Column("strategy_type", sa.String(length=32), nullable=True),
        sa.Column("audience", sa.String(length=600), nullable=True),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("details", Json, nullable=True),
        sa.Column("hostname", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("log_id", name=op.f("pk_logs")),
    )
    for name, columns in _INDEXES.items():
        op.create_index(op.f(name), "logs", columns, unique=False)


def downgrade() -> None:
    for name in _INDEXES:
        op.drop_index(op.f(name), table_name="logs")
    op.drop_table("logs")
