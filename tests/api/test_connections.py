"""`/api/v2/connections`: strategies (Auth0's whole enum, database ones the only ones signed in
with), names, options and Auth0's defaults, top-level properties, enabled clients and deletion.

A connection's rows (enabled clients written with it, unique names, its users deleted with
it) are tested on every database in tests/storage/test_connections.py: this module runs on
SQLite."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from tests.support.api import DB, PASSWORD, Api, unique_email, user_path
from tests.support.api import assert_coded_error as error
from tests.support.authorize import (
    assert_redirected_error,
    authorize,
    code_client,
    flow,
    redirected,
)
from tests.support.browser_client import browser_client
from tests.support.server import RunningServer
from tests.support.signin import GRANTS, App, assert_oauth_error, login, new_client

pytestmark = pytest.mark.sqlite_only

CONNECTIONS = "/api/v2/connections"
PREFIX = "Insufficient scope, expected any of: "
OAUTH2_OPTIONS = {
    "authorizationURL": "https://idp.example.com/authorize",
    "tokenURL": "https://idp.example.com/oauth/token",
    "client_id": "upstream-client",
    "client_secret": "upstream-secret",
}

# What Auth0 writes into a database connection's options (as its recorded answers show): all of
# it on create, the first three again when a PATCH replaces the options.
DATABASE_UPDATE_DEFAULTS = {
    "authentication_methods": {
        "passkey": {"enabled": False},
        "password": {"api_behavior": "required", "enabled": True, "signup_behavior": "allow"},
    },
    "brute_force_protection": True,
    "passkey_options": {
        "challenge_ui": "both",
        "local_enrollment_enabled": True,
        "progressive_enrollment_enabled": True,
    },
}
DATABASE_CREATE_DEFAULTS = {
    **DATABASE_UPDATE_DEFAULTS,
    "mfa": {"active": True, "return_enroll_settings": True},
    "passwordPolicy": "good",
    "strategy_version": 2,
}


# --- helpers ---------------------------------------------------------------------------------


def unique_name(prefix: str = "conn") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def create_connection(api: Api, strategy: str = "auth0", **fields: Any) -> dict[str, Any]:
    body = {"name": unique_name(), "strategy": strategy, **fields}
    if strategy == "oauth2":
        body.setdefault("options", dict(OAUTH2_OPTIONS))
    response = api.post(CONNECTIONS, body)
    assert response.status_code == 201, response.text
    connection: dict[str, Any] = response.json()
    return connection


def get_connection(api: Api, connection_id: str) -> dict[str, Any]:
    response = api.get(f"{CONNECTIONS}/{connection_id}")
    assert response.status_code == 200, response.text
    connection: dict[str, Any] = response.json()
    return connection


def named(api: Api, name: str) -> list[dict[str, Any]]:
    response = api.get(CONNECTIONS, name=name)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def all_connections(api: Api, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    page = 0
    while True:
        response = api.get(CONNECTIONS, page=page, per_page=100, **params)
        assert response.status_code == 200, response.text
        if not response.json():
            return found
        found.extend(response.json())
        page += 1


def connection_count(api: Api) -> int:
    total: int = api.get(CONNECTIONS, include_totals="true", per_page=1).json()["total"]
    return total


def create_client(api: Api) -> str:
    response = api.post("/api/v2/clients", {"name": f"app {uuid.uuid4().hex[:8]}"})
    assert response.status_code == 201, response.text
    client_id: str = response.json()["client_id"]
    return client_id


def patch(api: Api, connection_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.patch(f"{CONNECTIONS}/{connection_id}", body)
    assert response.status_code == 200, response.text
    patched: dict[str, Any] = response.json()
    return patched


# --- the default connection ----------------------------------------------------------------


def test_default_database_connection_exists(api: Api) -> None:
    found = named(api, DB)
    assert len(found) == 1
    connection = found[0]
    assert connection["strategy"] == "auth0"
    assert re.fullmatch(r"con_[A-Za-z0-9]{16}", connection["id"])
    assert get_connection(api, connection["id"]) == connection
    assert DB in {c["name"] for c in all_connections(api)}


# --- create --------------------------------------------------------------------------------


def test_create_database_connection_round_trip(api: Api) -> None:
    name = unique_name()
    body = {
        "name": name,
        "strategy": "auth0",
        "display_name": "Our users",
        "options": {
            "passwordPolicy": "excellent",
            "brute_force_protection": True,
            "requires_username": True,
            "validation": {"username": {"min": 3, "max": 20}},
            "password_complexity_options": {"min_length": 12},
            "a_future_option": {"kept": ["as", "is"]},
        },
        "metadata": {"team": "identity"},
        "is_domain_connection": False,
    }
    response = api.post(CONNECTIONS, body)
    assert response.status_code == 201, response.text
    created = response.json()
    for key, value in body.items():
        if key != "options":
            assert created[key] == value, key
    assert created["options"] == {**DATABASE_CREATE_DEFAULTS, **body["options"]}
    assert re.fullmatch(r"con_[A-Za-z0-9]{16}", created["id"])
    assert created["realms"] == [name]
    assert created["enabled_clients"] == []
    assert get_connection(api, created["id"]) == created
    assert named(api, name) == [created]


def test_create_oauth2_connection_round_trip(api: Api) -> None:
    options = {
        **OAUTH2_OPTIONS,
        "scope": "openid profile",
        "set_user_root_attributes": "never_on_login",
    }
    created = create_connection(api, "oauth2", options=options)
    assert created["strategy"] == "oauth2"
    assert created["options"] == options
    assert get_connection(api, created["id"]) == created


@pytest.mark.parametrize("missing", sorted(OAUTH2_OPTIONS))
def test_oauth2_needs_its_four_options(api: Api, missing: str) -> None:
    name = unique_name()
    options = {k: v for k, v in OAUTH2_OPTIONS.items() if k != missing}
    response = api.post(CONNECTIONS, {"name": name, "strategy": "oauth2", "options": options})
    error(response, 400, "invalid_body")
    assert named(api, name) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("authorizationURL", "not a url"),
        ("authorizationURL", "http://[::1"),
        ("authorizationURL", "https:no-host"),
        ("tokenURL", None),
        ("tokenURL", "ftp://idp.example.com/token"),
        ("client_id", ""),
        ("client_secret", 42),
    ],
)
def test_oauth2_options_must_be_well_formed(api: Api, key: str, value: Any) -> None:
    name = unique_name()
    options = {**OAUTH2_OPTIONS, key: value}
    response = api.post(CONNECTIONS, {"name": name, "strategy": "oauth2", "options": options})
    error(response, 400, "invalid_body")
    assert named(api, name) == []


def test_oauth2_without_options_is_refused(api: Api) -> None:
    name = unique_name()
    error(api.post(CONNECTIONS, {"name": name, "strategy": "oauth2"}), 400, "invalid_body")
    assert named(api, name) == []


# auth0-adldap is in Auth0's list of existing strategies, not in those a create may name.
@pytest.mark.parametrize("strategy", ["AUTH0", "", 5, "saml", "auth0-adldap", None])
def test_strategies_outside_auth0s_enum_are_refused(api: Api, strategy: Any) -> None:
    name = unique_name()
    body = {"name": name, "strategy": strategy, "options": dict(OAUTH2_OPTIONS)}
    error(api.post(CONNECTIONS, body), 400, "invalid_body")
    assert named(api, name) == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"strategy": "auth0"}, id="no-name"),
        pytest.param({"name": "x-no-strategy"}, id="no-strategy"),
        pytest.param({"name": "x", "strategy": "auth0", "options": []}, id="options-array"),
        pytest.param({"name": "x", "strategy": "auth0", "enabled_clients": "a"}, id="clients-str"),
        pytest.param({"name": "x", "strategy": "auth0", "metadata": {"a": 1}}, id="metadata-int"),
        pytest.param({"name": "x", "strategy": "auth0", "id": "con_x"}, id="id"),
        pytest.param({"name": "x", "strategy": "auth0", "bogus": 1}, id="unknown"),
    ],
)
def test_create_refuses_malformed_bodies(api: Api, body: dict[str, Any]) -> None:
    error(api.post(CONNECTIONS, body), 400, "invalid_body")


def test_unknown_property_is_named_in_the_error(api: Api) -> None:
    body = {"name": unique_name(), "strategy": "auth0", "bogus_prop": 1}
    found = error(api.post(CONNECTIONS, body), 400, "invalid_body")
    assert "bogus_prop" in found["message"]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize("raw", [b"{not json", b'"auth0"'])
def test_malformed_json_is_invalid_body(api: Api, method: str, raw: bytes) -> None:
    path = CONNECTIONS if method == "POST" else f"{CONNECTIONS}/{create_connection(api)['id']}"
    response = api.http.request(
        method, path, content=raw, headers={"content-type": "application/json"}
    )
    error(response, 400, "invalid_body")


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("", id="empty"),
        pytest.param("has space", id="space"),
        pytest.param("-leading", id="leading-hyphen"),
        pytest.param("trailing-", id="trailing-hyphen"),
        pytest.param("double--hyphen", id="double-hyphen"),
        pytest.param("under_score", id="underscore"),
        pytest.param("dot.ted", id="dot"),
        pytest.param("é-accent", id="non-ascii"),
        pytest.param("n" * 129, id="129-chars"),
    ],
)
def test_invalid_names_are_refused(api: Api, name: str) -> None:
    error(api.post(CONNECTIONS, {"name": name, "strategy": "auth0"}), 400, "invalid_body")
    assert name == "" or named(api, name) == []


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(lambda u: u[:1], id="one-char"),
        pytest.param(lambda u: f"Mixed-{u}-0", id="inner-hyphens"),
        pytest.param(lambda u: (u * 12)[:128], id="128-chars"),
    ],
)
def test_valid_names_are_accepted(api: Api, name: Any) -> None:
    value = name(uuid.uuid4().hex)
    response = api.post(CONNECTIONS, {"name": value, "strategy": "auth0"})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == value


def test_duplicate_name_is_409(api: Api) -> None:
    first = create_connection(api)
    response = api.post(CONNECTIONS, {"name": first["name"], "strategy": "auth0"})
    error(response, 409)
    response = api.post(
        CONNECTIONS, {"name": first["name"], "strategy": "oauth2", "options": OAUTH2_OPTIONS}
    )
    error(response, 409)
    assert named(api, first["name"]) == [first]


def test_default_connection_name_is_taken(api: Api) -> None:
    error(api.post(CONNECTIONS, {"name": DB, "strategy": "auth0"}), 409)


# --- enabled_clients -----------------------------------------------------------------------


def test_enabled_clients_round_trip(api: Api) -> None:
    clients = sorted([create_client(api), create_client(api)])
    created = create_connection(api, enabled_clients=clients)
    assert sorted(created["enabled_clients"]) == clients
    assert sorted(get_connection(api, created["id"])["enabled_clients"]) == clients


def test_enabled_clients_patch_replaces_the_list(api: Api) -> None:
    first, second = create_client(api), create_client(api)
    created = create_connection(api, enabled_clients=[first])
    patched = patch(api, created["id"], {"enabled_clients": [second]})
    assert patched["enabled_clients"] == [second]
    assert patch(api, created["id"], {"enabled_clients": []})["enabled_clients"] == []


def test_unknown_enabled_client_refuses_the_create(api: Api) -> None:
    name = unique_name()
    body = {
        "name": name,
        "strategy": "auth0",
        "enabled_clients": [create_client(api), uuid.uuid4().hex],
    }
    error(api.post(CONNECTIONS, body), 400, "invalid_body")
    assert named(api, name) == []


def test_unknown_enabled_client_refuses_the_patch_and_changes_nothing(api: Api) -> None:
    client = create_client(api)
    created = create_connection(api, enabled_clients=[client], options={"passwordPolicy": "low"})
    body = {"enabled_clients": [client, uuid.uuid4().hex], "options": {"passwordPolicy": "fair"}}
    error(api.patch(f"{CONNECTIONS}/{created['id']}", body), 400, "invalid_body")
    assert get_connection(api, created["id"]) == created


def test_deleting_a_client_removes_it_from_enabled_clients(api: Api) -> None:
    kept, deleted = create_client(api), create_client(api)
    created = create_connection(api, enabled_clients=[kept, deleted])
    assert api.delete(f"/api/v2/clients/{deleted}").status_code == 204
    assert get_connection(api, created["id"])["enabled_clients"] == [kept]


# --- options -------------------------------------------------------------------------------


def test_patch_replaces_options_whole(api: Api) -> None:
    created = create_connection(
        api,
        options={"passwordPolicy": "excellent", "brute_force_protection": True, "custom": "x"},
    )
    patched = patch(api, created["id"], {"options": {"brute_force_protection": False}})
    expected = {**DATABASE_UPDATE_DEFAULTS, "brute_force_protection": False}
    assert patched["options"] == expected
    assert get_connection(api, created["id"])["options"] == expected


def test_patch_replaces_oauth2_options_whole(api: Api) -> None:
    created = create_connection(api, "oauth2", options={**OAUTH2_OPTIONS, "scope": "openid"})
    patched = patch(api, created["id"], {"options": OAUTH2_OPTIONS})
    assert patched["options"] == OAUTH2_OPTIONS
    error(
        api.patch(f"{CONNECTIONS}/{created['id']}", {"options": {"scope": "email"}}),
        400,
        "invalid_body",
    )
    assert get_connection(api, created["id"])["options"] == OAUTH2_OPTIONS


def test_patch_with_empty_options_leaves_only_auth0s_update_defaults(api: Api) -> None:
    created = create_connection(api, options={"passwordPolicy": "low"})
    assert patch(api, created["id"], {"options": {}})["options"] == DATABASE_UPDATE_DEFAULTS


def test_patch_without_options_keeps_them(api: Api) -> None:
    options = {"passwordPolicy": "fair", "requires_username": True}
    created = create_connection(api, options=options)
    patched = patch(api, created["id"], {"display_name": "Renamed"})
    assert patched["options"] == {**DATABASE_CREATE_DEFAULTS, **options}
    assert patched["display_name"] == "Renamed"
    assert patched == {**created, "display_name": "Renamed"}


@pytest.mark.parametrize("strategy", ["auth0", "oauth2"])
@pytest.mark.parametrize("policy", ["on_each_login", "on_first_login", "never_on_login"])
def test_set_user_root_attributes_accepts_the_three_policies(
    api: Api, strategy: str, policy: str
) -> None:
    base = dict(OAUTH2_OPTIONS) if strategy == "oauth2" else {}
    created = create_connection(api, strategy, options={**base, "set_user_root_attributes": policy})
    assert created["options"]["set_user_root_attributes"] == policy
    other = "never_on_login" if policy != "never_on_login" else "on_first_login"
    patched = patch(api, created["id"], {"options": {**base, "set_user_root_attributes": other}})
    assert patched["options"]["set_user_root_attributes"] == other


@pytest.mark.parametrize("policy", ["always", "ON_EACH_LOGIN", "", 1, True, ["on_each_login"]])
def test_set_user_root_attributes_refuses_anything_else(api: Api, policy: Any) -> None:
    name = unique_name()
    options = {**OAUTH2_OPTIONS, "set_user_root_attributes": policy}
    body = {"name": name, "strategy": "oauth2", "options": options}
    error(api.post(CONNECTIONS, body), 400, "invalid_body")
    assert named(api, name) == []
    created = create_connection(api, "oauth2")
    response = api.patch(f"{CONNECTIONS}/{created['id']}", {"options": options})
    error(response, 400, "invalid_body")
    assert get_connection(api, created["id"]) == created


@pytest.mark.parametrize("level", ["none", "low", "fair", "good", "excellent"])
def test_password_policy_levels_are_accepted(api: Api, level: str) -> None:
    created = create_connection(api, options={"passwordPolicy": level})
    assert created["options"]["passwordPolicy"] == level
    patched = patch(api, created["id"], {"options": {"passwordPolicy": level}})
    assert patched["options"]["passwordPolicy"] == level


@pytest.mark.parametrize("level", ["strong", "Good", "", 3, ["good"]])
def test_unknown_password_policy_levels_are_refused(api: Api, level: Any) -> None:
    name = unique_name()
    body = {"name": name, "strategy": "auth0", "options": {"passwordPolicy": level}}
    error(api.post(CONNECTIONS, body), 400, "invalid_body")
    assert named(api, name) == []
    created = create_connection(api, options={"passwordPolicy": "good"})
    response = api.patch(f"{CONNECTIONS}/{created['id']}", {"options": {"passwordPolicy": level}})
    error(response, 400, "invalid_body")
    assert get_connection(api, created["id"]) == created


def test_password_policy_applies_to_new_users(api: Api) -> None:
    created = create_connection(api, options={"passwordPolicy": "excellent"})
    weak = {"connection": created["name"], "email": unique_email(), "password": "short1A!"}
    error(api.post("/api/v2/users", weak), 400)
    patch(api, created["id"], {"options": {"passwordPolicy": "low"}})
    response = api.post("/api/v2/users", weak)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"brute_force_protection": "yes"}, id="bool-as-string"),
        pytest.param({"requires_username": 1}, id="bool-as-int"),
        pytest.param({"password_complexity_options": {"min_length": 0}}, id="min-length-0"),
        pytest.param({"password_complexity_options": {"min_length": "8"}}, id="min-length-str"),
        pytest.param({"password_complexity_options": 8}, id="complexity-int"),
        pytest.param({"validation": {"username": {"min": 10, "max": 5}}}, id="username-bounds"),
    ],
)
def test_malformed_database_options_are_refused(api: Api, options: dict[str, Any]) -> None:
    name = unique_name()
    body = {"name": name, "strategy": "auth0", "options": options}
    error(api.post(CONNECTIONS, body), 400, "invalid_body")
    assert named(api, name) == []


# --- other updates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"name": "renamed"}, id="name"),
        pytest.param({"strategy": "oauth2"}, id="strategy"),
        pytest.param({"id": "con_0000000000000000"}, id="id"),
        pytest.param({"display_name": 5}, id="display-name-int"),
        pytest.param({"display_name": None}, id="display-name-null"),
        pytest.param({"bogus": True}, id="unknown"),
        pytest.param({}, id="empty"),
        pytest.param({"options": {"mfa": {"active": "yes"}}}, id="options-mfa-active-str"),
        pytest.param({"authentication": {"active": "yes"}}, id="authentication-str"),
        pytest.param({"authentication": {}}, id="authentication-no-active"),
        pytest.param({"connected_accounts": {"active": True, "x": 1}}, id="accounts-unknown"),
        pytest.param({"show_as_button": "true"}, id="show-as-button-str"),
        pytest.param({"cross_app_access_resource_app": {"status": "on"}}, id="resource-app"),
        pytest.param({"is_domain_connection": None}, id="domain-null"),
        pytest.param({"realms": "staff"}, id="realms-str"),
    ],
)
def test_rejected_patch_changes_nothing(api: Api, body: dict[str, Any]) -> None:
    created = create_connection(api, options={"passwordPolicy": "fair"})
    error(api.patch(f"{CONNECTIONS}/{created['id']}", body), 400, "invalid_body")
    assert get_connection(api, created["id"]) == created


def test_patch_updates_display_name_metadata_and_realms(api: Api) -> None:
    created = create_connection(api)
    changes = {"display_name": "Staff", "metadata": {"k": "v"}, "realms": ["staff"]}
    patched = patch(api, created["id"], changes)
    assert patched == {**created, **changes}
    assert get_connection(api, created["id"]) == patched


# --- delete --------------------------------------------------------------------------------


def delete_connection(api: Api, connection_id: str) -> None:
    response = api.delete(f"{CONNECTIONS}/{connection_id}")
    assert response.status_code == 202, response.text
    deleted_at = response.json()["deleted_at"]
    assert set(response.json()) == {"deleted_at"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", deleted_at), deleted_at


def test_delete_answers_202_with_the_time_of_the_deletion(api: Api) -> None:
    created = create_connection(api)
    delete_connection(api, created["id"])
    error(api.get(f"{CONNECTIONS}/{created['id']}"), 404, "inexistent_connection")
    assert named(api, created["name"]) == []


@pytest.mark.both_databases
def test_deleting_again_answers_204_without_a_body(api: Api) -> None:
    """Auth0's 204: the connection no longer exists (selfauth deletes before it answers)."""
    created = create_connection(api)
    delete_connection(api, created["id"])
    for _ in range(2):
        response = api.delete(f"{CONNECTIONS}/{created['id']}")
        assert response.status_code == 204, response.text
        assert response.content == b""


