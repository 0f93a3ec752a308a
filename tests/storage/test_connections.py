"""SqlConnectionRepository on every database: a connection and its enabled clients written in
one transaction, unique names, and deletion taking the connection's users with it."""

from __future__ import annotations

import dataclasses

import pytest

from selfauth.errors import Conflict, InvalidBody
from selfauth.storage.connections import SqlConnectionRepository
from selfauth.storage.database import Database
from selfauth.storage.users import SqlUserRepository
from tests.support.storage import stored_client, stored_connection, stored_user


@pytest.fixture
def connections(database: Database) -> SqlConnectionRepository:
    return SqlConnectionRepository(database)


async def test_every_field_round_trips_by_id_and_by_name(
    database: Database, connections: SqlConnectionRepository
) -> None:
    first, second = await stored_client(database), await stored_client(database)
    connection = await stored_connection(
        database,
        *sorted([first.client_id, second.client_id]),
        options={"requires_username": True, "password_policy": "good", "nested": {"a": [1]}},
        display_name="Staff",
        realms=["staff"],
        metadata={"team": "blue"},
        is_domain_connection=True,
    )
    assert await connections.get(connection.id) == connection
    assert await connections.get_by_name(connection.name) == connection
    assert connection in await connections.list()
    assert await connections.get("con_missing") is None
    assert await connections.get_by_name("missing") is None


async def test_strategies_and_properties_selfauth_does_not_act_on_round_trip(
    database: Database, connections: SqlConnectionRepository
) -> None:
    """Any Auth0 strategy, options with nulls and nesting as sent, and the top-level
    properties kept in `extra_properties`; an update replaces them."""
    connection = await stored_connection(
        database,
        strategy="salesforce-community",
        options={"ips": None, "upstream_params": {"screen_name": {"alias": "login_hint"}}},
        extra_properties={
            "show_as_button": True,
            "authentication": {"active": False},
            "cross_app_access_resource_app": {"status": "enabled"},
        },
    )
    assert await connections.get(connection.id) == connection
    edited = dataclasses.replace(connection, extra_properties={"show_as_button": False})
    await connections.update(edited.id, lambda _: edited)
    assert await connections.get(connection.id) == edited
    assert edited in await connections.list()


async def test_a_name_is_taken_once(
    database: Database, connections: SqlConnectionRepository
) -> None:
    connection = await stored_connection(database)
    with pytest.raises(Conflict):
        await stored_connection(database, name=connection.name)
    renamed = await stored_connection(database)
    taken = dataclasses.replace(renamed, name=connection.name)
    with pytest.raises(Conflict):
        await connections.update(renamed.id, lambda _: taken)
    assert await connections.get(renamed.id) == renamed


async def test_save_replaces_options_and_the_enabled_clients(
    database: Database, connections: SqlConnectionRepository
) -> None:
    first, second = await stored_client(database), await stored_client(database)
    connection = await stored_connection(database, first.client_id, options={"a": 1})
    edited = dataclasses.replace(connection, options={"b": 2}, enabled_clients=[second.client_id])
    await connections.update(edited.id, lambda _: edited)
    assert await connections.get(connection.id) == edited
    cleared = dataclasses.replace(edited, enabled_clients=[])
    await connections.update(cleared.id, lambda _: cleared)
    assert await connections.get(connection.id) == cleared


async def test_an_unknown_enabled_client_refuses_the_whole_write(
    database: Database, connections: SqlConnectionRepository
) -> None:
    client = await stored_client(database)
    connection = await stored_connection(database, client.client_id, options={"a": 1})
    edited = dataclasses.replace(
        connection, options={"b": 2}, enabled_clients=[client.client_id, "no-such-client"]
    )
    with pytest.raises(InvalidBody):
        await connections.update(edited.id, lambda _: edited)
    assert await connections.get(connection.id) == connection
    created = dataclasses.replace(edited, id="con_never_stored", name="never-stored")
    with pytest.raises(InvalidBody):
        await connections.insert(created)
    assert await connections.get(created.id) is None


async def test_deleting_a_connection_deletes_its_users(
    database: Database, connections: SqlConnectionRepository
) -> None:
    connection = await stored_connection(database)
    users = SqlUserRepository(database)
    member = await stored_user(database, connection.id)
    assert await connections.delete(connection.id) is True
    assert await connections.get(connection.id) is None
    assert await users.get(member.user_id) is None
    assert await connections.delete(connection.id) is False
    # The name is free again.
    await stored_connection(database, name=connection.name)
