"""The defaults applications rely on: a new application is enabled on the tenant's connections
(Auth0's `enable_client_connections`), a public one gets no secret, and discovery advertises
only endpoints that exist.

HTTP behaviour that does not depend on the database: this module runs on SQLite."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.api import Api
from tests.support.server import RunningServer, serving
from tests.support.signin import new_client

pytestmark = pytest.mark.sqlite_only

CONNECTIONS = "/api/v2/connections"


def create_connection(api: Api, strategy: str = "auth0") -> dict[str, Any]:
    body = {"name": f"defaults-{uuid.uuid4().hex[:12]}", "strategy": strategy}
    response = api.post(CONNECTIONS, body)
    assert response.status_code == 201, response.text
    connection: dict[str, Any] = response.json()
    return connection


def enabled_clients(api: Api, connection_id: str) -> list[str]:
    response = api.get(f"{CONNECTIONS}/{connection_id}")
    assert response.status_code == 200, response.text
    found: list[str] = response.json()["enabled_clients"]
    return found


# --- enable_client_connections ---------------------------------------------------------------


@pytest.mark.both_databases  # one INSERT ... SELECT on each database
def test_a_new_client_is_enabled_on_every_existing_connection(api: Api) -> None:
    database = create_connection(api)
    # As on Auth0, connections selfauth cannot sign in with yet are enabled too.
    social = create_connection(api, "github")
    client = new_client(api)
    for connection in (database, social):
        assert client["client_id"] in enabled_clients(api, connection["id"])
    default = api.get(CONNECTIONS, name="Username-Password-Authentication").json()
    assert client["client_id"] in default[0]["enabled_clients"]


def test_a_connection_created_later_is_enabled_only_for_the_clients_it_names(api: Api) -> None:
    client = new_client(api)
    connection = create_connection(api)
    assert client["client_id"] not in connection["enabled_clients"]
    assert enabled_clients(api, connection["id"]) == []


@pytest.fixture(scope="module")
def not_enabling(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    env = {"SELFAUTH_ENABLE_CLIENT_CONNECTIONS": "false"}
    with serving("sqlite", tmp_path_factory.mktemp("no-client-connections"), env) as running:
        yield running


def test_the_setting_off_enables_a_new_client_on_no_connection(
    not_enabling: RunningServer,
) -> None:
    api = Api(not_enabling, not_enabling.admin_token())
    connection = create_connection(api)
    client = new_client(api)
    assert enabled_clients(api, connection["id"]) == []
    default = api.get(CONNECTIONS, name="Username-Password-Authentication").json()
    assert client["client_id"] not in default[0]["enabled_clients"]


# --- public clients have no secret --------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [{"app_type": "spa"}, {"app_type": "native"}, {"token_endpoint_auth_method": "none"}],
)
def test_a_public_client_is_created_without_a_secret(api: Api, fields: dict[str, Any]) -> None:
    client = new_client(api, **{"grant_types": ["authorization_code", "refresh_token"], **fields})
    assert client["token_endpoint_auth_method"] == "none"
    assert "client_secret" not in client


def test_a_confidential_client_is_still_created_with_its_secret(api: Api) -> None:
    client = new_client(api)
    assert client["token_endpoint_auth_method"] == "client_secret_post"
    assert isinstance(client["client_secret"], str) and len(client["client_secret"]) >= 32


def test_a_public_client_cannot_authenticate_with_a_secret(server: RunningServer, api: Api) -> None:
    client = new_client(api, app_type="spa")
    for secret in ("", "guess", client["client_id"], "0" * 64):
        body = {
            "grant_type": "refresh_token",
            "client_id": client["client_id"],
            "client_secret": secret,
            "refresh_token": "v1.none",
        }
        response = httpx.post(f"{server.base_url}/oauth/token", json=body, timeout=30)
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "invalid_client"
        basic = httpx.post(
            f"{server.base_url}/oauth/token",
            data={"grant_type": "refresh_token", "refresh_token": "v1.none"},
            auth=(client["client_id"], secret or "x"),
            timeout=30,
        )
        assert basic.status_code == 401, basic.text


def test_a_public_client_turned_confidential_gets_a_usable_secret_by_rotation(
    server: RunningServer, api: Api
) -> None:
    client = new_client(api, app_type="spa")
    client_id = client["client_id"]
    patched = api.patch(
        f"/api/v2/clients/{client_id}",
        {"token_endpoint_auth_method": "client_secret_post", "grant_types": ["client_credentials"]},
    )
    assert patched.status_code == 200, patched.text
    rotated = api.post(f"/api/v2/clients/{client_id}/rotate-secret")
    assert rotated.status_code == 200, rotated.text
    grant = api.post(
        "/api/v2/client-grants",
        {"client_id": client_id, "audience": server.audience, "scope": ["read:users"]},
    )
    assert grant.status_code == 201, grant.text
    body = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": rotated.json()["client_secret"],
        "audience": server.audience,
    }
    response = httpx.post(f"{server.base_url}/oauth/token", json=body, timeout=30)
    assert response.status_code == 200, response.text


# --- discovery ------------------------------------------------------------------------------


def test_every_url_discovery_lists_is_served(server: RunningServer) -> None:
    document = httpx.get(f"{server.base_url}/.well-known/openid-configuration", timeout=10).json()
    urls = {
        key: value
        for key, value in document.items()
        if key.endswith(("_endpoint", "_uri")) and isinstance(value, str)
    }
    assert "jwks_uri" in urls and "token_endpoint" in urls
    for key, url in urls.items():
        assert url.startswith(server.issuer), (key, url)
        # A GET may be refused (405 on POST-only endpoints, 400 without parameters): it exists.
        response = httpx.get(url, timeout=10)
        assert response.status_code != 404, (key, url, response.status_code)