def test_deleting_an_id_that_never_existed_answers_204(api: Api) -> None:
    response = api.delete(f"{CONNECTIONS}/con_{uuid.uuid4().hex[:16]}")
    assert response.status_code == 204, response.text
    assert response.content == b""


def test_name_is_free_again_after_delete(api: Api) -> None:
    created = create_connection(api)
    delete_connection(api, created["id"])
    again = create_connection(api, name=created["name"])
    assert again["id"] != created["id"]


def test_deleting_a_connection_deletes_its_users(api: Api) -> None:
    created = create_connection(api)
    body = {"connection": created["name"], "email": unique_email(), "password": PASSWORD}
    response = api.post("/api/v2/users", body)
    assert response.status_code == 201, response.text
    user = response.json()
    bystander = api.create_user()
    assert api.get(user_path(user["user_id"])).status_code == 200

    delete_connection(api, created["id"])

    error(api.get(user_path(user["user_id"])), 404, "inexistent_user")
    assert api.get(user_path(bystander["user_id"])).status_code == 200


@pytest.mark.parametrize(("method", "body"), [("GET", None), ("PATCH", {"display_name": "x"})])
def test_unknown_connection_is_404(api: Api, method: str, body: Any) -> None:
    path = f"{CONNECTIONS}/con_{uuid.uuid4().hex[:16]}"
    error(api.http.request(method, path, json=body), 404, "inexistent_connection")


