"""An `oauth2` connection (Auth0's custom social connection) to node's `oidc-provider` used as a
plain OAuth2 server: the authorization code dance over HTTP, then the connection's
`fetchUserProfile` script, in the sandbox, asking the provider's userinfo endpoint through
`request` (and `axios`). It reaches only the hosts the connection names: another host fails the
sign-in cleanly until `options.allowed_hosts` names it. The social presets start at their real
providers' authorization endpoints (which cannot be reached from here: their profile mappings
are tested on recorded answers in tests/unit/test_social_presets.py). Connections are made with
auth0-python's `Connections`."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from auth0.exceptions import Auth0Error
from auth0.management import Connections

from tests.support.api import Api, user_path
from tests.support.authorize import (
    CALLBACK,
    Client,
    code_client,
    code_from,
    exchange,
    flow,
    redirected,
    verified,
)
from tests.support.browser_client import browser_client
from tests.support.sdk import domain_of
from tests.support.server import RunningServer, serving
from tests.support.signin import tokens
from tests.support.upstream_oidc import (
    UpstreamClient,
    UpstreamOidc,
    fetch_user_profile,
    log_in,
    without_idp_tokens,
)

pytestmark = pytest.mark.sqlite_only

ALICE = {
    "sub": "alice",
    "email": "alice@upstream.example",
    "email_verified": True,
    "name": "Alice Liddell",
    "given_name": "Alice",
    "family_name": "Liddell",
}
SECRET = "oauth2-client-secret-0123456789"

FETCH_WITH_AXIOS = """async function fetchUserProfile(accessToken, context, callback) {
  const axios = require('axios');
  try {
    const answer = await axios.get('%(userinfo)s', {
      headers: { authorization: 'Bearer ' + accessToken } });
    callback(null, { user_id: answer.data.sub, email: answer.data.email, name: answer.data.name });
  } catch (e) {
    callback(e);
  }
}"""


@pytest.fixture(scope="module")
def selfauth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    env = {"SELFAUTH_UPSTREAM_TIMEOUT_SECONDS": "2"}
    with serving("sqlite", tmp_path_factory.mktemp("downstream"), env) as running:
        yield running


@pytest.fixture(scope="module")
def provider(
    selfauth: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[UpstreamOidc]:
    client = UpstreamClient("selfauth", SECRET, [f"{selfauth.issuer}login/callback"])
    with UpstreamOidc(
        tmp_path_factory.mktemp("upstream-as"), clients=[client], accounts=[ALICE]
    ) as running:
        running.set_mode(id_token="normal", token_delay_ms=0)
        yield running


@pytest.fixture(scope="module")
def endpoints(provider: UpstreamOidc) -> dict[str, Any]:
    found: dict[str, Any] = httpx.get(provider.discovery_url).json()
    return found


@pytest.fixture(scope="module")
def admin(selfauth: RunningServer) -> Iterator[Api]:
    api = Api(selfauth, selfauth.admin_token())
    yield api
    api.http.close()


def _connections(selfauth: RunningServer) -> Connections:
    return Connections(domain_of(selfauth), selfauth.admin_token(), protocol="http")


def connect(
    selfauth: RunningServer,
    endpoints: dict[str, Any],
    admin: Api,
    script: str | None = None,
    userinfo: str | None = None,
    **options: Any,
) -> tuple[Client, str]:
    app = code_client(admin, "regular_web")
    created = _connections(selfauth).create(
        {
            "name": f"custom-{uuid.uuid4().hex[:10]}",
            "strategy": "oauth2",
            "enabled_clients": [app.client_id],
            "options": {
                "authorizationURL": endpoints["authorization_endpoint"],
                "tokenURL": endpoints["token_endpoint"],
                "client_id": "selfauth",
                "client_secret": SECRET,
                "scope": "openid profile email",
                "pkce_enabled": True,
                "scripts": {
                    "fetchUserProfile": (script or fetch_user_profile("%(userinfo)s")).replace(
                        "%(userinfo)s", userinfo or endpoints["userinfo_endpoint"]
                    )
                },
                **options,
            },
        }
    )
    return app, created["name"]


def sign_in(
    selfauth: RunningServer, app: Client, connection: str, sub: str = "alice"
) -> tuple[httpx.Response, Any]:
    with browser_client(timeout=30, follow_redirects=False) as browser:
        f = flow(app, connection)
        start = browser.get(f"{selfauth.base_url}/authorize", params=f.params)
        back = log_in(browser, start, sub)
        return browser.get(back), f


def test_fetch_user_profile_makes_the_user(
    selfauth: RunningServer, endpoints: dict[str, Any], admin: Api
) -> None:
    app, connection = connect(selfauth, endpoints, admin)
    answered, f = sign_in(selfauth, app, connection)
    body = tokens(exchange(selfauth, app, code_from(answered, f), f))
    claims = verified(selfauth, body["id_token"], app.client_id)
    user_id = f"oauth2|{connection}|alice"
    assert claims["sub"] == user_id and claims["email"] == ALICE["email"]
    user = admin.user(user_id)
    assert [without_idp_tokens(i) for i in user["identities"]] == [
        {
            "connection": connection,
            "provider": "oauth2",
            "user_id": f"{connection}|alice",
            "isSocial": True,
        }
    ]
    assert isinstance(user["identities"][0]["access_token"], str)
    assert (user["name"], user["given_name"], user["email_verified"]) == (
        "Alice Liddell",
        "Alice",
        True,
    )
    # The next sign-in finds the same user and syncs the profile (on_each_login).
    code_from(*sign_in(selfauth, app, connection))
    assert admin.user(user_id)["logins_count"] == 2


def test_axios_scripts_run_unchanged(
    selfauth: RunningServer, endpoints: dict[str, Any], admin: Api
) -> None:
    app, connection = connect(selfauth, endpoints, admin, FETCH_WITH_AXIOS)
    code_from(*sign_in(selfauth, app, connection))
    assert admin.user(f"oauth2|{connection}|alice")["email"] == ALICE["email"]


def test_a_host_the_connection_does_not_name_fails_cleanly_until_allowed(
    selfauth: RunningServer, endpoints: dict[str, Any], admin: Api
) -> None:
    # The same provider under another name: not a host of the connection's URLs.
    elsewhere = endpoints["userinfo_endpoint"].replace("127.0.0.1", "localhost")
    port = urlsplit(elsewhere).port
    app, connection = connect(selfauth, endpoints, admin, userinfo=elsewhere)
    answered, f = sign_in(selfauth, app, connection)
    answer = redirected(answered, CALLBACK)
    assert answer["error"] == "access_denied" and answer["state"] == f.state
    assert f"localhost:{port} is not one of them" in answer["error_description"]
    assert admin.get(user_path(f"oauth2|{connection}|alice")).status_code == 404

    allowed, allowed_connection = connect(
        selfauth, endpoints, admin, userinfo=elsewhere, allowed_hosts=[f"localhost:{port}"]
    )
    code_from(*sign_in(selfauth, allowed, allowed_connection))
    assert admin.get(user_path(f"oauth2|{allowed_connection}|alice")).status_code == 200


def test_script_errors_reach_the_application(
    selfauth: RunningServer, endpoints: dict[str, Any], admin: Api
) -> None:
    refusing = (
        "function fetchUserProfile(token, context, callback) {"
        " callback(new UnauthorizedError('Your account is not allowed here')); }"
    )
    app, connection = connect(selfauth, endpoints, admin, refusing)
    answer = redirected(sign_in(selfauth, app, connection)[0], CALLBACK)
    assert answer["error"] == "access_denied"
    assert answer["error_description"] == "Your account is not allowed here"
    nameless = (
        "function fetchUserProfile(token, context, callback) { callback(null, {email: 'x@y.z'}); }"
    )
    app, connection = connect(selfauth, endpoints, admin, nameless)
    answer = redirected(sign_in(selfauth, app, connection)[0], CALLBACK)
    assert answer["error_description"] == "The user profile has no user_id."
    looping = "function fetchUserProfile(t, c, callback) { for (;;) {} }"
    app, connection = connect(selfauth, endpoints, admin, looping)
    answer = redirected(sign_in(selfauth, app, connection)[0], CALLBACK)
    assert answer["error"] == "access_denied" and "time" in answer["error_description"]


def test_a_refused_code_exchange_is_a_clean_error(
    selfauth: RunningServer, endpoints: dict[str, Any], admin: Api
) -> None:
    app, connection = connect(selfauth, endpoints, admin, client_secret="not-the-secret")
    answer = redirected(sign_in(selfauth, app, connection)[0], CALLBACK)
    assert answer["error"] == "access_denied"
    assert "refused the code" in answer["error_description"]


def test_the_provider_refusing_the_request_reaches_the_application(
    selfauth: RunningServer, endpoints: dict[str, Any], admin: Api
) -> None:
    """oidc-provider requires PKCE: without `pkce_enabled` it sends the browser back with an
    error, which the application gets."""
    app, connection = connect(selfauth, endpoints, admin, pkce_enabled=False)
    with browser_client(timeout=30, follow_redirects=False) as browser:
        f = flow(app, connection)
        start = browser.get(f"{selfauth.base_url}/authorize", params=f.params)
        location = start.headers["location"]
        assert "code_challenge" not in location
        back = browser.get(location)  # the provider answers at once, with an error
        answer = redirected(browser.get(back.headers["location"]), CALLBACK)
    assert answer["error"] == "access_denied" and answer["state"] == f.state


def test_options_are_checked_when_saved(selfauth: RunningServer, endpoints: dict[str, Any]) -> None:
    connections = _connections(selfauth)
    for bad in (["https://host.example/path"], "host.example", ["host.example:99999"]):
        with pytest.raises(Auth0Error) as refused:
            connections.create(
                {
                    "name": f"bad-{uuid.uuid4().hex[:8]}",
                    "strategy": "oauth2",
                    "options": {
                        "authorizationURL": endpoints["authorization_endpoint"],
                        "tokenURL": endpoints["token_endpoint"],
                        "client_id": "c",
                        "client_secret": "s",
                        "allowed_hosts": bad,
                    },
                }
            )
        assert refused.value.status_code == 400
        assert "allowed_hosts" in refused.value.message


def test_the_login_page_offers_a_button(
    selfauth: RunningServer, endpoints: dict[str, Any], admin: Api
) -> None:
    app, connection = connect(selfauth, endpoints, admin)
    found = _connections(selfauth).all(name=connection)[0]
    _connections(selfauth).update(
        found["id"], {"show_as_button": True, "display_name": "Example Social"}
    )
    f = flow(app, None)
    page = httpx.get(f"{selfauth.base_url}/authorize", params=f.params)
    assert "Sign in with Example Social" in page.text


@pytest.mark.parametrize(
    ("icon_url", "shown"),
    [
        ("https://icons.example.org/social.png?size=20", True),
        ("javascript:alert(1)", False),
        ('https://unsafe.example.org/x.png"onerror="alert(1)', False),
        ("http://unsafe.example.org/plain.png", False),
    ],
)
def test_the_button_shows_the_connections_https_icon_and_the_csp_allows_its_origin(
    selfauth: RunningServer, endpoints: dict[str, Any], admin: Api, icon_url: str, shown: bool
) -> None:
    app, connection = connect(selfauth, endpoints, admin, icon_url=icon_url)
    found = _connections(selfauth).all(name=connection)[0]
    _connections(selfauth).update(found["id"], {"show_as_button": True})
    page = httpx.get(f"{selfauth.base_url}/authorize", params=flow(app, None).params)
    assert page.status_code == 200, page.text
    icons = re.findall(r'<img class="provider-icon" src="([^"]*)"', page.text)
    policy = page.headers["content-security-policy"]
    # Other tests' connections may be enabled for the same application: look for this one's.
    if shown:
        assert icon_url in icons
        assert "https://icons.example.org" in policy.split("img-src ")[1].split(";")[0]
    else:
        assert icon_url not in icons
        assert "unsafe.example.org" not in policy
        assert "onerror" not in page.text and "javascript:" not in page.text


@pytest.mark.parametrize(
    ("strategy", "host", "scope"),
    [
        ("github", "github.com", None),
        ("windowslive", "login.microsoftonline.com", "openid profile email User.Read"),
    ],
)
def test_social_presets_start_at_their_providers(
    selfauth: RunningServer, admin: Api, strategy: str, host: str, scope: str | None
) -> None:
    app = code_client(admin, "regular_web")
    name = f"{strategy}-{uuid.uuid4().hex[:6]}"
    options = {"client_id": "app-at-provider", "client_secret": "secret-at-provider"}
    created = _connections(selfauth).create(
        {"name": name, "strategy": strategy, "enabled_clients": [app.client_id], "options": options}
    )
    assert created["strategy"] == strategy
    f = flow(app, name)
    start = httpx.get(f"{selfauth.base_url}/authorize", params=f.params)
    assert start.status_code == 302
    location = urlsplit(start.headers["location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert location.hostname == host
    assert query["client_id"] == "app-at-provider"
    assert query["redirect_uri"] == f"{selfauth.issuer}login/callback"
    assert query["response_type"] == "code" and query["state"]
    assert query.get("scope") == scope


@pytest.mark.parametrize(
    ("strategy", "missing"),
    [
        ("github", "client_id, client_secret"),
        ("windowslive", "client_id, client_secret"),
        ("google-oauth2", "client_id, client_secret"),
        ("apple", "client_id, team_id, kid, app_secret"),
    ],
)
def test_a_preset_without_its_credentials_is_refused_at_authorize(
    selfauth: RunningServer, admin: Api, strategy: str, missing: str
) -> None:
    """Auth0 stores such a connection (it has developer keys to fall back on; selfauth has
    none), so the sign-in is what is refused, saying what is missing."""
    app = code_client(admin, "regular_web")
    name = f"{strategy}-{uuid.uuid4().hex[:6]}"
    _connections(selfauth).create(
        {"name": name, "strategy": strategy, "enabled_clients": [app.client_id]}
    )
    f = flow(app, name)
    answer = redirected(httpx.get(f"{selfauth.base_url}/authorize", params=f.params), CALLBACK)
    assert answer["error"] == "invalid_request"
    assert f"has no {missing}" in answer["error_description"]
