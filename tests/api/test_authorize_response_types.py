"""`/authorize` beyond the code flow: the implicit and hybrid response types (OIDC Core 3.2,
3.3), the response modes they travel in, and errors delivered the way the request asked."""

from __future__ import annotations

import base64
import functools
import hashlib
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.api import Api
from tests.support.authorize import (
    CALLBACK,
    Client,
    Flow,
    authorize,
    code_client,
    exchange,
    flow,
    fragment,
    posted_fields,
    sign_in,
    verified,
)
from tests.support.server import RunningServer
from tests.support.signin import http, new_connection, tokens

pytestmark = pytest.mark.sqlite_only

APP_ORIGIN = "https://app.example.com"
IMPLICIT_GRANTS = ["authorization_code", "implicit", "refresh_token"]


@dataclass(frozen=True)
class App:
    spa: Client  # implicit and code grants; app.example.com is a web origin
    code_only: Client  # no implicit grant
    connection: str


@functools.cache
def _browser(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)


@pytest.fixture
def browser(server: RunningServer) -> httpx.Client:
    client = _browser(server.base_url)
    client.cookies.clear()
    return client


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    spa = code_client(api, "spa", grant_types=IMPLICIT_GRANTS, web_origins=[APP_ORIGIN])
    code_only = code_client(api, "spa", web_origins=[APP_ORIGIN])
    connection = new_connection(api, spa.client_id, code_only.client_id)["name"]
    return App(spa, code_only, connection)


