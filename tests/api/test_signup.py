"""`POST /dbconnections/signup`: users creating their own accounts, as auth0.js and Lock
call it, with errors in the `{name, code, description, statusCode}` shape they read.

Storing the new user (unique emails and usernames per connection) is tested on every database
in tests/storage/test_users.py: this module runs on SQLite."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.api import PASSWORD, Api, unique_email
from tests.support.server import RunningServer
from tests.support.signin import GRANTS, App, http, login, new_app, new_client, new_connection

pytestmark = pytest.mark.sqlite_only


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    return new_app(api)


def signup(server: RunningServer, body: Any) -> httpx.Response:
    return http(server.base_url).post("/dbconnections/signup", json=body)


def body_for(app: App, **fields: Any) -> dict[str, Any]:
    return {
        "client_id": app.client_id,
        "connection": app.connection,
        "email": unique_email("signup"),
        "password": PASSWORD,
        **fields,
    }


def assert_signup_error(
    response: httpx.Response, status: int, code: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert {"name", "code", "description", "statusCode"} <= set(body), body
    assert body["statusCode"] == status
    assert isinstance(body["name"], str) and body["name"]
    assert isinstance(body["description"], str) and body["description"]
    if code is not None:
        assert body["code"] == code, body
    return body


def users_with_email(api: Api, email: str) -> list[dict[str, Any]]:
    response = api.get("/api/v2/users-by-email", email=email)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


# --- success --------------------------------------------------------------------------------


def test_signup_creates_the_user(server: RunningServer, api: Api, app: App) -> None:
    metadata = {"plan": "free", "color": "blue"}
    body = body_for(
        app,
        given_name="Grace",
        family_name="Hopper",
        name="Grace Hopper",
        nickname="amazing",
        picture="https://example.com/grace.png",
        user_metadata=metadata,
    )
    response = signup(server, body)
    assert response.status_code == 200, response.text
    created = response.json()
    assert set(created) == {"_id", "email", "email_verified"}
    assert created["email"] == body["email"]
    assert created["email_verified"] is False
    assert isinstance(created["_id"], str) and created["_id"]
    assert not created["_id"].startswith("auth0|")
    user = api.user(f"auth0|{created['_id']}")
    assert user["user_id"] == f"auth0|{created['_id']}"
    assert user["email"] == body["email"]
    assert user["email_verified"] is False
    assert user["user_metadata"] == metadata
    assert user.get("app_metadata", {}) == {}
    assert user["given_name"] == "Grace" and user["family_name"] == "Hopper"
    assert user["name"] == "Grace Hopper" and user["nickname"] == "amazing"
    assert user["picture"] == "https://example.com/grace.png"
    assert user["identities"][0]["connection"] == app.connection
    assert user["identities"][0]["user_id"] == created["_id"]
    assert user["identities"][0]["provider"] == "auth0"


def test_the_new_user_can_log_in(server: RunningServer, app: App) -> None:
    body = body_for(app)
    assert signup(server, body).status_code == 200
    response = login(server, app, body["email"])
    assert response.status_code == 200, response.text


def test_email_is_stored_lower_case(server: RunningServer, api: Api, app: App) -> None:
    email = f"Mixed.Case.{uuid.uuid4().hex[:10]}@Example.COM"
    response = signup(server, body_for(app, email=email))
    assert response.status_code == 200, response.text
    assert response.json()["email"] == email.lower()
    assert api.user(f"auth0|{response.json()['_id']}")["email"] == email.lower()


def test_auth0_js_extra_fields_are_ignored(server: RunningServer, api: Api, app: App) -> None:
    body = body_for(app, captcha="some-captcha", state="xyz", auth0_client="eyJuYW1lIjoiYSJ9")
    response = signup(server, body)
    assert response.status_code == 200, response.text
    user = api.user(f"auth0|{response.json()['_id']}")
    assert "captcha" not in user and "state" not in user
    assert "captcha" not in user.get("user_metadata", {})


def test_username_is_returned_on_a_requires_username_connection(
    server: RunningServer, api: Api, app: App
) -> None:
    connection = new_connection(api, app.client_id, requires_username=True)
    username = f"u{uuid.uuid4().hex[:10]}"
    response = signup(server, body_for(app, connection=connection["name"], username=username))
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["username"] == username
    assert api.user(f"auth0|{created['_id']}")["username"] == username


def test_privileged_fields_cannot_be_set_at_signup(
    server: RunningServer, api: Api, app: App
) -> None:
    body = body_for(
        app,
        email_verified=True,
        app_metadata={"role": "admin"},
        blocked=True,
        user_id="chosen-id-123",
    )
    response = signup(server, body)
    if response.status_code != 200:  # refusing them is as good as ignoring them
        assert_signup_error(response, 400)
        assert users_with_email(api, body["email"]) == []
        return
    created = response.json()
    assert created["email_verified"] is False
    assert created["_id"] != "chosen-id-123"
    user = api.user(f"auth0|{created['_id']}")
    assert user["email_verified"] is False
    assert user.get("app_metadata", {}) == {}
    assert user.get("blocked", False) is False


# --- errors ---------------------------------------------------------------------------------


def test_existing_email_is_user_exists(server: RunningServer, api: Api, app: App) -> None:
    body = body_for(app)
    assert signup(server, body).status_code == 200
    again = signup(server, {**body, "email": body["email"].upper()})
    assert_signup_error(again, 400, "user_exists")
    assert len(users_with_email(api, body["email"])) == 1


def test_weak_password_is_a_password_strength_error(
    server: RunningServer, api: Api, app: App
) -> None:
    body = body_for(app, password="abc")
    error = assert_signup_error(signup(server, body), 400, "invalid_password")
    assert error["name"] == "PasswordStrengthError"
    assert isinstance(error["policy"], str) and error["policy"]
    assert users_with_email(api, body["email"]) == []


def test_password_length_counts_as_lock_does(server: RunningServer, api: Api, app: App) -> None:
    """Lock (and Auth0's policy engine, password-sheriff) count JavaScript's `length`: UTF-16
    code units, two per emoji. Three emoji are 6 long, enough for the `low` level's 6, which
    Lock lets through; two are 4."""
    low = new_connection(api, app.client_id, passwordPolicy="low")
    three = body_for(app, connection=low["name"], password="\U0001f600" * 3)
    assert signup(server, three).status_code == 200
    two = body_for(app, connection=low["name"], password="\U0001f600" * 2)
    assert_signup_error(signup(server, two), 400, "invalid_password")
    flexible = new_connection(
        api, app.client_id, password_options={"complexity": {"min_length": 8}}
    )
    four = body_for(app, connection=flexible["name"], password="\U0001f600" * 4)
    assert signup(server, four).status_code == 200
    assert_signup_error(
        signup(server, {**four, "email": unique_email("signup"), "password": "\U0001f600" * 3}),
        400,
        "invalid_password",
    )


def test_disabled_signup_is_forbidden(server: RunningServer, api: Api, app: App) -> None:
    closed = new_connection(api, app.client_id, disable_signup=True)
    body = body_for(app, connection=closed["name"])
    assert_signup_error(signup(server, body), 403)
    assert users_with_email(api, body["email"]) == []


def test_client_not_enabled_on_the_connection_is_forbidden(
    server: RunningServer, api: Api, app: App
) -> None:
    outsider = new_client(api, grant_types=GRANTS)
    # A new client is enabled on the connections that exist: this one comes after it.
    connection = new_connection(api, app.client_id)
    body = body_for(app, client_id=outsider["client_id"], connection=connection["name"])
    assert_signup_error(signup(server, body), 403)
    unknown = body_for(app, client_id="no-such-client-0000000000000000")
    assert_signup_error(signup(server, unknown), 403)
    assert users_with_email(api, body["email"]) == []


def test_requires_username_connection_needs_a_username(
    server: RunningServer, api: Api, app: App
) -> None:
    connection = new_connection(api, app.client_id, requires_username=True)
    body = body_for(app, connection=connection["name"])
    assert_signup_error(signup(server, body), 400, "invalid_signup")
    assert users_with_email(api, body["email"]) == []


def _too_many() -> dict[str, str]:
    return {f"k{i}": "v" for i in range(11)}


INVALID_BODIES: dict[str, dict[str, Any]] = {
    "unknown connection": {"connection": "no-such-connection"},
    "missing email": {"email": None},
    "missing password": {"password": None},
    "missing client_id": {"client_id": None},
    "missing connection": {"connection": None},
    "empty email": {"email": ""},
    "eleven metadata properties": {"user_metadata": _too_many()},
    "a number in metadata": {"user_metadata": {"age": 42}},
    "an object in metadata": {"user_metadata": {"address": {"city": "Paris"}}},
    "a boolean in metadata": {"user_metadata": {"vip": True}},
    "a 101-character name": {"user_metadata": {"n" * 101: "v"}},
    "a 501-character value": {"user_metadata": {"bio": "b" * 501}},
    "metadata not an object": {"user_metadata": "plan=free"},
    "an invalid email": {"email": "not-an-email"},
    "a password that is not a string": {"password": 12345678},
}


@pytest.mark.parametrize("case", list(INVALID_BODIES))
def test_invalid_signups(server: RunningServer, api: Api, app: App, case: str) -> None:
    body = body_for(app)
    for key, value in INVALID_BODIES[case].items():
        if value is None:
            del body[key]
        else:
            body[key] = value
    assert_signup_error(signup(server, body), 400, "invalid_signup")
    if body.get("email"):
        assert users_with_email(api, body["email"]) == []


def test_metadata_at_the_limits_is_accepted(server: RunningServer, api: Api, app: App) -> None:
    metadata = {f"{i}{'n' * 99}": "v" * 500 for i in range(10)}
    response = signup(server, body_for(app, user_metadata=metadata))
    assert response.status_code == 200, response.text
    assert api.user(f"auth0|{response.json()['_id']}")["user_metadata"] == metadata


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b""])
def test_a_body_that_is_not_a_json_object(server: RunningServer, app: App, payload: bytes) -> None:
    response = http(server.base_url).post(
        "/dbconnections/signup",
        content=payload,
        headers={"content-type": "application/json"},
    )
    assert_signup_error(response, 400, "invalid_signup")
