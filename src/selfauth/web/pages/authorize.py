"""`/authorize`, the login page's form posts, and logout (`/v2/logout`, `/oidc/logout`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from selfauth.domain.clients.model import Client
from selfauth.domain.connections.model import Connection
from selfauth.domain.connections.password_policy import PasswordPolicy
from selfauth.domain.connections.upstream import NotReady
from selfauth.domain.consent.model import ConsentAsk
from selfauth.domain.users.model import User
from selfauth.errors import Conflict, Forbidden, InvalidBody, PasswordStrengthError
from selfauth.flows.authorize import SESSION_LIFETIME, AuthorizeRequest
from selfauth.flows.password_login import UnknownUser, WrongPassword
from selfauth.flows.signup import SignupDenied
from selfauth.flows.tenant_logs import about
from selfauth.flows.upstream_oidc import UpstreamError
from selfauth.oauth.errors import AuthorizeError, OAuthError
from selfauth.web import openapi
from selfauth.web.authentication.token import client_ip
from selfauth.web.context import Services, services
from selfauth.web.pages import sealed
from selfauth.web.pages.chrome import Page, image_url
from selfauth.web.pages.co_verify import PURPOSE as CO_VERIFY
from selfauth.web.pages.co_verify import sealed_fields, verification_page
from selfauth.web.pages.locale import (
    DEFAULT,
    N_,
    gettext,
    message_text,
    request_locale,
)
from selfauth.web.pages.policy_rules import shown_rules
from selfauth.web.pages.session_cookie import (
    SESSION_COOKIE,
    clear_session,
    clear_ticket_binding,
    set_session,
    ticket_binding,
)
from selfauth.web.pages.transaction import (
    csrf_matches,
    csrf_token,
    is_browser_key,
    new_browser_key,
    open_sealed,
    seal,
)
from selfauth.web.pages.upstream import COOKIE as UPSTREAM_COOKIE
from selfauth.web.pages.upstream import forget_transaction, keep_transaction, transaction
from selfauth.web.pages.web_message import web_message_page
from selfauth.web.request_facts import request_facts

router = APIRouter()

_FORM_LIMIT = 64 * 1024  # a login form is a few hundred bytes
RESET_SENT = N_("We've just sent you an email to reset your password.")
CSRF_COOKIE = "selfauth_csrf"


def csrf_cookie(found: Services) -> str:
    """Over HTTPS the cookie takes the `__Host-` prefix: the browser then refuses it from a
    sibling subdomain or without Secure, so another site cannot plant a browser key."""
    return f"__Host-{CSRF_COOKIE}" if _secure(found) else CSRF_COOKIE


# An origin fit to stand in a CSP source list (no spaces, quotes or semicolons).
_CSP_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[A-Za-z0-9._~%:@\[\]-]+")
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")


def _form_target(url: str) -> str:
    """The CSP `form-action` source for a form that posts to `url`: its origin, or its scheme
    where the origin could not be written into the header safely."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if _CSP_ORIGIN.fullmatch(origin):
        return origin
    return f"{parts.scheme}:" if _SCHEME.fullmatch(parts.scheme) else "'none'"


def render_page(
    template: str,
    status: int = 200,
    *,
    form_action: str = "'none'",
    locale: str = DEFAULT,
    **context: Any,
) -> HTMLResponse:
    """A page in `locale` with a strict CSP: its own inline style and script carry a fresh
    nonce, and its forms may post only to `form_action` (the login page to itself and, through
    the redirect that answers it, the application; a form_post answer to the application's
    origin). Its `title` is an English msgid, translated when it is sent; the tenant's
    branding, custom text and page template are applied then too (web/pages/chrome.py)."""
    return Page(template, status, form_action=form_action, locale=locale, context=context)


def message_page(
    title: str,
    message: str,
    status: int,
    *,
    error: bool = True,
    locale: str = DEFAULT,
    back_to: Client | None = None,
) -> HTMLResponse:
    """A page that says one thing; `title` and `message` are shown in `locale` where the
    catalogue knows them. With `back_to`, a link back to that application where it has a safe
    address (`way_back`); an error page without one says to start again from the application."""
    text = message_text(locale, message)
    back = way_back(back_to)
    return render_page(
        "message.html",
        status,
        locale=locale,
        title=title,
        message=text,
        error=error,
        back=back,
        back_name=back_to.name if back_to is not None and back else None,
    )


