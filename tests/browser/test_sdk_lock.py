"""auth0-lock 14 (the real npm package, bundled by the tests) in Chromium, on an application
origin other than selfauth's: Lock renders from `/client/{id}.js` (or stops on an unknown
client), signs users up with every kind of additional sign-up field and shows the server's
refusals, and logs in through cross-origin authentication (`/co/authenticate`, then
`/authorize?login_ticket=...`) in redirect mode (same site, across sites, the code flow) and
popup mode; the last login it offers, `checkSession`, logout, `getUserInfo`; the errors it shows
for a wrong password, a blocked user, a Rule's refusal and an origin the application did not
register. SQLite server only: the persistence behind it is covered on every database in
tests/storage (test_users.py, test_clients.py)."""

from __future__ import annotations

import base64
import html
import json
import re
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page

from tests.browser.sdk_app import SdkSetup, register_spa, watched
from tests.support.api import PASSWORD, Api, unique_email, user_path
from tests.support.hooks import Hooks, guarded_rule
from tests.support.hooks import hooks as hooks
from tests.support.signin import new_connection

pytestmark = pytest.mark.sqlite_only

# A 1x1 image: Lock's default logo and its translations come from cdn.auth0.com, and its avatar
# from gravatar.com, which the tests do not reach (`avatar: null` turns that off). The application
# serves English itself (`languageBaseUrl`, see `open_lock`).
LOGO = "data:image/gif;base64,R0lGODlhAQABAAAAACw="
EVENTS = [
    "authenticated",
    "authorization_error",
    "unrecoverable_error",
    "signin ready",
    "signup ready",
    "signup success",
    "signup error",
]

# `new Auth0Lock(clientID, domain, options)` configured as docs/browser-sdks.md says for a
# selfauth without TLS, shown inline in the page's <main id="app">, on one database connection
# (new applications are enabled on every connection other tests made); every event it emits
# is recorded in window.lockEvents. `EXTRA` (a JavaScript object expression) adds options.
START = """([clientId, domain, connection, logo, events]) => {
  window.lockEvents = [];
  const options = {
    container: 'app',
    allowedConnections: [connection],
    configurationBaseUrl: domain,
    languageBaseUrl: location.origin,
    theme: { logo },
    avatar: null,
    overrides: { __tenant: new URL(domain).hostname.split('.')[0], __token_issuer: domain + '/',
                 __jwks_uri: domain + '/.well-known/jwks.json' },
    ...EXTRA,
  };
  window.lock = new Auth0Lock(clientId, domain, options);
  for (const name of events) {
    window.lock.on(name, (value) => window.lockEvents.push(
      { name, value: value === undefined ? null : JSON.parse(JSON.stringify(value)) }));
  }
  window.lock.show();
  return true;
}"""

POPUP = "{ auth: { redirect: false, responseType: 'token id_token' } }"


def open_lock(
    page: Page,
    sdk: SdkSetup,
    extra: str = POPUP,
    *,
    client_id: str = "",
    connection: str = "",
    same_site: bool = False,
) -> None:
    """The Lock page, then Lock with `extra` options (a JavaScript object expression)."""
    # English as an application hosting Lock's translations itself serves it; Lock merges it
    # over its built-in dictionary.
    page.route(
        "**/js/lock/*/en.js",
        lambda route: route.fulfill(
            body='Auth0.registerLanguageDictionary("en", {});',
            content_type="application/javascript",
        ),
    )
    lock_page = sdk.app.page_url("lock", same_site=same_site)
    if not page.url.startswith(lock_page):
        page.goto(lock_page)
    page.evaluate(
        START.replace("EXTRA", extra),
        [client_id or sdk.client_id, sdk.domain, connection or sdk.connection, LOGO, EVENTS],
    )


def events(page: Page, name: str) -> list[Any]:
    found: list[dict[str, Any]] = page.evaluate("() => window.lockEvents")
    return [event["value"] for event in found if event["name"] == name]


def wait_for_event(page: Page, name: str) -> Any:
    """The value of Lock's first `name` event; fails on an `authorization_error` first."""
    page.wait_for_function(
        """(name) => window.lockEvents && window.lockEvents.some(
             (e) => e.name === name || e.name === 'authorization_error')""",
        arg=name,
    )
    if name != "authorization_error":
        assert events(page, "authorization_error") == []
    return events(page, name)[0]


