"""Row <-> dataclass mapping shared by the repositories."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

from selfauth.storage.database import Conn
from selfauth.storage.lookup import KeyLookup

T = TypeVar("T")


def to_values(obj: Any, table: sa.Table) -> dict[str, Any]:
    """The dataclass's fields that are columns of `table`."""
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name in table.c}


def from_row(cls: type[T], row: sa.Row[Any], **extra: Any) -> T:
    return cls(**row._mapping, **extra)


async def rewrite_locked(
    conn: Conn, lookup: KeyLookup, cls: type[T], change: Callable[[T], T], **key: Any
) -> tuple[T, T] | None:
    """One row's read-modify-write in `conn`'s write transaction: read locked by `lookup`
    (a lookup of the whole row by `key`), handed to `change` as a `cls`, and written back
    whole; the row before and after, or None when there is no such row. Concurrent changes
    never lose one another's."""
    found = await lookup.locked(conn, **key)
    if found is None:
        return None
    current = cls(**found)
    updated = change(current)
    table = lookup.table
    matching = (table.c[name] == value for name, value in key.items())
    await conn.execute(table.update().where(*matching).values(to_values(updated, table)))
    return current, updated
