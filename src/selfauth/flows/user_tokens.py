"""Tokens for a signed-in user: access token, ID token, refresh token (RFC 6749 5.1, OIDC 2)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from selfauth.domain import ids
from selfauth.domain.clients.model import Client, ClientGrant
from selfauth.domain.clients.secrets import SecretHasher
from selfauth.domain.clock import Clock
from selfauth.domain.logins import RefreshToken
from selfauth.domain.resource_servers.access_tokens import holds_one_audience, profiled, signing_for
from selfauth.domain.resource_servers.model import ResourceServer
from selfauth.domain.scopes import CURRENT_USER_SCOPES
from selfauth.domain.users.model import User
from selfauth.flows.login_hooks import TokenAdditions
from selfauth.oauth.errors import AccessDenied, InvalidGrant
from selfauth.oauth.jwt import TokenSigner
from selfauth.oauth.scope import requested_scopes
from selfauth.oidc.claims import OIDC_SCOPES, profile_claims
from selfauth.oidc.custom_claims import allowed_claims
from selfauth.oidc.hashes import half_hash

USERINFO_TOKEN_LIFETIME = 86_400
# The expiry of a refresh-token family without an absolute lifetime: the column needs one.
NEVER = timedelta(days=36_525)


class RefreshTokenStore(Protocol):
    async def add(self, token: RefreshToken) -> None: ...
    async def rotate(self, old: RefreshToken, new: RefreshToken, now: datetime) -> bool: ...
    async def revoke_family(self, family_id: str, now: datetime) -> None: ...


class ResourceServerFinder(Protocol):
    async def by_identifier(self, identifier: str) -> ResourceServer | None: ...


class GrantFinder(Protocol):
    async def find(self, client_id: str, audience: str) -> ClientGrant | None: ...


@dataclass(frozen=True)
class TokenSpec:
    """What a user's tokens will say: the API, the scopes, and how the user signed in."""

    audience: ResourceServer | None
    scopes: list[str]
    grant_type: str
    auth_time: int
    # For the refresh-token grant: the token being exchanged, and the scopes its family keeps
    # (a down-scoped exchange narrows the access token, not the family).
    replaces: RefreshToken | None = None
    refresh_scopes: list[str] | None = None
    nonce: str | None = None
    family_id: str | None = None  # a new family's id, fixed in advance (the code flow's)
    additions: TokenAdditions | None = None  # what the login's hooks added
    # From the authorization endpoint (OIDC Core 3.3.2.11): the ID token binds the access
    # token (`at_hash`) and the code (`c_hash`) that travel beside it.
    at_hash: bool = False
    code: str | None = None