def fill_login(page: Page, email: str, password: str = PASSWORD) -> None:
    page.locator("#app input[name=email]").fill(email)
    page.locator("#app input[name=password]").fill(password)
    page.locator("#app button.auth0-lock-submit").click()


def sign_up(page: Page, email: str, password: str = PASSWORD, **fields: str) -> None:
    page.locator("#app .auth0-lock-tabs").get_by_text("Sign Up").click()
    page.locator("#app input[name=email]").fill(email)
    for name, value in fields.items():
        page.locator(f"#app input[name={name}]").fill(value)
    page.locator("#app input[name=password]").fill(password)
    page.locator("#app button.auth0-lock-submit").click()


def global_error(page: Page) -> str:
    """The message Lock shows above its form (as written: the style upper-cases it)."""
    error = page.locator("#app .auth0-global-message-error")
    error.wait_for()
    return (error.text_content() or "").strip()


def test_lock_renders_the_database_connection_from_the_client_script(
    sdk: SdkSetup, page: Page
) -> None:
    with page.expect_response(f"{sdk.domain}/client/{sdk.client_id}.js?*") as script:
        open_lock(page, sdk)
    assert script.value.status == 200
    page.locator("#app input[name=email]").wait_for()
    assert page.locator("#app input[name=password]").is_visible()
    assert events(page, "signin ready") == [None]
    assert events(page, "unrecoverable_error") == []
    assert page.get_by_text("Something went wrong").count() == 0
    # Log In and Sign Up tabs (`showSignup`), and the forgot-password link (`showForgot`).
    assert page.locator("#app .auth0-lock-tabs li").all_inner_texts() == ["Log In", "Sign Up"]
    assert page.get_by_text("Don't remember your password?").count() == 1
    assert page.errors == []  # type: ignore[attr-defined]


def test_forgot_password_mails_a_link_whose_page_changes_the_password(
    sdk: SdkSetup, page: Page, api: Api
) -> None:
    """Lock's "Don't remember your password?" posts to /dbconnections/change_password (over
    CORS); the reset mail waits in the outbox (this server has no SMTP provider), and its link
    opens selfauth's reset page, where the new password is set; Lock then logs in with it."""
    user = api.create_user(email=unique_email("lock-forgot"), verify_email=False)
    open_lock(page, sdk)
    page.get_by_text("Don't remember your password?").click()
    # Lock slides the forgot-password screen in over the login one: wait until it is alone.
    page.wait_for_function("() => document.querySelectorAll('#app input[name=email]').length === 1")
    page.locator("#app input[name=email]").fill(user["email"])
    with page.expect_response(f"{sdk.domain}/dbconnections/change_password") as answered:
        page.locator("#app button.auth0-lock-submit").click()
    assert answered.value.status == 200
    success = page.locator("#app .auth0-global-message-success")
    success.wait_for()
    assert "We've just sent you an email to reset your password." in (success.text_content() or "")
    listing = api.get("/api/v2/emails/outbox", recipient=user["email"]).json()
    mails = listing["mails"] if isinstance(listing, dict) else listing
    (mail,) = [m for m in mails if m["template"] == "reset_email"]
    link = re.search(r'href="([^"]+/u/reset-password\?ticket=[^"]+)"', mail["html"])
    assert link is not None, mail["html"]

    page.goto(html.unescape(link.group(1)))
    page.get_by_label("New password").fill("N3w!Passw0rd-from-Lock")
    page.get_by_label("Type it again").fill("N3w!Passw0rd-from-Lock")
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("Your password has been changed successfully.").wait_for()

    open_lock(page, sdk)
    fill_login(page, user["email"], "N3w!Passw0rd-from-Lock")
    assert wait_for_event(page, "authenticated")["idTokenPayload"]["email"] == user["email"]


