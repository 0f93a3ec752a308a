"""Cross-origin authentication as auth0.js and Lock's embedded login use it: `POST
/co/authenticate` from the application's origin (CORS with credentials), then `GET /authorize`
with the single-use `login_ticket` it answered. The `Origin` header is set by hand, as the
browser would set it."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.api import PASSWORD, Api
from tests.support.authorize import (
    Client,
    Flow,
    code_client,
    code_from,
    exchange,
    flow,
    redirected,
    verified,
)
from tests.support.browser_client import browser_client
from tests.support.hooks import Hooks, guarded
from tests.support.hooks import hooks as hooks
from tests.support.server import RunningServer, serving
from tests.support.signin import (
    BRUTE_FORCE_LIMIT,
    REALM_GRANT,
    WRONG_PASSWORD,
    blocked_for,
    default_connection_id,
    enable,
    new_connection,
    tokens,
)

APP_ORIGIN = "https://app.example.com"  # the callbacks' origin
WEB_ORIGIN = "https://spa.example.net"  # a registered web origin
STRANGER = "https://stranger.invalid"  # under no wildcard any module registers
NS = "https://ns.example.com/"
# What a web_message page posts, and to which origin.
_POSTED = re.compile(
    r'postMessage\(\{type: "authorization_response", response: (\{.*\})\}, ("[^"]*")\);'
)


@dataclass(frozen=True)
class App:
    client: Client
    connection: str


def embedded_app(api: Api, **fields: Any) -> App:
    """A single-page application allowed cross-origin authentication, on its own connection."""
    body = {
        "web_origins": [WEB_ORIGIN, APP_ORIGIN],  # APP_ORIGIN: web_message answers
        "cross_origin_authentication": True,
        **fields,
    }
    client = code_client(api, "spa", **body)
    connection = new_connection(api, client.client_id)["name"]
    return App(client, connection)


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    return embedded_app(api)


@pytest.fixture
def browser(server: RunningServer) -> Iterator[httpx.Client]:
    with browser_client(base_url=server.base_url, timeout=30, follow_redirects=False) as client:
        yield client


def co_body(app: App, username: str, password: str = PASSWORD, **fields: Any) -> dict[str, Any]:
    body = {
        "client_id": app.client.client_id,
        "username": username,
        "password": password,
        "realm": app.connection,
        "credential_type": REALM_GRANT,
        **fields,
    }
    return {k: v for k, v in body.items() if v is not None}


def co_authenticate(
    browser: httpx.Client, body: dict[str, Any], origin: str | None = APP_ORIGIN
) -> httpx.Response:
    headers = {"Auth0-Client": "eyJuYW1lIjoiYXV0aDAuanMifQ=="}
    if origin is not None:
        headers["Origin"] = origin
    return browser.post("/co/authenticate", json=body, headers=headers)


def issue(browser: httpx.Client, app: App, username: str) -> dict[str, str]:
    """`/co/authenticate`'s answer; the browser keeps the cookie binding its ticket."""
    response = co_authenticate(browser, co_body(app, username))
    assert response.status_code == 200, response.text
    answer: dict[str, str] = response.json()
    return answer


def bind(browser: httpx.Client, answer: dict[str, str]) -> None:
    """Give another browser the binding cookie `/co/authenticate` set in the first."""
    browser.cookies.set(f"selfauth_co_{answer['co_id']}", answer["co_verifier"])


def ticket_for(browser: httpx.Client, app: App, username: str) -> str:
    return issue(browser, app, username)["login_ticket"]


def ticket_flow(app: App, ticket: str, **overrides: Any) -> Flow:
    """The `/authorize` request auth0.js makes with the ticket (`realm`, no `connection`)."""
    return flow(app.client, None, realm=app.connection, login_ticket=ticket, **overrides)


