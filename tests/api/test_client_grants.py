"""`/api/v2/client-grants`: what a client may ask for, and what its tokens then carry.

Grants in the database (one per client and audience, what deleting a client or an API takes
with it) are tested on every database in tests/storage/test_clients.py: this module runs on
SQLite."""

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

GRANTS = "/api/v2/client-grants"
PREFIX = "Insufficient scope, expected any of: "
Pair = tuple[dict[str, Any], dict[str, Any]]  # a client and a resource server


# --- helpers ---------------------------------------------------------------------------------


def create_client(api: Api) -> dict[str, Any]:
    response = api.post(
        "/api/v2/clients",
        {"name": f"grantee {uuid.uuid4().hex[:10]}", "app_type": "non_interactive"},
    )
    assert response.status_code == 201, response.text
    client: dict[str, Any] = response.json()
    return client


def create_api(api: Api, *scopes: str, **fields: Any) -> dict[str, Any]:
    body = {
        "identifier": f"https://grants-{uuid.uuid4().hex[:12]}.example.com/",
        "name": f"grants {uuid.uuid4().hex[:8]}",
        "scopes": [{"value": s, "description": s} for s in scopes],
        **fields,
    }
    response = api.post("/api/v2/resource-servers", body)
    assert response.status_code == 201, response.text
    server: dict[str, Any] = response.json()
    return server


def create_grant(api: Api, client_id: str, audience: str, scope: list[str]) -> dict[str, Any]:
    response = api.post(GRANTS, {"client_id": client_id, "audience": audience, "scope": scope})
    assert response.status_code == 201, response.text
    grant: dict[str, Any] = response.json()
    return grant


def list_grants(api: Api, **params: Any) -> list[dict[str, Any]]:
    response = api.get(GRANTS, per_page=100, **params)
    assert response.status_code == 200, response.text
    grants: list[dict[str, Any]] = response.json()
    return grants


def post_token(api: Api, body: dict[str, Any]) -> httpx.Response:
    """POST /oauth/token as the client itself, without the administrator's bearer token."""
    request = api.http.build_request("POST", "/oauth/token", json=body)
    del request.headers["authorization"]
    return api.http.send(request)


def request_token(
    api: Api, client: dict[str, Any], audience: str, scope: str | None = None
) -> httpx.Response:
    body = {
        "grant_type": "client_credentials",
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        "audience": audience,
    }
    if scope is not None:
        body["scope"] = scope
    return post_token(api, body)


def token_scope(api: Api, client: dict[str, Any], audience: str, scope: str | None = None) -> str:
    response = request_token(api, client, audience, scope)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    part = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    assert response.json()["scope"] == claims["scope"]
    value: str = claims["scope"]
    return value


@pytest.fixture
def client_and_api(api: Api) -> Pair:
    """A fresh machine-to-machine client and an API defining read/write/delete:items."""
    return create_client(api), create_api(api, "read:items", "write:items", "delete:items")


# --- create --------------------------------------------------------------------------------


def test_create_returns_the_grant(api: Api, client_and_api: Pair) -> None:
    client, server = client_and_api
    grant = create_grant(api, client["client_id"], server["identifier"], ["read:items"])
    assert grant["client_id"] == client["client_id"]
    assert grant["audience"] == server["identifier"]
    assert grant["scope"] == ["read:items"]
    assert isinstance(grant["id"], str) and grant["id"]
    assert list_grants(api, client_id=client["client_id"]) == [grant]


def test_create_accepts_an_empty_scope_list(api: Api, client_and_api: Pair) -> None:
    client, server = client_and_api
    grant = create_grant(api, client["client_id"], server["identifier"], [])
    assert grant["scope"] == []
    assert list_grants(api, client_id=client["client_id"]) == [grant]


def test_create_requires_an_existing_client(api: Api) -> None:
    server = create_api(api, "read:items")
    body = {"client_id": uuid.uuid4().hex, "audience": server["identifier"], "scope": []}
    error(api.post(GRANTS, body), 404, "inexistent_client")
    assert list_grants(api, audience=server["identifier"]) == []


