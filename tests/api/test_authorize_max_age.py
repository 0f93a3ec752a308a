"""`max_age` at `/authorize` (OIDC Core 3.1.2.1): a session whose sign-in is older than
`max_age` seconds does not count, so the login page comes back (or `login_required` with
`prompt=none`); 0 asks for a sign-in every time. auth0.js's `maxAge` sends it and then refuses
an ID token whose `auth_time` is too old, so a server that ignored it gave auth0.js tokens it
rejects instead of a fresh sign-in. SQLite server only: the sessions' persistence is
`storage/test_sessions.py`'s."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.api import Api
from tests.support.authorize import (
    Client,
    assert_redirected_error,
    authorize,
    code_client,
    code_from,
    exchange,
    flow,
    login_page,
    post_login,
    sign_in,
    verified,
)
from tests.support.browser_client import fresh_browser
from tests.support.polling import wait_until
from tests.support.server import RunningServer
from tests.support.signin import new_connection, tokens

pytestmark = pytest.mark.sqlite_only


@dataclass(frozen=True)
class App:
    spa: Client
    connection: str


@pytest.fixture
def browser(server: RunningServer) -> httpx.Client:
    return fresh_browser(server.base_url)


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    spa = code_client(api, "spa")
    return App(spa, new_connection(api, spa.client_id)["name"])


def signed_in_at(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> int:
    """Signs `user` in; the session's `auth_time`."""
    f = flow(app.spa, app.connection)
    code = code_from(sign_in(browser, f, user["email"]), f)
    id_token = tokens(exchange(server, app.spa, code, f))["id_token"]
    auth_time: int = verified(server, id_token, app.spa.client_id)["auth_time"]
    return auth_time


def test_a_session_within_max_age_answers_at_once(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    auth_time = signed_in_at(server, browser, app, user)
    f = flow(app.spa, app.connection, prompt="none", max_age="3600")
    code = code_from(authorize(browser, f), f)
    claims = verified(
        server, tokens(exchange(server, app.spa, code, f))["id_token"], app.spa.client_id
    )
    assert claims["auth_time"] == auth_time


def test_a_session_older_than_max_age_is_login_required_without_a_prompt(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    auth_time = signed_in_at(server, browser, app, user)
    wait_until(auth_time + 2)  # more than a second since the sign-in, whatever the rounding
    f = flow(app.spa, app.connection, prompt="none", max_age="1")
    assert_redirected_error(authorize(browser, f), f, "login_required")
    longer = flow(app.spa, app.connection, prompt="none", max_age="60")
    code_from(authorize(browser, longer), longer)  # the session itself is still there


def test_max_age_zero_always_shows_the_login_page(
    server: RunningServer, browser: httpx.Client, app: App, user: dict[str, Any]
) -> None:
    auth_time = signed_in_at(server, browser, app, user)
    silent = flow(app.spa, app.connection, prompt="none", max_age="0")
    assert_redirected_error(authorize(browser, silent), silent, "login_required")

    wait_until(auth_time + 1)
    f = flow(app.spa, app.connection, max_age="0")
    page = login_page(browser, f)  # despite the session
    code = code_from(post_login(browser, page, user["email"]), f)
    claims = verified(
        server, tokens(exchange(server, app.spa, code, f))["id_token"], app.spa.client_id
    )
    assert claims["auth_time"] > auth_time  # this sign-in, not the session's old one


@pytest.mark.parametrize("max_age", ["-1", "abc", "1.5", " 5", "99999999999"])
def test_a_malformed_max_age_is_invalid_request(
    browser: httpx.Client, app: App, max_age: str
) -> None:
    f = flow(app.spa, app.connection, max_age=max_age)
    assert_redirected_error(authorize(browser, f), f, "invalid_request")
