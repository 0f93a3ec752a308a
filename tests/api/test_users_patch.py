"""PATCH /api/v2/users/{id}: Auth0's merge rules, validation, all-or-nothing writes, and
concurrent writers that never lose each other's updates.

The merge and validation rules do not depend on the database: this module runs on SQLite
(tests/storage/test_users.py holds the locked read-modify-write and its rollback on every
database). The concurrent PATCHes run on both."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.api import Api, assert_error, patch_keys_at_once, unique_email, user_path

pytestmark = pytest.mark.sqlite_only


def patch(api: Api, user_id: str, body: Any) -> dict[str, Any]:
    response = api.patch(user_path(user_id), body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_metadata_merges_at_the_first_level(api: Api) -> None:
    user = api.create_user(user_metadata={"hobby": "surfing"})
    updated = patch(api, user["user_id"], {"user_metadata": {"addresses": {"home": "123 Main"}}})
    assert updated["user_metadata"] == {"hobby": "surfing", "addresses": {"home": "123 Main"}}


def test_nested_values_are_replaced_whole(api: Api) -> None:
    user = api.create_user(user_metadata={"addresses": {"home": "1", "work": "2"}, "tags": [1, 2]})
    updated = patch(
        api, user["user_id"], {"user_metadata": {"addresses": {"home": "3"}, "tags": [3]}}
    )
    assert updated["user_metadata"] == {"addresses": {"home": "3"}, "tags": [3]}


def test_null_deletes_a_root_key(api: Api) -> None:
    user = api.create_user(user_metadata={"a": 1, "b": 2}, app_metadata={"plan": "pro", "x": 1})
    updated = patch(
        api, user["user_id"], {"user_metadata": {"a": None}, "app_metadata": {"x": None}}
    )
    assert updated["user_metadata"] == {"b": 2}
    assert updated["app_metadata"] == {"plan": "pro"}


def test_empty_object_clears_metadata(api: Api) -> None:
    user = api.create_user(user_metadata={"a": 1}, app_metadata={"b": 2})
    updated = patch(api, user["user_id"], {"user_metadata": {}})
    # An emptied metadata object is no longer answered, as Auth0 leaves it out.
    assert "user_metadata" not in updated
    assert updated["app_metadata"] == {"b": 2}
    assert "app_metadata" not in patch(api, user["user_id"], {"app_metadata": {}})


def test_root_attributes_replace_and_null_unsets(api: Api) -> None:
    user = api.create_user(given_name="Ada", nickname="ada")
    updated = patch(api, user["user_id"], {"given_name": "Grace", "nickname": None, "name": "G H"})
    assert updated["given_name"] == "Grace"
    assert updated["name"] == "G H"
    assert "nickname" not in updated
    assert updated["updated_at"] > user["updated_at"]


def test_changing_email_lowercases_it_and_unverifies_it(api: Api) -> None:
    user = api.create_user(email_verified=True)
    new_email = unique_email("New")
    updated = patch(api, user["user_id"], {"email": new_email.upper()})
    assert updated["email"] == new_email.lower()
    assert updated["email_verified"] is False
    kept = patch(api, user["user_id"], {"email": unique_email(), "email_verified": True})
    assert kept["email_verified"] is True


def test_email_taken_by_another_user_is_409(api: Api) -> None:
    first, second = api.create_user(), api.create_user()
    response = api.patch(user_path(second["user_id"]), {"email": first["email"]})
    assert_error(response, 409)
    assert api.user(second["user_id"]) == second


def test_password_change_obeys_the_policy_and_records_the_reset(api: Api) -> None:
    user = api.create_user()
    assert_error(api.patch(user_path(user["user_id"]), {"password": "weak"}), 400, "invalid_body")
    updated = patch(api, user["user_id"], {"password": "An0ther!Passw0rd"})
    assert "last_password_reset" in updated


def test_every_property_of_auth0s_update_body_is_accepted(api: Api) -> None:
    """`connection`, `client_id`, `verify_email` and `verify_phone_number` steer how Auth0
    makes a change (which identity, which app's email template): they are taken, and the
    change is made."""
    user = api.create_user(app_metadata={"facts": ["a"]})
    email = unique_email("upd")
    body = {
        "blocked": True,
        "email_verified": True,
        "email": email,
        "phone_number": "+15555550101",
        "phone_verified": True,
        "user_metadata": {"theme": "light"},
        "app_metadata": {"foo": "bar"},
        "given_name": "Grace",
        "family_name": "Hopper",
        "name": "Grace Hopper",
        "nickname": "amazing",
        "picture": "https://example.com/grace.png",
        "verify_email": False,
        "verify_phone_number": False,
        "password": "An0ther!Passw0rd",
        "connection": "Username-Password-Authentication",
        "client_id": "any-client",
    }
    updated = patch(api, user["user_id"], body)
    assert updated["app_metadata"] == {"facts": ["a"], "foo": "bar"}
    assert updated["user_metadata"] == {"theme": "light"}
    assert "last_password_reset" in updated
    for key in ("blocked", "email_verified", "email", "phone_number", "phone_verified"):
        assert updated[key] == body[key], key
    for key in ("given_name", "family_name", "name", "nickname", "picture"):
        assert updated[key] == body[key], key
    for key in ("verify_email", "verify_phone_number", "password", "connection", "client_id"):
        assert key not in updated


@pytest.mark.parametrize(
    "field", ["logins_count", "user_id", "identities", "created_at", "updated_at", "last_login"]
)
def test_read_only_properties_are_400_invalid_body(api: Api, field: str) -> None:
    user = api.create_user()
    body = assert_error(api.patch(user_path(user["user_id"]), {field: 1}), 400, "invalid_body")
    assert "Additional properties not allowed" in body["message"]
    assert field in body["message"]


def test_a_whole_user_round_trip_is_refused(api: Api) -> None:
    user = api.create_user()
    assert_error(api.patch(user_path(user["user_id"]), user), 400, "invalid_body")


@pytest.mark.parametrize(
    "body",
    [
        {"user_metadata": {"a.b": 1}},
        {"user_metadata": {"$where": 1}},
        {"user_metadata": {"ok": {"nested.dot": 1}}},
        {"app_metadata": {"user_id": "x"}},
        {"app_metadata": {"blocked": True}},
        {"user_metadata": None},
        {"user_metadata": "text"},
        {"user_metadata": {"big": "x" * 17_000}},
        {
            "user_metadata": {
                "deep": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": {}}}}}}}}}}
            }
        },
        {"email": "not an email"},
        {"email_verified": "true"},
        {"given_name": ""},
        {"given_name": "x" * 151},
        {"phone_number": "12345"},
        {"username": "someone"},
        {"password": None},
        {"email": None},
        # Auth0's update body has these, none of them nullable.
        {"connection": None},
        {"client_id": None},
        {"blocked": None},
        {"verify_email": None},
        {"app_metadata": None},
    ],
)
def test_invalid_patch_is_400_and_leaves_the_user_unchanged(api: Api, body: dict[str, Any]) -> None:
    user = api.create_user(user_metadata={"keep": "me"}, app_metadata={"plan": "free"})
    before = api.get(user_path(user["user_id"])).content
    assert_error(api.patch(user_path(user["user_id"]), body), 400)
    assert api.get(user_path(user["user_id"])).content == before


def test_size_limit_counts_stored_and_patched_metadata_together(api: Api) -> None:
    user = api.create_user(user_metadata={"a": "x" * 8_000})
    before = api.get(user_path(user["user_id"])).content
    assert_error(api.patch(user_path(user["user_id"]), {"app_metadata": {"b": "y" * 9_000}}), 400)
    assert api.get(user_path(user["user_id"])).content == before
    patch(api, user["user_id"], {"app_metadata": {"b": "y" * 7_000}})


def test_malformed_json_is_400_invalid_body(api: Api) -> None:
    user = api.create_user()
    response = api.http.patch(
        user_path(user["user_id"]),
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert_error(response, 400, "invalid_body")
    response = api.http.patch(user_path(user["user_id"]), json=[1, 2])
    assert_error(response, 400, "invalid_body")


def test_bodies_over_one_megabyte_are_413(api: Api) -> None:
    user = api.create_user()
    huge = {"user_metadata": {"blob": "x" * 1_100_000}}
    assert_error(api.patch(user_path(user["user_id"]), huge), 413)
    assert_error(api.post("/api/v2/users", huge), 413)


def test_patch_of_unknown_user_is_404(api: Api) -> None:
    assert_error(
        api.patch(user_path("auth0|nobody"), {"user_metadata": {"a": 1}}), 404, "inexistent_user"
    )


keys = st.sampled_from(["a", "b", "c", "d"])
json_values = st.recursive(
    st.one_of(st.booleans(), st.integers(-3, 3), st.text(alphabet="xyz", max_size=3)),
    lambda inner: st.one_of(st.lists(inner, max_size=2), st.dictionaries(keys, inner, max_size=2)),
    max_leaves=4,
)
metadata_patches = st.dictionaries(keys, st.one_of(st.none(), json_values), max_size=3)


def reference_merge(current: dict[str, Any], patch_body: dict[str, Any]) -> dict[str, Any]:
    if not patch_body:
        return {}
    merged = {k: v for k, v in current.items() if k not in patch_body}
    merged.update({k: v for k, v in patch_body.items() if v is not None})
    return merged


@settings(max_examples=25)
@given(
    st.lists(
        st.tuples(st.sampled_from(["user_metadata", "app_metadata"]), metadata_patches),
        min_size=1,
        max_size=4,
    )
)
def test_patch_sequences_over_http_match_the_reference_model(
    api: Api, steps: list[tuple[str, dict[str, Any]]]
) -> None:
    user = api.create_user()
    expected: dict[str, dict[str, Any]] = {"user_metadata": {}, "app_metadata": {}}
    for field, body in steps:
        result = patch(api, user["user_id"], {field: body})
        expected[field] = reference_merge(expected[field], body)
        # An empty metadata object is left out of the answer, as Auth0 does.
        assert result.get("user_metadata", {}) == expected["user_metadata"]
        assert result.get("app_metadata", {}) == expected["app_metadata"]
    stored = api.user(user["user_id"])
    assert stored.get("user_metadata", {}) == expected["user_metadata"]
    assert stored.get("app_metadata", {}) == expected["app_metadata"]


# --- concurrent writers ----------------------------------------------------------------------


@pytest.mark.both_databases
def test_fifty_concurrent_patches_of_different_keys_all_survive(api: Api) -> None:
    user = api.create_user(user_metadata={"existing": True})
    statuses = [r.status_code for r in patch_keys_at_once(api, user["user_id"], 50)]
    assert statuses == [200] * 50
    stored = api.user(user["user_id"])["user_metadata"]
    assert stored == {"existing": True, **{f"key{i}": i for i in range(50)}}
