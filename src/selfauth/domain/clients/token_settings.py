"""A client's ID-token and refresh-token settings (`jwt_configuration`, `refresh_token`): what
is stored, what is answered, and what the token flows read from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

ID_TOKEN_LIFETIME = 36_000  # Auth0's default for applications
ID_TOKEN_ALG = "RS256"  # noqa: S105 (an algorithm name)
REFRESH_TOKEN_LIFETIME = 2_592_000  # 30 days, Auth0's default absolute lifetime
REFRESH_TOKEN_IDLE_LIFETIME = 1_296_000  # 15 days, Auth0's default idle lifetime

# Auth0 answers a lifetime for clients that never set jwt_configuration, and an algorithm
# instead for its newer application types; both mean RS256 tokens living 10 hours.
_DEFAULT_JWT = {"lifetime_in_seconds": ID_TOKEN_LIFETIME, "secret_encoded": False}
_DEFAULT_JWT_BY_TYPE = {
    "resource_server": {"alg": ID_TOKEN_ALG, "secret_encoded": False},
    "express_configuration": {"alg": ID_TOKEN_ALG, "secret_encoded": False},
}

# What selfauth does for a client that never set `refresh_token` (and always did before the
# setting existed): rotation with reuse detection, 30 days from sign-in, no idle expiry. Auth0's
# default for new clients is non-rotating and non-expiring; selfauth keeps the safer behaviour
# its existing clients rely on.
DEFAULT_REFRESH_TOKEN: dict[str, Any] = {
    "rotation_type": "rotating",
    "expiration_type": "expiring",
    "leeway": 0,
    "token_lifetime": REFRESH_TOKEN_LIFETIME,
    "infinite_token_lifetime": False,
    "idle_token_lifetime": REFRESH_TOKEN_IDLE_LIFETIME,
    "infinite_idle_token_lifetime": True,
}


def default_jwt_configuration(app_type: str | None) -> dict[str, Any]:
    """What is answered for a client that never set `jwt_configuration`."""
    return dict(_DEFAULT_JWT_BY_TYPE.get(app_type or "", _DEFAULT_JWT))


def stored_jwt_configuration(given: dict[str, Any]) -> dict[str, Any]:
    """The object as sent, with Auth0's `secret_encoded: false` when it was left out."""
    return {**given, "secret_encoded": given.get("secret_encoded", False)}


def stored_refresh_token(given: dict[str, Any]) -> dict[str, Any]:
    """The object as sent, completed as Auth0 completes it. A non-expiring token has neither
    lifetime; an expiring one keeps the lifetimes it was given (or the defaults) and, since
    selfauth enforces no idle lifetime, an idle expiry only if one was asked for."""
    expiring = given["expiration_type"] == "expiring"
    infinite = given.get("infinite_token_lifetime", False) if expiring else True
    infinite_idle = given.get("infinite_idle_token_lifetime", True) if expiring else True
    completed = {
        "leeway": 0,
        "token_lifetime": REFRESH_TOKEN_LIFETIME,
        "idle_token_lifetime": REFRESH_TOKEN_IDLE_LIFETIME,
        **given,
        "infinite_token_lifetime": infinite,
        "infinite_idle_token_lifetime": infinite_idle,
    }
    return completed


@dataclass(frozen=True)
class RefreshPolicy:
    """What the refresh-token flows do for one client."""

    rotating: bool  # each exchange spends the token and issues the next (reuse ends the family)
    lifetime: timedelta | None  # from the family's sign-in; None: no absolute expiry


def refresh_policy(configuration: dict[str, Any]) -> RefreshPolicy:
    infinite = (
        configuration["expiration_type"] == "non-expiring"
        or configuration["infinite_token_lifetime"]
    )
    lifetime = None if infinite else timedelta(seconds=configuration["token_lifetime"])
    return RefreshPolicy(configuration["rotation_type"] == "rotating", lifetime)
