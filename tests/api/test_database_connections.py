"""PostgreSQL connections are a bounded resource: a full pool makes requests wait, and a
database that refuses a connection makes them answer 503 in the API's shape, never 500."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from tests.support.api import Api, patch_keys_at_once
from tests.support.server import (
    ADMIN_ID,
    ADMIN_SECRET,
    POSTGRES_ENV,
    RunningServer,
    client_token,
    serving,
    start,
    stop,
)

ADMIN_URL = os.environ.get(POSTGRES_ENV, "")
pytestmark = pytest.mark.skipif(not ADMIN_URL, reason=f"{POSTGRES_ENV} is not set")


def _admin_api(server: RunningServer) -> Api:
    return Api(server, client_token(server, ADMIN_ID, ADMIN_SECRET))


async def _sql(url: str, statement: str, *arguments: object) -> object:
    connection = await asyncpg.connect(url, timeout=10)
    try:
        return await connection.fetchval(statement, *arguments)
    finally:
        await connection.close()


def test_fifty_writers_share_three_connections_and_all_succeed(tmp_path: Path) -> None:
    with serving("postgres", tmp_path, {"SELFAUTH_DATABASE_CONNECTIONS": "3"}) as server:
        api = _admin_api(server)
        user = api.create_user()
        responses = patch_keys_at_once(api, user["user_id"], 50)
        assert [r.status_code for r in responses] == [200] * 50
        stored = api.user(user["user_id"])["user_metadata"]
        assert stored == {f"key{i}": i for i in range(50)}


@pytest.fixture
def limited_role(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A database owned by a role of its own, which is no superuser (PostgreSQL does not hold
    superusers to a connection limit): its URL and the role's name."""
    role = f"selfauth_limited_{secrets.token_hex(4)}"
    database = f"selfauth_test_{secrets.token_hex(6)}"
    asyncio.run(_sql(ADMIN_URL, f'CREATE ROLE "{role}" LOGIN'))
    asyncio.run(_sql(ADMIN_URL, f'CREATE DATABASE "{database}" OWNER "{role}"'))
    parts = urlsplit(ADMIN_URL)
    host = parts.netloc.rpartition("@")[2]
    url = urlunsplit(("postgresql", f"{role}@{host}", f"/{database}", "", ""))
    try:
        yield url, role
    finally:
        asyncio.run(_sql(ADMIN_URL, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        asyncio.run(_sql(ADMIN_URL, f'DROP ROLE IF EXISTS "{role}"'))


def test_a_database_refusing_connections_gets_503_and_loses_no_acknowledged_write(
    tmp_path: Path, limited_role: tuple[str, str]
) -> None:
    url, role = limited_role
    server = start(
        url, tmp_path / "server.log", "postgres", {"SELFAUTH_DATABASE_CONNECTIONS": "30"}
    )
    try:
        api = _admin_api(server)
        user = api.create_user()
        open_now = asyncio.run(
            _sql(ADMIN_URL, "SELECT count(*) FROM pg_stat_activity WHERE usename = $1", role)
        )
        # One connection more than the server holds now: a burst needs more and is refused some.
        asyncio.run(_sql(ADMIN_URL, f'ALTER ROLE "{role}" CONNECTION LIMIT {int(open_now) + 1}'))  # type: ignore[call-overload]
        responses = patch_keys_at_once(api, user["user_id"], 50)
        statuses = {r.status_code for r in responses}
        assert statuses <= {200, 503}
        assert 503 in statuses
        refused = next(r for r in responses if r.status_code == 503)
        assert refused.json() == {
            "statusCode": 503,
            "error": "Service Unavailable",
            "message": "The database is not available; retry in a moment.",
            "errorCode": "temporarily_unavailable",
        }
        assert refused.headers["retry-after"] == "1"
        asyncio.run(_sql(ADMIN_URL, f'ALTER ROLE "{role}" CONNECTION LIMIT -1'))
        acknowledged = {
            f"key{i}": i for i, response in enumerate(responses) if response.status_code == 200
        }
        assert api.user(user["user_id"])["user_metadata"] == acknowledged
        assert "unhandled error" not in server.log()
    finally:
        stop(server)
