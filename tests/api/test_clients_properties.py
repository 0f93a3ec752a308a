"""`/api/v2/clients`: Auth0's whole create and update bodies on the wire.

Every property of `CreateClientRequestContent` and `UpdateClientRequestContent` is accepted with
Auth0's types, enums and bounds, stored and answered as Auth0 answers it (defaults included);
values selfauth cannot honour are refused with a 400 that names them; unset lists are left out;
the tenant's signing certificate is answered in `signing_keys`. What the token settings do to
tokens is in test_clients_tokens.py. Runs on SQLite (the storage of `extra_properties` is a JSON
column, tested on every database in tests/storage/test_clients.py).
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from tests.support.api import Api
from tests.support.api import assert_coded_error as error
from tests.support.signin import http

pytestmark = pytest.mark.sqlite_only

CLIENTS = "/api/v2/clients"

# Properties selfauth stores and answers as given (it does not act on them yet).
STORED: dict[str, Any] = {
    "logo_uri": "https://app.example.com/logo.png",
    "oidc_logout": {
        "backchannel_logout_urls": ["https://app.example.com/logout"],
        "backchannel_logout_initiators": {"mode": "custom", "selected_initiators": ["rp-logout"]},
        "backchannel_logout_session_metadata": {"include": True},
    },
    "session_transfer": {
        "can_create_session_transfer_token": True,
        "enforce_cascade_revocation": True,
        "allowed_authentication_methods": ["cookie", "query"],
        "enforce_device_binding": "ip",
        "allow_refresh_token": True,
        "enforce_online_refresh_tokens": True,
        "delegation": {"allow_delegated_access": False, "enforce_device_binding": "ip"},
    },
    "client_aliases": ["urn:example:alias"],
    "allowed_clients": ["someclient"],
    "encryption_key": {"pub": "-----BEGIN PUBLIC KEY-----", "cert": "c", "subject": "/CN=x"},
    "sso": True,
    "cross_origin_authentication": True,
    "cross_origin_loc": "https://app.example.com/co",
    "custom_login_page_on": False,
    "custom_login_page": "<html></html>",
    "custom_login_page_preview": "<html>preview</html>",
    "form_template": "<form></form>",
    "addons": {
        "samlp": {"audience": "urn:example", "mappings": {"email": ["User.Email", "User.Alt"]}},
        "aws": {"principal": "arn:p", "role": "arn:r", "lifetime_in_seconds": 900},
        "box": {"anything": 1},
        "rms": {"url": "https://rms.example.com"},
        "oag": {},
    },
    "mobile": {
        "android": {"app_package_name": "com.example", "sha256_cert_fingerprints": ["AB:CD"]},
        "ios": {"team_id": "TEAM", "app_bundle_identifier": "com.example.app"},
    },
    "initiate_login_uri": "https://app.example.com/login",
    "native_social_login": {"apple": {"enabled": True}, "google": {"enabled": False}},
    "fedcm_login": {"google": {"is_enabled": True}},
    "oidc_conformant": False,
    "organization_usage": "allow",
    "organization_require_behavior": "pre_login_prompt",
    "organization_discovery_methods": ["email", "organization_name"],
    "require_pushed_authorization_requests": False,
    "require_proof_of_possession": False,
    "signed_request_object": {"required": False},
    "compliance_level": "none",
    "skip_non_verifiable_callback_uri_confirmation_prompt": True,
    "token_exchange": {"allow_any_profile_of_type": ["custom_authentication"]},
    "par_request_expiry": 60,
    "token_quota": {"client_credentials": {"enforce": False, "per_day": 100, "per_hour": 10}},
    "resource_server_identifier": "https://linked.example.com/",
    "identity_assertion_authorization_grant": {"active": True},
    "third_party_security_mode": "permissive",
    "redirection_policy": "allow_always",
    "my_organization_configuration": {
        "allowed_strategies": ["oidc", "samlp"],
        "connection_deletion_behavior": "allow_if_empty",
    },
    "async_approval_notification_channels": ["guardian-push", "email"],
    "express_configuration": {
        "initiate_login_uri_template": "https://app.example.com/{organization_name}",
        "user_attribute_profile_id": "uap_1",
        "connection_profile_id": "cop_1",
        "enable_client": True,
        "enable_organization": False,
        "okta_oin_client_id": "okta1",
        "admin_login_domain": "admin.example.com",
    },
}
# Properties selfauth acts on, beside the ones test_clients.py covers.
ACTED_ON: dict[str, Any] = {
    "is_token_endpoint_ip_header_trusted": True,
    "jwt_configuration": {"lifetime_in_seconds": 600, "alg": "PS256", "secret_encoded": False},
    "refresh_token": {
        "rotation_type": "non-rotating",
        "expiration_type": "expiring",
        "leeway": 0,
        "token_lifetime": 86_400,
        "infinite_token_lifetime": False,
        "idle_token_lifetime": 3600,
        "infinite_idle_token_lifetime": True,
        "policies": [{"audience": "https://linked.example.com/", "scope": ["read:x"]}],
    },
}
# What Auth0 answers for a client that set none of them.
DEFAULTS = {
    "sso_disabled": False,
    "custom_login_page_on": True,
    "cross_origin_authentication": False,
    "is_token_endpoint_ip_header_trusted": False,
    "jwt_configuration": {"lifetime_in_seconds": 36_000, "secret_encoded": False},
    "tenant": "selfauth",
    "global": False,
    "is_first_party": True,
}
SELFAUTH_REFRESH = {
    "rotation_type": "rotating",
    "expiration_type": "expiring",
    "leeway": 0,
    "token_lifetime": 2_592_000,
    "infinite_token_lifetime": False,
    "idle_token_lifetime": 1_296_000,
    "infinite_idle_token_lifetime": True,
}


def create(api: Api, **fields: Any) -> dict[str, Any]:
    response = api.post(CLIENTS, {"name": f"props {uuid.uuid4().hex[:10]}", **fields})
    assert response.status_code == 201, response.text
    client: dict[str, Any] = response.json()
    return client


def fetch(api: Api, client_id: str) -> dict[str, Any]:
    response = api.get(f"{CLIENTS}/{client_id}")
    assert response.status_code == 200, response.text
    client: dict[str, Any] = response.json()
    return client


def patch(api: Api, client_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.patch(f"{CLIENTS}/{client_id}", body)
    assert response.status_code == 200, response.text
    client: dict[str, Any] = response.json()
    return client


def count(api: Api) -> int:
    total: int = api.get(CLIENTS, include_totals="true", per_page=1).json()["total"]
    return total


# --- the whole body ---------------------------------------------------------------------------


def test_every_stored_property_round_trips_on_create(api: Api) -> None:
    client = create(api, **STORED, **ACTED_ON)
    for key, value in {**STORED, **ACTED_ON}.items():
        assert client[key] == value, key
    assert {k: v for k, v in fetch(api, client["client_id"]).items()} == {
        k: v for k, v in client.items() if k != "client_secret"
    }


def test_every_stored_property_round_trips_on_patch(api: Api) -> None:
    client = create(api)
    # resource_server_identifier links a client once, on create: Auth0's update body lacks it.
    changes = {k: v for k, v in {**STORED, **ACTED_ON}.items() if k != "resource_server_identifier"}
    patched = patch(api, client["client_id"], changes)
    for key, value in changes.items():
        assert patched[key] == value, key
    assert fetch(api, client["client_id"]) == patched


def test_a_new_client_answers_auth0s_defaults(api: Api) -> None:
    client = create(api, description="defaults")
    for key, value in DEFAULTS.items():
        assert client[key] == value, key
    assert client["oidc_conformant"] is True  # selfauth speaks only OIDC-conformant flows
    assert client["refresh_token"] == SELFAUTH_REFRESH
    assert client["grant_types"] == [
        "authorization_code",
        "implicit",
        "refresh_token",
        "client_credentials",
    ]
    # Never set: left out, as Auth0 leaves them out.
    for key in ("callbacks", "allowed_origins", "web_origins", "allowed_logout_urls", "app_type"):
        assert key not in client, key
    assert "client_metadata" not in client
    assert "token_endpoint_auth_method" not in client  # client_secret_post, as Auth0's unset one
    assert set(client["signing_keys"][0]) == {"cert", "pkcs7", "subject"}


def test_newer_application_types_answer_an_algorithm_instead_of_a_lifetime(api: Api) -> None:
    client = create(api, app_type="resource_server")
    assert client["jwt_configuration"] == {"alg": "RS256", "secret_encoded": False}
    assert client["grant_types"] == []
    express = create(api, app_type="express_configuration")
    assert express["grant_types"] == ["authorization_code", "client_credentials"]


@pytest.mark.parametrize("app_type", ["box", "sso_integration", "oag", "b2b_integration"])
def test_every_auth0_application_type_is_accepted(api: Api, app_type: str) -> None:
    assert create(api, app_type=app_type)["app_type"] == app_type


def test_every_auth0_grant_type_is_accepted(api: Api) -> None:
    grants = [
        "password",
        "http://auth0.com/oauth/grant-type/mfa-oob",
        "http://auth0.com/oauth/grant-type/mfa-otp",
        "http://auth0.com/oauth/grant-type/mfa-recovery-code",
        "urn:openid:params:grant-type:ciba",
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:auth0:params:oauth:grant-type:token-exchange:federated-connection-access-token",
    ]
    assert create(api, grant_types=grants)["grant_types"] == grants


def test_open_objects_keep_unknown_keys(api: Api) -> None:
    jwt = {"lifetime_in_seconds": 60, "scopes": {"users": {"actions": ["read"]}}, "extra": 1}
    client = create(
        api,
        jwt_configuration=jwt,
        oidc_logout={"backchannel_logout_urls": [], "future": {"x": 1}},
        mobile={"android": {"keystore_hash": "h"}},
        addons={"samlp": {"logout": {"callback": "https://x"}}, "wsfed": {}},
    )
    assert client["jwt_configuration"] == {**jwt, "secret_encoded": False}
    assert client["oidc_logout"]["future"] == {"x": 1}
    assert client["mobile"] == {"android": {"keystore_hash": "h"}}
    assert client["addons"]["samlp"]["logout"] == {"callback": "https://x"}


def test_the_deprecated_backchannel_logout_property_is_answered_beside_oidc_logout(
    api: Api,
) -> None:
    urls = ["https://app.example.com/bclogout"]
    client = create(api, oidc_logout={"backchannel_logout_urls": urls})
    assert client["oidc_backchannel_logout"] == {"backchannel_logout_urls": urls}
    legacy = create(api, oidc_backchannel_logout={"backchannel_logout_urls": urls})
    assert legacy["oidc_logout"] == {"backchannel_logout_urls": urls}
    assert legacy["oidc_backchannel_logout"] == {"backchannel_logout_urls": urls}


def test_refresh_token_configuration_is_completed_as_auth0_completes_it(api: Api) -> None:
    client = create(api, refresh_token={"rotation_type": "rotating", "expiration_type": "expiring"})
    assert client["refresh_token"] == SELFAUTH_REFRESH
    lasting = create(
        api, refresh_token={"rotation_type": "non-rotating", "expiration_type": "non-expiring"}
    )
    assert lasting["refresh_token"] == {
        **SELFAUTH_REFRESH,
        "rotation_type": "non-rotating",
        "expiration_type": "non-expiring",
        "infinite_token_lifetime": True,
        "infinite_idle_token_lifetime": True,
    }


# --- PATCH -------------------------------------------------------------------------------------


def test_patch_replaces_objects_and_null_removes_them(api: Api) -> None:
    client = create(api, session_transfer=STORED["session_transfer"], addons=STORED["addons"])
    path = client["client_id"]
    replaced = patch(api, path, {"addons": {"wsfed": {}}})
    assert replaced["addons"] == {"wsfed": {}}
    removed = patch(api, path, {"session_transfer": None, "organization_discovery_methods": None})
    assert "session_transfer" not in removed
    assert "organization_discovery_methods" not in removed
    assert fetch(api, path) == removed


def test_patch_merges_native_social_login_and_null_removes_a_provider(api: Api) -> None:
    client = create(api, native_social_login={"apple": {"enabled": True}})
    merged = patch(api, client["client_id"], {"native_social_login": {"google": {"enabled": True}}})
    assert merged["native_social_login"] == {
        "apple": {"enabled": True},
        "google": {"enabled": True},
    }
    dropped = patch(api, client["client_id"], {"native_social_login": {"apple": None}})
    assert dropped["native_social_login"] == {"google": {"enabled": True}}


def test_patch_resetting_a_default_answers_the_default_again(api: Api) -> None:
    client = create(api, jwt_configuration={"alg": "PS256"}, organization_usage="allow")
    assert client["jwt_configuration"] == {"alg": "PS256", "secret_encoded": False}
    reset = patch(api, client["client_id"], {"organization_usage": None, "refresh_token": None})
    assert "organization_usage" not in reset
    assert reset["refresh_token"] == SELFAUTH_REFRESH


def test_patch_with_no_property_is_refused(api: Api) -> None:
    client = create(api)
    found = error(api.patch(f"{CLIENTS}/{client['client_id']}", {}), 400, "invalid_body")
    assert "Too few properties defined (0), minimum 1" in found["message"]


# --- client_secret on PATCH --------------------------------------------------------------------


def client_credentials(api: Api, client_id: str, secret: str) -> httpx.Response:
    return http(api.server.base_url).post(
        "/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": secret,
            "audience": api.server.audience,
        },
    )


def test_patch_sets_a_chosen_secret_and_answers_it_once(api: Api) -> None:
    client = create(api, app_type="non_interactive")
    grant = {"client_id": client["client_id"], "audience": api.server.audience, "scope": []}
    assert api.post("/api/v2/client-grants", grant).status_code == 201
    chosen = "a-secret-the-administrator-chose-" + uuid.uuid4().hex
    patched = patch(api, client["client_id"], {"client_secret": chosen})
    assert patched["client_secret"] == chosen
    assert "client_secret" not in fetch(api, client["client_id"])
    assert "client_secret" not in patch(api, client["client_id"], {"description": "later"})
    assert client_credentials(api, client["client_id"], chosen).status_code == 200
    old = client_credentials(api, client["client_id"], client["client_secret"])
    assert old.status_code == 401, old.text


def test_setting_a_secret_needs_update_client_keys(api: Api) -> None:
    client = create(api)
    path = f"{CLIENTS}/{client['client_id']}"
    narrow = api.with_scopes("update:clients", "read:clients")
    found = error(narrow.patch(path, {"client_secret": "x" * 40}), 403, "insufficient_scope")
    assert found["message"] == "Insufficient scope, expected any of: update:client_keys"
    assert narrow.patch(path, {"description": "fine"}).status_code == 200
    keys = api.with_scopes("update:client_keys")
    assert keys.patch(path, {"client_secret": "y" * 40}).status_code == 200


def test_an_empty_secret_is_refused(api: Api) -> None:
    client = create(api)
    found = error(
        api.patch(f"{CLIENTS}/{client['client_id']}", {"client_secret": ""}), 400, "invalid_body"
    )
    assert "client_secret" in found["message"]


# --- what selfauth cannot honour ---------------------------------------------------------------

UNSUPPORTED: list[tuple[str, Any]] = [
    ("jwt_configuration", {"alg": "HS256"}),
    (
        "client_authentication_methods",
        {
            "private_key_jwt": {
                "credentials": [{"credential_type": "public_key", "pem": "-----BEGIN PUBLIC KEY"}]
            }
        },
    ),
    ("require_pushed_authorization_requests", True),
    ("require_proof_of_possession", True),
    ("signed_request_object", {"required": True}),
    (
        "token_vault_privileged_access",
        {"credentials": [{"credential_type": "public_key", "pem": "-----BEGIN PUBLIC KEY"}]},
    ),
    ("compliance_level", "fapi1_adv_pkj_par"),
    ("organization_usage", "require"),
    ("default_organization", {"organization_id": "org_1", "flows": ["client_credentials"]}),
    ("token_quota", {"client_credentials": {"per_day": 10}}),
    ("redirection_policy", "open_redirect_protection"),
    ("refresh_token", {"rotation_type": "rotating", "expiration_type": "expiring", "leeway": 5}),
    (
        "refresh_token",
        {
            "rotation_type": "non-rotating",
            "expiration_type": "expiring",
            "infinite_idle_token_lifetime": False,
        },
    ),
]


@pytest.mark.parametrize(("prop", "value"), UNSUPPORTED)
def test_create_refuses_what_selfauth_cannot_honour(api: Api, prop: str, value: Any) -> None:
    before = count(api)
    body = {"name": f"refused {uuid.uuid4().hex[:8]}", prop: value}
    found = error(api.post(CLIENTS, body), 400, "operation_not_supported")
    assert found["message"].startswith(f"selfauth cannot honour {prop}"), found
    assert count(api) == before


@pytest.mark.parametrize(("prop", "value"), UNSUPPORTED)
def test_patch_refuses_what_selfauth_cannot_honour(api: Api, prop: str, value: Any) -> None:
    client = create(api)
    before = fetch(api, client["client_id"])
    if prop == "client_authentication_methods":
        value = {"private_key_jwt": {"credentials": [{"id": "cred_1"}]}}
    if prop == "token_vault_privileged_access":
        value = {"credentials": [{"id": "cred_1"}]}
    response = api.patch(f"{CLIENTS}/{client['client_id']}", {prop: value})
    error(response, 400, "operation_not_supported")
    assert fetch(api, client["client_id"]) == before


def test_patch_refuses_a_null_token_endpoint_auth_method(api: Api) -> None:
    client = create(api)
    response = api.patch(f"{CLIENTS}/{client['client_id']}", {"token_endpoint_auth_method": None})
    found = error(response, 400, "operation_not_supported")
    assert "token_endpoint_auth_method null" in found["message"]


def test_the_harmless_values_of_restrictive_settings_are_accepted(api: Api) -> None:
    client = create(
        api,
        sso_disabled=False,
        compliance_level=None,
        redirection_policy="allow_always",
        token_quota={"client_credentials": {"enforce": False}},
        signed_request_object={"required": False, "credentials": []},
        refresh_token={"rotation_type": "non-rotating", "expiration_type": "expiring", "leeway": 9},
    )
    assert client["refresh_token"]["leeway"] == 9  # no rotation, so no reuse to tolerate
    assert patch(api, client["client_id"], {"client_authentication_methods": None})


# --- validation -------------------------------------------------------------------------------

INVALID: list[tuple[str, Any]] = [
    ("jwt_configuration", {"alg": "ES256"}),
    ("jwt_configuration", {"lifetime_in_seconds": "600"}),
    ("jwt_configuration", "RS256"),
    ("refresh_token", {"rotation_type": "rotating"}),
    ("refresh_token", {"rotation_type": "always", "expiration_type": "expiring"}),
    ("refresh_token", {"rotation_type": "rotating", "expiration_type": "expiring", "x": 1}),
    (
        "refresh_token",
        {"rotation_type": "rotating", "expiration_type": "expiring", "token_lifetime": 0},
    ),
    (
        "refresh_token",
        {"rotation_type": "rotating", "expiration_type": "expiring", "token_lifetime": 157788001},
    ),
    ("refresh_token", {"rotation_type": "rotating", "expiration_type": "expiring", "policies": []}),
    ("addons", {"unknown_addon": {}}),
    ("addons", {"samlp": "on"}),
    ("addons", {"rms": {}}),
    ("addons", {"aws": {"lifetime_in_seconds": 60}}),
    ("addons", {"oag": {"x": 1}}),
    ("session_transfer", {"enforce_device_binding": "mac"}),
    ("session_transfer", {"unknown": True}),
    ("oidc_logout", {"backchannel_logout_urls": ["http://plain.example.com/logout"]}),
    ("oidc_logout", {"backchannel_logout_initiators": {"mode": "some"}}),
    ("initiate_login_uri", "http://app.example.com/login"),
    ("logo_uri", "logo.png"),
    ("cross_origin_loc", "not a url"),
    ("client_aliases", [""]),
    ("organization_usage", "sometimes"),
    ("organization_require_behavior", "prompt"),
    ("organization_discovery_methods", []),
    ("organization_discovery_methods", ["phone"]),
    ("par_request_expiry", 5),
    ("par_request_expiry", 601),
    ("compliance_level", "fapi9"),
    ("native_social_login", {}),
    ("native_social_login", {"apple": {}}),
    ("native_social_login", {"apple": None}),
    ("fedcm_login", {"google": {"enabled": True}}),
    ("token_exchange", {"allow_any_profile_of_type": ["impersonation"]}),
    ("token_quota", {"client_credentials": {}}),
    ("token_quota", {"client_credentials": {"enforce": False, "per_day": 0}}),
    ("mobile", {"android": {"sha256_cert_fingerprints": []}}),
    ("async_approval_notification_channels", []),
    ("async_approval_notification_channels", ["sms"]),
    ("express_configuration", {"enable_client": True}),
    ("my_organization_configuration", {"allowed_strategies": ["oidc"]}),
    ("third_party_security_mode", "lax"),
    ("identity_assertion_authorization_grant", {}),
    ("client_authentication_methods", {}),
    ("skip_non_verifiable_callback_uri_confirmation_prompt", None),
    ("resource_server_identifier", ""),
    ("sso", "yes"),
    ("encryption_key", {"pub": 5}),
]


@pytest.mark.parametrize(("prop", "value"), INVALID)
def test_create_refuses_values_outside_auth0s_schema(api: Api, prop: str, value: Any) -> None:
    before = count(api)
    body = {"name": f"invalid {uuid.uuid4().hex[:8]}", prop: value}
    found = error(api.post(CLIENTS, body), 400, "invalid_body")
    assert found["message"].startswith("Payload validation error: "), found
    assert count(api) == before


@pytest.mark.parametrize(
    ("prop", "value", "message"),
    [
        (
            "initiate_login_uri",
            "http://app.example.com/login",
            "'Object didn't pass validation for format absolute-https-uri-with-placeholders-or-"
            "empty: http://app.example.com/login' on property initiate_login_uri.",
        ),
        ("par_request_expiry", 5, "on property par_request_expiry."),
        (
            "native_social_login",
            {},
            "'Too few properties defined (0), minimum 1' on property native_social_login.",
        ),
        ("addons", {"slack": {}}, "'Missing required property: addons.slack.team'."),
        ("jwt_configuration", {"alg": "ES256"}, "'No enum match for: ES256'"),
    ],
)
def test_validation_messages_read_as_auth0s(api: Api, prop: str, value: Any, message: str) -> None:
    body = {"name": f"invalid {uuid.uuid4().hex[:8]}", prop: value}
    assert message in error(api.post(CLIENTS, body), 400, "invalid_body")["message"]


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("resource_server_identifier", "https://x.example.com/"),
        ("tenant", "mine"),
        ("signing_keys", []),
        ("global", False),
    ],
)
def test_patch_refuses_create_only_and_read_only_properties(
    api: Api, prop: str, value: Any
) -> None:
    client = create(api)
    found = error(api.patch(f"{CLIENTS}/{client['client_id']}", {prop: value}), 400)
    assert f"Additional properties not allowed: {prop}" in found["message"]


def test_patch_takes_null_where_auth0s_update_body_does(api: Api) -> None:
    client = create(api, **{k: STORED[k] for k in ("token_exchange", "express_configuration")})
    cleared = patch(
        api,
        client["client_id"],
        {
            "cross_origin_loc": None,
            "token_exchange": None,
            "express_configuration": None,
            "skip_non_verifiable_callback_uri_confirmation_prompt": None,
            "async_approval_notification_channels": None,
            "native_social_login": None,
            "fedcm_login": None,
            "encryption_key": None,
        },
    )
    for key in ("token_exchange", "express_configuration", "cross_origin_loc"):
        assert key not in cleared, key
    body = {"name": f"null {uuid.uuid4().hex[:8]}", "token_exchange": None}
    error(api.post(CLIENTS, body), 400, "invalid_body")


# --- signing_keys ------------------------------------------------------------------------------


def test_signing_keys_carry_the_certificate_of_the_key_that_signs_tokens(api: Api) -> None:
    one, two = create(api), create(api)
    keys = one["signing_keys"]
    assert keys == two["signing_keys"] == fetch(api, one["client_id"])["signing_keys"]
    assert len(keys) == 1
    assert keys[0]["cert"].startswith("-----BEGIN CERTIFICATE-----\r\n")
    assert keys[0]["pkcs7"].startswith("-----BEGIN PKCS7-----\r\n")
    host = httpx.URL(api.server.issuer).host
    assert keys[0]["subject"] == f"/CN={host}"
    certificate = x509.load_pem_x509_certificate(keys[0]["cert"].encode())
    public = certificate.public_key()
    assert isinstance(public, RSAPublicKey)
    jwks = http(api.server.base_url).get("/.well-known/jwks.json").json()["keys"]
    numbers = public.public_numbers()
    assert any(_int(k["n"]) == numbers.n and _int(k["e"]) == numbers.e for k in jwks)


def _int(b64: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4)), "big")


# --- deleting --------------------------------------------------------------------------------


def test_deleting_a_client_that_is_not_there_is_204(api: Api) -> None:
    response = api.delete(f"{CLIENTS}/{uuid.uuid4().hex}")
    assert (response.status_code, response.content) == (204, b"")
