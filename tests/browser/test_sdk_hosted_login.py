"""auth0.js 10 (from npm) on a login page served from selfauth's own origin, as on Auth0's classic
hosted login page: `webAuth.login` sees `location.host === domain`, posts the password to
`/usernamepassword/login` and submits the form it answers to `/login/callback`, which sends the
browser to the application with its tokens. auth0.js takes `domain` as a bare host here, so
selfauth runs with TLS (a self-signed certificate Chromium is told to accept); the page itself
is the test's, answered on selfauth's origin by the browser's request interception.
SQLite only."""

from __future__ import annotations

import base64
import json
import ssl
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route

from tests.browser.sdk_app import SDKS, AppOrigin, watched
from tests.support.api import DB, PASSWORD, unique_email
from tests.support.certificates import write_self_signed
from tests.support.chromium import TIMEOUT_MS
from tests.support.server import RunningServer, start, stop

pytestmark = pytest.mark.sqlite_only

HOSTED_PAGE = """<!doctype html>
<html lang="en"><meta charset="utf-8"><link rel="icon" href="data:,">
<title>hosted login</title><script src="/test-hosted-login/auth0.js"></script></html>"""
LOGIN = """([clientID, redirectUri, realm, username, password]) => {
  const webAuth = new auth0.WebAuth({
    domain: location.host, clientID, redirectUri,
    responseType: "token id_token", scope: "openid profile email",
  });
  webAuth.login({ realm, username, password }, (err) => { window.loginError = err; });
}"""


@dataclass(frozen=True)
class Hosted:
    server: RunningServer
    trust: ssl.SSLContext
    client_id: str
    email: str
    callback: str

    @property
    def host(self) -> str:
        return urlsplit(self.server.base_url).netloc


@pytest.fixture(scope="module")
def hosted(
    sqlite_server: RunningServer, app_origin: AppOrigin, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Hosted]:
    directory = tmp_path_factory.mktemp("hosted-login")
    cert, key = write_self_signed(directory)
    server = start(
        f"sqlite:///{directory / 'selfauth.db'}",
        directory / "server.log",
        "sqlite",
        tls=(cert, key),
    )
    trust = ssl.create_default_context(cafile=str(cert))
    try:
        with httpx.Client(base_url=server.base_url, verify=trust, timeout=30) as http:
            token = http.post(
                "/oauth/token",
                json={
                    "grant_type": "client_credentials",
                    "client_id": server.client_id,
                    "client_secret": server.client_secret,
                    "audience": server.audience,
                },
            ).json()["access_token"]
            http.headers["authorization"] = f"Bearer {token}"
            callback = app_origin.page_url("auth0js")
            client = http.post(
                "/api/v2/clients",
                json={
                    "name": f"Hosted {uuid.uuid4().hex[:8]}",
                    "app_type": "spa",
                    "token_endpoint_auth_method": "none",
                    "callbacks": [callback],
                    "grant_types": ["authorization_code", "implicit"],
                },
            )
            assert client.status_code == 201, client.text
            email = unique_email("hosted")
            user = http.post(
                "/api/v2/users", json={"connection": DB, "email": email, "password": PASSWORD}
            )
            assert user.status_code == 201, user.text
        yield Hosted(server, trust, client.json()["client_id"], email, callback)
    finally:
        stop(server)


@pytest.fixture
def hosted_page(browser: Browser, hosted: Hosted) -> Iterator[Page]:
    context = browser.new_context(ignore_https_errors=True)
    context.set_default_timeout(TIMEOUT_MS)
    bundle = (SDKS / "dist" / "auth0js.js").read_bytes()

    def serve(route: Route) -> None:
        if route.request.url.endswith("/auth0.js"):
            route.fulfill(body=bundle, content_type="text/javascript")
        else:
            route.fulfill(body=HOSTED_PAGE, content_type="text/html")

    context.route(f"{hosted.server.base_url}/test-hosted-login**", serve)
    page = watched(context.new_page())
    page.goto(f"{hosted.server.base_url}/test-hosted-login")
    yield page
    context.close()


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def test_hosted_login_posts_the_password_and_lands_on_the_application(
    hosted: Hosted, hosted_page: Page
) -> None:
    with hosted_page.expect_request(lambda r: r.url.endswith("/usernamepassword/login")):
        hosted_page.evaluate(LOGIN, [hosted.client_id, hosted.callback, DB, hosted.email, PASSWORD])
    hosted_page.wait_for_url(f"{hosted.callback}#**")
    answer = dict(parse_qsl(urlsplit(hosted_page.url).fragment))
    assert claims(answer["id_token"])["email"] == hosted.email
    assert claims(answer["id_token"])["iss"] == hosted.server.issuer
    profile = httpx.get(
        f"{hosted.server.base_url}/userinfo",
        headers={"authorization": f"Bearer {answer['access_token']}"},
        verify=hosted.trust,
    )
    assert profile.json()["email"] == hosted.email


def test_a_wrong_password_reaches_the_page_as_auth0s_error(
    hosted: Hosted, hosted_page: Page
) -> None:
    hosted_page.evaluate(LOGIN, [hosted.client_id, hosted.callback, DB, hosted.email, "wrong"])
    hosted_page.wait_for_function("() => window.loginError !== undefined")
    error = hosted_page.evaluate("() => window.loginError")
    assert error["code"] == "invalid_user_password", error
    assert error["description"] == "Wrong email or password.", error
    assert hosted_page.url == f"{hosted.server.base_url}/test-hosted-login"
