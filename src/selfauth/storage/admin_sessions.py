"""The `admin_sessions` table: the dashboard's sign-ins, by the hash of their token."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from selfauth.domain.admins.sessions import AdminSession
from selfauth.storage.database import Database
from selfauth.storage.lookup import KeyLookup
from selfauth.storage.tables import admin_sessions

_BY_HASH = KeyLookup(admin_sessions, "token_hash")


class SqlAdminSessionRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def insert(self, token_hash: str, session: AdminSession) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                admin_sessions.insert().values(
                    token_hash=token_hash,
                    user_id=session.user_id,
                    created_at=session.created_at,
                    last_seen_at=session.last_seen_at,
                    expires_at=session.expires_at,
                )
            )

    async def find(self, token_hash: str) -> AdminSession | None:
        row = await _BY_HASH.one(self._db, token_hash=token_hash)
        if row is None:
            return None
        return AdminSession(
            row["user_id"], row["created_at"], row["last_seen_at"], row["expires_at"]
        )

    async def touch(self, token_hash: str, at: datetime) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                admin_sessions.update()
                .where(admin_sessions.c.token_hash == token_hash)
                .values(last_seen_at=at)
            )

    async def delete(self, token_hash: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(
                admin_sessions.delete().where(admin_sessions.c.token_hash == token_hash)
            )

    async def delete_ended(self, now: datetime, idle_since: datetime) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(
                admin_sessions.delete().where(
                    sa.or_(
                        admin_sessions.c.expires_at <= now,
                        admin_sessions.c.last_seen_at <= idle_since,
                    )
                )
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
