"""An `oidc` connection of `type: front_channel` to node's `oidc-provider`: the provider posts an
ID token to selfauth's `/login/callback` (`response_type=id_token`, `response_mode=form_post`),
a cross-site POST that carries the transaction cookie only because it is `SameSite=None;
Secure`. selfauth serves https here, as a front channel needs (oidc-provider accepts https
redirect URIs only for it). The ID token is checked as a back-channel one is: a wrong
`nonce`, `aud` or signature is refused, and a replayed post finds no transaction."""

from __future__ import annotations

import os
import ssl
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from auth0.management import Connections

from tests.support.api import Api, user_path
from tests.support.authorize import CALLBACK, Client, code_client, code_from, flow, redirected
from tests.support.browser_client import browser_client
from tests.support.certificates import write_self_signed
from tests.support.server import RunningServer, serving
from tests.support.upstream_oidc import UpstreamClient, UpstreamOidc, log_in_form_post

pytestmark = pytest.mark.sqlite_only

BOB = {"sub": "bob", "email": "bob@upstream.example", "email_verified": True, "name": "Bob"}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """The server's self-signed certificate, trusted by this process's clients (httpx reads
    SSL_CERT_FILE, auth0-python's requests REQUESTS_CA_BUNDLE) while the module runs."""
    found = write_self_signed(tmp_path_factory.mktemp("tls"))
    names = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")
    kept = {name: os.environ.get(name) for name in names}
    os.environ.update(dict.fromkeys(names, str(found[0])))
    yield found
    for name, value in kept.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module")
def selfauth(
    tmp_path_factory: pytest.TempPathFactory, certificate: tuple[Any, Any]
) -> Iterator[RunningServer]:
    with serving("sqlite", tmp_path_factory.mktemp("front"), {}, tls=certificate) as running:
        yield running


@pytest.fixture(scope="module")
def trust(certificate: tuple[Any, Any]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.fixture(scope="module")
def provider(
    selfauth: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UpstreamOidc]:
    client = UpstreamClient(
        "front", "front-secret-0123456789", [f"{selfauth.issuer}login/callback"], implicit=True
    )
    with UpstreamOidc(
        tmp_path_factory.mktemp("upstream-front"), clients=[client], accounts=[BOB]
    ) as running:
        yield running


@pytest.fixture
def normal(provider: UpstreamOidc) -> Iterator[UpstreamOidc]:
    provider.set_mode(id_token="normal", token_delay_ms=0)
    yield provider
    provider.set_mode(id_token="normal", token_delay_ms=0)


@pytest.fixture(scope="module")
def admin(selfauth: RunningServer, trust: ssl.SSLContext) -> Iterator[Api]:
    api = Api(selfauth, selfauth.admin_token())
    yield api
    api.http.close()


def connect(selfauth: RunningServer, provider: UpstreamOidc, admin: Api) -> tuple[Client, str]:
    app = code_client(admin, "regular_web")
    domain = selfauth.base_url.removeprefix("https://")
    connections = Connections(domain, selfauth.admin_token())
    created = connections.create(
        {
            "name": f"front-{uuid.uuid4().hex[:8]}",
            "strategy": "oidc",
            "enabled_clients": [app.client_id],
            "options": {
                "discovery_url": provider.discovery_url,
                "client_id": "front",
                "type": "front_channel",
                "scope": "openid profile email",
            },
        }
    )
    return app, created["name"]


def posted_back(
    selfauth: RunningServer, trust: ssl.SSLContext, app: Client, connection: str
) -> tuple[httpx.Client, Any, str, dict[str, str]]:
    browser = browser_client(timeout=30, follow_redirects=False, verify=trust)
    f = flow(app, connection)
    start = browser.get(f"{selfauth.base_url}/authorize", params=f.params)
    location = start.headers["location"]
    assert "response_type=id_token" in location and "response_mode=form_post" in location
    assert "code_challenge" not in location
    cookie = start.headers["set-cookie"].lower()
    assert "samesite=none" in cookie and "secure" in cookie
    action, fields = log_in_form_post(browser, start, "bob")
    return browser, f, action, fields


def test_the_provider_posts_an_id_token_that_signs_the_user_in(
    selfauth: RunningServer, trust: ssl.SSLContext, normal: UpstreamOidc, admin: Api
) -> None:
    app, connection = connect(selfauth, normal, admin)
    browser, f, action, fields = posted_back(selfauth, trust, app, connection)
    try:
        assert action == f"{selfauth.issuer}login/callback"
        assert "id_token" in fields and "code" not in fields
        answered = browser.post(action, data=fields)
        code_from(answered, f)
        user = admin.user(f"oidc|{connection}|bob")
        assert user["email"] == BOB["email"]
        # The same post again: the transaction was used up.
        again = browser.post(action, data=fields)
        assert again.status_code == 400
    finally:
        browser.close()


@pytest.mark.parametrize("mode", ["wrong_nonce", "wrong_aud", "bad_signature"])
def test_a_posted_id_token_that_fails_a_check_is_refused(
    selfauth: RunningServer, trust: ssl.SSLContext, normal: UpstreamOidc, admin: Api, mode: str
) -> None:
    app, connection = connect(selfauth, normal, admin)
    normal.set_mode(id_token=mode)
    browser, f, action, fields = posted_back(selfauth, trust, app, connection)
    try:
        answer = redirected(browser.post(action, data=fields), CALLBACK)
    finally:
        browser.close()
    assert answer["error"] == "access_denied" and answer["state"] == f.state
    assert admin.get(user_path(f"oidc|{connection}|bob")).status_code == 404
