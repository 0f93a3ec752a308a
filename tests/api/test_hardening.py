"""Inputs that no handler should see get a clear 400 in the API's shape, never a 500."""

from __future__ import annotations

import pytest

from tests.support.api import Api, assert_error, user_path


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/users/auth0%7C%00",
        "/api/v2/clients/%00",
        "/api/v2/resource-servers/%00",
        "/api/v2/connections/%00",
        "/api/v2/client-grants/%00",
        "/api/v2/client-grants?client_id=%00",
        "/api/v2/users-by-email?email=a%00@b.c",
    ],
)
def test_nul_in_a_management_url_is_400(api: Api, path: str) -> None:
    assert_error(api.http.get(path), 400, "invalid_query_string")


@pytest.mark.parametrize(
    "body",
    [
        {"user_metadata": {"note": "a\u0000b"}},
        {"user_metadata": {"k\u0000": 1}},
        {"app_metadata": {"list": ["ok", ["x\u0000"]]}},
        {"given_name": "\u0000"},
    ],
)
def test_nul_in_a_json_body_is_400_invalid_body(api: Api, body: dict[str, object]) -> None:
    user = api.create_user()
    before = api.get(user_path(user["user_id"])).content
    assert_error(api.patch(user_path(user["user_id"]), body), 400, "invalid_body")
    assert api.get(user_path(user["user_id"])).content == before


def test_nul_in_a_create_body_is_400(api: Api) -> None:
    response = api.post(
        "/api/v2/client-grants", {"client_id": "\u0000", "audience": "x", "scope": []}
    )
    assert_error(response, 400, "invalid_body")


def test_nul_at_the_token_endpoint_is_an_oauth_400(anonymous: Api) -> None:
    response = anonymous.http.post("/oauth/token?x=%00", data={"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_unknown_routes_answer_in_the_api_shape(api: Api) -> None:
    assert_error(api.get("/api/v2/nothing-here"), 404)
    assert_error(api.http.put("/api/v2/users"), 405)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/api/v2/users", {"GET", "POST"}),
        ("PUT", "/api/v2/users/auth0%7Cnobody", {"GET", "PATCH", "DELETE", "OPTIONS"}),
        ("POST", "/api/v2/clients/abc", {"GET", "PATCH", "DELETE"}),
        ("GET", "/oauth/token", {"POST", "OPTIONS"}),  # OPTIONS: CORS preflights
        ("DELETE", "/userinfo", {"GET", "OPTIONS"}),
    ],
)
def test_405_lists_every_method_the_path_serves(
    api: Api, method: str, path: str, allowed: set[str]
) -> None:
    """RFC 9110 15.5.6: a 405 carries `Allow` naming all the path's methods, not the first
    route's only."""
    response = api.http.request(method, path)
    assert response.status_code == 405, response.text
    assert set(response.headers["allow"].split(", ")) - {"HEAD"} == allowed
    if path.startswith("/api/"):
        assert_error(response, 405)
    else:
        assert response.json()["error"] == "invalid_request"
