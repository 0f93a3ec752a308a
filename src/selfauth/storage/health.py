"""What readiness asks of the database: that it answers, and that its schema is the newest
this code knows (a server started against an older schema, or a newer one a later release
migrated, is not ready)."""

from __future__ import annotations

from functools import cache

import sqlalchemy as sa

from selfauth.storage.database import Database
from selfauth.storage.migrate import alembic_config


@cache
def newest_revision() -> str:
    from alembic.script import ScriptDirectory  # with migrate.py's Alembic, when first needed

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def schema_revision(database: Database) -> str | None:
    """The database's current revision (the server migrates before it serves, so the table is
    there); raises when the database does not answer."""
    async with database.read() as conn:
        found = await conn.execute(sa.text("SELECT version_num FROM alembic_version"))
        value = found.scalar_one_or_none()
    return None if value is None else str(value)
