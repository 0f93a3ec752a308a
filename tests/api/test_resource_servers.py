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
from tests.support.signin import App, login, new_app, tokens

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


DEFAULT_SUBJECT_TYPE_AUTHORIZATION = {
    "client": {"policy": "require_client_grant"},
    "user": {"policy": "allow_all"},
}

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
    assert "is_system" not in server  # Auth0 answers it on system APIs only
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
    assert server["token_lifetime_for_web"] == 7200
    assert server["allow_offline_access"] is False
    assert server["skip_consent_for_verifiable_first_party_clients"] is False
    assert server["subject_type_authorization"] == DEFAULT_SUBJECT_TYPE_AUTHORIZATION
    # What was never set is not answered, as on Auth0.
    for key in ("is_system", "token_dialect", "enforce_policies", "signing_secret"):
        assert key not in server, key


@pytest.mark.both_databases  # names have a column of 200 characters, identifiers of 600
def test_a_long_identifier_names_an_api_created_without_a_name(api: Api) -> None:
    ident = f"urn:{uuid.uuid4().hex}:{'x' * 560}"
    response = api.post(SERVERS, {"identifier": ident})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == ident[:200]
    assert get_server(api, ident)["identifier"] == ident


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
    system = [s for s in servers if s.get("is_system")]
    assert [s["identifier"] for s in system] == [api.server.audience]


def test_list_include_totals_object_form(api: Api) -> None:
    create_server(api)
    total = len(all_servers(api))
    response = api.get(SERVERS, include_totals="true", per_page=1, page=1)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"start", "limit", "total", "resource_servers"}
    assert (body["start"], body["limit"], body["total"]) == (1, 1, total)
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


@pytest.mark.parametrize("lifetime", [0, 60, 3600, MAX_LIFETIME])
def test_token_lifetime_within_bounds_is_accepted(api: Api, lifetime: int) -> None:
    assert create_server(api, token_lifetime=lifetime)["token_lifetime"] == lifetime


@pytest.mark.parametrize("lifetime", [-1, MAX_LIFETIME + 1, 10**12, "3600", 3600.5, True, None])
def test_token_lifetime_outside_bounds_or_not_integer_is_refused(api: Api, lifetime: Any) -> None:
    ident = identifier()
    body = {"identifier": ident, "token_lifetime": lifetime}
    error(api.post(SERVERS, body), 400, "invalid_body")
    error(api.get(path_of(ident)), 404, "inexistent_resource_server")


@pytest.mark.parametrize("alg", ["HS256", "RS256", "RS512", "PS256"])
def test_auth0s_signing_algs_are_accepted(api: Api, alg: str) -> None:
    assert create_server(api, signing_alg=alg)["signing_alg"] == alg


@pytest.mark.parametrize("alg", ["HS384", "none", "ES256", "rs256", 256, None])
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


# --- every property of Auth0's create and update bodies ------------------------------------

PEM = (
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAua6L\n"
    "-----END PUBLIC KEY-----"
)
ENCRYPTION = {
    "format": "compact-nested-jwe",
    "encryption_key": {"name": "jwe key", "alg": "RSA-OAEP-256", "kid": "key-1", "pem": PEM},
}
# What selfauth stores and echoes (docs: no effect yet), as Auth0's recordings send them.
STORED = {
    "allow_online_access": True,
    "allow_online_access_with_ephemeral_sessions": False,
    "enforce_policies": True,
    "consent_policy": "transactional-authorization-with-mfa",
    "authorization_details": [{"type": "payment"}, {"type": "my custom type"}],
    "proof_of_possession": {"mechanism": "mtls", "required": True, "required_for": "all_clients"},
    "subject_type_authorization": {
        "client": {"policy": "deny_all"},
        "user": {"policy": "require_client_grant", "note": "Auth0 keeps further keys here"},
    },
    "authorization_policy": {"policy_id": "019b76da-a800-73c9-b656-b349ae415c17"},
}


def without_pem(encryption: dict[str, Any]) -> dict[str, Any]:
    key = {k: v for k, v in encryption["encryption_key"].items() if k != "pem"}
    return {**encryption, "encryption_key": key}


