"""`POST /oauth/token` with the `password` and `password-realm` grants, and the tokens they
give: checked against the published JWKS, as a resource server would.

Finding the user and counting logins are tested on every database in
tests/storage/test_users.py (and the brute-force counter in test_login_failures.py): this
module runs on SQLite."""

from __future__ import annotations

import statistics
import time
import uuid
from typing import Any

import pytest

from tests.support.api import PASSWORD, Api, unique_email, user_path
from tests.support.server import RunningServer
from tests.support.signin import (
    GRANTS,
    PASSWORD_GRANT,
    REALM_GRANT,
    WRONG,
    App,
    assert_oauth_error,
    default_connection_id,
    enable,
    http,
    login,
    new_app,
    new_client,
    new_connection,
    post_token,
    tokens,
    verified,
)

pytestmark = pytest.mark.sqlite_only


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    """A regular web app with the password grants, on its own connection and the default one."""
    return new_app(api, on_default_connection=True)


def new_user(api: Api, app: App, **fields: Any) -> dict[str, Any]:
    return api.create_user(connection=app.connection, **fields)


# --- success --------------------------------------------------------------------------------


def test_password_realm_answers_auth0s_token_shape(
    server: RunningServer, api: Api, app: App
) -> None:
    user = new_user(api, app)
    response = login(server, app, user["email"], scope="openid profile email offline_access")
    body = tokens(response)
    assert response.headers["cache-control"] == "no-store"
    assert set(body) == {
        "access_token",
        "id_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "scope",
    }
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert set(body["scope"].split()) == {"openid", "profile", "email", "offline_access"}
    assert body["access_token"].count(".") == 2 and body["id_token"].count(".") == 2


def test_email_is_matched_case_insensitively(server: RunningServer, api: Api, app: App) -> None:
    user = new_user(api, app)
    body = tokens(login(server, app, user["email"].upper()))
    assert verified(server, body["access_token"])["sub"] == user["user_id"]


def test_plain_password_grant_uses_the_default_connection(
    server: RunningServer, api: Api, app: App
) -> None:
    user = api.create_user()  # in Username-Password-Authentication
    body = {
        "grant_type": PASSWORD_GRANT,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "username": user["email"],
        "password": PASSWORD,
    }
    claims = verified(server, tokens(post_token(server, body))["access_token"])
    assert claims["sub"] == user["user_id"]
    assert claims["gty"] == "password"
    # A user of another connection is unknown to the default connection.
    elsewhere = new_user(api, app)
    wrong = post_token(server, {**body, "username": elsewhere["email"]})
    assert wrong.status_code == 403, wrong.text
    assert wrong.json() == WRONG


def test_plain_password_grant_accepts_http_basic_client_authentication(
    server: RunningServer, api: Api, app: App
) -> None:
    user = api.create_user()
    body = {"grant_type": PASSWORD_GRANT, "username": user["email"], "password": PASSWORD}
    assert app.client_secret is not None
    response = http(server.base_url).post(
        "/oauth/token",
        data=body,
        auth=(app.client_id, app.client_secret),
    )
    assert verified(server, tokens(response)["access_token"])["sub"] == user["user_id"]


def test_requires_username_connection_accepts_the_username(
    server: RunningServer, api: Api, app: App
) -> None:
    connection = new_connection(api, app.client_id, requires_username=True)
    username = f"u{uuid.uuid4().hex[:10]}"
    user = api.create_user(connection=connection["name"], username=username)
    realm = App(app.client_id, app.client_secret, connection["name"], connection["id"])
    for identifier in (username, username.upper(), user["email"]):
        claims = verified(server, tokens(login(server, realm, identifier))["access_token"])
        assert claims["sub"] == user["user_id"]
    response = login(server, realm, username, "Wr0ng!Password")
    assert response.status_code == 403 and response.json() == WRONG


def test_a_public_client_logs_in_without_a_secret(
    server: RunningServer, api: Api, app: App
) -> None:
    spa = new_client(api, app_type="spa", grant_types=[REALM_GRANT])
    assert spa["token_endpoint_auth_method"] == "none"
    enable(api, app.connection_id, spa["client_id"])
    user = new_user(api, app)
    body = {
        "grant_type": REALM_GRANT,
        "client_id": spa["client_id"],
        "username": user["email"],
        "password": PASSWORD,
        "realm": app.connection,
        "scope": "openid",
    }
    issued = tokens(post_token(server, body))
    claims = verified(server, issued["access_token"])
    assert claims["azp"] == spa["client_id"] and claims["sub"] == user["user_id"]
    assert verified(server, issued["id_token"])["aud"] == spa["client_id"]