# --- list ----------------------------------------------------------------------------------


def test_list_filters_by_strategy_and_name(api: Api) -> None:
    database, upstream = create_connection(api), create_connection(api, "oauth2")
    oauth2 = all_connections(api, strategy="oauth2")
    assert {c["strategy"] for c in oauth2} == {"oauth2"}
    assert upstream["id"] in {c["id"] for c in oauth2}
    assert database["id"] not in {c["id"] for c in oauth2}
    assert named(api, upstream["name"]) == [upstream]
    indexed = api.get(
        CONNECTIONS, **{"strategy[0]": "oauth2", "strategy[1]": "auth0", "per_page": 100}
    )
    assert {c["strategy"] for c in indexed.json()} <= {"oauth2", "auth0"}
    assert {"oauth2", "auth0"} <= {
        c["strategy"] for c in all_connections(api, **{"strategy[]": ["oauth2", "auth0"]})
    }


def test_list_refuses_a_strategy_outside_auth0s_enum(api: Api) -> None:
    error(api.get(CONNECTIONS, strategy="saml"), 400, "invalid_query_string")
    assert api.get(CONNECTIONS, strategy="auth0-adldap").json() == []


def test_list_include_totals_object_form(api: Api) -> None:
    create_connection(api)
    everything = all_connections(api)
    response = api.get(CONNECTIONS, include_totals="true", per_page=1, page=1)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"start", "limit", "total", "connections"}
    assert (body["start"], body["limit"]) == (1, 1)
    assert body["total"] == len(everything)
    assert body["connections"] == everything[1:2]


