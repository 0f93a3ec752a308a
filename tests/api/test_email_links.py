"""The links of verification and password-change mails, made here by the Management API's
tickets (`POST /api/v2/tickets/...`) and followed as a browser does: the GET shows a form and
spends nothing, the form's POST (CSRF-protected) makes the change once, before the link
expires, and sends the browser to the result URL with Auth0's `success` and `message`."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.api import PASSWORD, Api, assert_coded_error, user_path
from tests.support.browser_client import browser_client
from tests.support.server import RunningServer
from tests.support.signin import App, login, new_app, post_token, tokens

NEW_PASSWORD = "An0ther!Passw0rd"
_HIDDEN = re.compile(r'<input type="hidden" name="(ticket|csrf)" value="([^"]*)">')


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    return new_app(api)


@pytest.fixture
def browser(server: RunningServer) -> Iterator[httpx.Client]:
    with browser_client(base_url=server.base_url, timeout=30, follow_redirects=False) as client:
        yield client


def ticket(api: Api, kind: str, **body: Any) -> str:
    response = api.post(f"/api/v2/tickets/{kind}", body)
    assert response.status_code == 201, response.text
    url: str = response.json()["ticket"]
    return url


def open_form(browser: httpx.Client, url: str) -> dict[str, str]:
    """GET the link (as the browser does) and read the form's hidden fields."""
    page = browser.get(url)
    assert page.status_code == 200, page.text
    fields = dict(_HIDDEN.findall(page.text))
    assert set(fields) == {"ticket", "csrf"}, page.text
    return fields


def test_a_verification_link_verifies_once(
    server: RunningServer, api: Api, app: App, browser: httpx.Client
) -> None:
    user = api.create_user(connection=app.connection)
    url = ticket(api, "email-verification", user_id=user["user_id"])
    assert url.startswith(f"{server.issuer}u/email-verification?ticket=") and url.endswith("#")
    fields = open_form(browser, url)
    assert api.user(user["user_id"])["email_verified"] is False  # the GET spent nothing
    done = browser.post("/u/email-verification", data=fields)
    assert done.status_code == 200, done.text
    assert "Your email was verified" in done.text
    assert api.user(user["user_id"])["email_verified"] is True
    again = browser.post("/u/email-verification", data=fields)
    assert again.status_code == 400 and "Access expired." in again.text
    assert browser.get(url).status_code == 400


def test_the_result_url_gets_auth0s_query(api: Api, app: App, browser: httpx.Client) -> None:
    user = api.create_user(connection=app.connection)
    url = ticket(
        api,
        "email-verification",
        user_id=user["user_id"],
        result_url="https://app.example.com/verified?from=mail",
    )
    done = browser.post("/u/email-verification", data=open_form(browser, url))
    assert done.status_code == 303
    location = urlsplit(done.headers["location"])
    assert location.netloc == "app.example.com" and location.path == "/verified"
    assert parse_qs(location.query) == {
        "from": ["mail"],
        "email": [user["email"]],
        "message": ["Your email was verified. You can continue using the application."],
        "success": ["true"],
    }
    hidden = ticket(
        api,
        "email-verification",
        user_id=user["user_id"],
        result_url="https://app.example.com/v",
        includeEmailInRedirect=False,
    )
    done = browser.post("/u/email-verification", data=open_form(browser, hidden))
    assert "email" not in parse_qs(urlsplit(done.headers["location"]).query)


def test_a_form_without_its_csrf_token_changes_nothing(
    api: Api, app: App, browser: httpx.Client
) -> None:
    user = api.create_user(connection=app.connection)
    fields = open_form(browser, ticket(api, "email-verification", user_id=user["user_id"]))
    with browser_client(base_url=browser.base_url, follow_redirects=False) as other:
        refused = other.post("/u/email-verification", data=fields)  # another browser's token
    assert refused.status_code == 400
    forged = browser.post("/u/email-verification", data={**fields, "csrf": "x" * 64})
    assert forged.status_code == 400
    assert api.user(user["user_id"])["email_verified"] is False


