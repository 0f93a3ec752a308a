"""Signing keys and server secrets."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime

import sqlalchemy as sa

from selfauth.domain.changes import SIGNING_KEYS
from selfauth.domain.keys.model import SigningKey, generate_rsa_key
from selfauth.domain.keys.service import NotPrevious
from selfauth.storage._rows import from_row, to_values
from selfauth.storage.changes import announce
from selfauth.storage.database import Conn, Database
from selfauth.storage.tables import server_secrets, signing_keys


class SqlKeyRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def published(self) -> list[SigningKey]:
        """Every key published in JWKS (current, next, previous; never revoked), current first."""
        keys = signing_keys.c
        query = (
            signing_keys.select()
            .where(keys.revoked_at.is_(None), sa.or_(keys.current, keys.next, keys.previous))
            .order_by(*_ORDER)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [from_row(SigningKey, row) for row in rows]

    async def all(self) -> list[SigningKey]:
        """Every key ever made, the published ones first."""
        async with self._db.read() as conn:
            rows = (await conn.execute(signing_keys.select().order_by(*_ORDER))).all()
        return [from_row(SigningKey, row) for row in rows]

    async def get(self, kid: str) -> SigningKey | None:
        query = signing_keys.select().where(signing_keys.c.kid == kid)
        async with self._db.read() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else from_row(SigningKey, row)

    async def rotate(self, new_next: SigningKey, now: datetime) -> SigningKey:
        """next -> current -> previous (an older previous leaves JWKS), and `new_next` is next;
        one transaction on the locked rows, so two rotations at once happen one after the
        other."""
        keys = signing_keys.c
        async with self._db.write() as conn:
            if conn.dialect == "postgresql":
                # Rotations one at a time: a second one must see the next key the first made
                # (row locks alone would hand it the rows as they were before).
                await conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ROTATION_LOCK}
                )
            live = (
                await conn.execute(
                    sa.select(keys.kid, keys.current, keys.next)
                    .where(keys.revoked_at.is_(None))
                    .with_for_update()
                )
            ).all()
            waiting = [row.kid for row in live if row.next]
            await announce(conn, SIGNING_KEYS)
            await conn.execute(signing_keys.update().where(keys.previous).values(previous=False))
            await conn.execute(
                signing_keys.update()
                .where(keys.current)
                .values(current=False, previous=True, current_until=now)
            )
            if waiting:
                await conn.execute(
                    signing_keys.update()
                    .where(keys.kid == waiting[0])
                    .values(current=True, next=False, current_since=now)
                )
                await insert_signing_key(conn, new_next)
                return new_next
            # No next key (never made): the new key becomes current at once, and another next.
            await insert_signing_key(
                conn, replace(new_next, current=True, next=False, current_since=now)
            )
            following = generate_rsa_key(now, current=False)
            await insert_signing_key(conn, following)
            return following

    async def revoke(self, kid: str, now: datetime) -> SigningKey | None:
        keys = signing_keys.c
        async with self._db.write() as conn:
            row = (
                await conn.execute(signing_keys.select().where(keys.kid == kid).with_for_update())
            ).first()
            if row is None:
                return None
            found = from_row(SigningKey, row)
            if found.current or found.next:
                raise NotPrevious("current key" if found.current else "next key")
            if found.revoked_at is not None:
                return found
            await conn.execute(signing_keys.update().where(keys.kid == kid).values(revoked_at=now))
            await announce(conn, SIGNING_KEYS)
        return replace(found, revoked_at=now)

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


_ROTATION_LOCK = 0x5E1FA09

# current, then next, then previous, then the rest, newest first
_ORDER = (
    signing_keys.c.current.desc(),
    signing_keys.c.next.desc(),
    signing_keys.c.previous.desc(),
    signing_keys.c.created_at.desc(),
)


async def ensure_next_key(conn: Conn, now: datetime) -> None:
    """A next key, published before it signs (made at the first start, and by the first start
    after the upgrade that brought rotation)."""
    found = await conn.execute(
        sa.select(signing_keys.c.kid).where(
            signing_keys.c.next.is_(True), signing_keys.c.revoked_at.is_(None)
        )
    )
    if found.first() is None:
        await insert_signing_key(conn, generate_rsa_key(now, current=False))


async def has_signing_key(conn: Conn) -> bool:
    found = await conn.execute(
        sa.select(signing_keys.c.kid).where(signing_keys.c.current.is_(True))
    )
    return found.first() is not None


async def insert_signing_key(conn: Conn, key: SigningKey) -> None:
    await conn.execute(signing_keys.insert().values(to_values(key, signing_keys)))
