"""`POST /usernamepassword/login` and `POST /login/callback`, as auth0.js drives them on a login
page served from selfauth's own origin (Lock or auth0.js on a hosted page): the password posted
as JSON, the answer an HTML form that carries the sealed result to `/login/callback`, which
answers the application as `/authorize` does. tests/browser/test_sdk_hosted_login.py runs the
real auth0.js through it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import PASSWORD, Api
from tests.support.authorize import (
    CALLBACK,
    Client,
    Flow,
    code_client,
    code_from,
    exchange,
    flow,
    fragment,
    verified,
)
from tests.support.browser_client import browser_client
from tests.support.server import RunningServer
from tests.support.signin import new_connection, tokens

_FORM = re.compile(
    r'^<form method="post" name="hiddenform" action="([^"]+)">'
    r'<input type="hidden" name="wa" value="wsignin1.0">'
    r'<input type="hidden" name="wresult" value="([^"]+)">'
    r'<input type="hidden" name="wctx" value="\{\}">'
)


@pytest.fixture(scope="module")
def app(api: Api) -> tuple[Client, str, dict[str, Any]]:
    client = code_client(api, "spa", grant_types=["authorization_code", "implicit"])
    connection = new_connection(api, client.client_id)["name"]
    return client, connection, api.create_user(connection=connection)


@pytest.fixture
def browser(server: RunningServer) -> Iterator[httpx.Client]:
    with browser_client(base_url=server.base_url, timeout=30, follow_redirects=False) as client:
        yield client


def login_body(f: Flow, username: str, password: str = PASSWORD) -> dict[str, Any]:
    """What auth0.js posts: the authorize parameters, the connection as `connection`, and the
    hosted page's extras (`tenant`, `_csrf`, `_intstate`)."""
    return {
        **f.params,
        "tenant": "selfauth",
        "_csrf": "from-the-hosted-page",
        "_intstate": "deprecated",
        "username": username,
        "password": password,
    }


def submitted(browser: httpx.Client, answer: httpx.Response) -> httpx.Response:
    """What auth0.js does with the answer: submit its form."""
    found = _FORM.match(answer.text)
    assert found is not None, answer.text
    action, result = found.groups()
    return browser.post(action, data={"wa": "wsignin1.0", "wresult": result, "wctx": "{}"})


def test_a_right_password_signs_in_through_login_callback(
    server: RunningServer, browser: httpx.Client, app: tuple[Client, str, dict[str, Any]]
) -> None:
    client, connection, user = app
    f = flow(client, connection)
    answer = browser.post("/usernamepassword/login", json=login_body(f, user["email"]))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert _FORM.match(answer.text).group(1) == f"{server.issuer}login/callback"  # type: ignore[union-attr]
    callback = submitted(browser, answer)
    body = tokens(exchange(server, client, code_from(callback, f), f))
    claims = verified(server, body["id_token"], client.client_id)
    assert claims["sub"] == user["user_id"]
    assert claims["nonce"] == f.params["nonce"]
    assert "selfauth_session" in browser.cookies  # the session for the next /authorize


def test_implicit_answers_in_the_fragment(
    server: RunningServer, browser: httpx.Client, app: tuple[Client, str, dict[str, Any]]
) -> None:
    client, connection, user = app
    f = flow(client, connection, pkce=False, response_type="token id_token")
    answer = browser.post("/usernamepassword/login", json=login_body(f, user["email"]))
    params = fragment(submitted(browser, answer), CALLBACK)
    assert params["state"] == f.state
    assert verified(server, params["id_token"], client.client_id)["sub"] == user["user_id"]


def test_a_wrong_password_is_auth0s_validation_error(
    browser: httpx.Client, app: tuple[Client, str, dict[str, Any]]
) -> None:
    client, connection, user = app
    f = flow(client, connection)
    answer = browser.post("/usernamepassword/login", json=login_body(f, user["email"], "nope"))
    assert answer.status_code == 401
    assert answer.json() == {
        "name": "ValidationError",
        "code": "invalid_user_password",
        "description": "Wrong email or password.",
        "statusCode": 401,
    }


