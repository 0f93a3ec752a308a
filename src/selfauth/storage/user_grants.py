"""Users' grants to applications (consent), one per (user, client, audience)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from selfauth.domain.consent.model import UserGrant
from selfauth.storage.database import Database
from selfauth.storage.lookup import KeyLookup
from selfauth.storage.tables import user_grants

_BY_TRIPLE = KeyLookup(user_grants, "user_id", "client_id", "audience")


def _grant(row: dict[str, Any]) -> UserGrant:
    return UserGrant(**row)


class SqlUserGrantRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def find(self, user_id: str, client_id: str, audience: str) -> UserGrant | None:
        found = await _BY_TRIPLE.one(
            self._db, user_id=user_id, client_id=client_id, audience=audience
        )
        return None if found is None else _grant(found)

    async def change(
        self,
        user_id: str,
        client_id: str,
        audience: str,
        change: Callable[[UserGrant | None], UserGrant],
    ) -> UserGrant:
        """Two first consents at once: the one whose insert loses runs again on the other's
        row, so neither's scopes are lost."""
        try:
            return await self._change(user_id, client_id, audience, change)
        except sa.exc.IntegrityError:
            return await self._change(user_id, client_id, audience, change)

    async def _change(
        self,
        user_id: str,
        client_id: str,
        audience: str,
        change: Callable[[UserGrant | None], UserGrant],
    ) -> UserGrant:
        async with self._db.write() as conn:
            found = await _BY_TRIPLE.locked(
                conn, user_id=user_id, client_id=client_id, audience=audience
            )
            updated = change(None if found is None else _grant(found))
            if found is None:
                await conn.execute(
                    user_grants.insert().values(
                        id=updated.id,
                        user_id=updated.user_id,
                        client_id=updated.client_id,
                        audience=updated.audience,
                        scope=list(updated.scope),
                        created_at=updated.created_at,
                        updated_at=updated.updated_at,
                    )
                )
            else:
                await conn.execute(
                    user_grants.update()
                    .where(user_grants.c.id == found["id"])
                    .values(scope=list(updated.scope), updated_at=updated.updated_at)
                )
        return updated

    async def matching(
        self,
        *,
        user_id: str | None,
        client_id: str | None,
        audience: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[UserGrant], int]:
        condition: sa.ColumnElement[bool] = sa.true()
        for column, value in (
            (user_grants.c.user_id, user_id),
            (user_grants.c.client_id, client_id),
            (user_grants.c.audience, audience),
        ):
            if value is not None:
                condition = sa.and_(condition, column == value)
        query = (
            user_grants.select()
            .where(condition)
            .order_by(user_grants.c.created_at, user_grants.c.id)
            .offset(offset)
            .limit(limit)
        )
        count = sa.select(sa.func.count()).select_from(user_grants).where(condition)
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
            total = (await conn.execute(count)).scalar_one()
        return [_grant(dict(row._mapping)) for row in rows], int(total)

    async def delete(self, grant_id: str) -> bool:
        async with self._db.write() as conn:
            result = await conn.execute(user_grants.delete().where(user_grants.c.id == grant_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def delete_for_user(self, user_id: str) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(
                user_grants.delete().where(user_grants.c.user_id == user_id)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]