def test_create_requires_the_audience_of_an_existing_resource_server(api: Api) -> None:
    client = create_client(api)
    body = {
        "client_id": client["client_id"],
        "audience": f"https://nothing-{uuid.uuid4().hex[:8]}.example.com/",
        "scope": [],
    }
    error(api.post(GRANTS, body), 404)
    assert list_grants(api, client_id=client["client_id"]) == []


def test_audience_is_the_identifier_not_the_resource_server_id(
    api: Api, client_and_api: Pair
) -> None:
    client, server = client_and_api
    body = {"client_id": client["client_id"], "audience": server["id"], "scope": []}
    error(api.post(GRANTS, body), 404)
    assert list_grants(api, client_id=client["client_id"]) == []


@pytest.mark.parametrize(
    "scope",
    [["write:everything"], ["read:items", "read:other"], ["read:users"]],
)
def test_create_refuses_scopes_the_resource_server_does_not_define(
    api: Api, client_and_api: Pair, scope: list[str]
) -> None:
    client, server = client_and_api
    body = {"client_id": client["client_id"], "audience": server["identifier"], "scope": scope}
    error(api.post(GRANTS, body), 400, "invalid_body")
    assert list_grants(api, client_id=client["client_id"]) == []


def test_duplicate_client_and_audience_is_409(api: Api, client_and_api: Pair) -> None:
    client, server = client_and_api
    first = create_grant(api, client["client_id"], server["identifier"], ["read:items"])
    body = {
        "client_id": client["client_id"],
        "audience": server["identifier"],
        "scope": ["write:items"],
    }
    error(api.post(GRANTS, body), 409)
    assert list_grants(api, client_id=client["client_id"]) == [first]


def test_one_client_may_hold_grants_for_several_audiences(api: Api) -> None:
    client = create_client(api)
    one, two = create_api(api, "a:x"), create_api(api, "b:y")
    create_grant(api, client["client_id"], one["identifier"], ["a:x"])
    create_grant(api, client["client_id"], two["identifier"], ["b:y"])
    audiences = {g["audience"] for g in list_grants(api, client_id=client["client_id"])}
    assert audiences == {one["identifier"], two["identifier"]}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"audience": "x", "scope": []}, id="no-client_id"),
        pytest.param({"client_id": "x", "scope": []}, id="no-audience"),
        pytest.param({"client_id": 5, "audience": "x", "scope": []}, id="client_id-integer"),
        pytest.param({"client_id": "x", "audience": ["x"], "scope": []}, id="audience-array"),
        pytest.param({"client_id": "x", "audience": "x", "scope": "read:items"}, id="scope-str"),
        pytest.param({"client_id": "x", "audience": "x", "scope": [1]}, id="scope-integers"),
        pytest.param({"client_id": "x", "audience": "x", "scope": [], "x": 1}, id="unknown"),
    ],
)
def test_create_refuses_malformed_bodies(api: Api, body: dict[str, Any]) -> None:
    error(api.post(GRANTS, body), 400, "invalid_body")


def test_create_refuses_unknown_properties_by_name(api: Api, client_and_api: Pair) -> None:
    client, server = client_and_api
    body = {
        "client_id": client["client_id"],
        "audience": server["identifier"],
        "scope": [],
        "bogus_property": True,
    }
    found = error(api.post(GRANTS, body), 400, "invalid_body")
    assert "bogus_property" in found["message"]
    assert list_grants(api, client_id=client["client_id"]) == []


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("raw", [b"{not json", b"[]"])
def test_malformed_json_is_invalid_body(
    api: Api, client_and_api: Pair, method: str, raw: bytes
) -> None:
    client, server = client_and_api
    grant = create_grant(api, client["client_id"], server["identifier"], ["read:items"])
    path = GRANTS if method == "POST" else f"{GRANTS}/{grant['id']}"
    response = api.http.request(
        method, path, content=raw, headers={"content-type": "application/json"}
    )
    error(response, 400, "invalid_body")


