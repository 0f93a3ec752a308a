"""metadata_history: each change of one root key of a user's user_metadata or app_metadata, or
of a client's client_metadata, with its old and new value, when and by whom

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from selfauth.storage.tables import UTCDateTime

# JSON text on SQLite (tables.py's JsonValue: a bare number stays text), JSONB on PostgreSQL
JsonValue = sa.Text().with_variant(postgresql.JSONB(), "postgresql")

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_metadata_history_user_id_id": ["user_id", "id"],
    "ix_metadata_history_client_id_id": ["client_id", "id"],
    "ix_metadata_history_changed_at": ["changed_at"],
}


def upgrade() -> None:
    op.create_table(
        "metadata_history",
        # INTEGER on SQLite, so that it is the rowid and numbers itself
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.String(length=300), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("old_value", JsonValue, nullable=True),
        sa.Column("new_value", JsonValue, nullable=True),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("author_type", sa.String(length=16), nullable=False),
        sa.Column("author_id", sa.String(length=300), nullable=True),
        sa.Column("author_name", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_metadata_history_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.client_id"],
            name=op.f("fk_metadata_history_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metadata_history")),
    )
    for name, columns in _INDEXES.items():
        op.create_index(op.f(name), "metadata_history", columns, unique=False)


def downgrade() -> None:
    for name in _INDEXES:
        op.drop_index(op.f(name), table_name="metadata_history")
    op.drop_table("metadata_history")
