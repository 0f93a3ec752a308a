"""`/authorize` beyond the code flow: the implicit and hybrid response types (OIDC Core 3.2,
3.3), the response modes they travel in, and errors delivered the way the request asked."""

from __future__ import annotations

import base64
import hashlib
import json
import re
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
from tests.support.browser_client import fresh_browser
from tests.support.hooks import Hooks, guarded
from tests.support.hooks import hooks as hooks
from tests.support.server import RunningServer
from tests.support.signin import claims, http, new_connection, tokens

pytestmark = pytest.mark.sqlite_only

APP_ORIGIN = "https://app.example.com"
IMPLICIT_GRANTS = ["authorization_code", "implicit", "refresh_token"]


@dataclass(frozen=True)
class App:
    spa: Client  # implicit and code grants; app.example.com is a web origin
    code_only: Client  # no implicit grant
    elsewhere: Client  # its web origin is not the callbacks' origin
    connection: str


@pytest.fixture
def browser(server: RunningServer) -> httpx.Client:
    return fresh_browser(server.base_url)


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    spa = code_client(api, "spa", grant_types=IMPLICIT_GRANTS, web_origins=[APP_ORIGIN])
    code_only = code_client(api, "spa", web_origins=[APP_ORIGIN, "https://*.example.org/path"])
    elsewhere = code_client(api, "spa", web_origins=["https://other.example.com"])
    ids = (spa.client_id, code_only.client_id, elsewhere.client_id)
    connection = new_connection(api, *ids)["name"]
    return App(spa, code_only, elsewhere, connection)


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


def test_post_login_actions_run_once_and_shape_the_front_channel_tokens(
    server: RunningServer, api: Api, hooks: Hooks, browser: httpx.Client
) -> None:
    client = code_client(api, "spa", grant_types=IMPLICIT_GRANTS)
    connection = new_connection(api, client.client_id, brute_force_protection=False)["name"]
    hooks.action(
        guarded(
            client.client_id,
            """
  api.idToken.setCustomClaim('https://ns.example.com/protocol', event.transaction.protocol);
  api.accessToken.setCustomClaim('https://ns.example.com/a', 'in-access');
  const runs = (event.user.app_metadata.runs || 0) + 1;
  api.user.setAppMetadata('runs', runs);
""",
        )
    )
    user = api.create_user(connection=connection)
    f = flow(client, connection, response_type="code id_token token")
    params = fragment(sign_in(browser, f, user["email"]))
    id_claims = verified(server, params["id_token"], client.client_id)
    assert id_claims["https://ns.example.com/protocol"] == "oidc-implicit-profile"
    assert id_claims["at_hash"] == half_hash(params["access_token"])
    assert claims(params["access_token"])["https://ns.example.com/a"] == "in-access"
    # The hybrid code keeps what the same run added; the actions do not run again.
    exchanged = tokens(exchange(server, client, params["code"], f))
    assert claims(exchanged["access_token"])["https://ns.example.com/a"] == "in-access"
    assert api.user(user["user_id"])["app_metadata"] == {"runs": 1}


def test_a_denying_action_answers_in_the_fragment(
    api: Api, hooks: Hooks, browser: httpx.Client
) -> None:
    client = code_client(api, "spa", grant_types=IMPLICIT_GRANTS)
    connection = new_connection(api, client.client_id, brute_force_protection=False)["name"]
    hooks.action(guarded(client.client_id, "  api.access.deny('Not during maintenance');"))
    user = api.create_user(connection=connection)
    f = flow(client, connection, response_type="id_token token")
    params = fragment(sign_in(browser, f, user["email"]))
    assert_error(params, f, "access_denied")
    assert params["error_description"] == "Not during maintenance"


# --- response_mode=web_message ----------------------------------------------------------------

_POST = re.compile(
    r'postMessage\(\{type: "authorization_response", response: (\{.*\})\}, ("[^"]*")\);'
)


@dataclass(frozen=True)
class Posted:
    response: dict[str, Any]
    target_origin: str
    csp: dict[str, str]