def test_create_takes_every_auth0_property_and_answers_it(api: Api) -> None:
    body = {
        **STORED,
        "scopes": SCOPES,
        "signing_alg": "HS256",
        "signing_secret": "a-secret-of-at-least-16",
        "allow_offline_access": True,
        "token_lifetime": 7200,
        "token_lifetime_for_web": 3600,
        "token_dialect": "rfc9068_profile_authz",
        "skip_consent_for_verifiable_first_party_clients": True,
        "token_encryption": ENCRYPTION,
    }
    server = create_server(api, **body)
    for key, value in body.items():
        if key != "token_encryption":
            assert server[key] == value, key
    # Auth0 keeps the public key's PEM but does not answer it.
    assert server["token_encryption"] == without_pem(ENCRYPTION)
    assert get_server(api, server["id"]) == server


@pytest.mark.both_databases  # the options live in a JSON column: JSONB on PostgreSQL
def test_every_property_round_trips_and_filters_on_each_database(api: Api) -> None:
    body = {**STORED, "token_encryption": ENCRYPTION, "token_dialect": "rfc9068_profile"}
    created = create_server(api, signing_alg="HS256", token_lifetime_for_web=60, **body)
    patched = api.patch(path_of(created["id"]), {"consent_policy": None}).json()
    assert patched == {**created, "consent_policy": None}
    assert get_server(api, created["identifier"]) == patched
    listed = api.get(SERVERS, identifiers=created["identifier"]).json()
    assert listed == [patched]


def test_patch_takes_every_auth0_property_and_keeps_the_others(api: Api) -> None:
    created = create_server(api, scopes=SCOPES, token_lifetime=3600)
    changes = {**STORED, "token_dialect": "access_token_authz", "token_encryption": ENCRYPTION}
    response = api.patch(path_of(created["id"]), changes)
    assert response.status_code == 200, response.text
    patched = response.json()
    for key, value in changes.items():
        expected = without_pem(ENCRYPTION) if key == "token_encryption" else value
        assert patched[key] == expected, key
    for key in ("name", "identifier", "scopes", "token_lifetime", "signing_alg"):
        assert patched[key] == created[key], key
    assert get_server(api, created["id"]) == patched
    # A second PATCH changes what it names and nothing else.
    again = api.patch(path_of(created["id"]), {"enforce_policies": False}).json()
    assert again == {**patched, "enforce_policies": False}


@pytest.mark.parametrize(
    "key",
    [
        "token_encryption",
        "consent_policy",
        "authorization_details",
        "proof_of_possession",
        "authorization_policy",
    ],
)
def test_nullable_properties_take_null(api: Api, key: str) -> None:
    created = create_server(api, **{key: STORED.get(key, ENCRYPTION)})
    response = api.patch(path_of(created["id"]), {key: None})
    assert response.status_code == 200, response.text
    assert response.json()[key] is None
    assert get_server(api, created["id"])[key] is None
    assert create_server(api, **{key: None})[key] is None


