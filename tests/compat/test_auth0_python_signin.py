"""auth0-python 4.13's Authentication API classes, unchanged, against selfauth over plain HTTP:
sign-up, the password-realm and password grants, /userinfo, refresh tokens, and the errors
an application catches.

These check what a client library sees on the wire; the api and storage tests cover each
database: this module runs on SQLite."""

from __future__ import annotations

from typing import Any

import pytest
from auth0.authentication import Database, GetToken
from auth0.authentication import Users as AuthUsers
from auth0.authentication.token_verifier import AsymmetricSignatureVerifier, TokenVerifier
from auth0.exceptions import Auth0Error, RateLimitError
from auth0.management import Users

from tests.support.api import PASSWORD, Api, unique_email
from tests.support.sdk import domain_of
from tests.support.server import RunningServer
from tests.support.signin import WRONG_PASSWORD, App, claims, new_app

pytestmark = pytest.mark.sqlite_only


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    """A regular web app with the password grants, on its own connection and the default one,
    trusted to name the end user's address in auth0-forwarded-for."""
    created = new_app(api, on_default_connection=True)
    trusted = {"is_token_endpoint_ip_header_trusted": True}
    assert api.patch(f"/api/v2/clients/{created.client_id}", trusted).status_code == 200
    return created


@pytest.fixture
def database(server: RunningServer, app: App) -> Database:
    return Database(domain_of(server), app.client_id, protocol="http")


@pytest.fixture
def get_token(server: RunningServer, app: App) -> GetToken:
    return GetToken(
        domain_of(server), app.client_id, client_secret=app.client_secret, protocol="http"
    )


@pytest.fixture
def auth_users(server: RunningServer) -> AuthUsers:
    return AuthUsers(domain_of(server), protocol="http")


# --- Database.signup ------------------------------------------------------------------------


def test_signup(database: Database, api: Api, app: App) -> None:
    email = unique_email("sdk")
    created = database.signup(
        email,
        PASSWORD,
        app.connection,
        user_metadata={"plan": "free"},
        given_name="Grace",
        family_name="Hopper",
        name="Grace Hopper",
        nickname="grace",
    )
    assert created["email"] == email
    assert created["email_verified"] is False
    assert not created["_id"].startswith("auth0|")
    user = api.user(f"auth0|{created['_id']}")
    assert user["user_metadata"] == {"plan": "free"}
    assert (user["given_name"], user["family_name"]) == ("Grace", "Hopper")
    assert (user["name"], user["nickname"]) == ("Grace Hopper", "grace")


def test_signup_errors_reach_the_application(database: Database, app: App) -> None:
    email = unique_email("sdk")
    database.signup(email, PASSWORD, app.connection)
    with pytest.raises(Auth0Error) as exists:
        database.signup(email, PASSWORD, app.connection)
    assert exists.value.status_code == 400
    assert exists.value.error_code == "user_exists"
    with pytest.raises(Auth0Error) as weak:
        database.signup(unique_email("sdk"), "abc", app.connection)
    assert weak.value.status_code == 400
    assert weak.value.error_code == "invalid_password"
    with pytest.raises(Auth0Error) as unknown:
        database.signup(unique_email("sdk"), PASSWORD, "no-such-connection")
    assert unknown.value.status_code == 400
    assert unknown.value.error_code == "invalid_signup"


def test_signed_up_user_logs_in(database: Database, get_token: GetToken, app: App) -> None:
    email = unique_email("sdk")
    created = database.signup(email, PASSWORD, app.connection)
    token = get_token.login(email, PASSWORD, realm=app.connection, scope="openid")
    assert claims(token["id_token"])["sub"] == f"auth0|{created['_id']}"


# --- GetToken.login -------------------------------------------------------------------------


def test_login_with_realm(
    server: RunningServer, get_token: GetToken, app: App, user: dict[str, Any]
) -> None:
    token = get_token.login(
        user["email"], PASSWORD, realm=app.connection, scope="openid profile email offline_access"
    )
    assert token["token_type"] == "Bearer"
    assert {"access_token", "id_token", "refresh_token", "expires_in"} <= set(token)
    access = claims(token["access_token"])
    assert access["sub"] == user["user_id"]
    assert access["aud"] == f"{server.issuer}userinfo"
    assert access["gty"] == "password" and access["azp"] == app.client_id
    # The SDK's own ID-token verifier accepts the ID token.
    verifier = TokenVerifier(
        signature_verifier=AsymmetricSignatureVerifier(f"{server.base_url}/.well-known/jwks.json"),
        issuer=server.issuer,
        audience=app.client_id,
    )
    payload = verifier.verify(token["id_token"])
    assert payload["sub"] == user["user_id"]
    assert payload["name"] == "Ada Lovelace" and payload["email"] == user["email"]