# --- list ----------------------------------------------------------------------------------


def test_list_filters_by_client_id_and_audience(api: Api) -> None:
    alice, bob = create_client(api), create_client(api)
    one, two = create_api(api, "read:items"), create_api(api, "read:items")
    a1 = create_grant(api, alice["client_id"], one["identifier"], ["read:items"])
    a2 = create_grant(api, alice["client_id"], two["identifier"], [])
    b1 = create_grant(api, bob["client_id"], one["identifier"], [])

    by_alice = list_grants(api, client_id=alice["client_id"])
    assert sorted(g["id"] for g in by_alice) == sorted([a1["id"], a2["id"]])
    by_one = list_grants(api, audience=one["identifier"])
    assert sorted(g["id"] for g in by_one) == sorted([a1["id"], b1["id"]])
    both = list_grants(api, client_id=bob["client_id"], audience=one["identifier"])
    assert both == [b1]
    assert list_grants(api, client_id=bob["client_id"], audience=two["identifier"]) == []


def test_list_includes_the_administrators_management_grant(api: Api) -> None:
    grants = list_grants(api, client_id=api.server.client_id, audience=api.server.audience)
    assert len(grants) == 1
    assert {"read:client_grants", "create:client_grants"} <= set(grants[0]["scope"])


def test_list_include_totals_object_form(api: Api) -> None:
    client = create_client(api)
    for _ in range(3):
        create_grant(api, client["client_id"], create_api(api)["identifier"], [])
    response = api.get(GRANTS, client_id=client["client_id"], include_totals="true", per_page=2)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"start", "limit", "total", "client_grants"}
    assert (body["start"], body["limit"], body["total"]) == (0, 2, 3)
    assert len(body["client_grants"]) == 2
    last = api.get(
        GRANTS, client_id=client["client_id"], include_totals="true", per_page=2, page=1
    ).json()
    assert (last["start"], len(last["client_grants"]), last["total"]) == (2, 1, 3)
    ids = {g["id"] for g in body["client_grants"] + last["client_grants"]}
    assert ids == {g["id"] for g in list_grants(api, client_id=client["client_id"])}


# --- Auth0's other grant properties -------------------------------------------------------------


def test_a_grant_answers_subject_type_client_unless_told_otherwise(
    api: Api, client_and_api: Pair
) -> None:
    client, server = client_and_api
    grant = create_grant(api, client["client_id"], server["identifier"], ["read:items"])
    assert grant["subject_type"] == "client"
    assert set(grant) == {"id", "client_id", "audience", "scope", "subject_type"}
    assert api.get(f"{GRANTS}/{grant['id']}").json() == grant


def test_every_property_of_auth0s_create_body_round_trips(api: Api, client_and_api: Pair) -> None:
    client, server = client_and_api
    body = {
        "client_id": client["client_id"],
        "audience": server["identifier"],
        "scope": ["read:items"],
        "subject_type": "user",
        "authorization_details_types": ["payment", "shipping"],
        "organization_usage": "allow",
        "allow_any_organization": True,
        "allow_all_scopes": False,
    }
    response = api.post(GRANTS, body)
    assert response.status_code == 201, response.text
    grant = response.json()
    assert grant == {**body, "id": grant["id"]}
    assert api.get(f"{GRANTS}/{grant['id']}").json() == grant
    assert list_grants(api, client_id=client["client_id"]) == [grant]


