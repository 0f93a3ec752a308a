"""users: an index per sortable column, ending with user_id, for the users list's sort orders

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 19:30:00

`GET /api/v2/users?sort=field:1|-1` orders by the field, then by user_id (domain/users/model.py
SORTABLE; storage/users.py `page`). Without an index whose columns are exactly (field, user_id)
a page of a million users sorts them all (last_login:-1 took seconds); with one, both
databases read the page off the index, either way round. A column index alone is not enough:
where most users share a value (no given_name, logins_count 0) the database would still sort
all of them by user_id. created_at and email keep their single-column indexes (0001): their
values are nearly unique, so the tie-break sorts a handful of rows.

Building them reads the whole users table once per index; on PostgreSQL writes to users wait
meanwhile (seconds per index at a million users).
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# SORTABLE's columns that had no index leading with them.
_SORTED = (
    "updated_at",
    "last_login",
    "name",
    "nickname",
    "given_name",
    "family_name",
    "username",
    "logins_count",
)


def upgrade() -> None:
    for column in _SORTED:
        op.create_index(op.f(f"ix_users_{column}_user_id"), "users", [column, "user_id"])


def downgrade() -> None:
    for column in reversed(_SORTED):
        op.drop_index(op.f(f"ix_users_{column}_user_id"), table_name="users")