def test_the_result_opens_only_in_the_browser_that_got_it(
    server: RunningServer, browser: httpx.Client, app: tuple[Client, str, dict[str, Any]]
) -> None:
    client, connection, user = app
    answer = browser.post(
        "/usernamepassword/login", json=login_body(flow(client, connection), user["email"])
    )
    with browser_client(base_url=server.base_url, follow_redirects=False) as elsewhere:
        copied = submitted(elsewhere, answer)
        assert copied.status_code == 400, copied.text
        assert "selfauth_session" not in elsewhere.cookies
    altered = answer.text.replace('name="wresult" value="', 'name="wresult" value="x', 1)
    assert submitted(browser, httpx.Response(200, text=altered)).status_code == 400


def test_a_result_that_cannot_finish_is_a_page_in_the_browsers_language(
    api: Api, server: RunningServer, browser: httpx.Client, app: tuple[Client, str, dict[str, Any]]
) -> None:
    """The callback's own refusals are login pages: in the browser's language, and, once the
    application is known, with a way back to it."""
    client, connection, _ = app
    user = api.create_user(connection=connection)
    answer = browser.post(
        "/usernamepassword/login", json=login_body(flow(client, connection), user["email"])
    )
    assert api.patch(f"/api/v2/users/{user['user_id']}", {"blocked": True}).status_code == 200
    found = _FORM.match(answer.text)
    assert found is not None, answer.text
    form = {"wa": "wsignin1.0", "wresult": found[2], "wctx": "{}"}
    refused = browser.post(found[1], data=form, headers={"Accept-Language": "it"})
    assert refused.status_code == 400, refused.text
    assert '<html lang="it">' in refused.text
    assert "L&#39;utente non può accedere." in refused.text
    assert 'id="back-link"' in refused.text
    with browser_client(base_url=server.base_url, follow_redirects=False) as elsewhere:
        copied = elsewhere.post(found[1], data=form, headers={"Accept-Language": "es"})
    assert copied.status_code == 400
    assert '<html lang="es">' in copied.text
    assert "Vuelve a iniciar sesión." in copied.text


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"username": "a", "password": "b"}', "text/plain"),  # a cross-site form could
        ("[]", "application/json"),
        ('{"username": 1, "password": "b"}', "application/json"),
    ],
)
def test_malformed_requests_are_refused(
    browser: httpx.Client, body: str, content_type: str
) -> None:
    answer = browser.post(
        "/usernamepassword/login", content=body, headers={"content-type": content_type}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "invalid_request"


def test_an_unregistered_redirect_uri_is_refused(
    browser: httpx.Client, app: tuple[Client, str, dict[str, Any]]
) -> None:
    client, connection, user = app
    f = flow(client, connection, redirect_uri="https://evil.invalid/cb")
    answer = browser.post("/usernamepassword/login", json=login_body(f, user["email"]))
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "invalid_request"
    assert "wresult" not in answer.text


def test_the_hosted_logins_are_tenant_log_events(
    api: Api, browser: httpx.Client, app: tuple[Client, str, dict[str, Any]]
) -> None:
    """`s`, `fp` and `fu`, as the login page's: read back through `GET /api/v2/logs`."""
    client, connection, _ = app
    user = api.create_user(connection=connection, verify_email=False)
    stranger = f"nobody-{user['user_id'][-8:]}@example.com"
    for username, password, status in (
        (user["email"], "Wr0ng-hosted-secret", 401),
        (stranger, PASSWORD, 401),
        (user["email"], PASSWORD, 200),
    ):
        answer = browser.post(
            "/usernamepassword/login", json=login_body(flow(client, connection), username, password)
        )
        assert answer.status_code == status, answer.text

    def one(q: str) -> dict[str, Any]:
        found = api.get("/api/v2/logs", q=q).json()
        assert len(found) == 1, found
        event: dict[str, Any] = found[0]
        return event

    success = one(f'type:s AND user_id:"{user["user_id"]}"')
    assert (success["client_id"], success["connection"]) == (client.client_id, connection)
    wrong = one(f'type:fp AND user_name:"{user["email"]}"')
    assert wrong["details"]["error"]["message"] == "Wrong email or password."
    assert one(f'type:fu AND user_name:"{stranger}"')["client_id"] == client.client_id
    assert "Wr0ng-hosted-secret" not in json.dumps(wrong)
