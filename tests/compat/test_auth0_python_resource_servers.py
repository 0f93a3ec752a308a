"""auth0-python 4.13's `ResourceServers`, unchanged, against selfauth over plain HTTP: every
property of Auth0's create and update bodies, the list with totals, deletes, and the tokens
an API configured this way gets (`GetToken`).

These check what a client library sees on the wire; the repository behaviour they rely on is
tested on every database in tests/storage/test_resource_servers.py: this module runs on SQLite.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from auth0.exceptions import Auth0Error
from auth0.management import ClientGrants, ResourceServers

from tests.support.sdk import get_token
from tests.support.server import RunningServer

pytestmark = pytest.mark.sqlite_only

NewApi = Callable[..., dict[str, Any]]
NewClient = Callable[..., dict[str, Any]]

PEM = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----"
SECRET = "a-signing-secret-of-32-characters"
FULL = {
    "scopes": [{"value": "create:resource", "description": "Create Resource"}],
    "signing_alg": "HS256",
    "signing_secret": SECRET,
    "allow_offline_access": True,
    "allow_online_access": False,
    "allow_online_access_with_ephemeral_sessions": False,
    "token_lifetime": 7200,
    "token_lifetime_for_web": 3600,
    "token_dialect": "rfc9068_profile",
    "skip_consent_for_verifiable_first_party_clients": True,
    "enforce_policies": False,
    "token_encryption": {
        "format": "compact-nested-jwe",
        "encryption_key": {"name": "jwe", "alg": "RSA-OAEP-256", "kid": "k1", "pem": PEM},
    },
    "consent_policy": "transactional-authorization-with-mfa",
    "authorization_details": [{"type": "payment"}],
    "proof_of_possession": {"mechanism": "dpop", "required": False},
    "subject_type_authorization": {
        "client": {"policy": "require_client_grant"},
        "user": {"policy": "allow_all"},
    },
    "authorization_policy": {"policy_id": "policy-1"},
}


@pytest.fixture
def resource_servers(server: RunningServer, domain: str) -> ResourceServers:
    return ResourceServers(domain, server.admin_token(), protocol="http")


@pytest.fixture
def new_api(resource_servers: ResourceServers) -> Iterator[NewApi]:
    """Creates APIs through the SDK; deletes them afterwards."""
    created: list[str] = []

    def create(**fields: Any) -> dict[str, Any]:
        body = {"identifier": f"https://{uuid.uuid4().hex[:12]}.example.com/", **fields}
        api: dict[str, Any] = resource_servers.create(body)
        created.append(api["id"])
        return api

    yield create
    for api_id in created:
        with contextlib.suppress(Auth0Error):
            resource_servers.delete(api_id)


def _answered(body: dict[str, Any]) -> dict[str, Any]:
    """What Auth0 answers of a body: all of it but the encryption key's PEM."""
    encryption = body["token_encryption"]
    key = {k: v for k, v in encryption["encryption_key"].items() if k != "pem"}
    return {**body, "token_encryption": {**encryption, "encryption_key": key}}


def test_create_and_get_carry_every_property(
    resource_servers: ResourceServers, new_api: NewApi
) -> None:
    created = new_api(name="full", **FULL)
    for key, value in _answered(FULL).items():
        assert created[key] == value, key
    assert "is_system" not in created
    assert resource_servers.get(created["id"]) == created


def test_update_carries_every_property(resource_servers: ResourceServers, new_api: NewApi) -> None:
    created = new_api()
    body = {**FULL, "name": "renamed", "token_dialect": "access_token_authz"}
    updated = resource_servers.update(created["id"], body)
    for key, value in _answered(body).items():
        assert updated[key] == value, key
    assert updated["identifier"] == created["identifier"]
    assert resource_servers.get(created["id"]) == updated


def test_get_all_with_totals(resource_servers: ResourceServers, new_api: NewApi) -> None:
    new_api()
    body = resource_servers.get_all(page=0, per_page=2, include_totals=True)
    assert set(body) == {"start", "limit", "total", "resource_servers"}
    assert (body["start"], body["limit"]) == (0, 2)
    assert len(body["resource_servers"]) == 2
    assert body["resource_servers"][0]["is_system"] is True
    assert isinstance(resource_servers.get_all(), list)


def test_delete_twice_and_read_after(resource_servers: ResourceServers, new_api: NewApi) -> None:
    created = new_api()
    resource_servers.delete(created["id"])
    resource_servers.delete(created["id"])  # already gone: 204, as on Auth0
    with pytest.raises(Auth0Error) as caught:
        resource_servers.get(created["id"])
    assert caught.value.status_code == 404
    assert caught.value.error_code == "inexistent_resource_server"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"token_dialect": "jwt"}, "token_dialect"),
        ({"signing_secret": "short"}, "signing_secret"),
        ({"proof_of_possession": {"mechanism": "dpop", "required": True, "x": 1}}, "x"),
        ({"bogus": 1}, "Additional properties not allowed: bogus"),
    ],
)
def test_invalid_bodies_raise_auth0_error(
    resource_servers: ResourceServers, body: dict[str, Any], words: str
) -> None:
    with pytest.raises(Auth0Error) as caught:
        resource_servers.create({"identifier": f"urn:{uuid.uuid4().hex}", **body})
    assert caught.value.status_code == 400
    assert caught.value.error_code == "invalid_body"
    assert words in caught.value.message


def test_the_token_follows_the_apis_algorithm_and_profile(
    server: RunningServer,
    client_grants: ClientGrants,
    new_api: NewApi,
    new_machine_client: NewClient,
) -> None:
    api = new_api(**FULL)
    client = new_machine_client()
    client_grants.create(
        {"client_id": client["client_id"], "audience": api["identifier"], "scope": []}
    )
    issued = get_token(server, client["client_id"], client["client_secret"]).client_credentials(
        api["identifier"]
    )
    token = issued["access_token"]
    assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience=api["identifier"])
    assert claims["client_id"] == client["client_id"]
    assert issued["expires_in"] == FULL["token_lifetime"]