SIGN_UP_FIELDS = """{
  auth: { redirect: false, responseType: 'token id_token' },
  additionalSignUpFields: [
    { name: 'favourite_colour', placeholder: 'Favourite colour' },
    { name: 'nickname_hint', placeholder: 'Optional hint', validator: () => ({ valid: true }) },
    { type: 'select', name: 'plan', placeholder: 'Plan',
      options: [{ value: 'basic', label: 'Basic' }, { value: 'pro', label: 'Professional' }] },
    { type: 'checkbox', name: 'newsletter', placeholder: 'Newsletter', prefill: 'true' },
    { type: 'checkbox', name: 'terms_read', placeholder: 'I read the terms', prefill: 'false' },
    { type: 'hidden', name: 'referrer', value: 'lock-test' },
    { name: 'name', placeholder: 'Full name', storage: 'root' },
  ],
}"""


def test_an_unknown_client_stops_lock_with_its_error(sdk: SdkSetup, page: Page) -> None:
    """`/client/{id}.js` answers 404 for an application selfauth does not know: Lock shows its
    error screen and emits `unrecoverable_error` rather than load for ever."""
    with page.expect_response(f"{sdk.domain}/client/NoSuchClient0000000000000000000.js?*") as got:
        open_lock(page, sdk, client_id="NoSuchClient0000000000000000000")
    assert got.value.status == 404
    page.wait_for_function("() => window.lockEvents.some((e) => e.name === 'unrecoverable_error')")
    page.get_by_text("Something went wrong").wait_for()
    assert page.locator("#app input[name=email]").count() == 0


def test_sign_up_without_login_after_sign_up_thanks_the_user(
    sdk: SdkSetup, page: Page, api: Api
) -> None:
    email = unique_email("lock-no-login")
    open_lock(page, sdk, "{ loginAfterSignUp: false, auth: { redirect: false } }")
    with page.expect_response(f"{sdk.domain}/dbconnections/signup") as answered:
        sign_up(page, email)
    assert answered.value.status == 200
    confirmation = page.locator("#app .auth0-lock-confirmation")
    confirmation.wait_for()
    assert (confirmation.text_content() or "").strip() == "Thanks for signing up."
    assert events(page, "signup success")[0]["email"] == email
    assert events(page, "authenticated") == []
    found = api.get("/api/v2/users-by-email", email=email).json()
    assert [user["email"] for user in found] == [email]


def test_sign_up_with_additional_fields_stores_them_as_auth0_does(
    sdk: SdkSetup, page: Page, api: Api
) -> None:
    """Lock sends every additional field as a string: root ones at the body's top level, the
    rest in `user_metadata` (checkboxes as "true"/"false"); then it logs the new user in."""
    email = unique_email("lock-signup")
    open_lock(page, sdk, SIGN_UP_FIELDS)
    page.locator("#app .auth0-lock-tabs").get_by_text("Sign Up").click()
    page.locator("#app input[name=favourite_colour]").fill("teal")
    page.locator("#app input[name=email]").fill(email)
    page.locator("#app input[name=password]").fill(PASSWORD)
    page.locator("#app input[name=plan]").click()  # opens Lock's list of options
    page.locator("#app").get_by_text("Professional").click()
    page.locator("#app input[name=terms_read]").check()
    page.locator("#app input[name=newsletter]").uncheck()
    page.locator("#app input[name=name]").fill("Grace Hopper")
    with page.expect_request(f"{sdk.domain}/dbconnections/signup") as sent:
        page.locator("#app button.auth0-lock-submit").click()
    metadata = {
        "favourite_colour": "teal",
        "nickname_hint": "",
        "plan": "pro",
        "newsletter": "false",
        "terms_read": "true",
        "referrer": "lock-test",
    }
    body = json.loads(sent.value.post_data or "{}")
    assert body["name"] == "Grace Hopper"
    assert body["user_metadata"] == metadata

    authenticated = wait_for_event(page, "authenticated")
    assert events(page, "signup success") != []
    user = api.user(authenticated["idTokenPayload"]["sub"])
    assert user["email"] == email
    assert user["name"] == "Grace Hopper"
    assert user["user_metadata"] == metadata
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_required_text_field_blocks_sign_up_until_filled(sdk: SdkSetup, page: Page) -> None:
    """A text field without a validator is required: Lock does not post the sign-up."""
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if "/dbconnections/signup" in r.url else None)
    open_lock(page, sdk, SIGN_UP_FIELDS)
    page.locator("#app .auth0-lock-tabs").get_by_text("Sign Up").click()
    page.locator("#app input[name=email]").fill(unique_email("lock-required"))
    page.locator("#app input[name=password]").fill(PASSWORD)
    page.locator("#app button.auth0-lock-submit").click()
    invalid = page.locator("#app input[name=favourite_colour][aria-invalid=true]")
    invalid.wait_for()
    assert posted == []


