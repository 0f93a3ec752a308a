"""auth0-python 4.13, unchanged, against selfauth over plain HTTP (`protocol="http"`).

Every call goes through the SDK's own endpoint classes, so these tests check what an
application sees: the request shapes the SDK sends and how it reads our answers
(including `Auth0Error` built from our error bodies).

These check what a client library sees on the wire; the api and storage tests cover each
database: this module runs on SQLite.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from auth0.exceptions import Auth0Error
from auth0.management import ClientGrants, Clients, Connections, Users, UsersByEmail

from tests.support.api import DB, PASSWORD, unique, unique_email
from tests.support.sdk import domain_of, get_token
from tests.support.server import RunningServer
from tests.support.signin import claims

pytestmark = pytest.mark.sqlite_only

NewUser = Callable[..., dict[str, Any]]
NewClient = Callable[..., dict[str, Any]]
UNKNOWN_USER = "auth0|" + "0" * 24


def _grant(
    client_grants: ClientGrants, server: RunningServer, client_id: str, *scopes: str
) -> dict[str, Any]:
    grant: dict[str, Any] = client_grants.create(
        {"client_id": client_id, "audience": server.audience, "scope": list(scopes)}
    )
    return grant


def _all_user_ids(users: Users, per_page: int, sort: str) -> list[str]:
    """Walk every page the way an application would, checking each page's summary."""
    ids: list[str] = []
    page = 0
    while True:
        body = users.list(page=page, per_page=per_page, sort=sort, fields=["user_id"])
        assert body["limit"] == per_page, body
        assert body["length"] == len(body["users"]), body
        assert len(body["users"]) <= per_page
        if not body["users"]:
            assert body["total"] == len(ids), body
            return ids
        assert body["start"] == page * per_page, body
        ids.extend(user["user_id"] for user in body["users"])
        page += 1
        assert page < 200, "paging never reached an empty page"


# --- Authentication API: GetToken.client_credentials -------------------------------------


def test_client_credentials_returns_a_bearer_jwt_for_the_requested_audience(
    server: RunningServer,
) -> None:
    before = int(time.time())
    token = get_token(server, server.client_id, server.client_secret).client_credentials(
        server.audience
    )
    assert token["token_type"] == "Bearer"
    assert isinstance(token["expires_in"], int) and token["expires_in"] > 0
    assert isinstance(token["scope"], str) and token["scope"]
    assert "id_token" not in token
    payload = claims(token["access_token"])
    assert payload["iss"] == server.issuer
    assert payload["aud"] == server.audience
    assert payload["sub"] == f"{server.client_id}@clients"
    assert payload["azp"] == server.client_id
    assert payload["gty"] == "client-credentials"
    assert sorted(payload["scope"].split(" ")) == sorted(token["scope"].split(" "))
    assert payload["exp"] - payload["iat"] == token["expires_in"]
    assert before - 5 <= payload["iat"] <= int(time.time()) + 5


def test_client_credentials_with_a_wrong_secret_is_401_invalid_client(
    server: RunningServer,
) -> None:
    with pytest.raises(Auth0Error) as caught:
        get_token(server, server.client_id, "not-the-secret").client_credentials(server.audience)
    assert caught.value.status_code == 401
    assert caught.value.error_code == "invalid_client"
    assert caught.value.message


def test_client_credentials_for_an_unknown_audience_is_403_access_denied(
    server: RunningServer,
) -> None:
    with pytest.raises(Auth0Error) as caught:
        get_token(server, server.client_id, server.client_secret).client_credentials(
            f"https://{unique('api')}.example.com/"
        )
    assert caught.value.status_code == 403
    assert caught.value.error_code == "access_denied"
    assert caught.value.message


def test_client_credentials_without_a_client_grant_is_403_access_denied(
    server: RunningServer, new_machine_client: NewClient
) -> None:
    client = new_machine_client()
    with pytest.raises(Auth0Error) as caught:
        get_token(server, client["client_id"], client["client_secret"]).client_credentials(
            server.audience
        )
    assert caught.value.status_code == 403
    assert caught.value.error_code == "access_denied"


# --- Management API: Users --------------------------------------------------------------


