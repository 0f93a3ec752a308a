"""Sign-in at an upstream OpenID Provider in Chromium: selfauth's login page offers the
connection as a button (`show_as_button`), the browser goes to node's oidc-provider (started by
the test), signs in there and comes back through `/login/callback` to the application with a
code, as the user `oidc|{connection}|{sub}`; once that identity is linked to a database user, the
same button signs the database user in, until it is unlinked. SQLite server only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from playwright.sync_api import Page

from tests.browser.sdk_app import AppOrigin
from tests.support.api import PASSWORD, Api, user_path
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


def _connection(api: Api, provider: UpstreamOidc, app: Client) -> str:
    name = f"corp-{uuid.uuid4().hex[:10]}"
    created = api.post(
        "/api/v2/connections",
        {
            "name": name,
            "display_name": f"Example Corp {name[-4:]}",
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
    return name


def _sign_in_with_button(
    server: RunningServer, page: Page, app: Client, callback: str, connection: str
) -> dict[str, Any]:
    """The login page's button, the provider's form, back to the application: the ID
    token's claims."""
    f = flow(app, None, redirect_uri=callback, prompt="login")
    page.context.clear_cookies()  # the provider's session too: its form each time
    page.goto(f"{server.base_url}/authorize?{urlencode(f.params)}")
    page.get_by_role("link", name=f"Sign in with Example Corp {connection[-4:]}").click()
    page.locator("#login").fill("grace")
    page.locator("#sign-in").click()
    page.wait_for_url(f"{callback}?**")
    answer = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert answer["state"] == f.state
    body = tokens(exchange(server, app, answer["code"], f))
    return verified(server, body["id_token"], app.client_id)


def test_the_login_page_button_signs_in_at_the_provider(
    sqlite_server: RunningServer,
    api: Api,
    app_origin: AppOrigin,
    provider: UpstreamOidc,
    page: Page,
) -> None:
    callback = app_origin.page_url("spa")
    app: Client = code_client(api, "regular_web", callbacks=[callback])
    name = _connection(api, provider, app)
    claims = _sign_in_with_button(sqlite_server, page, app, callback, name)
    assert claims["sub"] == f"oidc|{name}|grace"
    assert claims["name"] == "Grace Hopper"
    # The provider's own pages ask for a favicon it has not: only a CSP refusal would be ours.
    errors: list[str] = page.errors  # type: ignore[attr-defined]
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_a_linked_identity_signs_the_primary_in_until_unlinked(
    sqlite_server: RunningServer,
    api: Api,
    app_origin: AppOrigin,
    provider: UpstreamOidc,
    page: Page,
) -> None:
    callback = app_origin.page_url("spa")
    app: Client = code_client(api, "regular_web", callbacks=[callback])
    name = _connection(api, provider, app)
    assert _sign_in_with_button(sqlite_server, page, app, callback, name)["sub"] == (
        f"oidc|{name}|grace"
    )
    primary = api.post(
        "/api/v2/users",
        {
            "connection": "Username-Password-Authentication",
            "email": f"grace-{uuid.uuid4().hex[:8]}@example.com",
            "password": PASSWORD,
        },
    ).json()["user_id"]
    linked = api.post(
        f"{user_path(primary)}/identities", {"provider": "oidc", "user_id": f"{name}|grace"}
    )
    assert linked.status_code == 201, linked.text
    assert _sign_in_with_button(sqlite_server, page, app, callback, name)["sub"] == primary
    unlinked = api.delete(f"{user_path(primary)}/identities/oidc/{quote(name + '|grace')}")
    assert unlinked.status_code == 200, unlinked.text
    assert _sign_in_with_button(sqlite_server, page, app, callback, name)["sub"] == (
        f"oidc|{name}|grace"
    )
