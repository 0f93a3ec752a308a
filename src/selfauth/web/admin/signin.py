"""The dashboard's sign-in: `/admin/login` sends the browser to /authorize as the dashboard's
own application, and `/admin/callback` redeems the code inside the server (own_signin.py does
both, as for the try page, with the page to come back to kept beside the PKCE verifier); a
dashboard sign-in starts only for an administrator. `/admin/logout` ends the dashboard's
sign-in and the selfauth session, and lands on `/admin/signed-out`."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import RedirectResponse, Response

from selfauth.web.admin.render import render
from selfauth.web.admin.session import (
    Admin,
    clear_session_cookie,
    safe_target,
    set_session_cookie,
    signed_in,
)
from selfauth.web.context import Services, services
from selfauth.web.pages.own_signin import OwnSignIn, SignInFailed

router = APIRouter(include_in_schema=False)

SIGN_IN = OwnSignIn(cookie="selfauth_admin_signin", path="/admin", purpose="admin")


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
    back = {"next": safe_target(request.query_params.get("next"))}
    return SIGN_IN.begin(found, client_id, callback_url(found.settings.issuer_url), back)


@router.get("/admin/callback")
async def callback(request: Request, found: Services = Depends(services)) -> Response:
    client_id = _dashboard_app_id(request)
    try:
        kept = SIGN_IN.waiting(found, request)
        client = await found.clients.find(client_id) if client_id else None
        if client is None:
            return _failure("The dashboard's application is missing; restart the server.", 503)
        redeemed = await SIGN_IN.redeem(
            found, request, client, callback_url(found.settings.issuer_url), kept
        )
    except SignInFailed as exc:
        return _failure(f"{exc} Sign in again.")
    user_id = str(redeemed.id_claims["sub"])
    if not await found.administrators.is_admin(user_id):
        user = await found.users.get_or_none(user_id)
        who = str(user.email if user and user.email else user_id)
        response = refusal(request, found, who)
    else:
        response = RedirectResponse(safe_target(kept["next"]), status_code=303)
        set_session_cookie(response, found, await found.admin_sessions.start(user_id))
    SIGN_IN.forget(response, found)
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
