"""The dashboard's sign-in: `/admin/login` sends the browser to /authorize as the dashboard's
own application (authorization code with PKCE); `/admin/callback` redeems the code inside the
server (the server is that client, so its secret is never used), checks the ID token's nonce,
and starts a dashboard sign-in only for an administrator. `/admin/logout` ends the dashboard's
sign-in and the selfauth session, and lands on `/admin/signed-out`.

The state, nonce, PKCE verifier and the page to come back to wait in a short-lived cookie
sealed with the server's key, scoped to /admin, so a callback is accepted only in the browser
that started the sign-in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from selfauth.errors import SelfauthError
from selfauth.flows.grants import TokenRequest
from selfauth.oauth.jwt import InvalidToken
from selfauth.web.admin.render import render
from selfauth.web.admin.session import (
    Admin,
    clear_session_cookie,
    cookie_secure,
    safe_target,
    set_session_cookie,
    signed_in,
)
from selfauth.web.authentication.token import client_ip
from selfauth.web.context import Services, services
from selfauth.web.pages.sealed import open_sealed, seal
from selfauth.web.request_facts import request_facts

router = APIRouter(include_in_schema=False)

WAITING_COOKIE = "selfauth_admin_signin"
LIFETIME_SECONDS = 600
SCOPE = "openid profile email"


def callback_url(issuer: str) -> str:
    return f"{issuer}admin/callback"


def signed_out_url(issuer: str) -> str:
    return f"{issuer}admin/signed-out"


def _dashboard_app_id(request: Request) -> str | None:
    found: str | None = getattr(request.app.state, "dashboard_app_id", None)
    return found


def _failure(message: str, status: int = 400) -> Response:
    return render("message.html", status, title="Sign-in failed", message=message, retry=True)


@router.get("/admin/login")
async def login(request: Request, found: Services = Depends(services)) -> Response:
    client_id = _dashboard_app_id(request)
    if client_id is None:
        return _failure("The dashboard's application is missing; restart the server.", 503)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    waiting = {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": verifier,
        "next": safe_target(request.query_params.get("next")),
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
        WAITING_COOKIE,
        seal(waiting, found.secrets, found.clock(), purpose="admin", lifetime=LIFETIME_SECONDS),
        max_age=LIFETIME_SECONDS,
        path="/admin",
        httponly=True,
        secure=cookie_secure(found),
        samesite="lax",
    )
    return response


@router.get("/admin/callback")
async def callback(request: Request, found: Services = Depends(services)) -> Response:
    params = request.query_params
    cookie = request.cookies.get(WAITING_COOKIE)
    waiting = open_sealed(cookie, found.secrets, found.clock(), purpose="admin") if cookie else None
    state = params.get("state", "")
    if waiting is None or not hmac.compare_digest(waiting["state"].encode(), state.encode()):
        return _failure(
            "This sign-in was not started in this browser, or took too long. Sign in again."
        )
    if "error" in params:
        return _failure(f"{params['error']}: {params.get('error_description', '')}")
    client_id = _dashboard_app_id(request)
    client = await found.clients.find(client_id) if client_id else None
    if client is None:
        return _failure("The dashboard's application is missing; restart the server.", 503)
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
        claims = await found.verifier.verify(str(tokens["id_token"]), client.client_id)
    except (SelfauthError, InvalidToken, KeyError) as exc:
        return _failure(f"The sign-in could not be completed: {exc}")
    if not hmac.compare_digest(str(claims.get("nonce", "")).encode(), waiting["nonce"].encode()):
        return _failure("The ID token's nonce is not this sign-in's.")
    user_id = str(claims["sub"])
    if not await found.administrators.is_admin(user_id):
        user = await found.users.get_or_none(user_id)
        who = str(user.email if user and user.email else user_id)
        response = refusal(request, found, who)
    else:
        response = RedirectResponse(safe_target(waiting["next"]), status_code=303)
        set_session_cookie(response, found, await found.admin_sessions.start(user_id))
    response.delete_cookie(WAITING_COOKIE, path="/admin", secure=cookie_secure(found))
    return response


def refusal(request: Request, found: Services, who: str) -> Response:
    """A signed-in user without the administrator role: what they can do about it (sign out
    of selfauth, or the next sign-in would be this user's again)."""
    return render("refused.html", 403, who=who, logout=logout_address(request, found))


def logout_address(request: Request, found: Services) -> str:
    """/v2/logout for the dashboard's application, coming back to the signed-out page."""
    query = urlencode(
        {
            "client_id": _dashboard_app_id(request) or "",
            "returnTo": signed_out_url(found.settings.issuer_url),
        }
    )
    return f"{found.settings.issuer_url}v2/logout?{query}"


@router.post("/admin/logout")
async def logout(request: Request, admin: Admin = Depends(signed_in)) -> Response:
    await admin.form(request)  # the CSRF check: a page elsewhere cannot sign anyone out
    found = admin.services
    await found.admin_sessions.end(admin.token)
    return _end_everywhere(request, found)


def _end_everywhere(request: Request, found: Services) -> Response:
    """End the selfauth session too (the login page would otherwise sign the next person in
    as this administrator), through /v2/logout, which comes back to the signed-out page."""
    response = RedirectResponse(logout_address(request, found), status_code=303)
    clear_session_cookie(response, found)
    return response


@router.get("/admin/signed-out")
async def signed_out() -> Response:
    return render(
        "message.html",
        title="Signed out",
        message="You are signed out of the selfauth dashboard.",
        retry=True,
    )