def test_created_user_is_read_back_by_its_pipe_containing_id(
    users: Users, new_user: NewUser
) -> None:
    email = unique_email()
    created = new_user(email=email, user_metadata={"theme": "dark"}, app_metadata={"plan": "gold"})
    user_id = created["user_id"]
    assert user_id.startswith("auth0|")
    assert created["email"] == email
    assert created["user_metadata"] == {"theme": "dark"}
    assert created["app_metadata"] == {"plan": "gold"}
    identity = created["identities"][0]
    assert identity["connection"] == DB
    assert identity["provider"] == "auth0"
    assert identity["user_id"] == user_id.removeprefix("auth0|")
    assert "password" not in created

    fetched = users.get(user_id)  # the SDK puts the raw id in the path; `|` goes as %7C
    assert fetched == created


def test_get_user_with_fields_returns_only_those_fields(users: Users, new_user: NewUser) -> None:
    created = new_user()
    only = users.get(created["user_id"], fields=["user_id", "email"])
    assert only == {"user_id": created["user_id"], "email": created["email"]}
    without = users.get(created["user_id"], fields=["identities"], include_fields=False)
    assert "identities" not in without
    assert without["user_id"] == created["user_id"]


def test_creating_a_user_with_a_taken_email_is_409(users: Users, new_user: NewUser) -> None:
    taken = new_user()["email"]
    with pytest.raises(Auth0Error) as caught:
        users.create({"connection": DB, "email": taken, "password": PASSWORD})
    assert caught.value.status_code == 409
    assert caught.value.error_code == "auth0_idp_error"


def test_list_users_answers_the_totals_object_the_sdk_asks_for(
    users: Users, new_user: NewUser
) -> None:
    new_user()
    body = users.list()  # sends include_totals=true, page=0, per_page=25
    assert isinstance(body, dict)
    assert set(body) == {"start", "limit", "length", "total", "users"}
    assert body["start"] == 0
    assert body["limit"] == 25
    assert body["length"] == len(body["users"]) >= 1
    assert body["total"] >= body["length"]


def test_list_users_without_totals_is_a_bare_array(users: Users, new_user: NewUser) -> None:
    new_user()
    body = users.list(include_totals=False, per_page=5)
    assert isinstance(body, list)
    assert 1 <= len(body) <= 5


def test_list_users_pages_tile_the_whole_sorted_list(users: Users, new_user: NewUser) -> None:
    for _ in range(4):
        new_user()
    small_pages = _all_user_ids(users, per_page=3, sort="email:1")
    large_pages = _all_user_ids(users, per_page=50, sort="email:1")
    assert len(small_pages) >= 4
    assert small_pages == large_pages
    assert len(set(small_pages)) == len(small_pages)

    total = users.list(per_page=3)["total"]
    assert total == len(small_pages)
    past_end = users.list(page=total // 3 + 1, per_page=3)
    assert past_end["users"] == []
    assert past_end["length"] == 0
    assert past_end["total"] == total


def test_list_users_sort_orders_ascending_with_1_and_descending_with_minus_1(
    users: Users, new_user: NewUser
) -> None:
    run = unique("sort")
    ids = [new_user(email=f"{run}.{letter}@example.com")["user_id"] for letter in "abc"]
    ascending = _all_user_ids(users, per_page=50, sort="email:1")
    descending = _all_user_ids(users, per_page=50, sort="email:-1")
    assert [ascending.index(i) for i in ids] == sorted(ascending.index(i) for i in ids)
    assert [descending.index(i) for i in ids] == sorted(
        (descending.index(i) for i in ids), reverse=True
    )


def test_list_users_with_fields_returns_only_those_fields(users: Users, new_user: NewUser) -> None:
    new_user()
    body = users.list(per_page=10, fields=["user_id", "email"])
    assert body["users"]
    for user in body["users"]:
        assert set(user) <= {"user_id", "email"}
        assert "user_id" in user
    excluded = users.list(per_page=10, fields=["identities"], include_fields=False)
    for user in excluded["users"]:
        assert "identities" not in user
        assert "user_id" in user


@pytest.mark.parametrize("metadata", ["user_metadata", "app_metadata"])
def test_update_merges_metadata_root_keys_null_deletes_and_empty_clears(
    users: Users, new_user: NewUser, metadata: str
) -> None:
    user_id = new_user()["user_id"]

    first = users.update(user_id, {metadata: {"theme": "dark"}})
    assert first[metadata] == {"theme": "dark"}

    second = users.update(user_id, {metadata: {"lang": "fr"}})
    assert second[metadata] == {"theme": "dark", "lang": "fr"}

    nested = users.update(user_id, {metadata: {"prefs": {"a": 1, "b": 2}}})
    assert nested[metadata]["prefs"] == {"a": 1, "b": 2}
    replaced = users.update(user_id, {metadata: {"prefs": {"c": 3}}})
    assert replaced[metadata] == {"theme": "dark", "lang": "fr", "prefs": {"c": 3}}

    root_change = users.update(user_id, {"name": "Ada Lovelace"})
    assert root_change["name"] == "Ada Lovelace"
    assert root_change[metadata] == {"theme": "dark", "lang": "fr", "prefs": {"c": 3}}

    deleted = users.update(user_id, {metadata: {"theme": None}})
    assert deleted[metadata] == {"lang": "fr", "prefs": {"c": 3}}
    assert users.get(user_id)[metadata] == {"lang": "fr", "prefs": {"c": 3}}

    cleared = users.update(user_id, {metadata: {}})
    assert cleared.get(metadata, {}) == {}
    assert users.get(user_id).get(metadata, {}) == {}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("logins_count", 5),
        ("created_at", "2020-01-01T00:00:00.000Z"),
        ("last_login", "2020-01-01T00:00:00.000Z"),
        ("user_id", "auth0|someoneelse"),
        ("identities", []),
    ],
)
def test_update_with_a_read_only_property_is_400_invalid_body(
    users: Users, new_user: NewUser, field: str, value: Any
) -> None:
    created = new_user()
    with pytest.raises(Auth0Error) as caught:
        users.update(created["user_id"], {field: value})
    assert caught.value.status_code == 400
    assert caught.value.error_code == "invalid_body"
    assert field in caught.value.message
    assert users.get(created["user_id"]) == created