def test_signing_up_an_existing_email_shows_user_exists(sdk: SdkSetup, page: Page) -> None:
    open_lock(page, sdk)
    with page.expect_response(f"{sdk.domain}/dbconnections/signup") as answered:
        sign_up(page, sdk.email)
    assert answered.value.status == 400
    assert answered.value.json()["code"] == "user_exists"
    assert global_error(page) == "The user already exists."
    assert events(page, "signup error") != []
    assert events(page, "authenticated") == []


def test_a_password_the_flexible_policy_refuses_shows_too_weak(
    sdk: SdkSetup, page: Page, api: Api
) -> None:
    """Under the flexible policy Lock knows only the minimum length: the server refuses the
    rest, and Lock reads its `PasswordStrengthError` as "Password is too weak."."""
    connection = new_connection(
        api,
        sdk.client_id,
        password_options={"complexity": {"min_length": 8, "character_types": ["number"]}},
    )
    open_lock(page, sdk, connection=connection["name"])
    with page.expect_response(f"{sdk.domain}/dbconnections/signup") as answered:
        sign_up(page, unique_email("lock-weak"), "no digits at all")
    assert answered.value.status == 400
    assert answered.value.json()["name"] == "PasswordStrengthError"
    assert global_error(page) == "Password is too weak."


def test_a_connection_requiring_a_username_signs_up_and_logs_in_by_username(
    sdk: SdkSetup, page: Page, api: Api
) -> None:
    connection = new_connection(api, sdk.client_id, requires_username=True)
    username = f"lock{uuid.uuid4().hex[:8]}"
    email = unique_email("lock-username")
    open_lock(page, sdk, connection=connection["name"])
    with page.expect_request(f"{sdk.domain}/dbconnections/signup") as sent:
        sign_up(page, email, username=username)
    assert json.loads(sent.value.post_data or "{}")["username"] == username
    signed_up = wait_for_event(page, "authenticated")
    assert signed_up["idTokenPayload"]["email"] == email

    other = page.context.new_page()
    other.goto(sdk.app.page_url("lock"))
    open_lock(other, sdk, connection=connection["name"])
    with other.expect_request(f"{sdk.domain}/co/authenticate") as sent:
        other.locator("#app input[name=username]").fill(username)
        other.locator("#app input[name=password]").fill(PASSWORD)
        other.locator("#app button.auth0-lock-submit").click()
    assert json.loads(sent.value.post_data or "{}")["username"] == username
    logged_in = wait_for_event(other, "authenticated")
    assert logged_in["idTokenPayload"]["sub"] == signed_up["idTokenPayload"]["sub"]
    user = api.user(logged_in["idTokenPayload"]["sub"])
    assert user["username"] == username


REDIRECT = """{ auth: { redirect: true, redirectUrl: location.origin + location.pathname,
                        responseType: 'token id_token' } }"""


def log_in_by_redirect(page: Page, sdk: SdkSetup, client_id: str, *, same_site: bool) -> Any:
    """Lock posts the credentials to /co/authenticate and sends the browser to
    /authorize?login_ticket=...; back on the page, a new Lock parses the hash. The value of its
    `authenticated` event."""
    open_lock(page, sdk, REDIRECT, client_id=client_id, same_site=same_site)
    with (
        page.expect_request(lambda r: "login_ticket=" in r.url) as ticketed,
        page.expect_response(f"{sdk.domain}/co/authenticate") as authenticated,
    ):
        fill_login(page, sdk.email)
    assert authenticated.value.status == 200
    assert ticketed.value.url.startswith(f"{sdk.domain}/authorize?")
    page.wait_for_url(f"{sdk.app.page_url('lock', same_site=same_site)}#*")
    open_lock(page, sdk, REDIRECT, client_id=client_id, same_site=same_site)
    return wait_for_event(page, "authenticated")


