"""Valid Auth0 settings selfauth cannot honour. Each would make a client (or grant) less
restricted than its administrator asked, or depends on a feature selfauth lacks, so it is
refused with a 400 naming the property and value rather than stored with a different meaning.

Settings that only add a capability selfauth does not have yet (SAML add-ons, cross-origin
authentication, back-channel logout URLs, ...) are stored and answered instead: nothing is
weaker for them, the capability is simply absent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from selfauth.errors import OperationNotSupported

Check = tuple[str, Callable[[Any], bool], str]


def _truthy(value: Any) -> bool:
    return value is True


def _is_not_none(value: Any) -> bool:
    return value is not None


_CLIENT_CHECKS: list[Check] = [
    (
        "token_endpoint_auth_method",
        lambda value: value is None,
        "clients authenticate at the token endpoint with none, client_secret_post or "
        "client_secret_basic; private_key_jwt and mTLS are not supported yet",
    ),
    (
        "client_authentication_methods",
        _is_not_none,
        "private_key_jwt and mTLS client authentication are not supported yet",
    ),
    (
        "require_pushed_authorization_requests",
        _truthy,
        "pushed authorization requests (PAR) are not supported yet",
    ),
    (
        "require_proof_of_possession",
        _truthy,
        "sender-constrained tokens (DPoP, mTLS) are not supported yet",
    ),
    (
        "signed_request_object",
        lambda value: value.get("required") is True or bool(value.get("credentials")),
        "JWT-secured authorization requests (JAR) are not supported yet",
    ),
    (
        "token_vault_privileged_access",
        _is_not_none,
        "Token Vault privileged access is not supported",
    ),
    (
        "compliance_level",
        lambda value: value not in (None, "none"),
        "FAPI compliance profiles are not enforced",
    ),
    (
        "organization_usage",
        lambda value: value == "require",
        "organizations are not supported yet, so none can be required at sign-in",
    ),
    (
        "default_organization",
        _is_not_none,
        "organizations are not supported yet",
    ),
    (
        "token_quota",
        lambda value: value is not None and value["client_credentials"].get("enforce") is not False,
        "token quotas are not counted or enforced (only enforce: false can be stored)",
    ),
    (
        "redirection_policy",
        lambda value: value == "open_redirect_protection",
        "authentication errors are always redirected to the application's callback URL",
    ),
]

_JWT_CHECKS: list[Check] = [
    (
        "alg",
        lambda value: value == "HS256",
        "ID tokens are signed with RS256, RS512 or PS256 (HS256 would need the client secret, "
        "which is stored only as a keyed hash)",
    ),
]

_REFRESH_CHECKS: list[Check] = [
    (
        "leeway",
        lambda value: value not in (None, 0),
        "a rotated refresh token presented again always ends its family (leeway 0)",
    ),
    (
        "infinite_idle_token_lifetime",
        lambda value: value is False,
        "idle refresh-token expiry is not enforced yet (infinite_idle_token_lifetime must be true)",
    ),
]

_GRANT_CHECKS: list[Check] = [
    (
        "default_for",
        _is_not_none,
        "grants belong to one client; default grants for third-party clients are not supported yet",
    ),
    (
        "organization_usage",
        lambda value: value == "require",
        "organizations are not supported yet, so none can be required",
    ),
]


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(value) + "}"
    return json.dumps(value)[:100]


def _refuse(prop: str, value: Any, reason: str) -> OperationNotSupported:
    return OperationNotSupported(f"selfauth cannot honour {prop} {_shown(value)}: {reason}.")


def _run(checks: list[Check], body: dict[str, Any], prefix: str = "") -> None:
    for prop, unsupported, reason in checks:
        if prop in body and unsupported(body[prop]):
            raise _refuse(prefix + prop, body[prop], reason)


def check_client(body: dict[str, Any]) -> None:
    """Refuses a client body (create or update) asking for what selfauth cannot do."""
    _run(_CLIENT_CHECKS, body)
    jwt = body.get("jwt_configuration")
    if isinstance(jwt, dict):
        _run(_JWT_CHECKS, jwt, "jwt_configuration.")
    refresh = body.get("refresh_token")
    if isinstance(refresh, dict):
        if refresh["rotation_type"] == "rotating":
            _run(_REFRESH_CHECKS[:1], refresh, "refresh_token.")
        if refresh["expiration_type"] == "expiring":
            _run(_REFRESH_CHECKS[1:], refresh, "refresh_token.")


def check_grant(body: dict[str, Any]) -> None:
    _run(_GRANT_CHECKS, body)