# --- failures -------------------------------------------------------------------------------


def test_wrong_password_and_unknown_user_answer_alike(
    server: RunningServer, api: Api, app: App
) -> None:
    user = new_user(api, app)
    wrong_password = login(server, app, user["email"], "Wr0ng!Password")
    unknown_user = login(server, app, unique_email("nobody"))
    for response in (wrong_password, unknown_user):
        assert response.status_code == 403, response.text
        assert response.json() == WRONG
        assert response.headers["cache-control"] == "no-store"


def test_an_unknown_user_costs_no_more_time_than_a_wrong_password(
    server: RunningServer, api: Api, app: App
) -> None:
    """The server checks a password even for an unknown user, so timing does not tell which
    accounts exist: that check must cost what a real one does at the configured bcrypt cost
    (the test servers use cost 4; a dummy hash of another cost would stand out)."""
    user = new_user(api, app)
    known: list[float] = []
    unknown: list[float] = []
    for _ in range(7):
        started = time.perf_counter()
        login(server, app, user["email"], "Wr0ng!Password")
        known.append(time.perf_counter() - started)
        started = time.perf_counter()
        login(server, app, unique_email("nobody"))
        unknown.append(time.perf_counter() - started)
    assert statistics.median(unknown) <= statistics.median(known) + 0.03, (known, unknown)


@pytest.mark.parametrize("missing", ["username", "password", "realm"])
def test_missing_parameters_are_invalid_requests(
    server: RunningServer, app: App, missing: str
) -> None:
    body = {
        "grant_type": REALM_GRANT,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "username": unique_email(),
        "password": PASSWORD,
        "realm": app.connection,
    }
    del body[missing]
    assert_oauth_error(post_token(server, body), 400, "invalid_request")
    assert_oauth_error(post_token(server, {**body, missing: ""}), 400, "invalid_request")


def test_grant_type_not_enabled_for_the_client(server: RunningServer, api: Api, app: App) -> None:
    realm_only = new_client(api, grant_types=[REALM_GRANT])
    enable(api, app.connection_id, realm_only["client_id"])
    enable(api, default_connection_id(api), realm_only["client_id"])
    user = api.create_user()
    body = {
        "grant_type": PASSWORD_GRANT,
        "client_id": realm_only["client_id"],
        "client_secret": realm_only["client_secret"],
        "username": user["email"],
        "password": PASSWORD,
    }
    assert_oauth_error(post_token(server, body), 403, "unauthorized_client")
    no_password = new_client(api, grant_types=["refresh_token"])
    enable(api, app.connection_id, no_password["client_id"])
    member = new_user(api, app)
    other = App(no_password["client_id"], no_password["client_secret"], app.connection, "")
    assert_oauth_error(login(server, other, member["email"]), 403, "unauthorized_client")


def test_connection_not_enabled_for_the_client(server: RunningServer, api: Api, app: App) -> None:
    outsider = new_client(api, grant_types=GRANTS)
    # A new client is enabled on the connections that exist: this one comes after it.
    connection = new_connection(api, app.client_id)["name"]
    user = api.create_user(connection=connection)
    other = App(outsider["client_id"], outsider["client_secret"], connection, "")
    response = login(server, other, user["email"])
    assert response.status_code == 403, response.text
    assert response.json()["error"] in ("unauthorized_client", "access_denied"), response.text


def test_wrong_client_secret_is_invalid_client(server: RunningServer, api: Api, app: App) -> None:
    user = new_user(api, app)
    bad = App(app.client_id, "not-the-secret", app.connection, app.connection_id)
    assert_oauth_error(login(server, bad, user["email"]), 401, "invalid_client")
    no_secret = App(app.client_id, None, app.connection, app.connection_id)
    assert_oauth_error(login(server, no_secret, user["email"]), 401, "invalid_client")


