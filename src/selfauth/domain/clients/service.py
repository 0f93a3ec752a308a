"""Use cases on clients and client grants."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol

from selfauth.domain import ids
from selfauth.domain.clients import support
from selfauth.domain.clients.etag import client_etag
from selfauth.domain.clients.model import COLUMNS, DEFAULT_AUTH_METHOD, Client, ClientGrant
from selfauth.domain.clients.secrets import SecretHasher
from selfauth.domain.clients.token_settings import stored_jwt_configuration, stored_refresh_token
from selfauth.domain.clock import Clock
from selfauth.domain.etags import IfMatch, precondition
from selfauth.domain.metadata_history import Author, Authors
from selfauth.domain.resource_servers.model import ResourceServer
from selfauth.domain.users import metadata
from selfauth.errors import InvalidBody, NotFound

_DEFAULT_GRANTS = {
    "regular_web": ["authorization_code", "implicit", "refresh_token", "client_credentials"],
    "spa": ["authorization_code", "implicit", "refresh_token"],
    "native": ["authorization_code", "implicit", "refresh_token"],
    "non_interactive": ["client_credentials"],
    # Auth0 gives these no grant types, or these two.
    "resource_server": [],
    "express_configuration": ["authorization_code", "client_credentials"],
}
_PUBLIC_APP_TYPES = ("spa", "native")
# PATCH merges these objects one level deep (their patch types take null per key); any other
# object is replaced whole.
_MERGED = ("native_social_login", "fedcm_login")


class ClientStore(Protocol):
    async def get(self, client_id: str) -> Client | None: ...
    async def list(
        self, *, offset: int, limit: int, newest_first: bool = False
    ) -> tuple[list[Client], int]: ...
    async def insert(self, client: Client) -> None: ...
    async def update(
        self, client_id: str, change: Callable[[Client], Client], by: Authors | None = None
    ) -> Client | None: ...
    async def delete(
        self, client_id: str, check: Callable[[Client | None], None] | None = None
    ) -> bool: ...


class GrantStore(Protocol):
    async def get(self, grant_id: str) -> ClientGrant | None: ...
    async def list(
        self, *, client_id: str | None = None, audience: str | None = None
    ) -> list[ClientGrant]: ...
    async def insert(self, grant: ClientGrant) -> None: ...
    async def update(
        self, grant_id: str, change: Callable[[ClientGrant], ClientGrant]
    ) -> ClientGrant | None: ...
    async def delete(self, grant_id: str) -> bool: ...


class ConnectionLinks(Protocol):
    async def enable_on_all(self, client_id: str) -> None: ...


class ResourceServerLookup(Protocol):
    async def get(self, id_or_identifier: str) -> ResourceServer | None: ...


def inexistent_client() -> NotFound:
    return NotFound("The client does not exist", error_code="inexistent_client")


def inexistent_grant() -> NotFound:
    return NotFound("The client grant does not exist", error_code="inexistent_client_grant")


class ClientService:
    def __init__(
        self,
        store: ClientStore,
        secrets: SecretHasher,
        clock: Clock,
        new_client_connections: ConnectionLinks | None = None,
    ) -> None:
        """`new_client_connections`, when given, enables every existing connection for each
        new client (Auth0's tenant flag `enable_client_connections`)."""
        self._store = store
        self._secrets = secrets
        self._clock = clock
        self._new_client_connections = new_client_connections

    async def get(self, client_id: str) -> Client:
        client = await self._store.get(client_id)
        if client is None:
            raise inexistent_client()
        return client

    async def find(self, client_id: str) -> Client | None:
        return await self._store.get(client_id)

    async def page(
        self, *, offset: int, limit: int, newest_first: bool = False
    ) -> tuple[list[Client], int]:
        """A page of clients, oldest first (the dashboard: newest first), and how many there
        are."""
        return await self._store.list(offset=offset, limit=limit, newest_first=newest_first)

    async def create(self, body: dict[str, Any]) -> tuple[Client, str | None]:
        """A new client from a validated body, and its secret, returned now and never again;
        a public client (`token_endpoint_auth_method: none`) is given none."""
        support.check_client(body)
        fields = {k: v for k, v in body.items() if k in COLUMNS}
        app_type = fields.get("app_type")
        default_grants = _DEFAULT_GRANTS.get(app_type or "", _DEFAULT_GRANTS["regular_web"])
        fields.setdefault("grant_types", list(default_grants))
        fields.setdefault(
            "token_endpoint_auth_method",
            "none" if app_type in _PUBLIC_APP_TYPES else DEFAULT_AUTH_METHOD,
        )
        fields["client_metadata"] = _clean_metadata(fields.get("client_metadata") or {})
        # The column needs a digest: a public client's is of a random secret nobody is shown,
        # and client authentication refuses any secret while the method is `none` anyway.
        # rotate-secret gives it a usable one if it ever becomes confidential.
        secret = ids.client_secret()
        now = self._clock()
        client = Client(
            client_id=ids.client_id(),
            secret_hash=self._secrets.digest(secret),
            created_at=now,
            updated_at=now,
            extra_properties=_extra_patch({}, body),
            **fields,
        )
        _check_consistency(client)
        await self._store.insert(client)
        if self._new_client_connections is not None:
            await self._new_client_connections.enable_on_all(client.client_id)
        public = client.token_endpoint_auth_method == "none"  # noqa: S105 (a method name)
        return client, None if public else secret

    async def update(
        self,
        client_id: str,
        body: dict[str, Any],
        by: Author,
        if_match: IfMatch | None = None,
    ) -> Client:
        """Attributes replace; `client_metadata` merges as user metadata does; a `client_secret`
        replaces the secret (only its keyed hash is kept). On the locked row, so concurrent
        changes never lose one another's; with `if_match`, only while the client still has
        one of its ETags. `by` is recorded in the history of the `client_metadata` keys it
        changes."""
        if not body:
            raise _too_few_properties()
        support.check_client(body)
        fields = {k: v for k, v in body.items() if k in COLUMNS and k != "client_metadata"}
        patch = body.get("client_metadata")
        secret = body.get("client_secret")
        secret_hash = self._secrets.digest(secret) if isinstance(secret, str) else None
        now = self._clock()

        def change(current: Client) -> Client:
            if if_match is not None:
                if_match.check(client_etag(current), "client")
            updated = dataclasses.replace(
                current,
                **fields,
                extra_properties=_extra_patch(current.extra_properties, body),
                updated_at=now,
            )
            if patch is not None:
                merged = metadata.merge(current.client_metadata, patch)
                updated = dataclasses.replace(updated, client_metadata=_clean_metadata(merged))
            if secret_hash is not None:
                updated = dataclasses.replace(updated, secret_hash=secret_hash)
            _check_consistency(updated)
            return updated

        updated = await self._store.update(client_id, change, by)
        if updated is None:
            raise inexistent_client()
        return updated

    async def rotate_secret(self, client_id: str) -> tuple[Client, str]:
        secret = ids.client_secret()
        secret_hash, now = self._secrets.digest(secret), self._clock()
        updated = await self._store.update(
            client_id,
            lambda current: dataclasses.replace(current, secret_hash=secret_hash, updated_at=now),
        )
        if updated is None:
            raise inexistent_client()
        return updated, secret

    async def delete(self, client_id: str, if_match: IfMatch | None = None) -> None:
        """Deleting a client that is not there (any more) is no error, as on Auth0; with
        `if_match`, only while the client still has one of its ETags (gone: 412)."""
        await self._store.delete(client_id, precondition(if_match, client_etag, "client"))


def _extra_patch(current: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The stored Auth0 properties after a body: given ones replace (a few merge), null removes,
    and the token settings are completed as Auth0 completes them."""
    extra = dict(current)
    for key, value in body.items():
        if key in COLUMNS or key == "client_secret":
            continue
        if key == "oidc_backchannel_logout":
            # The deprecated name of oidc_logout: one setting, answered under both names.
            if "oidc_logout" in body:
                continue
            key = "oidc_logout"
        if value is None:
            extra.pop(key, None)
        elif key == "jwt_configuration":
            extra[key] = stored_jwt_configuration(value)
        elif key == "refresh_token":
            extra[key] = stored_refresh_token(value)
        elif key in _MERGED and isinstance(extra.get(key), dict):
            merged = {**extra[key], **value}
            extra[key] = {k: v for k, v in merged.items() if v is not None}
        else:
            extra[key] = value
    return extra


def _too_few_properties() -> InvalidBody:
    return InvalidBody("Payload validation error: 'Too few properties defined (0), minimum 1'.")


def _clean_metadata(value: dict[str, Any]) -> dict[str, str]:
    cleaned = {k: v for k, v in value.items() if v is not None}
    metadata.check_client_metadata(cleaned)
    return cleaned


def _check_consistency(client: Client) -> None:
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
        self,
        *,
        client_id: str | None = None,
        audience: str | None = None,
        subject_type: str | None = None,
        allow_any_organization: bool | None = None,
    ) -> list[ClientGrant]:
        """Every grant, or those matching the filters given."""
        found = await self._store.list(client_id=client_id, audience=audience)
        if subject_type is not None:
            found = [g for g in found if g.subject_type == subject_type]
        if allow_any_organization is not None:
            found = [
                g
                for g in found
                if (g.extra_properties.get("allow_any_organization") is True)
                == allow_any_organization
            ]
        return found

    async def create(self, body: dict[str, Any]) -> ClientGrant:
        """A grant from a validated body (NA-req `CreateClientGrantRequestContent`)."""
        support.check_grant(body)
        client_id = body.get("client_id")
        if client_id is None:
            raise InvalidBody("Payload validation error: 'Missing required property: client_id'.")
        audience: str = body["audience"]
        client = await self._clients.get(client_id)
        if client is None:
            raise inexistent_client()
        if client.app_type == "express_configuration":
            raise InvalidBody(
                "Client of type express_configuration cannot be used", error_code="validation_error"
            )
        server = await self._resource_servers.get(audience)
        if server is None or server.identifier != audience:
            raise NotFound(
                f"No resource server found for audience {audience}",
                error_code="inexistent_resource_server",
            )
        extra = {k: v for k, v in body.items() if k not in ("client_id", "audience", "scope")}
        grant = ClientGrant(
            ids.client_grant_id(),
            client_id,
            audience,
            _checked_scope(body.get("scope", []), server),
            extra_properties=extra,
        )
        await self._store.insert(grant)
        return grant

    async def update(self, grant_id: str, body: dict[str, Any]) -> ClientGrant:
        """Given properties replace; null resets one (`scope: null` empties the scope)."""
        if not body:
            raise _too_few_properties()
        support.check_grant(body)
        audience = (await self.get(grant_id)).audience  # a grant's audience never changes
        server = await self._resource_servers.get(audience)
        if server is None:
            raise inexistent_grant()
        scope = _checked_scope(body["scope"] or [], server) if "scope" in body else None

        def change(current: ClientGrant) -> ClientGrant:
            extra = dict(current.extra_properties)
            for key, value in body.items():
                if key == "scope":
                    continue
                if value is None:
                    extra.pop(key, None)
                else:
                    extra[key] = value
            kept = current.scope if scope is None else scope
            return dataclasses.replace(current, scope=kept, extra_properties=extra)

        updated = await self._store.update(grant_id, change)
        if updated is None:
            raise inexistent_grant()
        return updated

    async def delete(self, grant_id: str) -> None:
        """Deleting a grant that is not there (any more) is no error, as on Auth0."""
        await self._store.delete(grant_id)


def _checked_scope(scope: list[str], server: ResourceServer) -> list[str]:
    unknown = sorted(set(scope) - server.scope_values)
    if unknown:
        raise InvalidBody(
            f"Payload validation error: 'Scopes not defined by the resource server "
            f"{server.identifier}: {', '.join(unknown)}' on property scope."
        )
    return list(dict.fromkeys(scope))