def test_fields_selects_properties(api: Api) -> None:
    created = create_connection(api)
    response = api.get(f"{CONNECTIONS}/{created['id']}", fields="id,name")
    assert response.json() == {"id": created["id"], "name": created["name"]}
    response = api.get(
        f"{CONNECTIONS}/{created['id']}", fields="options,realms", include_fields="false"
    )
    assert response.json() == {k: v for k, v in created.items() if k not in ("options", "realms")}


# --- strategies selfauth stores without signing in with them ------------------------------

INERT = {
    "google-oauth2": {"allowed_audiences": ["example.com"], "calendar": True, "youtube": False},
    "samlp": {
        "signInEndpoint": "https://saml.example.com/sso",
        "fieldsMap": {"email": "EmailAddress"},
        "upstream_params": {"screen_name": {"alias": "login_hint"}},
    },
    "waad": {"client_id": "123456", "tenant_domain": "example.onmicrosoft.com"},
    "email": {"totp": {"length": 4, "time_step": 100}, "email": {"syntax": "liquid"}},
    "sms": {"from": "+17777777777", "messaging_service_sid": None, "twilio_sid": "abc"},
    "oidc": {"client_id": "x", "issuer": "https://idp.example.com", "dpop_signing_alg": "ES256"},
    "github": {},
    "ad": {"ips": None, "strategy_version": 2},
}


