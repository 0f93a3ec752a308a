"""Creating, reading, listing and deleting users: shapes, validation, conflicts.

What the database does for these (unique emails, ids and usernames per connection, paging and
sorting) is tested on every database in tests/storage/test_users.py: this module runs on
SQLite."""

from __future__ import annotations

import uuid

import pytest

from tests.support.api import DB, PASSWORD, Api, assert_error, unique_email, user_path

pytestmark = pytest.mark.sqlite_only


def test_create_get_delete_round_trip(api: Api) -> None:
    user = api.create_user()
    assert user["user_id"].startswith("auth0|")
    assert api.user(user["user_id"]) == user
    assert api.delete(user_path(user["user_id"])).status_code == 204
    assert_error(api.get(user_path(user["user_id"])), 404, "inexistent_user")


def test_email_of_database_user_is_stored_lower_case(api: Api) -> None:
    email = unique_email("MiXeD").replace("example", "EXAMPLE")
    user = api.create_user(email=email)
    assert user["email"] == email.lower()


def test_profile_has_auth0_shape_and_never_a_password_hash(api: Api) -> None:
    user = api.create_user(
        given_name="Ada", family_name="Lovelace", user_metadata={"theme": "dark"}
    )
    local_id = user["user_id"].removeprefix("auth0|")
    assert len(local_id) == 24
    assert user["identities"] == [
        {"connection": DB, "provider": "auth0", "user_id": local_id, "isSocial": False}
    ]
    assert user["user_metadata"] == {"theme": "dark"}
    # As Auth0: no empty metadata object, no `logins_count` before the first login.
    assert "app_metadata" not in user
    assert "logins_count" not in user
    assert user["blocked"] is False
    assert user["email_verified"] is False
    assert user["nickname"] == user["email"].split("@")[0]
    assert user["picture"].startswith("https://")
    assert user["created_at"].endswith("Z")
    assert user["created_at"] == user["updated_at"]
    for view in (user, api.user(user["user_id"]), api.get("/api/v2/users").json()[0]):
        assert not [key for key in view if "password" in key or "hash" in key]
        assert "$2b$" not in str(view)


def test_custom_user_id_gets_the_auth0_prefix(api: Api) -> None:
    local = f"legacy-{uuid.uuid4().hex[:8]}"
    user = api.create_user(user_id=local)
    assert user["user_id"] == f"auth0|{local}"
    assert user["identities"][0]["user_id"] == local


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": PASSWORD},
        {"password": PASSWORD},
        {"email": "x@example.com"},
        {"email": "x@example.com", "password": "short"},
        {"email": "x@example.com", "password": PASSWORD, "logins_count": 3},
        {"email": "x@example.com", "password": PASSWORD, "email_verified": "yes"},
        {"email": "x@example.com", "password": PASSWORD, "user_metadata": []},
        {"email": "x@example.com", "password": PASSWORD, "user_metadata": {"a.b": 1}},
        {"email": "x@example.com", "password": PASSWORD, "app_metadata": {"email": "x"}},
        {"email": "x@example.com", "password": PASSWORD, "username": "someone"},
        {"email": "x@example.com", "password": PASSWORD, "given_name": ""},
        {"email": "x@example.com", "password": PASSWORD, "picture": "javascript:alert(1)"},
        {"email": "x@example.com", "password": "p" * 73 + "A1!"},
        # No property of Auth0's create body takes null.
        {"email": "x@example.com", "password": PASSWORD, "phone_number": None},
        {"email": "x@example.com", "password": PASSWORD, "given_name": None},
        {"email": "x@example.com", "password": PASSWORD, "blocked": None},
        {"email": "x@example.com", "password": PASSWORD, "user_metadata": None},
        {"email": "x@example.com", "password": PASSWORD, "verify_email": None},
    ],
)
def test_invalid_create_bodies_are_400_invalid_body(api: Api, body: dict[str, object]) -> None:
    response = api.post("/api/v2/users", {"connection": DB, **body})
    assert_error(response, 400)
    assert response.json()["errorCode"] in ("invalid_body", "invalid_password")


def test_every_property_of_auth0s_create_body_is_accepted(api: Api) -> None:
    name = f"users-all-{uuid.uuid4().hex[:8]}"
    created = api.post(
        "/api/v2/connections",
        {"name": name, "strategy": "auth0", "options": {"requires_username": True}},
    )
    assert created.status_code == 201, created.text
    local = f"all-{uuid.uuid4().hex[:8]}"
    body = {
        "connection": name,
        "email": unique_email("all"),
        "phone_number": "+15555550100",
        "user_metadata": {"theme": "dark"},
        "app_metadata": {"plan": "gold"},
        "blocked": True,
        "email_verified": True,
        "phone_verified": True,
        "given_name": "Ada",
        "family_name": "Lovelace",
        "name": "Ada Lovelace",
        "nickname": "ada",
        "picture": "https://example.com/ada.png",
        "user_id": local,
        "password": PASSWORD,
        "verify_email": False,
        "username": "ada_l",
    }
    response = api.post("/api/v2/users", body)
    assert response.status_code == 201, response.text
    user = response.json()
    assert user["user_id"] == f"auth0|{local}"
    for key in ("email", "phone_number", "user_metadata", "app_metadata", "blocked"):
        assert user[key] == body[key], key
    for key in ("email_verified", "phone_verified", "given_name", "family_name", "name"):
        assert user[key] == body[key], key
    assert (user["nickname"], user["picture"], user["username"]) == (
        "ada",
        "https://example.com/ada.png",
        "ada_l",
    )
    assert "verify_email" not in user and "password" not in user


