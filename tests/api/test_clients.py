"""`/api/v2/clients`: secrets, fields, defaults, client_metadata, paging and scopes.

What the database keeps of a client (every field, paging, deletion) is tested on every
database in tests/storage/test_clients.py: this module runs on SQLite."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import pytest

from tests.support.api import Api
from tests.support.api import assert_coded_error as error

pytestmark = pytest.mark.sqlite_only

CLIENTS = "/api/v2/clients"
READ = ("read:clients", "read:client_keys")
UPDATE = ("update:clients", "update:client_keys")


# --- helpers ---------------------------------------------------------------------------------


def unique(prefix: str = "app") -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def create_client(api: Api, **fields: Any) -> dict[str, Any]:
    response = api.post(CLIENTS, {"name": unique(), **fields})
    assert response.status_code == 201, response.text
    client: dict[str, Any] = response.json()
    return client


def get_client(api: Api, client_id: str) -> dict[str, Any]:
    response = api.get(f"{CLIENTS}/{client_id}")
    assert response.status_code == 200, response.text
    client: dict[str, Any] = response.json()
    return client


def without_secret(client: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in client.items() if k != "client_secret"}


def post_token(api: Api, body: dict[str, Any]) -> httpx.Response:
    """POST /oauth/token as the client itself, without the administrator's bearer token."""
    request = api.http.build_request("POST", "/oauth/token", json=body)
    del request.headers["authorization"]
    return api.http.send(request)


def request_token(
    api: Api, client_id: str, secret: str, audience: str | None = None
) -> httpx.Response:
    return post_token(
        api,
        {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "audience": audience or api.server.audience,
        },
    )


