"""The metadata schemas (domain/metadata_schemas): a few rows, each change announced."""

from __future__ import annotations

import sqlalchemy as sa

from selfauth.domain.changes import METADATA_SCHEMAS
from selfauth.domain.metadata_schemas.service import StoredSchema
from selfauth.storage.changes import announce
from selfauth.storage.database import Conn, Database
from selfauth.storage.tables import metadata_schemas

_T = metadata_schemas.c


class SqlMetadataSchemaRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def all(self) -> list[StoredSchema]:
        async with self._db.read() as conn:
            rows = (await conn.execute(metadata_schemas.select())).all()
        return [StoredSchema(row.target, row.field, row.schema, row.updated_at) for row in rows]

    async def put(self, stored: StoredSchema) -> None:
        """Replace the row; two first PUTs at once: the one whose insert loses runs again."""
        try:
            await self._put(stored)
        except sa.exc.IntegrityError:
            await self._put(stored)

    async def _put(self, stored: StoredSchema) -> None:
        async with self._db.write() as conn:
            await _delete(conn, stored.target, stored.field)
            await conn.execute(
                metadata_schemas.insert().values(
                    target=stored.target,
                    field=stored.field,
                    schema=stored.schema,
                    updated_at=stored.updated_at,
                )
            )
            await announce(conn, METADATA_SCHEMAS)

    async def delete(self, target: str, field: str) -> bool:
        async with self._db.write() as conn:
            deleted = await _delete(conn, target, field)
            if deleted:
                await announce(conn, METADATA_SCHEMAS)
        return deleted


async def _delete(conn: Conn, target: str, field: str | None = None) -> bool:
    statement = metadata_schemas.delete().where(_T.target == target)
    if field is not None:
        statement = statement.where(_T.field == field)
    result = await conn.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def delete_for_connection(conn: Conn, connection_id: str) -> None:
    """In the transaction that deletes the connection: its schemas go with it."""
    if await _delete(conn, connection_id):
        await announce(conn, METADATA_SCHEMAS)
