"""The client-credentials grant (RFC 6749 section 4.4) with Auth0's client grants."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from selfauth.domain.clients.model import Client, ClientGrant
from selfauth.domain.resource_servers.model import ResourceServer
from selfauth.oauth.errors import AccessDenied, InvalidRequest, UnauthorizedClient
from selfauth.oauth.jwt import TokenSigner
from selfauth.oauth.scope import requested_scopes


class GrantFinder(Protocol):
    async def find(self, client_id: str, audience: str) -> ClientGrant | None: ...


class ResourceServerFinder(Protocol):
    async def by_identifier(self, identifier: str) -> ResourceServer | None: ...


@dataclass
class ClientCredentialsGrant:
    grants: GrantFinder
    resource_servers: ResourceServerFinder
    signer: TokenSigner
    issuer: str

    async def issue(self, client: Client, params: dict[str, Any]) -> dict[str, Any]:
        """For a client that proved its secret (public clients never get here)."""
        if "client_credentials" not in client.grant_types:
            raise UnauthorizedClient("Grant type 'client_credentials' not allowed for the client.")
        audience = params.get("audience")
        if not isinstance(audience, str) or not audience:
            raise InvalidRequest(
                "No audience parameter was provided, and no default audience has been configured"
            )
        server = await self.resource_servers.by_identifier(audience)
        if server is None:
            raise AccessDenied(f"Service not found: {audience}")
        grant = await self.grants.find(client.client_id, audience)
        if grant is None:
            raise AccessDenied(
                f'Client is not authorized to access "{audience}". You need to create a '
                '"client-grant" associated to this API.'
            )
        scopes = _granted_scopes(grant.scope, params.get("scope"))
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": f"{client.client_id}@clients",
            "aud": audience,
            "iat": now,
            "exp": now + server.token_lifetime,
            "scope": " ".join(scopes),
            "gty": "client-credentials",
            "azp": client.client_id,
        }
        return {
            "access_token": await self.signer.sign_async(claims, alg=server.signing_alg),
            "scope": claims["scope"],
            "expires_in": server.token_lifetime,
            "token_type": "Bearer",
        }


def _granted_scopes(granted: list[str], requested: Any) -> list[str]:
    """No `scope` asks for everything granted; otherwise each one asked must be granted."""
    wanted = requested_scopes(requested)
    if wanted is None:
        return list(granted)
    missing = [s for s in wanted if s not in granted]
    if missing:
        raise AccessDenied(f"Client has not been granted scopes: {','.join(missing)}")
    return wanted
