"""OpenID Provider metadata (OIDC Discovery 1.0 section 3) in Auth0's shape."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from selfauth.domain.keys.model import SigningKey

SCOPES_SUPPORTED = [
    "openid",
    "profile",
    "offline_access",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "email",
    "email_verified",
    "picture",
    "created_at",
    "identities",
    "phone",
    "address",
]
CLAIMS_SUPPORTED = [
    "aud",
    "auth_time",
    "created_at",
    "email",
    "email_verified",
    "exp",
    "family_name",
    "given_name",
    "iat",
    "identities",
    "iss",
    "name",
    "nickname",
    "phone_number",
    "picture",
    "sub",
]


def openid_configuration(
    issuer: str, *, grant_types: Iterable[str], allow_plain_pkce: bool = False
) -> dict[str, Any]:
    """Only what selfauth serves: Auth0 also lists its device-code, MFA and dynamic
    registration endpoints, which selfauth does not have (a client following them would 404).

    `grant_types` are the token endpoint's (its grant registry's), so the list cannot drift.
    """
    document: dict[str, Any] = {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}authorize",
        "token_endpoint": f"{issuer}oauth/token",
        "userinfo_endpoint": f"{issuer}userinfo",
        "jwks_uri": f"{issuer}.well-known/jwks.json",
        "revocation_endpoint": f"{issuer}oauth/revoke",
        "end_session_endpoint": f"{issuer}oidc/logout",
        "scopes_supported": SCOPES_SUPPORTED,
        "response_types_supported": [
            "code",
            "token",
            "id_token",
            "code token",
            "code id_token",
            "token id_token",
            "code token id_token",
        ],
        # What /authorize accepts: `plain` only where the operator turned it on.
        "code_challenge_methods_supported": ["S256", "plain"] if allow_plain_pkce else ["S256"],
        # web_message: the page that posts the answer to the SDK's iframe or popup opener.
        "response_modes_supported": ["query", "fragment", "form_post", "web_message"],
        "subject_types_supported": ["public"],
        # RS256 unless a client's jwt_configuration.alg asks for PS256 (or RS512, which
        # Auth0 does not list either).
        "id_token_signing_alg_values_supported": ["RS256", "PS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": CLAIMS_SUPPORTED,
        "request_uri_parameter_supported": False,
        "request_parameter_supported": False,
    }
    supported = set(grant_types)
    # The implicit grant has no token-endpoint grant: /authorize serves it whenever a response
    # type hands out a token or an ID token directly.
    if any(
        {"token", "id_token"} & set(kind.split()) for kind in document["response_types_supported"]
    ):
        supported.add("implicit")
    document["grant_types_supported"] = sorted(supported)
    return document


def jwks(keys: list[SigningKey]) -> dict[str, Any]:
    """Public halves only: the stored JWK never holds private members."""
    return {"keys": [dict(key.public_jwk) for key in keys]}
