"""auth0.js 10 (the real npm package, bundled by the tests) in Chromium, on an application
origin other than selfauth's, configured as docs/browser-sdks.md says (`domain` a full URL,
`overrides` for the tenant, the issuer and the JWKS): sign-up, `authorize` + `parseHash` for
every implicit and hybrid response type, `checkSession` (the hidden `web_message` iframe) on
the same site and across sites, for an API and with `maxAge`, the older `renewAuth`,
`client.userInfo`, the embedded login (`/co/authenticate`, by redirect and by
`popup.loginWithCredentials`), `popup.authorize`, `prompt=none` errors, and logout.
SQLite server only."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.browser.auth0js_page import (
    LOGIN,
    authorize_and_parse,
    check_session,
    create_web_auth,
    fragment,
    open_app,
    parse_hash,
)
from tests.browser.sdk_app import SdkSetup, sign_in_on_selfauth, watched
from tests.support.api import DB, PASSWORD, Api, unique, unique_email
from tests.support.polling import wait_until

pytestmark = pytest.mark.sqlite_only


def test_signup_creates_the_user_with_its_user_metadata(
    sdk: SdkSetup, page: Page, api: Api
) -> None:
    open_app(page, sdk, "token id_token")
    email = unique_email("auth0js-signup")
    answered = page.evaluate(
        """([connection, email, password]) => window.settle((done) => window.webAuth.signup({
          connection, email, password, user_metadata: { plan: 'gold', city: 'Paris' },
        }, done))""",
        [sdk.connection, email, PASSWORD],
    )
    assert "error" not in answered, answered
    assert answered["result"]["email"] == email

    found = api.get("/api/v2/users-by-email", email=email)
    assert found.status_code == 200, found.text
    [user] = found.json()
    assert user["user_metadata"] == {"plan": "gold", "city": "Paris"}
    assert user["identities"][0]["connection"] == DB
    assert page.errors == []  # type: ignore[attr-defined]


SIGN_UP = """([connection, email, password]) => window.settle((done) =>
  window.webAuth.signup({ connection, email, password }, done))"""


def test_sign_up_errors_reach_the_page_with_their_codes(sdk: SdkSetup, page: Page) -> None:
    """The error answers carry CORS headers too, so auth0.js reads Auth0's codes."""
    open_app(page, sdk, "token id_token")
    taken = page.evaluate(SIGN_UP, [sdk.connection, sdk.email, PASSWORD])["error"]
    assert (taken["statusCode"], taken["code"]) == (400, "user_exists"), taken
    assert taken["description"] == "The user already exists."
    weak = page.evaluate(SIGN_UP, [sdk.connection, unique_email("weak"), "a"])["error"]
    assert (weak["statusCode"], weak["code"]) == (400, "invalid_password"), weak
    assert weak["name"] == "PasswordStrengthError"
    assert weak["policy"].startswith("at least 8 characters")


# What parseHash gives for each response type: which of the tokens, and which hash claims the
# ID token must carry (at_hash binds the access token, c_hash the code).
RESPONSE_TYPES = {
    "token": ({"accessToken"}, set()),
    "id_token": ({"idToken"}, set()),
    "id_token token": ({"accessToken", "idToken"}, {"at_hash"}),
    "code id_token": ({"idToken"}, {"c_hash"}),
    "code token": ({"accessToken"}, set()),
    "code id_token token": ({"accessToken", "idToken"}, {"at_hash", "c_hash"}),
}


