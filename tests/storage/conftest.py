"""Repository tests run on every database: a migrated, bootstrapped database per backend for the
session (SQLite always, PostgreSQL when SELFAUTH_TEST_POSTGRES_URL is set), and a fresh
`Database` (engine and pools) per test, since asyncpg connections belong to one event loop.

Tests share the session's database, so each makes its own rows (unique ids and names) and
asserts about those only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from selfauth.config import parse_database_url
from selfauth.storage.bootstrap import bootstrap
from selfauth.storage.database import Database
from selfauth.storage.migrate import upgrade
from tests.support.server import backends, fresh_database
from tests.support.storage import AUDIENCE, START


@pytest.fixture(scope="session", params=backends())
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    backend: str = request.param
    with fresh_database(backend, tmp_path_factory.mktemp(f"storage-{backend}")) as url:
        asyncio.run(_prepare(url))
        yield url


async def _prepare(url: str) -> None:
    """The schema and what a first start puts in it (keys, Management API, the default
    connection), as `selfauth serve` would."""
    database = Database(parse_database_url(url))
    try:
        await upgrade(database)
        await bootstrap(
            database, audience=AUDIENCE, clock=lambda: START, client_id=None, client_secret=None
        )
    finally:
        await database.dispose()


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    found = Database(parse_database_url(database_url))
    try:
        yield found
    finally:
        await found.dispose()
