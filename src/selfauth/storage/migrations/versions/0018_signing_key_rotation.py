"""signing_keys: next, previous, current_since, current_until, revoked_at (key rotation)

The current key becomes current since it was made; the next key is made by the bootstrap at
the next start (a migration does not make keys).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from selfauth.storage.tables import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signing_keys") as batch_op:
        batch_op.add_column(
            sa.Column("next", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("previous", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("current_since", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("current_until", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", UTCDateTime(), nullable=True))
    keys = sa.table(
        "signing_keys",
        sa.column("current", sa.Boolean()),
        sa.column("created_at", UTCDateTime()),
        sa.column("current_since", UTCDateTime()),
    )
    op.execute(
        keys.update().where(keys.c.current.is_(True)).values(current_since=keys.c.created_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("signing_keys") as batch_op:
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("current_until")
        batch_op.drop_column("current_since")
        batch_op.drop_column("previous")
        batch_op.drop_column("next")