@dataclass
class UserTokens:
    signer: TokenSigner
    refresh_tokens: RefreshTokenStore
    resource_servers: ResourceServerFinder
    grants: GrantFinder
    secrets: SecretHasher
    issuer: str
    management_audience: str
    clock: Clock

    async def resolve_audience(self, audience: Any, client: Client) -> ResourceServer | None:
        """The API a user's token is for, if the API lets this client's users have one."""
        if audience is None or audience == "":
            return None
        if not isinstance(audience, str):
            raise AccessDenied("audience must be a string")
        server = await self.resource_servers.by_identifier(audience)
        if server is None:
            raise AccessDenied(f"Service not found: {audience}")
        policy = server.policy_for("user")
        if policy == "deny_all":
            raise AccessDenied(f'Users may not be given tokens for "{audience}" (its policy)')
        if policy == "require_client_grant" and await self._user_grant(client, server) is None:
            raise AccessDenied(
                f'Client is not authorized to access "{audience}" for users. You need to create '
                'a "client-grant" with subject_type "user" for this API.'
            )
        return server

    async def _user_grant(self, client: Client, server: ResourceServer) -> ClientGrant | None:
        grant = await self.grants.find(client.client_id, server.identifier)
        return grant if grant is not None and grant.subject_type == "user" else None

    async def scopes_for(
        self, server: ResourceServer | None, requested: Any, client: Client
    ) -> list[str]:
        """OIDC scopes as asked; API scopes the API defines (for the Management API, only the
        current_user ones). No `scope` asks for every scope a user may hold on the API."""
        asked = requested_scopes(requested)
        allowed = self._api_scopes(server)
        if server is not None and server.policy_for("user") == "require_client_grant":
            grant = await self._user_grant(client, server)
            if grant is not None and not grant.allows_all_scopes:
                allowed &= frozenset(grant.scope)
        if asked is None:
            return sorted(allowed)
        offline = server is None or server.allow_offline_access
        return [
            s
            for s in asked
            if (s in OIDC_SCOPES and (s != "offline_access" or offline)) or s in allowed
        ]

    def _api_scopes(self, server: ResourceServer | None) -> frozenset[str]:
        if server is None:
            return frozenset()
        if server.identifier == self.management_audience:
            return frozenset(CURRENT_USER_SCOPES)
        if server.enforces_policies:
            return frozenset()  # RBAC: no roles in selfauth yet, so no user holds a permission
        return server.scope_values

    async def issue(self, client: Client, user: User, spec: TokenSpec) -> dict[str, Any]:
        now = int(self.clock().timestamp())
        scopes = frozenset(spec.scopes)
        userinfo = f"{self.issuer}userinfo"
        server = spec.audience
        if server is None:
            audience: str | list[str] = userinfo
            lifetime = USERINFO_TOKEN_LIFETIME
        else:
            with_userinfo = "openid" in scopes and not holds_one_audience(server)
            audience = [server.identifier, userinfo] if with_userinfo else server.identifier
            lifetime = server.token_lifetime
        additions = spec.additions
        changed = additions.scopes if additions is not None else None
        scope = " ".join(spec.scopes if changed is None else changed)
        refresh = None
        family_scopes = frozenset(spec.refresh_scopes or spec.scopes)
        offline = "offline_access" in family_scopes and (
            server is None or server.allow_offline_access
        )
        # A client with non-rotating refresh tokens keeps using the one it has: an exchange
        # answers no new one (as Auth0's does).
        if offline and (spec.replaces is None or client.refresh_policy.rotating):
            refresh = await self._refresh_token(client, user, spec)
        access_claims = {
            "iss": self.issuer,
            "sub": user.user_id,
            "aud": audience,
            "iat": now,
            "exp": now + lifetime,
            "scope": scope,
            "gty": spec.grant_type,
            "azp": client.client_id,
        }
        if additions is not None and additions.access_claims:
            own_api = server is not None and server.identifier == self.management_audience
            access_claims.update(
                allowed_claims(additions.access_claims, access_claims, namespaced_only=own_api)
            )
        signing = signing_for(server)
        access_token = await self.signer.sign_async(
            profiled(server, access_claims), alg=signing.alg, secret=signing.secret, typ=signing.typ
        )
        response: dict[str, Any] = {
            "access_token": access_token,
            "expires_in": lifetime,
            "scope": scope,
            "token_type": "Bearer",
        }
        if "openid" in scopes:
            id_claims = {
                "iss": self.issuer,
                "sub": user.user_id,
                "aud": client.client_id,
                "iat": now,
                "exp": now + client.id_token_lifetime,
                "auth_time": spec.auth_time,
                **profile_claims(user, scopes),
            }
            if spec.nonce is not None:
                id_claims["nonce"] = spec.nonce
            if spec.at_hash:
                id_claims["at_hash"] = half_hash(access_token, client.id_token_alg)
            if spec.code is not None:
                id_claims["c_hash"] = half_hash(spec.code, client.id_token_alg)
            if additions is not None and additions.id_claims:
                id_claims.update(
                    allowed_claims(additions.id_claims, id_claims, namespaced_only=False)
                )
            response["id_token"] = await self.signer.sign_async(id_claims, alg=client.id_token_alg)
        if refresh is not None:
            response["refresh_token"] = refresh
        return response

    async def _refresh_token(self, client: Client, user: User, spec: TokenSpec) -> str:
        """A new refresh token; when it replaces one, only if no other request did first."""
        value = f"v1.{secrets.token_urlsafe(48)}"
        created = self.clock()
        old = spec.replaces
        lifetime = client.refresh_policy.lifetime
        token = RefreshToken(
            id=ids.object_id(),
            token_hash=self.secrets.digest(value),
            family_id=old.family_id if old else (spec.family_id or ids.object_id()),
            client_id=client.client_id,
            user_id=user.user_id,
            audience=spec.audience.identifier if spec.audience else None,
            scope=list(spec.refresh_scopes or spec.scopes),
            auth_time=spec.auth_time,
            created_at=created,
            expires_at=(old.expires_at if old else created + (lifetime or NEVER)),
        )
        if old is None:
            await self.refresh_tokens.add(token)
        elif not await self.refresh_tokens.rotate(old, token, created):
            # Another request spent this token between our read and our rotation: the same
            # token presented twice, so treat it as reuse (BCP 4.14) and end the family,
            # including the token the winning request was just given. Runs after the
            # winner's transaction committed (its row lock made our rotation wait), so the
            # winner's new token is in the family we revoke.
            await self.refresh_tokens.revoke_family(old.family_id, created)
            raise InvalidGrant("The refresh token was already used.")
        return value