@pytest.mark.both_databases
@pytest.mark.parametrize("strategy", sorted(INERT))
def test_every_auth0_strategy_is_stored_and_echoed_as_given(api: Api, strategy: str) -> None:
    options = INERT[strategy]
    created = create_connection(api, strategy, options=options)
    assert created["strategy"] == strategy
    assert created["options"] == options
    assert get_connection(api, created["id"]) == created
    assert created["id"] in {c["id"] for c in all_connections(api, strategy=strategy)}
    replaced = {"scope": ["email"], "a_key_auth0_does_not_type": {"kept": True}}
    patched = patch(api, created["id"], {"options": replaced})
    assert patched["options"] == replaced
    assert get_connection(api, created["id"]) == patched


def test_enterprise_connections_answer_show_as_button_and_oidc_a_display_name(api: Api) -> None:
    saml = create_connection(api, "samlp")
    assert saml["show_as_button"] is False
    assert "display_name" not in saml
    oidc = create_connection(api, "oidc", options=INERT["oidc"])
    assert oidc["show_as_button"] is False
    assert oidc["display_name"] == oidc["name"]
    social = create_connection(api, "github")
    assert "show_as_button" not in social
    assert create_connection(api, "github", show_as_button=True)["show_as_button"] is True


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"set_user_root_attributes": "always"}, id="root-attributes-enum"),
        pytest.param({"upstream_params": {"screen_name": {"alias": "nope"}}}, id="upstream-alias"),
        pytest.param({"upstream_params": {"x": {"value": 1}}}, id="upstream-value-int"),
        pytest.param({"non_persistent_attrs": "email"}, id="non-persistent-str"),
        pytest.param({"dpop_signing_alg": "HS256"}, id="dpop-alg"),
        pytest.param({"gateway_authentication": {"method": "bearer"}}, id="gateway-incomplete"),
        pytest.param({"id_token_session_expiry_supported": None}, id="non-null-bool"),
    ],
)
def test_auth0s_typed_option_keys_are_checked_for_every_strategy(
    api: Api, options: dict[str, Any]
) -> None:
    name = unique_name()
    body = {"name": name, "strategy": "okta", "options": options}
    error(api.post(CONNECTIONS, body), 400, "invalid_body")
    assert named(api, name) == []


