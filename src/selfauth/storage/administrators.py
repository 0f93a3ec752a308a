"""The `administrators` table: the dashboard's role holders."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from selfauth.domain.admins.service import Administrator
from selfauth.storage.database import Database
from selfauth.storage.lookup import KeyLookup
from selfauth.storage.tables import administrators

_BY_USER = KeyLookup(administrators, "user_id")


def _administrator(row: Any) -> Administrator:
    return Administrator(row["user_id"], row["granted_by"], row["granted_at"])


class SqlAdministratorRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def find(self, user_id: str) -> Administrator | None:
        row = await _BY_USER.one(self._db, user_id=user_id)
        return None if row is None else _administrator(row)

    async def grant(self, admin: Administrator) -> bool:
        try:
            return await self._grant(admin)
        except sa.exc.IntegrityError:  # granted at the same moment by another writer
            return False

    async def _grant(self, admin: Administrator) -> bool:
        async with self._db.write() as conn:
            if await _BY_USER.locked(conn, user_id=admin.user_id) is not None:
                return False
            await conn.execute(
                administrators.insert().values(
                    user_id=admin.user_id,
                    granted_by=admin.granted_by,
                    granted_at=admin.granted_at,
                )
            )
        return True

    async def revoke(self, user_id: str) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(
                administrators.delete().where(administrators.c.user_id == user_id)
            )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def list(self) -> list[Administrator]:
        async with self._db.read() as conn:
            rows = await conn.execute(
                sa.select(administrators).order_by(administrators.c.granted_at)
            )
        return [_administrator(row._mapping) for row in rows]
