"""Refresh tokens (rotation, reuse detection, down-scoping, revocation) and `GET /userinfo`.

The protocol rules run on SQLite; the repository behind them (rotation that one of many racing
requests wins, revocation of a family) is tested on every database in
tests/storage/test_sessions.py, and the race over HTTP runs on both."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import jwt
import pytest

from tests.support.api import Api, user_path
from tests.support.hooks import Hooks, guarded_rule
from tests.support.hooks import hooks as hooks
from tests.support.polling import next_second
from tests.support.server import RunningServer
from tests.support.signin import (
    GRANTS,
    App,
    assert_oauth_error,
    bare_app,
    claims,
    http,
    new_app,
    tokens,
)
from tests.support.signin import login as realm_login

pytestmark = pytest.mark.sqlite_only

FULL = "openid profile email offline_access"


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    return new_app(api)


def post(server: RunningServer, path: str, body: dict[str, Any]) -> httpx.Response:
    return http(server.base_url).post(f"{path}", json=body)


def login(
    server: RunningServer, app: App, email: str, scope: str = FULL, **fields: Any
) -> dict[str, Any]:
    return tokens(realm_login(server, app, email, scope=scope, **fields))


def refresh(server: RunningServer, app: App, token: str, **fields: Any) -> httpx.Response:
    return post(
        server,
        "/oauth/token",
        {
            "grant_type": "refresh_token",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "refresh_token": token,
            **fields,
        },
    )


def revoke(server: RunningServer, app: App, token: str) -> httpx.Response:
    return post(
        server,
        "/oauth/revoke",
        {"client_id": app.client_id, "client_secret": app.client_secret, "token": token},
    )


def userinfo(server: RunningServer, token: str | None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    return http(server.base_url).get("/userinfo", headers=headers)


# --- refresh tokens -------------------------------------------------------------------------


def test_offline_access_gives_a_refresh_token(
    server: RunningServer, app: App, user: dict[str, Any]
) -> None:
    issued = login(server, app, user["email"])
    assert isinstance(issued.get("refresh_token"), str) and issued["refresh_token"]
    assert "refresh_token" not in login(server, app, user["email"], scope="openid profile")


def test_exchange_rotates_the_refresh_token(
    server: RunningServer, app: App, user: dict[str, Any]
) -> None:
    first = login(server, app, user["email"])
    response = refresh(server, app, first["refresh_token"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    second = response.json()
    assert {"access_token", "id_token", "refresh_token", "token_type", "expires_in"} <= set(second)
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    access = claims(second["access_token"])
    assert access["sub"] == user["user_id"] and access["azp"] == app.client_id
    assert set(access["scope"].split()) == set(FULL.split())
    assert access["aud"] == f"{server.issuer}userinfo"
    identity = claims(second["id_token"])
    assert identity["aud"] == app.client_id and identity["sub"] == user["user_id"]
    assert identity["name"] == "Ada Lovelace" and identity["email"] == user["email"]
    # The new token works in turn.
    third = refresh(server, app, second["refresh_token"])
    assert third.status_code == 200, third.text


def test_reusing_a_rotated_token_revokes_the_family(
    server: RunningServer, app: App, user: dict[str, Any]
) -> None:
    first = login(server, app, user["email"])["refresh_token"]
    second = refresh(server, app, first).json()["refresh_token"]
    assert_oauth_error(refresh(server, app, first), 403, "invalid_grant")
    assert_oauth_error(refresh(server, app, second), 403, "invalid_grant")
    # Another login starts a fresh family that works.
    fresh = login(server, app, user["email"])["refresh_token"]
    assert refresh(server, app, fresh).status_code == 200


@pytest.mark.both_databases
async def test_parallel_exchanges_of_one_token_yield_one_success_and_end_the_family(
    server: RunningServer, app: App, user: dict[str, Any], hooks: Hooks
) -> None:
    """One token presented by 20 requests at once is reuse, however the race goes: at most one
    request gets new tokens, and the family ends, the winner's new refresh token with it.

    A rule that takes 30 ms for this app's logins runs between each exchange's read of the
    token and its rotation, so every request reads the token before the first rotates: the
    losers find out only when they try to rotate (the path that once refused without ending
    the family on PostgreSQL)."""
    hooks.rule(guarded_rule(app.client_id, _BUSY_30_MS))
    token = login(server, app, user["email"])["refresh_token"]
    body = {
        "grant_type": "refresh_token",
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "refresh_token": token,
    }
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as client:
        responses = await asyncio.gather(
            *(client.post("/oauth/token", json=body) for _ in range(20))
        )
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 403}, [(r.status_code, r.text) for r in responses]
    assert statuses.count(200) <= 1, statuses
    assert statuses.count(403) >= 19, statuses
    assert all(r.json()["error"] == "invalid_grant" for r in responses if r.status_code == 403)
    # The winner's new token is checked first: presenting the spent token again would end
    # the family by itself and hide a race that did not.
    for winner in (r.json() for r in responses if r.status_code == 200):
        assert_oauth_error(refresh(server, app, winner["refresh_token"]), 403, "invalid_grant")
    assert_oauth_error(refresh(server, app, token), 403, "invalid_grant")


_BUSY_30_MS = """
  const until = Date.now() + 30;
  while (Date.now() < until) {}
  callback(null, user, context);
