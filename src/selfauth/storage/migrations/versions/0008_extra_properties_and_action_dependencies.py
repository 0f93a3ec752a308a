"""the Auth0 properties a resource stores and echoes beyond its own columns; action dependencies

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 12:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_WITH_EXTRA_PROPERTIES = ("clients", "client_grants", "resource_servers", "connections")
_WITH_DEPENDENCIES = ("actions", "action_versions")


def upgrade() -> None:
    for table in _WITH_EXTRA_PROPERTIES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("extra_properties", Json, nullable=False, server_default=sa.text("'{}'"))
            )
    for table in _WITH_DEPENDENCIES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("dependencies", Json, nullable=False, server_default=sa.text("'[]'"))
            )


def downgrade() -> None:
    for table in _WITH_DEPENDENCIES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("dependencies")
    for table in _WITH_EXTRA_PROPERTIES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("extra_properties")
