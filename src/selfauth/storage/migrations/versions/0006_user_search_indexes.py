"""user search indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 04:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from selfauth.domain.search.terms import metadata_terms

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_GIN_COLUMNS = ("user_metadata", "app_metadata", "identities")


def upgrade() -> None:
    op.create_index("ix_users_lower_email", "users", [sa.text("lower(email)")])
    op.create_index("ix_users_lower_name", "users", [sa.text("lower(name)")])
    if op.get_bind().dialect.name == "postgresql":
        for column in _GIN_COLUMNS:
            op.create_index(
                f"ix_users_{column}_gin",
                "users",
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "jsonb_path_ops"},
            )
    op.create_table(
        "user_search_terms",
        sa.Column("user_id", sa.String(length=300), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("number", sa.Float(), nullable=True),
        sa.Column("flag", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
            name=op.f("fk_user_search_terms_user_id_users"),
            ondelete="CASCADE",
        ),
    )
    # Partial: a term is a string or a number, so each row enters one of the two indexes.
    op.create_index(
        "ix_user_search_terms_path_text_user_id",
        "user_search_terms",
        ["path", "text", "user_id"],
        sqlite_where=sa.text("text IS NOT NULL"),
    )
    op.create_index(
        "ix_user_search_terms_path_number_user_id",
        "user_search_terms",
        ["path", "number", "user_id"],
        sqlite_where=sa.text("number IS NOT NULL"),
    )
    op.create_index("ix_user_search_terms_user_id", "user_search_terms", ["user_id"])
    if op.get_bind().dialect.name == "sqlite":
        _index_existing_users()


def _index_existing_users() -> None:
    """Terms for the users already there (SQLite searches metadata through this table)."""
    users = sa.table(
        "users",
        sa.column("user_id", sa.String()),
        sa.column("user_metadata", sa.JSON()),
        sa.column("app_metadata", sa.JSON()),
    )
    terms = sa.table(
        "user_search_terms",
        sa.column("user_id", sa.String()),
        sa.column("path", sa.Text()),
        sa.column("text", sa.Text()),
        sa.column("number", sa.Float()),
        sa.column("flag", sa.Boolean()),
    )
    bind = op.get_bind()
    for user_id, user_metadata, app_metadata in bind.execute(sa.select(users)).all():
        rows = [
            {"user_id": user_id, "path": t.path, "text": t.text, "number": t.number, "flag": t.flag}
            for t in metadata_terms(user_metadata or {}, app_metadata or {})
        ]
        if rows:
            bind.execute(terms.insert(), rows)


def downgrade() -> None:
    op.drop_table("user_search_terms")
    if op.get_bind().dialect.name == "postgresql":
        for column in _GIN_COLUMNS:
            op.drop_index(f"ix_users_{column}_gin", table_name="users")
    op.drop_index("ix_users_lower_name", table_name="users")
    op.drop_index("ix_users_lower_email", table_name="users")
