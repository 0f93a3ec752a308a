"""Helpers for tests that sign users in over HTTP: applications (a client on its own
database connection), the password-realm login, and the token endpoint's answers."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import jwt

from tests.support.api import DB, KEEP_ALIVE, PASSWORD, Api
from tests.support.server import RunningServer

PASSWORD_GRANT = "password"
REALM_GRANT = "http://auth0.com/oauth/grant-type/password-realm"
GRANTS = [PASSWORD_GRANT, REALM_GRANT, "refresh_token"]
WRONG_PASSWORD = "Wr0ng!Passw0rd"
WRONG = {"error": "invalid_grant", "error_description": "Wrong email or password."}
"""Auth0's answer to a wrong password and to an unknown user alike."""
BRUTE_FORCE_LIMIT = 10
"""Consecutive failed logins from one address before Auth0 blocks it."""


@functools.cache
def http(base_url: str) -> httpx.Client:
    """One client per server, for back-channel calls: building an httpx.Client costs ~0.2 s.
    The endpoints called through it set no cookies; browsers keep their own clients."""
    return httpx.Client(base_url=base_url, timeout=30, limits=KEEP_ALIVE)


@dataclass(frozen=True)
class App:
    """A client (`client_secret` is None for a public one) and the connection it signs in to."""

    client_id: str
    client_secret: str | None
    connection: str
    connection_id: str = ""


def new_client(api: Api, **fields: Any) -> dict[str, Any]:
    """A new regular web app (unless `fields` say otherwise: `app_type="non_interactive"` for a
    machine-to-machine one), as the Management API returns it, its secret included."""
    body = {"name": f"client {uuid.uuid4().hex[:8]}", "app_type": "regular_web", **fields}
    response = api.post("/api/v2/clients", body)
    assert response.status_code == 201, response.text
    client: dict[str, Any] = response.json()
    return client


def bare_app(api: Api, **fields: Any) -> App:
    """A new client (see `new_client`) as an App on no connection: for refresh, revocation and
    client authentication, which need no sign-in."""
    client = new_client(api, **fields)
    return App(client["client_id"], client.get("client_secret", ""), "")


def new_connection(api: Api, *client_ids: str, **options: Any) -> dict[str, Any]:
    """A new database connection enabled for `client_ids`, with brute-force protection unless
    `options` turn it off."""
    body = {
        "name": f"signin-{uuid.uuid4().hex[:12]}",
        "strategy": "auth0",
        "options": {"brute_force_protection": True, **options},
        "enabled_clients": list(client_ids),
    }
    response = api.post("/api/v2/connections", body)
    assert response.status_code == 201, response.text
    connection: dict[str, Any] = response.json()
    return connection


def connection_id_by_name(api: Api, name: str) -> str:
    """The id of the connection called `name`."""
    found = api.get("/api/v2/connections", name=name).json()
    found = found["connections"] if isinstance(found, dict) else found
    connection_id: str = found[0]["id"]
    return connection_id


def default_connection_id(api: Api) -> str:
    """The id of Username-Password-Authentication."""
    return connection_id_by_name(api, DB)


def enable(api: Api, connection_id: str, client_id: str) -> None:
    """Enables the connection for one more client."""
    current = api.get(f"/api/v2/connections/{connection_id}").json()["enabled_clients"]
    response = api.patch(
        f"/api/v2/connections/{connection_id}", {"enabled_clients": [*current, client_id]}
    )
    assert response.status_code == 200, response.text


def new_app(api: Api, *, on_default_connection: bool = False) -> App:
    """A regular web app with the password grants on a connection of its own (and, if asked,
    on the default connection too)."""
    client = new_client(api, grant_types=GRANTS)
    connection = new_connection(api, client["client_id"])
    if on_default_connection:
        enable(api, default_connection_id(api), client["client_id"])
    return App(client["client_id"], client["client_secret"], connection["name"], connection["id"])


def post_token(server: RunningServer, body: dict[str, Any], **kwargs: Any) -> httpx.Response:
    """`POST /oauth/token` with a JSON body; `kwargs` go to httpx."""
    return http(server.base_url).post("/oauth/token", json=body, **kwargs)


def login_body(app: App, username: str, password: str = PASSWORD, **fields: Any) -> dict[str, Any]:
    """A password-realm request on the app's connection; fields that are None are left out
    (so is the secret of a public client)."""
    body = {
        "grant_type": REALM_GRANT,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "username": username,
        "password": password,
        "realm": app.connection,
        **fields,
    }
    return {k: v for k, v in body.items() if v is not None}


def login(
    server: RunningServer,
    app: App,
    username: str,
    password: str = PASSWORD,
    *,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> httpx.Response:
    """The token endpoint's answer to a password-realm login (see `login_body`)."""
    return post_token(server, login_body(app, username, password, **fields), headers=headers)


def tokens(response: httpx.Response) -> dict[str, Any]:
    """The body of a successful token response."""
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    """An OAuth error response: `error` and a non-empty `error_description`."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body.get("error") == error, body
    assert isinstance(body.get("error_description"), str) and body["error_description"], body
    return body


def claims(token: str) -> dict[str, Any]:
    """A JWT's payload, read without checking the signature (see `verified` for that)."""
    decoded: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def verified(
    server: RunningServer,
    token: str,
    audience: str | None = None,
    *,
    algorithms: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The token's claims once its signature checks out against /.well-known/jwks.json: the
    audience is checked only when given, the algorithm is the header's unless pinned."""
    jwks = http(server.base_url).get("/.well-known/jwks.json").json()
    header = jwt.get_unverified_header(token)
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    claims: dict[str, Any] = jwt.decode(
        token,
        key=key.key,
        algorithms=list(algorithms) if algorithms is not None else [header["alg"]],
        issuer=server.issuer,
        audience=audience,
        options={
            "verify_aud": audience is not None,
            "require": ["iss", "sub", "aud", "iat", "exp"],
        },
    )
    return claims


# --- brute-force protection ---------------------------------------------------------------------


def assert_too_many(response: httpx.Response) -> None:
    """The token endpoint's answer to a blocked address."""
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["error"] == "too_many_attempts", body
    assert isinstance(body["error_description"], str) and body["error_description"]


def blocks_path(user_id: str) -> str:
    return f"/api/v2/user-blocks/{quote(user_id, safe='')}"


def blocked_for(api: Api, user_id: str) -> list[dict[str, Any]]:
    """The user's `blocked_for` entries at `/api/v2/user-blocks/{id}`."""
    response = api.get(blocks_path(user_id))
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["blocked_for"]
    return entries
