"""@auth0/auth0-spa-js 2 (the real npm package, bundled by the tests) in Chromium, on an
application origin other than selfauth's: redirect login, the user, silent tokens through the
hidden iframe (`response_mode=web_message`) and through refresh tokens, and logout.
SQLite server only."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.browser.sdk_app import SdkSetup, sign_in_on_selfauth, watched

pytestmark = pytest.mark.sqlite_only

CREATE = """async ([domain, clientId, refresh]) => {
  window.client = await auth0spa.createAuth0Client({
    domain,
    clientId,
    useRefreshTokens: refresh,
    authorizationParams: { redirect_uri: location.origin + location.pathname },
  });
  return true;
}"""


def create_client(page: Page, sdk: SdkSetup, *, refresh: bool = False) -> None:
    page.evaluate(CREATE, [sdk.domain, sdk.client_id, refresh])


def log_in(page: Page, sdk: SdkSetup, *, refresh: bool = False, same_site: bool = False) -> None:
    """`loginWithRedirect`, selfauth's login page, and `handleRedirectCallback` on return."""
    app_page = sdk.app.page_url("spa", same_site=same_site)
    page.goto(app_page)
    create_client(page, sdk, refresh=refresh)
    page.evaluate("() => { window.client.loginWithRedirect(); }")
    page.wait_for_url(
        lambda url: url.startswith((f"{sdk.server.base_url}/authorize", f"{app_page}?"))
    )
    if page.url.startswith(sdk.server.base_url):  # no session yet: selfauth's login page
        sign_in_on_selfauth(page, sdk.email)
    page.wait_for_url(f"{app_page}?**")
    create_client(page, sdk, refresh=refresh)
    page.evaluate("async () => { await window.client.handleRedirectCallback(); }")


SILENT = """() => window.client.getTokenSilently({ cacheMode: 'off', detailedResponse: true })
  .then((answer) => answer, (e) => ({ error: e.error }))"""


def test_login_with_redirect_then_get_user(sdk: SdkSetup, page: Page) -> None:
    log_in(page, sdk)
    user: dict[str, Any] = page.evaluate("() => window.client.getUser()")
    assert user["email"] == sdk.email
    assert page.evaluate("() => window.client.isAuthenticated()") is True
    issuer = page.evaluate("async () => (await window.client.getIdTokenClaims()).iss")
    assert issuer == f"{sdk.server.base_url}/"
    assert page.errors == []  # type: ignore[attr-defined]


def test_get_token_silently_through_the_iframe_on_the_same_site(sdk: SdkSetup, page: Page) -> None:
    """An application beside selfauth on one site (a custom domain): the hidden iframe's
    `prompt=none` + `web_message` answers from the session, with a fresh token each time."""
    log_in(page, sdk, same_site=True)
    with page.expect_request(lambda r: "prompt=none" in r.url and "web_message" in r.url):
        again = page.evaluate(SILENT)
    assert again.get("access_token"), again
    assert again["id_token"]
    assert page.errors == []  # type: ignore[attr-defined]


def test_get_token_silently_through_the_iframe_across_sites(
    sdk: SdkSetup, allowing_third_party_cookies: BrowserContext
) -> None:
    """From another site the session cookie is a third-party cookie: it is `SameSite=None;
    Secure`, so a browser that allows third-party cookies sends it to the iframe."""
    page = watched(allowing_third_party_cookies.new_page())
    log_in(page, sdk)
    again = page.evaluate(SILENT)
    assert again.get("access_token"), again
    assert page.errors == []  # type: ignore[attr-defined]


def test_with_third_party_cookies_blocked_refresh_tokens_keep_the_spa_signed_in(
    sdk: SdkSetup, page: Page
) -> None:
    """Chromium's default blocks the session cookie in another site's iframe: the iframe
    answers `login_required` at once (no timeout), and refresh tokens, which need no cookie,
    renew the tokens (`/oauth/token` over CORS)."""
    log_in(page, sdk)
    assert page.evaluate(SILENT) == {"error": "login_required"}

    log_in(page, sdk, refresh=True)
    renewed = page.evaluate(SILENT)
    assert renewed.get("access_token"), renewed
    assert renewed["id_token"]
    assert page.errors == []  # type: ignore[attr-defined]


def test_logout_ends_the_session(sdk: SdkSetup, page: Page) -> None:
    log_in(page, sdk, same_site=True)
    assert page.evaluate(SILENT).get("access_token")
    page.evaluate(
        "() => { window.client.logout("
        "{ logoutParams: { returnTo: location.origin + location.pathname } }); }"
    )
    page.wait_for_url(sdk.app.page_url("spa", same_site=True))
    create_client(page, sdk)
    assert page.evaluate("() => window.client.isAuthenticated()") is False
    assert page.evaluate(SILENT) == {"error": "login_required"}