def test_users_cannot_be_created_in_a_connection_selfauth_does_not_sign_in_with(
    api: Api,
) -> None:
    created = create_connection(api, "google-oauth2")
    body = {"connection": created["name"], "email": unique_email(), "password": PASSWORD}
    found = error(api.post("/api/v2/users", body), 400, "operation_not_supported")
    assert "google-oauth2" in found["message"]


def test_password_grants_refuse_a_connection_selfauth_does_not_sign_in_with(
    server: RunningServer, api: Api
) -> None:
    client = new_client(api, grant_types=GRANTS)
    created = create_connection(api, "samlp", enabled_clients=[client["client_id"]])
    app = App(client["client_id"], client["client_secret"], created["name"], created["id"])
    found = assert_oauth_error(login(server, app, "someone@example.com"), 400, "invalid_request")
    assert "samlp" in found["error_description"]
    assert "not support" in found["error_description"]


def test_authorize_refuses_a_connection_selfauth_does_not_sign_in_with(
    server: RunningServer, api: Api
) -> None:
    client = code_client(api, "spa")
    created = create_connection(api, "samlp", enabled_clients=[client.client_id])
    with browser_client(base_url=server.base_url, timeout=30) as browser:
        f = flow(client, created["name"])
        response = authorize(browser, f)
    assert_redirected_error(response, f, "invalid_request")
    description = redirected(response)["error_description"]
    assert "samlp" in description and "not support" in description


# --- database options Auth0 refuses together ------------------------------------------------