def test_get_of_an_unknown_user_is_404_inexistent_user(users: Users) -> None:
    with pytest.raises(Auth0Error) as caught:
        users.get(UNKNOWN_USER)
    assert caught.value.status_code == 404
    assert caught.value.error_code == "inexistent_user"
    assert caught.value.message == "The user does not exist."


def test_update_of_an_unknown_user_is_404_inexistent_user(users: Users) -> None:
    with pytest.raises(Auth0Error) as caught:
        users.update(UNKNOWN_USER, {"user_metadata": {"a": "b"}})
    assert caught.value.status_code == 404
    assert caught.value.error_code == "inexistent_user"


def test_deleted_user_is_gone(users: Users, new_user: NewUser) -> None:
    user_id = new_user()["user_id"]
    assert users.delete(user_id) == ""  # 204: the SDK returns an empty string
    with pytest.raises(Auth0Error) as caught:
        users.get(user_id)
    assert caught.value.status_code == 404
    assert caught.value.error_code == "inexistent_user"


# --- Management API: UsersByEmail -------------------------------------------------------


def test_search_by_email_returns_a_list_with_the_user(
    users_by_email: UsersByEmail, new_user: NewUser
) -> None:
    created = new_user()
    found = users_by_email.search_users_by_email(created["email"])
    assert isinstance(found, list)
    assert [user["user_id"] for user in found] == [created["user_id"]]
    assert found[0] == created
    narrowed = users_by_email.search_users_by_email(created["email"], fields=["user_id"])
    assert narrowed == [{"user_id": created["user_id"]}]


def test_search_by_an_unknown_email_returns_an_empty_list(users_by_email: UsersByEmail) -> None:
    assert users_by_email.search_users_by_email(unique_email("nobody")) == []


# --- Management API: Clients ------------------------------------------------------------


def every_client(clients: Clients) -> list[dict[str, Any]]:
    """All pages of GET /clients (the shared server holds more than one page)."""
    found: list[dict[str, Any]] = []
    for page in range(1000):
        batch = clients.all(page=page, per_page=100)
        found.extend(batch)
        if len(batch) < 100:
            return found
    raise AssertionError("too many pages")


def test_created_client_carries_a_secret_and_is_listed_and_fetchable(
    clients: Clients, new_machine_client: NewClient
) -> None:
    name = unique("app")
    created = new_machine_client(name=name, client_metadata={"tier": "gold"})
    assert created["name"] == name
    assert created["app_type"] == "non_interactive"
    assert isinstance(created["client_id"], str) and created["client_id"]
    assert isinstance(created["client_secret"], str) and len(created["client_secret"]) >= 32
    assert created["client_metadata"] == {"tier": "gold"}

    fetched = clients.get(created["client_id"])
    assert fetched["client_id"] == created["client_id"]
    assert fetched["name"] == name

    assert isinstance(clients.all(), list)
    assert created["client_id"] in [client["client_id"] for client in every_client(clients)]

    # Auth0 names the tenant whatever fields are asked for.
    narrowed = clients.get(created["client_id"], fields=["client_id", "name"])
    assert narrowed == {"client_id": created["client_id"], "name": name, "tenant": "selfauth"}
    for client in clients.all(fields=["client_id", "name"]):
        assert set(client) <= {"client_id", "name", "tenant"}
        assert "client_id" in client