def test_subject_type_authorization_parts_may_be_given_alone(api: Api) -> None:
    server = create_server(api, subject_type_authorization={"client": {"policy": "deny_all"}})
    assert server["subject_type_authorization"] == {"client": {"policy": "deny_all"}}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"name": "a <b>"}, id="name-angle-brackets"),
        pytest.param({"name": "x" * 201}, id="name-too-long"),
        pytest.param({"identifier": "x" * 601}, id="identifier-too-long"),
        pytest.param({"scopes": [{"value": "x" * 281}]}, id="scope-too-long"),
        pytest.param({"scopes": [{"value": "a", "description": "x" * 501}]}, id="desc-too-long"),
        pytest.param({"signing_secret": "short"}, id="secret-too-short"),
        pytest.param({"signing_secret": None}, id="secret-null"),
        pytest.param({"token_dialect": "jwt"}, id="dialect-unknown"),
        pytest.param({"token_dialect": None}, id="dialect-null"),
        pytest.param({"token_lifetime_for_web": "3600"}, id="web-lifetime-string"),
        pytest.param({"token_lifetime_for_web": -1}, id="web-lifetime-negative"),
        pytest.param({"token_lifetime_for_web": 90_000}, id="web-above-token-lifetime"),
        pytest.param({"enforce_policies": "true"}, id="enforce-string"),
        pytest.param({"enforce_policies": None}, id="enforce-null"),
        pytest.param({"allow_online_access": 1}, id="online-integer"),
        pytest.param({"consent_policy": "always"}, id="consent-unknown"),
        pytest.param({"authorization_details": {"type": "payment"}}, id="details-object"),
        pytest.param({"proof_of_possession": {"mechanism": "dpop"}}, id="pop-no-required"),
        pytest.param(
            {"proof_of_possession": {"mechanism": "tls", "required": True}}, id="pop-mechanism"
        ),
        pytest.param(
            {"proof_of_possession": {"mechanism": "dpop", "required": True, "x": 1}},
            id="pop-unknown-key",
        ),
        pytest.param(
            {"proof_of_possession": {"mechanism": "dpop", "required": True, "required_for": "me"}},
            id="pop-required-for",
        ),
        pytest.param({"subject_type_authorization": None}, id="subject-null"),
        pytest.param({"subject_type_authorization": {"app": {}}}, id="subject-unknown-key"),
        pytest.param(
            {"subject_type_authorization": {"user": {"policy": "everyone"}}}, id="user-policy"
        ),
        pytest.param(
            {"subject_type_authorization": {"client": {"policy": "allow_all"}}},
            id="client-policy-allow-all",
        ),
        pytest.param({"authorization_policy": {}}, id="policy-no-id"),
        pytest.param({"authorization_policy": {"policy_id": ""}}, id="policy-empty-id"),
        pytest.param({"token_encryption": {"format": "compact-nested-jwe"}}, id="jwe-no-key"),
        pytest.param(
            {"token_encryption": {**ENCRYPTION, "format": "jwe"}}, id="jwe-format-unknown"
        ),
        pytest.param(
            {
                "token_encryption": {
                    **ENCRYPTION,
                    "encryption_key": {**ENCRYPTION["encryption_key"], "alg": "RSA1_5"},
                }
            },
            id="jwe-alg-unknown",
        ),
        pytest.param(
            {"token_encryption": {**ENCRYPTION, "encryption_key": {"alg": "RSA-OAEP-256"}}},
            id="jwe-no-pem",
        ),
        pytest.param(
            {
                "token_encryption": {
                    **ENCRYPTION,
                    "encryption_key": {**ENCRYPTION["encryption_key"], "x5c": []},
                }
            },
            id="jwe-key-unknown-key",
        ),
    ],
)
def test_create_refuses_what_auth0s_schema_refuses(api: Api, body: dict[str, Any]) -> None:
    ident = identifier()
    error(api.post(SERVERS, {"identifier": ident, **body}), 400, "invalid_body")
    error(api.get(path_of(ident)), 404, "inexistent_resource_server")


def test_unknown_nested_property_is_named(api: Api) -> None:
    body = {"identifier": identifier(), "proof_of_possession": {"mechanism": "dpop", "x": 1}}
    found = error(api.post(SERVERS, body), 400, "invalid_body")
    assert "Additional properties not allowed: proof_of_possession.x" in found["message"]


def test_token_lifetime_for_web_is_stored_not_derived(api: Api) -> None:
    # Auth0 answers 7200 until it is set, whatever the token lifetime.
    assert create_server(api, token_lifetime=300)["token_lifetime_for_web"] == 7200
    created = create_server(api, token_lifetime=7200, token_lifetime_for_web=3600)
    assert created["token_lifetime_for_web"] == 3600
    patched = api.patch(path_of(created["id"]), {"token_lifetime": 5000}).json()
    assert (patched["token_lifetime"], patched["token_lifetime_for_web"]) == (5000, 3600)
    # It cannot outlast the token lifetime, whichever of the two a PATCH changes.
    error(api.patch(path_of(created["id"]), {"token_lifetime": 1800}), 400, "invalid_body")
    error(api.patch(path_of(created["id"]), {"token_lifetime_for_web": 6000}), 400)
    assert get_server(api, created["id"]) == patched


def test_hs256_api_gets_a_signing_secret(api: Api) -> None:
    server = create_server(api, signing_alg="HS256")
    secret = server["signing_secret"]
    assert isinstance(secret, str) and len(secret) == 32 and secret.isalnum()
    assert get_server(api, server["id"])["signing_secret"] == secret
    # A PATCH that does not name the secret keeps it.
    patched = api.patch(path_of(server["id"]), {"token_lifetime": 600}).json()
    assert patched["signing_secret"] == secret