@pytest.mark.parametrize("response_type", list(RESPONSE_TYPES))
def test_authorize_then_parse_hash(sdk: SdkSetup, page: Page, response_type: str) -> None:
    """auth0.js checks the ID token in the page (signature through the JWKS, issuer, audience,
    nonce, at_hash). A code in the answer is for a public client, so it comes with PKCE: the
    application passes `code_challenge` to `authorize` and redeems the code with the verifier
    (auth0.js `client.oauthToken`, over CORS)."""
    tokens, hash_claims = RESPONSE_TYPES[response_type]
    with_code = "code" in response_type.split()
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    pkce = {"code_challenge": challenge.decode().rstrip("="), "code_challenge_method": "S256"}
    parsed = authorize_and_parse(page, sdk, response_type, extra=pkce if with_code else None)
    assert "error" not in parsed, parsed
    result = parsed["result"]
    answered = fragment(page)
    assert ("code" in answered) == with_code, answered
    for key in ("accessToken", "idToken"):
        assert bool(result[key]) == (key in tokens), (key, result)
    if "accessToken" in tokens:
        assert result["tokenType"] == "Bearer"
        assert isinstance(result["expiresIn"], int)
        assert result["expiresIn"] > 0
    if "idToken" in tokens:
        claims = result["idTokenPayload"]
        assert claims["email"] == sdk.email
        assert claims["iss"] == f"{sdk.server.base_url}/"
        assert claims["aud"] == sdk.client_id
        assert claims["nonce"]
        assert hash_claims <= set(claims), claims
    else:
        assert result["idTokenPayload"] is None
    if with_code:
        exchanged = page.evaluate(
            """([code, codeVerifier, redirectUri]) => window.settle((done) =>
              window.webAuth.client.oauthToken(
                { grantType: 'authorization_code', code, codeVerifier, redirectUri }, done))""",
            [answered["code"], verifier, sdk.app.page_url("auth0js")],
        )
        assert "error" not in exchanged, exchanged
        assert exchanged["result"]["accessToken"]
        assert exchanged["result"]["idToken"]
    assert page.errors == []  # type: ignore[attr-defined]


def test_check_session_on_the_same_site_returns_tokens(sdk: SdkSetup, page: Page) -> None:
    parsed = authorize_and_parse(page, sdk, "token id_token", same_site=True)
    assert "error" not in parsed, parsed
    with page.expect_request(lambda r: "prompt=none" in r.url and "web_message" in r.url):
        renewed = check_session(page)
    assert "error" not in renewed, renewed
    assert renewed["result"]["accessToken"]
    claims = renewed["result"]["idTokenPayload"]
    assert claims["email"] == sdk.email
    # A new answer for the iframe's own request (auth0.js checked it against its new nonce).
    assert claims["nonce"] != parsed["result"]["idTokenPayload"]["nonce"]
    assert page.errors == []  # type: ignore[attr-defined]


def test_check_session_for_an_api_gives_its_access_token(
    sdk: SdkSetup, page: Page, api: Api
) -> None:
    """The usual reason to call checkSession: a token for the application's API (`audience`)
    with the API's scopes."""
    identifier = f"https://{unique('auth0js-api')}.example.com"
    created = api.post(
        "/api/v2/resource-servers",
        {"identifier": identifier, "name": identifier[8:], "scopes": [{"value": "read:things"}]},
    )
    assert created.status_code == 201, created.text
    parsed = authorize_and_parse(page, sdk, "token id_token", same_site=True)
    assert "error" not in parsed, parsed
    renewed = check_session(page, audience=identifier, scope="openid read:things")
    assert "error" not in renewed, renewed
    assert renewed["result"]["scope"] == "openid read:things"
    claims = jwt_claims(renewed["result"]["accessToken"])
    assert claims["aud"][0] == identifier
    assert claims["azp"] == sdk.client_id
    assert claims["sub"] == parsed["result"]["idTokenPayload"]["sub"]


def test_renew_auth_through_a_fragment_in_the_iframe(sdk: SdkSetup, page: Page) -> None:
    """auth0.js's older silent authentication: the iframe follows the fragment redirect to
    the application's own page, and auth0.js reads the iframe's URL."""
    parsed = authorize_and_parse(page, sdk, "token id_token", same_site=True)
    assert "error" not in parsed, parsed
    renewed = page.evaluate(
        """() => window.settle((done) =>
          window.webAuth.renewAuth({ usePostMessage: false, timeout: 5000 }, done))"""
    )
    assert "error" not in renewed, renewed
    assert renewed["result"]["idTokenPayload"]["email"] == sdk.email
    assert renewed["result"]["accessToken"]


