"""What the applications and APIs pages share: reading URL lists as Auth0's dashboard takes them,
naming the form field a Management API error concerns, and the application types offered."""

from __future__ import annotations

import re
from typing import get_args

from selfauth.domain.clients.schema import GrantType
from selfauth.errors import SelfauthError

# The four types Auth0's dashboard offers when an application is made: (app_type, label, use).
APP_TYPES = (
    ("native", "Native", "Mobile, desktop, CLI and smart-device apps running natively."),
    ("spa", "Single Page Application", "A JavaScript front end in the browser calling an API."),
    ("regular_web", "Regular Web Application", "A server-side web app that uses redirects."),
    ("non_interactive", "Machine to Machine", "A CLI, daemon or service calling an API itself."),
)
APP_TYPE_LABELS = {value: label for value, label, _ in APP_TYPES}

# Every grant type a client may hold (the schema's enum), labelled as Auth0's dashboard does.
_GRANT_LABELS = {
    "authorization_code": "Authorization Code",
    "implicit": "Implicit",
    "refresh_token": "Refresh Token",
    "client_credentials": "Client Credentials",
    "password": "Password",
    "http://auth0.com/oauth/grant-type/password-realm": "Password (realm)",
    "http://auth0.com/oauth/grant-type/mfa-oob": "MFA (out of band)",
    "http://auth0.com/oauth/grant-type/mfa-otp": "MFA (one-time password)",
    "http://auth0.com/oauth/grant-type/mfa-recovery-code": "MFA (recovery code)",
    "urn:openid:params:grant-type:ciba": "CIBA",
    "urn:ietf:params:oauth:grant-type:device_code": "Device Code",
    "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token": (
        "Token Vault"
    ),
}
GRANT_TYPES = tuple((value, _GRANT_LABELS.get(value, value)) for value in get_args(GrantType))

_PROPERTY = re.compile(r"on property ([A-Za-z_][\w]*)")


def url_list(text: str) -> list[str]:
    """One URL per line or comma separated, as Auth0's dashboard reads these boxes."""
    return [part.strip() for part in re.split(r"[,\n\r]+", text) if part.strip()]


def field_errors(exc: SelfauthError, known: set[str]) -> tuple[dict[str, str], str | None]:
    """The error beside the field it names (`... on property callbacks.0`), else as the page's
    problem: (errors by field, problem)."""
    match = _PROPERTY.search(exc.message)
    if match and match.group(1) in known:
        return {match.group(1): exc.message}, None
    for name in sorted(known):
        # Messages that name the property without "on property" (the consistency rules);
        # only compound names, which a sentence does not use as plain words.
        if "_" in name and re.search(rf"\b{re.escape(name)}\b", exc.message):
            return {name: exc.message}, None
    return {}, exc.message