def test_client_secret_is_shown_once_and_never_read_back(
    clients: Clients, new_machine_client: NewClient
) -> None:
    # A deliberate difference from Auth0: secrets are stored as a keyed hash, so GET cannot
    # return them even with read:client_keys; create and rotate-secret show the new one once.
    created = new_machine_client()
    assert created["client_secret"]
    assert "client_secret" not in clients.get(created["client_id"])
    assert all("client_secret" not in c for c in every_client(clients))


def test_update_client_merges_client_metadata_and_null_deletes_a_key(
    clients: Clients, new_machine_client: NewClient
) -> None:
    client_id = new_machine_client(client_metadata={"tier": "gold"})["client_id"]
    merged = clients.update(client_id, {"client_metadata": {"region": "eu"}})
    assert merged["client_metadata"] == {"tier": "gold", "region": "eu"}
    renamed = clients.update(client_id, {"name": "Renamed app"})
    assert renamed["name"] == "Renamed app"
    assert renamed["client_metadata"] == {"tier": "gold", "region": "eu"}
    deleted = clients.update(client_id, {"client_metadata": {"tier": None}})
    assert deleted["client_metadata"] == {"region": "eu"}
    assert clients.get(client_id)["client_metadata"] == {"region": "eu"}


def test_rotated_secret_works_and_the_old_one_is_401_invalid_client(
    server: RunningServer,
    clients: Clients,
    client_grants: ClientGrants,
    new_machine_client: NewClient,
) -> None:
    client = new_machine_client()
    _grant(client_grants, server, client["client_id"], "read:users")
    old_secret = client["client_secret"]

    rotated = clients.rotate_secret(client["client_id"])  # the SDK posts {"id": ...}
    new_secret = rotated["client_secret"]
    assert rotated["client_id"] == client["client_id"]
    assert isinstance(new_secret, str) and new_secret and new_secret != old_secret

    token = get_token(server, client["client_id"], new_secret).client_credentials(server.audience)
    assert claims(token["access_token"])["sub"] == f"{client['client_id']}@clients"
    with pytest.raises(Auth0Error) as caught:
        get_token(server, client["client_id"], old_secret).client_credentials(server.audience)
    assert caught.value.status_code == 401
    assert caught.value.error_code == "invalid_client"


def test_deleted_client_is_404_inexistent_client_and_cannot_get_tokens(
    server: RunningServer,
    clients: Clients,
    client_grants: ClientGrants,
    new_machine_client: NewClient,
) -> None:
    client = new_machine_client()
    _grant(client_grants, server, client["client_id"], "read:users")
    assert clients.delete(client["client_id"]) == ""
    with pytest.raises(Auth0Error) as caught:
        clients.get(client["client_id"])
    assert caught.value.status_code == 404
    assert caught.value.error_code == "inexistent_client"
    assert client["client_id"] not in [c["client_id"] for c in every_client(clients)]
    with pytest.raises(Auth0Error) as refused:
        get_token(server, client["client_id"], client["client_secret"]).client_credentials(
            server.audience
        )
    assert refused.value.status_code == 401
    assert refused.value.error_code == "invalid_client"


# --- Management API: Connections --------------------------------------------------------


def test_connections_include_the_default_database(connections: Connections) -> None:
    listed = connections.all()
    assert isinstance(listed, list)
    by_name = {connection["name"]: connection for connection in listed}
    assert by_name[DB]["strategy"] == "auth0"
    assert by_name[DB]["id"].startswith("con_")

    named = connections.all(name=DB)
    assert [connection["name"] for connection in named] == [DB]
    databases = connections.all(strategy="auth0")
    assert DB in [connection["name"] for connection in databases]
    assert {connection["strategy"] for connection in databases} == {"auth0"}