def way_back(client: Client | None) -> str | None:
    """Where an error or signed-out page may send the browser back to `client`: its
    `initiate_login_uri` (the application's own "start signing in" address, https by Auth0's
    rule), else the origin of its first `callbacks` URL that is a plain http(s) address (a
    registered address of the application, with no wildcard). Never the request's own
    `redirect_uri`: where a page is shown instead of a redirect, that is the address that was
    refused."""
    if client is None:
        return None
    initiate = client.extra_properties.get("initiate_login_uri")
    if isinstance(initiate, str) and initiate.startswith("https://"):
        return initiate
    for callback in client.callbacks:
        parts = urlsplit(callback)
        origin = f"{parts.scheme}://{parts.netloc}"
        plain = "@" not in origin and _CSP_ORIGIN.fullmatch(origin)
        if parts.scheme in ("http", "https") and plain:
            return f"{origin}/"
    return None


def _respond(request: Request, checked: AuthorizeRequest, fields: Mapping[str, str]) -> Response:
    """Send `fields` back to the application the way it asked (response_mode); `request` is
    the browser's, whose language a page answering it speaks."""
    values = {k: v for k, v in fields.items() if v is not None}
    if checked.state is not None:
        values["state"] = checked.state
    if checked.response_mode == "web_message":
        return web_message_page(values, checked.redirect_uri, checked.checked_client().web_origins)
    if checked.response_mode == "form_post":
        return render_page(
            "form_post.html",
            form_action=_form_target(checked.redirect_uri),
            locale=request_locale(request, checked.params),
            title=N_("Signing you in"),
            action=checked.redirect_uri,
            fields=sorted(values.items()),
        )
    if checked.response_mode == "fragment":
        location = f"{checked.redirect_uri}#{urlencode(values)}"
    else:
        separator = "&" if "?" in checked.redirect_uri else "?"
        location = f"{checked.redirect_uri}{separator}{urlencode(values)}"
    return RedirectResponse(location, status_code=303, headers={"Cache-Control": "no-store"})


def answer_error(request: Request, checked: AuthorizeRequest, exc: OAuthError) -> Response:
    """`exc` for the application, or, where it cannot be sent there, an error page in the
    language of the authorize request and the browser (`ui_locales`, `Accept-Language`, the
    tenant's default)."""
    if not exc.redirect or not checked.redirect_uri:
        return message_page(
            N_("Something is wrong with this sign-in link"),
            exc.description,
            400,
            locale=request_locale(request, checked.params),
            back_to=checked.client,
        )
    return _respond(request, checked, {"error": exc.error, "error_description": exc.description})


def _secure(found: Services) -> bool:
    return found.settings.issuer_url.startswith("https://")


# The login screens, by `screen_hint` (Auth0 opens sign-up for `screen_hint=signup`; the
# forgot-password screen's hint is selfauth's own). Any other value is the sign-in screen.
SIGN_IN, SIGN_UP, FORGOT = "login", "signup", "reset-password"
_SCREENS = {
    SIGN_IN: ("login.html", N_("Sign in")),
    SIGN_UP: ("signup.html", N_("Sign up")),
    FORGOT: ("forgot_password.html", N_("Forgot your password?")),
}


def _screen_href(authorize: AuthorizeRequest, screen: str) -> str:
    """The same authorize request showing `screen`: the screens link to each other with plain
    links, each answered by a fresh, re-checked transaction."""
    params = {k: v for k, v in authorize.params.items() if k != "screen_hint"}
    if screen != SIGN_IN:
        params["screen_hint"] = screen
    return "/authorize?" + urlencode(params)


