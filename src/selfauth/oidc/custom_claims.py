"""Which custom claims hooks may put in tokens (Auth0's rules for custom claims)."""

from __future__ import annotations

from typing import Any

import orjson

MAX_PAYLOAD_BYTES = 100 * 1024

RESTRICTED = frozenset(
    [
        "acr",
        "act",
        "active",
        "amr",
        "at_hash",
        "ath",
        "attest",
        "aud",
        "auth_time",
        "authorization_details",
        "azp",
        "c_hash",
        "client_id",
        "cnf",
        "cty",
        "dest",
        "entitlements",
        "events",
        "exp",
        "groups",
        "gty",
        "htm",
        "htu",
        "iat",
        "internalService",
        "iss",
        "jcard",
        "jku",
        "jti",
        "jwe",
        "jwk",
        "kid",
        "may_act",
        "mky",
        "nbf",
        "nonce",
        "object_id",
        "org_id",
        "org_name",
        "orig",
        "origid",
        "permissions",
        "roles",
        "rph",
        "s_hash",
        "sid",
        "sub",
        "sub_jwk",
        "toe",
        "txn",
        "typ",
        "uuid",
        "vot",
        "vtm",
        "x5t#S256",
        "scope",
    ]
)
PROHIBITED_NAMESPACES = ("auth0.com", "webtask.io", "webtask.run")


class ClaimsTooLarge(Exception):
    pass


def _prohibited(name: str) -> bool:
    if "://" not in name:
        return False
    host = name.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0].lower()
    return any(host == ns or host.endswith(f".{ns}") for ns in PROHIBITED_NAMESPACES)


def allowed_claims(
    claims: dict[str, Any], standard: dict[str, Any], *, namespaced_only: bool
) -> dict[str, Any]:
    """The claims that may be added beside `standard`: restricted names, Auth0's namespaces,
    and names the token already carries are dropped silently, as Auth0 does. For access tokens
    to Auth0-owned APIs (`namespaced_only`), only namespaced (URL) names are kept."""
    kept: dict[str, Any] = {}
    for name, value in claims.items():
        if name in RESTRICTED or name.startswith("sip_") or name in standard:
            continue
        if _prohibited(name) or (namespaced_only and "://" not in name):
            continue
        kept[name] = value
    return kept


def check_payload(*claim_sets: dict[str, Any]) -> None:
    size = sum(len(orjson.dumps(claims)) for claims in claim_sets if claims)
    if size > MAX_PAYLOAD_BYTES:
        raise ClaimsTooLarge(
            f"The custom claims are {size} bytes; at most {MAX_PAYLOAD_BYTES} are allowed."
        )
