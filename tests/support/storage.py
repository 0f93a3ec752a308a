"""Builders for the repository tests (tests/storage): domain objects with unique keys, stored
through the repositories themselves."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

from selfauth.domain.clients.model import Client, ClientGrant
from selfauth.domain.connections.model import DEFAULT_DATABASE_CONNECTION, Connection
from selfauth.domain.resource_servers.model import ResourceServer
from selfauth.domain.users.model import User
from selfauth.storage.clients import SqlClientGrantRepository, SqlClientRepository
from selfauth.storage.connections import SqlConnectionRepository
from selfauth.storage.database import Database
from selfauth.storage.resource_servers import SqlResourceServerRepository
from selfauth.storage.users import SqlUserRepository

AUDIENCE = "http://127.0.0.1:8080/api/v2/"
"""The Management API's identifier in the storage tests' databases."""
START = datetime(2024, 1, 1, tzinfo=UTC)
"""The first start's time in the storage tests' databases."""


def now() -> datetime:
    return datetime.now(UTC)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def new_user(connection_id: str, **fields: Any) -> User:
    """A user of `connection_id` (not stored) with a unique id and email."""
    moment = now()
    values: dict[str, Any] = {
        "user_id": f"auth0|{uuid.uuid4().hex[:24]}",
        "connection_id": connection_id,
        "created_at": moment,
        "updated_at": moment,
        "email": f"{uuid.uuid4().hex[:12]}@example.com",
        **fields,
    }
    return User(**values)


def changed(user: User, **fields: Any) -> User:
    return dataclasses.replace(user, **fields)


async def default_connection_id(database: Database) -> str:
    found = await SqlConnectionRepository(database).get_by_name(DEFAULT_DATABASE_CONNECTION)
    assert found is not None
    return found.id


async def stored_user(database: Database, connection_id: str, **fields: Any) -> User:
    user = new_user(connection_id, **fields)
    await SqlUserRepository(database).insert(user)
    return user


async def stored_client(database: Database, **fields: Any) -> Client:
    moment = now()
    values: dict[str, Any] = {
        "client_id": uuid.uuid4().hex,
        "name": unique("client"),
        "secret_hash": uuid.uuid4().hex,
        "created_at": moment,
        "updated_at": moment,
        **fields,
    }
    client = Client(**values)
    await SqlClientRepository(database).insert(client)
    return client


async def stored_connection(database: Database, *client_ids: str, **fields: Any) -> Connection:
    values: dict[str, Any] = {
        "id": f"con_{uuid.uuid4().hex[:16]}",
        "name": unique("conn"),
        "strategy": "auth0",
        "created_at": now(),
        "enabled_clients": list(client_ids),
        **fields,
    }
    connection = Connection(**values)
    await SqlConnectionRepository(database).insert(connection)
    return connection


async def stored_resource_server(database: Database, **fields: Any) -> ResourceServer:
    identifier = f"https://{uuid.uuid4().hex[:12]}.example.com/api"
    values: dict[str, Any] = {
        "id": uuid.uuid4().hex[:24],
        "identifier": identifier,
        "name": identifier,
        "created_at": now(),
        "scopes": [{"value": "read:things"}, {"value": "write:things"}],
        **fields,
    }
    server = ResourceServer(**values)
    await SqlResourceServerRepository(database).insert(server)
    return server


async def stored_grant(
    database: Database, client_id: str, audience: str, scope: list[str] | None = None
) -> ClientGrant:
    grant = ClientGrant(uuid.uuid4().hex[:24], client_id, audience, scope or ["read:things"])
    await SqlClientGrantRepository(database).insert(grant)
    return grant
