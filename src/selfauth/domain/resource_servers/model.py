"""The resource server aggregate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from selfauth.domain.scopes import MANAGEMENT_SCOPES

SIGNING_ALGS = ("HS256", "RS256", "RS512", "PS256")
SYMMETRIC_ALG = "HS256"  # signed with the API's own signing secret, not the tenant's key
DEFAULT_DIALECT = "access_token"  # Auth0's own token profile
DEFAULT_TOKEN_LIFETIME = 86_400
DEFAULT_TOKEN_LIFETIME_FOR_WEB = 7200  # what Auth0 answers when it was never set
MAX_TOKEN_LIFETIME = 2_592_000  # 30 days, as Auth0
MANAGEMENT_API_NAME = "Auth0 Management API"

# The properties with a column of their own; every other Auth0 property lives in
# `extra_properties` (those selfauth acts on among them: `signing_secret`, `token_dialect`).
COLUMNS = frozenset(
    {
        "identifier",
        "name",
        "scopes",
        "token_lifetime",
        "signing_alg",
        "allow_offline_access",
        "skip_consent_for_verifiable_first_party_clients",
    }
)


def default_subject_type_authorization() -> dict[str, Any]:
    """What Auth0 answers for an API whose `subject_type_authorization` was never set."""
    return {"client": {"policy": "require_client_grant"}, "user": {"policy": "allow_all"}}


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
    skip_consent_for_verifiable_first_party_clients: bool = False  # Auth0's default
    is_system: bool = False
    extra_properties: dict[str, Any] = field(default_factory=dict)

    @property
    def scope_values(self) -> frozenset[str]:
        return frozenset(s["value"] for s in self.scopes)

    @property
    def signing_secret(self) -> str | None:
        secret = self.extra_properties.get("signing_secret")
        return secret if isinstance(secret, str) else None

    @property
    def enforces_policies(self) -> bool:
        """RBAC: a user's API scopes are the permissions their roles give."""
        return self.extra_properties.get("enforce_policies") is True

    def policy_for(self, subject: Literal["client", "user"]) -> str:
        """`subject_type_authorization`: allow_all, deny_all or require_client_grant."""
        configured = self.extra_properties.get("subject_type_authorization") or {}
        policy = (configured.get(subject) or {}).get("policy")
        return str(policy or default_subject_type_authorization()[subject]["policy"])

    @property
    def token_dialect(self) -> str:
        dialect = self.extra_properties.get("token_dialect")
        return dialect if isinstance(dialect, str) else DEFAULT_DIALECT


def management_scopes() -> list[dict[str, str]]:
    return [
        {"value": s, "description": s.replace(":", " ").capitalize()} for s in MANAGEMENT_SCOPES
    ]


def resource_server_view(server: ResourceServer) -> dict[str, Any]:
    """The API as Auth0 answers it: `is_system` only on system APIs, optional properties only
    once set, and Auth0's defaults for `token_lifetime_for_web` and
    `subject_type_authorization`."""
    view: dict[str, Any] = {"id": server.id, "name": server.name, "identifier": server.identifier}
    if server.is_system:
        view["is_system"] = True
    view.update(
        {
            "scopes": server.scopes,
            "signing_alg": server.signing_alg,
            "token_lifetime": server.token_lifetime,
            "token_lifetime_for_web": DEFAULT_TOKEN_LIFETIME_FOR_WEB,
            "allow_offline_access": server.allow_offline_access,
            "skip_consent_for_verifiable_first_party_clients": (
                server.skip_consent_for_verifiable_first_party_clients
            ),
            "subject_type_authorization": default_subject_type_authorization(),
        }
    )
    for key, value in server.extra_properties.items():
        view[key] = _without_pem(value) if key == "token_encryption" else value
    return view


def _without_pem(encryption: Any) -> Any:
    """Auth0 keeps the encryption key's PEM but does not answer it."""
    if not isinstance(encryption, dict) or not isinstance(encryption.get("encryption_key"), dict):
        return encryption
    key = {k: v for k, v in encryption["encryption_key"].items() if k != "pem"}
    return {**encryption, "encryption_key": key}
