"""The metadata history in SQL: written inside the transaction of the change it records, read
newest first, forgotten after the retention period (domain/metadata_history.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from selfauth.domain.metadata_history import Author, HistoryEntry, HistoryFilter, KeyChange
from selfauth.storage.database import Conn, Database
from selfauth.storage.tables import metadata_history as history

_CHUNK = 500  # rows per INSERT: within SQLite's parameter limit at 11 columns


async def record(
    conn: Conn,
    changes: Sequence[KeyChange],
    at: datetime,
    *,
    user_id: str | None = None,
    client_id: str | None = None,
) -> None:
    """The entries of one owner's changes, in `conn`'s transaction."""
    rows = [
        {
            "user_id": user_id,
            "client_id": client_id,
            "field": change.field,
            "key": change.key,
            "old_value": change.old,
            "new_value": change.new,
            "changed_at": at,
            "author_type": change.by.type,
            "author_id": change.by.id,
            "author_name": change.by.name,
        }
        for change in changes
    ]
    for start in range(0, len(rows), _CHUNK):
        await conn.execute(history.insert(), rows[start : start + _CHUNK])


def _entry(row: sa.Row[Any]) -> HistoryEntry:
    found = row._mapping
    return HistoryEntry(
        id=found["id"],
        owner_id=found["user_id"] or found["client_id"],
        field=found["field"],
        key=found["key"],
        old=found["old_value"],
        new=found["new_value"],
        changed_at=found["changed_at"],
        by=Author(found["author_type"], found["author_id"], found["author_name"]),
    )


def _where(owner: sa.ColumnElement[bool], where: HistoryFilter) -> list[sa.ColumnElement[bool]]:
    conditions = [owner]
    if where.key is not None:
        conditions.append(history.c.key == where.key)
    if where.field is not None:
        conditions.append(history.c.field == where.field)
    return conditions


class SqlMetadataHistory:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def _page(
        self, owner: sa.ColumnElement[bool], where: HistoryFilter, offset: int, limit: int
    ) -> list[HistoryEntry]:
        query = (
            history.select()
            .where(*_where(owner, where))
            .order_by(history.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [_entry(row) for row in rows]

    async def _count(self, owner: sa.ColumnElement[bool], where: HistoryFilter) -> int:
        query = sa.select(sa.func.count()).select_from(history).where(*_where(owner, where))
        async with self._db.read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def of_user(
        self, user_id: str, where: HistoryFilter, offset: int, limit: int
    ) -> list[HistoryEntry]:
        return await self._page(history.c.user_id == user_id, where, offset, limit)

    async def count_of_user(self, user_id: str, where: HistoryFilter) -> int:
        return await self._count(history.c.user_id == user_id, where)

    async def of_client(
        self, client_id: str, where: HistoryFilter, offset: int, limit: int
    ) -> list[HistoryEntry]:
        return await self._page(history.c.client_id == client_id, where, offset, limit)

    async def count_of_client(self, client_id: str, where: HistoryFilter) -> int:
        return await self._count(history.c.client_id == client_id, where)

    async def forget_before(self, moment: datetime) -> int:
        """Entries older than `moment` deleted (the retention period); how many."""
        async with self._db.write() as conn:
            result = await conn.execute(history.delete().where(history.c.changed_at < moment))
        return int(result.rowcount)  # type: ignore[attr-defined]
