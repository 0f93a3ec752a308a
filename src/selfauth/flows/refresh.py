"""The refresh-token grant with rotation (RFC 6749 6; OAuth 2.0 Security BCP 4.14)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from selfauth.domain.clients.model import Client
from selfauth.domain.clients.secrets import SecretHasher
from selfauth.domain.clock import Clock
from selfauth.domain.logins import RefreshToken
from selfauth.domain.users.model import User
from selfauth.flows.grants import TokenRequest
from selfauth.flows.login_hooks import LoginHooks
from selfauth.flows.tenant_logs import about
from selfauth.flows.user_tokens import TokenSpec, UserTokens
from selfauth.oauth.errors import (
    BlockedUser,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
)
from selfauth.oauth.scope import requested_scopes

INVALID = "Unknown or invalid refresh token."


class RefreshTokens(Protocol):
    async def by_hash(self, token_hash: str) -> RefreshToken | None: ...
    async def revoke_family(self, family_id: str, now: datetime) -> None: ...
    async def live_of_user(self, user_id: str, now: datetime) -> list[RefreshToken]: ...


class UserFinder(Protocol):
    async def get(self, user_id: str) -> User | None: ...


@dataclass
class RefreshGrant:
    store: RefreshTokens
    users: UserFinder
    tokens: UserTokens
    secrets: SecretHasher
    clock: Clock
    hooks: LoginHooks

    grant_types = frozenset({"refresh_token"})
    public_clients = True

    async def issue(self, request: TokenRequest) -> dict[str, Any]:
        client, params = request.client, request.params
        token = await self._live_token(client, params.get("refresh_token"))
        user = await self.users.get(token.user_id)
        if user is None:
            raise InvalidGrant(INVALID)
        if user.blocked:
            raise BlockedUser("user is blocked")
        scopes = _narrowed(token.scope, params.get("scope"))
        server = await self.tokens.resolve_audience(token.audience, client)
        # Rules and post-login Actions run on refresh-token exchanges too (Auth0 does).
        user, additions = await self.hooks.after_login(
            client,
            user,
            protocol="oauth2-refresh-token",
            request=request.facts,
            scopes=scopes,
            audience=token.audience,
        )
        spec = TokenSpec(
            audience=server,
            scopes=scopes,
            grant_type="refresh_token",
            auth_time=token.auth_time,
            replaces=token,
            refresh_scopes=token.scope,
            additions=additions,
        )
        request.noted.update(about(user=user))  # the exchange's log event
        return await self.tokens.issue(client, user, spec)

    async def _live_token(self, client: Client, value: Any) -> RefreshToken:
        if not isinstance(value, str) or not value:
            raise InvalidRequest("Missing required parameter: refresh_token")
        token = await self.store.by_hash(self.secrets.digest(value))
        if token is None or token.client_id != client.client_id:
            raise InvalidGrant(INVALID)
        now = self.clock()
        if token.rotated_at is not None:
            # A used token presented again means it leaked: end the whole family.
            await self.store.revoke_family(token.family_id, now)
            raise InvalidGrant(INVALID)
        if token.revoked_at is not None or token.expires_at <= now:
            raise InvalidGrant(INVALID)
        return token

    async def revoke(self, client: Client, value: Any) -> None:
        """RFC 7009: revoking a refresh token ends its family; unknown tokens are no error."""
        if not isinstance(value, str) or not value:
            raise InvalidRequest("Missing required parameter: token")
        token = await self.store.by_hash(self.secrets.digest(value))
        if token is not None and token.client_id == client.client_id:
            await self.store.revoke_family(token.family_id, self.clock())

    async def of_user(self, user_id: str) -> list[RefreshToken]:
        """The user's live refresh tokens (one per sign-in's family), for administrators."""
        return await self.store.live_of_user(user_id, self.clock())

    async def revoke_of_user(self, user_id: str, family_id: str) -> bool:
        """End one of the user's refresh-token families (False: none of theirs is live)."""
        if not any(t.family_id == family_id for t in await self.of_user(user_id)):
            return False
        await self.store.revoke_family(family_id, self.clock())
        return True


def _narrowed(granted: list[str], requested: Any) -> list[str]:
    asked = requested_scopes(requested)
    if asked is None:
        return list(granted)
    extra = [s for s in asked if s not in granted]
    if extra:
        raise InvalidScope(f"Scopes not granted to the refresh token: {' '.join(extra)}")
    return asked
