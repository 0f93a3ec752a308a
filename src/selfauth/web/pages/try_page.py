"""`/try`: a first sign-in in one click. `/try/start` sends the browser to /authorize as the
Default App (a confidential web application made at the first start); `/try/callback`, the
app's callback, redeems the code inside the server and shows the ID token's claims and the
user's profile. The app's secret is never used or shown: the server is the client here.

The state, nonce and PKCE verifier wait in a short-lived cookie sealed with the server's key,
scoped to /try, so a callback is accepted only in the browser that started the sign-in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from selfauth.errors import SelfauthError
from selfauth.flows.grants import TokenRequest
from selfauth.oauth.jwt import InvalidToken
from selfauth.oidc.claims import profile_claims
from selfauth.web.authentication.token import client_ip
from selfauth.web.context import Services, services
from selfauth.web.pages.sealed import open_sealed, seal
from selfauth.web.request_facts import request_facts

router = APIRouter(include_in_schema=False)

CALLBACK_PATH = "try/callback"
COOKIE = "selfauth_try"
SCOPE = "openid profile email"
LIFETIME_SECONDS = 600

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
    # Every answer ends the sign-in it was waiting for: a state is good for one callback.
    response.delete_cookie(COOKIE, path="/try", secure=_secure(found))
    return response


def _secure(found: Services) -> bool:
    return found.settings.issuer_url.startswith("https://")


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
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    waiting = {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": verifier,
    }
    issuer = found.settings.issuer_url
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": callback_url(issuer),
            "scope": SCOPE,
            "state": waiting["state"],
            "nonce": waiting["nonce"],
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
    )
    response = RedirectResponse(f"{issuer}authorize?{query}", status_code=302)
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(
        COOKIE,
        seal(waiting, found.secrets, found.clock(), purpose="try", lifetime=LIFETIME_SECONDS),
        max_age=LIFETIME_SECONDS,
        path="/try",
        httponly=True,
        secure=_secure(found),
        samesite="lax",  # the callback arrives by a top-level redirect
    )
    return response


@router.get("/try/callback")
async def callback(request: Request, found: Services = Depends(services)) -> Response:
    params = request.query_params
    cookie = request.cookies.get(COOKIE)
    waiting = open_sealed(cookie, found.secrets, found.clock(), purpose="try") if cookie else None
    state = params.get("state", "")
    if waiting is None or not hmac.compare_digest(waiting["state"].encode(), state.encode()):
        return _failure(
            found,
            "This sign-in was not started in this browser, or took too long (the state does "
            "not match). Start again from /try/start.",
        )
    if "error" in params:
        return _failure(
            found, f"Sign-in failed: {params['error']}: {params.get('error_description', '')}"
        )
    client_id = _default_app_id(request)
    client = await found.clients.find(client_id) if client_id else None
    if client is None:
        return _failure(found, "The Default App no longer exists.", 404)
    token_request = TokenRequest(
        client=client,
        confidential=True,  # redeemed inside the server, which is this client
        grant_type="authorization_code",
        params={
            "code": params.get("code", ""),
            "redirect_uri": callback_url(found.settings.issuer_url),
            "code_verifier": waiting["verifier"],
        },
        facts=request_facts(request, client_ip(request, trust_forwarded=False)),
    )
    try:
        _, grant = found.grants.find("authorization_code")
        tokens = await found.grants.issue(grant, token_request)
        id_claims = await found.verifier.verify(str(tokens["id_token"]), client.client_id)
        if not hmac.compare_digest(str(id_claims.get("nonce", "")), waiting["nonce"]):
            return _failure(found, "The ID token's nonce is not this sign-in's.")
        profile = await _userinfo(found, str(tokens["access_token"]))
    except (SelfauthError, InvalidToken, KeyError) as exc:
        return _failure(found, f"The code could not be redeemed: {exc}")
    return _page(
        found,
        200,
        user=profile.get("email") or profile.get("sub"),
        id_token_claims=json.dumps(id_claims, indent=2, sort_keys=True),
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
