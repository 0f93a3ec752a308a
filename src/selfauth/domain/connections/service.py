"""Use cases on connections."""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from selfauth.domain import ids
from selfauth.domain.clock import Clock
from selfauth.domain.connections.model import (
    Connection,
    check_name,
    check_options,
    check_strategy,
)
from selfauth.domain.users import metadata
from selfauth.errors import NotFound


class ConnectionStore(Protocol):
    async def get(self, connection_id: str) -> Connection | None: ...
    async def get_by_name(self, name: str) -> Connection | None: ...
    async def list(self) -> list[Connection]: ...
    async def save(self, connection: Connection, *, create: bool) -> None: ...
    async def delete(self, connection_id: str) -> bool: ...


def inexistent_connection() -> NotFound:
    return NotFound("The connection does not exist", error_code="inexistent_connection")


class ConnectionService:
    def __init__(self, store: ConnectionStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def get(self, connection_id: str) -> Connection:
        connection = await self._store.get(connection_id)
        if connection is None:
            raise inexistent_connection()
        return connection

    async def by_name(self, name: str) -> Connection | None:
        return await self._store.get_by_name(name)

    async def all(self) -> list[Connection]:
        return await self._store.list()

    async def create(self, fields: dict[str, Any]) -> Connection:
        name = check_name(fields.pop("name"))
        strategy = check_strategy(fields.pop("strategy"))
        fields["options"] = check_options(strategy, fields.get("options") or {})
        fields.setdefault("realms", [name])
        metadata.check_client_metadata(fields.get("metadata") or {}, "metadata")
        connection = Connection(
            id=ids.connection_id(),
            name=name,
            strategy=strategy,
            created_at=self._clock(),
            **fields,
        )
        await self._store.save(connection, create=True)
        return connection

    async def update(self, connection_id: str, fields: dict[str, Any]) -> Connection:
        """Every given field replaces the stored one; `options` is replaced whole, as on Auth0."""
        current = await self.get(connection_id)
        if "options" in fields:
            fields["options"] = check_options(current.strategy, fields["options"] or {})
        if "metadata" in fields:
            metadata.check_client_metadata(fields["metadata"] or {}, "metadata")
        updated = dataclasses.replace(current, **fields)
        await self._store.save(updated, create=False)
        return updated

    async def delete(self, connection_id: str) -> None:
        """Deleting a connection deletes its users with it."""
        if not await self._store.delete(connection_id):
            raise inexistent_connection()


def connection_view(connection: Connection) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": connection.id,
        "name": connection.name,
        "strategy": connection.strategy,
        "options": connection.options,
        "enabled_clients": connection.enabled_clients,
        "realms": connection.realms,
        "is_domain_connection": connection.is_domain_connection,
        "metadata": connection.metadata,
    }
    if connection.display_name is not None:
        view["display_name"] = connection.display_name
    return view
