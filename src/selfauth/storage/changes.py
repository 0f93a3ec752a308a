"""The change versions (domain/changes.py): bumped inside a write, read by each process."""

from __future__ import annotations

import sqlalchemy as sa

from selfauth.storage.database import Conn, Database
from selfauth.storage.tables import changes

# One statement on both databases (SQLite 3.24+ and PostgreSQL upsert alike): a topic's row
# is made by its first change, so a new topic needs no migration.
_BUMP = sa.text(
    "INSERT INTO changes (topic, version) VALUES (:topic, 1) "
    "ON CONFLICT (topic) DO UPDATE SET version = changes.version + 1"
)
_VERSIONS = sa.select(changes.c.topic, changes.c.version)


async def announce(conn: Conn, topic: str) -> None:
    """Within `conn`'s write transaction: `topic` changed (seen by others once it commits)."""
    await conn.execute(_BUMP, {"topic": topic})


class SqlChangeVersions:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def read(self) -> dict[str, int]:
        async with self._db.read() as conn:
            rows = (await conn.execute(_VERSIONS)).all()
        return {str(row.topic): int(row.version) for row in rows}
