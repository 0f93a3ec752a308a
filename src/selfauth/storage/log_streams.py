"""Log streams: the `log_streams` table (flows/log_streams.py's store) and the read of the logs
a stream has not been sent yet."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from selfauth.storage.database import Database
from selfauth.storage.logs import _view as log_view
from selfauth.storage.tables import log_streams, logs

_FIELDS = ("id", "name", "status", "filters", "sink", "cursor", "failures", "failing_since")


def _row(row: Any) -> dict[str, Any]:
    found = row._asdict()
    return {name: found[name] for name in _FIELDS}


class SqlLogStreamRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def all(self) -> list[dict[str, Any]]:
        statement = log_streams.select().order_by(log_streams.c.created_at, log_streams.c.id)
        async with self._db.read() as conn:
            return [_row(row) for row in (await conn.execute(statement)).all()]

    async def get(self, stream_id: str) -> dict[str, Any] | None:
        statement = log_streams.select().where(log_streams.c.id == stream_id)
        async with self._db.read() as conn:
            row = (await conn.execute(statement)).first()
        return None if row is None else _row(row)

    async def create(self, row: dict[str, Any], now: datetime) -> None:
        values = {**row, "failures": 0, "created_at": now, "updated_at": now}
        async with self._db.write() as conn:
            await conn.execute(log_streams.insert().values(values))

    async def update(self, stream_id: str, fields: dict[str, Any], now: datetime) -> bool:
        statement = (
            log_streams.update()
            .where(log_streams.c.id == stream_id)
            .values({**fields, "updated_at": now})
        )
        async with self._db.write() as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def delete(self, stream_id: str) -> None:
        async with self._db.write() as conn:
            await conn.execute(log_streams.delete().where(log_streams.c.id == stream_id))

    async def claim(self, stream_id: str, owner: str, now: datetime, until: datetime) -> bool:
        """Take or extend the stream's lease if it is active and no other process holds it
        (one sender per stream keeps its deliveries in order and single)."""
        table = log_streams.c
        statement = (
            log_streams.update()
            .where(
                table.id == stream_id,
                table.status == "active",
                sa.or_(
                    table.lease_owner.is_(None),
                    table.lease_owner == owner,
                    table.lease_until < now,
                ),
            )
            .values(lease_owner=owner, lease_until=until)
        )
        async with self._db.write() as conn:
            result = await conn.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release(self, owner: str) -> None:
        """Give up this process's leases (its graceful stop): the next process need not wait
        for them to expire."""
        statement = (
            log_streams.update()
            .where(log_streams.c.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )
        async with self._db.write() as conn:
            await conn.execute(statement)

    async def pending(
        self, cursor: str, types: list[str] | None, take: int
    ) -> list[dict[str, Any]]:
        """The logs after `cursor` that the filters let through, in log id (time) order."""
        condition = logs.c.log_id > cursor
        if types is not None:
            condition = sa.and_(condition, logs.c.type.in_(types))
        statement = logs.select().where(condition).order_by(logs.c.log_id).limit(take)
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).all()
        return [log_view(row._asdict()) for row in rows]

    async def delivered(self, stream_id: str, owner: str, cursor: str) -> None:
        """The receiver took the logs up to `cursor`: move past them, forget failures."""
        statement = (
            log_streams.update()
            .where(log_streams.c.id == stream_id, log_streams.c.lease_owner == owner)
            .values(cursor=cursor, failures=0, failing_since=None)
        )
        async with self._db.write() as conn:
            await conn.execute(statement)

    async def failed(
        self, stream_id: str, owner: str, failures: int, since: datetime, suspend: bool
    ) -> None:
        values: dict[str, Any] = {"failures": failures, "failing_since": since}
        if suspend:
            values["status"] = "suspended"
        statement = (
            log_streams.update()
            .where(
                log_streams.c.id == stream_id,
                log_streams.c.lease_owner == owner,
                log_streams.c.status == "active",
            )
            .values(values)
        )
        async with self._db.write() as conn:
            await conn.execute(statement)