def test_login_for_the_management_api_reads_the_own_profile(
    server: RunningServer, get_token: GetToken, app: App, user: dict[str, Any]
) -> None:
    token = get_token.login(
        user["email"],
        PASSWORD,
        realm=app.connection,
        scope="openid read:current_user read:users",
        audience=server.audience,
    )
    access = claims(token["access_token"])
    assert access["aud"] == [server.audience, f"{server.issuer}userinfo"]
    assert set(access["scope"].split()) == {"openid", "read:current_user"}
    own = Users(domain_of(server), token["access_token"], protocol="http")
    assert own.get(user["user_id"])["email"] == user["email"]
    with pytest.raises(Auth0Error) as listing:
        own.list()
    assert listing.value.status_code == 403


def test_login_with_the_plain_password_grant(api: Api, get_token: GetToken, app: App) -> None:
    user = api.create_user()  # in the default connection
    token = get_token.login(user["email"], PASSWORD, scope="openid", grant_type="password")
    assert claims(token["access_token"])["sub"] == user["user_id"]


def test_forwarded_for_sets_the_users_address(
    api: Api, get_token: GetToken, app: App, user: dict[str, Any]
) -> None:
    get_token.login(user["email"], PASSWORD, realm=app.connection, forwarded_for="203.0.113.60")
    assert api.user(user["user_id"])["last_ip"] == "203.0.113.60"
    get_token.login(user["email"], PASSWORD, realm=app.connection)
    assert api.user(user["user_id"])["last_ip"] == "127.0.0.1"
    assert api.user(user["user_id"])["logins_count"] == 2


def test_forwarded_for_counts_failures_for_that_address(
    get_token: GetToken, app: App, user: dict[str, Any]
) -> None:
    for _ in range(10):
        with pytest.raises(Auth0Error) as wrong:
            get_token.login(
                user["email"], WRONG_PASSWORD, realm=app.connection, forwarded_for="203.0.113.61"
            )
        assert wrong.value.error_code == "invalid_grant"
    with pytest.raises(RateLimitError) as blocked:
        get_token.login(user["email"], PASSWORD, realm=app.connection, forwarded_for="203.0.113.61")
    assert blocked.value.status_code == 429
    assert blocked.value.error_code == "too_many_attempts"
    token = get_token.login(
        user["email"], PASSWORD, realm=app.connection, forwarded_for="198.51.100.61"
    )
    assert claims(token["access_token"])["sub"] == user["user_id"]


def test_wrong_password_raises_invalid_grant(
    get_token: GetToken, app: App, user: dict[str, Any]
) -> None:
    with pytest.raises(Auth0Error) as wrong:
        get_token.login(user["email"], WRONG_PASSWORD, realm=app.connection)
    assert wrong.value.status_code == 403
    assert wrong.value.error_code == "invalid_grant"
    assert wrong.value.message == "Wrong email or password."
    with pytest.raises(Auth0Error) as unknown:
        get_token.login(unique_email("nobody"), PASSWORD, realm=app.connection)
    assert (unknown.value.status_code, unknown.value.error_code) == (403, "invalid_grant")


def test_wrong_client_secret_raises_invalid_client(
    server: RunningServer, app: App, user: dict[str, Any]
) -> None:
    bad = GetToken(domain_of(server), app.client_id, client_secret="nope", protocol="http")
    with pytest.raises(Auth0Error) as error:
        bad.login(user["email"], PASSWORD, realm=app.connection)
    assert (error.value.status_code, error.value.error_code) == (401, "invalid_client")


# --- Users.userinfo -------------------------------------------------------------------------


def test_userinfo(
    get_token: GetToken, auth_users: AuthUsers, app: App, user: dict[str, Any]
) -> None:
    token = get_token.login(user["email"], PASSWORD, realm=app.connection, scope="openid email")
    info = auth_users.userinfo(token["access_token"])
    assert info == {"sub": user["user_id"], "email": user["email"], "email_verified": False}
    with pytest.raises(Auth0Error) as invalid:
        auth_users.userinfo("garbage")
    assert (invalid.value.status_code, invalid.value.error_code) == (401, "invalid_token")


# --- GetToken.refresh_token -----------------------------------------------------------------


def test_refresh_token(
    get_token: GetToken, auth_users: AuthUsers, app: App, user: dict[str, Any]
) -> None:
    first = get_token.login(
        user["email"], PASSWORD, realm=app.connection, scope="openid profile offline_access"
    )
    second = get_token.refresh_token(first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    assert claims(second["access_token"])["sub"] == user["user_id"]
    assert claims(second["access_token"])["iat"] >= claims(first["access_token"])["iat"]
    assert auth_users.userinfo(second["access_token"])["name"] == "Ada Lovelace"

    narrowed = get_token.refresh_token(second["refresh_token"], scope="openid")
    assert narrowed["scope"] == "openid"
    assert "name" not in auth_users.userinfo(narrowed["access_token"])

    with pytest.raises(Auth0Error) as reused:
        get_token.refresh_token(first["refresh_token"])
    assert (reused.value.status_code, reused.value.error_code) == (403, "invalid_grant")
    with pytest.raises(Auth0Error) as revoked:
        get_token.refresh_token(narrowed["refresh_token"])
    assert revoked.value.error_code == "invalid_grant"