def test_given_signing_secret_is_kept_and_replaced_on_patch(api: Api) -> None:
    server = create_server(api, signing_alg="HS256", signing_secret="s" * 16)
    assert server["signing_secret"] == "s" * 16
    patched = api.patch(path_of(server["id"]), {"signing_secret": "t" * 40}).json()
    assert patched["signing_secret"] == "t" * 40


def test_switching_to_hs256_makes_a_secret_and_back_keeps_it(api: Api) -> None:
    created = create_server(api)
    assert "signing_secret" not in created
    hs = api.patch(path_of(created["id"]), {"signing_alg": "HS256"}).json()
    assert len(hs["signing_secret"]) == 32
    rs = api.patch(path_of(created["id"]), {"signing_alg": "RS256"}).json()
    assert (rs["signing_alg"], rs["signing_secret"]) == ("RS256", hs["signing_secret"])


def test_get_and_list_take_fields(api: Api) -> None:
    created = create_server(api)
    response = api.get(path_of(created["id"]), fields="id,identifier", include_fields="true")
    assert response.json() == {"id": created["id"], "identifier": created["identifier"]}
    response = api.get(path_of(created["id"]), fields="scopes", include_fields="false")
    assert response.json() == {k: v for k, v in created.items() if k != "scopes"}


def test_list_filters_by_identifiers(api: Api) -> None:
    first, second, _third = create_server(api), create_server(api), create_server(api)
    response = api.http.get(
        SERVERS,
        params=[
            ("identifiers", first["identifier"]),
            ("identifiers", second["identifier"]),
            ("identifiers", "https://nothing.example.com/"),
            ("fields", "id,identifier"),
            ("include_totals", "true"),
        ],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2
    assert body["resource_servers"] == [
        {"id": s["id"], "identifier": s["identifier"]} for s in (first, second)
    ]


def test_list_takes_at_most_ten_identifiers(api: Api) -> None:
    params = [("identifiers", f"urn:api:{n}") for n in range(11)]
    error(api.http.get(SERVERS, params=params), 400, "invalid_query_string")
    assert api.http.get(SERVERS, params=params[:10]).json() == []


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
    for key in ("id", "identifier", "skip_consent_for_verifiable_first_party_clients"):
        assert patched[key] == created[key], key
    assert "is_system" not in patched
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
        pytest.param({"token_lifetime": -1}, id="lifetime-negative"),
        pytest.param({"token_lifetime": MAX_LIFETIME + 1}, id="lifetime-too-long"),
        pytest.param({"signing_alg": "HS512"}, id="hs512"),
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


def test_deleting_again_is_204_as_on_auth0(api: Api) -> None:
    created = create_server(api)
    assert api.delete(path_of(created["id"])).status_code == 204
    again = api.delete(path_of(created["id"]))
    assert (again.status_code, again.content) == (204, b"")
    never = api.delete(path_of("https://never.example.com/api"))
    assert (never.status_code, never.content) == (204, b"")


# --- the Management API --------------------------------------------------------------------


def test_management_api_is_a_system_api(api: Api) -> None:
    system = management_api(api)
    assert system["is_system"] is True
    assert system["identifier"] == api.server.audience
    assert system["skip_consent_for_verifiable_first_party_clients"] is False
    assert system["subject_type_authorization"] == DEFAULT_SUBJECT_TYPE_AUTHORIZATION
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


# --- signing algorithms and token profiles -------------------------------------------------


@pytest.fixture(scope="module")
def app(api: Api) -> App:
    """A web app with the password grants on a connection of its own, for user tokens."""
    return new_app(api)


def user_token(api: Api, app: App, audience: str, scope: str = "openid") -> str:
    user = api.create_user(connection=app.connection)
    body = tokens(login(api.server, app, user["email"], scope=scope, audience=audience))
    token: str = body["access_token"]
    return token


def test_hs256_tokens_are_signed_with_the_apis_secret(api: Api) -> None:
    created = create_server(api, scopes=SCOPES, signing_alg="HS256")
    client = machine_client(api, created["identifier"], ["read:items"])
    token = token_for(api, client, created["identifier"])["access_token"]
    header, _ = decode(token)
    assert header["alg"] == "HS256"
    assert "kid" not in header  # no published key signs it
    claims = jwt.decode(
        token,
        created["signing_secret"],
        algorithms=["HS256"],
        audience=created["identifier"],
        issuer=api.server.issuer,
    )
    assert claims["scope"] == "read:items"
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "another-secret-of-32-characters!", algorithms=["HS256"])


