"""Sign-in at an upstream OpenID Provider in Chromium: selfauth's login page offers the
connection as a button (`show_as_button`), the browser goes to node's oidc-provider (started by
the test), signs in there and comes back through `/login/callback` to the application with a
code, as the user `oidc|{connection}|{sub}`. SQLite server only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Page

from tests.browser.sdk_app import AppOrigin
from tests.support.api import Api
from tests.support.authorize import Client, code_client, exchange, flow, verified
from tests.support.server import RunningServer
from tests.support.signin import tokens
from tests.support.upstream_oidc import UpstreamClient, UpstreamOidc

pytestmark = pytest.mark.sqlite_only

SECRET = "browser-upstream-secret-0123456789"


@pytest.fixture(scope="module")
def provider(
    sqlite_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UpstreamOidc]:
    client = UpstreamClient("selfauth-browser", SECRET, [f"{sqlite_server.issuer}login/callback"])
    accounts = [{"sub": "grace", "email": "grace@upstream.example", "name": "Grace Hopper"}]
    with UpstreamOidc(
        tmp_path_factory.mktemp("browser-op"), clients=[client], accounts=accounts
    ) as running:
        yield running


def test_the_login_page_button_signs_in_at_the_provider(
    sqlite_server: RunningServer,
    api: Api,
    app_origin: AppOrigin,
    provider: UpstreamOidc,
    page: Page,
) -> None:
    callback = app_origin.page_url("spa")
    app: Client = code_client(api, "regular_web", callbacks=[callback])
    name = f"corp-{uuid.uuid4().hex[:10]}"
    created = api.post(
        "/api/v2/connections",
        {
            "name": name,
            "display_name": "Example Corp",
            "strategy": "oidc",
            "show_as_button": True,
            "enabled_clients": [app.client_id],
            "options": {
                "discovery_url": provider.discovery_url,
                "client_id": "selfauth-browser",
                "client_secret": SECRET,
                "type": "back_channel",
            },
        },
    )
    assert created.status_code == 201, created.text
    f = flow(app, None, redirect_uri=callback)
    page.goto(f"{sqlite_server.base_url}/authorize?{urlencode(f.params)}")
    page.get_by_role("link", name="Sign in with Example Corp").click()
    page.locator("#login").fill("grace")
    page.locator("#sign-in").click()
    page.wait_for_url(f"{callback}?**")
    answer = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert answer["state"] == f.state
    body = tokens(exchange(sqlite_server, app, answer["code"], f))
    claims = verified(sqlite_server, body["id_token"], app.client_id)
    assert claims["sub"] == f"oidc|{name}|grace"
    assert claims["name"] == "Grace Hopper"
    # The provider's own pages ask for a favicon it has not: only a CSP refusal would be ours.
    errors: list[str] = page.errors  # type: ignore[attr-defined]
    assert not [e for e in errors if "Content Security Policy" in e], errors
