"""Scope rules of the users endpoints."""

from __future__ import annotations

import pytest

from tests.support.api import Api, assert_error, user_path


@pytest.mark.parametrize(
    ("method", "path", "accepted"),
    [
        ("GET", "/api/v2/users", "read:users,read:user_idp_tokens"),
        ("POST", "/api/v2/users", "create:users"),
        ("GET", "/api/v2/users-by-email?email=a@b.c", "read:users"),
        ("GET", "USER", "read:users,read:current_user,read:user_idp_tokens"),
        (
            "PATCH",
            "USER",
            "update:users,update:users_app_metadata,update:current_user_metadata,"
            "create:current_user_metadata,delete:current_user_metadata",
        ),
        ("DELETE", "USER", "delete:users,delete:current_user"),
    ],
)
def test_missing_scope_is_403_listing_the_accepted_scopes(
    api: Api, method: str, path: str, accepted: str
) -> None:
    user = api.create_user()
    narrow = api.with_scopes("read:clients")
    url = user_path(user["user_id"]) if path == "USER" else path
    response = narrow.http.request(method, url, json={} if method in ("POST", "PATCH") else None)
    body = assert_error(response, 403, "insufficient_scope")
    assert body["message"] == f"Insufficient scope, expected any of: {accepted}"


def test_no_token_is_401(anonymous: Api) -> None:
    assert_error(anonymous.get("/api/v2/users"), 401)


def test_app_metadata_scope_may_change_app_metadata_only(api: Api) -> None:
    user = api.create_user(user_metadata={"u": 1})
    narrow = api.with_scopes("update:users_app_metadata")
    ok = narrow.patch(user_path(user["user_id"]), {"app_metadata": {"plan": "gold"}})
    assert ok.status_code == 200, ok.text
    assert ok.json()["app_metadata"] == {"plan": "gold"}
    for body in (
        {"user_metadata": {"u": 2}},
        {"given_name": "X"},
        {"password": "Str0ng!Passw0rd2"},
    ):
        before = api.get(user_path(user["user_id"])).content
        assert_error(narrow.patch(user_path(user["user_id"]), body), 403, "insufficient_scope")
        assert api.get(user_path(user["user_id"])).content == before


def test_read_scope_cannot_write_and_write_scope_cannot_read(api: Api) -> None:
    user = api.create_user()
    reader = api.with_scopes("read:users")
    assert reader.get(user_path(user["user_id"])).status_code == 200
    assert_error(reader.patch(user_path(user["user_id"]), {"name": "x"}), 403, "insufficient_scope")
    assert_error(reader.delete(user_path(user["user_id"])), 403, "insufficient_scope")
    writer = api.with_scopes("update:users")
    assert writer.patch(user_path(user["user_id"]), {"name": "Written"}).status_code == 200
    assert_error(writer.get(user_path(user["user_id"])), 403, "insufficient_scope")


def test_a_client_token_with_current_user_scope_reaches_no_user(api: Api) -> None:
    """current_user scopes act only on the token's own subject; a client is no user."""
    user = api.create_user()
    response = api.post("/api/v2/resource-servers/" + api.server.audience.replace("/", "%2F"), None)
    assert response.status_code in (404, 405)
    # The Management API never grants current_user scopes to clients; a grant request fails.
    client = api.post("/api/v2/clients", {"name": "cu", "app_type": "non_interactive"}).json()
    grant = api.post(
        "/api/v2/client-grants",
        {
            "client_id": client["client_id"],
            "audience": api.server.audience,
            "scope": ["read:current_user"],
        },
    )
    assert grant.status_code == 400
    assert api.user(user["user_id"])["user_id"] == user["user_id"]
