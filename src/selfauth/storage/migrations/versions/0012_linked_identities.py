"""users.linked_to: a linked secondary account's primary (account linking)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 17:00:00

SQLite cannot add a foreign key to an existing table with ALTER TABLE ... ADD CONSTRAINT, and
Alembic's batch mode would copy `users` into a new table and drop the old one, which (with
foreign keys on) deletes every row that cascades from a user. A column added with its own
REFERENCES clause and a NULL default is allowed, so SQLite gets that; PostgreSQL gets the
column, then the constraint.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_FK = "fk_users_linked_to_users"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE users ADD COLUMN linked_to VARCHAR(300) "
            f"CONSTRAINT {_FK} REFERENCES users (user_id) ON DELETE CASCADE"
        )
    else:
        op.add_column("users", sa.Column("linked_to", sa.String(length=300), nullable=True))
        op.create_foreign_key(_FK, "users", "users", ["linked_to"], ["user_id"], ondelete="CASCADE")
    # Partial (see tables.py): a listing's `linked_to IS NULL` never reads it.
    op.create_index(
        op.f("ix_users_linked_to"),
        "users",
        ["linked_to"],
        sqlite_where=sa.text("linked_to IS NOT NULL"),
        postgresql_where=sa.text("linked_to IS NOT NULL"),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops no column a foreign key names, and batch mode's copy-and-drop of `users`
        # would cascade (see above).
        raise NotImplementedError("0012 cannot be downgraded on SQLite; restore a backup")
    # Linked secondaries would otherwise come back as users of their own, each identity then
    # listed on two users.
    op.execute("DELETE FROM users WHERE linked_to IS NOT NULL")
    op.drop_index(op.f("ix_users_linked_to"), table_name="users")
    op.drop_constraint(_FK, "users", type_="foreignkey")
    op.drop_column("users", "linked_to")