def test_patch_takes_auth0s_update_body(api: Api, client_and_api: Pair) -> None:
    client, server = client_and_api
    body = {
        "client_id": client["client_id"],
        "audience": server["identifier"],
        "scope": ["read:items"],
        "authorization_details_types": ["payment"],
        "organization_usage": "allow",
    }
    grant = api.post(GRANTS, body).json()
    path = f"{GRANTS}/{grant['id']}"
    response = api.patch(
        path,
        {"authorization_details_types": [], "allow_any_organization": True, "scope": None},
    )
    assert response.status_code == 200, response.text
    patched = response.json()
    assert patched["authorization_details_types"] == []
    assert patched["allow_any_organization"] is True
    assert patched["scope"] == []
    cleared = api.patch(path, {"organization_usage": None, "allow_any_organization": None}).json()
    assert "organization_usage" not in cleared and "allow_any_organization" not in cleared
    assert api.get(path).json() == cleared
    error(api.patch(path, {}), 400, "invalid_body")


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"subject_type": "robot"}, id="subject_type-enum"),
        pytest.param({"scope": [""]}, id="scope-empty-string"),
        pytest.param({"scope": ["x" * 281]}, id="scope-281-chars"),
        pytest.param({"authorization_details_types": ["x" * 256]}, id="details-256-chars"),
        pytest.param({"authorization_details_types": "payment"}, id="details-string"),
        pytest.param({"allow_any_organization": "yes"}, id="allow_any_organization-string"),
        pytest.param({"organization_usage": "maybe"}, id="organization_usage-enum"),
        pytest.param({"default_for": "all_clients"}, id="default_for-enum"),
        pytest.param({"allow_all_scopes": 1}, id="allow_all_scopes-integer"),
        pytest.param({"is_system": True}, id="is_system-read-only"),
    ],
)
def test_create_refuses_values_outside_auth0s_schema(
    api: Api, client_and_api: Pair, fields: dict[str, Any]
) -> None:
    client, server = client_and_api
    body = {"client_id": client["client_id"], "audience": server["identifier"], **fields}
    error(api.post(GRANTS, body), 400, "invalid_body")
    assert list_grants(api, client_id=client["client_id"]) == []


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"organization_usage": "require"}, id="organization_usage-require"),
        pytest.param({"default_for": "third_party_clients"}, id="default_for"),
    ],
)
def test_create_refuses_what_selfauth_cannot_honour(
    api: Api, client_and_api: Pair, fields: dict[str, Any]
) -> None:
    client, server = client_and_api
    body = {"client_id": client["client_id"], "audience": server["identifier"], **fields}
    found = error(api.post(GRANTS, body), 400, "operation_not_supported")
    assert found["message"].startswith(f"selfauth cannot honour {next(iter(fields))}")
    assert list_grants(api, client_id=client["client_id"]) == []


def test_a_grant_needs_a_client_id(api: Api, client_and_api: Pair) -> None:
    _client, server = client_and_api
    found = error(api.post(GRANTS, {"audience": server["identifier"]}), 400, "invalid_body")
    assert "client_id" in found["message"]


def test_an_express_configuration_client_cannot_hold_grants(api: Api) -> None:
    client = api.post(
        "/api/v2/clients",
        {"name": f"express {uuid.uuid4().hex[:8]}", "app_type": "express_configuration"},
    ).json()
    server = create_api(api, "read:items")
    body = {"client_id": client["client_id"], "audience": server["identifier"], "scope": []}
    found = error(api.post(GRANTS, body), 400, "validation_error")
    assert found["message"] == "Client of type express_configuration cannot be used"


def test_list_filters_by_subject_type(api: Api) -> None:
    client = create_client(api)
    one, two = create_api(api), create_api(api)
    users = api.post(
        GRANTS,
        {"client_id": client["client_id"], "audience": one["identifier"], "subject_type": "user"},
    ).json()
    itself = create_grant(api, client["client_id"], two["identifier"], [])
    assert list_grants(api, client_id=client["client_id"], subject_type="user") == [users]
    assert list_grants(api, client_id=client["client_id"], subject_type="client") == [itself]


def test_list_filters_by_allow_any_organization(api: Api) -> None:
    client = create_client(api)
    one, two = create_api(api), create_api(api)
    body = {"client_id": client["client_id"], "audience": one["identifier"]}
    anyone = api.post(GRANTS, {**body, "allow_any_organization": True}).json()
    plain = create_grant(api, client["client_id"], two["identifier"], [])
    mine = {"client_id": client["client_id"]}
    assert list_grants(api, **mine, allow_any_organization="true") == [anyone]
    assert list_grants(api, **mine, allow_any_organization="false") == [plain]
    error(api.get(GRANTS, allow_any_organization="perhaps"), 400, "invalid_query_string")