def jwt_payload(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return payload


def grant_management(api: Api, client_id: str, *scopes: str) -> None:
    response = api.post(
        "/api/v2/client-grants",
        {"client_id": client_id, "audience": api.server.audience, "scope": list(scopes)},
    )
    assert response.status_code == 201, response.text


def all_clients(api: Api) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    page = 0
    while True:
        response = api.get(CLIENTS, page=page, per_page=100)
        assert response.status_code == 200, response.text
        items = response.json()
        if not items:
            return found
        found.extend(items)
        page += 1


def client_count(api: Api) -> int:
    response = api.get(CLIENTS, include_totals="true", per_page=1, fields="client_id")
    assert response.status_code == 200, response.text
    total: int = response.json()["total"]
    return total


def management_scopes(api: Api) -> list[str]:
    servers = api.get("/api/v2/resource-servers", per_page=100).json()
    system = next(s for s in servers if s["identifier"] == api.server.audience)
    return [s["value"] for s in system["scopes"]]


def metadata_of(size: int, prefix: str = "k") -> dict[str, str]:
    return {f"{prefix}{i}": f"value {i}" for i in range(size)}


# --- secrets -------------------------------------------------------------------------------


def test_create_returns_the_secret_and_get_never_does(api: Api) -> None:
    client = create_client(api, app_type="non_interactive")
    assert isinstance(client["client_secret"], str) and len(client["client_secret"]) >= 32
    assert "client_secret" not in get_client(api, client["client_id"])


def test_list_never_returns_secrets(api: Api) -> None:
    created = create_client(api, app_type="regular_web")
    listed = all_clients(api)
    assert created["client_id"] in {c["client_id"] for c in listed}
    assert all("client_secret" not in c for c in listed)
    totals = api.get(CLIENTS, include_totals="true", per_page=100).json()
    assert all("client_secret" not in c for c in totals["clients"])


def test_patch_response_has_no_secret(api: Api) -> None:
    client = create_client(api)
    response = api.patch(f"{CLIENTS}/{client['client_id']}", {"description": "patched"})
    assert response.status_code == 200, response.text
    assert "client_secret" not in response.json()


def test_the_created_secret_gets_a_token(api: Api) -> None:
    client = create_client(api, app_type="non_interactive")
    grant_management(api, client["client_id"], "read:clients")
    response = request_token(api, client["client_id"], client["client_secret"])
    assert response.status_code == 200, response.text
    claims = jwt_payload(response.json()["access_token"])
    assert claims["sub"] == f"{client['client_id']}@clients"
    assert claims["scope"] == "read:clients"


def test_rotate_secret_returns_a_new_secret_once(api: Api) -> None:
    client = create_client(api, app_type="non_interactive")
    response = api.post(f"{CLIENTS}/{client['client_id']}/rotate-secret")
    assert response.status_code == 200, response.text
    rotated = response.json()
    assert isinstance(rotated["client_secret"], str) and len(rotated["client_secret"]) >= 32
    assert rotated["client_secret"] != client["client_secret"]
    assert without_secret(rotated) == without_secret(client)
    assert "client_secret" not in get_client(api, client["client_id"])


def test_rotated_out_secret_no_longer_gets_a_token(api: Api) -> None:
    client = create_client(api, app_type="non_interactive")
    grant_management(api, client["client_id"], "read:clients")
    assert request_token(api, client["client_id"], client["client_secret"]).status_code == 200

    rotated = api.post(f"{CLIENTS}/{client['client_id']}/rotate-secret").json()

    old = request_token(api, client["client_id"], client["client_secret"])
    assert old.status_code == 401, old.text
    assert old.json()["error"] == "invalid_client"
    new = request_token(api, client["client_id"], rotated["client_secret"])
    assert new.status_code == 200, new.text


def test_each_rotation_invalidates_the_previous_secret(api: Api) -> None:
    client = create_client(api, app_type="non_interactive")
    grant_management(api, client["client_id"], "read:clients")
    first = api.post(f"{CLIENTS}/{client['client_id']}/rotate-secret").json()["client_secret"]
    second = api.post(f"{CLIENTS}/{client['client_id']}/rotate-secret").json()["client_secret"]
    assert first != second
    assert request_token(api, client["client_id"], first).status_code == 401
    assert request_token(api, client["client_id"], second).status_code == 200


def test_a_client_without_the_client_credentials_grant_type_gets_no_token(api: Api) -> None:
    client = create_client(api, app_type="non_interactive")
    grant_management(api, client["client_id"], "read:clients")
    api.patch(f"{CLIENTS}/{client['client_id']}", {"grant_types": ["authorization_code"]})
    response = request_token(api, client["client_id"], client["client_secret"])
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "unauthorized_client"


# --- fields --------------------------------------------------------------------------------

FULL = {
    "description": "An application under test",
    "app_type": "regular_web",
    "callbacks": ["https://app.example.com/callback", "http://localhost:3000/cb"],
    "allowed_origins": ["https://app.example.com"],
    "web_origins": ["https://app.example.com", "http://localhost:3000"],
    "allowed_logout_urls": ["https://app.example.com/bye"],
    "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
    "token_endpoint_auth_method": "client_secret_basic",
    "client_metadata": {"plan": "gold", "region": "eu-west"},
}


def test_fields_round_trip_on_create(api: Api) -> None:
    name = unique()
    client = create_client(api, **FULL, name=name)
    assert client["name"] == name
    for key, value in FULL.items():
        assert client[key] == value, key
    assert isinstance(client["client_id"], str) and client["client_id"]
    assert get_client(api, client["client_id"]) == without_secret(client)


def test_fields_round_trip_on_patch(api: Api) -> None:
    client = create_client(api, app_type="non_interactive")
    name = unique("renamed")
    changes = {**FULL, "name": name, "client_metadata": {"tier": "silver"}}
    response = api.patch(f"{CLIENTS}/{client['client_id']}", changes)
    assert response.status_code == 200, response.text
    patched = response.json()
    for key, value in changes.items():
        assert patched[key] == value, key
    assert patched["client_id"] == client["client_id"]
    assert get_client(api, client["client_id"]) == patched


def test_patch_leaves_unmentioned_fields_alone(api: Api) -> None:
    client = create_client(api, **FULL)
    response = api.patch(f"{CLIENTS}/{client['client_id']}", {"callbacks": []})
    assert response.status_code == 200, response.text
    # An empty list is left out, as Auth0 leaves out lists never set.
    expected = {k: v for k, v in without_secret(client).items() if k != "callbacks"}
    assert response.json() == expected


@pytest.mark.parametrize("app_type", ["spa", "native"])
def test_public_app_types_default_to_no_client_authentication(api: Api, app_type: str) -> None:
    client = create_client(api, app_type=app_type)
    assert client["app_type"] == app_type
    assert client["token_endpoint_auth_method"] == "none"
    assert "client_credentials" not in client["grant_types"]


@pytest.mark.parametrize("app_type", ["regular_web", "non_interactive"])
def test_confidential_app_types_default_to_client_secret_post(api: Api, app_type: str) -> None:
    client = create_client(api, app_type=app_type)
    assert client["token_endpoint_auth_method"] == "client_secret_post"


def test_machine_to_machine_clients_default_to_the_client_credentials_grant(api: Api) -> None:
    client = create_client(api, app_type="non_interactive")
    assert client["grant_types"] == ["client_credentials"]


def test_explicit_auth_method_wins_over_the_app_type_default(api: Api) -> None:
    client = create_client(api, app_type="native", token_endpoint_auth_method="client_secret_post")
    assert client["token_endpoint_auth_method"] == "client_secret_post"


# --- client_metadata -----------------------------------------------------------------------


def test_client_metadata_takes_ten_string_keys_of_255_characters(api: Api) -> None:
    metadata = {f"{i}{'k' * 254}": "v" * 255 for i in range(10)}
    client = create_client(api, client_metadata=metadata)
    assert client["client_metadata"] == metadata
    assert get_client(api, client["client_id"])["client_metadata"] == metadata


@pytest.mark.parametrize(
    "metadata",
    [
        pytest.param(metadata_of(11), id="eleven-keys"),
        pytest.param({"k" * 256: "v"}, id="key-256-chars"),
        pytest.param({"k": "v" * 256}, id="value-256-chars"),
        pytest.param({"k": 1}, id="integer-value"),
        pytest.param({"k": True}, id="boolean-value"),
        pytest.param({"k": {"nested": "x"}}, id="object-value"),
        pytest.param({"k": ["x"]}, id="array-value"),
        pytest.param(["k"], id="array"),
        pytest.param("k=v", id="string"),
    ],
)
def test_create_refuses_client_metadata_outside_the_rules(api: Api, metadata: Any) -> None:
    before = client_count(api)
    error(api.post(CLIENTS, {"name": unique(), "client_metadata": metadata}), 400, "invalid_body")
    assert client_count(api) == before


def test_patch_merges_client_metadata_at_the_first_level(api: Api) -> None:
    client = create_client(api, client_metadata={"a": "1", "b": "2"})
    path = f"{CLIENTS}/{client['client_id']}"
    response = api.patch(path, {"client_metadata": {"b": "3", "c": "4"}})
    assert response.status_code == 200, response.text
    assert response.json()["client_metadata"] == {"a": "1", "b": "3", "c": "4"}
    assert get_client(api, client["client_id"])["client_metadata"] == {
        "a": "1",
        "b": "3",
        "c": "4",
    }


def test_patch_null_deletes_a_client_metadata_key(api: Api) -> None:
    client = create_client(api, client_metadata={"a": "1", "b": "2"})
    path = f"{CLIENTS}/{client['client_id']}"
    response = api.patch(path, {"client_metadata": {"a": None, "missing": None}})
    assert response.status_code == 200, response.text
    assert response.json()["client_metadata"] == {"b": "2"}
    assert get_client(api, client["client_id"])["client_metadata"] == {"b": "2"}


def test_patch_empty_object_clears_client_metadata(api: Api) -> None:
    client = create_client(api, client_metadata={"a": "1", "b": "2"})
    response = api.patch(f"{CLIENTS}/{client['client_id']}", {"client_metadata": {}})
    assert response.status_code == 200, response.text
    # Empty metadata is left out, as Auth0 leaves it out when never set.
    assert "client_metadata" not in response.json()
    assert "client_metadata" not in get_client(api, client["client_id"])


def test_patch_without_client_metadata_keeps_it(api: Api) -> None:
    client = create_client(api, client_metadata={"a": "1"})
    response = api.patch(f"{CLIENTS}/{client['client_id']}", {"name": unique()})
    assert response.status_code == 200, response.text
    assert response.json()["client_metadata"] == {"a": "1"}


def test_key_limit_applies_to_the_merged_client_metadata(api: Api) -> None:
    client = create_client(api, client_metadata=metadata_of(10))
    path = f"{CLIENTS}/{client['client_id']}"
    error(api.patch(path, {"client_metadata": {"extra": "x"}}), 400, "invalid_body")
    assert get_client(api, client["client_id"])["client_metadata"] == metadata_of(10)

    response = api.patch(path, {"client_metadata": {"extra": "x", "k0": None}})
    assert response.status_code == 200, response.text
    expected = {**metadata_of(10), "extra": "x"}
    del expected["k0"]
    assert response.json()["client_metadata"] == expected


@pytest.mark.parametrize(
    "patch",
    [
        pytest.param({"k" * 256: "v"}, id="key-256-chars"),
        pytest.param({"a": "v" * 256}, id="value-256-chars"),
        pytest.param({"a": 5}, id="integer-value"),
        pytest.param({"a": {"x": "y"}}, id="object-value"),
        pytest.param("a", id="string"),
    ],
)
def test_rejected_client_metadata_patch_leaves_the_client_unchanged(api: Api, patch: Any) -> None:
    client = create_client(api, client_metadata={"a": "1"})
    before = get_client(api, client["client_id"])
    response = api.patch(
        f"{CLIENTS}/{client['client_id']}",
        {"name": unique("never"), "description": "never", "client_metadata": patch},
    )
    error(response, 400, "invalid_body")
    assert get_client(api, client["client_id"]) == before


# --- validation ----------------------------------------------------------------------------


def test_description_takes_up_to_140_characters(api: Api) -> None:
    client = create_client(api, description="d" * 140)
    assert client["description"] == "d" * 140


def test_create_requires_a_name(api: Api) -> None:
    body = error(api.post(CLIENTS, {"app_type": "spa"}), 400, "invalid_body")
    assert "name" in body["message"]


@pytest.mark.parametrize("prop", ["bogus", "client_id", "tenant", "signing_keys_x"])
def test_create_refuses_unknown_properties(api: Api, prop: str) -> None:
    before = client_count(api)
    body = error(api.post(CLIENTS, {"name": unique(), prop: "x"}), 400, "invalid_body")
    assert prop in body["message"]
    assert client_count(api) == before


@pytest.mark.parametrize("prop", ["bogus", "client_id", "client_secret_hash"])
def test_patch_refuses_unknown_properties(api: Api, prop: str) -> None:
    client = create_client(api)
    before = get_client(api, client["client_id"])
    response = api.patch(f"{CLIENTS}/{client['client_id']}", {"description": "x", prop: "y"})
    body = error(response, 400, "invalid_body")
    assert prop in body["message"]
    assert get_client(api, client["client_id"]) == before


WRONG_TYPES = [
    ("name", 5),
    ("name", ""),
    ("name", None),
    ("name", "<script>"),
    ("name", "a > b"),
    ("description", "d" * 141),
    ("description", 5),
    ("description", ["x"]),
    ("app_type", "desktop"),
    ("app_type", 1),
    ("callbacks", "https://app.example.com/cb"),
    ("callbacks", [5]),
    ("allowed_origins", {"a": "b"}),
    ("web_origins", [None]),
    ("allowed_logout_urls", True),
    ("grant_types", "client_credentials"),
    ("grant_types", ["bogus"]),
    ("token_endpoint_auth_method", "private_key"),
    ("token_endpoint_auth_method", 1),
    ("is_first_party", "yes"),
]


@pytest.mark.parametrize(("prop", "value"), WRONG_TYPES)
def test_create_refuses_wrong_types(api: Api, prop: str, value: Any) -> None:
    before = client_count(api)
    error(api.post(CLIENTS, {"name": unique(), prop: value}), 400, "invalid_body")
    assert client_count(api) == before


@pytest.mark.parametrize(("prop", "value"), WRONG_TYPES)
def test_patch_refuses_wrong_types_and_changes_nothing(api: Api, prop: str, value: Any) -> None:
    client = create_client(api)
    before = get_client(api, client["client_id"])
    error(api.patch(f"{CLIENTS}/{client['client_id']}", {prop: value}), 400, "invalid_body")
    assert get_client(api, client["client_id"]) == before


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("raw", [b"{not json", b'{"name": "x",}', b"[]", b'"text"'])
def test_malformed_or_non_object_json_is_invalid_body(api: Api, method: str, raw: bytes) -> None:
    path = CLIENTS if method == "POST" else f"{CLIENTS}/{create_client(api)['client_id']}"
    response = api.http.request(
        method, path, content=raw, headers={"content-type": "application/json"}
    )
    error(response, 400, "invalid_body")


# --- not found -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"description": "x"}),
        ("POST", "/rotate-secret", None),
    ],
)
def test_unknown_client_is_404_inexistent_client(
    api: Api, method: str, suffix: str, body: Any
) -> None:
    path = f"{CLIENTS}/{uuid.uuid4().hex}{suffix}"
    error(api.http.request(method, path, json=body), 404, "inexistent_client")


