"""Tenant logs: the `logs` table, its batch insert, and its reads (a `q` compiled to SQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa

from selfauth.domain.clock import iso
from selfauth.domain.logs import FIELDS
from selfauth.domain.search.ast import (
    And,
    Compare,
    Exists,
    MatchAll,
    MatchNone,
    Not,
    Op,
    Or,
    Pattern,
    Query,
)
from selfauth.domain.user_agents import is_mobile, summary
from selfauth.storage.database import Database
from selfauth.storage.lookup import KeyLookup
from selfauth.storage.tables import logs

_BY_ID = KeyLookup(logs, "log_id")
_COLUMNS = [column.name for column in logs.columns]
_DATE, _DETAILS = _COLUMNS.index("date"), _COLUMNS.index("details")
_AGENT = _COLUMNS.index("user_agent")
# Each sized text column's index and size: a longer value (a user id typed into a path, a
# Host header) is cut to fit, since PostgreSQL refuses it and the event would be dropped.
_SIZED = [
    (index, column.type.length)
    for index, column in enumerate(logs.columns)
    if isinstance(column.type, sa.String) and column.type.length
]


def _view(row: dict[str, Any]) -> dict[str, Any]:
    """Every field Auth0 answers, null where it does not apply; `_id` is the log id."""
    view: dict[str, Any] = {name: row.get(name) for name in FIELDS}
    if isinstance(view["date"], datetime):
        view["date"] = iso(view["date"])
    view["_id"] = view["log_id"]
    view["isMobile"] = is_mobile(view["user_agent"])
    return view


def _driver_row(event: dict[str, Any], on_sqlite: bool) -> tuple[Any, ...]:
    """Every column in table order, in the driver's types (`Conn.insert_rows`): SQLAlchemy's
    per-row processing cost more than the insert itself (bench/logging_cost.py)."""
    row: list[Any] = [event.get(name) for name in _COLUMNS]
    details = row[_DETAILS]
    row[_DETAILS] = None if details is None else orjson.dumps(details).decode()
    agent = row[_AGENT]
    if agent:  # Auth0 keeps a summary ("Chrome 120.0.0 / Mac OS X 10.15.7"), made here off
        row[_AGENT] = summary(agent)  # the request's path (events carry the header)
    for index, size in _SIZED:
        value = row[index]
        if isinstance(value, str) and len(value) > size:
            row[index] = value[:size]
    if on_sqlite:  # as UTCDateTime stores it there: naive UTC, SQLAlchemy's text format
        moment = row[_DATE]
        row[_DATE] = moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return tuple(row)


def _condition(query: Query, dialect: str) -> sa.ColumnElement[bool]:
    """Bound parameters only; LIKE/GLOB wildcards in the values escaped."""
    if isinstance(query, MatchAll):
        return sa.true()
    if isinstance(query, MatchNone):
        return sa.false()
    if isinstance(query, And):
        return sa.and_(*(_condition(item, dialect) for item in query.items))
    if isinstance(query, Or):
        return sa.or_(*(_condition(item, dialect) for item in query.items))
    if isinstance(query, Not):
        return sa.not_(_condition(query.item, dialect))
    column = logs.c[query.field.name]
    if isinstance(query, Exists):
        return column.is_not(None)
    if isinstance(query, Pattern):
        if dialect == "postgresql":  # LIKE is case-sensitive there
            like = "%".join(
                s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                for s in query.segments
            )
            return column.like(sa.literal(like, sa.String), escape="\\")
        # SQLite's LIKE ignores ASCII case; GLOB does not.
        glob = "*".join(
            s.replace("[", "[[]").replace("*", "[*]").replace("?", "[?]") for s in query.segments
        )
        return column.op("GLOB")(sa.literal(glob, sa.String))
    assert isinstance(query, Compare)
    value = query.value
    if isinstance(value, float | bool):  # every log field is text or a date
        value = str(value)
    operators = {
        Op.EQ: column == value,
        Op.LT: column < value,
        Op.LE: column <= value,
        Op.GT: column > value,
        Op.GE: column >= value,
    }
    return operators[query.op]


class SqlLogRepository:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def add_many(self, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        on_sqlite = self._db.dialect == "sqlite"
        rows = [_driver_row(event, on_sqlite) for event in events]
        async with self._db.write() as conn:
            await conn.insert_rows(logs, rows)

    async def get(self, log_id: str) -> dict[str, Any] | None:
        if len(log_id) > 56:
            return None
        found = await _BY_ID.one(self._db, log_id=log_id)
        return None if found is None else _view(found)

    async def search(
        self, query: Query, *, ascending: bool, offset: int, limit: int
    ) -> list[dict[str, Any]]:
        """Date order (then log id, which follows the date)."""
        order = (
            (logs.c.date.asc(), logs.c.log_id.asc())
            if ascending
            else (logs.c.date.desc(), logs.c.log_id.desc())
        )
        statement = (
            logs.select()
            .where(_condition(query, self._db.dialect))
            .order_by(*order)
            .offset(offset)
            .limit(limit)
        )
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).all()
        return [_view(row._asdict()) for row in rows]

    async def count(self, query: Query, cap: int) -> int:
        """Matches, counted up to `cap` (only the first 1000 are reachable anyway)."""
        inner = sa.select(logs.c.log_id).where(_condition(query, self._db.dialect)).limit(cap)
        statement = sa.select(sa.func.count()).select_from(inner.subquery())
        async with self._db.read() as conn:
            return int((await conn.execute(statement)).scalar_one())

    async def after(self, log_id: str, take: int) -> list[dict[str, Any]]:
        """Checkpoint paging: the logs whose id follows `log_id`, oldest first."""
        statement = logs.select().where(logs.c.log_id > log_id).order_by(logs.c.log_id).limit(take)
        async with self._db.read() as conn:
            rows = (await conn.execute(statement)).all()
        return [_view(row._asdict()) for row in rows]

    async def purge(self, before: datetime, chunk: int = 5000) -> int:
        """Delete the logs older than `before`, a chunk per transaction, so a SQLite writer
        (which runs on the event loop) never holds the loop for a whole day's logs."""
        removed = 0
        while True:
            oldest = sa.select(logs.c.log_id).where(logs.c.date < before).limit(chunk)
            async with self._db.write() as conn:
                result = await conn.execute(
                    sa.delete(logs).where(logs.c.log_id.in_(oldest.scalar_subquery()))
                )
            count = int(result.rowcount)  # type: ignore[attr-defined]
            removed += count
            if count < chunk:
                return removed
