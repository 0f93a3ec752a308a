"""`/try`: a first sign-in in one click. `/try/start` sends the browser to /authorize as the
Default App (a confidential web application made at the first start); `/try/callback`, the
app's callback, redeems the code inside the server and shows the ID token's claims and the
user's profile. The app's secret is never used or shown: the server is the client here.

The sign-in itself (PKCE, the sealed waiting cookie scoped to /try, the redemption) is
own_signin.py's, shared with the dashboard."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, Response

from selfauth.oauth.jwt import InvalidToken
from selfauth.oidc.claims import profile_claims
from selfauth.web.context import Services, services
from selfauth.web.pages.own_signin import OwnSignIn, SignInFailed

router = APIRouter(include_in_schema=False)

CALLBACK_PATH = "try/callback"
SIGN_IN = OwnSignIn(cookie="selfauth_try", path="/try", purpose="try")

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


def callback_url(issuer: str) -> str:
    """The Default App's callback: this page, under the issuer."""
    return f"{issuer}{CALLBACK_PATH}"


def _page(found: Services, status: int, **context: Any) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    html = _TEMPLATES.get_template("try.html").render(nonce=nonce, **context)
    response = HTMLResponse(html, status_code=status)
    response.headers.update(
        {
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": (
                f"default-src 'none'; style-src 'nonce-{nonce}'; form-action 'none'; "
                "frame-ancestors 'none'; base-uri 'none'"
            ),
        }
    )
    SIGN_IN.forget(response, found)
    return response


def _failure(found: Services, message: str, status: int = 400) -> HTMLResponse:
    return _page(found, status, error=message)


def _default_app_id(request: Request) -> str | None:
    found: str | None = getattr(request.app.state, "default_app_id", None)
    return found


@router.get("/try/start")
async def start(request: Request, found: Services = Depends(services)) -> Response:
    client_id = _default_app_id(request)
    if client_id is None or await found.clients.find(client_id) is None:
        return _failure(found, "The Default App no longer exists, so there is nothing to try.", 404)
    return SIGN_IN.begin(found, client_id, callback_url(found.settings.issuer_url))


@router.get("/try/callback")
async def callback(request: Request, found: Services = Depends(services)) -> Response:
    client_id = _default_app_id(request)
    try:
        kept = SIGN_IN.waiting(found, request)
        client = await found.clients.find(client_id) if client_id else None
        if client is None:
            return _failure(found, "The Default App no longer exists.", 404)
        redeemed = await SIGN_IN.redeem(
            found, request, client, callback_url(found.settings.issuer_url), kept
        )
        profile = await _userinfo(found, str(redeemed.tokens["access_token"]))
    except SignInFailed as exc:
        return _failure(found, f"{exc} Start again from /try/start.")
    except InvalidToken as exc:
        return _failure(found, f"The code could not be redeemed: {exc}")
    return _page(
        found,
        200,
        user=profile.get("email") or profile.get("sub"),
        id_token_claims=json.dumps(redeemed.id_claims, indent=2, sort_keys=True),
        profile=json.dumps(profile, indent=2, sort_keys=True),
    )


async def _userinfo(found: Services, access_token: str) -> dict[str, Any]:
    """What /userinfo answers for the access token."""
    claims = await found.verifier.verify(access_token, f"{found.settings.issuer_url}userinfo")
    scopes = frozenset(str(claims.get("scope", "")).split())
    user = await found.users.get_or_none(str(claims["sub"]))
    if user is None:
        raise InvalidToken("The user no longer exists")
    return {"sub": user.user_id, **profile_claims(user, scopes)}