# --- update and delete ---------------------------------------------------------------------


def test_patch_replaces_the_scope(api: Api, client_and_api: Pair) -> None:
    client, server = client_and_api
    grant = create_grant(api, client["client_id"], server["identifier"], ["read:items"])
    response = api.patch(f"{GRANTS}/{grant['id']}", {"scope": ["write:items", "delete:items"]})
    assert response.status_code == 200, response.text
    assert response.json() == {**grant, "scope": ["write:items", "delete:items"]}
    assert list_grants(api, client_id=client["client_id"]) == [response.json()]


def test_patch_refuses_undefined_scopes_and_changes_nothing(api: Api, client_and_api: Pair) -> None:
    client, server = client_and_api
    grant = create_grant(api, client["client_id"], server["identifier"], ["read:items"])
    response = api.patch(f"{GRANTS}/{grant['id']}", {"scope": ["read:items", "admin:all"]})
    error(response, 400, "invalid_body")
    assert list_grants(api, client_id=client["client_id"]) == [grant]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"scope": "read:items"}, id="scope-string"),
        pytest.param({"scope": [True]}, id="scope-booleans"),
        pytest.param({"scope": [], "audience": "x"}, id="audience-is-read-only"),
        pytest.param({"scope": [], "client_id": "x"}, id="client_id-is-read-only"),
    ],
)
def test_patch_refuses_malformed_bodies(
    api: Api, client_and_api: Pair, body: dict[str, Any]
) -> None:
    client, server = client_and_api
    grant = create_grant(api, client["client_id"], server["identifier"], ["read:items"])
    error(api.patch(f"{GRANTS}/{grant['id']}", body), 400, "invalid_body")
    assert list_grants(api, client_id=client["client_id"]) == [grant]


def test_delete_removes_the_grant(api: Api, client_and_api: Pair) -> None:
    client, server = client_and_api
    grant = create_grant(api, client["client_id"], server["identifier"], ["read:items"])
    response = api.delete(f"{GRANTS}/{grant['id']}")
    assert response.status_code == 204, response.text
    assert list_grants(api, client_id=client["client_id"]) == []
    again = create_grant(api, client["client_id"], server["identifier"], [])
    assert again["id"] != grant["id"]


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PATCH", {"scope": []})])
def test_unknown_grant_is_404(api: Api, method: str, body: Any) -> None:
    path = f"{GRANTS}/cgr_{uuid.uuid4().hex[:16]}"
    error(api.http.request(method, path, json=body), 404, "inexistent_client_grant")


def test_deleting_a_missing_grant_is_204_as_on_auth0(api: Api, client_and_api: Pair) -> None:
    client, server = client_and_api
    grant = create_grant(api, client["client_id"], server["identifier"], ["read:items"])
    for _ in range(2):
        response = api.delete(f"{GRANTS}/{grant['id']}")
        assert (response.status_code, response.content) == (204, b"")
    never = api.delete(f"{GRANTS}/cgr_{uuid.uuid4().hex[:16]}")
    assert (never.status_code, never.content) == (204, b"")


def test_deleting_the_client_deletes_its_grants(api: Api, client_and_api: Pair) -> None:
    client, server = client_and_api
    grant = create_grant(api, client["client_id"], server["identifier"], ["read:items"])
    assert api.delete(f"/api/v2/clients/{client['client_id']}").status_code == 204
    assert list_grants(api, client_id=client["client_id"]) == []
    error(api.get(f"{GRANTS}/{grant['id']}"), 404, "inexistent_client_grant")


# --- what tokens carry ---------------------------------------------------------------------


def test_token_carries_every_granted_scope_when_none_is_asked(
    api: Api, client_and_api: Pair
) -> None:
    client, server = client_and_api
    create_grant(api, client["client_id"], server["identifier"], ["read:items", "write:items"])
    scope = token_scope(api, client, server["identifier"])
    assert sorted(scope.split(" ")) == ["read:items", "write:items"]


