"""refresh_tokens and login_sessions: an index on user_id

The dashboard lists a user's refresh tokens and sign-in sessions, and deleting a user cascades
to both tables; without an index each of those read the whole table.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 19:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("refresh_tokens", "login_sessions"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_user_id"), ["user_id"])


def downgrade() -> None:
    for table in ("refresh_tokens", "login_sessions"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_user_id"))