def assert_oauth(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    assert body["error_description"], body
    return body


def posted(page: httpx.Response) -> tuple[dict[str, Any], str]:
    """The `response` a web_message page posts, and its target origin."""
    assert page.status_code == 200, (page.status_code, page.text)
    found = _POSTED.findall(page.text)
    assert len(found) == 1, page.text
    response, origin = found[0]
    return json.loads(response), json.loads(origin)


def assert_denied(response: httpx.Response, f: Flow) -> None:
    params = redirected(response)
    assert params.get("error") == "access_denied", params
    assert params.get("error_description"), params
    assert params.get("state") == f.state, params
    assert "code" not in params, params


# --- CORS -----------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", [APP_ORIGIN, WEB_ORIGIN])
def test_preflight_allows_a_registered_origin_with_credentials(
    browser: httpx.Client, app: App, origin: str
) -> None:
    response = browser.options(
        "/co/authenticate",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, auth0-client",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "content-type" in allowed and "auth0-client" in allowed


def test_preflight_says_nothing_to_an_unregistered_origin(browser: httpx.Client, app: App) -> None:
    response = browser.options(
        "/co/authenticate",
        headers={"Origin": STRANGER, "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-credentials" not in response.headers


# --- /co/authenticate ------------------------------------------------------------------------


def test_success_answers_ticket_verifier_and_id(api: Api, browser: httpx.Client, app: App) -> None:
    user = api.create_user(connection=app.connection)
    response = co_authenticate(browser, co_body(app, user["email"]), origin=WEB_ORIGIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"login_ticket", "co_verifier", "co_id"}
    assert all(isinstance(v, str) and len(v) >= 16 for v in body.values()), body
    assert response.headers["access-control-allow-origin"] == WEB_ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["cache-control"] == "no-store"


def test_an_unregistered_origin_gets_a_bare_text_403(
    api: Api, browser: httpx.Client, app: App
) -> None:
    user = api.create_user(connection=app.connection)
    response = co_authenticate(browser, co_body(app, user["email"]), origin=STRANGER)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == f"Origin {STRANGER} is not allowed."
    assert "access-control-allow-origin" not in response.headers
    # No Origin at all (not a browser) is refused the same way.
    assert co_authenticate(browser, co_body(app, user["email"]), origin=None).status_code == 403


def test_a_client_without_cross_origin_authentication_is_refused(
    api: Api, browser: httpx.Client
) -> None:
    other = embedded_app(api, cross_origin_authentication=False)
    user = api.create_user(connection=other.connection)
    body = assert_oauth(
        co_authenticate(browser, co_body(other, user["email"])), 401, "unauthorized_client"
    )
    assert body["error_description"] == "Cross origin login not allowed."
    unknown = co_body(other, user["email"], client_id="no-such-client")
    assert_oauth(co_authenticate(browser, unknown), 401, "unauthorized_client")


def test_wrong_password_is_access_denied_and_counts_toward_the_block(
    api: Api, browser: httpx.Client, app: App
) -> None:
    user = api.create_user(connection=app.connection)
    for _ in range(BRUTE_FORCE_LIMIT):
        response = co_authenticate(browser, co_body(app, user["email"], WRONG_PASSWORD))
        body = assert_oauth(response, 403, "access_denied")
        assert body["error_description"] == "Wrong email or password."
        assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    # The password grants' counter: the address is now blocked, even with the right password.
    assert_oauth(co_authenticate(browser, co_body(app, user["email"])), 429, "too_many_attempts")
    assert blocked_for(api, user["user_id"])


def test_an_unknown_user_is_access_denied(browser: httpx.Client, app: App) -> None:
    response = co_authenticate(browser, co_body(app, "nobody@example.com"))
    assert assert_oauth(response, 403, "access_denied")["error_description"] == (
        "Wrong email or password."
    )


def test_a_blocked_user_is_refused(api: Api, browser: httpx.Client, app: App) -> None:
    user = api.create_user(connection=app.connection)
    api.patch(f"/api/v2/users/{user['user_id']}", {"blocked": True})
    assert_oauth(co_authenticate(browser, co_body(app, user["email"])), 403, "blocked_user")


@pytest.mark.parametrize(
    ("fields", "status", "error"),
    [
        ({"username": None}, 400, "invalid_request"),
        ({"password": None}, 400, "invalid_request"),
        ({"realm": None}, 400, "invalid_request"),
        ({"credential_type": None}, 400, "invalid_request"),
        (
            {"credential_type": "http://auth0.com/oauth/grant-type/mfa-otp"},
            400,
            "unsupported_credential_type",
        ),
        ({"realm": "no-such-connection"}, 400, "invalid_request"),
    ],
)
def test_malformed_requests(
    browser: httpx.Client, app: App, fields: dict[str, Any], status: int, error: str
) -> None:
    body = {k: v for k, v in (co_body(app, "a@example.com") | fields).items() if v is not None}
    assert_oauth(co_authenticate(browser, body), status, error)


def test_password_without_realm_uses_the_default_connection(
    api: Api, browser: httpx.Client
) -> None:
    other = embedded_app(api)
    enable(api, default_connection_id(api), other.client.client_id)
    user = api.create_user()  # on the default connection
    body = co_body(other, user["email"], realm=None, credential_type="password")
    assert co_authenticate(browser, body).status_code == 200


# --- /authorize with the ticket ---------------------------------------------------------------


def test_the_ticket_signs_in_at_authorize_and_the_login_hooks_run(
    server: RunningServer, api: Api, browser: httpx.Client, hooks: Hooks
) -> None:
    app = embedded_app(api)
    hooks.action(
        guarded(
            app.client.client_id,
            "  api.idToken.setCustomClaim('https://ns.example.com/protocol', "
            "event.transaction.protocol);",
        )
    )
    user = api.create_user(connection=app.connection)
    f = ticket_flow(app, ticket_for(browser, app, user["email"]))
    response = browser.get("/authorize", params=f.params)
    body = tokens(exchange(server, app.client, code_from(response, f), f))
    claims = verified(server, body["id_token"], app.client.client_id)
    assert claims["sub"] == user["user_id"]
    assert claims["nonce"] == f.params["nonce"]
    assert claims[NS + "protocol"] == "oidc-basic-profile"
    # The browser now has a session on the auth domain: a silent request is answered.
    silent = flow(app.client, None, realm=app.connection, prompt="none")
    code_from(browser.get("/authorize", params=silent.params), silent)


def test_a_ticket_is_single_use(api: Api, browser: httpx.Client, app: App) -> None:
    user = api.create_user(connection=app.connection)
    ticket = ticket_for(browser, app, user["email"])
    first = ticket_flow(app, ticket)
    code_from(browser.get("/authorize", params=first.params), first)
    browser.cookies.clear()
    again = ticket_flow(app, ticket)
    assert_denied(browser.get("/authorize", params=again.params), again)


def test_two_concurrent_uses_one_wins(server: RunningServer, api: Api, app: App) -> None:
    user = api.create_user(connection=app.connection)
    with browser_client(base_url=server.base_url, timeout=30) as first:
        answer = issue(first, app, user["email"])
    flows = [ticket_flow(app, answer["login_ticket"]) for _ in range(4)]

    def use(f: Flow) -> dict[str, str]:
        with browser_client(base_url=server.base_url, timeout=30) as browser:
            bind(browser, answer)
            return redirected(browser.get("/authorize", params=f.params))

    with ThreadPoolExecutor(len(flows)) as pool:
        answers = list(pool.map(use, flows))
    assert sum("code" in a for a in answers) == 1, answers
    assert sum(a.get("error") == "access_denied" for a in answers) == len(flows) - 1, answers


def test_another_clients_ticket_is_refused_and_not_spent(
    api: Api, browser: httpx.Client, app: App
) -> None:
    other = embedded_app(api)
    user = api.create_user(connection=app.connection)
    ticket = ticket_for(browser, app, user["email"])
    stolen = ticket_flow(other, ticket)
    assert_denied(browser.get("/authorize", params=stolen.params), stolen)
    own = ticket_flow(app, ticket)
    code_from(browser.get("/authorize", params=own.params), own)


def test_a_made_up_ticket_is_refused_in_the_requested_mode(browser: httpx.Client, app: App) -> None:
    f = ticket_flow(app, "not-a-ticket")
    assert_denied(browser.get("/authorize", params=f.params), f)
    framed = ticket_flow(app, "not-a-ticket", response_mode="web_message", prompt="none")
    response, origin = posted(browser.get("/authorize", params=framed.params))
    assert response["error"] == "access_denied", response
    assert response["state"] == framed.state
    assert origin == APP_ORIGIN


def test_the_popup_mode_gets_the_code_by_web_message(
    server: RunningServer, api: Api, browser: httpx.Client, app: App
) -> None:
    """auth0.js `popup.loginWithCredentials`: the ticket in a hidden iframe, prompt=none."""
    user = api.create_user(connection=app.connection)
    ticket = ticket_for(browser, app, user["email"])
    f = ticket_flow(app, ticket, response_mode="web_message", prompt="none")
    response, origin = posted(browser.get("/authorize", params=f.params))
    assert origin == APP_ORIGIN
    assert response["state"] == f.state
    body = tokens(exchange(server, app.client, response["code"], f))
    assert verified(server, body["id_token"], app.client.client_id)["sub"] == user["user_id"]


# --- an expired ticket, on a server whose tickets live one second -----------------------------


@pytest.fixture(scope="module")
def short_lived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    env = {"SELFAUTH_LOGIN_TICKET_TTL_SECONDS": "1"}
    with serving("sqlite", tmp_path_factory.mktemp("short-tickets"), env) as running:
        yield running


def test_an_expired_ticket_is_refused(short_lived: RunningServer) -> None:
    api = Api(short_lived, short_lived.admin_token())
    try:
        app = embedded_app(api)
        user = api.create_user(connection=app.connection)
        with browser_client(base_url=short_lived.base_url, timeout=30) as browser:
            ticket = ticket_for(browser, app, user["email"])
            time.sleep(1.5)
            f = ticket_flow(app, ticket)
            assert_denied(browser.get("/authorize", params=f.params), f)
    finally:
        api.http.close()


# --- the ticket is bound to the browser that authenticated -------------------------------------


def set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def test_the_answer_binds_the_ticket_to_the_browser_with_a_cookie(
    browser: httpx.Client, api: Api, app: App
) -> None:
    user = api.create_user(connection=app.connection)
    response = co_authenticate(browser, co_body(app, user["email"]))
    answer = response.json()
    cookies = [c for c in set_cookies(response) if c.startswith(f"selfauth_co_{answer['co_id']}")]
    assert len(cookies) == 2, set_cookies(response)
    plain, partitioned = sorted(cookies)
    for cookie in (plain, partitioned):
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "secure", "samesite", "path", "max-age"} <= attributes, cookie
        assert "Path=/authorize" in cookie, cookie
        assert "SameSite=none" in cookie or "SameSite=None" in cookie, cookie
        assert f"={answer['co_verifier']};" in cookie, cookie
    assert "Partitioned" in partitioned and "Partitioned" not in plain


def test_a_ticket_carried_to_another_browser_signs_no_one_in(
    server: RunningServer, api: Api, app: App
) -> None:
    """Login CSRF: a ticket from the attacker's own login, opened in the victim's browser."""
    user = api.create_user(connection=app.connection)
    with browser_client(base_url=server.base_url, timeout=30) as attacker:
        answer = issue(attacker, app, user["email"])
    with browser_client(base_url=server.base_url, timeout=30) as victim:
        f = ticket_flow(app, answer["login_ticket"])
        refused = redirected(victim.get("/authorize", params=f.params))
        assert refused["error"] == "access_denied", refused
        assert "not bound to this browser" in refused["error_description"], refused
        assert "selfauth_session" not in victim.cookies
        victim.cookies.set(f"selfauth_co_{answer['co_id']}", "another-logins-verifier")
        assert_denied(victim.get("/authorize", params=f.params), f)
    with browser_client(base_url=server.base_url, timeout=30) as owner:  # not spent by those
        bind(owner, answer)
        code_from(owner.get("/authorize", params=f.params), f)


_FRAME = re.compile(r'<iframe id="verifier" title="[^"]*" src="([^"]*)"')
_STATE = re.compile(r'<input type="hidden" name="state" value="([^"]*)">')


def test_without_the_cookie_cross_origin_loc_hands_the_verifier_to_co_verify(
    server: RunningServer, api: Api, browser: httpx.Client
) -> None:
    """Auth0's fallback: the page frames the application's cross_origin_loc, whose script
    (auth0.js `crossOriginVerification`) answers with the verifier, posted to /co/verify."""
    app = embedded_app(api, cross_origin_loc=f"{APP_ORIGIN}/co-verify.html")
    user = api.create_user(connection=app.connection)
    with browser_client(base_url=server.base_url, timeout=30) as elsewhere:
        answer = issue(elsewhere, app, user["email"])
    f = ticket_flow(app, answer["login_ticket"])
    page = browser.get("/authorize", params=f.params)
    assert page.status_code == 200, page.text
    frame = _FRAME.search(page.text)
    assert frame is not None, page.text
    assert (
        frame.group(1)
        == f"{APP_ORIGIN}/co-verify.html#origin=http%3A%2F%2F127.0.0.1%3A"
        + (server.base_url.rsplit(":", 1)[1])
    )
    policy = page.headers["content-security-policy"]
    assert f"frame-src {APP_ORIGIN};" in policy, policy
    assert "form-action 'self' https://app.example.com;" in policy, policy
    state = _STATE.search(page.text)
    assert state is not None
    sealed = state.group(1).replace("&#34;", '"')

    empty = redirected(browser.post("/co/verify", data={"state": sealed, "verifier": ""}))
    assert empty == {
        "error": "invalid_request",
        "error_description": "No verifier returned from client.",
        "state": f.state,
    }
    wrong = browser.post("/co/verify", data={"state": sealed, "verifier": "guess"})
    assert_denied(wrong, f)
    right = browser.post("/co/verify", data={"state": sealed, "verifier": answer["co_verifier"]})
    body = tokens(exchange(server, app.client, code_from(right, f), f))
    assert verified(server, body["id_token"], app.client.client_id)["sub"] == user["user_id"]
    spent = browser.post("/co/verify", data={"state": sealed, "verifier": answer["co_verifier"]})
    assert_denied(spent, f)


def test_co_verify_refuses_an_altered_state(browser: httpx.Client) -> None:
    response = browser.post("/co/verify", data={"state": "e30.forged", "verifier": "x"})
    assert response.status_code == 400
    assert "expired" in response.text
