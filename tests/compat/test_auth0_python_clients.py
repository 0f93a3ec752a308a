"""auth0-python 4.13's `Clients` and `ClientGrants`, unchanged, driving Auth0's whole client and
client-grant bodies against selfauth over plain HTTP, and its Authentication API classes reading
the tokens those settings shape.

The update body is what configuration tools (go-auth0, the Terraform provider) send: the client
as read back, client_secret included. These check what a client library sees on the wire; the
api tests cover each database: this module runs on SQLite.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from auth0.authentication.token_verifier import AsymmetricSignatureVerifier, TokenVerifier
from auth0.exceptions import Auth0Error
from auth0.management import ClientGrants, Clients

from tests.support.api import PASSWORD, Api
from tests.support.sdk import get_token
from tests.support.server import RunningServer
from tests.support.signin import GRANTS, claims, new_connection

pytestmark = pytest.mark.sqlite_only

NewClient = Callable[..., dict[str, Any]]

BODY: dict[str, Any] = {
    "description": "Everything Auth0's create body takes",
    "app_type": "regular_web",
    "logo_uri": "https://app.example.com/logo.png",
    "callbacks": ["https://app.example.com/callback"],
    "allowed_origins": ["https://app.example.com"],
    "web_origins": ["https://app.example.com"],
    "allowed_logout_urls": ["https://app.example.com/bye"],
    "client_aliases": ["urn:example"],
    "allowed_clients": [],
    "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
    "token_endpoint_auth_method": "client_secret_basic",
    "is_token_endpoint_ip_header_trusted": True,
    "is_first_party": True,
    "oidc_conformant": True,
    "jwt_configuration": {"lifetime_in_seconds": 3600, "alg": "RS256"},
    "sso": False,
    "cross_origin_authentication": False,
    "sso_disabled": False,
    "custom_login_page_on": True,
    "addons": {"samlp": {"audience": "urn:sp", "mappings": {"email": "User.Email"}}},
    "client_metadata": {"tier": "gold"},
    "mobile": {"ios": {"team_id": "TEAM", "app_bundle_identifier": "com.example"}},
    "initiate_login_uri": "https://app.example.com/login",
    "native_social_login": {"apple": {"enabled": False}},
    "refresh_token": {
        "rotation_type": "rotating",
        "expiration_type": "expiring",
        "leeway": 0,
        "token_lifetime": 2_592_000,
        "infinite_token_lifetime": False,
        "idle_token_lifetime": 1_296_000,
        "infinite_idle_token_lifetime": True,
    },
    "organization_usage": "deny",
    "organization_require_behavior": "no_prompt",
    "oidc_logout": {"backchannel_logout_urls": ["https://app.example.com/bc"]},
    "session_transfer": {"can_create_session_transfer_token": False},
    "token_exchange": {"allow_any_profile_of_type": []},
    "skip_non_verifiable_callback_uri_confirmation_prompt": False,
    "par_request_expiry": 30,
}
READ_ONLY = ("client_id", "tenant", "global", "signing_keys", "oidc_backchannel_logout")


@pytest.fixture
def new_client(clients: Clients) -> Iterator[NewClient]:
    """Creates applications through the SDK; deletes them afterwards."""
    created: list[str] = []

    def create(**fields: Any) -> dict[str, Any]:
        client: dict[str, Any] = clients.create({"name": f"sdk {uuid.uuid4().hex[:8]}", **fields})
        created.append(client["client_id"])
        return client

    yield create
    for client_id in created:
        clients.delete(client_id)  # answers 204 even when the test deleted it already


def test_create_takes_auth0s_whole_body_and_get_answers_it(
    clients: Clients, new_client: NewClient
) -> None:
    created = new_client(**BODY)
    for key, value in BODY.items():
        expected = {**value, "secret_encoded": False} if key == "jwt_configuration" else value
        assert created[key] == expected, key
    assert created["client_secret"]
    fetched = clients.get(created["client_id"])
    assert fetched == {k: v for k, v in created.items() if k != "client_secret"}


def test_the_totals_list_has_auth0s_keys_and_the_tenant_in_every_item(
    clients: Clients, new_client: NewClient
) -> None:
    new_client()
    listed: Any = clients.all(fields=["client_id"], extra_params={"include_totals": "true"})
    assert set(listed) == {"start", "limit", "total", "clients"}
    assert all(set(c) == {"client_id", "tenant"} for c in listed["clients"])


def test_update_takes_the_client_as_read_back_with_a_secret(
    server: RunningServer, clients: Clients, client_grants: ClientGrants, new_client: NewClient
) -> None:
    created = new_client(**BODY)
    client_grants.create(
        {"client_id": created["client_id"], "audience": server.audience, "scope": []}
    )
    secret = f"sdk-chosen-{uuid.uuid4().hex}"
    read_back = {k: v for k, v in clients.get(created["client_id"]).items() if k not in READ_ONLY}
    updated = clients.update(
        created["client_id"], {**read_back, "client_secret": secret, "description": "again"}
    )
    assert updated["client_secret"] == secret
    assert updated["description"] == "again"
    assert {k: v for k, v in updated.items() if k not in ("client_secret", "description")} == {
        k: v for k, v in created.items() if k not in ("client_secret", "description")
    }
    token = get_token(server, created["client_id"], secret).client_credentials(server.audience)
    assert claims(token["access_token"])["azp"] == created["client_id"]


def test_settings_selfauth_cannot_honour_raise_operation_not_supported(clients: Clients) -> None:
    with pytest.raises(Auth0Error) as caught:
        clients.create({"name": "hs256", "jwt_configuration": {"alg": "HS256"}})
    assert caught.value.status_code == 400
    assert caught.value.error_code == "operation_not_supported"
    assert "jwt_configuration.alg" in caught.value.message
    with pytest.raises(Auth0Error) as unknown:
        clients.create({"name": "unknown", "callback_url_template": True})
    assert unknown.value.error_code == "invalid_body"


def test_deleting_twice_answers_empty_both_times(clients: Clients) -> None:
    client_id = clients.create({"name": f"twice {uuid.uuid4().hex[:8]}"})["client_id"]
    assert clients.delete(client_id) == ""
    assert clients.delete(client_id) == ""
    with pytest.raises(Auth0Error) as caught:
        clients.get(client_id)
    assert caught.value.error_code == "inexistent_client"


def test_client_grants_take_auth0s_whole_bodies(
    api: Api, client_grants: ClientGrants, new_client: NewClient
) -> None:
    client = new_client(app_type="non_interactive")
    audience = f"https://sdk-{uuid.uuid4().hex[:10]}.example.com/"
    server = api.post(
        "/api/v2/resource-servers",
        {
            "identifier": audience,
            "scopes": [{"value": s, "description": s} for s in ("read:x", "write:x")],
        },
    )
    assert server.status_code == 201, server.text
    grant = client_grants.create(
        {
            "client_id": client["client_id"],
            "audience": audience,
            "scope": ["read:x"],
            "subject_type": "user",
            "authorization_details_types": ["payment"],
            "organization_usage": "allow",
            "allow_any_organization": False,
            "allow_all_scopes": False,
        }
    )
    assert grant["subject_type"] == "user"
    assert grant["authorization_details_types"] == ["payment"]
    listed: Any = client_grants.all(client_id=client["client_id"], include_totals=True)
    assert set(listed) == {"start", "limit", "total", "client_grants"}
    assert listed["client_grants"] == [grant]
    updated = client_grants.update(
        grant["id"], {"scope": ["read:x", "write:x"], "authorization_details_types": []}
    )
    assert updated == {**grant, "scope": ["read:x", "write:x"], "authorization_details_types": []}
    assert client_grants.delete(grant["id"]) == ""
    assert client_grants.delete(grant["id"]) == ""


# --- the tokens the settings shape, read by auth0-python's Authentication API ---------------


def signed_in(server: RunningServer, api: Api, new_client: NewClient, **fields: Any) -> Any:
    """A new client with `fields` and the password grants, its GetToken, and a user's tokens."""
    client = new_client(grant_types=GRANTS, **fields)
    connection = new_connection(api, client["client_id"])
    user = api.create_user(connection=connection["name"])
    sdk = get_token(server, client["client_id"], client["client_secret"])
    issued = sdk.login(
        user["email"], PASSWORD, realm=connection["name"], scope="openid offline_access"
    )
    return client, sdk, issued


def test_the_sdks_verifier_accepts_a_ps256_id_token_of_the_configured_lifetime(
    server: RunningServer, api: Api, new_client: NewClient
) -> None:
    configuration = {"alg": "PS256", "lifetime_in_seconds": 900}
    client, _sdk, issued = signed_in(server, api, new_client, jwt_configuration=configuration)
    verifier = TokenVerifier(
        signature_verifier=AsymmetricSignatureVerifier(
            f"{server.base_url}/.well-known/jwks.json", algorithm="PS256"
        ),
        issuer=server.issuer,
        audience=client["client_id"],
    )
    payload = verifier.verify(issued["id_token"])
    assert payload["exp"] - payload["iat"] == 900


def test_non_rotating_refresh_tokens_through_the_sdk(
    server: RunningServer, api: Api, new_client: NewClient
) -> None:
    settings = {"rotation_type": "non-rotating", "expiration_type": "non-expiring"}
    _client, sdk, issued = signed_in(server, api, new_client, refresh_token=settings)
    for _ in range(2):
        refreshed = sdk.refresh_token(issued["refresh_token"])
        assert "refresh_token" not in refreshed
        assert refreshed["access_token"]