def jwt_claims(token: str) -> dict[str, Any]:
    """A JWT's payload, unchecked (auth0.js checked the ID token; this reads an access token)."""
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def test_check_session_with_max_age_needs_a_sign_in_that_recent(sdk: SdkSetup, page: Page) -> None:
    """`maxAge` becomes `max_age`: an older sign-in does not count, and the iframe answers
    `login_required` (auth0.js itself would accept the old `auth_time` within its 60 s leeway)."""
    parsed = authorize_and_parse(page, sdk, "token id_token", same_site=True)
    assert "error" not in parsed, parsed
    wait_until(parsed["result"]["idTokenPayload"]["auth_time"] + 2)
    assert "error" not in check_session(page, maxAge=3600)
    assert check_session(page, maxAge=1)["error"]["error"] == "login_required"


def test_check_session_across_sites_with_third_party_cookies_blocked_is_login_required(
    sdk: SdkSetup, page: Page
) -> None:
    """Chromium's default: the session cookie is not sent to selfauth's iframe on another
    site, and the iframe answers `login_required` at once (no wait for the 60 s timeout)."""
    parsed = authorize_and_parse(page, sdk, "token id_token")
    assert "error" not in parsed, parsed
    started = time.monotonic()
    answered = check_session(page)
    assert answered["error"]["error"] == "login_required", answered
    assert time.monotonic() - started < 5


def test_check_session_across_sites_with_third_party_cookies_allowed_returns_tokens(
    sdk: SdkSetup, allowing_third_party_cookies: BrowserContext
) -> None:
    page = watched(allowing_third_party_cookies.new_page())
    parsed = authorize_and_parse(page, sdk, "token id_token")
    assert "error" not in parsed, parsed
    renewed = check_session(page)
    assert "error" not in renewed, renewed
    assert renewed["result"]["idTokenPayload"]["email"] == sdk.email
    assert renewed["result"]["accessToken"]
    assert page.errors == []  # type: ignore[attr-defined]


def test_user_info_returns_the_profile(sdk: SdkSetup, page: Page) -> None:
    parsed = authorize_and_parse(page, sdk, "token id_token")
    assert "error" not in parsed, parsed
    profile = page.evaluate(
        """(token) => window.settle((done) => window.webAuth.client.userInfo(token, done))""",
        parsed["result"]["accessToken"],
    )
    assert "error" not in profile, profile
    assert profile["result"]["email"] == sdk.email
    assert profile["result"]["sub"] == parsed["result"]["idTokenPayload"]["sub"]
    assert page.errors == []  # type: ignore[attr-defined]


def embedded_login(page: Page, sdk: SdkSetup, *, same_site: bool) -> dict[str, Any]:
    """`login({realm, username, password})`: POST /co/authenticate over CORS, then a redirect
    to /authorize with the login ticket and back to the page, where `parseHash` reads the
    answer. The statuses of /co/authenticate's answers are in `page.co_statuses`."""
    statuses: list[int] = []
    page.on(
        "response",
        lambda r: statuses.append(r.status) if r.url.endswith("/co/authenticate") else None,
    )
    page.co_statuses = statuses  # type: ignore[attr-defined]
    app_page = open_app(page, sdk, "token id_token", same_site=same_site)
    page.evaluate(
        """([realm, username, password]) => { window.webAuth.login(
          { realm, username, password }, (e) => { window.loginError = e; }); }""",
        [sdk.connection, sdk.email, PASSWORD],
    )
    page.wait_for_url(f"{app_page}#**")
    create_web_auth(page, sdk, "token id_token")
    return parse_hash(page)


def test_embedded_login_on_the_same_site_signs_in_and_starts_the_session(
    sdk: SdkSetup, page: Page
) -> None:
    parsed = embedded_login(page, sdk, same_site=True)
    assert page.co_statuses == [200]  # type: ignore[attr-defined]
    assert "error" not in parsed, parsed
    assert parsed["result"]["idTokenPayload"]["email"] == sdk.email
    assert parsed["result"]["accessToken"]
    # The ticket's redemption started selfauth's session: the silent check finds it.
    renewed = check_session(page)
    assert "error" not in renewed, renewed
    assert renewed["result"]["idTokenPayload"]["email"] == sdk.email
    assert page.errors == []  # type: ignore[attr-defined]


