"""The paths open to cross-origin calls and what each allows: the one list to extend (the CORS
layer in `cors.py` applies it; a 405's `Allow` names OPTIONS on these paths)."""

from __future__ import annotations

import re
from dataclasses import dataclass

# What auth0.js and auth0-spa-js send: JSON bodies, their telemetry header, a bearer token on
# /userinfo, DPoP proofs, and the passwordless language.
_SDK_HEADERS = ("Authorization", "Content-Type", "Auth0-Client", "DPoP", "X-Request-Language")


@dataclass(frozen=True)
class Policy:
    methods: tuple[str, ...]
    public: bool = False  # readable from any origin (`*`): documents anyone may fetch
    names_client: bool = False  # the body names a client; its own origins decide
    # The bearer token's `azp` names the client (a user's token used from the page that got it).
    token_names_client: bool = False
    headers: tuple[str, ...] = _SDK_HEADERS
    # The browser sends cookies (`/co/authenticate`): the answer must say it may read them.
    credentials: bool = False


_PUBLIC = Policy(("GET",), public=True)
_CLIENT_POST = Policy(("POST",), names_client=True)

# Every path open to cross-origin calls, in one place.
PATHS: dict[str, Policy] = {
    "/oauth/token": _CLIENT_POST,
    "/oauth/revoke": _CLIENT_POST,
    "/dbconnections/signup": _CLIENT_POST,
    "/dbconnections/change_password": _CLIENT_POST,
    "/co/authenticate": Policy(("POST",), names_client=True, credentials=True),
    "/userinfo": Policy(("GET",), token_names_client=True),
    "/.well-known/jwks.json": _PUBLIC,
    "/.well-known/openid-configuration": _PUBLIC,
}
# A signed-in user's own token (`read:current_user`, `update:current_user_metadata`) used from
# the browser, as Auth0 allows.
PATTERNS: tuple[tuple[re.Pattern[str], Policy], ...] = (
    (
        re.compile(r"/api/v2/users/[^/]+"),
        Policy(("GET", "PATCH"), headers=_SDK_HEADERS[:2], token_names_client=True),
    ),
)


def policy_for(path: str) -> Policy | None:
    found = PATHS.get(path)
    if found is not None or not path.startswith("/api/"):
        return found
    for pattern, policy in PATTERNS:
        if pattern.fullmatch(path):
            return policy
    return None
