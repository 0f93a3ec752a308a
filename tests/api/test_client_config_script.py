"""`GET /client/{client_id}.js`, the script Lock loads to learn an application's connections
(reference 8.3 and 8.4 e).

HTTP behaviour that does not depend on the database: this module runs on SQLite."""

from __future__ import annotations

import json
import re
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
SET_CLIENT = re.compile(r"\AAuth0\.setClient\((?P<json>\{.*\})\);\s*\Z", re.DOTALL)


def script(server: RunningServer, client_id: str, query: str = "") -> httpx.Response:
    return httpx.get(f"{server.base_url}/client/{client_id}.js{query}", timeout=10)


def set_client_argument(response: httpx.Response) -> dict[str, Any]:
    """The object the script hands to `Auth0.setClient(`: the script must be that one call."""
    assert response.status_code == 200, response.text
    match = SET_CLIENT.match(response.text)
    assert match is not None, response.text
    argument: dict[str, Any] = json.loads(match["json"])
    return argument


def connection(api: Api, client_id: str, strategy: str = "auth0", **fields: Any) -> dict[str, Any]:
    body = {
        "name": f"lock-{uuid.uuid4().hex[:12]}",
        "strategy": strategy,
        "enabled_clients": [client_id],
        **fields,
    }
    response = api.post(CONNECTIONS, body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.fixture(scope="module")
def lone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server that enables a new client on no connection, so each test chooses them all."""
    env = {"SELFAUTH_ENABLE_CLIENT_CONNECTIONS": "false"}
    with serving("sqlite", tmp_path_factory.mktemp("client-script"), env) as running:
        yield running


@pytest.fixture(scope="module")
def lone_api(lone: RunningServer) -> Api:
    return Api(lone, lone.admin_token())


def database_connections(settings: dict[str, Any]) -> list[dict[str, Any]]:
    [database] = [s for s in settings["strategies"] if s["name"] == "auth0"]
    found: list[dict[str, Any]] = database["connections"]
    return found


def test_the_script_calls_set_client_with_the_shape_lock_reads(
    lone: RunningServer, lone_api: Api
) -> None:
    client = new_client(
        lone_api,
        callbacks=["https://app.example.com/cb"],
        allowed_origins=["https://app.example.com"],
    )
    plain = connection(lone_api, client["client_id"])
    strict = connection(
        lone_api,
        client["client_id"],
        display_name="Staff",
        options={
            "requires_username": True,
            "disable_signup": True,
            "disable_self_service_change_password": True,
            "passwordPolicy": "excellent",
            "password_complexity_options": {"min_length": 12},
            "validation": {"username": {"min": 3, "max": 20}},
        },
    )
    settings = set_client_argument(script(lone, client["client_id"]))
    assert settings["id"] == client["client_id"]
    assert settings["tenant"] == "127"  # the first label of the issuer's host (an IP here)
    assert settings["subscription"] not in ("free", "dev")  # no "Protected by Auth0" badge
    assert settings["authorize"] == f"{lone.issuer}authorize"
    assert settings["callback"] == "https://app.example.com/cb"
    assert settings["hasAllowedOrigins"] is True
    assert [s["name"] for s in settings["strategies"]] == ["auth0"]
    by_name = {c["name"]: c for c in database_connections(settings)}
    assert set(by_name) == {plain["name"], strict["name"]}
    assert by_name[plain["name"]] == {
        "name": plain["name"],
        "requires_username": False,
        "showSignup": True,
        "showForgot": True,  # /dbconnections/change_password mails a reset link
        "passwordPolicy": "good",
        "password_complexity_options": {"min_length": 8},
        "validation": {"username": {"min": 1, "max": 15}},
    }
    assert by_name[strict["name"]] == {
        "name": strict["name"],
        "display_name": "Staff",
        "requires_username": True,
        "showSignup": False,
        "showForgot": True,
        "passwordPolicy": "excellent",
        "password_complexity_options": {"min_length": 12},
        "validation": {"username": {"min": 3, "max": 20}},
    }


def test_only_enabled_connections_selfauth_signs_in_with_are_listed(
    lone: RunningServer, lone_api: Api
) -> None:
    client = new_client(lone_api)
    enabled = connection(lone_api, client["client_id"])
    connection(lone_api, client["client_id"], strategy="github")  # stored, cannot sign in
    other = new_client(lone_api)
    connection(lone_api, other["client_id"])  # not enabled for `client`
    settings = set_client_argument(script(lone, client["client_id"]))
    assert settings["strategies"] == [
        {"name": "auth0", "connections": [database_connections(settings)[0]]}
    ]
    assert [c["name"] for c in database_connections(settings)] == [enabled["name"]]
    assert "callback" not in settings
    assert settings["hasAllowedOrigins"] is False


def test_a_client_on_no_connection_gets_no_strategies(lone: RunningServer, lone_api: Api) -> None:
    client = new_client(lone_api)
    assert set_client_argument(script(lone, client["client_id"]))["strategies"] == []


def test_locks_cache_buster_query_is_ignored(lone: RunningServer, lone_api: Api) -> None:
    client = new_client(lone_api)
    settings = set_client_argument(script(lone, client["client_id"], "?t1733480000000"))
    assert settings["id"] == client["client_id"]


def test_the_script_is_served_as_javascript_any_origin_may_embed(
    lone: RunningServer, lone_api: Api
) -> None:
    client = new_client(lone_api)
    response = script(lone, client["client_id"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/javascript; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert response.headers["cache-control"] == "public, max-age=60"


def test_names_cannot_break_out_of_the_script(lone: RunningServer, lone_api: Api) -> None:
    client = new_client(lone_api)
    hostile = "</script><script>alert(1)</script>&\u2028\u2029"
    connection(lone_api, client["client_id"], display_name=hostile)
    response = script(lone, client["client_id"])
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in response.text, raw
    [found] = database_connections(set_client_argument(response))
    assert found["display_name"] == hostile


def test_a_new_client_sees_the_default_directory_by_default(
    server: RunningServer, api: Api
) -> None:
    """On the usual server a new client is enabled on the connections that exist."""
    client = new_client(api)
    settings = set_client_argument(script(server, client["client_id"]))
    names = [c["name"] for c in database_connections(settings)]
    assert "Username-Password-Authentication" in names


@pytest.mark.parametrize("client_id", ["no-such-client", "x" * 65, "%3Cscript%3E"])
def test_an_unknown_client_gets_a_404_that_calls_nothing(
    server: RunningServer, client_id: str
) -> None:
    response = script(server, client_id)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/javascript; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert "setClient" not in response.text
    assert "<" not in response.text


def test_the_flexible_password_policy_is_told_as_its_minimum_length(
    lone: RunningServer, lone_api: Api
) -> None:
    client = new_client(lone_api)
    options = {"password_options": {"complexity": {"min_length": 20}}}
    connection(lone_api, client["client_id"], options=options)
    [found] = database_connections(set_client_argument(script(lone, client["client_id"])))
    # Lock knows only the named levels; the length is the one rule it can show.
    assert found["passwordPolicy"] == "none"
    assert found["password_complexity_options"] == {"min_length": 20}
