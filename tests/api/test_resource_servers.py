"""`/api/v2/resource-servers`: custom APIs, the protected Management API, and their tokens.

Resource servers in the database (unique identifiers, lookups by id or identifier, grants
following them) are tested on every database in tests/storage/test_resource_servers.py: this
module runs on SQLite."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import pytest

from tests.support.api import Api
from tests.support.api import assert_coded_error as error

pytestmark = pytest.mark.sqlite_only

SERVERS = "/api/v2/resource-servers"
PREFIX = "Insufficient scope, expected any of: "
MAX_LIFETIME = 2_592_000


# --- helpers ---------------------------------------------------------------------------------


def identifier() -> str:
    return f"https://api-{uuid.uuid4().hex[:12]}.example.com/v1"


def path_of(id_or_identifier: str) -> str:
    return f"{SERVERS}/{quote(id_or_identifier, safe='')}"


def create_server(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"identifier": identifier(), "name": f"api {uuid.uuid4().hex[:8]}", **fields}
    response = api.post(SERVERS, body)
    assert response.status_code == 201, response.text
    server: dict[str, Any] = response.json()
    return server


def get_server(api: Api, id_or_identifier: str) -> dict[str, Any]:
    response = api.get(path_of(id_or_identifier))
    assert response.status_code == 200, response.text
    server: dict[str, Any] = response.json()
    return server


def all_servers(api: Api) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    page = 0
    while True:
        items = api.get(SERVERS, page=page, per_page=100).json()
        if not items:
            return found
        found.extend(items)
        page += 1


def management_api(api: Api) -> dict[str, Any]:
    return next(s for s in all_servers(api) if s["identifier"] == api.server.audience)


def machine_client(api: Api, audience: str, scope: list[str]) -> dict[str, Any]:
    response = api.post(
        "/api/v2/clients",
        {"name": f"m2m {uuid.uuid4().hex[:8]}", "app_type": "non_interactive"},
    )
    assert response.status_code == 201, response.text
    client: dict[str, Any] = response.json()
    grant = api.post(
        "/api/v2/client-grants",
        {"client_id": client["client_id"], "audience": audience, "scope": scope},
    )
    assert grant.status_code == 201, grant.text
    return client


def post_token(api: Api, body: dict[str, Any]) -> httpx.Response:
    """POST /oauth/token as the client itself, without the administrator's bearer token."""
    request = api.http.build_request("POST", "/oauth/token", json=body)
    del request.headers["authorization"]
    return api.http.send(request)