EMAIL_IDENTIFIER = {
    "identifier": {"active": True},
    "profile_required": True,
    "signup": {"status": "required", "verification": {"active": False}},
}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            {"attributes": {"email": EMAIL_IDENTIFIER}, "requires_username": True},
            "Cannot set both options.attributes and options.requires_username",
            id="requires-username",
        ),
        pytest.param(
            {
                "attributes": {"email": EMAIL_IDENTIFIER},
                "validation": {"username": {"min": 1, "max": 5}},
            },
            "Cannot set both options.attributes and options.validation",
            id="validation",
        ),
        pytest.param(
            {"attributes": {"email": {**EMAIL_IDENTIFIER, "identifier": {"active": False}}}},
            "attributes must contain one active identifier",
            id="no-active-identifier",
        ),
        pytest.param(
            {
                "attributes": {
                    "phone_number": {
                        "identifier": {"active": True},
                        "profile_required": True,
                        "signup": {"status": "inactive"},
                    }
                }
            },
            "attribute phone_number must also be required on signup",
            id="required-but-inactive",
        ),
    ],
)
def test_attributes_conflicts_are_refused_with_auth0s_messages(
    api: Api, options: dict[str, Any], message: str
) -> None:
    name = unique_name()
    body = {"name": name, "strategy": "auth0", "options": options}
    found = error(api.post(CONNECTIONS, body), 400, "invalid_body")
    assert found["message"] == message
    created = create_connection(api)
    found = error(api.patch(f"{CONNECTIONS}/{created['id']}", {"options": options}), 400)
    assert found["message"] == message
    assert named(api, name) == []


def test_attributes_are_stored_with_auth0s_email_defaults(api: Api) -> None:
    options = {
        "attributes": {"email": EMAIL_IDENTIFIER},
        "precedence": ["username", "email", "phone_number"],
    }
    created = create_connection(api, options=options)
    email = {**EMAIL_IDENTIFIER, "unique": True, "verification_method": "link"}
    assert created["options"] == {
        **DATABASE_CREATE_DEFAULTS,
        "attributes": {"email": email},
        "precedence": options["precedence"],
    }


def test_a_username_required_at_signup_makes_the_connection_require_one(api: Api) -> None:
    username = {
        "identifier": {"active": True},
        "profile_required": True,
        "signup": {"status": "required"},
    }
    created = create_connection(api, options={"attributes": {"username": username}})
    body = {"connection": created["name"], "email": unique_email(), "password": PASSWORD}
    found = error(api.post("/api/v2/users", body), 400, "invalid_body")
    assert "username" in found["message"]
    response = api.post("/api/v2/users", {**body, "username": f"u{uuid.uuid4().hex[:8]}"})
    assert response.status_code == 201, response.text


def test_password_options_are_filled_with_auth0s_defaults(api: Api) -> None:
    options = {"password_options": {"dictionary": {"active": True, "default": "en_100k"}}}
    created = create_connection(api, options=options)
    assert "passwordPolicy" not in created["options"]
    assert created["options"]["password_options"] == {
        "complexity": {
            "character_type_rule": "all",
            "character_types": [],
            "identical_characters": "allow",
            "max_length_exceeded": "error",
            "min_length": 15,
            "sequential_characters": "allow",
        },
        "dictionary": {"active": True, "custom": [], "default": "en_100k"},
        "history": {"active": False, "size": 3},
        "profile_data": {
            "active": False,
            "blocked_fields": [
                "name",
                "username",
                "nickname",
                "email",
                "phone_number",
                "user_metadata.name",
                "user_metadata.first",
                "user_metadata.last",
            ],
        },
    }


def test_password_options_replace_the_legacy_policy_for_new_users(api: Api) -> None:
    complexity = {"min_length": 12, "character_types": ["number"]}
    options = {"passwordPolicy": "none", "password_options": {"complexity": complexity}}
    created = create_connection(api, options=options)
    body = {"connection": created["name"], "email": unique_email()}
    error(api.post("/api/v2/users", {**body, "password": "abcdefghijk1"[:11]}), 400)
    error(api.post("/api/v2/users", {**body, "password": "abcdefghijkl"}), 400)
    response = api.post("/api/v2/users", {**body, "password": "abcdefghijk1"})
    assert response.status_code == 201, response.text


def test_option_keys_auth0_does_not_type_are_kept(api: Api) -> None:
    options = {"custom_password_hash": {"action_id": "x"}, "upstream_params": None}
    created = create_connection(api, options=options)
    assert created["options"]["custom_password_hash"] == {"action_id": "x"}
    assert created["options"]["upstream_params"] is None


def test_unknown_keys_inside_typed_option_objects_are_refused(api: Api) -> None:
    body = {"name": unique_name(), "strategy": "auth0", "options": {"mfa": {"bogus": True}}}
    found = error(api.post(CONNECTIONS, body), 400, "invalid_body")
    assert found["message"] == (
        "Payload validation error: 'Additional properties not allowed: options.mfa.bogus'."
    )


# --- top-level properties Auth0 stores ------------------------------------------------------


def test_new_top_level_properties_have_auth0s_defaults(api: Api) -> None:
    created = create_connection(api)
    assert created["authentication"] == {"active": True}
    assert created["connected_accounts"] == {"active": False}
    assert "metadata" not in created
    for absent in ("show_as_button", "display_name", "cross_app_access_requesting_app"):
        assert absent not in created