def test_token_carries_only_the_granted_scopes_asked_for(api: Api, client_and_api: Pair) -> None:
    client, server = client_and_api
    create_grant(api, client["client_id"], server["identifier"], ["read:items", "write:items"])
    assert token_scope(api, client, server["identifier"], "read:items") == "read:items"


@pytest.mark.parametrize("asked", ["delete:items", "read:items delete:items", "nonsense"])
def test_asking_for_an_ungranted_scope_is_403_access_denied(
    api: Api, client_and_api: Pair, asked: str
) -> None:
    client, server = client_and_api
    create_grant(api, client["client_id"], server["identifier"], ["read:items", "write:items"])
    response = request_token(api, client, server["identifier"], asked)
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "access_denied"
    assert "access_token" not in response.json()


def test_a_client_without_a_grant_gets_no_token(api: Api, client_and_api: Pair) -> None:
    client, server = client_and_api
    response = request_token(api, client, server["identifier"])
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "access_denied"


def test_a_grant_for_one_audience_gives_nothing_for_another(api: Api) -> None:
    client = create_client(api)
    one, two = create_api(api, "read:items"), create_api(api, "read:items")
    create_grant(api, client["client_id"], one["identifier"], ["read:items"])
    assert token_scope(api, client, one["identifier"]) == "read:items"
    response = request_token(api, client, two["identifier"])
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "access_denied"


def test_patched_scope_applies_to_the_next_token(api: Api, client_and_api: Pair) -> None:
    client, server = client_and_api
    grant = create_grant(api, client["client_id"], server["identifier"], ["read:items"])
    assert token_scope(api, client, server["identifier"]) == "read:items"
    api.patch(f"{GRANTS}/{grant['id']}", {"scope": ["delete:items"]})
    assert token_scope(api, client, server["identifier"]) == "delete:items"
    response = request_token(api, client, server["identifier"], "read:items")
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "access_denied"


def test_deleted_grant_gives_no_more_tokens(api: Api, client_and_api: Pair) -> None:
    client, server = client_and_api
    grant = create_grant(api, client["client_id"], server["identifier"], ["read:items"])
    assert request_token(api, client, server["identifier"]).status_code == 200
    assert api.delete(f"{GRANTS}/{grant['id']}").status_code == 204
    response = request_token(api, client, server["identifier"])
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "access_denied"


def test_a_grant_for_users_gives_the_client_no_token_of_its_own(
    api: Api, client_and_api: Pair
) -> None:
    client, server = client_and_api
    body = {
        "client_id": client["client_id"],
        "audience": server["identifier"],
        "scope": ["read:items"],
        "subject_type": "user",
    }
    assert api.post(GRANTS, body).status_code == 201
    response = request_token(api, client, server["identifier"])
    assert response.status_code == 403, response.text
    assert response.json()["error"] == "access_denied"


def test_allow_all_scopes_grants_every_scope_the_api_defines_now_and_later(
    api: Api, client_and_api: Pair
) -> None:
    client, server = client_and_api
    body = {
        "client_id": client["client_id"],
        "audience": server["identifier"],
        "scope": ["read:items"],
        "allow_all_scopes": True,
    }
    grant = api.post(GRANTS, body).json()
    assert token_scope(api, client, server["identifier"]) == "read:items write:items delete:items"
    scopes = [*server["scopes"], {"value": "archive:items", "description": "archive"}]
    updated = api.patch(f"/api/v2/resource-servers/{server['id']}", {"scopes": scopes})
    assert updated.status_code == 200, updated.text
    assert "archive:items" in token_scope(api, client, server["identifier"]).split()
    api.patch(f"{GRANTS}/{grant['id']}", {"allow_all_scopes": False})
    assert token_scope(api, client, server["identifier"]) == "read:items"


