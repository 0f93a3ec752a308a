"""Use cases on clients and client grants."""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

from selfauth.domain import ids
from selfauth.domain.clients.model import AUTH_METHODS, Client, ClientGrant
from selfauth.domain.clients.secrets import SecretHasher
from selfauth.domain.clock import Clock
from selfauth.domain.resource_servers.model import ResourceServer
from selfauth.domain.users import metadata
from selfauth.errors import InvalidBody, NotFound

_DEFAULT_GRANTS = {
    "regular_web": ["authorization_code", "implicit", "refresh_token", "client_credentials"],
    "spa": ["authorization_code", "implicit", "refresh_token"],
    "native": ["authorization_code", "implicit", "refresh_token"],
    "non_interactive": ["client_credentials"],
}
_PUBLIC_APP_TYPES = ("spa", "native")


class ClientStore(Protocol):
    async def get(self, client_id: str) -> Client | None: ...
    async def list(self, *, offset: int, limit: int) -> tuple[list[Client], int]: ...
    async def save(self, client: Client, *, create: bool) -> None: ...
    async def delete(self, client_id: str) -> bool: ...


class GrantStore(Protocol):
    async def get(self, grant_id: str) -> ClientGrant | None: ...
    async def list(
        self, *, client_id: str | None = None, audience: str | None = None
    ) -> list[ClientGrant]: ...
    async def save(self, grant: ClientGrant, *, create: bool) -> None: ...
    async def delete(self, grant_id: str) -> bool: ...


class ResourceServerLookup(Protocol):
    async def get(self, id_or_identifier: str) -> ResourceServer | None: ...


def inexistent_client() -> NotFound:
    return NotFound("The client does not exist", error_code="inexistent_client")


def inexistent_grant() -> NotFound:
    return NotFound("The client grant does not exist", error_code="inexistent_client_grant")


class ClientService:
    def __init__(self, store: ClientStore, secrets: SecretHasher, clock: Clock) -> None:
        self._store = store
        self._secrets = secrets
        self._clock = clock

    async def get(self, client_id: str) -> Client:
        client = await self._store.get(client_id)
        if client is None:
            raise inexistent_client()
        return client

    async def find(self, client_id: str) -> Client | None:
        return await self._store.get(client_id)

    async def page(self, *, offset: int, limit: int) -> tuple[list[Client], int]:
        """A page of clients, oldest first, and how many there are."""
        return await self._store.list(offset=offset, limit=limit)

    async def create(self, fields: dict[str, Any]) -> tuple[Client, str]:
        """A new client and its secret, which is returned now and never again."""
        app_type = fields.get("app_type")
        fields.setdefault(
            "grant_types", list(_DEFAULT_GRANTS.get(app_type or "", _DEFAULT_GRANTS["regular_web"]))
        )
        fields.setdefault(
            "token_endpoint_auth_method",
            "none" if app_type in _PUBLIC_APP_TYPES else "client_secret_post",
        )
        fields["client_metadata"] = _clean_metadata(fields.get("client_metadata") or {})
        secret = ids.client_secret()
        now = self._clock()
        client = Client(
            client_id=ids.client_id(),
            secret_hash=self._secrets.digest(secret),
            created_at=now,
            updated_at=now,
            **fields,
        )
        _check_consistency(client)
        await self._store.save(client, create=True)
        return client, secret

    async def update(self, client_id: str, fields: dict[str, Any]) -> Client:
        """Attributes replace; `client_metadata` merges as user metadata does."""
        current = await self.get(client_id)
        patch = fields.pop("client_metadata", None)
        updated = dataclasses.replace(current, **fields, updated_at=self._clock())
        if patch is not None:
            merged = metadata.merge(current.client_metadata, patch)
            updated = dataclasses.replace(updated, client_metadata=_clean_metadata(merged))
        _check_consistency(updated)
        await self._store.save(updated, create=False)
        return updated

    async def rotate_secret(self, client_id: str) -> tuple[Client, str]:
        current = await self.get(client_id)
        secret = ids.client_secret()
        updated = dataclasses.replace(
            current, secret_hash=self._secrets.digest(secret), updated_at=self._clock()
        )
        await self._store.save(updated, create=False)
        return updated, secret

    async def delete(self, client_id: str) -> None:
        if not await self._store.delete(client_id):
            raise inexistent_client()


def _clean_metadata(value: dict[str, Any]) -> dict[str, str]:
    cleaned = {k: v for k, v in value.items() if v is not None}
    metadata.check_client_metadata(cleaned)
    return cleaned


def _check_consistency(client: Client) -> None:
    if client.token_endpoint_auth_method not in AUTH_METHODS:
        raise InvalidBody(
            "Payload validation error: 'No enum match for: "
            f"{client.token_endpoint_auth_method}' on property token_endpoint_auth_method."
        )
    public = client.token_endpoint_auth_method == "none"  # noqa: S105 (a method name)
    if public and "client_credentials" in client.grant_types:
        raise InvalidBody(
            "Payload validation error: 'The client_credentials grant needs a confidential "
            "client: token_endpoint_auth_method must not be none'."
        )


class ClientGrantService:
    def __init__(
        self, store: GrantStore, clients: ClientStore, resource_servers: ResourceServerLookup
    ) -> None:
        self._store = store
        self._clients = clients
        self._resource_servers = resource_servers

    async def get(self, grant_id: str) -> ClientGrant:
        grant = await self._store.get(grant_id)
        if grant is None:
            raise inexistent_grant()
        return grant

    async def matching(
        self, *, client_id: str | None = None, audience: str | None = None
    ) -> list[ClientGrant]:
        """Every grant, or those of one client and/or audience."""
        return await self._store.list(client_id=client_id, audience=audience)

    async def create(self, client_id: str, audience: str, scope: list[str]) -> ClientGrant:
        if await self._clients.get(client_id) is None:
            raise NotFound("The client does not exist", error_code="inexistent_client")
        server = await self._resource_servers.get(audience)
        if server is None or server.identifier != audience:
            raise NotFound(
                f"No resource server found for audience {audience}",
                error_code="inexistent_resource_server",
            )
        grant = ClientGrant(
            ids.client_grant_id(), client_id, audience, _checked_scope(scope, server)
        )
        await self._store.save(grant, create=True)
        return grant

    async def update(self, grant_id: str, scope: list[str]) -> ClientGrant:
        current = await self.get(grant_id)
        server = await self._resource_servers.get(current.audience)
        if server is None:
            raise inexistent_grant()
        updated = dataclasses.replace(current, scope=_checked_scope(scope, server))
        await self._store.save(updated, create=False)
        return updated

    async def delete(self, grant_id: str) -> None:
        if not await self._store.delete(grant_id):
            raise inexistent_grant()


def _checked_scope(scope: list[str], server: ResourceServer) -> list[str]:
    unknown = sorted(set(scope) - server.scope_values)
    if unknown:
        raise InvalidBody(
            f"Payload validation error: 'Scopes not defined by the resource server "
            f"{server.identifier}: {', '.join(unknown)}' on property scope."
        )
    return list(dict.fromkeys(scope))