def get_user_info(page: Page, access_token: str) -> Any:
    return page.evaluate(
        """(token) => new Promise((resolve) => window.lock.getUserInfo(
             token, (error, profile) => resolve(error ? { error } : profile)))""",
        access_token,
    )


def test_login_in_redirect_mode_then_get_user_info(sdk: SdkSetup, page: Page) -> None:
    """An application beside selfauth on one site: the browser keeps selfauth's cookie from
    /co/authenticate. The access token reads the profile from /userinfo over CORS."""
    result = log_in_by_redirect(page, sdk, sdk.client_id, same_site=True)
    assert result["idTokenPayload"]["iss"] == f"{sdk.domain}/"
    assert result["idTokenPayload"]["aud"] == sdk.client_id
    profile = get_user_info(page, result["accessToken"])
    assert profile["email"] == sdk.email
    assert profile["sub"] == result["idTokenPayload"]["sub"]
    assert page.errors == []  # type: ignore[attr-defined]


def test_login_in_redirect_mode_across_sites_where_third_party_cookies_are_allowed(
    sdk: SdkSetup, allowing_third_party_cookies: BrowserContext
) -> None:
    """From another site, a browser that allows third-party cookies keeps selfauth's cookie
    from /co/authenticate, which binds the ticket to it."""
    page = watched(allowing_third_party_cookies.new_page())
    result = log_in_by_redirect(page, sdk, sdk.client_id, same_site=False)
    assert result["idTokenPayload"]["aud"] == sdk.client_id
    assert get_user_info(page, result["accessToken"])["email"] == sdk.email
    assert page.errors == []  # type: ignore[attr-defined]


def test_login_in_redirect_mode_across_sites_with_third_party_cookies_blocked_is_refused(
    sdk: SdkSetup, page: Page
) -> None:
    """Chromium's default keeps no cookie from the cross-site /co/authenticate, and Lock keeps
    its verifier where a `cross_origin_loc` page under selfauth's site cannot read it (a
    first-party cookie, `SameSite=Lax` over http): nothing shows the ticket is this browser's.
    Lock reports the refusal (`authorization_error`) and shows its form again; use popup mode
    (below) or a custom domain on the application's site."""
    open_lock(page, sdk, REDIRECT)
    fill_login(page, sdk.email)
    page.wait_for_url(f"{sdk.app.page_url('lock')}#*")
    open_lock(page, sdk, REDIRECT)
    refused = wait_for_event(page, "authorization_error")
    assert refused["error"] == "access_denied"
    page.locator("#app input[name=email]").wait_for()
    assert events(page, "authenticated") == []


def test_login_in_redirect_mode_with_the_code_flow_for_a_backend(
    sdk: SdkSetup, page: Page, api: Api
) -> None:
    """`responseType: "code"` (a regular web application): the browser comes back with
    `?code=...&state=...`, which the application's backend exchanges with its secret."""
    client_id = register_spa(
        api, sdk.app, app_type="regular_web", token_endpoint_auth_method="client_secret_post"
    )
    # A secret is shown once; rotating shows a new one.
    secret = api.post(f"/api/v2/clients/{client_id}/rotate-secret").json()["client_secret"]
    lock_page = sdk.app.page_url("lock", same_site=True)
    code_flow = """{ auth: { redirect: true, redirectUrl: location.origin + location.pathname,
                             responseType: 'code' } }"""
    open_lock(page, sdk, code_flow, client_id=client_id, same_site=True)
    with page.expect_request(lambda r: "login_ticket=" in r.url) as ticketed:
        fill_login(page, sdk.email)
    sent_state = parse_qs(urlsplit(ticketed.value.url).query)["state"][0]
    page.wait_for_url(f"{lock_page}?*")
    back = parse_qs(urlsplit(page.url).query)
    assert back["state"] == [sent_state]
    token = httpx.post(
        f"{sdk.domain}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "client_secret": secret,
            "code": back["code"][0],
            "redirect_uri": lock_page,
        },
    )
    assert token.status_code == 200, token.text
    id_token = token.json()["id_token"]
    payload = json.loads(base64.urlsafe_b64decode(id_token.split(".")[1] + "=="))
    assert payload["email"] == sdk.email
    assert payload["aud"] == client_id
    assert page.errors == []  # type: ignore[attr-defined]