async def _login_page(
    found: Services,
    request: Request,
    authorize: AuthorizeRequest,
    status: int = 200,
    screen: str | None = None,
    **context: Any,
) -> Response:
    """One of the login screens (sign-in, sign-up, forgot password), `screen` or the one the
    request's `screen_hint` asks for; sign-up only where the connection allows it."""
    browser_key = browser_key_of(found, request)
    client_id = authorize.checked_client().client_id
    # ui_locales is in the authorize request (sealed into the form posts' transaction).
    locale = request_locale(request, authorize.params)
    connection = authorize.connection
    assert connection is not None
    signup_allowed = not connection.options.get("disable_signup")
    screen = screen or authorize.params.get("screen_hint") or SIGN_IN
    if screen not in _SCREENS or (screen == SIGN_UP and not signup_allowed):
        screen = SIGN_IN
    buttons = []
    if screen == SIGN_IN:
        plain = {k: v for k, v in authorize.params.items() if k != "screen_hint"}
        buttons = [
            {
                "label": gettext(
                    locale,
                    N_("Sign in with %(name)s"),
                    name=upstream.display_name or upstream.name,
                ),
                "href": "/authorize?" + urlencode({**plain, "connection": upstream.name}),
                "icon": image_url(upstream.options.get("icon_url")),
            }
            for upstream in await found.connections.buttons_for(client_id)
        ]
    rules = shown_rules(locale, PasswordPolicy.from_options(connection.options))
    tx = seal(authorize.params, found.secrets, found.clock())
    template, title = _SCREENS[screen]
    page = render_page(
        template,
        status,
        # The form posts here, and a successful post redirects to the application: Chromium
        # holds that redirect to form-action too.
        form_action=f"'self' {_form_target(authorize.redirect_uri)}",
        locale=locale,
        title=title,
        client_name=authorize.checked_client().name,
        client_logo=authorize.checked_client().extra_properties.get("logo_uri"),
        tx=tx,
        csrf=csrf_token(browser_key, tx, found.secrets),
        login_action="/u/login",
        signup_action="/u/signup",
        forgot_action="/u/forgot-password",
        login_href=_screen_href(authorize, SIGN_IN),
        signup_href=_screen_href(authorize, SIGN_UP) if signup_allowed else None,
        forgot_href=_screen_href(authorize, FORGOT),
        requires_username=connection.requires_username,
        rules=rules,
        username=context.pop("username", ""),
        error=message_text(locale, context.pop("error", "")),
        signup_error=message_text(locale, context.pop("signup_error", "")),
        signup_email=context.pop("signup_email", ""),
        signup_username=context.pop("signup_username", ""),
        buttons=buttons,
        **context,
    )
    keep_browser_key(page, found, browser_key)
    return page


_SCRIPT = (Path(__file__).parent / "assets" / "screens.js").read_bytes()


# What /openapi.json says of /authorize's query (flows/authorize.py reads each) and of the
# logout endpoints' answers.
AUTHORIZE_PARAMETERS = (
    "client_id",
    "response_type",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "audience",
    "connection",
    "prompt",
    "max_age",
    "response_mode",
    "code_challenge",
    "code_challenge_method",
    "screen_hint",
    "ui_locales",
    "login_ticket",
)
LOGOUT_ANSWERS = {
    **openapi.redirect("Signed out, back to the address given"),
    **openapi.html(200, "Signed out: a page that says so"),
    **openapi.html_or_oauth_error(400, "The address to return to is not allowed for the client"),
}


