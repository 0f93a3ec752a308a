"""The plain users list's `total` (`include_totals=true` without `q`) on every database: exact
on SQLite; on PostgreSQL exact up to `EXACT_TOTAL_UP_TO` users and past it the planner's row
estimate, which is the exact count right after ANALYZE (storage/users.py `_total`)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from selfauth.storage import users as user_storage
from selfauth.storage.database import Database
from selfauth.storage.tables import users as users_table
from selfauth.storage.users import SqlUserRepository
from tests.support.storage import default_connection_id, stored_user


async def _own_users(database: Database) -> int:
    own = sa.select(sa.func.count()).where(users_table.c.linked_to.is_(None))
    async with database.read() as conn:
        return int((await conn.execute(own.select_from(users_table))).scalar_one())


async def _total(database: Database) -> int | None:
    _, total = await SqlUserRepository(database).page(
        offset=0, limit=1, sort="created_at", descending=False, with_total=True
    )
    return total


async def test_below_the_cap_the_total_is_exact(database: Database) -> None:
    connection_id = await default_connection_id(database)
    await stored_user(database, connection_id)
    assert await _total(database) == await _own_users(database)


async def test_past_the_cap_the_total_is_the_estimate_and_exact_after_analyze(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection_id = await default_connection_id(database)
    for _ in range(3):
        await stored_user(database, connection_id)
    monkeypatch.setattr(user_storage, "EXACT_TOTAL_UP_TO", 2)
    async with database.write() as conn:
        # The estimate's statistics: ANALYZE of a small table reads every row.
        await conn.execute(sa.text(f"ANALYZE {users_table.name}"))
    assert await _total(database) == await _own_users(database)


async def test_without_statistics_the_total_is_counted(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before the first ANALYZE (autovacuum's or ours) PostgreSQL has no estimate to give."""
    connection_id = await default_connection_id(database)
    for _ in range(3):
        await stored_user(database, connection_id)
    monkeypatch.setattr(user_storage, "_ESTIMATE", sa.text("SELECT NULL WHERE false"))
    monkeypatch.setattr(user_storage, "EXACT_TOTAL_UP_TO", 2)
    assert await _total(database) == await _own_users(database)
