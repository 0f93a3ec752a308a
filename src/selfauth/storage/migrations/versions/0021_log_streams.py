"""log_streams: Auth0's log streams (/api/v2/log-streams) and each one's delivery cursor

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from selfauth.storage.tables import UTCDateTime

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_streams",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("filters", Json, nullable=False),
        sa.Column("sink", Json, nullable=False),
        sa.Column("cursor", sa.String(length=56), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failing_since", UTCDateTime(), nullable=True),
        sa.Column("lease_owner", sa.String(length=32), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_streams")),
    )


def downgrade() -> None:
    op.drop_table("log_streams")
