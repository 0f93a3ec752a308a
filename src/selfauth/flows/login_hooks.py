"""The post-login hooks of every user grant: run them, apply their metadata in one write, and
turn their claims and scope changes into what the tokens will carry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from selfauth.domain.clients.model import Client
from selfauth.domain.connections.model import Connection
from selfauth.domain.json_values import same_json
from selfauth.domain.users.metadata import MetadataChange
from selfauth.domain.users.model import User
from selfauth.errors import SelfauthError
from selfauth.hooks.outcome import Denial, HookOutcome
from selfauth.hooks.runner import HookRunner, LoginFacts, RequestFacts
from selfauth.oauth.errors import AccessDenied, OAuthError, RuleUnauthorized
from selfauth.oidc.custom_claims import ClaimsTooLarge, check_payload

# Never shown to a hook: the user's password and the client's secret.
_HIDDEN_PARAMS = frozenset({"password", "client_secret", "client_assertion", "code_verifier"})


class ConnectionById(Protocol):
    async def get(self, connection_id: str) -> Connection | None: ...


class HookChanges(Protocol):
    async def apply_hook_changes(
        self, user_id: str, user_change: MetadataChange, app_change: MetadataChange
    ) -> User: ...


@dataclass(frozen=True)
class TokenAdditions:
    """Custom claims the hooks asked for, and the scopes after their changes."""

    id_claims: dict[str, Any] = field(default_factory=dict)
    access_claims: dict[str, Any] = field(default_factory=dict)
    scopes: list[str] | None = None  # None: the scopes were not changed

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id_claims, "access": self.access_claims, "scopes": self.scopes}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> TokenAdditions | None:
        if not data:
            return None
        return cls(data.get("id") or {}, data.get("access") or {}, data.get("scopes"))


def _changes(user: User, outcome: HookOutcome) -> bool:
    """Whether the hooks' metadata differs from what the login read. Caching a value that is
    already there (the common case on every later login) then costs no write."""
    new_user_metadata = outcome.user_metadata.applied_to(user.user_metadata)
    new_app_metadata = outcome.app_metadata.applied_to(user.app_metadata)
    return not (
        same_json(new_user_metadata, user.user_metadata)
        and same_json(new_app_metadata, user.app_metadata)
    )


def visible_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k not in _HIDDEN_PARAMS}


def within_claims_cap(*claim_sets: dict[str, Any]) -> None:
    """Auth0's 100 KB cap on a token's custom claims; over it, the login is refused."""
    try:
        check_payload(*claim_sets)
    except ClaimsTooLarge as exc:
        raise AccessDenied(str(exc)) from exc


def denial_error(denial: Denial) -> OAuthError:
    if denial.error == "unauthorized":
        return RuleUnauthorized(denial.description)
    return AccessDenied(denial.description)


@dataclass
class LoginHooks:
    runner: HookRunner | None
    users: HookChanges
    connections: ConnectionById

    async def after_login(
        self,
        client: Client,
        user: User,
        *,
        protocol: str,
        request: RequestFacts,
        scopes: list[str],
        audience: str | None,
        connection: Connection | None = None,
        transaction: dict[str, Any] | None = None,
    ) -> tuple[User, TokenAdditions | None]:
        """The user as the tokens should see it, and what to add to them. Raises the OAuth
        error of a denial (after writing the metadata the hooks set before it)."""
        if self.runner is None:
            return user, None
        if connection is None:
            connection = await self.connections.get(user.connection_id)
            if connection is None:
                return user, None
        facts = LoginFacts(
            user=user,
            client=client,
            connection=connection,
            protocol=protocol,
            request=request,
            scopes=list(scopes),
            audience=audience,
            transaction=transaction or {},
        )
        outcome = await self.runner.post_login(facts)
        if outcome.changes_metadata and _changes(user, outcome):
            user = await self._write(user, outcome)
        if outcome.denial is not None:
            raise denial_error(outcome.denial)
        if not (outcome.id_claims or outcome.access_claims or outcome.scope_changes):
            return user, None
        within_claims_cap(outcome.id_claims, outcome.access_claims)
        changed = outcome.scopes(scopes) if outcome.scope_changes else None
        return user, TokenAdditions(outcome.id_claims, outcome.access_claims, changed)

    async def _write(self, user: User, outcome: HookOutcome) -> User:
        try:
            return await self.users.apply_hook_changes(
                user.user_id, outcome.user_metadata, outcome.app_metadata
            )
        except SelfauthError as exc:
            # The same rules as the Management API; nothing is written when any change breaks
            # them, and the login fails with the reason.
            raise AccessDenied(f"The hooks' metadata changes were refused: {exc}") from exc
