"""The basic life of a user through the Management API."""

from __future__ import annotations

from tests.support.api import Api, assert_error, unique_email, user_path


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