@router.get("/u/assets/screens.js", include_in_schema=False)
async def screens_script() -> Response:
    """The login screens' static script (the show-password buttons, the live password policy):
    a file of its own, since the pages' CSP allows no inline script but by nonce."""
    return Response(
        _SCRIPT,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


def browser_key_of(found: Services, request: Request) -> str:
    """The browser's key for CSRF tokens: the one its cookie holds, or a new one."""
    browser_key = request.cookies.get(csrf_cookie(found))
    return browser_key if browser_key and is_browser_key(browser_key) else new_browser_key()


def keep_browser_key(page: Response, found: Services, browser_key: str) -> None:
    page.set_cookie(
        csrf_cookie(found),
        browser_key,
        httponly=True,
        samesite="lax",
        secure=_secure(found),
        path="/",
    )


@router.get(
    "/authorize",
    responses={
        **openapi.html(200, "The login page, or the answer posted back (form_post)"),
        **openapi.redirect("To the application's redirect_uri with its answer", 303),
        **openapi.redirect("To the upstream provider the connection names"),
        **openapi.html_or_oauth_error(400, "The request cannot be answered to the application"),
    },
    openapi_extra=openapi.query(*AUTHORIZE_PARAMETERS),
)
async def authorize(request: Request, found: Services = Depends(services)) -> Response:
    params = dict(request.query_params)
    checked = AuthorizeRequest(params=params)
    try:
        await found.authorizer.check(checked)
    except OAuthError as exc:
        return answer_error(request, checked, exc)
    if params.get("login_ticket"):
        return await _ticket_login(found, request, checked, params["login_ticket"])
    signed_in = await found.authorizer.session_user(request.cookies.get(SESSION_COOKIE))
    if checked.client is not None and checked.client.sso_disabled:
        signed_in = None  # the session stays for other applications; this one does not use it
    if signed_in is not None and not found.authorizer.recent_enough(checked, signed_in[0]):
        signed_in = None  # signed in longer ago than `max_age` allows: sign in again
    if checked.prompt == "none" and signed_in is None:
        _silent(found, request, checked, None, "Login required")
        return _respond(
            request, checked, {"error": "login_required", "error_description": "Login required"}
        )
    if signed_in is not None and checked.prompt != "login":
        session, user = signed_in
        ask = await _consent_to_ask(found, checked, user)
        if ask is not None and checked.prompt == "none":
            _silent(found, request, checked, user, "Consent required")
            return _respond(
                request,
                checked,
                {"error": "consent_required", "error_description": "Consent required"},
            )
        if ask is not None:
            return _consent_page(found, request, checked, user, ask)
        facts = request_facts(request, client_ip(request, trust_forwarded=False))
        try:
            fields = await found.authorizer.answer(checked, user, session.auth_time, facts)
        except OAuthError as exc:
            _silent(found, request, checked, user, exc.description)
            return answer_error(request, checked, exc)
        _silent(found, request, checked, user, None)
        return _respond(request, checked, fields)
    if checked.connection is not None and checked.connection.is_upstream:
        return await _to_upstream(found, request, checked, checked.connection)
    return await _login_page(found, request, checked)


def _silent(
    found: Services,
    request: Request,
    checked: AuthorizeRequest,
    user: User | None,
    error: str | None,
) -> None:
    """`ssa`/`fsa`: an answer to `prompt=none` (silent authentication); an answer from the
    session to another prompt is not logged."""
    if checked.prompt != "none":
        return
    facts = request_facts(request, client_ip(request, trust_forwarded=False))
    fields = about(client=checked.client, user=user, facts=facts)
    if error is None:
        found.logs.record("ssa", **fields)
    else:
        found.logs.record("fsa", details={"error": {"message": error}}, **fields)


def _upstream_redirect_uri(found: Services) -> str:
    return f"{found.settings.issuer_url}login/callback"


async def _to_upstream(
    found: Services, request: Request, checked: AuthorizeRequest, connection: Connection
) -> Response:
    """`connection=` names an upstream provider: the browser goes straight there, with this
    transaction kept in its sealed cookie (web/pages/upstream.py)."""
    try:
        started = await found.upstream.start(connection, _upstream_redirect_uri(found))
    except UpstreamError as exc:
        return answer_error(request, checked, AuthorizeError(exc.error, exc.description))
    except NotReady as exc:
        return answer_error(request, checked, AuthorizeError("invalid_request", str(exc)))
    response = RedirectResponse(started.url, status_code=302, headers={"Cache-Control": "no-store"})
    keep_transaction(
        response,
        found.settings.issuer_url,
        found.secrets,
        found.clock(),
        params=dict(checked.params),
        state=started.state,
        nonce=started.nonce,
        verifier=started.verifier,
        form_post=started.form_post,
    )
    return response


# The errors a provider's callback may carry that the application is told as they are.
_UPSTREAM_ERRORS = frozenset(
    {"access_denied", "login_required", "consent_required", "interaction_required"}
)


@router.get("/login/callback", include_in_schema=False)
async def upstream_callback(request: Request, found: Services = Depends(services)) -> Response:
    return await upstream_answer(request, found, dict(request.query_params))


async def upstream_answer(request: Request, found: Services, answer: dict[str, str]) -> Response:
    """The provider sends the browser back here (a GET, or a POST for `form_post`): the
    transaction must be this browser's (its cookie and `state`), then the code is exchanged
    or the posted ID token checked; whatever fails goes to the application as an error, or,
    with no transaction to trust, to a 400 page."""
    kept = transaction(
        request.cookies.get(UPSTREAM_COOKIE), answer.get("state", ""), found.secrets, found.clock()
    )
    if kept is None:  # the browser's own transaction, if any, stays for its real callback
        return message_page(
            N_("This sign-in cannot be finished"),
            N_(
                "It was started in another browser, has expired, or was finished already. "
                "Start again from the application."
            ),
            400,
            locale=request_locale(request),
        )
    params, nonce, verifier = kept
    response = await _finish_upstream(found, request, answer, params, nonce, verifier)
    forget_transaction(response, found.settings.issuer_url)
    return response


async def _finish_upstream(
    found: Services,
    request: Request,
    answer: dict[str, str],
    params: dict[str, str],
    nonce: str,
    verifier: str,
) -> Response:
    try:
        checked = await found.authorizer.validate(params)
    except AuthorizeError as exc:
        return message_page(
            N_("This sign-in cannot be finished"),
            exc.description,
            400,
            locale=request_locale(request),
        )
    connection = checked.connection
    if connection is None or not connection.is_upstream:
        return message_page(
            N_("This sign-in cannot be finished"),
            N_("The connection changed."),
            400,
            locale=request_locale(request),
            back_to=checked.client,
        )
    ip = client_ip(request, trust_forwarded=False)
    logged = about(client=checked.client, connection=connection, facts=request_facts(request, ip))
    if answer.get("error"):
        error = answer["error"] if answer["error"] in _UPSTREAM_ERRORS else "access_denied"
        description = answer.get("error_description") or "The identity provider refused."
        return _upstream_failed(
            found, request, checked, logged, AuthorizeError(error, description[:500])
        )
    try:
        answered = await found.upstream.finish(
            connection, answer, _upstream_redirect_uri(found), nonce, verifier
        )
        user = await found.users.sign_in_upstream(connection, answered.claims, ip, answered.tokens)
    except UpstreamError as exc:
        return _upstream_failed(
            found, request, checked, logged, AuthorizeError(exc.error, exc.description)
        )
    except NotReady as exc:
        return _upstream_failed(
            found, request, checked, logged, AuthorizeError("invalid_request", str(exc))
        )
    except Conflict:
        refused = "Another user of this connection already has this email address."
        return _upstream_failed(
            found, request, checked, logged, AuthorizeError("access_denied", refused)
        )
    if user.blocked:
        logged.update(about(user=user))
        blocked = AuthorizeError("unauthorized", "user is blocked")
        return _upstream_failed(found, request, checked, logged, blocked)
    found.logs.record("s", **logged, **about(user=user))
    return await signed_in(found, request, checked, user)


def _upstream_failed(
    found: Services,
    request: Request,
    checked: AuthorizeRequest,
    logged: dict[str, Any],
    error: AuthorizeError,
) -> Response:
    """`f`: an upstream (social, enterprise) sign-in that did not finish, and why."""
    details = {"error": {"message": error.description, "oauthError": error.error_code}}
    found.logs.record("f", details=details, **logged)
    return answer_error(request, checked, error)


async def _ticket_login(
    found: Services, request: Request, checked: AuthorizeRequest, ticket: str
) -> Response:
    """Cross-origin authentication's second step: the ticket `/co/authenticate` gave this
    client signs its user in as the login form does, in the browser that authenticated only
    (flows/cross_origin.py). A bad ticket is refused in the mode the application asked for,
    never with the login page (auth0.js waits for an answer)."""
    client = checked.checked_client()
    pending = await found.cross_origin.pending(ticket, client.client_id)
    if pending is None:
        return answer_error(request, checked, AuthorizeError("access_denied", _BAD_TICKET))
    verifier = ticket_binding(dict(request.cookies), pending.co_id)
    if verifier is None:
        return _verify_elsewhere(found, request, checked, ticket, pending.co_id)
    user = await found.cross_origin.redeem(ticket, client.client_id, verifier)
    if user is None:
        return answer_error(request, checked, AuthorizeError("access_denied", _BAD_TICKET))
    response = await signed_in(found, request, checked, user)
    clear_ticket_binding(response, found.settings.issuer_url, pending.co_id)
    return response


_BAD_TICKET = "Invalid, expired or already used login ticket."
_NO_VERIFIER = "No verifier returned from client."


def _verify_elsewhere(
    found: Services, request: Request, checked: AuthorizeRequest, ticket: str, co_id: str
) -> Response:
    """No cookie from `/co/authenticate` reached us: ask the application's `cross_origin_loc`
    page for the verifier (Auth0's `/co/verify`), or refuse where it has none."""
    client = checked.checked_client()
    page = None
    if client.cross_origin_loc is not None:
        state = sealed.seal(
            sealed_fields(checked.params, ticket),
            found.secrets,
            found.clock(),
            purpose=CO_VERIFY,
            lifetime=int(found.cross_origin.lifetime.total_seconds()),
        )
        page = verification_page(
            state,
            co_id,
            client.cross_origin_loc,
            _origin(found.settings.issuer_url),
            _form_target(checked.redirect_uri),
            client.web_origins,
        )
    if page is not None:
        return page
    return answer_error(
        request,
        checked,
        AuthorizeError(
            "access_denied",
            "The login ticket is not bound to this browser: it kept no cookie from "
            "/co/authenticate (third-party cookies blocked?) and the application has no "
            "cross_origin_loc page to verify it.",
        ),
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@router.post("/co/verify", include_in_schema=False)
async def co_verify(request: Request, found: Services = Depends(services)) -> Response:
    """The verification page's post: the verifier the application's page handed back, and the
    sealed authorize request with its ticket."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > _FORM_LIMIT:
        return message_page(
            N_("This sign-in has expired"),
            N_("The form is too large."),
            400,
            locale=request_locale(request),
        )
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    params = sealed.open_sealed(
        form.get("state", ""), found.secrets, found.clock(), purpose=CO_VERIFY
    )
    if params is None:
        return message_page(
            N_("This sign-in has expired"),
            N_("Start signing in again."),
            400,
            locale=request_locale(request),
        )
    ticket = params.pop("login_ticket", "")
    try:
        checked = await found.authorizer.validate(params)
    except AuthorizeError as exc:
        return message_page(
            N_("This sign-in has expired"), exc.description, 400, locale=request_locale(request)
        )
    verifier = form.get("verifier", "")
    if not verifier:
        return answer_error(request, checked, AuthorizeError("invalid_request", _NO_VERIFIER))
    user = await found.cross_origin.redeem(ticket, checked.checked_client().client_id, verifier)
    if user is None:
        return answer_error(request, checked, AuthorizeError("access_denied", _BAD_TICKET))
    return await signed_in(found, request, checked, user)


async def _resume(request: Request, found: Services) -> tuple[AuthorizeRequest, dict[str, str]]:
    """The form post's transaction, re-checked (the client may have changed since)."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > _FORM_LIMIT:
        raise AuthorizeError("invalid_request", "The form is too large.", redirect=False)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    tx = form.get("tx", "")
    browser_key = request.cookies.get(csrf_cookie(found))
    if not csrf_matches(browser_key, tx, form.get("csrf", ""), found.secrets):
        raise AuthorizeError("invalid_request", "The form expired; start again.", redirect=False)
    params = open_sealed(tx, found.secrets, found.clock())
    if params is None:
        raise AuthorizeError("invalid_request", "The form expired; start again.", redirect=False)
    return await found.authorizer.validate(params), form


async def signed_in(
    found: Services, request: Request, checked: AuthorizeRequest, user: User
) -> Response:
    """A fresh session (never the one the browser brought) and the answer for the application."""
    await found.authorizer.end_session(request.cookies.get(SESSION_COOKIE))
    cookie, session = await found.authorizer.start_session(user)
    ask = await _consent_to_ask(found, checked, user)
    if ask is not None:  # signed in; the application is answered once the user consents
        response: Response = _consent_page(found, request, checked, user, ask)
        set_session(
            response, found.settings.issuer_url, cookie, int(SESSION_LIFETIME.total_seconds())
        )
        return response
    facts = request_facts(request, client_ip(request, trust_forwarded=False))
    try:
        fields = await found.authorizer.answer(checked, user, session.auth_time, facts)
    except OAuthError as exc:
        # A hook refused the login: no session survives it, and the application is told.
        await found.authorizer.end_session(cookie)
        return answer_error(request, checked, exc)
    response = _respond(request, checked, fields)
    set_session(response, found.settings.issuer_url, cookie, int(SESSION_LIFETIME.total_seconds()))
    return response


# The consent screen (domain/consent/rules.py decides when it shows). Its form carries the
# authorize request sealed with the user it was shown to, so a post answers only for the
# session's own user.
_CONSENT_USER = "selfauth_consent_user"
DECLINED = "User did not authorize the request"  # Auth0's error_description


async def _consent_to_ask(
    found: Services, checked: AuthorizeRequest, user: User
) -> ConsentAsk | None:
    return await found.consent.to_ask(
        checked.checked_client(), user.user_id, checked.audience, checked.scope, checked.prompt
    )


def _consent_page(
    found: Services, request: Request, checked: AuthorizeRequest, user: User, ask: ConsentAsk
) -> Response:
    browser_key = browser_key_of(found, request)
    client = checked.checked_client()
    tx = seal({**checked.params, _CONSENT_USER: user.user_id}, found.secrets, found.clock())
    page = render_page(
        "consent.html",
        # Its post redirects to the application: Chromium holds that redirect to form-action.
        form_action=f"'self' {_form_target(checked.redirect_uri)}",
        locale=request_locale(request, checked.params, user.user_metadata),
        title=N_("Authorize the application"),
        client_name=client.name,
        client_logo=client.extra_properties.get("logo_uri"),
        api_name=ask.api_name or ask.audience,
        scopes=[{"value": s.value, "description": s.description} for s in ask.scopes],
        user_name=user.email or user.username or user.user_id,
        tx=tx,
        csrf=csrf_token(browser_key, tx, found.secrets),
        consent_action="/u/consent",
    )
    keep_browser_key(page, found, browser_key)
    return page


@router.post("/u/consent", include_in_schema=False)
async def consent(request: Request, found: Services = Depends(services)) -> Response:
    """The consent screen's Accept or Decline: Accept stores the grant and answers the
    application; Decline answers it `access_denied`, as Auth0 does."""

    def expired(description: str) -> Response:
        return message_page(
            N_("This form has expired"), description, 400, locale=request_locale(request)
        )

    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > _FORM_LIMIT:
        return expired(N_("The form is too large."))
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    tx = form.get("tx", "")
    browser_key = request.cookies.get(csrf_cookie(found))
    params = open_sealed(tx, found.secrets, found.clock())
    if not csrf_matches(browser_key, tx, form.get("csrf", ""), found.secrets) or params is None:
        return expired(N_("Start signing in again."))
    shown_to = params.pop(_CONSENT_USER, None)
    signed_in = await found.authorizer.session_user(request.cookies.get(SESSION_COOKIE))
    if shown_to is None or signed_in is None or signed_in[1].user_id != shown_to:
        return expired(N_("Start signing in again."))
    try:
        checked = await found.authorizer.validate(params)
    except AuthorizeError as exc:
        return expired(exc.description)
    session, user = signed_in
    if form.get("decision") != "accept":
        return answer_error(request, checked, AuthorizeError("access_denied", DECLINED))
    client = checked.checked_client()
    # Asked again as prompt=consent would: every API scope the request asks for.
    ask = await found.consent.to_ask(
        client, user.user_id, checked.audience, checked.scope, "consent"
    )
    if ask is not None:
        await found.consent.accept(user.user_id, client.client_id, ask.audience, ask.values)
    facts = request_facts(request, client_ip(request, trust_forwarded=False))
    try:
        fields = await found.authorizer.answer(checked, user, session.auth_time, facts)
    except OAuthError as exc:
        return answer_error(request, checked, exc)
    return _respond(request, checked, fields)


async def _check_password(
    found: Services,
    request: Request,
    connection: Connection,
    identifier: str,
    form: Mapping[str, str],
) -> User:
    """The page's password check: brute-force counted by the browser's own address."""
    return await found.password_login.check_password(
        connection, identifier, form.get("password", ""), client_ip(request, trust_forwarded=False)
    )


@router.post("/u/login", include_in_schema=False)
async def login(request: Request, found: Services = Depends(services)) -> Response:
    try:
        checked, form = await _resume(request, found)
    except AuthorizeError as exc:
        return message_page(
            N_("This sign-in form has expired"),
            exc.description,
            400,
            locale=request_locale(request),
        )
    assert checked.connection is not None
    username = form.get("username", "")
    logged = about(
        client=checked.client,
        connection=checked.connection,
        facts=request_facts(request, client_ip(request, trust_forwarded=False)),
    )
    try:
        user = await _check_password(found, request, checked.connection, username, form)
    except OAuthError as exc:  # wrong password ("Wrong email or password."), blocked, busy
        code = (
            "fp"
            if isinstance(exc, WrongPassword)
            else "fu"
            if isinstance(exc, UnknownUser)
            else "f"
        )
        details = {"error": {"message": exc.description}}
        found.logs.record(code, user_name=username[:512], details=details, **logged)
        return await _login_page(
            found,
            request,
            checked,
            429 if exc.status_code == 429 else 401,
            SIGN_IN,
            error=exc.description,
            username=username,
        )
    found.logs.record("s", **logged, **about(user=user))
    return await signed_in(found, request, checked, user)


@router.post("/u/signup", include_in_schema=False)
async def signup(request: Request, found: Services = Depends(services)) -> Response:
    try:
        checked, form = await _resume(request, found)
    except AuthorizeError as exc:
        return message_page(
            N_("This sign-up form has expired"),
            exc.description,
            400,
            locale=request_locale(request),
        )
    connection = checked.connection
    assert connection is not None
    fields = {
        "connection": connection.name,
        "email": form.get("email", ""),
        "password": form.get("password", ""),
    }
    if form.get("username"):
        fields["username"] = form["username"]
    facts = request_facts(request, client_ip(request, trust_forwarded=False), fields)
    try:
        await found.signup.register(checked.checked_client().client_id, fields, facts)
        user = await _check_password(found, request, connection, fields["email"], form)
    except SignupDenied as exc:
        message = exc.message
    except Conflict:
        message = "The user already exists."
    except (PasswordStrengthError, InvalidBody, Forbidden) as exc:
        message = exc.message.removeprefix("PasswordStrengthError: ")
    except OAuthError as exc:
        message = exc.description
    else:
        return await signed_in(found, request, checked, user)
    return await _login_page(
        found,
        request,
        checked,
        400,
        SIGN_UP,
        signup_error=message,
        signup_email=fields["email"],
        signup_username=fields.get("username", ""),
    )


@router.post("/u/forgot-password", include_in_schema=False)
async def forgot_password(request: Request, found: Services = Depends(services)) -> Response:
    """The login page's "Forgot your password?": as `/dbconnections/change_password`, the
    same answer whether or not the address has an account on this connection."""
    try:
        checked, form = await _resume(request, found)
    except AuthorizeError as exc:
        return message_page(
            N_("This form has expired"), exc.description, 400, locale=request_locale(request)
        )
    connection = checked.connection
    assert connection is not None
    email = form.get("email", "")
    if email.strip():
        client_id = checked.checked_client().client_id
        facts = request_facts(request, client_ip(request, trust_forwarded=False))
        await found.account_mails.password_reset_requested(email, connection, client_id, facts)
    return message_page(
        N_("Check your email"),
        RESET_SENT,
        200,
        error=False,
        locale=request_locale(request, checked.params),
    )


def _clear_session(response: Response, found: Services) -> Response:
    clear_session(response, found.settings.issuer_url)
    return response


async def _logout_target(found: Services, client_id: str | None, target: str | None) -> str | None:
    """Where to send the browser after logout: only a URL the application registered."""
    if not target:
        return None
    client = await found.clients.find(client_id) if client_id else None
    if client is None or target not in client.allowed_logout_urls:
        raise AuthorizeError(
            "invalid_request",
            "The returnTo URL is not one of the application's Allowed Logout URLs.",
            redirect=False,
        )
    return target


async def _signed_out_page(found: Services, request: Request, client_id: str | None) -> Response:
    """The logged-out page: "You are signed out", with a way back to the application when
    `client_id` names one that has a safe address (`way_back`)."""
    client = await found.clients.find(client_id) if client_id else None
    return message_page(
        N_("Signed out"),
        N_("You are signed out."),
        200,
        error=False,
        locale=request_locale(request),
        back_to=client,
    )


async def _end_session(found: Services, request: Request) -> User | None:
    return await found.authorizer.end_session(request.cookies.get(SESSION_COOKIE))


def _signed_out(
    found: Services, request: Request, client_id: str | None, user: User | None
) -> None:
    """`slo`, when a session ended (a browser without one signed nobody out)."""
    if user is not None:
        facts = request_facts(request, client_ip(request, trust_forwarded=False))
        found.logs.record("slo", client_id=client_id, **about(user=user, facts=facts))


def _logout_failed(
    found: Services, request: Request, client_id: str | None, error: AuthorizeError
) -> None:
    """`flo`: a logout refused (its return address is not an allowed one); the session,
    if any, is kept."""
    facts = request_facts(request, client_ip(request, trust_forwarded=False))
    details = {"error": {"message": error.description}}
    found.logs.record(
        "flo", client_id=(client_id or "")[:64] or None, details=details, **about(facts=facts)
    )


@router.get(
    "/v2/logout",
    responses=LOGOUT_ANSWERS,
    openapi_extra=openapi.query("client_id", "returnTo", "federated"),
)
async def logout(request: Request, found: Services = Depends(services)) -> Response:
    query = request.query_params
    try:
        target = await _logout_target(found, query.get("client_id"), query.get("returnTo"))
    except AuthorizeError as exc:
        _logout_failed(found, request, query.get("client_id"), exc)
        return message_page(
            N_("Cannot sign you out to that address"),
            exc.description,
            400,
            locale=request_locale(request),
        )
    _signed_out(found, request, query.get("client_id"), await _end_session(found, request))
    if target is None:
        response: Response = await _signed_out_page(found, request, query.get("client_id"))
    else:
        response = RedirectResponse(target, status_code=302)
    return _clear_session(response, found)


@router.get(
    "/oidc/logout",
    responses=LOGOUT_ANSWERS,
    openapi_extra=openapi.query(
        "client_id", "post_logout_redirect_uri", "state", "id_token_hint", "logout_hint"
    ),
)
async def oidc_logout(request: Request, found: Services = Depends(services)) -> Response:
    query = request.query_params
    try:
        target = await _logout_target(
            found, query.get("client_id"), query.get("post_logout_redirect_uri")
        )
    except AuthorizeError as exc:
        _logout_failed(found, request, query.get("client_id"), exc)
        return message_page(
            N_("Cannot sign you out to that address"),
            exc.description,
            400,
            locale=request_locale(request),
        )
    _signed_out(found, request, query.get("client_id"), await _end_session(found, request))
    if target is None:
        response: Response = await _signed_out_page(found, request, query.get("client_id"))
    else:
        state = query.get("state")
        separator = "&" if "?" in target else "?"
        location = f"{target}{separator}{urlencode({'state': state})}" if state else target
        response = RedirectResponse(location, status_code=302)
    return _clear_session(response, found)
