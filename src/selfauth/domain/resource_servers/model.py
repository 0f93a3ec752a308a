"""The resource server aggregate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from selfauth.domain.scopes import MANAGEMENT_SCOPES

SIGNING_ALGS = ("RS256", "PS256")
DEFAULT_TOKEN_LIFETIME = 86_400
MAX_TOKEN_LIFETIME = 2_592_000  # 30 days, as Auth0
MANAGEMENT_API_NAME = "Auth0 Management API"


@dataclass(frozen=True)
class ResourceServer:
    id: str
    identifier: str
    name: str
    created_at: datetime
    scopes: list[dict[str, str]] = field(default_factory=list)
    token_lifetime: int = DEFAULT_TOKEN_LIFETIME
    signing_alg: str = "RS256"
    allow_offline_access: bool = False
    skip_consent_for_verifiable_first_party_clients: bool = True
    is_system: bool = False
    extra_properties: dict[str, Any] = field(default_factory=dict)

    @property
    def scope_values(self) -> frozenset[str]:
        return frozenset(s["value"] for s in self.scopes)


def management_scopes() -> list[dict[str, str]]:
    return [
        {"value": s, "description": s.replace(":", " ").capitalize()} for s in MANAGEMENT_SCOPES
    ]


def resource_server_view(server: ResourceServer) -> dict[str, Any]:
    return {
        "id": server.id,
        "name": server.name,
        "identifier": server.identifier,
        "is_system": server.is_system,
        "scopes": server.scopes,
        "signing_alg": server.signing_alg,
        "token_lifetime": server.token_lifetime,
        "token_lifetime_for_web": min(server.token_lifetime, 7200),
        "allow_offline_access": server.allow_offline_access,
        "skip_consent_for_verifiable_first_party_clients": (
            server.skip_consent_for_verifiable_first_party_clients
        ),
    }
