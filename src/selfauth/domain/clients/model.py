"""Clients and client grants."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from selfauth.domain.clients.token_settings import (
    DEFAULT_REFRESH_TOKEN,
    ID_TOKEN_ALG,
    ID_TOKEN_LIFETIME,
    RefreshPolicy,
    refresh_policy,
)

DEFAULT_GRANT_TYPES = ["authorization_code", "implicit", "refresh_token", "client_credentials"]
URL_LISTS = ("callbacks", "allowed_origins", "web_origins", "allowed_logout_urls")
# The application types whose token endpoint authentication follows from the type.
STANDARD_APP_TYPES = ("native", "spa", "regular_web", "non_interactive")
DEFAULT_AUTH_METHOD = "client_secret_post"

# The properties with a column of their own (selfauth acts on each); every other Auth0 property
# lives in `extra_properties`, as the caller sent it.
COLUMNS = frozenset(
    {
        "name",
        "description",
        "app_type",
        "is_first_party",
        *URL_LISTS,
        "grant_types",
        "token_endpoint_auth_method",
        "client_metadata",
    }
)


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    secret_hash: str = field(repr=False)
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    app_type: str | None = None
    is_first_party: bool = True
    callbacks: list[str] = field(default_factory=list)
    allowed_origins: list[str] = field(default_factory=list)
    web_origins: list[str] = field(default_factory=list)
    allowed_logout_urls: list[str] = field(default_factory=list)
    grant_types: list[str] = field(default_factory=lambda: list(DEFAULT_GRANT_TYPES))
    token_endpoint_auth_method: str = DEFAULT_AUTH_METHOD
    client_metadata: dict[str, str] = field(default_factory=dict)
    extra_properties: dict[str, Any] = field(default_factory=dict)

    # Settings kept in extra_properties that the token flows act on.

    @property
    def sso_disabled(self) -> bool:
        """The sign-in session is never reused for this client: it always asks for credentials."""
        return self.extra_properties.get("sso_disabled") is True

    @property
    def cross_origin_authentication(self) -> bool:
        """Embedded login from the application's own origin (`/co/authenticate`) is allowed."""
        return self.extra_properties.get("cross_origin_authentication") is True

    @property
    def cross_origin_loc(self) -> str | None:
        """The application's page that hands `/co/verify` the login's verifier when the
        browser kept selfauth's cookie from `/co/authenticate` (auth0.js
        `crossOriginVerification()`)."""
        value = self.extra_properties.get("cross_origin_loc")
        return value if isinstance(value, str) and value else None

    @property
    def refresh_token_configuration(self) -> dict[str, Any]:
        stored = self.extra_properties.get("refresh_token")
        return stored if isinstance(stored, dict) else DEFAULT_REFRESH_TOKEN

    @property
    def refresh_policy(self) -> RefreshPolicy:
        return refresh_policy(self.refresh_token_configuration)

    @property
    def id_token_lifetime(self) -> int:
        """Seconds an ID token for this client lives (`jwt_configuration.lifetime_in_seconds`)."""
        value = self._jwt_configuration.get("lifetime_in_seconds")
        return value if isinstance(value, int) else ID_TOKEN_LIFETIME

    @property
    def id_token_alg(self) -> str:
        """How ID tokens for this client are signed (`jwt_configuration.alg`; HS256 is refused
        when set, so only the tenant key's algorithms reach here)."""
        value = self._jwt_configuration.get("alg")
        return value if isinstance(value, str) else ID_TOKEN_ALG

    @property
    def trusts_forwarded_ip(self) -> bool:
        """`is_token_endpoint_ip_header_trusted`: whether `auth0-forwarded-for` names the end
        user's address when this client (authenticated with its secret) calls /oauth/token."""
        return self.extra_properties.get("is_token_endpoint_ip_header_trusted") is True

    @property
    def _jwt_configuration(self) -> dict[str, Any]:
        stored = self.extra_properties.get("jwt_configuration")
        return stored if isinstance(stored, dict) else {}


@dataclass(frozen=True)
class ClientGrant:
    id: str
    client_id: str
    audience: str
    scope: list[str]
    extra_properties: dict[str, Any] = field(default_factory=dict)

    @property
    def subject_type(self) -> str:
        """Whom the grant lets the client act for: itself (`client`, the client-credentials
        exchange) or users (`user`). Grants made before the property existed are `client`."""
        value = self.extra_properties.get("subject_type")
        return value if isinstance(value, str) else "client"

    @property
    def allows_all_scopes(self) -> bool:
        """`allow_all_scopes`: every scope the API defines, now and later, instead of `scope`."""
        return self.extra_properties.get("allow_all_scopes") is True
