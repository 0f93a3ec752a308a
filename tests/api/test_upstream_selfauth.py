"""An `oidc` connection whose upstream provider is another selfauth server (a real OpenID
Provider over HTTP: discovery, JWKS, code + PKCE, ID tokens with the nonce). The browser's
redirect dance is driven with an httpx client that keeps both servers' cookies: first sign-in
creates the user with its identity, the next one follows the sync policy, a synced attribute
cannot be PATCHed, and a replayed or foreign callback is refused. tests/api/test_upstream_oidc.py
does the same against node's oidc-provider."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.api import PASSWORD, Api, unique_email, user_path
from tests.support.authorize import (
    CALLBACK,
    Client,
    code_client,
    code_from,
    exchange,
    flow,
    form_to,
    redirected,
    verified,
)
from tests.support.browser_client import browser_client
from tests.support.server import RunningServer, serving
from tests.support.signin import tokens
from tests.support.upstream_oidc import without_idp_tokens

pytestmark = pytest.mark.sqlite_only


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving("sqlite", tmp_path_factory.mktemp("upstream")) as running:
        yield running


@pytest.fixture(scope="module")
def upstream_api(upstream: RunningServer) -> Iterator[Api]:
    api = Api(upstream, upstream.admin_token())
    yield api
    api.http.close()


def oidc_connection(
    api: Api, server: RunningServer, upstream: RunningServer, upstream_api: Api, **options: Any
) -> tuple[Client, str]:
    """An application of `server` on a new oidc connection to `upstream` (whose client's
    callback is `server`'s /login/callback)."""
    relying = upstream_api.post(
        "/api/v2/clients",
        {
            "name": f"downstream {unique_email('rp')}",
            "app_type": "regular_web",
            "callbacks": [f"{server.issuer}login/callback"],
            "grant_types": ["authorization_code"],
        },
    ).json()
    app = code_client(api, "regular_web")
    created = api.post(
        "/api/v2/connections",
        {
            "name": f"upstream-{relying['client_id'][:10].lower()}",
            "strategy": "oidc",
            "enabled_clients": [app.client_id],
            "options": {
                "discovery_url": f"{upstream.issuer}.well-known/openid-configuration",
                "client_id": relying["client_id"],
                "client_secret": relying["client_secret"],
                "scope": "openid profile email",
                "type": "back_channel",
                **options,
            },
        },
    )
    assert created.status_code == 201, created.text
    return app, created.json()["name"]


def upstream_sign_in(
    browser: httpx.Client, start: httpx.Response, email: str, password: str = PASSWORD
) -> httpx.Response:
    """From selfauth's redirect to the upstream to the upstream's answer to /login/callback."""
    assert start.status_code == 302, start.text
    page = browser.get(start.headers["location"])
    assert page.status_code == 200, page.text
    form = form_to(page, "/u/login")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(start.headers["location"]))
    back = browser.post(
        f"{origin}/u/login",
        data={
            "tx": form.value("tx"),
            "csrf": form.value("csrf"),
            "username": email,
            "password": password,
        },
    )
    assert back.status_code in (302, 303), back.text
    assert "/login/callback?" in back.headers["location"], back.headers["location"]
    return browser.get(back.headers["location"])


def test_first_sign_in_creates_the_user_and_the_next_one_syncs_the_profile(
    server: RunningServer, api: Api, upstream: RunningServer, upstream_api: Api
) -> None:
    app, connection = oidc_connection(api, server, upstream, upstream_api)
    person = upstream_api.create_user(
        email=unique_email("upstream"), name="Grace Hopper", given_name="Grace"
    )
    with browser_client(timeout=30, follow_redirects=False) as browser:
        f = flow(app, connection)
        start = browser.get(f"{server.base_url}/authorize", params=f.params)
        answered = upstream_sign_in(browser, start, person["email"])
        body = tokens(exchange(server, app, code_from(answered, f), f))
    claims = verified(server, body["id_token"], app.client_id)
    expected_id = f"oidc|{connection}|{person['user_id']}"
    assert claims["sub"] == expected_id
    user = api.user(expected_id)
    assert [without_idp_tokens(i) for i in user["identities"]] == [
        {
            "connection": connection,
            "provider": "oidc",
            "user_id": f"{connection}|{person['user_id']}",
            "isSocial": False,
        }
    ]
    assert user["name"] == "Grace Hopper" and user["email"] == person["email"]

    # on_each_login: the provider's change lands at the next sign-in; a PATCH is refused.
    upstream_api.patch(user_path(person["user_id"]), {"name": "Grace B. Hopper"})
    refused = api.patch(user_path(expected_id), {"name": "Someone Else"})
    assert refused.status_code == 400
    assert refused.json()["errorCode"] == "operation_not_supported"
    with browser_client(timeout=30, follow_redirects=False) as browser:
        f = flow(app, connection)
        start = browser.get(f"{server.base_url}/authorize", params=f.params)
        code_from(upstream_sign_in(browser, start, person["email"]), f)
    assert api.user(expected_id)["name"] == "Grace B. Hopper"


