"""Who may read and change a user: the scopes of the users endpoints (a client's token), and a
user's own token (`read:current_user`, `update:current_user_metadata`), which reaches only that
user, and only their `user_metadata`.

Scope rules do not depend on the database: this module runs on SQLite."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.api import Api, assert_error, user_path
from tests.support.server import RunningServer
from tests.support.signin import App, login, new_app, tokens

pytestmark = pytest.mark.sqlite_only


# --- a client's token: the scopes of the users endpoints ------------------------------------


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


# --- a user's own token ------------------------------------------------------------------------

USER_SCOPES = "read:current_user update:current_user_metadata"


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    return new_app(api)


def user_token(server: RunningServer, app: App, email: str, scope: str = USER_SCOPES) -> str:
    response = login(server, app, email, audience=server.audience, scope=scope)
    token: str = tokens(response)["access_token"]
    return token


@dataclass
class Me:
    user: dict[str, Any]
    api: Api

    @property
    def path(self) -> str:
        return user_path(self.user["user_id"])


def sign_in(server: RunningServer, api: Api, app: App, scope: str = USER_SCOPES) -> Me:
    user = api.create_user(connection=app.connection, user_metadata={"theme": "dark"})
    return Me(user, Api(server, user_token(server, app, user["email"], scope)))


@pytest.fixture
def me(server: RunningServer, api: Api, app: App) -> Me:
    return sign_in(server, api, app)


def assert_forbidden(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 403, response.text
    body: dict[str, Any] = response.json()
    assert body["statusCode"] == 403
    assert isinstance(body["message"], str) and body["message"]
    return body


def comparable(user: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in user.items() if k not in ("last_login", "logins_count", "last_ip")}


def test_reads_own_profile(me: Me) -> None:
    response = me.api.get(me.path)
    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == me.user["user_id"]
    assert response.json()["user_metadata"] == {"theme": "dark"}


def test_cannot_read_another_user(me: Me, api: Api, app: App) -> None:
    other = api.create_user(connection=app.connection)
    assert_forbidden(me.api.get(user_path(other["user_id"])))
    assert_forbidden(me.api.get(user_path("auth0|" + "0" * 24)))


def test_cannot_list_or_search_users(me: Me) -> None:
    assert_forbidden(me.api.get("/api/v2/users"))
    assert_forbidden(me.api.get("/api/v2/users-by-email", email=me.user["email"]))


def test_patch_own_user_metadata_merges(me: Me, api: Api) -> None:
    response = me.api.patch(me.path, {"user_metadata": {"lang": "fr", "size": "L"}})
    assert response.status_code == 200, response.text
    assert response.json()["user_metadata"] == {"theme": "dark", "lang": "fr", "size": "L"}

    response = me.api.patch(me.path, {"user_metadata": {"theme": None, "size": "M"}})
    assert response.status_code == 200, response.text
    assert response.json()["user_metadata"] == {"lang": "fr", "size": "M"}
    assert api.user(me.user["user_id"])["user_metadata"] == {"lang": "fr", "size": "M"}

    response = me.api.patch(me.path, {"user_metadata": {}})
    assert response.status_code == 200, response.text
    assert response.json().get("user_metadata", {}) == {}
    assert api.user(me.user["user_id"]).get("user_metadata", {}) == {}


FORBIDDEN_PATCHES: dict[str, dict[str, Any]] = {
    "app_metadata": {"app_metadata": {"role": "admin"}},
    "app_metadata alongside user_metadata": {
        "user_metadata": {"lang": "fr"},
        "app_metadata": {"role": "admin"},
    },
    "email": {"email": "someone.else@example.com"},
    "password": {"password": "An0ther!Passw0rd"},
    "name": {"name": "New Name"},
    "nickname": {"nickname": "newnick"},
    "blocked": {"blocked": True},
    "email_verified": {"email_verified": True},
}


@pytest.mark.parametrize("case", list(FORBIDDEN_PATCHES))
def test_patch_beyond_user_metadata_is_forbidden(me: Me, api: Api, case: str) -> None:
    before = comparable(api.user(me.user["user_id"]))
    assert_forbidden(me.api.patch(me.path, FORBIDDEN_PATCHES[case]))
    assert comparable(api.user(me.user["user_id"])) == before


def test_patch_another_users_metadata_is_forbidden(me: Me, api: Api, app: App) -> None:
    other = api.create_user(connection=app.connection, user_metadata={"owner": "other"})
    assert_forbidden(me.api.patch(user_path(other["user_id"]), {"user_metadata": {"x": "y"}}))
    assert api.user(other["user_id"])["user_metadata"] == {"owner": "other"}


def test_delete_self_needs_delete_current_user(me: Me, api: Api) -> None:
    assert_forbidden(me.api.delete(me.path))
    assert api.user(me.user["user_id"])["user_id"] == me.user["user_id"]


def test_create_current_user_metadata_also_patches_user_metadata(
    server: RunningServer, api: Api, app: App
) -> None:
    writer = sign_in(server, api, app, scope="create:current_user_metadata")
    response = writer.api.patch(writer.path, {"user_metadata": {"lang": "de"}})
    assert response.status_code == 200, response.text
    assert api.user(writer.user["user_id"])["user_metadata"] == {"theme": "dark", "lang": "de"}
    assert_forbidden(writer.api.patch(writer.path, {"app_metadata": {"x": "y"}}))


def test_read_only_token_cannot_patch(server: RunningServer, api: Api, app: App) -> None:
    reader = sign_in(server, api, app, scope="read:current_user")
    assert reader.api.get(reader.path).status_code == 200
    assert_forbidden(reader.api.patch(reader.path, {"user_metadata": {"lang": "fr"}}))
    assert api.user(reader.user["user_id"])["user_metadata"] == {"theme": "dark"}


def test_asking_for_admin_scopes_gives_none_of_them(
    server: RunningServer, api: Api, app: App
) -> None:
    greedy = sign_in(server, api, app, scope="read:current_user read:users delete:users")
    other = api.create_user(connection=app.connection)
    assert_forbidden(greedy.api.get(user_path(other["user_id"])))
    assert_forbidden(greedy.api.get("/api/v2/users"))
    assert_forbidden(greedy.api.delete(user_path(other["user_id"])))
    assert api.user(other["user_id"])["user_id"] == other["user_id"]


def test_user_token_reaches_no_other_management_endpoint(me: Me) -> None:
    assert_forbidden(me.api.get("/api/v2/clients"))
    assert_forbidden(me.api.get("/api/v2/connections"))
    assert_forbidden(me.api.post("/api/v2/users", {"connection": "x", "email": "a@b.co"}))
