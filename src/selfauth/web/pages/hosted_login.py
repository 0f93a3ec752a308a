"""`POST /usernamepassword/login` and `POST /login/callback`: the password login of Lock or
auth0.js running on a page that selfauth itself serves (Auth0's classic hosted login page, where
`window.location.host` is the tenant's domain and auth0.js posts the password here instead of to
`/co/authenticate`).

The answer to a right password is an HTML form that auth0.js puts into the page and submits:
it carries the result, sealed (`wresult`), to `/login/callback`, which starts the session and
answers the application as `/authorize` does. The result opens only in the browser that got it
(a cookie set with the form holds a random key whose hash is sealed in), within a minute, so a
form copied out of the page signs no one in elsewhere."""

from __future__ import annotations

import hmac
import html
import secrets
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, Response

from selfauth.errors import InvalidBody
from selfauth.flows.password_login import UnknownUser, WrongPassword
from selfauth.flows.tenant_logs import about
from selfauth.oauth.errors import AuthorizeError, BlockedUser, OAuthError, TooManyAttempts
from selfauth.web.authentication.token import client_ip
from selfauth.web.body import read_json_object
from selfauth.web.context import Services, services
from selfauth.web.json import JSONResponse
from selfauth.web.pages import sealed
from selfauth.web.pages.authorize import message_page, signed_in, upstream_answer
from selfauth.web.pages.locale import N_, request_locale
from selfauth.web.pages.session_cookie import cross_site_capable
from selfauth.web.ratelimit import per_address
from selfauth.web.request_facts import request_facts

router = APIRouter(dependencies=[Depends(per_address)])

_PURPOSE = "login_callback"
_LIFETIME_SECONDS = 60  # auth0.js submits the form at once
_BROWSER_COOKIE = "selfauth_hosted_login"
# Body keys that are the login itself, not the authorize request it continues.
_NOT_AUTHORIZE = frozenset(
    {"username", "password", "tenant", "_csrf", "_intstate", "popup_options"}
)


def _refusal(status: int, name: str, code: str, description: str) -> JSONResponse:
    """auth0.js reads `code` and `description` (Auth0's shape for this endpoint)."""
    return JSONResponse(
        {"name": name, "code": code, "description": description, "statusCode": status},
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def _authorize_params(body: Mapping[str, Any]) -> dict[str, str] | None:
    """The authorize request the body continues (`connection` from `realm` as auth0.js sends
    it), or None when a value is not a string."""
    params: dict[str, str] = {}
    for key, value in body.items():
        if key in _NOT_AUTHORIZE or value is None:
            continue
        if not isinstance(value, str):
            return None
        params[key] = value
    if "realm" in params and "connection" not in params:
        params["connection"] = params["realm"]
    return params


def _failed(found: Services, exc: OAuthError, username: str, logged: dict[str, Any]) -> None:
    """`fp` (wrong password), `fu` (unknown user) or `f` (blocked, busy), as `/u/login`."""
    code = "fp" if isinstance(exc, WrongPassword) else "fu" if isinstance(exc, UnknownUser) else "f"
    details = {"error": {"message": exc.description}}
    found.logs.record(code, user_name=username[:512], details=details, **logged)


@router.post("/usernamepassword/login", include_in_schema=False)
async def usernamepassword_login(request: Request, found: Services = Depends(services)) -> Response:
    # JSON only: a cross-site form cannot send it without a preflight, which is refused here.
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _refusal(400, "BadRequestError", "invalid_request", "Send the body as JSON.")
    try:
        body = await read_json_object(request, found.settings.max_body_bytes)
    except InvalidBody as exc:
        return _refusal(400, "BadRequestError", "invalid_request", exc.message)
    username, password = body.get("username"), body.get("password")
    params = _authorize_params(body)
    if not isinstance(username, str) or not isinstance(password, str) or params is None:
        return _refusal(
            400, "BadRequestError", "invalid_request", "username and password are required."
        )
    try:
        checked = await found.authorizer.validate(params)
    except AuthorizeError as exc:
        return _refusal(400, "BadRequestError", exc.error, exc.description)
    if checked.connection is None or not checked.connection.signs_in:
        return _refusal(400, "BadRequestError", "invalid_request", "No database connection.")
    ip = client_ip(request, trust_forwarded=False)
    logged = about(
        client=checked.client, connection=checked.connection, facts=request_facts(request, ip)
    )
    try:
        user = await found.password_login.check_password(checked.connection, username, password, ip)
    except TooManyAttempts as exc:
        _failed(found, exc, username, logged)
        return _refusal(429, "AnomalyDetected", "too_many_attempts", exc.description)
    except BlockedUser as exc:
        _failed(found, exc, username, logged)
        return _refusal(401, "UnauthorizedError", "user_is_blocked", exc.description)
    except OAuthError as exc:
        _failed(found, exc, username, logged)
        if exc.status_code == 429:
            return _refusal(429, "TooManyRequestsError", exc.error, exc.description)
        return _refusal(401, "ValidationError", "invalid_user_password", exc.description)
    found.logs.record("s", **logged, **about(user=user))
    browser_key = secrets.token_urlsafe(24)
    result = sealed.seal(
        {**params, "user_id": user.user_id, "browser": found.secrets.digest(browser_key)},
        found.secrets,
        found.clock(),
        purpose=_PURPOSE,
        lifetime=_LIFETIME_SECONDS,
    )
    # The form first: auth0.js submits the first element of what it is given.
    form = (
        f'<form method="post" name="hiddenform" action="{html.escape(found.settings.issuer_url)}'
        'login/callback">'
        '<input type="hidden" name="wa" value="wsignin1.0">'
        f'<input type="hidden" name="wresult" value="{html.escape(result)}">'
        '<input type="hidden" name="wctx" value="{}">'
        "<noscript><p>Press Continue to finish signing in.</p>"
        '<input type="submit" value="Continue"></noscript></form>'
    )
    response = HTMLResponse(form, headers={"Cache-Control": "no-store"})
    secure = cross_site_capable(found.settings.issuer_url)
    response.set_cookie(
        _BROWSER_COOKIE,
        browser_key,
        max_age=_LIFETIME_SECONDS,
        path="/login/callback",
        httponly=True,
        secure=secure,
        samesite="lax",  # the form posts to the same site
    )
    return response


@router.post("/login/callback", include_in_schema=False)
async def login_callback(request: Request, found: Services = Depends(services)) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if "wresult" not in form and "state" in form:
        # An upstream provider's `form_post` answer (web/pages/authorize.py).
        return await upstream_answer(request, found, form)
    values = sealed.open_sealed(
        form.get("wresult", ""), found.secrets, found.clock(), purpose=_PURPOSE
    )
    browser_key = request.cookies.get(_BROWSER_COOKIE, "")
    if values is None or not hmac.compare_digest(
        found.secrets.digest(browser_key), values.pop("browser", "")
    ):
        return message_page(
            N_("This sign-in has expired"),
            N_("Start signing in again."),
            400,
            locale=request_locale(request),
        )
    user = await found.users.get_or_none(values.pop("user_id", ""))
    try:
        checked = await found.authorizer.validate(values)
    except AuthorizeError as exc:
        return message_page(
            N_("This sign-in has expired"), exc.description, 400, locale=request_locale(request)
        )
    if user is None or user.blocked:
        return message_page(
            N_("This sign-in has expired"),
            N_("The user cannot sign in."),
            400,
            locale=request_locale(request, checked.params),
            back_to=checked.client,
        )
    response = await signed_in(found, request, checked, user)
    response.delete_cookie(_BROWSER_COOKIE, path="/login/callback", httponly=True)
    return response