def token_for(api: Api, client: dict[str, Any], audience: str) -> dict[str, Any]:
    response = post_token(
        api,
        {
            "grant_type": "client_credentials",
            "client_id": client["client_id"],
            "client_secret": client["client_secret"],
            "audience": audience,
        },
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def decode(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and payload of a JWT, unverified."""

    def part(segment: str) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(
            base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        )
        return value

    header, payload, _ = token.split(".")
    return part(header), part(payload)


SCOPES = [
    {"value": "read:items", "description": "Read items"},
    {"value": "write:items", "description": "Write items"},
]


# --- create and read -----------------------------------------------------------------------


def test_create_returns_the_resource_server(api: Api) -> None:
    ident, name = identifier(), f"api {uuid.uuid4().hex[:8]}"
    body = {
        "identifier": ident,
        "name": name,
        "scopes": SCOPES,
        "token_lifetime": 3600,
        "signing_alg": "PS256",
        "allow_offline_access": True,
        "skip_consent_for_verifiable_first_party_clients": False,
    }
    response = api.post(SERVERS, body)
    assert response.status_code == 201, response.text
    server = response.json()
    for key, value in body.items():
        assert server[key] == value, key
    assert server["is_system"] is False
    assert isinstance(server["id"], str) and server["id"]


def test_create_defaults(api: Api) -> None:
    ident = identifier()
    response = api.post(SERVERS, {"identifier": ident})
    assert response.status_code == 201, response.text
    server = response.json()
    assert server["identifier"] == ident
    assert server["scopes"] == []
    assert server["signing_alg"] == "RS256"
    assert server["token_lifetime"] == 86_400
    assert server["is_system"] is False


def test_get_by_id_and_by_identifier(api: Api) -> None:
    created = create_server(api, scopes=SCOPES)
    assert get_server(api, created["id"]) == created
    assert get_server(api, created["identifier"]) == created


def test_get_by_plain_identifier(api: Api) -> None:
    created = create_server(api, identifier=f"urn:selfauth:{uuid.uuid4().hex}")
    assert get_server(api, created["identifier"]) == created


def test_list_includes_custom_apis_and_the_management_api(api: Api) -> None:
    created = create_server(api)
    servers = all_servers(api)
    assert created in servers
    system = [s for s in servers if s["is_system"]]
    assert [s["identifier"] for s in system] == [api.server.audience]


def test_list_include_totals_object_form(api: Api) -> None:
    create_server(api)
    total = len(all_servers(api))
    response = api.get(SERVERS, include_totals="true", per_page=1, page=1)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"start", "limit", "length", "total", "resource_servers"}
    assert (body["start"], body["limit"], body["length"], body["total"]) == (1, 1, 1, total)
    assert body["resource_servers"] == all_servers(api)[1:2]


def test_duplicate_identifier_is_409(api: Api) -> None:
    first = create_server(api)
    response = api.post(SERVERS, {"identifier": first["identifier"], "name": "other"})
    error(response, 409)
    assert [s for s in all_servers(api) if s["identifier"] == first["identifier"]] == [first]


def test_management_api_identifier_is_taken(api: Api) -> None:
    error(api.post(SERVERS, {"identifier": api.server.audience, "name": "copy"}), 409)


def test_scopes_round_trip(api: Api) -> None:
    created = create_server(api, scopes=SCOPES)
    assert created["scopes"] == SCOPES
    assert get_server(api, created["id"])["scopes"] == SCOPES


@pytest.mark.parametrize(
    "scopes",
    [
        pytest.param([{"value": "a"}, {"value": "a"}], id="duplicate"),
        pytest.param([{"value": ""}], id="empty"),
        pytest.param([{"value": "read items"}], id="space"),
        pytest.param([{"description": "no value"}], id="no-value"),
        pytest.param(["read:items"], id="strings"),
        pytest.param([{"value": "a", "other": 1}], id="unknown-property"),
        pytest.param({"value": "a"}, id="object"),
    ],
)
def test_create_refuses_malformed_scopes(api: Api, scopes: Any) -> None:
    ident = identifier()
    error(api.post(SERVERS, {"identifier": ident, "scopes": scopes}), 400, "invalid_body")
    error(api.get(path_of(ident)), 404, "inexistent_resource_server")


@pytest.mark.parametrize("lifetime", [60, 3600, MAX_LIFETIME])
def test_token_lifetime_within_bounds_is_accepted(api: Api, lifetime: int) -> None:
    assert create_server(api, token_lifetime=lifetime)["token_lifetime"] == lifetime


@pytest.mark.parametrize("lifetime", [-1, MAX_LIFETIME + 1, 10**12, "3600", 3600.5, True, None])
def test_token_lifetime_outside_bounds_or_not_integer_is_refused(api: Api, lifetime: Any) -> None:
    ident = identifier()
    body = {"identifier": ident, "token_lifetime": lifetime}
    error(api.post(SERVERS, body), 400, "invalid_body")
    error(api.get(path_of(ident)), 404, "inexistent_resource_server")


@pytest.mark.parametrize("alg", ["RS256", "PS256"])
def test_signing_alg_rs256_and_ps256_are_accepted(api: Api, alg: str) -> None:
    assert create_server(api, signing_alg=alg)["signing_alg"] == alg


@pytest.mark.parametrize("alg", ["HS256", "none", "ES256", "rs256", 256])
def test_other_signing_algs_are_refused(api: Api, alg: Any) -> None:
    ident = identifier()
    error(api.post(SERVERS, {"identifier": ident, "signing_alg": alg}), 400, "invalid_body")
    error(api.get(path_of(ident)), 404, "inexistent_resource_server")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"name": "no identifier"}, id="no-identifier"),
        pytest.param({"identifier": ""}, id="empty-identifier"),
        pytest.param({"identifier": 5}, id="integer-identifier"),
        pytest.param({"identifier": "urn:x", "name": ""}, id="empty-name"),
        pytest.param({"identifier": "urn:x", "allow_offline_access": "yes"}, id="string-bool"),
        pytest.param({"identifier": "urn:x", "is_system": True}, id="is_system"),
        pytest.param({"identifier": "urn:x", "id": "abc"}, id="id"),
        pytest.param({"identifier": "urn:x", "bogus": 1}, id="unknown"),
    ],
)
def test_create_refuses_malformed_bodies(api: Api, body: dict[str, Any]) -> None:
    error(api.post(SERVERS, body), 400, "invalid_body")


def test_unknown_property_is_named_in_the_error(api: Api) -> None:
    found = error(api.post(SERVERS, {"identifier": identifier(), "bogus_prop": 1}), 400)
    assert found["errorCode"] == "invalid_body"
    assert "bogus_prop" in found["message"]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("raw", [b"{not json", b"[1]"])
def test_malformed_json_is_invalid_body(api: Api, method: str, raw: bytes) -> None:
    path = SERVERS if method == "POST" else path_of(create_server(api)["id"])
    response = api.http.request(
        method, path, content=raw, headers={"content-type": "application/json"}
    )
    error(response, 400, "invalid_body")


# --- update and delete ---------------------------------------------------------------------


def test_patch_updates_the_given_fields(api: Api) -> None:
    created = create_server(api, scopes=SCOPES)
    changes = {
        "name": f"renamed {uuid.uuid4().hex[:8]}",
        "scopes": [{"value": "admin:all", "description": "Everything"}],
        "token_lifetime": 120,
        "signing_alg": "PS256",
        "allow_offline_access": True,
    }
    response = api.patch(path_of(created["id"]), changes)
    assert response.status_code == 200, response.text
    patched = response.json()
    for key in ("id", "identifier", "is_system", "skip_consent_for_verifiable_first_party_clients"):
        assert patched[key] == created[key], key
    for key, value in changes.items():
        assert patched[key] == value, key
    assert get_server(api, created["id"]) == patched


def test_patch_by_identifier(api: Api) -> None:
    created = create_server(api)
    response = api.patch(path_of(created["identifier"]), {"name": "by identifier"})
    assert response.status_code == 200, response.text
    assert get_server(api, created["id"])["name"] == "by identifier"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"token_lifetime": 0}, id="lifetime-zero"),
        pytest.param({"token_lifetime": MAX_LIFETIME + 1}, id="lifetime-too-long"),
        pytest.param({"signing_alg": "HS256"}, id="hs256"),
        pytest.param({"scopes": [{"value": "x"}, {"value": "x"}]}, id="duplicate-scopes"),
        pytest.param({"identifier": "https://other.example.com/"}, id="identifier"),
        pytest.param({"is_system": True}, id="is_system"),
        pytest.param({"name": 5}, id="name-integer"),
        pytest.param({"bogus": 1}, id="unknown"),
    ],
)
def test_rejected_patch_changes_nothing(api: Api, body: dict[str, Any]) -> None:
    created = create_server(api, scopes=SCOPES)
    patch = {"name": f"never {uuid.uuid4().hex[:8]}", **body}
    error(api.patch(path_of(created["id"]), patch), 400, "invalid_body")
    assert get_server(api, created["id"]) == created


def test_delete_removes_the_resource_server(api: Api) -> None:
    created = create_server(api)
    response = api.delete(path_of(created["id"]))
    assert response.status_code == 204, response.text
    error(api.get(path_of(created["id"])), 404, "inexistent_resource_server")
    error(api.get(path_of(created["identifier"])), 404, "inexistent_resource_server")
    assert created["id"] not in {s["id"] for s in all_servers(api)}
    error(api.delete(path_of(created["id"])), 404, "inexistent_resource_server")


def test_delete_by_identifier(api: Api) -> None:
    created = create_server(api)
    assert api.delete(path_of(created["identifier"])).status_code == 204
    error(api.get(path_of(created["id"])), 404, "inexistent_resource_server")


def test_identifier_is_free_again_after_delete(api: Api) -> None:
    created = create_server(api)
    assert api.delete(path_of(created["id"])).status_code == 204
    again = create_server(api, identifier=created["identifier"])
    assert again["id"] != created["id"]


def test_delete_removes_the_grants_for_that_audience(api: Api) -> None:
    created = create_server(api, scopes=SCOPES)
    client = machine_client(api, created["identifier"], ["read:items"])
    assert api.delete(path_of(created["id"])).status_code == 204
    grants = api.get("/api/v2/client-grants", client_id=client["client_id"]).json()
    assert grants == []


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PATCH", {"name": "x"})])
def test_unknown_resource_server_is_404(api: Api, method: str, body: Any) -> None:
    path = path_of(uuid.uuid4().hex[:24])
    error(api.http.request(method, path, json=body), 404, "inexistent_resource_server")


# --- the Management API --------------------------------------------------------------------


def test_management_api_is_a_system_api(api: Api) -> None:
    system = management_api(api)
    assert system["is_system"] is True
    assert system["identifier"] == api.server.audience
    values = {s["value"] for s in system["scopes"]}
    assert {"read:clients", "create:resource_servers", "delete:connections"} <= values
    assert get_server(api, system["id"]) == system


@pytest.mark.parametrize("by", ["id", "identifier"])
def test_management_api_cannot_be_modified(api: Api, by: str) -> None:
    system = management_api(api)
    response = api.patch(path_of(system[by]), {"token_lifetime": 60})
    error(response, 400, "operation_not_supported")
    response = api.patch(path_of(system[by]), {"scopes": []})
    error(response, 400, "operation_not_supported")
    assert get_server(api, system["id"]) == system


@pytest.mark.parametrize("by", ["id", "identifier"])
def test_management_api_cannot_be_deleted(api: Api, by: str) -> None:
    system = management_api(api)
    error(api.delete(path_of(system[by])), 400, "operation_not_supported")
    assert get_server(api, system["id"]) == system


# --- tokens for custom APIs ----------------------------------------------------------------


@pytest.mark.parametrize(("alg", "lifetime"), [("RS256", 600), ("PS256", 7200)])
def test_token_for_a_custom_api_has_its_audience_lifetime_and_alg(
    api: Api, alg: str, lifetime: int
) -> None:
    created = create_server(api, scopes=SCOPES, token_lifetime=lifetime, signing_alg=alg)
    client = machine_client(api, created["identifier"], ["read:items"])
    issued = token_for(api, client, created["identifier"])
    header, claims = decode(issued["access_token"])
    assert header["alg"] == alg
    assert claims["aud"] == created["identifier"]
    assert claims["exp"] - claims["iat"] == lifetime
    assert issued["expires_in"] == lifetime
    assert claims["scope"] == "read:items"
    assert claims["sub"] == f"{client['client_id']}@clients"
    assert claims["gty"] == "client-credentials"


def test_token_signature_verifies_with_the_published_keys(api: Api) -> None:
    created = create_server(api, signing_alg="PS256")
    client = machine_client(api, created["identifier"], [])
    token = token_for(api, client, created["identifier"])["access_token"]
    jwks = api.get("/.well-known/jwks.json").json()
    header, _ = decode(token)
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(
        token,
        jwt.PyJWK(key, algorithm="PS256").key,
        algorithms=["PS256"],
        audience=created["identifier"],
        issuer=api.server.issuer,
    )
    assert claims["azp"] == client["client_id"]


def test_patched_token_lifetime_applies_to_the_next_token(api: Api) -> None:
    created = create_server(api, token_lifetime=600)
    client = machine_client(api, created["identifier"], [])
    api.patch(path_of(created["id"]), {"token_lifetime": 900})
    _, claims = decode(token_for(api, client, created["identifier"])["access_token"])
    assert claims["exp"] - claims["iat"] == 900


def test_a_custom_api_token_is_not_a_management_api_token(api: Api) -> None:
    created = create_server(api, scopes=[{"value": "read:clients", "description": "x"}])
    client = machine_client(api, created["identifier"], ["read:clients"])
    token = token_for(api, client, created["identifier"])["access_token"]
    response = api.http.get("/api/v2/clients", headers={"authorization": f"Bearer {token}"})
    error(response, 401)


# --- authentication and scopes -------------------------------------------------------------

ENDPOINTS: list[tuple[str, str, str, Any, str]] = [
    ("list", "GET", SERVERS, None, "read:resource_servers"),
    ("get", "GET", SERVERS + "/{id}", None, "read:resource_servers"),
    ("create", "POST", SERVERS, {}, "create:resource_servers"),
    ("update", "PATCH", SERVERS + "/{id}", {"name": "patched"}, "update:resource_servers"),
    ("delete", "DELETE", SERVERS + "/{id}", None, "delete:resource_servers"),
]
SERVER_SCOPES = sorted({row[4] for row in ENDPOINTS})


def call(api: Api, method: str, path: str, body: Any, target: dict[str, Any]) -> httpx.Response:
    path = path.format(id=target["id"])
    if method == "POST":
        return api.post(path, {"identifier": identifier()})
    if body is None:
        return api.http.request(method, path)
    return api.http.request(method, path, json=body)


def assert_insufficient_scope(response: httpx.Response, accepted: str) -> None:
    found = error(response, 403, "insufficient_scope")
    assert found["message"].startswith(PREFIX), found
    assert found["message"].removeprefix(PREFIX).split(",") == [accepted]


@pytest.mark.parametrize("scope", SERVER_SCOPES)
def test_a_token_with_one_scope_reaches_exactly_the_endpoints_accepting_it(
    api: Api, scope: str
) -> None:
    narrow = api.with_scopes(scope)
    target = create_server(api)
    before = len(all_servers(api))
    for _name, method, path, body, accepted in ENDPOINTS:
        if scope != accepted:
            assert_insufficient_scope(call(narrow, method, path, body, target), accepted)
    assert get_server(api, target["id"]) == target
    assert len(all_servers(api)) == before
    for name, method, path, body, accepted in ENDPOINTS:
        if scope == accepted:
            response = call(narrow, method, path, body, target)
            assert 200 <= response.status_code < 300, (name, response.text)


def test_scopes_of_other_resources_are_403_insufficient_scope(api: Api) -> None:
    system = management_api(api)
    others = [s["value"] for s in system["scopes"] if s["value"] not in SERVER_SCOPES]
    narrow = api.with_scopes(*others)
    target = create_server(api)
    before = len(all_servers(api))
    for _name, method, path, body, accepted in ENDPOINTS:
        assert_insufficient_scope(call(narrow, method, path, body, target), accepted)
    assert get_server(api, target["id"]) == target
    assert len(all_servers(api)) == before


def test_no_token_is_401(api: Api, anonymous: Api) -> None:
    target = create_server(api)
    before = len(all_servers(api))
    for name, method, path, body, _accepted in ENDPOINTS:
        response = call(anonymous, method, path, body, target)
        assert response.status_code == 401, (name, response.text)
        error(response, 401)
    assert get_server(api, target["id"]) == target
    assert len(all_servers(api)) == before
