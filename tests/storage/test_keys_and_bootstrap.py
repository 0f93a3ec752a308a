"""Signing keys, the server's HMAC key and the first-start bootstrap on every database: what
JWKS publishes (tests/api/test_discovery.py, tests/api/test_bearer_checks.py) and a bootstrap
that workers may run at once without making anything twice."""

from __future__ import annotations

import asyncio

from selfauth.domain.connections.model import DEFAULT_DATABASE_CONNECTION
from selfauth.storage.bootstrap import bootstrap
from selfauth.storage.clients import SqlClientGrantRepository, SqlClientRepository
from selfauth.storage.connections import SqlConnectionRepository
from selfauth.storage.database import Database
from selfauth.storage.keys import SqlKeyRepository
from selfauth.storage.resource_servers import SqlResourceServerRepository
from tests.support.storage import AUDIENCE, START, unique


async def test_one_current_rs256_key_is_published_with_its_private_half(
    database: Database,
) -> None:
    (key, *older) = await SqlKeyRepository(database).published()
    assert key.current and not any(k.current for k in older)
    assert key.alg == "RS256"
    assert key.public_jwk["kid"] == key.kid
    assert key.private_pem.startswith("-----BEGIN PRIVATE KEY-----")


async def test_the_hmac_key_is_32_random_bytes_kept_across_reads(database: Database) -> None:
    keys = SqlKeyRepository(database)
    first = await keys.hmac_key()
    assert len(first) == 32
    assert await keys.hmac_key() == first


async def test_bootstraps_run_at_once_make_each_thing_once(database: Database) -> None:
    """Several workers starting together on one database (the advisory lock on PostgreSQL, the
    writer lock on SQLite): one key, one Management API, one default connection, and the
    configured administrator client made once with its grant."""
    keys = await SqlKeyRepository(database).published()
    client_id = unique("admin")[:32]
    results = await asyncio.gather(
        *(
            bootstrap(
                database,
                audience=AUDIENCE,
                clock=lambda: START,
                client_id=client_id,
                client_secret="a-bootstrap-secret-of-some-length",
            )
            for _ in range(4)
        )
    )
    assert {r.client_id for r in results} == {client_id}
    assert all(r.new_secret is None for r in results)  # given, never generated
    assert await SqlKeyRepository(database).published() == keys
    apis = [s for s in await SqlResourceServerRepository(database).list() if s.is_system]
    assert [s.identifier for s in apis] == [AUDIENCE]
    names = [c.name for c in await SqlConnectionRepository(database).list()]
    assert names.count(DEFAULT_DATABASE_CONNECTION) == 1
    assert await SqlClientRepository(database).get(client_id) is not None
    grants = await SqlClientGrantRepository(database).list(client_id=client_id)
    assert [g.audience for g in grants] == [AUDIENCE]
