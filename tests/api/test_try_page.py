"""The try page: the Default App made at the first start, and a first sign-in in one click
(`/try/start` -> the login page -> `/try/callback` showing the user's claims)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.api import Api, unique_email
from tests.support.authorize import post_login
from tests.support.browser_client import browser_client
from tests.support.server import RunningServer, start, stop

pytestmark = pytest.mark.sqlite_only

DB = "Username-Password-Authentication"


def default_apps(api: Api) -> list[dict[str, Any]]:
    response = api.get("/api/v2/clients", per_page=100)
    assert response.status_code == 200, response.text
    return [c for c in response.json() if c["name"] == "Default App"]


def enabled_clients(api: Api, name: str) -> list[str]:
    response = api.get("/api/v2/connections", name=name)
    assert response.status_code == 200, response.text
    (connection,) = response.json()
    found: list[str] = connection["enabled_clients"]
    return found


def browser(server: RunningServer) -> httpx.Client:
    return browser_client(base_url=server.base_url, timeout=30, follow_redirects=False)


def start_try(client: httpx.Client, server: RunningServer) -> str:
    """`/try/start`: the /authorize URL it redirects to."""
    response = client.get("/try/start")
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(f"{server.issuer}authorize?")
    return location


def test_first_start_makes_one_default_app_and_a_restart_keeps_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'selfauth.db'}"
    first = start(url, tmp_path / "first.log", "sqlite")
    try:
        api = Api(first, first.admin_token())
        (app,) = default_apps(api)
        assert app["app_type"] == "regular_web"
        assert app["callbacks"] == [f"{first.issuer}try/callback"]
        assert "authorization_code" in app["grant_types"]
        assert app["token_endpoint_auth_method"] != "none"  # confidential
        assert app["client_id"] in enabled_clients(api, DB)
    finally:
        stop(first)
    again = start(url, tmp_path / "second.log", "sqlite")
    try:
        api = Api(again, again.admin_token())
        assert [a["client_id"] for a in default_apps(api)] == [app["client_id"]]
        # An administrator may delete it: the try page then says so, and no restart remakes it.
        assert api.delete(f"/api/v2/clients/{app['client_id']}").status_code == 204
        with browser(again) as client:
            gone = client.get("/try/start")
        assert gone.status_code == 404
        assert "Default App no longer exists" in gone.text
    finally:
        stop(again)
    third = start(url, tmp_path / "third.log", "sqlite")
    try:
        assert default_apps(Api(third, third.admin_token())) == []
    finally:
        stop(third)


def test_try_start_redirects_to_authorize_as_the_default_app_with_pkce(
    server: RunningServer, api: Api
) -> None:
    (app,) = default_apps(api)
    with browser(server) as client:
        location = start_try(client, server)
        cookie = client.cookies.get("selfauth_try")
    params = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert params["client_id"] == app["client_id"]
    assert params["redirect_uri"] == f"{server.issuer}try/callback"
    assert params["response_type"] == "code"
    assert params["code_challenge_method"] == "S256"
    assert {"state", "nonce", "code_challenge"} <= params.keys()
    assert cookie and params["state"] not in cookie  # sealed, not readable


def test_the_try_flow_signs_a_user_in_and_shows_their_claims(
    server: RunningServer, api: Api
) -> None:
    email = unique_email("try")
    user = api.create_user(email=email)
    with browser(server) as client:
        page = client.get(start_try(client, server))
        assert page.status_code == 200, page.text
        answer = post_login(client, page, email)
        assert answer.status_code in (302, 303), answer.text
        callback = answer.headers["location"]
        assert callback.startswith(f"{server.issuer}try/callback?")
        shown = client.get(callback)
        assert shown.status_code == 200, shown.text
        again = client.get(callback)  # the cookie is spent, and so is the code
    text = html.unescape(shown.text)
    assert f'Signed in as <span id="user">{email}</span>' in text
    assert f'"sub": "{user["user_id"]}"' in text
    assert f'"email": "{email}"' in text
    assert f'"iss": "{server.issuer}"' in text
    policy = shown.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert shown.headers["cache-control"] == "no-store"
    assert again.status_code == 400


def test_the_try_page_refuses_a_forged_state(server: RunningServer) -> None:
    with browser(server) as client:
        start_try(client, server)
        response = client.get("/try/callback", params={"code": "abc", "state": "forged"})
    assert response.status_code == 400
    assert "state does not match" in response.text
    assert "Signed in" not in response.text


def test_the_try_page_refuses_a_callback_without_its_cookie(server: RunningServer) -> None:
    with browser(server) as client:
        location = start_try(client, server)
        state = parse_qs(urlsplit(location).query)["state"][0]
    with browser(server) as other:
        response = other.get("/try/callback", params={"code": "abc", "state": state})
    assert response.status_code == 400
    assert "state does not match" in response.text


def test_the_try_page_escapes_an_error_it_shows(server: RunningServer) -> None:
    with browser(server) as client:
        location = start_try(client, server)
        state = parse_qs(urlsplit(location).query)["state"][0]
        response = client.get(
            "/try/callback",
            params={"state": state, "error": "access_denied", "error_description": "<b>x</b>"},
        )
    assert response.status_code == 400
    assert "<b>x</b>" not in response.text
    assert "&lt;b&gt;x&lt;/b&gt;" in response.text
