"""Driving auth0.js 10 on the application's page (`sdks/pages/auth0js.html`), shared by
test_sdk_auth0js.py and test_sdk_refusals.py."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from tests.browser.sdk_app import SdkSetup, sign_in_on_selfauth

# `window.webAuth`, configured as docs/browser-sdks.md says for selfauth without TLS;
# `window.settle`, which turns a Node-style callback into a promise of {result} or {error};
# `window.messages`, every message the page received (origin and type).
CREATE = """([domain, clientID, responseType]) => {
  window.webAuth = new auth0.WebAuth({
    domain,
    clientID,
    redirectUri: location.origin + location.pathname,
    responseType,
    scope: 'openid profile email',
    overrides: {
      __tenant: new URL(domain).hostname,
      __token_issuer: domain + '/',
      __jwks_uri: domain + '/.well-known/jwks.json',
    },
  });
  window.settle = (call) => new Promise((resolve) => {
    call((error, result) => resolve(error ? { error } : { result }));
  });
  if (!window.messages) {
    window.messages = [];
    window.addEventListener('message', (e) => {
      window.messages.push({ origin: e.origin, type: (e.data && e.data.type) || null });
    });
  }
  return true;
}"""


def create_web_auth(page: Page, sdk: SdkSetup, response_type: str) -> None:
    page.evaluate(CREATE, [sdk.domain, sdk.client_id, response_type])


def open_app(page: Page, sdk: SdkSetup, response_type: str, *, same_site: bool = False) -> str:
    """The auth0js page (opened unless the browser is on it) with a `webAuth` for
    `response_type`; the page's URL."""
    app_page = sdk.app.page_url("auth0js", same_site=same_site)
    if not page.url.startswith(app_page):
        page.goto(app_page)
    create_web_auth(page, sdk, response_type)
    return app_page


def parse_hash(page: Page) -> dict[str, Any]:
    parsed: dict[str, Any] = page.evaluate(
        "() => window.settle((done) => window.webAuth.parseHash(done))"
    )
    return parsed


def authorize_and_parse(
    page: Page,
    sdk: SdkSetup,
    response_type: str,
    *,
    same_site: bool = False,
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    """`authorize` (a redirect; `extra` are more /authorize parameters, which auth0.js passes
    on), selfauth's login page when there is no session yet, and `parseHash` back on the
    application's page: {result} or {error}."""
    app_page = open_app(page, sdk, response_type, same_site=same_site)
    page.evaluate("(extra) => { window.webAuth.authorize(extra); }", extra or {})
    page.wait_for_url(
        lambda url: url.startswith((f"{sdk.server.base_url}/authorize", f"{app_page}#"))
    )
    if page.url.startswith(sdk.server.base_url):
        sign_in_on_selfauth(page, sdk.email)
    page.wait_for_url(f"{app_page}#**")
    create_web_auth(page, sdk, response_type)
    return parse_hash(page)


def fragment(page: Page) -> dict[str, str]:
    """The parameters in the page's URL fragment."""
    answered: dict[str, str] = page.evaluate(
        "() => Object.fromEntries(new URLSearchParams(location.hash.slice(1)))"
    )
    return answered


CHECK_SESSION = """(options) => window.settle(
  (done) => window.webAuth.checkSession(options, done))"""


def check_session(page: Page, timeout_ms: int | None = None, **options: Any) -> dict[str, Any]:
    """`checkSession` (the hidden iframe, `response_mode=web_message`, `prompt=none`) with
    more `options` for /authorize, and auth0.js's own timeout (60 s) unless `timeout_ms`."""
    if timeout_ms is not None:
        options["timeout"] = timeout_ms
    answered: dict[str, Any] = page.evaluate(CHECK_SESSION, options)
    return answered


LOGIN = """([realm, username, password]) => window.settle(
  (done) => window.webAuth.login({ realm, username, password }, done))"""
