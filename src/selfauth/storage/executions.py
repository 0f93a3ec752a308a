"""Hook executions: the record of each trigger run, readable through the Management API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from selfauth.domain.clock import iso
from selfauth.storage.database import Database
from selfauth.storage.lookup import KeyLookup
from selfauth.storage.tables import hook_executions

_BY_ID = KeyLookup(hook_executions, "id")


def _view(row: dict[str, Any]) -> dict[str, Any]:
    # Plain `str` keys: SQLAlchemy's are a str subclass that orjson will not encode.
    view = {str(key): value for key, value in row.items()}
    for name in ("created_at", "updated_at"):
        if isinstance(view[name], datetime):
            view[name] = iso(view[name])
    return view


def _row(execution: dict[str, Any]) -> dict[str, Any]:
    row = {column.name: execution.get(column.name) for column in hook_executions.columns}
    for name in ("created_at", "updated_at"):
        row[name] = datetime.fromisoformat(str(row[name]).replace("Z", "+00:00"))
    return row


class SqlExecutionRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add_many(self, executions: list[dict[str, Any]]) -> None:
        if not executions:
            return
        async with self._db.write() as conn:
            await conn.execute(hook_executions.insert(), [_row(e) for e in executions])

    async def get(self, execution_id: str) -> dict[str, Any] | None:
        found = await _BY_ID.one(self._db, id=execution_id)
        return None if found is None else _view(found)

    async def page(
        self,
        *,
        user_id: str | None,
        trigger_id: str | None,
        offset: int,
        limit: int,
    ) -> list[dict[str, Any]]:
        query = hook_executions.select()
        if user_id is not None:
            query = query.where(hook_executions.c.user_id == user_id)
        if trigger_id is not None:
            query = query.where(hook_executions.c.trigger_id == trigger_id)
        query = (
            query.order_by(hook_executions.c.created_at.desc(), hook_executions.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [_view(row._asdict()) for row in rows]

    async def purge(self, before: datetime) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(
                sa.delete(hook_executions).where(hook_executions.c.created_at < before)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]
