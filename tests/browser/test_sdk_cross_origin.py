"""Cross-origin authentication's ticket is bound to the browser that authenticated (auth0.js 10
from npm, in Chromium, on another site than selfauth): where the browser keeps the cookie of
`/co/authenticate`, where it keeps it only partitioned (popup mode with third-party cookies
blocked), where it keeps none and the application's `cross_origin_loc` page hands the verifier
to `/co/verify`, and where nothing can prove the browser (a clear `access_denied`).
SQLite server only."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Route

from tests.browser.sdk_app import AppOrigin, SdkSetup, register_spa, watched
from tests.support.api import PASSWORD, Api

pytestmark = pytest.mark.sqlite_only

WEB_AUTH = """([domain, clientID, redirectUri, local]) => {
  window.webAuth = new auth0.WebAuth({ __tryLocalStorageFirst: local,
    domain, clientID, redirectUri, responseType: "token id_token", scope: "openid profile email",
    overrides: { __tenant: "selfauth", __token_issuer: domain + "/",
                 __jwks_uri: domain + "/.well-known/jwks.json" },
  });
}"""
PARSE_HASH = """() => new Promise((resolve) => window.webAuth.parseHash((err, result) =>
  resolve(err ? { error: err.error, description: err.errorDescription } : result)))"""
LOGIN = """([realm, username, password, popup]) => new Promise((resolve) => {
  const options = { realm, username, password };
  const done = (err, result) => resolve(err ? { error: err.error || err.code,
    description: err.error_description || err.description } : result);
  if (popup) { window.webAuth.popup.loginWithCredentials(options, done); }
  else { window.webAuth.login(options, done); }
})"""


def web_auth(
    page: Page, sdk: SdkSetup, client_id: str, page_url: str, *, local: bool = False
) -> None:
    page.evaluate(WEB_AUTH, [sdk.domain, client_id, page_url, local])


def login_by_redirect(
    page: Page, sdk: SdkSetup, client_id: str, page_url: str, *, local: bool = False
) -> Any:
    page.goto(page_url)
    web_auth(page, sdk, client_id, page_url, local=local)
    # Not awaited: the login ends by navigating away from the page.
    page.evaluate(f"(args) => {{ ({LOGIN})(args); }}", [sdk.connection, sdk.email, PASSWORD, False])
    page.wait_for_url(f"{page_url}#**")
    web_auth(page, sdk, client_id, page_url, local=local)
    return page.evaluate(PARSE_HASH)


def test_same_site_redirect_login_is_bound_by_the_cookie(sdk: SdkSetup, page: Page) -> None:
    """An application beside selfauth on one site: the cookie reaches `/authorize`."""
    url = sdk.app.page_url("auth0js", same_site=True)
    result = login_by_redirect(page, sdk, sdk.client_id, url)
    assert result.get("idTokenPayload", {}).get("email") == sdk.email, result
    assert page.errors == []  # type: ignore[attr-defined]


def test_across_sites_with_third_party_cookies_allowed_redirect_login_works(
    sdk: SdkSetup, allowing_third_party_cookies: BrowserContext
) -> None:
    page = watched(allowing_third_party_cookies.new_page())
    result = login_by_redirect(page, sdk, sdk.client_id, sdk.app.page_url("auth0js"))
    assert result.get("idTokenPayload", {}).get("email") == sdk.email, result


def test_across_sites_with_third_party_cookies_blocked_redirect_login_is_refused(
    sdk: SdkSetup, page: Page
) -> None:
    """Chromium keeps no unpartitioned cookie from the cross-site `/co/authenticate`, and the
    application has no `cross_origin_loc`: nothing shows the ticket is this browser's."""
    result = login_by_redirect(page, sdk, sdk.client_id, sdk.app.page_url("auth0js"))
    assert result["error"] == "access_denied", result
    assert "not bound to this browser" in result["description"], result


def test_across_sites_with_third_party_cookies_blocked_popup_login_works(
    sdk: SdkSetup, page: Page
) -> None:
    """Popup mode redeems the ticket in a hidden iframe on the application's site, where the
    `Partitioned` twin of the cookie is kept even with third-party cookies blocked."""
    url = sdk.app.page_url("auth0js")
    page.goto(url)
    web_auth(page, sdk, sdk.client_id, url)
    result = page.evaluate(LOGIN, [sdk.connection, sdk.email, PASSWORD, True])
    assert result.get("idTokenPayload", {}).get("email") == sdk.email, result
    assert result["accessToken"]


def refusing_the_binding_cookie(context: BrowserContext) -> Callable[[Route], None]:
    """Answer `/co/authenticate` as a browser that refused its cookie would see it (the
    fetch shares the profile's cookie jar, so the cookie it stored is dropped again)."""

    def answer(route: Route) -> None:
        response = route.fetch()
        context.clear_cookies(name=re.compile("^selfauth_co_"))
        headers = {k: v for k, v in response.headers.items() if k.lower() != "set-cookie"}
        route.fulfill(response=response, headers=headers)

    return answer


def test_without_the_cookie_cross_origin_loc_verifies_the_browser(
    sdk: SdkSetup, api: Api, app_origin: AppOrigin, allowing_third_party_cookies: BrowserContext
) -> None:
    """Auth0's fallback: `/authorize` frames the application's `cross_origin_loc` page, where
    auth0.js `crossOriginVerification()` answers with the verifier it kept, and `/co/verify`
    signs the user in. (auth0.js keeps it in localStorage here: its cookie, written over
    plain http, is `SameSite=Lax`, which a frame under another site cannot read; over https
    it writes `SameSite=None; Secure`.)"""
    loc = f"{app_origin.origin}/pages/co-verify.html?local"
    client_id = register_spa(api, app_origin, cross_origin_loc=loc)
    page = watched(allowing_third_party_cookies.new_page())
    page.route("**/co/authenticate", refusing_the_binding_cookie(allowing_third_party_cookies))
    url = app_origin.page_url("auth0js")
    with page.expect_request(lambda r: r.url.endswith("/co/verify")) as verify:
        result = login_by_redirect(page, sdk, client_id, url, local=True)
    assert verify.value.post_data is not None and "verifier=" in verify.value.post_data
    assert result.get("idTokenPayload", {}).get("email") == sdk.email, result