def test_connection_lifecycle_and_update_replaces_options_whole(
    connections: Connections,
) -> None:
    name = unique("compat-db")
    created = connections.create(
        {
            "name": name,
            "strategy": "auth0",
            "options": {"disable_signup": True, "brute_force_protection": True},
        }
    )
    connection_id = created["id"]
    assert connection_id.startswith("con_")
    assert created["name"] == name
    assert created["strategy"] == "auth0"
    assert created["options"]["disable_signup"] is True

    fetched = connections.get(connection_id)
    assert fetched["id"] == connection_id
    assert fetched["name"] == name
    assert fetched["options"]["brute_force_protection"] is True
    assert connections.get(connection_id, fields=["id", "name"]) == {
        "id": connection_id,
        "name": name,
    }

    updated = connections.update(connection_id, {"options": {"requires_username": True}})
    assert updated["options"]["requires_username"] is True
    assert "disable_signup" not in updated["options"]
    # Auth0 writes its default back when the replacing options lack it.
    assert updated["options"]["brute_force_protection"] is True
    assert connections.get(connection_id)["options"] == updated["options"]

    assert set(connections.delete(connection_id)) == {"deleted_at"}  # Auth0's 202
    with pytest.raises(Auth0Error) as caught:
        connections.get(connection_id)
    assert caught.value.status_code == 404
    assert caught.value.error_code == "inexistent_connection"
    assert name not in [connection["name"] for connection in connections.all()]


# --- Management API: ClientGrants -------------------------------------------------------


def test_client_grant_scopes_are_exactly_the_scopes_of_the_token(
    server: RunningServer, client_grants: ClientGrants, new_machine_client: NewClient
) -> None:
    client = new_machine_client()
    client_id, secret = client["client_id"], client["client_secret"]
    grant = _grant(client_grants, server, client_id, "read:users", "read:clients")
    assert grant["client_id"] == client_id
    assert grant["audience"] == server.audience
    assert sorted(grant["scope"]) == ["read:clients", "read:users"]
    assert isinstance(grant["id"], str) and grant["id"]

    listed = client_grants.all(client_id=client_id)
    assert isinstance(listed, list)
    assert [(g["id"], sorted(g["scope"])) for g in listed] == [
        (grant["id"], ["read:clients", "read:users"])
    ]
    assert [g["id"] for g in client_grants.all(audience=server.audience, client_id=client_id)] == [
        grant["id"]
    ]
    # The shared server holds many tests' grants: page through them all.
    every, page = [], 0
    while batch := client_grants.all(audience=server.audience, page=page, per_page=100):
        every.extend(g["id"] for g in batch)
        page += 1
    assert grant["id"] in every

    token = get_token(server, client_id, secret).client_credentials(server.audience)
    assert sorted(claims(token["access_token"])["scope"].split(" ")) == [
        "read:clients",
        "read:users",
    ]
    assert sorted(token["scope"].split(" ")) == ["read:clients", "read:users"]


def test_duplicate_client_grant_for_the_same_audience_is_409(
    server: RunningServer, client_grants: ClientGrants, new_machine_client: NewClient
) -> None:
    client_id = new_machine_client()["client_id"]
    _grant(client_grants, server, client_id, "read:users")
    with pytest.raises(Auth0Error) as caught:
        _grant(client_grants, server, client_id, "read:clients")
    assert caught.value.status_code == 409


def test_updated_grant_scope_limits_the_next_token_and_what_it_may_call(
    server: RunningServer, client_grants: ClientGrants, new_machine_client: NewClient
) -> None:
    client = new_machine_client()
    client_id, secret = client["client_id"], client["client_secret"]
    grant = _grant(client_grants, server, client_id, "read:users", "create:users")

    updated = client_grants.update(grant["id"], {"scope": ["read:users"]})
    assert updated["id"] == grant["id"]
    assert updated["scope"] == ["read:users"]
    assert [g["scope"] for g in client_grants.all(client_id=client_id)] == [["read:users"]]

    token = get_token(server, client_id, secret).client_credentials(server.audience)
    assert claims(token["access_token"])["scope"] == "read:users"

    scoped = Users(domain_of(server), token["access_token"], protocol="http")
    assert isinstance(scoped.list(per_page=1)["users"], list)
    with pytest.raises(Auth0Error) as caught:
        scoped.create({"connection": DB, "email": unique_email(), "password": PASSWORD})
    assert caught.value.status_code == 403
    assert caught.value.error_code == "insufficient_scope"


def test_deleted_grant_is_unlisted_and_the_client_is_403_access_denied(
    server: RunningServer, client_grants: ClientGrants, new_machine_client: NewClient
) -> None:
    client = new_machine_client()
    client_id, secret = client["client_id"], client["client_secret"]
    grant = _grant(client_grants, server, client_id, "read:users")
    get_token(server, client_id, secret).client_credentials(server.audience)

    assert client_grants.delete(grant["id"]) == ""
    assert client_grants.all(client_id=client_id) == []
    with pytest.raises(Auth0Error) as caught:
        get_token(server, client_id, secret).client_credentials(server.audience)
    assert caught.value.status_code == 403
    assert caught.value.error_code == "access_denied"