def half_hash(value: str) -> str:
    """OIDC Core 3.3.2.11, computed here independently of the server (RS256: SHA-256)."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def assert_error(params: dict[str, str], f: Flow, error: str) -> None:
    assert params.get("error") == error, params
    assert params.get("error_description"), params
    assert params.get("state") == f.state, params
    assert not {"code", "access_token", "id_token"} & set(params), params


# The keys each response type answers with, besides `state`.
EXPECTED_KEYS = {
    "token": {"access_token", "token_type", "expires_in", "scope"},
    "id_token": {"id_token"},
    "id_token token": {"access_token", "token_type", "expires_in", "scope", "id_token"},
    "code id_token": {"code", "id_token"},
    "code token": {"code", "access_token", "token_type", "expires_in", "scope"},
    "code id_token token": {
        "code",
        "access_token",
        "token_type",
        "expires_in",
        "scope",
        "id_token",
    },
}


def check_answer(
    server: RunningServer, app: App, f: Flow, params: dict[str, str], user: dict[str, Any]
) -> None:
    """Every token of an answer: signatures, nonce, at_hash and c_hash, and the code."""
    response_type = f.params["response_type"]
    assert set(params) == EXPECTED_KEYS[response_type] | {"state"}, params
    assert params["state"] == f.state
    assert "refresh_token" not in params
    if "access_token" in params:
        assert params["token_type"] == "Bearer"
        assert int(params["expires_in"]) > 0
        assert "offline_access" not in params["scope"].split()
        userinfo = http(server.base_url).get(
            "/userinfo", headers={"authorization": f"Bearer {params['access_token']}"}
        )
        assert userinfo.status_code == 200, userinfo.text
        assert userinfo.json()["sub"] == user["user_id"]
    if "id_token" in params:
        claims = verified(server, params["id_token"], app.spa.client_id)
        assert claims["sub"] == user["user_id"]
        assert claims["nonce"] == f.params["nonce"]
        assert isinstance(claims["auth_time"], int)
        if "access_token" in params:
            assert claims["at_hash"] == half_hash(params["access_token"])
        else:
            assert "at_hash" not in claims
        if "code" in params:
            assert claims["c_hash"] == half_hash(params["code"])
        else:
            assert "c_hash" not in claims
    if "code" in params:
        body = tokens(exchange(server, app.spa, params["code"], f))
        assert verified(server, body["id_token"], app.spa.client_id)["nonce"] == f.params["nonce"]


@pytest.mark.parametrize("response_type", sorted(EXPECTED_KEYS))
def test_each_response_type_answers_in_the_fragment(
    server: RunningServer,
    browser: httpx.Client,
    app: App,
    user: dict[str, Any],
    response_type: str,
) -> None:
    f = flow(app.spa, app.connection, response_type=response_type)
    params = fragment(sign_in(browser, f, user["email"]))
    check_answer(server, app, f, params, user)
    # The session then answers at once, with fresh tokens (auth0.js renewAuth).
    f = flow(app.spa, app.connection, response_type=response_type, prompt="none")
    check_answer(server, app, f, fragment(authorize(browser, f)), user)


def test_the_order_of_the_response_type_words_does_not_matter(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    f = flow(app.spa, app.connection, response_type="token id_token")
    params = fragment(sign_in(browser, f, user["email"]))
    assert {"access_token", "id_token"} <= set(params)


def test_form_post_carries_the_tokens(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    f = flow(
        app.spa, app.connection, response_type="code id_token token", response_mode="form_post"
    )
    response = sign_in(browser, f, user["email"])
    assert response.headers["cache-control"] == "no-store"
    check_answer(server, app, f, posted_fields(response), user)


def test_errors_go_to_the_fragment_by_default(browser: httpx.Client, app: App) -> None:
    for response_type in ("token", "id_token token", "code id_token"):
        f = flow(app.spa, app.connection, response_type=response_type, prompt="none")
        assert_error(fragment(authorize(browser, f)), f, "login_required")


def test_errors_go_by_form_post_when_asked(browser: httpx.Client, app: App) -> None:
    f = flow(
        app.spa, app.connection, response_type="token", response_mode="form_post", prompt="none"
    )
    assert_error(posted_fields(authorize(browser, f)), f, "login_required")
    f = flow(app.spa, app.connection, response_mode="form_post", prompt="none")
    assert_error(posted_fields(authorize(browser, f)), f, "login_required")


def test_query_is_refused_for_tokens_and_the_error_goes_to_the_fragment(
    browser: httpx.Client, app: App
) -> None:
    f = flow(app.spa, app.connection, response_type="id_token token", response_mode="query")
    assert_error(fragment(authorize(browser, f)), f, "invalid_request")


def test_an_id_token_needs_a_nonce(browser: httpx.Client, app: App) -> None:
    for response_type in ("id_token", "id_token token", "code id_token"):
        f = flow(app.spa, app.connection, response_type=response_type, nonce=None)
        params = fragment(authorize(browser, f))
        assert_error(params, f, "invalid_request")
        assert "nonce" in params["error_description"]
    # An access token alone needs none: the request goes on (to login_required here).
    f = flow(app.spa, app.connection, response_type="token", nonce=None, prompt="none")
    assert_error(fragment(authorize(browser, f)), f, "login_required")


def test_an_id_token_needs_the_openid_scope(browser: httpx.Client, app: App) -> None:
    f = flow(app.spa, app.connection, response_type="id_token", scope="profile")
    assert_error(fragment(authorize(browser, f)), f, "invalid_request")


def test_tokens_need_the_implicit_grant(browser: httpx.Client, app: App) -> None:
    for response_type in ("token", "id_token", "code id_token"):
        f = flow(app.code_only, app.connection, response_type=response_type)
        params = fragment(authorize(browser, f))
        assert_error(params, f, "unauthorized_client")
        assert params["error_description"] == "Grant type 'implicit' not allowed for the client."


def test_a_public_client_needs_no_code_challenge_without_a_code(
    browser: httpx.Client, app: App
) -> None:
    f = flow(app.spa, app.connection, response_type="id_token token", pkce=False, prompt="none")
    assert_error(fragment(authorize(browser, f)), f, "login_required")
    f = flow(app.spa, app.connection, response_type="code id_token", pkce=False)
    assert_error(fragment(authorize(browser, f)), f, "invalid_request")


def test_the_login_page_resumes_an_implicit_request(
    browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    """The sealed transaction keeps the response type and mode through the form post."""
    f = flow(app.spa, app.connection, response_type="token", response_mode="fragment")
    params = fragment(sign_in(browser, f, user["email"]), CALLBACK)
    assert params["access_token"]
