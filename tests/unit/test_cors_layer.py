"""The CORS layer on its own: a path added to the list with `credentials` (as
`/co/authenticate` will be) answers with `Access-Control-Allow-Credentials`, and the client a
body names decides the actual request."""

from __future__ import annotations

import asyncio
import types
from typing import Any

import orjson
import pytest
from starlette.types import Message, Receive, Scope, Send

from selfauth.web.cors import CorsLayer
from selfauth.web.cors_paths import PATHS, Policy

ORIGIN = "https://app.example.test"


class Registry:
    async def allows(self, origin: str, client_id: str | None = None) -> bool:
        return origin == ORIGIN and client_id in (None, "app")


async def handler(scope: Scope, receive: Receive, send: Send) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def call(method: str, headers: dict[str, str], body: Any = None) -> dict[str, str]:
    state = types.SimpleNamespace(origins=Registry(), route_table=[])
    scope: Scope = {
        "type": "http",
        "method": method,
        "path": "/co/authenticate",
        "app": types.SimpleNamespace(state=state),
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }
    raw = orjson.dumps(body) if body is not None else b""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(CorsLayer(handler)(scope, receive, send))
    return {k.decode(): v.decode() for k, v in sent[0]["headers"]}


@pytest.fixture(autouse=True)
def cross_origin_login(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = Policy(("POST",), names_client=True, credentials=True)
    monkeypatch.setitem(PATHS, "/co/authenticate", policy)


def test_preflight_of_a_credentialed_path_allows_credentials() -> None:
    headers = call("OPTIONS", {"origin": ORIGIN, "access-control-request-method": "POST"})
    assert headers["access-control-allow-origin"] == ORIGIN
    assert headers["access-control-allow-credentials"] == "true"


def test_actual_request_allows_credentials_for_the_named_clients_origin() -> None:
    json = {"content-type": "application/json", "origin": ORIGIN}
    headers = call("POST", json, {"client_id": "app"})
    assert headers["access-control-allow-origin"] == ORIGIN
    assert headers["access-control-allow-credentials"] == "true"
    refused = call("POST", json, {"client_id": "another"})
    assert "access-control-allow-origin" not in refused
    assert "access-control-allow-credentials" not in refused