def test_delete_removes_the_client(api: Api) -> None:
    client = create_client(api, app_type="non_interactive")
    grant_management(api, client["client_id"], "read:clients")
    path = f"{CLIENTS}/{client['client_id']}"
    response = api.delete(path)
    assert response.status_code == 204, response.text
    assert response.content == b""
    error(api.get(path), 404, "inexistent_client")
    # Deleting it again answers as the first time (Auth0 does too).
    again = api.delete(path)
    assert (again.status_code, again.content) == (204, b"")
    assert client["client_id"] not in {c["client_id"] for c in all_clients(api)}
    token = request_token(api, client["client_id"], client["client_secret"])
    assert token.status_code == 401, token.text


# --- paging and field selection ------------------------------------------------------------


def test_list_is_a_bare_array_without_include_totals(api: Api) -> None:
    create_client(api)
    response = api.get(CLIENTS)
    assert response.status_code == 200, response.text
    assert isinstance(response.json(), list)


def test_include_totals_gives_the_object_form(api: Api) -> None:
    for _ in range(3):
        create_client(api)
    total = client_count(api)
    response = api.get(CLIENTS, include_totals="true", page=1, per_page=2)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"start", "limit", "total", "clients"}
    assert body["start"] == 2
    assert body["limit"] == 2
    assert len(body["clients"]) == 2
    assert body["total"] == total


