"""The browser's side of a sign-in at an upstream OpenID Provider (`flows/upstream_oidc.py`):
the transaction kept in a sealed cookie between `/authorize` and `/login/callback`.

The cookie holds the application's authorize request, the `state`, the `nonce` and the PKCE
verifier, signed under the server key; it is `HttpOnly`, for `/login/callback` only, and lives
ten minutes. `SameSite=Lax`: the provider sends the browser back with a top-level GET, which
carries it; `SameSite=None` when the provider will POST its answer (`form_post`). The callback
clears it, so a callback replayed later finds none."""

from __future__ import annotations

import hmac
from datetime import datetime

import orjson
from starlette.responses import Response

from selfauth.domain.clients.secrets import SecretHasher
from selfauth.web.pages import sealed
from selfauth.web.pages.session_cookie import cross_site_capable, is_https

COOKIE = "selfauth_upstream"
PATH = "/login/callback"
_PURPOSE = "upstream"
LIFETIME_SECONDS = 600


def keep_transaction(
    response: Response,
    issuer_url: str,
    secrets: SecretHasher,
    now: datetime,
    *,
    params: dict[str, str],
    state: str,
    nonce: str,
    verifier: str,
    form_post: bool = False,
) -> None:
    """`form_post`: the provider will POST its answer from its own site, which carries only a
    `SameSite=None` cookie (and browsers take that only `Secure`: on https, or on a loopback
    address as Chromium treats it)."""
    cross_site = form_post and cross_site_capable(issuer_url)
    value = sealed.seal(
        {
            "params": orjson.dumps(params).decode(),
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
        },
        secrets,
        now,
        purpose=_PURPOSE,
        lifetime=LIFETIME_SECONDS,
    )
    response.set_cookie(
        COOKIE,
        value,
        max_age=LIFETIME_SECONDS,
        path=PATH,
        httponly=True,
        secure=cross_site or is_https(issuer_url),
        samesite="none" if cross_site else "lax",
    )


def transaction(
    cookie: str | None, state: str, secrets: SecretHasher, now: datetime
) -> tuple[dict[str, str], str, str] | None:
    """(the authorize request, the nonce, the PKCE verifier) when the cookie is this
    browser's, unaltered, unexpired, and its `state` is the callback's."""
    values = sealed.open_sealed(cookie or "", secrets, now, purpose=_PURPOSE)
    if (
        values is None
        or not state
        or not hmac.compare_digest(values.get("state", "").encode(), state.encode())
    ):
        return None
    try:
        params = orjson.loads(values.get("params", ""))
    except orjson.JSONDecodeError:
        return None
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        return None
    return params, values.get("nonce", ""), values.get("verifier", "")


def forget_transaction(response: Response, issuer_url: str) -> None:
    # Secure where it may have been set Secure (form_post), so the browser lets it replace it.
    secure = cross_site_capable(issuer_url)
    response.delete_cookie(COOKIE, path=PATH, httponly=True, secure=secure)
