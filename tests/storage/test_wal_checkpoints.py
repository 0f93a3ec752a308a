"""A server's SQLite WAL is checkpointed on a thread (storage/wal_checkpoints.py), not inside
a request's commit: with the background checkpoints running the WAL is reused and stays
small; without them (the serving connections' own checkpoint is only a 1 GB safety net) it
grows with every write. SQLite only: PostgreSQL has no WAL of ours to checkpoint."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from selfauth.config import parse_database_url
from selfauth.storage.database import Database

ROWS = 40
ROW_BYTES = 200_000  # 40 x 200 KB: 8 MB of WAL when nothing checkpoints


def _size(path: Path) -> int:
    return path.stat().st_size  # a stat of a local file: nothing to wait for


async def _write_rows(database: Database, wal: Path) -> int:
    """Write ROWS rows in their own transactions, as requests would; the largest WAL seen."""
    largest = 0
    for number in range(ROWS):
        async with database.write() as conn:
            await conn.execute(
                sa.text("INSERT INTO blobs (id, body) VALUES (:id, :body)"),
                {"id": number, "body": os.urandom(ROW_BYTES)},
            )
        largest = max(largest, _size(wal))
        await asyncio.sleep(0.06)  # requests arrive over time; the loop is free between them
    return largest


async def _largest_wal(path: Path, *, checkpoints: bool) -> int:
    database = Database(parse_database_url(f"sqlite:///{path}"), background_checkpoints=True)
    try:
        async with database.write() as conn:
            await conn.execute(sa.text("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)"))
        if checkpoints:
            database.start_checkpoints()
        return await _write_rows(database, Path(f"{path}-wal"))
    finally:
        await database.dispose()


@pytest.mark.sqlite_only
def test_background_checkpoints_keep_the_wal_small(tmp_path: Path) -> None:
    largest = asyncio.run(_largest_wal(tmp_path / "checkpointed.db", checkpoints=True))
    # A checkpoint every 0.5 s: the WAL restarts after each, holding about 9 rows at most.
    assert largest < ROWS * ROW_BYTES / 2, largest


@pytest.mark.sqlite_only
def test_without_them_a_servers_wal_grows_with_every_write(tmp_path: Path) -> None:
    largest = asyncio.run(_largest_wal(tmp_path / "unchecked.db", checkpoints=False))
    assert largest >= ROWS * ROW_BYTES, largest