def test_blocked_user_is_unauthorized(server: RunningServer, api: Api, app: App) -> None:
    user = new_user(api, app)
    patched = api.patch(user_path(user["user_id"]), {"blocked": True})
    assert patched.status_code == 200, patched.text
    response = login(server, app, user["email"])
    assert_oauth_error(response, 401, "unauthorized")
    assert api.user(user["user_id"]).get("logins_count", 0) == 0
    api.patch(user_path(user["user_id"]), {"blocked": False})
    tokens(login(server, app, user["email"]))


def test_successful_logins_are_recorded(server: RunningServer, api: Api, app: App) -> None:
    user = new_user(api, app)
    assert api.user(user["user_id"]).get("logins_count", 0) == 0
    tokens(login(server, app, user["email"]))
    first = api.user(user["user_id"])
    assert first["logins_count"] == 1
    assert first["last_ip"] == "127.0.0.1"
    assert isinstance(first["last_login"], str) and first["last_login"]
    login(server, app, user["email"], "Wr0ng!Password")  # a failure is not a login
    assert api.user(user["user_id"])["logins_count"] == 1
    tokens(login(server, app, user["email"]))
    second = api.user(user["user_id"])
    assert second["logins_count"] == 2
    assert second["last_ip"] == "127.0.0.1"
    assert second["last_login"] >= first["last_login"]


# --- the tokens -----------------------------------------------------------------------------


def test_access_token_claims_without_audience(server: RunningServer, api: Api, app: App) -> None:
    user = new_user(api, app)
    before = int(time.time())
    body = tokens(login(server, app, user["email"], scope="openid"))
    claims = verified(server, body["access_token"])
    assert claims["iss"] == server.issuer
    assert claims["sub"] == user["user_id"]
    assert claims["aud"] == f"{server.issuer}userinfo"
    assert claims["azp"] == app.client_id
    assert claims["gty"] == "password"
    assert claims["scope"] == "openid"
    assert before - 5 <= claims["iat"] <= int(time.time()) + 5
    assert claims["exp"] - claims["iat"] == body["expires_in"]


def test_management_audience_keeps_only_current_user_scopes(
    server: RunningServer, api: Api, app: App
) -> None:
    user = new_user(api, app)
    scope = "openid read:current_user read:users update:users update:current_user_metadata"
    body = tokens(login(server, app, user["email"], scope=scope, audience=server.audience))
    claims = verified(server, body["access_token"])
    assert claims["aud"] == [server.audience, f"{server.issuer}userinfo"]
    granted = claims["scope"].split()
    assert set(granted) == {"openid", "read:current_user", "update:current_user_metadata"}
    assert body["scope"].split() == granted
    assert claims["sub"] == user["user_id"] and claims["gty"] == "password"
    # Without openid the token is for the API alone.
    alone = tokens(
        login(server, app, user["email"], scope="read:current_user", audience=server.audience)
    )
    alone_claims = verified(server, alone["access_token"])
    assert alone_claims["aud"] in (server.audience, [server.audience])
    assert alone_claims["scope"] == "read:current_user"
    assert "id_token" not in alone


def test_api_scopes_follow_the_api(server: RunningServer, api: Api, app: App) -> None:
    identifier = f"https://api.example.com/{uuid.uuid4().hex[:12]}"
    created = api.post(
        "/api/v2/resource-servers",
        {
            "identifier": identifier,
            "name": identifier,
            "scopes": [{"value": "read:notes"}, {"value": "write:notes"}],
        },
    )
    assert created.status_code == 201, created.text
    user = new_user(api, app)
    asked = "openid read:notes delete:everything read:users"
    body = tokens(login(server, app, user["email"], scope=asked, audience=identifier))
    claims = verified(server, body["access_token"])
    assert claims["aud"] == [identifier, f"{server.issuer}userinfo"]
    assert claims["scope"].split() == ["openid", "read:notes"]
    # No scope at all: every scope the API defines (Auth0, RBAC off).
    everything = verified(
        server, tokens(login(server, app, user["email"], audience=identifier))["access_token"]
    )
    assert set(everything["scope"].split()) == {"read:notes", "write:notes"}
    assert everything["aud"] in (identifier, [identifier])


