"""What an API's access tokens look like: the claims of its token profile (`token_dialect`)
and how they are signed (`signing_alg`, HS256 with the API's own signing secret)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from selfauth.domain.resource_servers.model import SYMMETRIC_ALG, ResourceServer

RFC9068_PROFILES = frozenset({"rfc9068_profile", "rfc9068_profile_authz"})
RFC9068_TYPE = "at+jwt"  # RFC 9068 section 2.1


@dataclass(frozen=True)
class TokenSigning:
    alg: str = "RS256"
    secret: str | None = None  # HS256: the API's signing secret
    typ: str | None = None  # the header's `typ`, when the profile names one


def signing_for(server: ResourceServer | None) -> TokenSigning:
    if server is None:
        return TokenSigning()
    typ = RFC9068_TYPE if server.token_dialect in RFC9068_PROFILES else None
    secret = server.signing_secret if server.signing_alg == SYMMETRIC_ALG else None
    return TokenSigning(alg=server.signing_alg, secret=secret, typ=typ)


def profiled(server: ResourceServer | None, claims: dict[str, Any]) -> dict[str, Any]:
    """Auth0's profile is the claims as built; RFC 9068's names the client `client_id` instead of
    `azp` and gives every token a `jti`. The `_authz` dialects' `permissions` claim needs roles,
    which selfauth does not have yet: they issue their base profile."""
    if server is None or server.token_dialect not in RFC9068_PROFILES:
        return claims
    shaped = {k: v for k, v in claims.items() if k != "azp"}
    shaped["client_id"] = claims["azp"]
    shaped["jti"] = secrets.token_urlsafe(16)
    return shaped


def holds_one_audience(server: ResourceServer) -> bool:
    """Auth0 gives HS256 tokens the API's audience alone, never /userinfo's too: /userinfo
    checks tokens against the tenant's published keys, which an API's secret is not."""
    return server.signing_alg == SYMMETRIC_ALG
