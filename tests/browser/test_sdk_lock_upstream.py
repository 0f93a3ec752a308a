"""auth0-lock 14 (the real npm package) in Chromium with upstream connections, which it learns
from `/client/{id}.js`: social buttons for a `github` preset ("Sign in with GitHub") and a
custom `oauth2` connection (its `display_name`); the `oauth2` button goes through selfauth's
`/authorize?connection=NAME` to node's oidc-provider (used as a plain OAuth2 server, started by
the test), signs in there and comes back to the application, whose Lock reads the tokens of
`oauth2|{connection}|{sub}`. An `oidc` connection's email domain turns Lock's form into
"Single Sign-On" and sends the browser to that provider. SQLite server only: the connections'
persistence is covered on every database in tests/storage/test_connections.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page

from tests.browser.sdk_app import SdkSetup, register_spa
from tests.support.api import Api
from tests.support.server import RunningServer
from tests.support.upstream_oidc import UpstreamClient, UpstreamOidc, fetch_user_profile

pytestmark = pytest.mark.sqlite_only

SECRET = "lock-upstream-secret-0123456789"
UPSTREAM_CLIENT = "selfauth-lock"
GRACE = {"sub": "grace", "email": "grace@upstream.example", "name": "Grace Hopper"}
LOGO = "data:image/gif;base64,R0lGODlhAQABAAAAACw="

# `new Auth0Lock(clientID, domain, options)` as docs/browser-sdks.md configures it for a
# selfauth without TLS, inline in the page's <main id="app">, in redirect mode, offering only
# `connections`; its `authenticated` and `authorization_error` events land in window.lockEvents.
START = """([clientId, domain, connections, logo]) => {
  window.lockEvents = [];
  window.lock = new Auth0Lock(clientId, domain, {
    container: 'app',
    allowedConnections: connections,
    configurationBaseUrl: domain,
    languageBaseUrl: location.origin,
    theme: { logo },
    avatar: null,
    auth: { redirect: true, redirectUrl: location.origin + location.pathname,
             responseType: 'token id_token' },
    overrides: { __tenant: new URL(domain).hostname.split('.')[0], __token_issuer: domain + '/',
                 __jwks_uri: domain + '/.well-known/jwks.json' },
  });
  for (const name of ['authenticated', 'authorization_error']) {
    window.lock.on(name, (value) => window.lockEvents.push(
      { name, value: JSON.parse(JSON.stringify(value)) }));
  }
  window.lock.show();
  return true;
}"""


@pytest.fixture(scope="module")
def provider(
    sqlite_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UpstreamOidc]:
    client = UpstreamClient(UPSTREAM_CLIENT, SECRET, [f"{sqlite_server.issuer}login/callback"])
    with UpstreamOidc(
        tmp_path_factory.mktemp("lock-op"), clients=[client], accounts=[GRACE]
    ) as running:
        yield running


@pytest.fixture(scope="module")
def endpoints(provider: UpstreamOidc) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(provider.discovery_url, timeout=10).json()
    return found


def create_connection(api: Api, client_id: str, strategy: str, **fields: Any) -> str:
    name = f"lock-{strategy}-{uuid.uuid4().hex[:10]}"
    body = {"name": name, "strategy": strategy, "enabled_clients": [client_id], **fields}
    response = api.post("/api/v2/connections", body)
    assert response.status_code == 201, response.text
    return name


def open_lock(page: Page, sdk: SdkSetup, client_id: str, connections: list[str]) -> None:
    """The Lock page (English as an application hosting Lock's translations serves it), then
    Lock offering `connections`."""
    page.route(
        "**/js/lock/*/en.js",
        lambda route: route.fulfill(
            body='Auth0.registerLanguageDictionary("en", {});',
            content_type="application/javascript",
        ),
    )
    lock_page = sdk.app.page_url("lock")
    if not page.url.startswith(lock_page):
        page.goto(lock_page)
    page.evaluate(START, [client_id, sdk.domain, connections, LOGO])


def first_event(page: Page, name: str) -> Any:
    page.wait_for_function(
        "(name) => window.lockEvents && window.lockEvents.some((e) => e.name === name)",
        arg=name,
    )
    found: list[dict[str, Any]] = page.evaluate("() => window.lockEvents")
    return next(event["value"] for event in found if event["name"] == name)


def social_button(page: Page, strategy: str) -> Any:
    """Lock's button for a social connection (an <a>), by the strategy it names."""
    return page.locator(f"#app .auth0-lock-social-button[data-provider='{strategy}']")


def test_lock_shows_social_buttons_and_signs_in_through_an_oauth2_connection(
    sdk: SdkSetup,
    api: Api,
    provider: UpstreamOidc,
    endpoints: dict[str, Any],
    page: Page,
) -> None:
    client_id = register_spa(api, sdk.app)
    github = create_connection(
        api, client_id, "github", options={"client_id": "gh-client", "client_secret": "gh-secret"}
    )
    acme = create_connection(
        api,
        client_id,
        "oauth2",
        display_name="Acme ID",
        options={
            "authorizationURL": endpoints["authorization_endpoint"],
            "tokenURL": endpoints["token_endpoint"],
            "client_id": UPSTREAM_CLIENT,
            "client_secret": SECRET,
            "scope": "openid profile email",
            "pkce_enabled": True,  # node's oidc-provider requires PKCE
            "scripts": {"fetchUserProfile": fetch_user_profile(endpoints["userinfo_endpoint"])},
        },
    )
    open_lock(page, sdk, client_id, [sdk.connection, github, acme])
    assert (social_button(page, "github").text_content() or "").strip() == "Sign in with GitHub"
    assert (social_button(page, "oauth2").text_content() or "").strip() == "Sign in with Acme ID"
    page.locator("#app input[name=password]").wait_for()  # the database form stays

    with (
        page.expect_request(f"{sdk.domain}/authorize?*") as authorize,
        page.expect_request(f"{endpoints['authorization_endpoint']}?*") as upstream,
    ):
        social_button(page, "oauth2").click()
    sent = parse_qs(urlsplit(authorize.value.url).query)
    assert sent["connection"] == [acme]
    assert sent["client_id"] == [client_id]
    # selfauth sends the browser on to the provider's authorization endpoint.
    at_provider = parse_qs(urlsplit(upstream.value.url).query)
    assert at_provider["client_id"] == [UPSTREAM_CLIENT]
    assert at_provider["redirect_uri"] == [f"{sdk.server.issuer}login/callback"]
    assert at_provider["response_type"] == ["code"]

    page.locator("#login").fill("grace")
    page.locator("#sign-in").click()
    page.wait_for_url(f"{sdk.app.page_url('lock')}#*")
    open_lock(page, sdk, client_id, [sdk.connection, github, acme])
    result = first_event(page, "authenticated")
    assert result["idTokenPayload"]["sub"] == f"oauth2|{acme}|grace"
    assert result["idTokenPayload"]["aud"] == client_id
    assert result["idTokenPayload"]["email"] == GRACE["email"]
    errors: list[str] = page.errors  # type: ignore[attr-defined]
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_an_email_in_an_oidc_connection_s_domain_goes_to_its_provider(
    sdk: SdkSetup, api: Api, provider: UpstreamOidc, page: Page
) -> None:
    """Home realm discovery: Lock matches the email's domain against the connection's `domain`
    and `domain_aliases`, hides the password and signs in at that connection."""
    client_id = register_spa(api, sdk.app)
    corp = create_connection(
        api,
        client_id,
        "oidc",
        display_name="Example Corp",
        options={
            "discovery_url": provider.discovery_url,
            "client_id": UPSTREAM_CLIENT,
            "client_secret": SECRET,
            "type": "back_channel",
            "domain_aliases": ["corp.example"],
        },
    )
    open_lock(page, sdk, client_id, [sdk.connection, corp])
    page.locator("#app input[name=email]").fill("grace@corp.example")
    page.locator("#app .auth0-sso-notice-container").wait_for()
    page.locator("#app input[name=password]").wait_for(state="hidden")
    with (
        page.expect_request(f"{sdk.domain}/authorize?*") as authorize,
        page.expect_request(f"{provider.issuer}/**") as upstream,
    ):
        page.locator("#app button.auth0-lock-submit").click()
    sent = parse_qs(urlsplit(authorize.value.url).query)
    assert sent["connection"] == [corp]
    assert sent["login_hint"] == ["grace@corp.example"]
    assert parse_qs(urlsplit(upstream.value.url).query)["client_id"] == [UPSTREAM_CLIENT]
    page.locator("#login").fill("grace")
    page.locator("#sign-in").click()
    page.wait_for_url(f"{sdk.app.page_url('lock')}#*")
    open_lock(page, sdk, client_id, [sdk.connection, corp])
    result = first_event(page, "authenticated")
    assert result["idTokenPayload"]["sub"] == f"oidc|{corp}|grace"
