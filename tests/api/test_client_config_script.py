"""`GET /client/{client_id}.js`, the script Lock loads to learn an application's connections
(reference 8.3 and 8.4 e).

HTTP behaviour that does not depend on the database: this module runs on SQLite."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.api import Api
from tests.support.server import RunningServer, serving
from tests.support.signin import new_client

pytestmark = pytest.mark.sqlite_only

CONNECTIONS = "/api/v2/connections"
GITHUB = {
    "client_id": "gh-client",
    "client_secret": "gh-secret",
    "email": True,
    "scope": ["user:email"],
}
WINDOWSLIVE = {"client_id": "live-client", "client_secret": "live-secret"}
OAUTH2 = {
    "authorizationURL": "https://idp.example.com/authorize",
    "tokenURL": "https://idp.example.com/oauth/token",
    "client_id": "upstream-client",
    "client_secret": "upstream-secret",
    "scope": "openid profile",
    "scripts": {"fetchUserProfile": "function (token, ctx, cb) { cb(null, {user_id: 1}); }"},
}
OIDC = {
    "issuer": "https://idp.example.com",
    "client_id": "upstream-client",
    "client_secret": "upstream-secret",
    "type": "back_channel",
}
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
    connection(lone_api, client["client_id"], strategy="facebook")  # stored, cannot sign in
    connection(lone_api, client["client_id"], strategy="samlp")  # stored, cannot sign in
    other = new_client(lone_api)
    connection(lone_api, other["client_id"])  # not enabled for `client`
    connection(lone_api, other["client_id"], strategy="github", options=GITHUB)
    settings = set_client_argument(script(lone, client["client_id"]))
    assert settings["strategies"] == [
        {"name": "auth0", "connections": [database_connections(settings)[0]]}
    ]
    assert [c["name"] for c in database_connections(settings)] == [enabled["name"]]
    assert "callback" not in settings
    assert settings["hasAllowedOrigins"] is False


def strategy_connections(settings: dict[str, Any], strategy: str) -> list[dict[str, Any]]:
    [found] = [s for s in settings["strategies"] if s["name"] == strategy]
    listed: list[dict[str, Any]] = found["connections"]
    return listed


def test_social_connections_are_listed_under_their_strategy_as_auth0_does(
    lone: RunningServer, lone_api: Api
) -> None:
    """Lock shows a button for each: a preset with its own label ("Sign in with GitHub"), a
    custom `oauth2` connection with its `display_name` (else its name). Auth0 adds `scope`."""
    client = new_client(lone_api)
    client_id = client["client_id"]
    database = connection(lone_api, client_id)
    github = connection(lone_api, client_id, strategy="github", options=GITHUB)
    google = connection(
        lone_api,
        client_id,
        strategy="google-oauth2",
        options={"client_id": "g", "client_secret": "s", "scope": ["email", "profile"]},
    )
    live = connection(lone_api, client_id, strategy="windowslive", options=WINDOWSLIVE)
    apple = connection(lone_api, client_id, strategy="apple", options={"scope": "name email"})
    custom = connection(lone_api, client_id, strategy="oauth2", display_name="Acme", options=OAUTH2)
    unnamed = connection(lone_api, client_id, strategy="oauth2", options=OAUTH2)
    settings = set_client_argument(script(lone, client_id))
    assert {s["name"] for s in settings["strategies"]} == {
        "auth0",
        "github",
        "google-oauth2",
        "windowslive",
        "apple",
        "oauth2",
    }
    assert [c["name"] for c in database_connections(settings)] == [database["name"]]
    assert strategy_connections(settings, "github") == [
        {"name": github["name"], "scope": ["user:email"]}
    ]
    assert strategy_connections(settings, "google-oauth2") == [
        {"name": google["name"], "scope": ["email", "profile"]}
    ]
    [listed_live] = strategy_connections(settings, "windowslive")
    assert listed_live["name"] == live["name"]
    assert set(listed_live) <= {"name", "scope"}
    assert strategy_connections(settings, "apple") == [
        {"name": apple["name"], "scope": "name email"}
    ]
    assert sorted(strategy_connections(settings, "oauth2"), key=lambda c: c["name"]) == sorted(
        [
            {"name": custom["name"], "display_name": "Acme", "scope": "openid profile"},
            {"name": unnamed["name"], "scope": "openid profile"},
        ],
        key=lambda c: c["name"],
    )


def test_oidc_connections_are_enterprise_with_their_email_domains(
    lone: RunningServer, lone_api: Api
) -> None:
    """Lock matches a typed email's domain against `domain` and `domain_aliases` (home realm
    discovery); Auth0 leaves both out when the connection names none."""
    client = new_client(lone_api)
    client_id = client["client_id"]
    with_domains = connection(
        lone_api,
        client_id,
        strategy="oidc",
        display_name="Example Corp",
        options={
            **OIDC,
            "tenant_domain": "example.com",
            "domain_aliases": ["example.org", "corp.example.com"],
        },
    )
    aliases_only = connection(
        lone_api, client_id, strategy="oidc", options={**OIDC, "domain_aliases": ["acme.test"]}
    )
    bare = connection(lone_api, client_id, strategy="oidc", options=OIDC)
    listed = {
        c["name"]: c
        for c in strategy_connections(set_client_argument(script(lone, client_id)), "oidc")
    }
    assert listed == {
        with_domains["name"]: {
            "name": with_domains["name"],
            "display_name": "Example Corp",
            "domain": "example.com",
            "domain_aliases": ["example.org", "corp.example.com"],
        },
        # selfauth names an oidc connection after itself when no display_name is given.
        aliases_only["name"]: {
            "name": aliases_only["name"],
            "display_name": aliases_only["display_name"],
            "domain_aliases": ["acme.test"],
        },
        bare["name"]: {"name": bare["name"], "display_name": bare["display_name"]},
    }


def test_upstream_connections_that_cannot_sign_in_yet_are_listed_as_on_auth0(
    lone: RunningServer, lone_api: Api
) -> None:
    """Auth0 lists every enabled connection; a click on one that lacks its credentials reaches
    /authorize, whose error names what is missing."""
    client = new_client(lone_api, callbacks=["https://app.example.com/cb"])
    client_id = client["client_id"]
    github = connection(lone_api, client_id, strategy="github")  # no client_id or secret
    oidc = connection(lone_api, client_id, strategy="oidc")  # no issuer
    settings = set_client_argument(script(lone, client_id))
    assert [c["name"] for c in strategy_connections(settings, "github")] == [github["name"]]
    assert [c["name"] for c in strategy_connections(settings, "oidc")] == [oidc["name"]]
    refused = httpx.get(
        f"{lone.base_url}/authorize",
        params={
            "client_id": client_id,
            "redirect_uri": "https://app.example.com/cb",
            "response_type": "code",
            "state": "s",
            "connection": github["name"],
        },
        timeout=10,
    )
    assert refused.status_code in (302, 303), refused.text
    answer = parse_qs(urlsplit(refused.headers["location"]).query)
    assert answer["error"] == ["invalid_request"]
    assert github["name"] in answer["error_description"][0]


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
    options = {**OAUTH2, "scope": hostile}
    connection(
        lone_api, client["client_id"], strategy="oauth2", display_name=hostile, options=options
    )
    domains = {**OIDC, "tenant_domain": hostile, "domain_aliases": [hostile]}
    connection(
        lone_api, client["client_id"], strategy="oidc", display_name=hostile, options=domains
    )
    response = script(lone, client["client_id"])
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in response.text, raw
    settings = set_client_argument(response)
    [found] = database_connections(settings)
    assert found["display_name"] == hostile
    [custom] = strategy_connections(settings, "oauth2")
    assert custom["display_name"] == custom["scope"] == hostile
    [enterprise] = strategy_connections(settings, "oidc")
    assert enterprise["display_name"] == enterprise["domain"] == hostile
    assert enterprise["domain_aliases"] == [hostile]


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
