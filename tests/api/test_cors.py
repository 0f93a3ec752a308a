"""CORS for Auth0's browser SDKs calling from an application's origin: preflights and actual
requests to the Authentication API, the discovery documents open to every origin, and a user's
own token on the Management API's user endpoint.

Origins come from the clients (`allowed_origins`, the callbacks' origins when that is empty,
`web_origins`); reading clients is tested on every database in tests/storage/test_clients.py:
this module runs on SQLite."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.api import PASSWORD, Api, unique_email, user_path
from tests.support.server import RunningServer
from tests.support.signin import GRANTS, App, http, login, new_client, new_connection, tokens

pytestmark = pytest.mark.sqlite_only

SDK_HEADERS = {"content-type", "auth0-client", "authorization"}


def new_origin(prefix: str = "app") -> str:
    """An origin no other test registers."""
    return f"https://{prefix}-{uuid.uuid4().hex[:10]}.example.test"


@dataclass(frozen=True)
class Spa:
    app: App
    origin: str  # in its allowed_origins


def spa_with(api: Api, **fields: Any) -> App:
    """A client with the password grants on a connection of its own, and `fields`."""
    client = new_client(api, grant_types=GRANTS, **fields)
    connection = new_connection(api, client["client_id"])
    return App(client["client_id"], client["client_secret"], connection["name"], connection["id"])


@pytest.fixture(scope="module")
def spa(api: Api) -> Spa:
    origin = new_origin()
    return Spa(spa_with(api, allowed_origins=[origin]), origin)


@pytest.fixture(scope="module")
def app(spa: Spa) -> App:
    """The connection the `user` fixture signs up on."""
    return spa.app


def preflight(
    server: RunningServer, path: str, origin: str | None, method: str = "POST"
) -> httpx.Response:
    headers = {"access-control-request-method": method}
    headers["access-control-request-headers"] = "content-type,auth0-client"
    if origin is not None:
        headers["origin"] = origin
    return http(server.base_url).options(path, headers=headers)


def listed(response: httpx.Response, name: str) -> set[str]:
    return {v.strip().lower() for v in response.headers.get(name, "").split(",") if v.strip()}


def assert_allowed_preflight(response: httpx.Response, origin: str, method: str) -> None:
    assert response.status_code == 204, response.text
    assert response.headers["access-control-allow-origin"] == origin
    assert "origin" in listed(response, "vary")
    assert method.lower() in listed(response, "access-control-allow-methods")
    assert int(response.headers["access-control-max-age"]) > 0
    assert "access-control-allow-credentials" not in response.headers


def assert_no_cors(response: httpx.Response) -> None:
    assert not [h for h in response.headers if h.lower().startswith("access-control-")], dict(
        response.headers
    )


BROWSER_CALLS = [
    ("/oauth/token", "POST"),
    ("/oauth/revoke", "POST"),
    ("/dbconnections/signup", "POST"),
    ("/userinfo", "GET"),
    ("/api/v2/users/auth0%7Csomeone", "GET"),
    ("/api/v2/users/auth0%7Csomeone", "PATCH"),
]


# --- preflights ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "method"), BROWSER_CALLS)
def test_preflight_from_a_registered_origin_is_allowed(
    server: RunningServer, spa: Spa, path: str, method: str
) -> None:
    response = preflight(server, path, spa.origin, method)
    assert_allowed_preflight(response, spa.origin, method)
    assert {"content-type", "authorization"} <= listed(response, "access-control-allow-headers")


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke", "/userinfo"])
def test_authentication_api_preflight_allows_the_sdk_headers(
    server: RunningServer, spa: Spa, path: str
) -> None:
    method = "GET" if path == "/userinfo" else "POST"
    allowed = listed(preflight(server, path, spa.origin, method), "access-control-allow-headers")
    assert SDK_HEADERS | {"dpop"} <= allowed


@pytest.mark.parametrize(("path", "method"), BROWSER_CALLS)
def test_preflight_from_an_unregistered_origin_has_no_allow_headers(
    server: RunningServer, spa: Spa, path: str, method: str
) -> None:
    response = preflight(server, path, new_origin("stranger"), method)
    assert response.status_code == 204, response.text
    assert_no_cors(response)


def test_preflight_for_a_method_the_path_does_not_serve_is_not_allowed(
    server: RunningServer, spa: Spa
) -> None:
    assert_no_cors(preflight(server, "/oauth/token", spa.origin, "DELETE"))


@pytest.mark.parametrize("path", ["/oauth/token", "/userinfo", "/dbconnections/signup"])
def test_options_is_served_not_405(server: RunningServer, path: str) -> None:
    response = http(server.base_url).options(path)
    assert response.status_code == 204, response.text
    assert "options" in listed(response, "allow")
    assert_no_cors(response)


def test_preflight_of_a_management_path_outside_the_user_endpoint_is_not_cors(
    server: RunningServer, spa: Spa
) -> None:
    response = preflight(server, "/api/v2/clients", spa.origin, "GET")
    assert "access-control-allow-origin" not in response.headers


# --- actual requests ------------------------------------------------------------------------------


def test_token_answer_to_a_registered_origin_carries_allow_origin(
    server: RunningServer, spa: Spa, user: dict[str, Any]
) -> None:
    response = login(server, spa.app, user["email"], headers={"origin": spa.origin})
    tokens(response)
    assert response.headers["access-control-allow-origin"] == spa.origin
    assert "origin" in listed(response, "vary")
    assert "dpop-nonce" in listed(response, "access-control-expose-headers")
    assert "access-control-allow-credentials" not in response.headers


def test_token_error_to_a_registered_origin_is_readable(
    server: RunningServer, spa: Spa, user: dict[str, Any]
) -> None:
    """auth0-spa-js reads `error` (e.g. `invalid_grant`) from a failed exchange."""
    response = login(
        server, spa.app, user["email"], "Wr0ng!Passw0rd", headers={"origin": spa.origin}
    )
    assert response.status_code == 403, response.text
    assert response.headers["access-control-allow-origin"] == spa.origin


def test_form_encoded_token_request_names_its_client_too(
    server: RunningServer, spa: Spa, user: dict[str, Any]
) -> None:
    body = {
        "grant_type": "http://auth0.com/oauth/grant-type/password-realm",
        "client_id": spa.app.client_id,
        "client_secret": spa.app.client_secret,
        "username": user["email"],
        "password": PASSWORD,
        "realm": spa.app.connection,
    }
    response = http(server.base_url).post("/oauth/token", data=body, headers={"origin": spa.origin})
    tokens(response)
    assert response.headers["access-control-allow-origin"] == spa.origin


def test_token_answer_to_an_unregistered_origin_has_no_cors_headers(
    server: RunningServer, spa: Spa, user: dict[str, Any]
) -> None:
    response = login(server, spa.app, user["email"], headers={"origin": new_origin("stranger")})
    tokens(response)  # the request is served; the browser withholds the answer
    assert_no_cors(response)


def test_origin_of_another_client_is_not_reflected_for_the_named_client(
    server: RunningServer, api: Api, spa: Spa, user: dict[str, Any]
) -> None:
    """A preflight names no client, so any client's origin passes it; the actual request
    names one, and only that client's origins read the answer."""
    other = new_origin("other")
    spa_with(api, allowed_origins=[other])
    assert_allowed_preflight(preflight(server, "/oauth/token", other), other, "POST")
    response = login(server, spa.app, user["email"], headers={"origin": other})
    assert "access-control-allow-origin" not in response.headers