def test_on_first_login_sets_the_profile_once(
    server: RunningServer, api: Api, upstream: RunningServer, upstream_api: Api
) -> None:
    app, connection = oidc_connection(
        api, server, upstream, upstream_api, set_user_root_attributes="on_first_login"
    )
    person = upstream_api.create_user(email=unique_email("first"), name="Ada Lovelace")
    user_id = f"oidc|{connection}|{person['user_id']}"
    for _ in range(2):
        with browser_client(timeout=30, follow_redirects=False) as browser:
            f = flow(app, connection)
            start = browser.get(f"{server.base_url}/authorize", params=f.params)
            code_from(upstream_sign_in(browser, start, person["email"]), f)
        if api.user(user_id)["name"] == "Ada Lovelace":
            assert api.patch(user_path(user_id), {"name": "Countess"}).status_code == 200
            upstream_api.patch(user_path(person["user_id"]), {"name": "Ada K. Lovelace"})
    assert api.user(user_id)["name"] == "Countess"


def test_a_callback_from_another_browser_or_replayed_is_refused(
    server: RunningServer, api: Api, upstream: RunningServer, upstream_api: Api
) -> None:
    app, connection = oidc_connection(api, server, upstream, upstream_api)
    person = upstream_api.create_user(email=unique_email("replay"))
    with browser_client(timeout=30, follow_redirects=False) as browser:
        f = flow(app, connection)
        start = browser.get(f"{server.base_url}/authorize", params=f.params)
        page = browser.get(start.headers["location"])
        form = form_to(page, "/u/login")
        back = browser.post(
            f"{upstream.base_url}/u/login",
            data={
                "tx": form.value("tx"),
                "csrf": form.value("csrf"),
                "username": person["email"],
                "password": PASSWORD,
            },
        )
        callback = back.headers["location"]
        with browser_client(timeout=30, follow_redirects=False) as elsewhere:
            stolen = elsewhere.get(callback)
        assert stolen.status_code == 400
        tampered = browser.get(callback.replace("state=", "state=x"))
        assert tampered.status_code == 400
        code_from(browser.get(callback), f)  # the right browser, once
        assert browser.get(callback).status_code == 400  # replayed


def test_the_upstream_refusing_reaches_the_application(
    server: RunningServer, api: Api, upstream: RunningServer, upstream_api: Api
) -> None:
    app, connection = oidc_connection(api, server, upstream, upstream_api)
    with browser_client(timeout=30, follow_redirects=False) as browser:
        f = flow(app, connection)
        start = browser.get(f"{server.base_url}/authorize", params=f.params)
        state = parse_qs(urlsplit(start.headers["location"]).query)["state"][0]
        denied = browser.get(
            f"{server.base_url}/login/callback",
            params={
                "error": "access_denied",
                "error_description": "The user said no",
                "state": state,
            },
        )
    answer = redirected(denied, CALLBACK)
    assert answer == {
        "error": "access_denied",
        "error_description": "The user said no",
        "state": f.state,
    }


def test_a_connection_without_a_client_is_refused_at_authorize(
    server: RunningServer, api: Api
) -> None:
    app = code_client(api, "regular_web")
    created = api.post(
        "/api/v2/connections",
        {
            "name": f"half-{uuid.uuid4().hex[:10]}",
            "strategy": "oidc",
            "enabled_clients": [app.client_id],
            "options": {"issuer": "https://idp.invalid"},
        },
    )
    assert created.status_code == 201, created.text
    f = flow(app, created.json()["name"])
    with browser_client(timeout=30, follow_redirects=False) as browser:
        answer = redirected(browser.get(f"{server.base_url}/authorize", params=f.params))
    assert answer["error"] == "invalid_request" and "client_id" in answer["error_description"]
