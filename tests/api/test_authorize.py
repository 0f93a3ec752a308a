"""The browser flow: `GET /authorize`, the login and sign-up pages, the code exchange at
`/oauth/token`, and logout. Driven with httpx as a browser without JavaScript would be:
cookies kept, redirects not followed, hidden form fields read from the HTML."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.api import PASSWORD, Api, unique_email, user_path
from tests.support.authorize import (
    CALLBACK,
    LOGOUT_URL,
    OTHER_CALLBACK,
    Client,
    Flow,
    assert_error_page,
    assert_invalid_grant,
    assert_redirected_error,
    authorize,
    code_client,
    code_from,
    exchange,
    flow,
    form_to,
    login_page,
    parse,
    pkce_pair,
    post_login,
    redirected,
    refresh,
    sign_in,
    verified,
)
from tests.support.browser_client import browser_client, fresh_browser
from tests.support.server import RunningServer, free_port, start, stop
from tests.support.signin import connection_id_by_name, enable, http, new_connection, tokens

pytestmark = pytest.mark.sqlite_only


# --- fixtures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class App:
    spa: Client  # public: PKCE required
    second: Client  # another public client on the same connection (SSO)
    web: Client  # confidential regular web app
    no_code: Client  # without the authorization_code grant
    connection: str
    closed_connection: str  # disable_signup
    foreign_connection: str  # not enabled for any of the clients above


@pytest.fixture
def browser(server: RunningServer) -> httpx.Client:
    return fresh_browser(server.base_url)


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    spa = code_client(api, "spa")
    second = code_client(api, "spa")
    web = code_client(api, "regular_web")
    no_code = code_client(api, "regular_web", grant_types=["refresh_token"])
    ids = [c.client_id for c in (spa, second, web, no_code)]
    return App(
        spa=spa,
        second=second,
        web=web,
        no_code=no_code,
        connection=new_connection(api, *ids)["name"],
        closed_connection=new_connection(api, *ids, disable_signup=True)["name"],
        foreign_connection=new_connection(api)["name"],
    )


# --- helpers --------------------------------------------------------------------------------


def signed_in_code(browser: httpx.Client, app: App, user: dict[str, Any]) -> str:
    """Signs `user` in on the SPA; the browser keeps the session cookie."""
    f = flow(app.spa, app.connection)
    return code_from(sign_in(browser, f, user["email"]), f)


def assert_no_session(browser: httpx.Client, app: App) -> None:
    f = flow(app.spa, app.connection, prompt="none")
    assert_redirected_error(authorize(browser, f), f, "login_required")


def assert_session(browser: httpx.Client, app: App) -> None:
    f = flow(app.spa, app.connection, prompt="none")
    code_from(authorize(browser, f), f)


# --- the checks, in order -------------------------------------------------------------------


def test_unknown_client_gets_an_error_page(browser: httpx.Client, app: App) -> None:
    f = flow(Client("no-such-client"), app.connection)
    assert_error_page(authorize(browser, f))
    del f.params["client_id"]
    assert_error_page(authorize(browser, f))


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example.com/callback",
        CALLBACK + "/",
        CALLBACK + "x",
        CALLBACK[:-1],
        CALLBACK.upper(),
        "https://APP.example.com/callback",
        CALLBACK + "?next=https://evil.example.com",
        CALLBACK + "#x",
        "http://app.example.com/callback",
        "",
    ],
)
def test_an_unregistered_redirect_uri_gets_an_error_page(
    browser: httpx.Client, app: App, redirect_uri: str
) -> None:
    assert_error_page(authorize(browser, flow(app.spa, app.connection, redirect_uri=redirect_uri)))


def test_the_redirect_uri_is_checked_before_anything_is_redirected(
    browser: httpx.Client, app: App
) -> None:
    f = flow(app.no_code, app.connection, redirect_uri="https://evil.example.com/", prompt="x")
    f.params["response_type"] = "token"
    assert_error_page(authorize(browser, f))


def test_a_bad_response_type_is_redirected_with_the_state(browser: httpx.Client, app: App) -> None:
    for response_type in ("nonsense", "code nonsense", "code code_token"):
        f = flow(app.spa, app.connection, response_type=response_type)
        assert_redirected_error(authorize(browser, f), f, "unsupported_response_type")


def test_response_type_is_checked_before_the_client_grant_and_pkce(
    browser: httpx.Client, app: App
) -> None:
    f = flow(app.no_code, app.connection, pkce=False, response_type="nonsense")
    assert_redirected_error(authorize(browser, f), f, "unsupported_response_type")


def test_a_client_without_the_code_grant_is_unauthorized(browser: httpx.Client, app: App) -> None:
    f = flow(app.no_code, app.connection)
    assert_redirected_error(authorize(browser, f), f, "unauthorized_client")


def test_a_public_client_must_send_a_code_challenge(browser: httpx.Client, app: App) -> None:
    f = flow(app.spa, app.connection, pkce=False)
    assert_redirected_error(authorize(browser, f), f, "invalid_request")


def test_the_plain_challenge_method_is_refused(browser: httpx.Client, app: App) -> None:
    verifier = secrets.token_urlsafe(48)
    for client in (app.spa, app.web):
        f = flow(client, app.connection, code_challenge=verifier, code_challenge_method="plain")
        assert_redirected_error(authorize(browser, f), f, "invalid_request")
    f = flow(app.spa, app.connection, code_challenge_method="S512")
    assert_redirected_error(authorize(browser, f), f, "invalid_request")


@pytest.mark.parametrize(
    "challenge",
    ["short", "a" * 42, "a" * 129, "a" * 42 + "=", "a" * 42 + "+", "a" * 42 + "/", "é" * 43],
    ids=["short", "42-chars", "129-chars", "padding", "plus", "slash", "non-ascii"],
)
def test_a_malformed_challenge_is_refused(browser: httpx.Client, app: App, challenge: str) -> None:
    f = flow(app.spa, app.connection, code_challenge=challenge)
    assert_redirected_error(authorize(browser, f), f, "invalid_request")


def test_an_unknown_prompt_is_refused(browser: httpx.Client, app: App) -> None:
    for prompt in ("never", "none login", "NONE"):
        f = flow(app.spa, app.connection, prompt=prompt)
        assert_redirected_error(authorize(browser, f), f, "invalid_request")


def test_an_unknown_or_foreign_connection_is_refused(browser: httpx.Client, app: App) -> None:
    for connection in (f"missing-{uuid.uuid4().hex[:8]}", app.foreign_connection):
        f = flow(app.spa, connection)
        assert_redirected_error(authorize(browser, f), f, None)


def test_state_comes_back_unchanged(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    state = "a b&c=d/é?#%"
    f = flow(app.spa, app.connection, state=state)
    assert redirected(sign_in(browser, f, user["email"]))["state"] == state
    f = flow(app.spa, app.connection, state=state, prompt="none")
    assert redirected(authorize(browser, f))["state"] == state


# --- response modes -------------------------------------------------------------------------


def test_response_mode_query_keeps_the_callbacks_own_query(
    server: RunningServer, api: Api, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    with_query = "https://app.example.com/cb?tenant=1"
    client = code_client(api, "spa", callbacks=[with_query])
    enable(api, connection_id_by_name(api, app.connection), client.client_id)
    f = flow(client, app.connection, redirect_uri=with_query, response_mode="query")
    params = redirected(sign_in(browser, f, user["email"]), "https://app.example.com/cb")
    assert params["tenant"] == "1"
    assert params["state"] == f.state
    assert tokens(exchange(server, client, params["code"], f))["id_token"]


def test_response_mode_fragment(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    f = flow(app.spa, app.connection, response_mode="fragment")
    response = sign_in(browser, f, user["email"])
    assert response.status_code in (302, 303)
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    assert not location.query
    params = {k: v[0] for k, v in parse_qs(location.fragment).items()}
    assert set(params) == {"code", "state"}
    assert params["state"] == f.state
    assert tokens(exchange(server, app.spa, params["code"], f))["access_token"]
    # Errors travel the same way.
    browser.cookies.clear()
    f = flow(app.spa, app.connection, response_mode="fragment", prompt="none")
    location = urlsplit(authorize(browser, f).headers["location"])
    params = {k: v[0] for k, v in parse_qs(location.fragment).items()}
    assert not location.query
    assert params["error"] == "login_required"
    assert params["state"] == f.state


def test_response_mode_form_post(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    f = flow(app.spa, app.connection, response_mode="form_post")
    response = sign_in(browser, f, user["email"])
    assert response.status_code == 200, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    form = form_to(response, CALLBACK)
    assert form.method == "post"
    assert form.names() == {"code", "state"}
    assert form.value("state") == f.state
    assert tokens(exchange(server, app.spa, form.value("code"), f))["access_token"]


def test_an_unknown_response_mode_is_refused(browser: httpx.Client, app: App) -> None:
    f = flow(app.spa, app.connection, response_mode="web_message_x")
    assert_redirected_error(authorize(browser, f), f, "invalid_request")


# --- sessions and prompt --------------------------------------------------------------------


def test_prompt_none_without_a_session_is_login_required(browser: httpx.Client, app: App) -> None:
    assert_no_session(browser, app)


def test_prompt_none_with_a_session_gives_a_code_at_once(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    signed_in_code(browser, app, user)
    f = flow(app.spa, app.connection, prompt="none")
    code = code_from(authorize(browser, f), f)
    claims = verified(
        server, tokens(exchange(server, app.spa, code, f))["id_token"], app.spa.client_id
    )
    assert claims["sub"] == user["user_id"]
    assert claims["nonce"] == f.params["nonce"]


def test_single_sign_on_across_requests_and_clients(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    first = flow(app.spa, app.connection)
    first_tokens = tokens(
        exchange(server, app.spa, signed_in_code_for(browser, first, user), first)
    )
    auth_time = verified(server, first_tokens["id_token"], app.spa.client_id)["auth_time"]
    for client in (app.spa, app.second):
        f = flow(client, app.connection)
        code = code_from(authorize(browser, f), f)  # no login page
        claims = verified(
            server, tokens(exchange(server, client, code, f))["id_token"], client.client_id
        )
        assert claims["sub"] == user["user_id"]
        assert claims["auth_time"] == auth_time  # the session's sign-in, not a new one


def test_an_application_with_sso_disabled_always_asks_for_credentials(
    server: RunningServer, api: Api, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    lonely = code_client(api, "spa", sso_disabled=True)
    enable(api, connection_id_by_name(api, app.connection), lonely.client_id)
    signed_in_code(browser, app, user)
    f = flow(lonely, app.connection)
    page = login_page(browser, f)  # the login page, not a code
    code = code_from(post_login(browser, page, user["email"]), f)
    assert tokens(exchange(server, lonely, code, f))["id_token"]
    silent = flow(lonely, app.connection, prompt="none")
    assert_redirected_error(authorize(browser, silent), silent, "login_required")
    assert_session(browser, app)  # the other applications keep their single sign-on


def signed_in_code_for(browser: httpx.Client, f: Flow, user: dict[str, Any]) -> str:
    return code_from(sign_in(browser, f, user["email"]), f)


def test_prompt_login_shows_the_page_despite_a_session(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    signed_in_code(browser, app, user)
    f = flow(app.spa, app.connection, prompt="login")
    page = login_page(browser, f)
    code = code_from(post_login(browser, page, user["email"]), f)
    assert tokens(exchange(server, app.spa, code, f))["id_token"]


def test_another_browser_does_not_share_the_session(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    signed_in_code(browser, app, user)
    with browser_client(base_url=server.base_url, follow_redirects=False) as other:
        assert_no_session(other, app)


# --- the login page -------------------------------------------------------------------------


def test_the_login_page_labels_its_inputs(browser: httpx.Client, app: App) -> None:
    page = login_page(browser, flow(app.spa, app.connection))
    assert page.headers["content-type"].startswith("text/html")
    parsed = parse(page.text)
    login = form_to(page, "/u/login")
    assert login.method == "post"
    assert {"tx", "csrf", "username", "password"} <= login.names()
    for name in ("username", "password"):
        field_ = next(i for i in login.inputs if i.get("name") == name)
        assert field_.get("id") in parsed.labels, (name, parsed.labels)
    password = next(i for i in login.inputs if i.get("name") == "password")
    assert password.get("type") == "password"


def test_page_responses_refuse_framing(
    browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    f = flow(app.spa, app.connection, response_mode="form_post")
    page = login_page(browser, f)
    wrong = post_login(browser, page, user["email"], "Wr0ng!Passw0rd")
    posted = post_login(browser, page, user["email"])
    error = authorize(browser, flow(Client("no-such-client"), app.connection))
    for response in (page, wrong, posted, error):
        assert response.headers["x-frame-options"] == "DENY"
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp, csp
        assert "no-store" in response.headers["cache-control"]


def csp_directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    pairs = (d.strip().partition(" ") for d in policy.split(";") if d.strip())
    return {name: value.strip() for name, _, value in pairs}


def test_pages_carry_nosniff_and_a_strict_csp(
    browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    """Forms post only where they must, and every inline style or script needs the page's
    own fresh nonce (never an empty `'nonce-'`)."""
    page = login_page(browser, flow(app.spa, app.connection))
    wrong = post_login(browser, page, user["email"], "Wr0ng!Passw0rd")
    again = login_page(browser, flow(app.spa, app.connection))
    error = authorize(browser, flow(Client("no-such-client"), app.connection))
    nonces = set()
    for response in (page, wrong, again, error):
        assert response.headers["x-content-type-options"] == "nosniff"
        csp = csp_directives(response)
        assert csp["default-src"] == "'none'"
        assert csp["base-uri"] == "'none'"
        for directive in ("script-src", "style-src"):
            (source,) = csp[directive].split()
            assert source.startswith("'nonce-") and len(source) > len("'nonce-'") + 16, csp
            assert f'nonce="{source[7:-1]}"' in response.text or directive == "script-src"
        nonces.add(csp["script-src"])
    # The login form posts here, and its answer redirects to the application's callback.
    assert csp_directives(page)["form-action"] == "'self' https://app.example.com"
    assert csp_directives(error)["form-action"] == "'none'"
    assert len(nonces) == 4  # fresh on every page


def test_a_form_post_answer_may_post_to_the_application_only(
    browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    response = sign_in(
        browser, flow(app.spa, app.connection, response_mode="form_post"), user["email"]
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    csp = csp_directives(response)
    assert csp["form-action"] == "https://app.example.com"
    nonce = csp["script-src"].removeprefix("'nonce-").removesuffix("'")
    assert nonce and f'<script nonce="{nonce}">' in response.text


def test_a_wrong_password_shows_the_error_and_starts_no_session(
    browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    page = login_page(browser, flow(app.spa, app.connection))
    before = set(browser.cookies.keys())
    response = post_login(browser, page, user["email"], "Wr0ng!Passw0rd")
    assert response.status_code == 401, response.text
    assert "location" not in response.headers
    assert "Wrong email or password." in response.text
    assert set(browser.cookies.keys()) == before
    # The page is shown again, ready for another try with the email kept.
    assert form_to(response, "/u/login").value("username") == user["email"]
    assert_no_session(browser, app)
    unknown = post_login(browser, page, unique_email("nobody"))
    assert unknown.status_code == 401
    assert "Wrong email or password." in unknown.text


def session_cookie_attributes(browser: httpx.Client, f: Flow, email: str) -> dict[str, str]:
    """The attributes (lower-cased names) of the one cookie a sign-in adds."""
    page = login_page(browser, f)
    before = set(browser.cookies.keys())
    response = post_login(browser, page, email)
    assert response.status_code in (302, 303)
    new = set(browser.cookies.keys()) - before
    assert len(new) == 1, (before, browser.cookies.keys())
    (name,) = new
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, headers
    for header in page.headers.get_list("set-cookie"):  # the CSRF cookie too
        assert "httponly" in header.lower(), header
    return {
        a.strip().split("=")[0].lower(): a.strip().partition("=")[2].lower()
        for a in headers[0].split(";")[1:]
    }


def test_the_session_cookie_reaches_other_sites_frames_on_loopback(
    browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    """The test server is http://127.0.0.1, a secure context to browsers: the session is
    `SameSite=None; Secure`, so silent authentication works from another site's iframe."""
    attributes = session_cookie_attributes(browser, flow(app.spa, app.connection), user["email"])
    assert "httponly" in attributes and "secure" in attributes, attributes
    assert attributes["samesite"] == "none", attributes
    assert attributes.get("path", "/") == "/"


