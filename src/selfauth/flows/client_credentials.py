"""The client-credentials grant (RFC 6749 section 4.4) with Auth0's client grants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from selfauth.domain.clients.model import Client, ClientGrant
from selfauth.domain.clock import Clock
from selfauth.domain.resource_servers.access_tokens import profiled, signing_for
from selfauth.domain.resource_servers.model import ResourceServer
from selfauth.flows.grants import TokenRequest
from selfauth.flows.login_hooks import denial_error, within_claims_cap
from selfauth.hooks.runner import ExchangeFacts, HookRunner, RequestFacts
from selfauth.oauth.errors import AccessDenied, InvalidRequest
from selfauth.oauth.jwt import TokenSigner
from selfauth.oauth.scope import requested_scopes
from selfauth.oidc.custom_claims import allowed_claims


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
    clock: Clock
    management_audience: str = ""
    hooks: HookRunner | None = None

    grant_types = frozenset({"client_credentials"})
    public_clients = False  # a client proves its own identity: it needs a secret

    async def issue(self, token_request: TokenRequest) -> dict[str, Any]:
        client, params = token_request.client, token_request.params
        audience = params.get("audience")
        if not isinstance(audience, str) or not audience:
            raise InvalidRequest(
                "No audience parameter was provided, and no default audience has been configured"
            )
        server = await self.resource_servers.by_identifier(audience)
        if server is None:
            raise AccessDenied(f"Service not found: {audience}")
        if server.policy_for("client") == "deny_all":
            raise AccessDenied(f'Clients may not be given tokens for "{audience}" (its policy)')
        grant = await self.grants.find(client.client_id, audience)
        # A grant for users (subject_type user) does not let the client act as itself.
        if grant is None or grant.subject_type != "client":
            raise AccessDenied(
                f'Client is not authorized to access "{audience}". You need to create a '
                '"client-grant" associated to this API.'
            )
        granted = [s["value"] for s in server.scopes] if grant.allows_all_scopes else grant.scope
        scopes = _granted_scopes(granted, params.get("scope"))
        now = int(self.clock().timestamp())
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
        if self.hooks is not None:
            await self._run_hooks(client, audience, scopes, claims, token_request.facts)
        signing = signing_for(server)
        token = await self.signer.sign_async(
            profiled(server, claims), alg=signing.alg, secret=signing.secret, typ=signing.typ
        )
        return {
            "access_token": token,
            "scope": claims["scope"],
            "expires_in": server.token_lifetime,
            "token_type": "Bearer",
        }

    async def _run_hooks(
        self,
        client: Client,
        audience: str,
        scopes: list[str],
        claims: dict[str, Any],
        request: RequestFacts | None,
    ) -> None:
        """credentials-exchange Actions: they may deny, or add claims to the access token."""
        assert self.hooks is not None
        facts = ExchangeFacts(client, audience, scopes, request or RequestFacts(ip="unknown"))
        outcome = await self.hooks.credentials_exchange(facts)
        if outcome.denial is not None:
            raise denial_error(outcome.denial)
        if outcome.access_claims:
            within_claims_cap(outcome.access_claims)
            own_api = audience == self.management_audience
            claims.update(allowed_claims(outcome.access_claims, claims, namespaced_only=own_api))


def _granted_scopes(granted: list[str], requested: Any) -> list[str]:
    """No `scope` asks for everything granted; otherwise each one asked must be granted."""
    wanted = requested_scopes(requested)
    if wanted is None:
        return list(granted)
    missing = [s for s in wanted if s not in granted]
    if missing:
        raise AccessDenied(f"Client has not been granted scopes: {','.join(missing)}")
    return wanted
