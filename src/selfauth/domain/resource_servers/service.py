"""Use cases on resource servers."""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from selfauth.domain import ids
from selfauth.domain.clock import Clock
from selfauth.domain.resource_servers.model import (
    MAX_TOKEN_LIFETIME,
    SIGNING_ALGS,
    ResourceServer,
)
from selfauth.errors import InvalidBody, NotFound, OperationNotSupported


class ResourceServerStore(Protocol):
    async def get(self, id_or_identifier: str) -> ResourceServer | None: ...
    async def list(self) -> list[ResourceServer]: ...
    async def save(self, server: ResourceServer, *, create: bool) -> None: ...
    async def delete(self, server_id: str) -> bool: ...


def inexistent_resource_server() -> NotFound:
    return NotFound("The resource server does not exist", error_code="inexistent_resource_server")


class ResourceServerService:
    def __init__(self, store: ResourceServerStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def get(self, id_or_identifier: str) -> ResourceServer:
        server = await self._store.get(id_or_identifier)
        if server is None:
            raise inexistent_resource_server()
        return server

    async def all(self) -> list[ResourceServer]:
        """The Management API first, then the tenant's APIs, oldest first."""
        return await self._store.list()

    async def create(self, fields: dict[str, Any]) -> ResourceServer:
        server = ResourceServer(id=ids.object_id(), created_at=self._clock(), **fields)
        _check(server)
        await self._store.save(server, create=True)
        return server

    async def update(self, id_or_identifier: str, fields: dict[str, Any]) -> ResourceServer:
        current = await self.get(id_or_identifier)
        if current.is_system:
            raise OperationNotSupported(f"The system API {current.name} cannot be modified.")
        updated = dataclasses.replace(current, **fields)
        _check(updated)
        await self._store.save(updated, create=False)
        return updated

    async def delete(self, id_or_identifier: str) -> None:
        current = await self.get(id_or_identifier)
        if current.is_system:
            raise OperationNotSupported(f"The system API {current.name} cannot be deleted.")
        await self._store.delete(current.id)


def _check(server: ResourceServer) -> None:
    if server.signing_alg not in SIGNING_ALGS:
        raise InvalidBody(
            f"Payload validation error: 'No enum match for: {server.signing_alg}' on property "
            f"signing_alg (supported: {', '.join(SIGNING_ALGS)})."
        )
    if not 1 <= server.token_lifetime <= MAX_TOKEN_LIFETIME:
        raise InvalidBody(
            f"Payload validation error: 'Must be between 1 and {MAX_TOKEN_LIFETIME}' on "
            "property token_lifetime."
        )
    values = [scope["value"] for scope in server.scopes]
    if len(values) != len(set(values)) or any(not v or " " in v for v in values):
        raise InvalidBody(
            "Payload validation error: 'Scope values must be unique, non-empty and without "
            "spaces' on property scopes."
        )
