"""What the browser refuses an origin the application did not register, with auth0.js 10 (the
real npm package) in Chromium: CORS calls (sign-up, the token endpoint) fail in the page,
`checkSession` ends in auth0.js's timeout while selfauth posts nothing to that origin, and
cross-origin authentication (`/co/authenticate`) is refused before any ticket. Three ways of
not being registered: an origin the application does not list at all, an origin that is only
among its callbacks while its Allowed Origins and Allowed Web Origins list others, and an
origin another application registered (the browser's preflight then passes).
SQLite server only."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Response

from tests.browser.auth0js_page import (
    LOGIN,
    authorize_and_parse,
    check_session,
    open_app,
)
from tests.browser.sdk_app import AppOrigin, SdkSetup, register_spa, watched
from tests.support.api import PASSWORD, Api, unique_email

pytestmark = pytest.mark.sqlite_only

QUICK_TIMEOUT_MS = 3000


@dataclasses.dataclass(frozen=True)
class Refused:
    kind: str
    setup: SdkSetup  # auth0.js on another origin's pages, for an application that refuses it


@pytest.fixture(
    scope="module",
    params=["unlisted-origin", "origin-only-in-callbacks", "origin-of-another-application"],
)
def refused(request: pytest.FixtureRequest, sdk: SdkSetup, api: Api) -> Iterator[Refused]:
    """A second application origin (its own port, one per kind, so that no kind registers
    another's) and the `sdk` application, or one like it, that does not allow it."""
    kind: str = request.param
    elsewhere = AppOrigin()
    client_id = sdk.client_id
    if kind == "origin-only-in-callbacks":
        # Callbacks on both origins, but Allowed Origins and Allowed Web Origins only of the
        # first: once Allowed Origins is set, the callbacks' origins no longer count for CORS.
        client_id = register_spa(
            api, sdk.app, callbacks=sdk.app.page_urls() + elsewhere.page_urls()
        )
    elif kind == "origin-of-another-application":
        # Another application registered the origin: the browser's preflight passes, but each
        # answer is for the application the request names, and `sdk`'s did not register it.
        register_spa(api, elsewhere)
    yield Refused(kind, dataclasses.replace(sdk, app=elsewhere, client_id=client_id))
    elsewhere.close()


def assert_blocked_by_cors(answered: dict[str, Any]) -> None:
    """auth0.js's error for a request the browser did not let the page read: no status, no
    error code from the server (a readable refusal would carry both)."""
    error = answered["error"]
    assert "statusCode" not in error, error
    assert error["code"] in (None, "request_error"), error


def test_sign_up_from_a_refused_origin_fails_in_the_browser(
    refused: Refused, page: Page, api: Api
) -> None:
    """Where the preflight fails, the browser never sends the sign-up. Where it passes (the
    origin is another application's), selfauth runs it as it would for a caller without a
    browser, and the page only loses the answer."""
    open_app(page, refused.setup, "token id_token")
    email = unique_email("refused-signup")
    answered = page.evaluate(
        """([connection, email, password]) => window.settle((done) =>
          window.webAuth.signup({ connection, email, password }, done))""",
        [refused.setup.connection, email, PASSWORD],
    )
    assert_blocked_by_cors(answered)
    found = api.get("/api/v2/users-by-email", email=email)
    assert found.status_code == 200, found.text
    preflight_passed = refused.kind == "origin-of-another-application"
    assert len(found.json()) == (1 if preflight_passed else 0)


TOKEN_WITH_A_BAD_CODE = """() => window.settle((done) => window.webAuth.client.oauthToken({
  grantType: 'authorization_code', code: 'not-a-code', codeVerifier: 'v'.repeat(43),
  redirectUri: location.origin + location.pathname,
}, done))"""


def test_the_token_endpoint_answers_a_refused_origin_nothing_it_can_read(
    refused: Refused, sdk: SdkSetup, page: Page
) -> None:
    open_app(page, sdk, "token id_token")
    registered = page.evaluate(TOKEN_WITH_A_BAD_CODE)
    assert registered["error"]["code"] == "invalid_grant", registered  # readable from here

    open_app(page, refused.setup, "token id_token")
    assert_blocked_by_cors(page.evaluate(TOKEN_WITH_A_BAD_CODE))


def test_check_session_from_a_refused_origin_gets_no_message(
    refused: Refused, sdk: SdkSetup, allowing_third_party_cookies: BrowserContext
) -> None:
    """The browser holds a selfauth session that the iframe could use (third-party cookies
    allowed), yet selfauth answers the refused origin's iframe with its error page, not the
    web_message page: nothing is posted, and auth0.js ends with its timeout."""
    page = watched(allowing_third_party_cookies.new_page())
    signed_in = authorize_and_parse(page, sdk, "token id_token")
    assert "error" not in signed_in, signed_in

    open_app(page, refused.setup, "token id_token")
    with page.expect_response(lambda r: "response_mode=web_message" in r.url) as framed:
        answered = check_session(page, QUICK_TIMEOUT_MS)
    assert answered["error"]["error"] == "timeout", answered
    assert page.evaluate("() => window.messages") == []
    answer: Response = framed.value
    assert answer.status == 400
    assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    # Chromium keeps no body of a frame it blocked: the same request again, with the
    # browser's cookies, shows what selfauth answered.
    again = allowing_third_party_cookies.request.get(answer.url, max_redirects=0)
    assert again.status == 400
    assert "postMessage" not in again.text()
    in_callbacks = refused.kind == "origin-only-in-callbacks"
    refusal = "Allowed Web Origins" if in_callbacks else "Allowed Callback URLs"
    assert f"not one of the application&#39;s {refusal}" in again.text()

    # The session was there all along: the registered origin's iframe gets tokens from it.
    open_app(page, sdk, "token id_token")
    renewed = check_session(page, QUICK_TIMEOUT_MS)
    assert "error" not in renewed, renewed


def test_cross_origin_authentication_from_a_refused_origin_is_refused(
    refused: Refused, page: Page
) -> None:
    """No ticket, so no redirect to /authorize: auth0.js calls back with `request_error`."""
    tickets: list[str] = []
    page.on("request", lambda r: tickets.append(r.url) if "login_ticket=" in r.url else None)
    app_page = open_app(page, refused.setup, "token id_token")
    answered = page.evaluate(LOGIN, [refused.setup.connection, refused.setup.email, PASSWORD])
    assert answered["error"]["code"] == "request_error", answered
    assert "statusCode" not in answered["error"]
    assert page.url == app_page
    assert tickets == []
