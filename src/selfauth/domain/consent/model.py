"""A user grant: one user's consent to one application for one API's scopes (Auth0's
`/api/v2/grants` object)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class UserGrant:
    id: str
    user_id: str
    client_id: str
    audience: str
    scope: list[str] = field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def view(self) -> dict[str, Any]:
        """Auth0's wire shape: the client is `clientID` there, not `client_id`."""
        return {
            "id": self.id,
            "clientID": self.client_id,
            "user_id": self.user_id,
            "audience": self.audience,
            "scope": list(self.scope),
        }


@dataclass(frozen=True)
class ScopeToConsent:
    value: str
    description: str | None


@dataclass(frozen=True)
class ConsentAsk:
    """What the consent screen asks: the API and every scope of it the request asks for."""

    audience: str
    api_name: str
    scopes: tuple[ScopeToConsent, ...]

    @property
    def values(self) -> list[str]:
        return [s.value for s in self.scopes]