def test_management_api_grant_limits_what_the_token_may_do(api: Api) -> None:
    client = create_client(api)
    create_grant(api, client["client_id"], api.server.audience, ["read:client_grants"])
    scope = token_scope(api, client, api.server.audience)
    assert scope == "read:client_grants"
    narrow = Api(api.server, request_token(api, client, api.server.audience).json()["access_token"])
    try:
        assert narrow.get(GRANTS).status_code == 200
        body = {"client_id": client["client_id"], "audience": api.server.audience, "scope": []}
        error(narrow.post(GRANTS, body), 403, "insufficient_scope")
    finally:
        narrow.http.close()


# --- authentication and scopes -------------------------------------------------------------

ENDPOINTS: list[tuple[str, str, str, str]] = [
    ("list", "GET", GRANTS, "read:client_grants"),
    ("get", "GET", GRANTS + "/{id}", "read:client_grants"),
    ("create", "POST", GRANTS, "create:client_grants"),
    ("update", "PATCH", GRANTS + "/{id}", "update:client_grants"),
    ("delete", "DELETE", GRANTS + "/{id}", "delete:client_grants"),
]
GRANT_SCOPES = sorted({row[3] for row in ENDPOINTS})


def call(
    api: Api, method: str, path: str, grant: dict[str, Any], fresh: dict[str, Any]
) -> httpx.Response:
    path = path.format(id=grant["id"])
    if method == "POST":
        return api.post(path, fresh)
    if method == "PATCH":
        return api.patch(path, {"scope": ["write:items"]})
    return api.http.request(method, path)


def make_grant(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    """A grant to act on, and the body of another one that could be created."""
    client, server = create_client(api), create_api(api, "read:items", "write:items")
    grant = create_grant(api, client["client_id"], server["identifier"], ["read:items"])
    other = create_client(api)
    fresh = {"client_id": other["client_id"], "audience": server["identifier"], "scope": []}
    return grant, fresh


def assert_insufficient_scope(response: httpx.Response, accepted: str) -> None:
    found = error(response, 403, "insufficient_scope")
    assert found["message"].startswith(PREFIX), found
    assert found["message"].removeprefix(PREFIX).split(",") == [accepted]


@pytest.mark.parametrize("scope", GRANT_SCOPES)
def test_a_token_with_one_scope_reaches_exactly_the_endpoints_accepting_it(
    api: Api, scope: str
) -> None:
    narrow = api.with_scopes(scope)
    grant, fresh = make_grant(api)
    for _name, method, path, accepted in ENDPOINTS:
        if scope != accepted:
            assert_insufficient_scope(call(narrow, method, path, grant, fresh), accepted)
    assert list_grants(api, client_id=grant["client_id"]) == [grant]
    assert list_grants(api, client_id=fresh["client_id"]) == []
    for name, method, path, accepted in ENDPOINTS:
        if scope == accepted:
            response = call(narrow, method, path, grant, fresh)
            assert 200 <= response.status_code < 300, (name, response.text)


def test_scopes_of_other_resources_are_403_insufficient_scope(api: Api) -> None:
    servers = api.get("/api/v2/resource-servers", per_page=100).json()
    system = next(s for s in servers if s["identifier"] == api.server.audience)
    others = [s["value"] for s in system["scopes"] if s["value"] not in GRANT_SCOPES]
    narrow = api.with_scopes(*others)
    grant, fresh = make_grant(api)
    for _name, method, path, accepted in ENDPOINTS:
        assert_insufficient_scope(call(narrow, method, path, grant, fresh), accepted)
    assert list_grants(api, client_id=grant["client_id"]) == [grant]
    assert list_grants(api, client_id=fresh["client_id"]) == []


def test_no_token_is_401(api: Api, anonymous: Api) -> None:
    grant, fresh = make_grant(api)
    for name, method, path, _accepted in ENDPOINTS:
        response = call(anonymous, method, path, grant, fresh)
        assert response.status_code == 401, (name, response.text)
        error(response, 401)
    assert list_grants(api, client_id=grant["client_id"]) == [grant]
    assert list_grants(api, client_id=fresh["client_id"]) == []
