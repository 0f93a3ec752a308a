"""Serializing writers that read a whole set before changing it (orders, bindings)."""

from __future__ import annotations

import zlib

import sqlalchemy as sa

from selfauth.storage.database import Conn


async def serialize(conn: Conn, name: str) -> None:
    """Hold `name`'s lock until `conn`'s transaction ends.

    PostgreSQL takes a transaction-scoped advisory lock; SQLite needs nothing, as its
    writers already run one at a time (`BEGIN IMMEDIATE`).
    """
    if conn.dialect == "postgresql":
        key = zlib.crc32(f"selfauth:{name}".encode())
        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