def test_embedded_login_across_sites_with_third_party_cookies_allowed(
    sdk: SdkSetup, allowing_third_party_cookies: BrowserContext
) -> None:
    page = watched(allowing_third_party_cookies.new_page())
    parsed = embedded_login(page, sdk, same_site=False)
    assert page.co_statuses == [200]  # type: ignore[attr-defined]
    assert "error" not in parsed, parsed
    assert parsed["result"]["idTokenPayload"]["email"] == sdk.email
    assert parsed["result"]["accessToken"]
    assert page.errors == []  # type: ignore[attr-defined]


def test_embedded_login_with_a_wrong_password_calls_back_with_access_denied(
    sdk: SdkSetup, page: Page
) -> None:
    open_app(page, sdk, "token id_token")
    answered = page.evaluate(LOGIN, [sdk.connection, sdk.email, "not the password"])
    assert answered["error"]["code"] == "access_denied", answered
    assert answered["error"]["description"] == "Wrong email or password."


def test_popup_login_with_credentials_on_the_same_site(sdk: SdkSetup, page: Page) -> None:
    """`popup.loginWithCredentials`: /co/authenticate, then the ticket redeemed in a hidden
    iframe (`response_mode=web_message`, `prompt=none`) whose page posts the tokens back."""
    open_app(page, sdk, "token id_token", same_site=True)
    with page.expect_request(lambda r: "login_ticket=" in r.url) as redeemed:
        answered = page.evaluate(
            """([realm, username, password]) => window.settle((done) =>
              window.webAuth.popup.loginWithCredentials({ realm, username, password }, done))""",
            [sdk.connection, sdk.email, PASSWORD],
        )
    assert "response_mode=web_message" in redeemed.value.url
    assert "error" not in answered, answered
    assert answered["result"]["idTokenPayload"]["email"] == sdk.email
    assert answered["result"]["accessToken"]
    assert page.errors == []  # type: ignore[attr-defined]


def test_authorize_with_prompt_none_and_no_session_parses_to_login_required(
    sdk: SdkSetup, page: Page
) -> None:
    app_page = open_app(page, sdk, "token id_token")
    with page.expect_request(f"{sdk.server.base_url}/authorize?**") as asked:
        page.evaluate("() => { window.webAuth.authorize({ prompt: 'none' }); }")
    page.wait_for_url(f"{app_page}#**")
    [sent_state] = parse_qs(urlsplit(asked.value.url).query)["state"]
    create_web_auth(page, sdk, "token id_token")
    parsed = parse_hash(page)
    assert parsed["error"] == {
        "error": "login_required",
        "errorDescription": "Login required",
        "state": sent_state,
    }


def test_logout_ends_the_session(sdk: SdkSetup, page: Page) -> None:
    parsed = authorize_and_parse(page, sdk, "token id_token", same_site=True)
    assert "error" not in parsed, parsed
    app_page = sdk.app.page_url("auth0js", same_site=True)
    assert "error" not in check_session(page)
    page.evaluate("(returnTo) => { window.webAuth.logout({ returnTo }); }", app_page)
    page.wait_for_url(app_page)
    create_web_auth(page, sdk, "token id_token")
    assert check_session(page)["error"]["error"] == "login_required"


def test_popup_authorize_signs_in_on_selfauth_in_the_popup(sdk: SdkSetup, page: Page) -> None:
    """`popup.authorize` without `owp`: selfauth's login page in the popup, then the usual
    fragment redirect to the application's page there, whose `popup.callback()` hands the
    answer to the opener."""
    app_page = open_app(page, sdk, "token id_token")
    with page.expect_popup() as popped:
        page.evaluate(
            """() => { window.popupResult = window.settle(
              (done) => window.webAuth.popup.authorize({}, done)); }"""
        )
    popup = watched(popped.value)
    popup.wait_for_url(f"{sdk.server.base_url}/authorize?**")
    sign_in_on_selfauth(popup, sdk.email)
    popup.wait_for_url(f"{app_page}#**")
    create_web_auth(popup, sdk, "token id_token")
    popup.evaluate("() => { window.webAuth.popup.callback(); }")
    answered = page.evaluate("() => window.popupResult")
    assert "error" not in answered, answered
    assert answered["result"]["idTokenPayload"]["email"] == sdk.email
    assert answered["result"]["accessToken"]
    assert page.errors == []  # type: ignore[attr-defined]