def test_login_in_popup_mode(sdk: SdkSetup, page: Page) -> None:
    """`redirect: false`: /co/authenticate, then /authorize with the ticket in a hidden iframe
    answering by `web_message`; the page never leaves."""
    open_lock(page, sdk)
    page.locator("#app input[name=email]").wait_for()
    with page.expect_request(
        lambda r: "login_ticket=" in r.url and "response_mode=web_message" in r.url
    ) as ticketed:
        fill_login(page, sdk.email)
    assert "prompt=none" in ticketed.value.url
    result = wait_for_event(page, "authenticated")
    assert result["idTokenPayload"]["email"] == sdk.email
    assert result["accessToken"]
    assert page.url == sdk.app.page_url("lock")
    assert page.errors == []  # type: ignore[attr-defined]


CHECK_SESSION = """() => new Promise((resolve) => window.lock.checkSession(
  {}, (error, result) => resolve(error ? { error: error.error } : result)))"""


def log_in_by_popup(page: Page, sdk: SdkSetup, *, same_site: bool) -> Any:
    open_lock(page, sdk, same_site=same_site)
    page.locator("#app input[name=email]").wait_for()
    fill_login(page, sdk.email)
    return wait_for_event(page, "authenticated")


def test_on_the_same_site_lock_offers_the_last_login_until_logout(
    sdk: SdkSetup, page: Page
) -> None:
    """Beside selfauth on one site the session cookie reaches Lock's hidden iframe
    (`checkSession`, `prompt=none`): reopened, Lock shows "Last time you logged in with" and
    signs in with one click; after `lock.logout` it shows the form again."""
    first = log_in_by_popup(page, sdk, same_site=True)
    page.reload()
    open_lock(page, sdk, same_site=True)
    last_login = page.locator("#app .auth0-lock-last-login-pane a.auth0-lock-social-button")
    last_login.wait_for()
    assert last_login.inner_text().strip() == sdk.email
    last_login.click()
    again = wait_for_event(page, "authenticated")
    assert again["idTokenPayload"]["sub"] == first["idTokenPayload"]["sub"]
    assert page.evaluate(CHECK_SESSION)["idTokenPayload"]["sub"] == first["idTokenPayload"]["sub"]

    with (
        page.expect_request(lambda r: r.url.startswith(f"{sdk.domain}/v2/logout?")),
        page.expect_navigation(url=sdk.app.page_url("lock", same_site=True)),
    ):
        page.evaluate("() => window.lock.logout({ returnTo: location.origin + location.pathname })")
    open_lock(page, sdk, same_site=True)
    page.locator("#app input[name=email]").wait_for()
    assert page.locator("#app .auth0-lock-last-login-pane").count() == 0
    assert page.evaluate(CHECK_SESSION) == {"error": "login_required"}
    assert page.errors == []  # type: ignore[attr-defined]


def test_across_sites_with_third_party_cookies_blocked_lock_asks_again(
    sdk: SdkSetup, page: Page
) -> None:
    """From another site Chromium keeps selfauth's cookie from Lock's iframe: Lock finds no
    session (`login_required` at once, not a timeout) and shows the form."""
    log_in_by_popup(page, sdk, same_site=False)
    page.reload()
    open_lock(page, sdk)
    page.locator("#app input[name=email]").wait_for()
    assert page.locator("#app .auth0-lock-last-login-pane").count() == 0
    assert page.evaluate(CHECK_SESSION) == {"error": "login_required"}
    assert page.errors == []  # type: ignore[attr-defined]