def test_hs256_tokens_follow_a_new_secret(api: Api) -> None:
    created = create_server(api, signing_alg="HS256")
    client = machine_client(api, created["identifier"], [])
    api.patch(path_of(created["id"]), {"signing_secret": "n" * 32})
    token = token_for(api, client, created["identifier"])["access_token"]
    claims = jwt.decode(token, "n" * 32, algorithms=["HS256"], audience=created["identifier"])
    assert claims["sub"] == f"{client['client_id']}@clients"


def test_hs256_user_tokens_hold_only_the_apis_audience(api: Api, app: App) -> None:
    created = create_server(api, scopes=SCOPES, signing_alg="HS256")
    token = user_token(api, app, created["identifier"], "openid read:items")
    claims = jwt.decode(
        token, created["signing_secret"], algorithms=["HS256"], audience=created["identifier"]
    )
    assert claims["aud"] == created["identifier"]  # not /userinfo's as well, as on Auth0
    assert claims["scope"] == "openid read:items"


def test_rs512_tokens_verify_with_the_published_keys(api: Api) -> None:
    created = create_server(api, signing_alg="RS512")
    client = machine_client(api, created["identifier"], [])
    token = token_for(api, client, created["identifier"])["access_token"]
    jwks = api.get("/.well-known/jwks.json").json()
    header, _ = decode(token)
    assert header["alg"] == "RS512"
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    jwt.decode(
        token,
        jwt.PyJWK(key, algorithm="RS512").key,
        algorithms=["RS512"],
        audience=created["identifier"],
    )


@pytest.mark.parametrize("dialect", ["access_token", "access_token_authz", None])
def test_auth0_profile_tokens(api: Api, dialect: str | None) -> None:
    fields = {} if dialect is None else {"token_dialect": dialect}
    created = create_server(api, **fields)
    client = machine_client(api, created["identifier"], [])
    header, claims = decode(token_for(api, client, created["identifier"])["access_token"])
    assert header.get("typ") in (None, "JWT")
    assert claims["azp"] == client["client_id"]
    assert "client_id" not in claims and "jti" not in claims
    # The _authz dialects' `permissions` claim needs roles, which selfauth lacks (docs).
    assert "permissions" not in claims


@pytest.mark.parametrize("dialect", ["rfc9068_profile", "rfc9068_profile_authz"])
def test_rfc9068_profile_tokens(api: Api, app: App, dialect: str) -> None:
    created = create_server(api, scopes=SCOPES, token_dialect=dialect)
    client = machine_client(api, created["identifier"], ["read:items"])
    first = token_for(api, client, created["identifier"])["access_token"]
    second = token_for(api, client, created["identifier"])["access_token"]
    header, claims = decode(first)
    assert header["typ"] == "at+jwt"  # RFC 9068 section 2.1
    assert claims["client_id"] == client["client_id"]
    assert "azp" not in claims
    assert claims["sub"] == f"{client['client_id']}@clients"
    assert claims["scope"] == "read:items"
    assert isinstance(claims["jti"], str) and claims["jti"] != decode(second)[1]["jti"]
    assert "permissions" not in claims
    user_access = user_token(api, app, created["identifier"])
    user_header, user_claims = decode(user_access)
    assert user_header["typ"] == "at+jwt"
    assert user_claims["client_id"] == app.client_id and "azp" not in user_claims
    assert user_claims["aud"] == [created["identifier"], f"{api.server.issuer}userinfo"]
    # /userinfo takes the RFC 9068 token as it takes Auth0's.
    userinfo = api.http.get("/userinfo", headers={"authorization": f"Bearer {user_access}"})
    assert userinfo.status_code == 200, userinfo.text


def test_patched_dialect_applies_to_the_next_token(api: Api) -> None:
    created = create_server(api)
    client = machine_client(api, created["identifier"], [])
    api.patch(path_of(created["id"]), {"token_dialect": "rfc9068_profile"})
    header, claims = decode(token_for(api, client, created["identifier"])["access_token"])
    assert (header["typ"], claims["client_id"]) == ("at+jwt", client["client_id"])


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