def test_an_expired_link_is_refused(api: Api, app: App, browser: httpx.Client) -> None:
    user = api.create_user(connection=app.connection)
    url = ticket(api, "email-verification", user_id=user["user_id"], ttl_sec=1)
    fields = open_form(browser, url)
    time.sleep(1.2)
    assert browser.post("/u/email-verification", data=fields).status_code == 400
    assert api.user(user["user_id"])["email_verified"] is False


def test_a_password_change_link_sets_the_password_and_ends_sessions(
    server: RunningServer, api: Api, app: App, browser: httpx.Client
) -> None:
    user = api.create_user(connection=app.connection)
    before = tokens(login(server, app, user["email"], scope="openid offline_access"))
    url = ticket(api, "password-change", user_id=user["user_id"], mark_email_as_verified=True)
    assert url.startswith(f"{server.issuer}u/reset-password?ticket=")
    page = browser.get(url)
    assert "at least" in page.text  # the connection's policy is shown
    fields = dict(_HIDDEN.findall(page.text))

    mismatch = browser.post(
        "/u/reset-password", data={**fields, "password": NEW_PASSWORD, "confirm": "other"}
    )
    assert mismatch.status_code == 400 and "do not match" in mismatch.text
    weak = browser.post("/u/reset-password", data={**fields, "password": "a", "confirm": "a"})
    assert weak.status_code == 400 and "too weak" in weak.text
    assert tokens(login(server, app, user["email"]))  # nothing changed yet

    done = browser.post(
        "/u/reset-password", data={**fields, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.status_code == 200 and "Your password has been changed" in done.text
    assert login(server, app, user["email"]).status_code == 403
    assert tokens(login(server, app, user["email"], NEW_PASSWORD))
    refreshed = post_token(
        server,
        {
            "grant_type": "refresh_token",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "refresh_token": before["refresh_token"],
        },
    )
    assert refreshed.status_code == 403, refreshed.text  # the reset revoked it
    changed = api.user(user["user_id"])
    assert changed["email_verified"] is True
    assert changed["last_password_reset"]
    spent = browser.post(
        "/u/reset-password", data={**fields, "password": PASSWORD, "confirm": PASSWORD}
    )
    assert spent.status_code == 400
    assert tokens(login(server, app, user["email"], NEW_PASSWORD))


def test_a_password_change_ticket_by_connection_and_email(
    api: Api, app: App, browser: httpx.Client
) -> None:
    user = api.create_user(connection=app.connection)
    url = ticket(
        api,
        "password-change",
        connection_id=app.connection_id,
        email=user["email"],
        result_url="https://app.example.com/changed",
    )
    fields = open_form(browser, url)
    done = browser.post(
        "/u/reset-password", data={**fields, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.status_code == 303
    assert parse_qs(urlsplit(done.headers["location"]).query)["success"] == ["true"]


@pytest.mark.parametrize(
    ("kind", "body", "status", "code"),
    [
        ("email-verification", {}, 400, "invalid_body"),
        ("email-verification", {"user_id": "auth0|nobody"}, 404, "inexistent_user"),
        (
            "email-verification",
            {"user_id": "auth0|x", "result_url": "https://a.example", "client_id": "c"},
            400,
            "invalid_body",
        ),
        ("email-verification", {"user_id": "auth0|x", "ttl_sec": -1}, 400, "invalid_body"),
        ("password-change", {"email": "a@example.com"}, 400, "invalid_body"),
        ("password-change", {"user_id": "auth0|x", "organization_id": "org_1"}, 400, None),
        ("password-change", {"user_id": "auth0|x", "extra": 1}, 400, "invalid_body"),
    ],
)
def test_bad_ticket_requests(
    api: Api, kind: str, body: dict[str, Any], status: int, code: str | None
) -> None:
    response = api.post(f"/api/v2/tickets/{kind}", body)
    assert response.status_code == status, response.text
    if code is not None:
        assert_coded_error(response, status, code)


def test_tickets_need_create_user_tickets(api: Api, app: App) -> None:
    user = api.create_user(connection=app.connection)
    reader = api.with_scopes("read:users")
    response = reader.post("/api/v2/tickets/email-verification", {"user_id": user["user_id"]})
    assert response.status_code == 403, response.text
    assert api.get(user_path(user["user_id"])).status_code == 200