def directives(policy: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for directive in policy.split(";"):
        name, _, value = directive.strip().partition(" ")
        found[name] = value
    return found


def posted(page: httpx.Response) -> Posted:
    """What a web_message page posts, and to which origin; checks the page's headers."""
    assert page.status_code == 200, (page.status_code, page.text)
    assert "location" not in page.headers
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "x-frame-options" not in page.headers  # the page runs in the application's iframe
    csp = directives(page.headers["content-security-policy"])
    found = _POST.findall(page.text)
    assert len(found) == 1, page.text
    nonces = re.findall(r'<script nonce="([^"]+)">', page.text)
    assert len(nonces) == 1 and page.text.count("<script") == 1, page.text
    assert csp["script-src"] == f"'nonce-{nonces[0]}'"
    assert csp["default-src"] == "'none'"
    response, origin = found[0]
    return Posted(json.loads(response), json.loads(origin), csp)


def web_message_flow(client: Client, app: App, **overrides: Any) -> Flow:
    return flow(client, app.connection, response_mode="web_message", **overrides)


def test_silent_authentication_posts_the_code_to_the_frame_parent(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    """auth0-spa-js getTokenSilently: a hidden iframe, prompt=none, the code flow."""
    sign_in(browser, flow(app.spa, app.connection), user["email"])
    f = web_message_flow(app.spa, app, prompt="none")
    page = posted(authorize(browser, f))
    assert page.target_origin == APP_ORIGIN
    assert page.csp["frame-ancestors"] == APP_ORIGIN
    assert set(page.response) == {"code", "state"}
    assert page.response["state"] == f.state
    assert tokens(exchange(server, app.spa, page.response["code"], f))["id_token"]


def test_without_a_session_web_message_posts_login_required(
    browser: httpx.Client, app: App
) -> None:
    f = web_message_flow(app.spa, app, prompt="none")
    page = posted(authorize(browser, f))
    assert page.response["error"] == "login_required"
    assert page.response["error_description"]
    assert page.response["state"] == f.state
    assert page.target_origin == APP_ORIGIN


def test_check_session_gets_the_tokens_by_web_message(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    """auth0.js checkSession: implicit, prompt=none, web_message."""
    sign_in(browser, flow(app.spa, app.connection), user["email"])
    f = web_message_flow(app.spa, app, prompt="none", response_type="id_token token")
    page = posted(authorize(browser, f))
    assert isinstance(page.response["expires_in"], int)
    params = {k: str(v) for k, v in page.response.items()}
    check_answer(server, app, f, params, user)


def test_an_interactive_login_answers_by_web_message(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    """The popup of loginWithPopup: the login page, then the page that posts to the opener."""
    f = web_message_flow(app.spa, app)
    page = posted(sign_in(browser, f, user["email"]))
    assert page.response["state"] == f.state
    assert tokens(exchange(server, app.spa, page.response["code"], f))["access_token"]


def test_errors_of_a_web_message_request_are_posted(browser: httpx.Client, app: App) -> None:
    f = web_message_flow(app.spa, app, response_type="nonsense")
    page = posted(authorize(browser, f))
    assert page.response["error"] == "unsupported_response_type"
    assert page.response["state"] == f.state


def test_frame_ancestors_are_the_clients_web_origins(browser: httpx.Client, app: App) -> None:
    f = web_message_flow(app.code_only, app, prompt="none")
    page = posted(authorize(browser, f))
    assert page.csp["frame-ancestors"] == f"{APP_ORIGIN} https://*.example.org"


def test_nothing_is_posted_to_an_origin_that_is_not_a_web_origin(
    browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    sign_in(browser, flow(app.elsewhere, app.connection), user["email"])
    for prompt in ("none", None):
        f = web_message_flow(app.elsewhere, app, prompt=prompt)
        response = authorize(browser, f)
        assert response.status_code == 400, response.text
        assert "location" not in response.headers
        assert "postMessage" not in response.text
        assert "code=" not in response.text
        csp = directives(response.headers["content-security-policy"])
        assert csp["frame-ancestors"] == "'none'"


def test_the_posted_json_cannot_break_out_of_the_script(browser: httpx.Client, app: App) -> None:
    state = "</script><script>alert(1)</script>&amp;\u2028\u2029'\"<!--"
    f = web_message_flow(app.spa, app, prompt="none", state=state)
    response = authorize(browser, f)
    assert "</script><script>" not in response.text
    assert "<!--" not in response.text
    assert "\u2028" not in response.text and "\u2029" not in response.text
    assert posted(response).response["state"] == state
