"""metadata_schemas: an optional JSON Schema for user_metadata or app_metadata, per connection
or tenant-wide (target "*")

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from selfauth.storage.tables import UTCDateTime

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metadata_schemas",
        sa.Column("target", sa.String(length=32), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("schema", Json, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("target", "field", name=op.f("pk_metadata_schemas")),
    )


def downgrade() -> None:
    op.drop_table("metadata_schemas")
