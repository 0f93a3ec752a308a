"""A small HTTP client for the Management API, as an application would use it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import quote

import httpx

from tests.support.server import RunningServer, client_token

DB = "Username-Password-Authentication"
PASSWORD = "Str0ng!Passw0rd"
# The server closes a connection idle for 5 s (uvicorn's default), and httpx keeps one for
# 5 s too: a request sent on it at that moment finds it closed ("Server disconnected without
# sending a response"), and a POST is not retried. The tests' clients forget idle connections
# well before the server does.
KEEP_ALIVE = httpx.Limits(keepalive_expiry=2.0)


def user_path(user_id: str) -> str:
    return f"/api/v2/users/{quote(user_id, safe='')}"


class Api:
    def __init__(self, server: RunningServer, token: str | None) -> None:
        self.server = server
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(
            base_url=server.base_url, headers=headers, timeout=30, limits=KEEP_ALIVE
        )

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.http.post(path, json=body, **kwargs)

    def patch(self, path: str, body: Any) -> httpx.Response:
        return self.http.patch(path, json=body)

    def delete(self, path: str) -> httpx.Response:
        return self.http.delete(path)

    def create_user(self, **fields: Any) -> dict[str, Any]:
        body = {"connection": DB, "email": unique_email(), "password": PASSWORD, **fields}
        response = self.post("/api/v2/users", body)
        assert response.status_code == 201, response.text
        user: dict[str, Any] = response.json()
        return user

    def user(self, user_id: str) -> dict[str, Any]:
        response = self.get(user_path(user_id))
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def with_scopes(self, *scopes: str) -> Api:
        """A new client granted exactly `scopes` on the Management API, and its token."""
        client = self.post(
            "/api/v2/clients",
            {"name": f"scoped {uuid.uuid4().hex[:8]}", "app_type": "non_interactive"},
        ).json()
        grant = self.post(
            "/api/v2/client-grants",
            {
                "client_id": client["client_id"],
                "audience": self.server.audience,
                "scope": list(scopes),
            },
        )
        assert grant.status_code == 201, grant.text
        token = client_token(self.server, client["client_id"], client["client_secret"])
        return Api(self.server, token)


def unique(prefix: str) -> str:
    """`prefix-` and 12 random hex digits: names that no other test (or run) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:12]}@example.com"


def assert_error(
    response: httpx.Response, status: int, error_code: str | None = None
) -> dict[str, Any]:
    """A Management API error in Auth0's shape."""
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["statusCode"] == status
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"]
    if error_code is not None:
        assert body.get("errorCode") == error_code, body
    return body


def assert_coded_error(
    response: httpx.Response, status: int, error_code: str | None = None
) -> dict[str, Any]:
    """As `assert_error`, and the body must carry an `errorCode`."""
    body = assert_error(response, status, error_code)
    assert isinstance(body.get("errorCode"), str), body
    assert body["errorCode"], body
    return body


def patch_keys_at_once(api: Api, user_id: str, count: int) -> list[httpx.Response]:
    """`count` PATCHes of the user's metadata sent at once, each setting its own key
    (`key{i}: i`): concurrent writers, whose answers come back in the order sent."""

    async def send_all() -> list[httpx.Response]:
        headers = dict(api.http.headers)
        async with httpx.AsyncClient(
            base_url=api.server.base_url, headers=headers, timeout=90
        ) as http:
            return await asyncio.gather(
                *(
                    http.patch(user_path(user_id), json={"user_metadata": {f"key{i}": i}})
                    for i in range(count)
                )
            )

    return asyncio.run(send_all())