def test_revoke_and_userinfo_answer_a_registered_origin(
    server: RunningServer, spa: Spa, user: dict[str, Any]
) -> None:
    issued = tokens(login(server, spa.app, user["email"], scope="openid offline_access"))
    headers = {"origin": spa.origin}
    info = http(server.base_url).get(
        "/userinfo", headers={**headers, "authorization": f"Bearer {issued['access_token']}"}
    )
    assert info.status_code == 200, info.text
    assert info.headers["access-control-allow-origin"] == spa.origin
    revoked = http(server.base_url).post(
        "/oauth/revoke",
        json={
            "client_id": spa.app.client_id,
            "client_secret": spa.app.client_secret,
            "token": issued["refresh_token"],
        },
        headers=headers,
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.headers["access-control-allow-origin"] == spa.origin


def test_a_users_token_is_readable_only_from_its_own_clients_origins(
    server: RunningServer, api: Api, spa: Spa, user: dict[str, Any]
) -> None:
    """`/userinfo` names no client in its request: the token's `azp` does. Another
    application's origin, though registered, cannot read the answer (nor can a forged token,
    which the handler refuses)."""
    other = new_origin("other-reader")
    spa_with(api, allowed_origins=[other])
    token = tokens(login(server, spa.app, user["email"], scope="openid"))["access_token"]
    bearer = {"authorization": f"Bearer {token}"}
    own = http(server.base_url).get("/userinfo", headers={**bearer, "origin": spa.origin})
    assert own.headers["access-control-allow-origin"] == spa.origin
    assert "origin" in listed(own, "vary")
    foreign = http(server.base_url).get("/userinfo", headers={**bearer, "origin": other})
    assert foreign.status_code == 200  # the answer is made; the browser withholds it
    assert_no_cors(foreign)
    assert "origin" in listed(foreign, "vary")
    untokened = http(server.base_url).get("/userinfo", headers={"origin": spa.origin})
    assert_no_cors(untokened)


def test_signup_answers_a_registered_origin(server: RunningServer, spa: Spa) -> None:
    body = {
        "client_id": spa.app.client_id,
        "connection": spa.app.connection,
        "email": unique_email("cors"),
        "password": PASSWORD,
    }
    response = http(server.base_url).post(
        "/dbconnections/signup", json=body, headers={"origin": spa.origin}
    )
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == spa.origin


def test_no_origin_header_no_cors_headers(
    server: RunningServer, spa: Spa, user: dict[str, Any]
) -> None:
    response = login(server, spa.app, user["email"])
    tokens(response)
    assert_no_cors(response)
    assert "origin" not in listed(response, "vary")


# --- which origins a client registered -----------------------------------------------------------


def test_wildcard_subdomain_origin_allows_one_label(server: RunningServer, api: Api) -> None:
    host = f"wild-{uuid.uuid4().hex[:10]}.example.test"
    spa_with(api, allowed_origins=[f"https://*.{host}"])
    for allowed in (f"https://a.{host}", f"https://login-1.{host}"):
        assert_allowed_preflight(preflight(server, "/oauth/token", allowed), allowed, "POST")
    for refused in (f"https://{host}", f"https://a.b.{host}", f"http://a.{host}"):
        assert_no_cors(preflight(server, "/oauth/token", refused))


def test_callbacks_origins_are_used_when_allowed_origins_is_empty(
    server: RunningServer, api: Api
) -> None:
    origin = new_origin("cb")
    spa_with(api, callbacks=[f"{origin}/callback?x=1"])
    assert_allowed_preflight(preflight(server, "/oauth/token", origin), origin, "POST")


def test_callbacks_are_not_used_when_allowed_origins_is_set(
    server: RunningServer, api: Api
) -> None:
    origin = new_origin("cb")
    spa_with(api, callbacks=[f"{origin}/callback"], allowed_origins=[new_origin()])
    assert_no_cors(preflight(server, "/oauth/token", origin))


def test_web_origins_and_paths_in_registered_urls(server: RunningServer, api: Api) -> None:
    web, with_path = new_origin("web"), new_origin("path")
    spa_with(api, web_origins=[web], allowed_origins=[f"{with_path}:443/some/path?q=1"])
    for origin in (web, with_path):
        assert_allowed_preflight(preflight(server, "/oauth/token", origin), origin, "POST")


def test_a_changed_client_changes_its_origins_at_once(server: RunningServer, api: Api) -> None:
    first, second = new_origin("first"), new_origin("second")
    client = new_client(api, allowed_origins=[first])
    assert_allowed_preflight(preflight(server, "/oauth/token", first), first, "POST")
    path = f"/api/v2/clients/{client['client_id']}"
    assert api.patch(path, {"allowed_origins": [second]}).status_code == 200
    assert_no_cors(preflight(server, "/oauth/token", first))
    assert_allowed_preflight(preflight(server, "/oauth/token", second), second, "POST")
    assert api.delete(path).status_code == 204
    assert_no_cors(preflight(server, "/oauth/token", second))


# --- discovery: any origin ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/.well-known/jwks.json", "/.well-known/openid-configuration"])
def test_discovery_documents_are_open_to_any_origin(server: RunningServer, path: str) -> None:
    origin = new_origin("anyone")
    response = preflight(server, path, origin, "GET")
    assert response.status_code == 204, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    assert "get" in listed(response, "access-control-allow-methods")
    fetched = http(server.base_url).get(path, headers={"origin": origin})
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers.get_list("access-control-allow-origin") == ["*"]


# --- the Management API: a user's own token -------------------------------------------------------


def test_user_reads_and_updates_own_profile_from_a_registered_origin(
    server: RunningServer, spa: Spa, user: dict[str, Any]
) -> None:
    scope = "read:current_user update:current_user_metadata"
    token = tokens(login(server, spa.app, user["email"], audience=server.audience, scope=scope))[
        "access_token"
    ]
    headers = {"origin": spa.origin, "authorization": f"Bearer {token}"}
    path = user_path(user["user_id"])
    read = http(server.base_url).get(path, headers=headers)
    assert read.status_code == 200, read.text
    assert read.headers["access-control-allow-origin"] == spa.origin
    changed = http(server.base_url).patch(
        path, json={"user_metadata": {"theme": "dark"}}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["access-control-allow-origin"] == spa.origin
    stranger = http(server.base_url).get(
        path, headers={**headers, "origin": new_origin("stranger")}
    )
    assert_no_cors(stranger)
