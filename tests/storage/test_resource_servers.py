"""SqlResourceServerRepository on every database: lookups by id or identifier, the unique
identifier, the Management API listed first, and a renamed identifier carried to its grants."""

from __future__ import annotations

import dataclasses

import pytest

from selfauth.errors import Conflict
from selfauth.storage.clients import SqlClientGrantRepository
from selfauth.storage.database import Database
from selfauth.storage.resource_servers import SqlResourceServerRepository
from tests.support.storage import (
    AUDIENCE,
    stored_client,
    stored_grant,
    stored_resource_server,
)


@pytest.fixture
def servers(database: Database) -> SqlResourceServerRepository:
    return SqlResourceServerRepository(database)


async def test_every_field_round_trips_by_id_or_identifier(
    database: Database, servers: SqlResourceServerRepository
) -> None:
    server = await stored_resource_server(
        database,
        scopes=[{"value": "read:a", "description": "Read A"}, {"value": "write:a"}],
        token_lifetime=600,
        signing_alg="PS256",
        allow_offline_access=True,
        skip_consent_for_verifiable_first_party_clients=False,
        extra_properties={
            "token_dialect": "rfc9068_profile",
            "subject_type_authorization": {"user": {"policy": "deny_all"}},
            "token_encryption": None,
        },
    )
    assert await servers.get(server.id) == server
    assert await servers.get(server.identifier) == server
    assert await servers.by_identifier(server.identifier) == server
    assert await servers.by_identifier(server.id) is None
    assert await servers.get("https://missing.example.com/") is None


async def test_an_identifier_is_taken_once(
    database: Database, servers: SqlResourceServerRepository
) -> None:
    server = await stored_resource_server(database)
    with pytest.raises(Conflict):
        await stored_resource_server(database, identifier=server.identifier)
    with pytest.raises(Conflict):
        await stored_resource_server(database, identifier=AUDIENCE)


async def test_the_management_api_is_listed_first(
    database: Database, servers: SqlResourceServerRepository
) -> None:
    made = [await stored_resource_server(database) for _ in range(2)]
    listed = await servers.list()
    assert listed[0].identifier == AUDIENCE and listed[0].is_system
    ids = [s.id for s in listed]
    assert ids.index(made[0].id) < ids.index(made[1].id)


async def test_save_replaces_the_stored_api_and_a_new_identifier_follows_to_its_grants(
    database: Database, servers: SqlResourceServerRepository
) -> None:
    server = await stored_resource_server(database)
    client = await stored_client(database)
    grant = await stored_grant(database, client.client_id, server.identifier)
    edited = dataclasses.replace(
        server,
        identifier=f"{server.identifier}/v2",
        name="Renamed",
        scopes=[{"value": "read:things"}],
        token_lifetime=60,
    )
    await servers.update(edited.id, lambda _: edited)
    assert await servers.get(server.id) == edited
    grants = SqlClientGrantRepository(database)
    assert await grants.get(grant.id) == dataclasses.replace(grant, audience=edited.identifier)


async def test_delete_says_whether_there_was_an_api(
    database: Database, servers: SqlResourceServerRepository
) -> None:
    server = await stored_resource_server(database)
    assert await servers.delete(server.id) is True
    assert await servers.get(server.id) is None
    assert await servers.delete(server.id) is False
    await stored_resource_server(database, identifier=server.identifier)
