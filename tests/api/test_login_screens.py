"""The login screens over HTTP, as a browser without JavaScript sees them: sign-in, sign-up and
forgot-password are separate screens of one authorize request, linked with plain links
(`screen_hint`); the connection decides what shows; error pages offer a way back to the
application; `/v2/logout` without a target shows the signed-out page.

Its persistence (clients, connections, users, sessions) is `storage/test_users.py`'s,
`storage/test_clients.py`'s and `storage/test_sessions.py`'s, on every database."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.api import PASSWORD, Api, unique_email
from tests.support.authorize import (
    CALLBACK,
    Client,
    assert_error_page,
    code_client,
    code_from,
    flow,
    form_to,
    login_page,
    parse,
)
from tests.support.browser_client import fresh_browser
from tests.support.server import RunningServer
from tests.support.signin import new_connection

pytestmark = pytest.mark.sqlite_only

INITIATE = "https://app.example.com/login"


@dataclass(frozen=True)
class App:
    client: Client  # callbacks on https://app.example.com, no initiate_login_uri
    starting: Client  # the same with an initiate_login_uri
    connection: str
    closed: str  # disable_signup
    usernames: str  # requires_username


@pytest.fixture
def browser(server: RunningServer) -> httpx.Client:
    return fresh_browser(server.base_url)


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    client = code_client(api, "spa")
    starting = code_client(api, "spa", initiate_login_uri=INITIATE)
    ids = (client.client_id, starting.client_id)
    return App(
        client=client,
        starting=starting,
        connection=new_connection(api, *ids)["name"],
        closed=new_connection(api, *ids, disable_signup=True)["name"],
        usernames=new_connection(api, *ids, requires_username=True)["name"],
    )


def link(response: httpx.Response, element_id: str) -> str | None:
    found = re.search(rf'<a id="{element_id}" href="([^"]*)"', response.text)
    return html.unescape(found[1]) if found else None


def query_of(href: str) -> dict[str, str]:
    parts = urlsplit(href)
    assert parts.path == "/authorize" and not parts.netloc, href
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


def actions(response: httpx.Response) -> list[str]:
    return [form.action for form in parse(response.text).forms]


def test_sign_in_and_sign_up_are_separate_screens_linked_to_each_other(
    browser: httpx.Client, app: App
) -> None:
    f = flow(app.client, app.connection, ui_locales="en")
    sign_in = login_page(browser, f)
    assert actions(sign_in) == ["/u/login"]
    assert '<h1 id="signin-title">' in sign_in.text
    to_signup = link(sign_in, "signup-link")
    assert to_signup is not None
    # The same authorize request, asking for the sign-up screen.
    assert query_of(to_signup) == {**f.params, "screen_hint": "signup"}
    sign_up = browser.get(to_signup)
    assert sign_up.status_code == 200
    assert actions(sign_up) == ["/u/signup"]
    assert '<h1 id="signup-title">' in sign_up.text
    assert '<html lang="en">' in sign_up.text
    back = link(sign_up, "login-link")
    assert back is not None and query_of(back) == f.params
    assert actions(browser.get(back)) == ["/u/login"]


def test_screen_hint_signup_opens_sign_up_and_its_form_signs_up(
    browser: httpx.Client, app: App
) -> None:
    f = flow(app.client, app.connection, screen_hint="signup")
    page = login_page(browser, f)
    form = form_to(page, "/u/signup")
    assert {"tx", "csrf", "email", "password"} <= form.names()
    assert "signup-username" not in parse(page.text).labels
    # The policy's rules are listed as text (no JavaScript needed), one item each.
    rules = re.findall(r'<li data-rule="([a-z_]+)" data-value="([^"]*)">', page.text)
    assert rules == [("length", "8"), ("three_of", "lowercase uppercase number special")]
    assert "at least 8 characters" in page.text
    email = unique_email("screens")
    done = browser.post(
        "/u/signup",
        data={
            "tx": form.value("tx"),
            "csrf": form.value("csrf"),
            "email": email,
            "password": PASSWORD,
        },
    )
    assert code_from(done, f)


def test_a_refused_sign_up_comes_back_to_the_sign_up_screen(
    browser: httpx.Client, app: App
) -> None:
    page = login_page(browser, flow(app.client, app.connection, screen_hint="signup"))
    form = form_to(page, "/u/signup")
    email = unique_email("weak")
    weak = browser.post(
        "/u/signup",
        data={"tx": form.value("tx"), "csrf": form.value("csrf"), "email": email, "password": "x"},
    )
    assert weak.status_code == 400
    assert actions(weak) == ["/u/signup"]
    assert form_to(weak, "/u/signup").value("email") == email
    assert 'id="signup-error"' in weak.text


def test_a_wrong_password_comes_back_to_the_sign_in_screen(
    browser: httpx.Client, app: App, api: Api
) -> None:
    user = api.create_user(connection=app.connection)
    # Even when the request asked for sign-up first and the user went back to sign in.
    page = login_page(browser, flow(app.client, app.connection, screen_hint="login"))
    form = form_to(page, "/u/login")
    wrong = browser.post(
        "/u/login",
        data={
            "tx": form.value("tx"),
            "csrf": form.value("csrf"),
            "username": user["email"],
            "password": "Wr0ng!Passw0rd",
        },
    )
    assert wrong.status_code == 401
    assert actions(wrong) == ["/u/login"]
    assert 'id="error"' in wrong.text


def test_disable_signup_hides_the_sign_up_link_and_screen(browser: httpx.Client, app: App) -> None:
    page = login_page(browser, flow(app.client, app.closed))
    assert link(page, "signup-link") is None
    assert link(page, "forgot-link") is not None
    hinted = login_page(browser, flow(app.client, app.closed, screen_hint="signup"))
    assert actions(hinted) == ["/u/login"]


def test_requires_username_asks_for_a_username_on_both_screens(
    browser: httpx.Client, app: App, api: Api
) -> None:
    sign_in = login_page(browser, flow(app.client, app.usernames))
    assert re.search(r'<label for="username">Email or username</label>', sign_in.text)
    f = flow(app.client, app.usernames, screen_hint="signup")
    sign_up = login_page(browser, f)
    form = form_to(sign_up, "/u/signup")
    assert "username" in form.names()
    assert "signup-username" in parse(sign_up.text).labels
    username = f"u{unique_email('x').split('@')[0][-12:]}".replace("-", "")
    email = unique_email("named")
    done = browser.post(
        "/u/signup",
        data={
            "tx": form.value("tx"),
            "csrf": form.value("csrf"),
            "email": email,
            "username": username,
            "password": PASSWORD,
        },
    )
    assert code_from(done, f)
    [created] = api.get("/api/v2/users-by-email", email=email).json()
    assert created["username"] == username.lower()


def test_forgot_password_is_a_screen_of_its_own_linked_from_sign_in(
    browser: httpx.Client, app: App
) -> None:
    f = flow(app.client, app.connection)
    forgot = link(login_page(browser, f), "forgot-link")
    assert forgot is not None and query_of(forgot) == {**f.params, "screen_hint": "reset-password"}
    page = browser.get(forgot)
    assert actions(page) == ["/u/forgot-password"]
    form = form_to(page, "/u/forgot-password")
    sent = browser.post(
        "/u/forgot-password",
        data={"tx": form.value("tx"), "csrf": form.value("csrf"), "email": unique_email("f")},
    )
    assert sent.status_code == 200 and "reset your password" in sent.text
    back = link(page, "login-link")
    assert back is not None and query_of(back) == f.params


def test_the_screens_script_is_a_static_file_loaded_with_the_pages_nonce(
    browser: httpx.Client, app: App
) -> None:
    page = login_page(browser, flow(app.client, app.connection, screen_hint="signup"))
    csp = page.headers["content-security-policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", csp)
    assert nonce, csp
    assert f'<script nonce="{nonce[1]}" src="/u/assets/screens.js" defer></script>' in page.text
    # The toggle is in the page but hidden: without the script it is not there for anyone.
    assert re.search(
        r'<button type="button" class="toggle"[^>]*aria-pressed="false"\s+hidden>', page.text
    )
    script = browser.get("/u/assets/screens.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"
    assert "data-password-toggle" in script.text


def test_an_error_page_links_back_to_the_applications_initiate_login_uri(
    browser: httpx.Client, app: App
) -> None:
    page = browser.get(
        "/authorize",
        params={**flow(app.starting, app.connection).params, "redirect_uri": "https://evil.test/"},
    )
    assert_error_page(page)
    assert link(page, "back-link") == INITIATE
    assert 'href="https://evil.test' not in page.text


def test_an_error_page_links_back_to_the_first_callbacks_origin_without_initiate_login_uri(
    browser: httpx.Client, app: App
) -> None:
    f = flow(app.client, app.connection, redirect_uri="https://evil.test/callback")
    page = browser.get("/authorize", params=f.params)
    assert_error_page(page)
    assert link(page, "back-link") == f"{urlsplit(CALLBACK).scheme}://{urlsplit(CALLBACK).netloc}/"
    assert 'id="start-again"' not in page.text


def test_an_error_page_without_a_known_application_says_to_start_again(
    browser: httpx.Client, app: App
) -> None:
    unknown = browser.get("/authorize", params=flow(Client("no-such-client"), None).params)
    assert_error_page(unknown)
    assert link(unknown, "back-link") is None
    assert 'id="start-again"' in unknown.text
    expired = browser.post("/u/login", data={"tx": "x", "csrf": "y", "username": "a"})
    assert_error_page(expired)
    assert 'id="start-again"' in expired.text
    assert link(expired, "back-link") is None


def test_logout_without_a_target_shows_the_signed_out_page(browser: httpx.Client, app: App) -> None:
    page = browser.get("/v2/logout")
    assert page.status_code == 200
    assert "You are signed out." in page.text
    assert 'role="alert"' not in page.text and 'id="start-again"' not in page.text
    # With the application named, a way back to it.
    named = browser.get("/v2/logout", params={"client_id": app.starting.client_id})
    assert named.status_code == 200 and "You are signed out." in named.text
    assert link(named, "back-link") == INITIATE
    # With a returnTo, Auth0's redirect (unchanged).
    sent = browser.get(
        "/v2/logout",
        params={
            "client_id": app.client.client_id,
            "returnTo": "https://app.example.com/signed-out",
        },
    )
    assert sent.status_code == 302
    assert sent.headers["location"] == "https://app.example.com/signed-out"