def new_api(api: Api, **properties: Any) -> str:
    identifier = f"https://api.example.com/{uuid.uuid4().hex[:12]}"
    body = {"identifier": identifier, "scopes": [{"value": "read:notes"}, {"value": "write:notes"}]}
    created = api.post("/api/v2/resource-servers", {**body, **properties})
    assert created.status_code == 201, created.text
    return identifier


def test_enforced_policies_give_users_no_api_scopes(
    server: RunningServer, api: Api, app: App
) -> None:
    """RBAC on: a user's API scopes are their roles' permissions; selfauth has no roles yet,
    so a user gets none (rather than every scope, which would grant more than Auth0)."""
    identifier = new_api(api, enforce_policies=True)
    user = new_user(api, app)
    asked = "openid read:notes write:notes"
    body = tokens(login(server, app, user["email"], scope=asked, audience=identifier))
    assert verified(server, body["access_token"])["scope"].split() == ["openid"]


def test_an_api_that_denies_users_gives_them_no_token(
    server: RunningServer, api: Api, app: App
) -> None:
    identifier = new_api(api, subject_type_authorization={"user": {"policy": "deny_all"}})
    user = new_user(api, app)
    response = login(server, app, user["email"], audience=identifier)
    assert_oauth_error(response, 403, "access_denied")


def test_an_api_that_requires_a_user_grant_gives_its_scopes_only(
    server: RunningServer, api: Api, app: App
) -> None:
    policy = {"user": {"policy": "require_client_grant"}}
    identifier = new_api(api, subject_type_authorization=policy)
    user = new_user(api, app)
    assert_oauth_error(login(server, app, user["email"], audience=identifier), 403, "access_denied")
    grant = {"client_id": app.client_id, "audience": identifier, "scope": ["read:notes"]}
    as_client = api.post("/api/v2/client-grants", grant)  # a grant for the client itself
    assert as_client.status_code == 201, as_client.text
    refused = login(server, app, user["email"], audience=identifier)
    assert_oauth_error(refused, 403, "access_denied")
    assert api.delete(f"/api/v2/client-grants/{as_client.json()['id']}").status_code == 204
    for_users = api.post("/api/v2/client-grants", {**grant, "subject_type": "user"})
    assert for_users.status_code == 201, for_users.text
    asked = "openid read:notes write:notes"
    body = tokens(login(server, app, user["email"], scope=asked, audience=identifier))
    assert verified(server, body["access_token"])["scope"].split() == ["openid", "read:notes"]


def test_unknown_audience_is_refused(server: RunningServer, api: Api, app: App) -> None:
    user = new_user(api, app)
    response = login(server, app, user["email"], audience="https://nowhere.example/api")
    assert_oauth_error(response, 403, "access_denied")


def test_id_token_only_with_openid(server: RunningServer, api: Api, app: App) -> None:
    user = new_user(api, app)
    body = tokens(login(server, app, user["email"], scope="profile email"))
    assert "id_token" not in body
    body = tokens(login(server, app, user["email"]))
    assert "id_token" not in body


def test_id_token_claims_follow_the_scopes(server: RunningServer, api: Api, app: App) -> None:
    user = new_user(api, app, given_name="Ada", family_name="Lovelace", name="Ada Lovelace")
    before = int(time.time())

    bare = verified(server, tokens(login(server, app, user["email"], scope="openid"))["id_token"])
    assert bare["iss"] == server.issuer
    assert bare["sub"] == user["user_id"]
    assert bare["aud"] == app.client_id
    assert before - 5 <= bare["auth_time"] <= int(time.time()) + 5
    assert bare["exp"] > bare["iat"]
    profile_keys = {"name", "nickname", "given_name", "family_name", "picture", "updated_at"}
    assert not (set(bare) & (profile_keys | {"email", "email_verified"})), bare

    profile = verified(
        server, tokens(login(server, app, user["email"], scope="openid profile"))["id_token"]
    )
    assert profile["name"] == "Ada Lovelace"
    assert profile["given_name"] == "Ada" and profile["family_name"] == "Lovelace"
    assert profile["nickname"] == user["nickname"]
    assert "updated_at" in profile
    assert "email" not in profile and "email_verified" not in profile

    email = verified(
        server, tokens(login(server, app, user["email"], scope="openid email"))["id_token"]
    )
    assert email["email"] == user["email"]
    assert email["email_verified"] is False
    assert not (set(email) & profile_keys), email
