"""Signing keys and server secrets."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from selfauth.domain.keys.model import SigningKey
from selfauth.storage._rows import from_row, to_values
from selfauth.storage.database import Conn, Database
from selfauth.storage.tables import server_secrets, signing_keys


class SqlKeyRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def published(self) -> list[SigningKey]:
        """Every key still published in JWKS, the current one first."""
        query = signing_keys.select().order_by(
            signing_keys.c.current.desc(), signing_keys.c.created_at.desc()
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [from_row(SigningKey, row) for row in rows]

    async def hmac_key(self) -> bytes:
        async with self._db.read() as conn:
            value = (
                await conn.execute(
                    sa.select(server_secrets.c.value).where(server_secrets.c.name == "hmac")
                )
            ).scalar_one()
        return bytes.fromhex(value)


async def ensure_hmac_key(conn: Conn) -> None:
    found = (
        await conn.execute(sa.select(server_secrets.c.name).where(server_secrets.c.name == "hmac"))
    ).first()
    if found is None:
        await conn.execute(server_secrets.insert().values(name="hmac", value=secrets.token_hex(32)))


async def has_signing_key(conn: Conn) -> bool:
    found = await conn.execute(
        sa.select(signing_keys.c.kid).where(signing_keys.c.current.is_(True))
    )
    return found.first() is not None


async def insert_signing_key(conn: Conn, key: SigningKey) -> None:
    await conn.execute(signing_keys.insert().values(to_values(key, signing_keys)))
