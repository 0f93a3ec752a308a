"""Which profile claims an ID token or /userinfo carries for which scopes (OIDC Core 5.4)."""

from __future__ import annotations

from typing import Any

from selfauth.domain.clock import iso
from selfauth.domain.users.model import User

PROFILE_CLAIMS = ("name", "nickname", "given_name", "family_name", "picture")
OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access", "phone", "address"})


def profile_claims(user: User, scopes: frozenset[str]) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    if "profile" in scopes:
        for name in PROFILE_CLAIMS:
            value = getattr(user, name)
            if value is not None:
                claims[name] = value
        if user.username is not None:
            claims["preferred_username"] = user.username
        claims["updated_at"] = iso(user.updated_at)
    if "email" in scopes and user.email is not None:
        claims["email"] = user.email
        claims["email_verified"] = user.email_verified
    if "phone" in scopes and user.phone_number is not None:
        claims["phone_number"] = user.phone_number
        claims["phone_number_verified"] = user.phone_verified
    return claims
