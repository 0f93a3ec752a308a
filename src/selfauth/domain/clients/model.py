"""Clients and client grants."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

APP_TYPES = ("native", "spa", "regular_web", "non_interactive")
AUTH_METHODS = ("none", "client_secret_post", "client_secret_basic")
GRANT_TYPES = (
    "authorization_code",
    "implicit",
    "refresh_token",
    "client_credentials",
    "password",
    "http://auth0.com/oauth/grant-type/password-realm",
)
DEFAULT_GRANT_TYPES = ["authorization_code", "implicit", "refresh_token", "client_credentials"]
URL_LISTS = ("callbacks", "allowed_origins", "web_origins", "allowed_logout_urls")


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
    token_endpoint_auth_method: str = "client_secret_post"  # noqa: S105 (a method name)
    client_metadata: dict[str, str] = field(default_factory=dict)
    extra_properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ClientGrant:
    id: str
    client_id: str
    audience: str
    scope: list[str]
    extra_properties: dict[str, Any] = field(default_factory=dict)


def client_view(client: Client, *, secret: str | None = None) -> dict[str, Any]:
    """The Management API shape. The secret appears only right after it is made."""
    view: dict[str, Any] = {
        "client_id": client.client_id,
        "tenant": "selfauth",
        "name": client.name,
        "global": False,
        "is_first_party": client.is_first_party,
        "oidc_conformant": True,
        "callbacks": client.callbacks,
        "allowed_origins": client.allowed_origins,
        "web_origins": client.web_origins,
        "allowed_logout_urls": client.allowed_logout_urls,
        "grant_types": client.grant_types,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "client_metadata": client.client_metadata,
        "jwt_configuration": {
            "alg": "RS256",
            "lifetime_in_seconds": 36000,
            "secret_encoded": False,
        },
    }
    if client.description is not None:
        view["description"] = client.description
    if client.app_type is not None:
        view["app_type"] = client.app_type
    if secret is not None:
        view["client_secret"] = secret
    return view


def grant_view(grant: ClientGrant) -> dict[str, Any]:
    return {
        "id": grant.id,
        "client_id": grant.client_id,
        "audience": grant.audience,
        "scope": grant.scope,
    }