"""


def test_refreshed_id_token_keeps_the_original_auth_time(
    server: RunningServer, app: App, user: dict[str, Any]
) -> None:
    """OIDC Core 12.2: a refreshed ID token's auth_time is the time of the original
    authentication, not of the exchange."""
    first = login(server, app, user["email"])
    auth_time = claims(first["id_token"])["auth_time"]
    next_second(auth_time)
    second = refresh(server, app, first["refresh_token"])
    assert second.status_code == 200, second.text
    refreshed = claims(second.json()["id_token"])
    assert refreshed["iat"] > auth_time
    assert refreshed["auth_time"] == auth_time, refreshed


def test_refresh_for_a_deleted_user(
    server: RunningServer, api: Api, app: App, user: dict[str, Any]
) -> None:
    token = login(server, app, user["email"])["refresh_token"]
    assert api.delete(user_path(user["user_id"])).status_code == 204
    assert_oauth_error(refresh(server, app, token), 403, "invalid_grant")


def test_refresh_needs_the_grant_on_the_client(
    server: RunningServer, api: Api, app: App, user: dict[str, Any]
) -> None:
    token = login(server, app, user["email"])["refresh_token"]
    client = bare_app(api, grant_types=["password"])
    assert_oauth_error(refresh(server, client, token), 403, "unauthorized_client")


def test_down_scoping(server: RunningServer, app: App, user: dict[str, Any]) -> None:
    issued = login(server, app, user["email"])
    response = refresh(server, app, issued["refresh_token"], scope="openid email")
    assert response.status_code == 200, response.text
    narrowed = response.json()
    assert narrowed["scope"].split() == ["openid", "email"]
    assert claims(narrowed["access_token"])["scope"].split() == ["openid", "email"]
    assert "name" not in claims(narrowed["id_token"])
    # The family keeps its scopes: the next exchange may ask for all of them again.
    again = refresh(server, app, narrowed["refresh_token"], scope=FULL)
    assert again.status_code == 200, again.text
    assert set(again.json()["scope"].split()) == set(FULL.split())


def test_asking_for_more_scope_is_invalid_scope(
    server: RunningServer, app: App, user: dict[str, Any]
) -> None:
    issued = login(server, app, user["email"], scope="openid offline_access")
    response = refresh(server, app, issued["refresh_token"], scope="openid profile")
    assert_oauth_error(response, 400, "invalid_scope")
    # A refused request does not use the token up.
    assert refresh(server, app, issued["refresh_token"]).status_code == 200


def test_another_client_cannot_use_the_token(
    server: RunningServer, api: Api, app: App, user: dict[str, Any]
) -> None:
    issued = login(server, app, user["email"])
    other = bare_app(api, grant_types=GRANTS)
    assert_oauth_error(refresh(server, other, issued["refresh_token"]), 403, "invalid_grant")
    # The owner still can: a foreign attempt neither uses nor revokes it.
    assert refresh(server, app, issued["refresh_token"]).status_code == 200


def test_unknown_or_missing_refresh_token(server: RunningServer, app: App) -> None:
    assert_oauth_error(refresh(server, app, "v1.not-a-real-token"), 403, "invalid_grant")
    assert_oauth_error(refresh(server, app, ""), 400, "invalid_request")


def test_wrong_secret_cannot_refresh(server: RunningServer, app: App, user: dict[str, Any]) -> None:
    issued = login(server, app, user["email"])
    bad = App(app.client_id, "wrong-secret", app.connection)
    assert_oauth_error(refresh(server, bad, issued["refresh_token"]), 401, "invalid_client")


def test_blocked_user_cannot_refresh(
    server: RunningServer, api: Api, app: App, user: dict[str, Any]
) -> None:
    issued = login(server, app, user["email"])
    assert api.patch(user_path(user["user_id"]), {"blocked": True}).status_code == 200
    assert_oauth_error(refresh(server, app, issued["refresh_token"]), 401, "unauthorized")


def test_revoke_ends_the_token(server: RunningServer, app: App, user: dict[str, Any]) -> None:
    issued = login(server, app, user["email"])
    response = revoke(server, app, issued["refresh_token"])
    assert response.status_code == 200, response.text
    assert_oauth_error(refresh(server, app, issued["refresh_token"]), 403, "invalid_grant")
    # Revoking again, or revoking a token nobody issued, is no error either.
    assert revoke(server, app, issued["refresh_token"]).status_code == 200
    assert revoke(server, app, "v1.never-issued").status_code == 200


def test_revoking_a_rotated_token_ends_its_successor(
    server: RunningServer, app: App, user: dict[str, Any]
) -> None:
    first = login(server, app, user["email"])["refresh_token"]
    second = refresh(server, app, first).json()["refresh_token"]
    assert revoke(server, app, second).status_code == 200
    assert_oauth_error(refresh(server, app, second), 403, "invalid_grant")


def test_revoke_needs_a_token(server: RunningServer, app: App) -> None:
    response = post(
        server, "/oauth/revoke", {"client_id": app.client_id, "client_secret": app.client_secret}
    )
    assert_oauth_error(response, 400, "invalid_request")


def test_another_client_cannot_revoke(
    server: RunningServer, api: Api, app: App, user: dict[str, Any]
) -> None:
    issued = login(server, app, user["email"])
    other = bare_app(api, grant_types=GRANTS)
    assert revoke(server, other, issued["refresh_token"]).status_code == 200
    assert refresh(server, app, issued["refresh_token"]).status_code == 200


def test_revoke_needs_client_authentication(
    server: RunningServer, app: App, user: dict[str, Any]
) -> None:
    issued = login(server, app, user["email"])
    bad = App(app.client_id, "wrong-secret", app.connection)
    assert_oauth_error(revoke(server, bad, issued["refresh_token"]), 401, "invalid_client")
    assert refresh(server, app, issued["refresh_token"]).status_code == 200


def test_api_refresh_keeps_the_audience(
    server: RunningServer, api: Api, app: App, user: dict[str, Any]
) -> None:
    identifier = f"https://api.example.com/{uuid.uuid4().hex[:12]}"
    created = api.post(
        "/api/v2/resource-servers",
        {
            "identifier": identifier,
            "name": identifier,
            "scopes": [{"value": "read:things"}],
            "allow_offline_access": True,
        },
    )
    assert created.status_code == 201, created.text
    scope = "openid read:things offline_access"
    issued = login(server, app, user["email"], scope=scope, audience=identifier)
    assert "refresh_token" in issued, issued
    response = refresh(server, app, issued["refresh_token"])
    assert response.status_code == 200, response.text
    access = claims(response.json()["access_token"])
    assert access["aud"] == [identifier, f"{server.issuer}userinfo"]
    assert set(access["scope"].split()) == set(scope.split())


def test_no_refresh_token_for_an_api_without_offline_access(
    server: RunningServer, app: App, user: dict[str, Any]
) -> None:
    issued = login(
        server,
        app,
        user["email"],
        scope="openid read:current_user offline_access",
        audience=server.audience,
    )
    assert "refresh_token" not in issued, issued
    # What was not granted is not claimed either.
    assert issued["scope"].split() == ["openid", "read:current_user"]


# --- /userinfo ------------------------------------------------------------------------------


def test_userinfo_returns_claims_by_scope(
    server: RunningServer, app: App, user: dict[str, Any]
) -> None:
    bare = userinfo(server, login(server, app, user["email"], scope="openid")["access_token"])
    assert bare.status_code == 200, bare.text
    assert bare.json() == {"sub": user["user_id"]}

    full = userinfo(server, login(server, app, user["email"])["access_token"]).json()
    assert full["sub"] == user["user_id"]
    assert full["name"] == "Ada Lovelace"
    assert full["given_name"] == "Ada" and full["family_name"] == "Lovelace"
    assert full["nickname"] == user["nickname"] and full["picture"] == user["picture"]
    assert full["email"] == user["email"] and full["email_verified"] is False
    assert isinstance(full["updated_at"], str)

    email_only = userinfo(
        server, login(server, app, user["email"], scope="openid email")["access_token"]
    ).json()
    assert email_only == {
        "sub": user["user_id"],
        "email": user["email"],
        "email_verified": False,
    }


def test_userinfo_with_a_management_audience_token(
    server: RunningServer, app: App, user: dict[str, Any]
) -> None:
    issued = login(
        server, app, user["email"], scope="openid email read:current_user", audience=server.audience
    )
    response = userinfo(server, issued["access_token"])
    assert response.status_code == 200, response.text
    assert response.json()["email"] == user["email"]


def assert_invalid_token(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_token"
    assert response.headers["www-authenticate"].lower().startswith("bearer")


def test_userinfo_needs_openid(server: RunningServer, app: App, user: dict[str, Any]) -> None:
    issued = login(server, app, user["email"], scope="profile email")
    assert_invalid_token(userinfo(server, issued["access_token"]))


def test_userinfo_without_a_valid_token(server: RunningServer, app: App) -> None:
    assert_invalid_token(userinfo(server, None))
    assert_invalid_token(userinfo(server, "garbage"))
    assert_invalid_token(userinfo(server, "a.b.c"))
    response = http(server.base_url).get(
        "/userinfo", headers={"authorization": "Basic Zm9vOmJhcg=="}
    )
    assert_invalid_token(response)


def test_userinfo_refuses_a_machine_token(server: RunningServer) -> None:
    # A client-credentials token is for the Management API, not /userinfo.
    assert_invalid_token(userinfo(server, server.admin_token()))


def test_userinfo_refuses_a_tampered_token(
    server: RunningServer, app: App, user: dict[str, Any]
) -> None:
    token = login(server, app, user["email"], scope="openid")["access_token"]
    header, payload, signature = token.split(".")
    forged = jwt.encode({**claims(token), "sub": "auth0|someone-else"}, "k" * 32, "HS256")
    assert_invalid_token(userinfo(server, f"{header}.{forged.split('.')[1]}.{signature}"))
    assert_invalid_token(userinfo(server, forged))
    assert payload


def test_userinfo_for_a_deleted_user(
    server: RunningServer, api: Api, app: App, user: dict[str, Any]
) -> None:
    token = login(server, app, user["email"], scope="openid")["access_token"]
    assert api.delete(user_path(user["user_id"])).status_code == 204
    assert_invalid_token(userinfo(server, token))