def test_popup_login_for_an_api_then_get_user_info(sdk: SdkSetup, page: Page, api: Api) -> None:
    """`auth.audience`: the access token is for the API and for /userinfo (scope openid), so
    `getUserInfo` reads the profile with it."""
    identifier = f"https://lock-api-{uuid.uuid4().hex[:8]}.example.com/"
    created = api.post("/api/v2/resource-servers", {"name": "Lock API", "identifier": identifier})
    assert created.status_code == 201, created.text
    audience = json.dumps(identifier)
    for_api = f"{{ auth: {{ redirect: false, responseType: 'token', audience: {audience} }} }}"
    open_lock(page, sdk, for_api)
    page.locator("#app input[name=email]").wait_for()
    fill_login(page, sdk.email)
    result = wait_for_event(page, "authenticated")
    payload = json.loads(base64.urlsafe_b64decode(result["accessToken"].split(".")[1] + "=="))
    assert payload["aud"] == [identifier, f"{sdk.domain}/userinfo"]
    assert get_user_info(page, result["accessToken"])["email"] == sdk.email
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_connection_closed_to_sign_up_shows_no_sign_up_tab(
    sdk: SdkSetup, page: Page, api: Api
) -> None:
    closed = new_connection(api, sdk.client_id, disable_signup=True)
    open_lock(page, sdk, connection=closed["name"])
    page.locator("#app input[name=email]").wait_for()
    assert events(page, "signin ready") == [None]
    assert page.locator("#app .auth0-lock-tabs").count() == 0
    assert page.get_by_text("Sign Up").count() == 0


def test_a_wrong_password_shows_lock_s_message(sdk: SdkSetup, page: Page) -> None:
    open_lock(page, sdk)
    with page.expect_response(f"{sdk.domain}/co/authenticate") as answered:
        fill_login(page, sdk.email, "not the password")
    assert answered.value.status == 403
    assert global_error(page) == "Wrong email or password."
    assert events(page, "authenticated") == []


def test_a_blocked_user_is_told_so(sdk: SdkSetup, page: Page, api: Api) -> None:
    """/co/authenticate answers 403 `blocked_user`; Lock shows its message for it."""
    blocked = api.create_user(email=unique_email("lock-blocked"))
    assert api.patch(user_path(blocked["user_id"]), {"blocked": True}).status_code == 200
    open_lock(page, sdk)
    with page.expect_response(f"{sdk.domain}/co/authenticate") as answered:
        fill_login(page, blocked["email"])
    assert answered.value.status == 403
    assert answered.value.json()["error"] == "blocked_user"
    assert global_error(page) == "The user is blocked."
    assert wait_for_event(page, "authorization_error")["error"] == "blocked_user"


def test_a_rule_s_refusal_shows_its_message(sdk: SdkSetup, page: Page, hooks: Hooks) -> None:
    """A Rule's `UnauthorizedError` reaches the hidden iframe as `error=unauthorized`; Lock
    shows its message (its `rule_error`) and emits `authorization_error`."""
    client_id = register_spa(hooks.api, sdk.app)
    hooks.rule(
        guarded_rule(
            client_id, "  return callback(new UnauthorizedError('Your subscription has ended.'));"
        )
    )
    open_lock(page, sdk, client_id=client_id)
    page.locator("#app input[name=email]").wait_for()
    fill_login(page, sdk.email)
    assert global_error(page) == "Your subscription has ended."
    refused = wait_for_event(page, "authorization_error")
    assert refused["code"] == "rule_error"
    assert events(page, "authenticated") == []


def test_login_from_an_origin_the_client_did_not_register_shows_an_error(
    sdk: SdkSetup, page: Page, api: Api
) -> None:
    """An application that registered only `app.origin` (localhost) is loaded from
    127.0.0.1: selfauth refuses /co/authenticate, and Lock shows an error rather than hang."""
    only_localhost = [f"{sdk.app.origin}/pages/lock.html"]
    client_id = register_spa(
        api,
        sdk.app,
        callbacks=only_localhost,
        allowed_logout_urls=only_localhost,
        web_origins=[sdk.app.origin],
        allowed_origins=[sdk.app.origin],
    )
    open_lock(page, sdk, client_id=client_id, same_site=True)
    page.locator("#app input[name=email]").wait_for()
    with page.expect_event(
        "requestfailed", lambda r: r.url == f"{sdk.domain}/co/authenticate"
    ) as refused:
        fill_login(page, sdk.email)
    assert refused.value.method == "POST"
    assert global_error(page) == "We're sorry, something went wrong when attempting to log in."
    assert events(page, "authenticated") == []