@pytest.fixture(scope="module")
def plain_http_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server whose issuer is a plain-http name (not loopback): browsers refuse Secure
    cookies there."""
    port = free_port()
    env = {"SELFAUTH_ISSUER": f"http://auth.invalid:{port}/"}
    directory = tmp_path_factory.mktemp("plain-http")
    running = start(f"sqlite:///{directory / 'db.sqlite'}", directory / "log", "sqlite", env, port)
    yield running
    stop(running)


@pytest.mark.sqlite_only
def test_over_plain_http_the_session_cookie_is_lax(plain_http_host: RunningServer) -> None:
    port = plain_http_host.base_url.rsplit(":", 1)[1]
    token = http(plain_http_host.base_url).post(
        "/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": plain_http_host.client_id,
            "client_secret": plain_http_host.client_secret,
            "audience": f"http://auth.invalid:{port}/api/v2/",
        },
    )
    assert token.status_code == 200, token.text
    api = Api(plain_http_host, token.json()["access_token"])
    try:
        client = code_client(api, "spa")
        connection = new_connection(api, client.client_id)["name"]
        user = api.create_user(connection=connection)
        with browser_client(base_url=plain_http_host.base_url, follow_redirects=False) as browser:
            attributes = session_cookie_attributes(browser, flow(client, connection), user["email"])
    finally:
        api.http.close()
    assert attributes["samesite"] == "lax", attributes
    assert "secure" not in attributes, attributes


def test_the_form_needs_its_csrf_token_and_an_unaltered_transaction(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    f = flow(app.spa, app.connection)
    page = login_page(browser, f)
    form = form_to(page, "/u/login")
    tx, csrf = form.value("tx"), form.value("csrf")
    assert tx and csrf
    good = {"tx": tx, "csrf": csrf, "username": user["email"], "password": PASSWORD}
    altered = tx[:-2] + ("AA" if not tx.endswith("AA") else "BB")
    body, _, signature = tx.partition(".")
    tampered_body = body[:-4] + ("AAAA" if not body.endswith("AAAA") else "BBBB")
    for data in (
        {**good, "csrf": ""},
        {k: v for k, v in good.items() if k != "csrf"},
        {**good, "csrf": secrets.token_urlsafe(24)},
        {**good, "tx": altered},
        {**good, "tx": f"{tampered_body}.{signature}"},
        {**good, "tx": ""},
        {k: v for k, v in good.items() if k != "tx"},
    ):
        response = browser.post("/u/login", data=data)
        assert_error_page(response)
        assert_no_session(browser, app)
    # A form posted from another browser (no CSRF cookie) is refused too.
    with browser_client(base_url=server.base_url, follow_redirects=False) as other:
        assert_error_page(other.post("/u/login", data=good))
    # The untouched form still works.
    assert code_from(browser.post("/u/login", data=good), f)


def test_a_csrf_pair_the_attacker_chose_is_refused(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    """Field equal to cookie is no proof: the token is the server's MAC of the browser's
    cookie and this transaction, so a pair an attacker plants is refused."""
    f = flow(app.spa, app.connection)
    form = form_to(login_page(browser, f), "/u/login")
    good = {"tx": form.value("tx"), "username": user["email"], "password": PASSWORD}
    planted = secrets.token_urlsafe(24)
    with browser_client(base_url=server.base_url, follow_redirects=False) as attacked:
        for name in ("selfauth_csrf", "__Host-selfauth_csrf"):
            attacked.cookies.set(name, planted)
        assert_error_page(attacked.post("/u/login", data={**good, "csrf": planted}))
        assert_no_session(attacked, app)


def test_a_csrf_token_is_bound_to_its_transaction_and_browser(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    first = form_to(login_page(browser, flow(app.spa, app.connection)), "/u/login")
    f = flow(app.spa, app.connection)
    second = form_to(login_page(browser, f), "/u/login")
    assert first.value("csrf") != second.value("csrf")
    credentials = {"username": user["email"], "password": PASSWORD}
    # The first page's token does not vouch for the second page's transaction.
    swapped = {**credentials, "tx": second.value("tx"), "csrf": first.value("csrf")}
    assert_error_page(browser.post("/u/login", data=swapped))
    assert_no_session(browser, app)
    # Another browser's cookie, with this page's transaction and token, is refused.
    with browser_client(base_url=server.base_url, follow_redirects=False) as other:
        login_page(other, flow(app.spa, app.connection))  # gets a cookie of its own
        paired = {**credentials, "tx": second.value("tx"), "csrf": second.value("csrf")}
        assert_error_page(other.post("/u/login", data=paired))
        assert_no_session(other, app)
    # Each page's own pair still works.
    own = {**credentials, "tx": second.value("tx"), "csrf": second.value("csrf")}
    assert code_from(browser.post("/u/login", data=own), f)


def test_sign_up_creates_the_user_and_signs_in(
    server: RunningServer, api: Api, browser: httpx.Client, app: App
) -> None:
    f = flow(app.spa, app.connection, screen_hint="signup")  # the sign-up screen
    page = login_page(browser, f)
    form = form_to(page, "/u/signup")
    assert {"tx", "csrf", "email", "password"} <= form.names()
    email = unique_email("signup")
    response = browser.post(
        "/u/signup",
        data={
            "tx": form.value("tx"),
            "csrf": form.value("csrf"),
            "email": email,
            "password": PASSWORD,
        },
    )
    code = code_from(response, f)
    claims = verified(
        server, tokens(exchange(server, app.spa, code, f))["id_token"], app.spa.client_id
    )
    found = api.get("/api/v2/users-by-email", email=email).json()
    assert len(found) == 1, found
    assert found[0]["user_id"] == claims["sub"]
    assert found[0]["identities"][0]["connection"] == app.connection
    assert found[0]["logins_count"] == 1
    assert_session(browser, app)


def test_sign_up_with_a_taken_email_or_a_weak_password_shows_why(
    api: Api, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    page = login_page(browser, flow(app.spa, app.connection, screen_hint="signup"))
    form = form_to(page, "/u/signup")
    base = {"tx": form.value("tx"), "csrf": form.value("csrf")}
    taken = browser.post("/u/signup", data={**base, "email": user["email"], "password": PASSWORD})
    assert taken.status_code == 400, taken.text
    assert "already exists" in taken.text.lower()
    assert form_to(taken, "/u/signup")
    email = unique_email("weak")
    weak = browser.post("/u/signup", data={**base, "email": email, "password": "abc"})
    assert weak.status_code == 400, weak.text
    assert "location" not in weak.headers
    assert 'role="alert"' in weak.text and "password" in weak.text.lower()
    assert form_to(weak, "/u/signup")
    assert api.get("/api/v2/users-by-email", email=email).json() == []
    assert_no_session(browser, app)


def test_disable_signup_hides_the_form_and_refuses_the_post(
    api: Api, browser: httpx.Client, app: App
) -> None:
    page = login_page(browser, flow(app.spa, app.closed_connection))
    assert [f for f in parse(page.text).forms if f.action == "/u/signup"] == []
    # screen_hint=signup shows the sign-in screen instead.
    hinted = login_page(browser, flow(app.spa, app.closed_connection, screen_hint="signup"))
    assert [f for f in parse(hinted.text).forms if f.action == "/u/signup"] == []
    assert form_to(hinted, "/u/login")
    login = form_to(page, "/u/login")
    email = unique_email("closed")
    response = browser.post(
        "/u/signup",
        data={
            "tx": login.value("tx"),
            "csrf": login.value("csrf"),
            "email": email,
            "password": PASSWORD,
        },
    )
    assert 400 <= response.status_code < 500, response.status_code
    assert "location" not in response.headers
    assert api.get("/api/v2/users-by-email", email=email).json() == []
    assert_no_session(browser, app)


# --- the code exchange ----------------------------------------------------------------------


def test_the_code_gives_tokens_with_the_nonce_audience_and_auth_time(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    f = flow(app.spa, app.connection)
    code = code_from(sign_in(browser, f, user["email"]), f)
    response = exchange(server, app.spa, code, f)
    body = tokens(response)
    assert response.headers["cache-control"] == "no-store"
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"]
    claims = verified(server, body["id_token"], app.spa.client_id)
    assert claims["aud"] == app.spa.client_id
    assert claims["sub"] == user["user_id"]
    assert claims["nonce"] == f.params["nonce"]
    assert isinstance(claims["auth_time"], int)
    assert claims["iat"] - 120 <= claims["auth_time"] <= claims["iat"]
    assert claims["email"] == user["email"]
    userinfo = http(server.base_url).get(
        "/userinfo", headers={"authorization": f"Bearer {body['access_token']}"}
    )
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == user["user_id"]


def test_pkce_verifier_is_required_and_checked(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    signed_in_code(browser, app, user)
    other_verifier, _ = pkce_pair()
    for verifier in (None, "", other_verifier, "short"):
        f = flow(app.spa, app.connection)
        code = code_from(authorize(browser, f), f)
        assert_invalid_grant(exchange(server, app.spa, code, f, code_verifier=verifier))
    # The challenge itself is not the verifier.
    f = flow(app.spa, app.connection)
    code = code_from(authorize(browser, f), f)
    challenge = f.params["code_challenge"]
    assert_invalid_grant(exchange(server, app.spa, code, f, code_verifier=challenge))


def test_the_redirect_uri_must_match(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    signed_in_code(browser, app, user)
    for given in (OTHER_CALLBACK, CALLBACK + "/", None):
        f = flow(app.spa, app.connection)
        code = code_from(authorize(browser, f), f)
        assert_invalid_grant(exchange(server, app.spa, code, f, redirect_uri=given))


def test_the_code_is_bound_to_its_client(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    signed_in_code(browser, app, user)
    f = flow(app.spa, app.connection)
    code = code_from(authorize(browser, f), f)
    assert_invalid_grant(exchange(server, app.second, code, f))
    assert_invalid_grant(exchange(server, app.web, code, f))


def test_a_code_is_single_use_and_reuse_revokes_its_tokens(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    f = flow(app.spa, app.connection)
    code = code_from(sign_in(browser, f, user["email"]), f)
    first = tokens(exchange(server, app.spa, code, f))
    assert_invalid_grant(exchange(server, app.spa, code, f))
    assert_invalid_grant(refresh(server, app.spa, first["refresh_token"]))


def test_reuse_also_revokes_refresh_tokens_rotated_from_the_first(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    f = flow(app.spa, app.connection)
    code = code_from(sign_in(browser, f, user["email"]), f)
    first = tokens(exchange(server, app.spa, code, f))
    rotated = tokens(refresh(server, app.spa, first["refresh_token"]))
    newest = rotated.get("refresh_token", first["refresh_token"])
    assert_invalid_grant(exchange(server, app.spa, code, f))
    assert_invalid_grant(refresh(server, app.spa, newest))


def test_an_unknown_code_is_invalid_grant(server: RunningServer, app: App) -> None:
    f = flow(app.spa, app.connection)
    assert_invalid_grant(exchange(server, app.spa, secrets.token_urlsafe(32), f))


def test_a_confidential_client_may_skip_pkce(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    assert app.web.secret
    f = flow(app.web, app.connection, pkce=False)
    code = code_from(sign_in(browser, f, user["email"]), f)
    # Without its secret it is not the confidential client it claims to be.
    unauthenticated = exchange(server, app.web, code, f, client_secret=None)
    assert unauthenticated.status_code in (401, 403), unauthenticated.text
    f2 = flow(app.web, app.connection, pkce=False)
    code = code_from(authorize(browser, f2), f2)
    claims = verified(
        server, tokens(exchange(server, app.web, code, f2))["id_token"], app.web.client_id
    )
    assert claims["sub"] == user["user_id"]
    assert claims["nonce"] == f2.params["nonce"]


def test_a_confidential_client_that_sent_a_challenge_must_send_the_verifier(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    f = flow(app.web, app.connection)
    code = code_from(sign_in(browser, f, user["email"]), f)
    assert_invalid_grant(exchange(server, app.web, code, f, code_verifier=None))


def test_an_access_token_for_the_management_api_reads_the_own_user(
    server: RunningServer, api: Api, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    f = flow(app.spa, app.connection, audience=server.audience, scope="openid read:current_user")
    code = code_from(sign_in(browser, f, user["email"]), f)
    body = tokens(exchange(server, app.spa, code, f))
    claims = verified(server, body["access_token"], server.audience)
    assert "read:current_user" in claims["scope"].split()
    assert claims["azp"] == app.spa.client_id
    headers = {"authorization": f"Bearer {body['access_token']}"}
    own = http(server.base_url).get(user_path(user["user_id"]), headers=headers)
    assert own.status_code == 200, own.text
    assert own.json()["email"] == user["email"]
    someone = api.create_user(connection=app.connection)
    other = http(server.base_url).get(user_path(someone["user_id"]), headers=headers)
    assert other.status_code == 403, other.text


# --- logout ---------------------------------------------------------------------------------


def session_cleared(response: httpx.Response, name: str) -> bool:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            lowered = header.lower()
            return (
                header.startswith(f'{name}="";')
                or header.startswith(f"{name}=;")
                or ("max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered)
            )
    return False


def session_cookie_name(browser: httpx.Client, app: App, user: dict[str, Any]) -> str:
    f = flow(app.spa, app.connection)
    page = login_page(browser, f)
    before = set(browser.cookies.keys())
    code_from(post_login(browser, page, user["email"]), f)
    new = set(browser.cookies.keys()) - before
    assert len(new) == 1, new
    return new.pop()


def test_logout_returns_to_a_registered_url_and_ends_the_session(
    browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    name = session_cookie_name(browser, app, user)
    kept = browser.cookies[name]
    response = browser.get(
        "/v2/logout", params={"client_id": app.spa.client_id, "returnTo": LOGOUT_URL}
    )
    assert response.status_code == 302, response.text
    assert response.headers["location"] == LOGOUT_URL
    assert session_cleared(response, name), response.headers.get_list("set-cookie")
    assert_no_session(browser, app)
    # The old cookie is dead on the server side too, not only forgotten by the browser.
    browser.cookies.set(name, kept)
    assert_no_session(browser, app)


def test_logout_refuses_an_unregistered_return_url(
    browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    name = session_cookie_name(browser, app, user)
    for params in (
        {"client_id": app.spa.client_id, "returnTo": "https://evil.example.com/"},
        {"client_id": app.spa.client_id, "returnTo": LOGOUT_URL + "/x"},
        {"returnTo": LOGOUT_URL},
        {"client_id": "no-such-client", "returnTo": LOGOUT_URL},
    ):
        response = browser.get("/v2/logout", params=params)
        assert_error_page(response)
        assert not session_cleared(response, name)
        assert_session(browser, app)


def test_logout_without_return_url_shows_a_page(
    browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    name = session_cookie_name(browser, app, user)
    response = browser.get("/v2/logout")
    assert response.status_code == 200
    assert session_cleared(response, name)
    assert_no_session(browser, app)


def test_oidc_logout_returns_with_the_state(
    browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    name = session_cookie_name(browser, app, user)
    refused = browser.get(
        "/oidc/logout",
        params={"client_id": app.spa.client_id, "post_logout_redirect_uri": CALLBACK},
    )
    assert_error_page(refused)
    assert_session(browser, app)
    response = browser.get(
        "/oidc/logout",
        params={
            "client_id": app.spa.client_id,
            "post_logout_redirect_uri": LOGOUT_URL,
            "state": "s t&ate",
        },
    )
    assert response.status_code == 302, response.text
    assert redirected(response, LOGOUT_URL) == {"state": "s t&ate"}
    assert session_cleared(response, name)
    assert_no_session(browser, app)
