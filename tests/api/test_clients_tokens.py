"""What a client's token settings do to its tokens: `jwt_configuration` (the ID token's lifetime
and algorithm), `refresh_token` (rotation and absolute lifetime) and
`is_token_endpoint_ip_header_trusted` (whose `auth0-forwarded-for` counts).

The refresh-token repository is tested on every database in tests/storage/test_sessions.py:
this module runs on SQLite.
"""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from tests.support.api import Api
from tests.support.polling import wait_until
from tests.support.server import RunningServer
from tests.support.signin import (
    GRANTS,
    App,
    assert_oauth_error,
    claims,
    http,
    new_client,
    new_connection,
    tokens,
    verified,
)
from tests.support.signin import login as realm_login

pytestmark = pytest.mark.sqlite_only

OFFLINE = "openid profile offline_access"


def app_with(api: Api, **fields: Any) -> App:
    """A regular web app with the password grants and `fields`, on a connection of its own."""
    client = new_client(api, grant_types=GRANTS, **fields)
    connection = new_connection(api, client["client_id"])
    return App(client["client_id"], client["client_secret"], connection["name"], connection["id"])


def sign_in(server: RunningServer, api: Api, app: App, **headers: str) -> dict[str, Any]:
    user = api.create_user(connection=app.connection)
    answer = realm_login(server, app, user["email"], scope=OFFLINE, headers=headers)
    return {**tokens(answer), "user_id": user["user_id"]}


def refresh(server: RunningServer, app: App, token: str) -> httpx.Response:
    return http(server.base_url).post(
        "/oauth/token",
        json={
            "grant_type": "refresh_token",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "refresh_token": token,
        },
    )


def set_client(api: Api, app: App, body: dict[str, Any]) -> None:
    response = api.patch(f"/api/v2/clients/{app.client_id}", body)
    assert response.status_code == 200, response.text


# --- jwt_configuration -----------------------------------------------------------------------


def test_id_tokens_live_ten_hours_and_are_rs256_by_default(server: RunningServer, api: Api) -> None:
    issued = sign_in(server, api, app_with(api))
    identity = claims(issued["id_token"])
    assert identity["exp"] - identity["iat"] == 36_000
    assert jwt.get_unverified_header(issued["id_token"])["alg"] == "RS256"


def test_id_token_lifetime_follows_jwt_configuration(server: RunningServer, api: Api) -> None:
    app = app_with(api, jwt_configuration={"lifetime_in_seconds": 600})
    identity = claims(sign_in(server, api, app)["id_token"])
    assert identity["exp"] - identity["iat"] == 600
    set_client(api, app, {"jwt_configuration": {"lifetime_in_seconds": 120}})
    again = claims(sign_in(server, api, app)["id_token"])
    assert again["exp"] - again["iat"] == 120
    # The access token keeps its API's lifetime.
    access = claims(sign_in(server, api, app)["access_token"])
    assert access["exp"] - access["iat"] == 86_400


@pytest.mark.parametrize("alg", ["PS256", "RS512", "RS256"])
def test_id_token_algorithm_follows_jwt_configuration(
    server: RunningServer, api: Api, alg: str
) -> None:
    app = app_with(api, jwt_configuration={"alg": alg})
    issued = sign_in(server, api, app)
    assert jwt.get_unverified_header(issued["id_token"])["alg"] == alg
    identity = verified(server, issued["id_token"], app.client_id, algorithms=[alg])
    assert identity["aud"] == app.client_id
    # A refreshed ID token is signed the same way.
    refreshed = tokens(refresh(server, app, issued["refresh_token"]))
    assert jwt.get_unverified_header(refreshed["id_token"])["alg"] == alg


# --- refresh_token ---------------------------------------------------------------------------


def test_a_client_that_never_set_refresh_token_rotates(server: RunningServer, api: Api) -> None:
    app = app_with(api)
    first = sign_in(server, api, app)["refresh_token"]
    second = tokens(refresh(server, app, first))["refresh_token"]
    assert second != first
    assert_oauth_error(refresh(server, app, first), 403, "invalid_grant")
    assert_oauth_error(refresh(server, app, second), 403, "invalid_grant")


def test_non_rotating_refresh_tokens_stay_valid_and_are_not_reissued(
    server: RunningServer, api: Api
) -> None:
    app = app_with(
        api, refresh_token={"rotation_type": "non-rotating", "expiration_type": "non-expiring"}
    )
    token = sign_in(server, api, app)["refresh_token"]
    for _ in range(3):
        answer = tokens(refresh(server, app, token))
        assert "refresh_token" not in answer
        assert {"access_token", "id_token", "expires_in", "token_type"} <= set(answer)
    revoked = http(server.base_url).post(
        "/oauth/revoke",
        json={"client_id": app.client_id, "client_secret": app.client_secret, "token": token},
    )
    assert revoked.status_code == 200, revoked.text
    assert_oauth_error(refresh(server, app, token), 403, "invalid_grant")


def test_switching_to_rotation_rotates_the_next_exchange(server: RunningServer, api: Api) -> None:
    app = app_with(
        api, refresh_token={"rotation_type": "non-rotating", "expiration_type": "expiring"}
    )
    token = sign_in(server, api, app)["refresh_token"]
    assert "refresh_token" not in tokens(refresh(server, app, token))
    set_client(
        api, app, {"refresh_token": {"rotation_type": "rotating", "expiration_type": "expiring"}}
    )
    rotated = tokens(refresh(server, app, token))["refresh_token"]
    assert rotated != token
    assert_oauth_error(refresh(server, app, token), 403, "invalid_grant")


@pytest.mark.parametrize("rotation", ["rotating", "non-rotating"])
def test_refresh_tokens_end_after_the_absolute_lifetime(
    server: RunningServer, api: Api, rotation: str
) -> None:
    configuration = {"rotation_type": rotation, "expiration_type": "expiring", "token_lifetime": 2}
    app = app_with(api, refresh_token=configuration)
    issued = sign_in(server, api, app)
    signed_in_at = claims(issued["access_token"])["iat"]
    answer = tokens(refresh(server, app, issued["refresh_token"]))
    token = answer.get("refresh_token", issued["refresh_token"])
    wait_until(signed_in_at + 3.2)
    assert_oauth_error(refresh(server, app, token), 403, "invalid_grant")


# --- is_token_endpoint_ip_header_trusted --------------------------------------------------------


@pytest.mark.parametrize(("trusted", "recorded"), [(False, "127.0.0.1"), (True, "203.0.113.90")])
def test_forwarded_for_counts_only_for_a_trusted_client(
    server: RunningServer, api: Api, trusted: bool, recorded: str
) -> None:
    app = app_with(api, is_token_endpoint_ip_header_trusted=trusted)
    user_id = sign_in(server, api, app, **{"auth0-forwarded-for": "203.0.113.90"})["user_id"]
    assert api.user(user_id)["last_ip"] == recorded
