"""The authorization-code grant (RFC 6749 4.1.3) with PKCE (RFC 7636 4.6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from selfauth.domain.clients.secrets import SecretHasher
from selfauth.domain.clock import Clock
from selfauth.domain.logins import AuthorizationCode
from selfauth.domain.users.model import User
from selfauth.flows.grants import TokenRequest
from selfauth.flows.login_hooks import TokenAdditions
from selfauth.flows.tenant_logs import about
from selfauth.flows.user_tokens import TokenSpec, UserTokens
from selfauth.oauth import pkce
from selfauth.oauth.errors import InvalidGrant, InvalidRequest

INVALID = "Invalid authorization code"


class Codes(Protocol):
    async def by_hash(self, code_hash: str) -> AuthorizationCode | None: ...
    async def redeem(self, code_hash: str, now: datetime) -> bool: ...


class Families(Protocol):
    async def revoke_family(self, family_id: str, now: datetime) -> None: ...


class UserFinder(Protocol):
    async def get(self, user_id: str) -> User | None: ...


@dataclass
class CodeExchange:
    codes: Codes
    families: Families
    users: UserFinder
    tokens: UserTokens
    secrets: SecretHasher
    clock: Clock

    grant_types = frozenset({"authorization_code"})
    public_clients = True  # with PKCE

    async def issue(self, request: TokenRequest) -> dict[str, Any]:
        client, params = request.client, request.params
        value = params.get("code")
        if not isinstance(value, str) or not value:
            raise InvalidRequest("Missing required parameter: code")
        code_hash = self.secrets.digest(value)
        code = await self.codes.by_hash(code_hash)
        if code is None or code.client_id != client.client_id:
            raise InvalidGrant(INVALID)
        now = self.clock()
        if not await self.codes.redeem(code_hash, now):
            if code.used_at is not None or code.expires_at > now:
                # Used twice: whoever holds it now may not be the client. End what it gave.
                await self.families.revoke_family(code.family_id, now)
            raise InvalidGrant(INVALID)
        if params.get("redirect_uri") != code.redirect_uri:
            raise InvalidGrant("redirect_uri does not match the one the code was issued for")
        self._check_verifier(code, params.get("code_verifier"), confidential=request.confidential)
        user = await self.users.get(code.user_id)
        if user is None or user.blocked:
            raise InvalidGrant(INVALID)
        server = await self.tokens.resolve_audience(code.audience, client)
        spec = TokenSpec(
            audience=server,
            scopes=await self.tokens.scopes_for(server, " ".join(code.scope), client),
            grant_type="authorization_code",
            auth_time=code.auth_time,
            nonce=code.nonce,
            family_id=code.family_id,
            # The hooks ran when the code was issued; their claims and scopes wait in the code.
            additions=TokenAdditions.from_json(code.hook_result),
        )
        request.noted.update(about(user=user))  # the exchange's log event
        return await self.tokens.issue(client, user, spec)

    @staticmethod
    def _check_verifier(code: AuthorizationCode, verifier: Any, *, confidential: bool) -> None:
        if code.code_challenge is None:
            if not confidential:
                raise InvalidGrant("PKCE is required for public clients")
            return
        method = code.code_challenge_method or "plain"
        if not isinstance(verifier, str) or not pkce.verify(verifier, code.code_challenge, method):
            raise InvalidGrant("Failed to verify code verifier")
