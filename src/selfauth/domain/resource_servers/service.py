"""Use cases on resource servers."""

from __future__ import annotations

import dataclasses
import secrets
import string
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from selfauth.domain import ids
from selfauth.domain.clock import Clock
from selfauth.domain.resource_servers.model import (
    COLUMNS,
    MAX_TOKEN_LIFETIME,
    SIGNING_ALGS,
    SYMMETRIC_ALG,
    ResourceServer,
)
from selfauth.errors import InvalidBody, NotFound, OperationNotSupported

_SECRET_ALPHABET = string.ascii_letters + string.digits
_GENERATED_SECRET_LENGTH = 32  # as Auth0's generated signing secrets


class ResourceServerStore(Protocol):
    async def get(self, id_or_identifier: str) -> ResourceServer | None: ...
    async def list(self, identifiers: Sequence[str] | None = None) -> list[ResourceServer]: ...
    async def insert(self, server: ResourceServer) -> None: ...
    async def update(
        self, server_id: str, change: Callable[[ResourceServer], ResourceServer]
    ) -> ResourceServer | None: ...
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

    async def all(self, identifiers: Sequence[str] | None = None) -> list[ResourceServer]:
        """The Management API first, then the tenant's APIs, oldest first; only those with
        one of `identifiers` when given."""
        return await self._store.list(identifiers)

    async def create(self, fields: dict[str, Any]) -> ResourceServer:
        columns, extra = _split(fields)
        server = ResourceServer(
            id=ids.object_id(), created_at=self._clock(), **columns, extra_properties=extra
        )
        server = _with_signing_secret(server)
        _check(server)
        await self._store.insert(server)
        return server

    async def update(self, id_or_identifier: str, fields: dict[str, Any]) -> ResourceServer:
        """On the locked row, so concurrent changes of different properties all stay."""
        server_id = (await self.get(id_or_identifier)).id
        columns, extra = _split(fields)

        def change(current: ResourceServer) -> ResourceServer:
            if current.is_system:
                raise OperationNotSupported(f"The system API {current.name} cannot be modified.")
            updated = dataclasses.replace(
                current, **columns, extra_properties={**current.extra_properties, **extra}
            )
            updated = _with_signing_secret(updated)
            _check(updated)
            return updated

        updated = await self._store.update(server_id, change)
        if updated is None:
            raise inexistent_resource_server()
        return updated

    async def delete(self, id_or_identifier: str) -> None:
        """Deleting an API that is already gone succeeds, as on Auth0."""
        current = await self._store.get(id_or_identifier)
        if current is None:
            return
        if current.is_system:
            raise OperationNotSupported(f"The system API {current.name} cannot be deleted.")
        await self._store.delete(current.id)


def _split(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    columns = {k: v for k, v in fields.items() if k in COLUMNS}
    extra = {k: v for k, v in fields.items() if k not in COLUMNS}
    return columns, extra


def _with_signing_secret(server: ResourceServer) -> ResourceServer:
    """An HS256 API signs with a secret of its own: Auth0 makes one when none was given."""
    if server.signing_alg != SYMMETRIC_ALG or server.signing_secret is not None:
        return server
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(_GENERATED_SECRET_LENGTH))
    return dataclasses.replace(
        server, extra_properties={**server.extra_properties, "signing_secret": secret}
    )


def _check(server: ResourceServer) -> None:
    if server.signing_alg not in SIGNING_ALGS:
        raise InvalidBody(
            f"Payload validation error: 'No enum match for: {server.signing_alg}' on property "
            "signing_alg."
        )
    _check_lifetime("token_lifetime", server.token_lifetime)
    for_web = server.extra_properties.get("token_lifetime_for_web")
    if isinstance(for_web, int):
        _check_lifetime("token_lifetime_for_web", for_web)
        if for_web > server.token_lifetime:
            raise InvalidBody(
                "Payload validation error: 'token_lifetime_for_web cannot be greater than "
                f"token_lifetime ({server.token_lifetime})' on property token_lifetime_for_web."
            )
    values = [scope["value"] for scope in server.scopes]
    if len(values) != len(set(values)) or any(not v or " " in v for v in values):
        raise InvalidBody(
            "Payload validation error: 'Scope values must be unique, non-empty and without "
            "spaces' on property scopes."
        )


def _check_lifetime(prop: str, seconds: int) -> None:
    """Auth0's bounds, in its validator's words."""
    if seconds < 0:
        raise InvalidBody(
            f"Payload validation error: 'Value {seconds} is less than minimum 0' on property "
            f"{prop}."
        )
    if seconds > MAX_TOKEN_LIFETIME:
        raise InvalidBody(
            f"Payload validation error: 'Value {seconds} is greater than maximum "
            f"{MAX_TOKEN_LIFETIME}' on property {prop}."
        )