@pytest.mark.both_databases
def test_new_top_level_properties_are_stored_and_echoed(api: Api) -> None:
    given = {
        "authentication": {"active": False},
        "connected_accounts": {"active": True, "cross_app_access": True},
        "show_as_button": True,
        "cross_app_access_requesting_app": {"active": True},
        "cross_app_access_resource_app": {"status": "enabled"},
    }
    created = create_connection(api, **given)
    for key, value in given.items():
        assert created[key] == value, key
    assert get_connection(api, created["id"]) == created
    changes = {"authentication": {"active": True}, "cross_app_access_resource_app": None}
    patched = patch(api, created["id"], changes)
    assert patched["authentication"] == {"active": True}
    assert "cross_app_access_resource_app" not in patched
    assert patched["connected_accounts"] == given["connected_accounts"]
    assert get_connection(api, created["id"]) == patched


def test_null_options_and_enabled_clients_leave_them_as_they_are(api: Api) -> None:
    created = create_connection(api, enabled_clients=[create_client(api)])
    patched = patch(api, created["id"], {"options": None, "enabled_clients": None})
    assert patched == created


def test_metadata_nulls_are_dropped_and_empty_metadata_is_not_answered(api: Api) -> None:
    created = create_connection(api, metadata={"team": "blue", "gone": None})
    assert created["metadata"] == {"team": "blue"}
    assert "metadata" not in patch(api, created["id"], {"metadata": {}})


def test_empty_realms_fall_back_to_the_name(api: Api) -> None:
    created = create_connection(api, realms=[])
    assert created["realms"] == [created["name"]]
    assert patch(api, created["id"], {"realms": []})["realms"] == [created["name"]]


def test_a_list_answers_is_domain_connection_whatever_fields_names(api: Api) -> None:
    created = create_connection(api)
    response = api.get(CONNECTIONS, fields="id", include_fields="true", name=created["name"])
    assert response.json() == [{"id": created["id"], "is_domain_connection": False}]


# --- authentication and scopes -------------------------------------------------------------

ENDPOINTS: list[tuple[str, str, str, str]] = [
    ("list", "GET", CONNECTIONS, "read:connections"),
    ("get", "GET", CONNECTIONS + "/{id}", "read:connections"),
    ("create", "POST", CONNECTIONS, "create:connections"),
    ("update", "PATCH", CONNECTIONS + "/{id}", "update:connections"),
    ("delete", "DELETE", CONNECTIONS + "/{id}", "delete:connections"),
]
CONNECTION_SCOPES = sorted({row[3] for row in ENDPOINTS})


def call(api: Api, method: str, path: str, target: dict[str, Any]) -> httpx.Response:
    path = path.format(id=target["id"])
    if method == "POST":
        return api.post(path, {"name": unique_name("scoped"), "strategy": "auth0"})
    if method == "PATCH":
        return api.patch(path, {"options": {"passwordPolicy": "none"}})
    return api.http.request(method, path)


def assert_insufficient_scope(response: httpx.Response, accepted: str) -> None:
    found = error(response, 403, "insufficient_scope")
    assert found["message"].startswith(PREFIX), found
    assert found["message"].removeprefix(PREFIX).split(",") == [accepted]


@pytest.mark.parametrize("scope", CONNECTION_SCOPES)
def test_a_token_with_one_scope_reaches_exactly_the_endpoints_accepting_it(
    api: Api, scope: str
) -> None:
    narrow = api.with_scopes(scope)
    target = create_connection(api)
    before = connection_count(api)
    for _name, method, path, accepted in ENDPOINTS:
        if scope != accepted:
            assert_insufficient_scope(call(narrow, method, path, target), accepted)
    assert get_connection(api, target["id"]) == target
    assert connection_count(api) == before
    for name, method, path, accepted in ENDPOINTS:
        if scope == accepted:
            response = call(narrow, method, path, target)
            assert 200 <= response.status_code < 300, (name, response.text)


def test_scopes_of_other_resources_are_403_insufficient_scope(api: Api) -> None:
    servers = api.get("/api/v2/resource-servers", per_page=100).json()
    system = next(s for s in servers if s["identifier"] == api.server.audience)
    others = [s["value"] for s in system["scopes"] if s["value"] not in CONNECTION_SCOPES]
    narrow = api.with_scopes(*others)
    target = create_connection(api)
    before = connection_count(api)
    for _name, method, path, accepted in ENDPOINTS:
        assert_insufficient_scope(call(narrow, method, path, target), accepted)
    assert get_connection(api, target["id"]) == target
    assert connection_count(api) == before


def test_no_token_is_401(api: Api, anonymous: Api) -> None:
    target = create_connection(api)
    before = connection_count(api)
    for name, method, path, _accepted in ENDPOINTS:
        response = call(anonymous, method, path, target)
        assert response.status_code == 401, (name, response.text)
        error(response, 401)
    assert get_connection(api, target["id"]) == target
    assert connection_count(api) == before