def test_pages_partition_the_list(api: Api) -> None:
    created = [create_client(api)["client_id"] for _ in range(3)]
    everything = [c["client_id"] for c in all_clients(api)]
    assert len(everything) == len(set(everything)) == client_count(api)
    assert set(created) <= set(everything)
    by_seven: list[str] = []
    for page in range(-(-len(everything) // 7)):
        items = api.get(CLIENTS, page=page, per_page=7).json()
        assert 1 <= len(items) <= 7
        by_seven.extend(c["client_id"] for c in items)
    assert by_seven == everything
    for page in range(3):
        items = api.get(CLIENTS, page=page, per_page=1).json()
        assert [c["client_id"] for c in items] == everything[page : page + 1]


def test_page_past_the_end_is_empty(api: Api) -> None:
    create_client(api)
    total = client_count(api)
    assert api.get(CLIENTS, page=total, per_page=1).json() == []
    body = api.get(CLIENTS, page=total, per_page=1, include_totals="true").json()
    assert body["clients"] == []
    assert body["total"] == total


@pytest.mark.parametrize(
    "params",
    [
        {"per_page": "0"},
        {"per_page": "many"},
        {"page": "-1"},
        {"include_totals": "perhaps"},
    ],
)
def test_bad_paging_parameters_are_invalid_query_string(api: Api, params: dict[str, str]) -> None:
    error(api.get(CLIENTS, **params), 400, "invalid_query_string")


def test_fields_keeps_only_the_named_fields(api: Api) -> None:
    client = create_client(api, description="kept")
    # Auth0 names the tenant whatever fields are asked for.
    one = api.get(f"{CLIENTS}/{client['client_id']}", fields="client_id,name").json()
    assert one == {"client_id": client["client_id"], "name": client["name"], "tenant": "selfauth"}
    explicit = api.get(
        f"{CLIENTS}/{client['client_id']}", fields="name", include_fields="true"
    ).json()
    assert explicit == {"name": client["name"], "tenant": "selfauth"}
    listed = api.get(CLIENTS, fields="client_id,name", per_page=100).json()
    assert listed and all(set(c) == {"client_id", "name", "tenant"} for c in listed)


def test_include_fields_false_drops_the_named_fields(api: Api) -> None:
    client = create_client(api, description="dropped")
    full = get_client(api, client["client_id"])
    response = api.get(
        f"{CLIENTS}/{client['client_id']}", fields="description,callbacks", include_fields="false"
    )
    assert response.status_code == 200, response.text
    expected = {k: v for k, v in full.items() if k not in ("description", "callbacks")}
    assert response.json() == expected
    listed = api.get(CLIENTS, fields="callbacks", include_fields="false", per_page=100).json()
    assert listed and all("callbacks" not in c and "client_id" in c for c in listed)


# --- authentication and scopes -------------------------------------------------------------

ENDPOINTS: list[tuple[str, str, str, Any, tuple[str, ...]]] = [
    ("list", "GET", CLIENTS, None, READ),
    ("get", "GET", CLIENTS + "/{id}", None, READ),
    ("create", "POST", CLIENTS, {"name": "scoped"}, ("create:clients",)),
    ("update", "PATCH", CLIENTS + "/{id}", {"description": "x"}, UPDATE),
    ("delete", "DELETE", CLIENTS + "/{id}", None, ("delete:clients",)),
    ("rotate", "POST", CLIENTS + "/{id}/rotate-secret", None, ("update:client_keys",)),
]
CLIENT_SCOPES = sorted({scope for *_, accepted in ENDPOINTS for scope in accepted})
PREFIX = "Insufficient scope, expected any of: "


def call(api: Api, method: str, path: str, body: Any) -> httpx.Response:
    if body is None:
        return api.http.request(method, path)
    return api.http.request(method, path, json=body)


def assert_insufficient_scope(response: httpx.Response, accepted: tuple[str, ...]) -> None:
    found = error(response, 403, "insufficient_scope")
    assert found["message"].startswith(PREFIX), found
    assert found["message"].removeprefix(PREFIX).split(",") == list(accepted)


@pytest.mark.parametrize("scope", CLIENT_SCOPES)
def test_a_token_with_one_scope_reaches_exactly_the_endpoints_accepting_it(
    api: Api, scope: str
) -> None:
    narrow = api.with_scopes(scope)
    client = create_client(api)
    path_of = {row[0]: row[2].format(id=client["client_id"]) for row in ENDPOINTS}
    denied = [row for row in ENDPOINTS if scope not in row[4]]
    allowed = sorted((row for row in ENDPOINTS if scope in row[4]), key=lambda r: r[0] == "delete")
    for name, method, _path, body, accepted in denied:
        assert_insufficient_scope(call(narrow, method, path_of[name], body), accepted)
    assert get_client(api, client["client_id"]) == without_secret(client)
    for name, method, _path, body, _accepted in allowed:
        response = call(narrow, method, path_of[name], body)
        assert 200 <= response.status_code < 300, (name, response.text)


def test_scopes_of_other_resources_are_403_insufficient_scope(api: Api) -> None:
    others = [s for s in management_scopes(api) if s not in CLIENT_SCOPES]
    assert "read:users" in others
    narrow = api.with_scopes(*others)
    client = create_client(api)
    for _name, method, path, body, accepted in ENDPOINTS:
        response = call(narrow, method, path.format(id=client["client_id"]), body)
        assert_insufficient_scope(response, accepted)
    assert get_client(api, client["client_id"]) == without_secret(client)


def test_no_token_is_401(api: Api, anonymous: Api) -> None:
    client = create_client(api)
    before = client_count(api)
    for name, method, path, body, _accepted in ENDPOINTS:
        response = call(anonymous, method, path.format(id=client["client_id"]), body)
        assert response.status_code == 401, (name, response.text)
        error(response, 401)
    assert get_client(api, client["client_id"]) == without_secret(client)
    assert client_count(api) == before


def test_invalid_token_is_401(api: Api) -> None:
    error(api.http.get(CLIENTS, headers={"authorization": "Bearer not.a.jwt"}), 401)