def test_blocked_is_answered_as_auth0_does_and_empty_parts_are_not(api: Api) -> None:
    """Auth0 answers `blocked: false` (the recordings show it on create, read, list and
    update), leaves out empty metadata objects, and `logins_count` before a first login."""
    user = api.create_user()
    assert user["blocked"] is False
    absent = {"user_metadata", "app_metadata", "logins_count"}
    assert absent.isdisjoint(user)
    read = api.user(user["user_id"])
    listed = api.get("/api/v2/users", q=f'email:"{user["email"]}"', include_totals="true")
    by_email = api.get("/api/v2/users-by-email", email=user["email"]).json()
    for view in (read, listed.json()["users"][0], by_email[0]):
        assert view["blocked"] is False
        assert absent.isdisjoint(view)
    patched = api.patch(user_path(user["user_id"]), {"blocked": True})
    assert patched.status_code == 200, patched.text
    assert patched.json()["blocked"] is True
    unblocked = api.patch(user_path(user["user_id"]), {"blocked": False}).json()
    assert unblocked["blocked"] is False


def test_unknown_connection_is_refused(api: Api) -> None:
    response = api.post(
        "/api/v2/users", {"connection": "nope", "email": unique_email(), "password": PASSWORD}
    )
    assert_error(response, 400, "inexistent_connection")


def test_same_email_in_the_same_connection_is_409(api: Api) -> None:
    email = unique_email()
    api.create_user(email=email)
    response = api.post(
        "/api/v2/users", {"connection": DB, "email": email.upper(), "password": PASSWORD}
    )
    body = assert_error(response, 409)
    assert body["message"] == "The user already exists."


def test_same_custom_id_is_409(api: Api) -> None:
    local = f"dup-{uuid.uuid4().hex[:8]}"
    api.create_user(user_id=local)
    response = api.post(
        "/api/v2/users",
        {"connection": DB, "email": unique_email(), "password": PASSWORD, "user_id": local},
    )
    assert_error(response, 409)


def test_username_connection_requires_and_accepts_a_username(api: Api) -> None:
    name = f"users-{uuid.uuid4().hex[:8]}"
    created = api.post(
        "/api/v2/connections",
        {"name": name, "strategy": "auth0", "options": {"requires_username": True}},
    )
    assert created.status_code == 201, created.text
    base = {"connection": name, "email": unique_email(), "password": PASSWORD}
    assert_error(api.post("/api/v2/users", base), 400, "invalid_body")
    user = api.create_user(connection=name, username="Jane_Doe")
    assert user["username"] == "jane_doe"
    clash = api.post("/api/v2/users", {**base, "email": unique_email(), "username": "jane_doe"})
    assert_error(clash, 409)


def test_get_unknown_user_is_404_inexistent_user(api: Api) -> None:
    body = assert_error(
        api.get(user_path("auth0|000000000000000000000000")), 404, "inexistent_user"
    )
    assert body["message"] == "The user does not exist."


def test_deleting_an_unknown_or_deleted_user_is_204_as_auth0(api: Api) -> None:
    assert api.delete(user_path("auth0|doesnotexist")).status_code == 204
    user = api.create_user()
    assert api.delete(user_path(user["user_id"])).status_code == 204
    again = api.delete(user_path(user["user_id"]))
    assert again.status_code == 204
    assert again.content == b""


def test_fields_and_include_fields_select_what_is_returned(api: Api) -> None:
    user = api.create_user()
    only = api.get(user_path(user["user_id"]), fields="email,user_id").json()
    assert set(only) == {"email", "user_id"}
    without = api.get(
        user_path(user["user_id"]), fields="identities", include_fields="false"
    ).json()
    assert "identities" not in without
    assert "email" in without


def test_users_by_email_returns_an_array_matching_exactly(api: Api) -> None:
    user = api.create_user()
    found = api.get("/api/v2/users-by-email", email=user["email"]).json()
    assert [u["user_id"] for u in found] == [user["user_id"]]
    assert api.get("/api/v2/users-by-email", email=unique_email()).json() == []
    assert_error(api.get("/api/v2/users-by-email"), 400, "invalid_query_string")


def test_list_pages_with_totals_object(api: Api) -> None:
    for _ in range(3):
        api.create_user()
    first = api.get("/api/v2/users", per_page=2, page=0, include_totals="true").json()
    assert set(first) == {"start", "limit", "length", "total", "users"}
    assert first["start"] == 0
    assert first["limit"] == 2
    assert first["length"] == len(first["users"]) == 2
    assert first["total"] >= 3
    second = api.get("/api/v2/users", per_page=2, page=1, include_totals="true").json()
    assert second["start"] == 2
    assert {u["user_id"] for u in first["users"]}.isdisjoint(u["user_id"] for u in second["users"])
    past_end = api.get("/api/v2/users", per_page=100, page=10_000, include_totals="true").json()
    assert past_end["users"] == []
    assert isinstance(api.get("/api/v2/users", per_page=1).json(), list)


def test_list_sorts_by_a_field_in_either_direction(api: Api) -> None:
    for _ in range(2):
        api.create_user()
    ascending = api.get("/api/v2/users", sort="email:1", per_page=100).json()
    emails = [u["email"] for u in ascending]
    assert emails == sorted(emails)
    descending = api.get("/api/v2/users", sort="created_at:-1", per_page=100).json()
    stamps = [u["created_at"] for u in descending]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize(
    "params",
    [
        {"per_page": "101"},
        {"per_page": "0"},
        {"page": "-1"},
        {"page": "x"},
        {"sort": "password_hash:1"},
        {"sort": "email:2"},
        {"include_totals": "maybe"},
    ],
)
def test_bad_list_parameters_are_400_invalid_query_string(api: Api, params: dict[str, str]) -> None:
    assert_error(api.get("/api/v2/users", **params), 400, "invalid_query_string")
