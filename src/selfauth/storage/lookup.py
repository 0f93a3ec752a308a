"""Precompiled key lookups run on the driver, with rows decoded from the table definition.

Only for reads by key on hot paths; everything else goes through SQLAlchemy's execution.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Select

from selfauth.storage.database import Conn, Database
from selfauth.storage.tables import UTCDateTime

Decode = Callable[[Any], Any]

_SQLITE = sqlite.dialect()
_POSTGRES = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]
_DATETIME = UTCDateTime()


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _boolean(value: Any) -> Any:
    return bool(value)


def _datetime(value: Any) -> datetime | None:
    return _DATETIME.process_result_value(value, _SQLITE)


def _decoder(column: sa.ColumnElement[Any]) -> Decode | None:
    kind = column.type
    if isinstance(kind, sa.JSON):
        return _json
    if isinstance(kind, UTCDateTime):
        return _datetime
    if isinstance(kind, sa.Boolean):
        return _boolean
    return None


class _Compiled:
    """One statement rendered for each dialect, with its placeholders' order."""

    def __init__(self, statement: Select[Any], keys: tuple[str, ...]) -> None:
        compiled = {"sqlite": statement.compile(dialect=_SQLITE)}
        compiled["postgresql"] = statement.compile(dialect=_POSTGRES)
        self.sql = {name: str(c) for name, c in compiled.items()}
        self.order = {name: list(c.positiontup or keys) for name, c in compiled.items()}

    def arguments(self, dialect: str, values: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
        return self.sql[dialect], tuple(values[name] for name in self.order[dialect])


class KeyLookup:
    """`SELECT <columns> FROM table WHERE k1 = ? AND k2 = ? [ORDER BY ...]`."""

    def __init__(
        self,
        table: sa.Table,
        *keys: str,
        columns: tuple[str, ...] | None = None,
        order_by: str | None = None,
    ) -> None:
        self.table = table
        selected = [table.c[name] for name in columns] if columns else list(table.columns)
        condition = sa.and_(*(table.c[key] == sa.bindparam(key) for key in keys))
        statement = sa.select(*selected).where(condition)
        if order_by is not None:
            statement = statement.order_by(table.c[order_by])
        self._names = [column.name for column in selected]
        self._decoders = [(i, d) for i, c in enumerate(selected) if (d := _decoder(c))]
        self._plain = _Compiled(statement, keys)
        self._locking = _Compiled(statement.with_for_update(), keys)

    async def raw(self, database: Database, **values: Any) -> tuple[Any, ...] | None:
        """The row as the driver gave it (JSON as text): for callers that keep what they
        decoded and decode again only when the row changed."""
        return await database.fetch_row(*self._plain.arguments(database.dialect, values))

    def decode(self, row: tuple[Any, ...]) -> dict[str, Any]:
        """A row as the driver gave it (`raw`), decoded to the table's values by column name."""
        decoded = list(row)
        for index, decode in self._decoders:
            if decoded[index] is not None:
                decoded[index] = decode(decoded[index])
        return dict(zip(self._names, decoded, strict=True))

    async def one(self, database: Database, **values: Any) -> dict[str, Any] | None:
        row = await database.fetch_row(*self._plain.arguments(database.dialect, values))
        return None if row is None else self.decode(row)

    async def all(self, database: Database, **values: Any) -> list[dict[str, Any]]:
        rows = await database.fetch_rows(*self._plain.arguments(database.dialect, values))
        return [self.decode(row) for row in rows]

    async def locked(self, conn: Conn, **values: Any) -> dict[str, Any] | None:
        """The row, locked for the rest of `conn`'s write transaction."""
        row = await conn.fetch_row(*self._locking.arguments(conn.dialect, values))
        return None if row is None else self.decode(row)


class SelectLookup:
    """Any SELECT (joins, several conditions, an ORDER BY of several columns) compiled once and
    run on the driver, like `KeyLookup`; its parameters are the `bindparam`s named in `keys`."""

    def __init__(self, statement: Select[Any], *keys: str) -> None:
        selected = list(statement.selected_columns)
        self._names = [column.name for column in selected]
        self._decoders = [(i, d) for i, c in enumerate(selected) if (d := _decoder(c))]
        self._compiled = _Compiled(statement, keys)

    async def all(self, database: Database, **values: Any) -> list[dict[str, Any]]:
        rows = await database.fetch_rows(*self._compiled.arguments(database.dialect, values))
        decoded = []
        for row in rows:
            fields = list(row)
            for index, decode in self._decoders:
                if fields[index] is not None:
                    fields[index] = decode(fields[index])
            decoded.append(dict(zip(self._names, fields, strict=True)))
        return decoded
