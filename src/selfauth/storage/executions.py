"""Hook executions: the record of each trigger run, readable through the Management API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from selfauth.domain.actions.executions import ExecutionFilter
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
        wanted: ExecutionFilter,
        *,
        offset: int,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Newest first."""
        table = hook_executions
        query = table.select()
        if wanted.user_ids is not None:
            query = query.where(table.c.user_id.in_(list(wanted.user_ids)))
        if wanted.trigger_id is not None:
            query = query.where(table.c.trigger_id == wanted.trigger_id)
        if wanted.status is not None:
            query = query.where(table.c.status == wanted.status)
        if wanted.since is not None:
            query = query.where(table.c.created_at >= wanted.since)
        if wanted.until is not None:
            query = query.where(table.c.created_at < wanted.until)
        if wanted.script is not None:
            query = query.where(self._ran(wanted.script))
        query = (
            query.order_by(table.c.created_at.desc(), table.c.id.desc()).offset(offset).limit(limit)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(query)).all()
        return [_view(row._asdict()) for row in rows]

    def _ran(self, script: str) -> sa.ColumnElement[bool]:
        """A result names `script` (results is a JSON array of {action_name, ...})."""
        if self._db.dialect == "postgresql":
            document = sa.literal([{"action_name": script}], postgresql.JSONB)
            return hook_executions.c.results.op("@>")(document)
        elements = sa.func.json_each(hook_executions.c.results).table_valued("value").alias("r")
        name = sa.func.json_extract(elements.c.value, "$.action_name")
        return sa.select(1).select_from(elements).where(name == script).exists()

    async def purge(self, before: datetime) -> int:
        async with self._db.write() as conn:
            result = await conn.execute(
                sa.delete(hook_executions).where(hook_executions.c.created_at < before)
            )
        return int(result.rowcount)  # type: ignore[attr-defined]
