"""SqlClientRepository and SqlClientGrantRepository on every database: round trips of every
field, paging, the one grant per client and audience, and what deleting a client or an API
takes with it (foreign keys, which SQLite enforces only when asked)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from selfauth.domain.clients.model import ClientGrant
from selfauth.errors import Conflict
from selfauth.storage.clients import SqlClientGrantRepository, SqlClientRepository
from selfauth.storage.database import Database
from selfauth.storage.resource_servers import SqlResourceServerRepository
from tests.support.storage import (
    AUDIENCE,
    now,
    stored_client,
    stored_connection,
    stored_grant,
    stored_resource_server,
    unique,
)


@pytest.fixture
def clients(database: Database) -> SqlClientRepository:
    return SqlClientRepository(database)


@pytest.fixture
def grants(database: Database) -> SqlClientGrantRepository:
    return SqlClientGrantRepository(database)


# Auth0 properties kept beside the columns: nested objects, lists, nulls, numbers, unicode.
EXTRA_PROPERTIES = {
    "refresh_token": {"rotation_type": "rotating", "token_lifetime": 2592000, "leeway": 0},
    "addons": {"samlp": {"mappings": {"email": "http://schemas/ëmail"}, "lifetime": 3600.5}},
    "client_aliases": ["alias-1", "alias-2"],
    "par_request_expiry": None,
    "sso": False,
}


async def test_every_client_field_round_trips(
    database: Database, clients: SqlClientRepository
) -> None:
    client = await stored_client(
        database,
        description="An app",
        app_type="spa",
        is_first_party=False,
        callbacks=["https://app.example.com/cb", "https://app.example.com/other"],
        allowed_origins=["https://app.example.com"],
        web_origins=["https://web.example.com"],
        allowed_logout_urls=["https://app.example.com/bye"],
        grant_types=["authorization_code", "refresh_token"],
        token_endpoint_auth_method="none",
        client_metadata={"tier": "gold", "ünïcode": "✓"},
        extra_properties=EXTRA_PROPERTIES,
    )
    assert await clients.get(client.client_id) == client
    assert await clients.get("no-such-client") is None


async def test_a_client_id_is_taken_once(database: Database, clients: SqlClientRepository) -> None:
    client = await stored_client(database)
    with pytest.raises(Conflict):
        await clients.insert(dataclasses.replace(client, name=unique("other")))


async def test_save_replaces_the_stored_client(
    database: Database, clients: SqlClientRepository
) -> None:
    client = await stored_client(database, client_metadata={"a": "1"})
    edited = dataclasses.replace(
        client,
        name=unique("renamed"),
        secret_hash="rotated",
        client_metadata={"b": "2"},
        callbacks=["https://new.example.com/cb"],
        updated_at=now(),
    )
    await clients.update(edited.client_id, lambda _: edited)
    assert await clients.get(client.client_id) == edited


async def test_pages_partition_the_list_in_creation_order(
    database: Database, clients: SqlClientRepository
) -> None:
    for _ in range(3):
        await stored_client(database)
    everything, total = await clients.list(offset=0, limit=1000)
    assert total == len(everything) >= 3
    keys = [(c.created_at, c.client_id) for c in everything]
    assert keys == sorted(keys)
    pages = [await clients.list(offset=o, limit=2) for o in range(0, total, 2)]
    assert [c for page, _ in pages for c in page] == everything
    assert all(count == total for _, count in pages)


async def test_delete_says_whether_there_was_a_client(
    database: Database, clients: SqlClientRepository
) -> None:
    client = await stored_client(database)
    assert await clients.delete(client.client_id) is True
    assert await clients.get(client.client_id) is None
    assert await clients.delete(client.client_id) is False


async def test_a_grant_round_trips_and_is_found_by_client_and_audience(
    database: Database, grants: SqlClientGrantRepository
) -> None:
    client = await stored_client(database)
    api = await stored_resource_server(database)
    grant = await stored_grant(database, client.client_id, api.identifier, ["write:things"])
    assert await grants.get(grant.id) == grant
    assert await grants.find(client.client_id, api.identifier) == grant
    assert await grants.find(client.client_id, AUDIENCE) is None
    assert await grants.get("no-such-grant") is None
    with_extras = dataclasses.replace(grant, extra_properties={"subject_type": "user"})
    await grants.update(with_extras.id, lambda _: with_extras)
    assert await grants.get(grant.id) == with_extras


async def test_one_grant_per_client_and_audience(
    database: Database, grants: SqlClientGrantRepository
) -> None:
    client = await stored_client(database)
    api = await stored_resource_server(database)
    await stored_grant(database, client.client_id, api.identifier)
    with pytest.raises(Conflict) as refused:
        await stored_grant(database, client.client_id, api.identifier)
    assert refused.value.error_code == "client_grant_conflict"
    # Racing creations: exactly one lands.
    other = await stored_resource_server(database)
    racing = [
        ClientGrant(unique("g")[:24], client.client_id, other.identifier, []) for _ in range(8)
    ]
    results = await asyncio.gather(*(grants.insert(g) for g in racing), return_exceptions=True)
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if r is not None)


async def test_a_grant_for_an_unknown_client_or_audience_is_refused(
    database: Database, grants: SqlClientGrantRepository
) -> None:
    """The foreign keys hold on both databases (SQLite needs `PRAGMA foreign_keys`)."""
    client = await stored_client(database)
    api = await stored_resource_server(database)
    for grant in (
        ClientGrant(unique("g")[:24], "no-such-client", api.identifier, []),
        ClientGrant(unique("g")[:24], client.client_id, "https://unknown.example.com/", []),
    ):
        with pytest.raises(Conflict):
            await grants.insert(grant)
        assert await grants.get(grant.id) is None


async def test_list_filters_by_client_and_audience(
    database: Database, grants: SqlClientGrantRepository
) -> None:
    first, second = await stored_client(database), await stored_client(database)
    api = await stored_resource_server(database)
    made = [
        await stored_grant(database, first.client_id, api.identifier),
        await stored_grant(database, first.client_id, AUDIENCE),
        await stored_grant(database, second.client_id, api.identifier),
    ]
    assert {g.id for g in await grants.list(client_id=first.client_id)} == {
        made[0].id,
        made[1].id,
    }
    assert {g.id for g in await grants.list(audience=api.identifier)} == {made[0].id, made[2].id}
    assert [g.id for g in await grants.list(client_id=second.client_id, audience=AUDIENCE)] == []
    everything = await grants.list()
    assert [g.id for g in everything] == sorted(g.id for g in everything)


async def test_save_replaces_the_scope(
    database: Database, grants: SqlClientGrantRepository
) -> None:
    client = await stored_client(database)
    api = await stored_resource_server(database)
    grant = await stored_grant(database, client.client_id, api.identifier, ["read:things"])
    edited = dataclasses.replace(grant, scope=["write:things", "read:things"])
    await grants.update(edited.id, lambda _: edited)
    assert await grants.get(grant.id) == edited
    assert await grants.delete(grant.id) is True
    assert await grants.delete(grant.id) is False


async def test_deleting_a_client_takes_its_grants_and_connection_links(
    database: Database, clients: SqlClientRepository, grants: SqlClientGrantRepository
) -> None:
    from selfauth.storage.connections import SqlConnectionRepository

    client, kept = await stored_client(database), await stored_client(database)
    api = await stored_resource_server(database)
    grant = await stored_grant(database, client.client_id, api.identifier)
    connection = await stored_connection(database, client.client_id, kept.client_id)
    assert await clients.delete(client.client_id)
    assert await grants.get(grant.id) is None
    found = await SqlConnectionRepository(database).get(connection.id)
    assert found is not None and found.enabled_clients == [kept.client_id]


async def test_deleting_an_api_takes_the_grants_for_its_audience(
    database: Database, grants: SqlClientGrantRepository
) -> None:
    client = await stored_client(database)
    api = await stored_resource_server(database)
    grant = await stored_grant(database, client.client_id, api.identifier)
    kept = await stored_grant(database, client.client_id, AUDIENCE)
    assert await SqlResourceServerRepository(database).delete(api.id)
    assert await grants.get(grant.id) is None
    assert await grants.get(kept.id) == kept
