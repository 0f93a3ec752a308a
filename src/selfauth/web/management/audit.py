"""The Management API's writes as tenant log events: `sapi` (answered below 400) or `fapi`.

A pure ASGI layer, so GETs and the other APIs pass through at the cost of one comparison. For
a write it copies the request and response bodies as they stream past (up to `KEEP` bytes
each; nothing is read twice) and, when the request was authenticated (`require` noted the
caller), queues one event: `details.request` {method, path, query, body, ip, auth} and
`details.response` {statusCode, body}, as Auth0's, with every password, secret and token
replaced by "[hidden]" (domain/logs.py's `scrub`), and the Authorization header never kept.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from selfauth.web.context import Services
from selfauth.web.security import PRINCIPAL, Principal

KEEP = 64 * 1024  # a larger body is logged as absent: an import's upload is no log
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_PREFIX = "/api/v2/"
# Writes whose request and response bodies are secrets whatever their keys: a rules config's
# value (its answer echoes it).
_SECRET_BODIES = ("/api/v2/rules-configs/",)


def _json(raw: bytearray, complete: bool) -> Any:
    if not raw or not complete:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


class ApiAudit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in _READS
            or not scope["path"].startswith(_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        sent = bytearray()
        answer = bytearray()
        status = 0
        sizes = [0, 0]  # bytes seen of the request and of the response

        async def reading() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                sizes[0] += len(chunk)
                if sizes[0] <= KEEP:
                    sent.extend(chunk)
            return message

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                sizes[1] += len(chunk)
                if sizes[1] <= KEEP:
                    answer.extend(chunk)
            await send(message)

        try:
            await self.app(scope, reading, sending)
        finally:
            principal = scope.get(PRINCIPAL)
            if isinstance(principal, Principal) and status:
                secret = scope["path"].startswith(_SECRET_BODIES)  # both ways: the value echoes
                details = {
                    "request": {
                        "method": scope["method"].lower(),
                        "path": scope["path"],
                        "query": scope.get("query_string", b"").decode("latin-1"),
                        "body": None if secret else _json(sent, sizes[0] <= KEEP),
                        "auth": {
                            "strategy": "jwt",
                            "credentials": {
                                "jti": principal.claims.get("jti"),
                                "scopes": sorted(principal.scopes),
                            },
                        },
                    },
                    "response": {
                        "statusCode": status,
                        "body": None if secret else _json(answer, sizes[1] <= KEEP),
                    },
                }
                _record(scope, principal, status, details)


def _record(scope: Scope, principal: Principal, status: int, details: dict[str, Any]) -> None:
    services: Services = scope["app"].state.services
    route = scope.get("route")
    endpoint = getattr(route, "endpoint", None)
    description = endpoint.__name__.replace("_", " ").capitalize() if endpoint is not None else None
    client = principal.claims.get("azp") or principal.subject.removesuffix("@clients")
    peer = scope.get("client")
    ip = peer[0] if peer else None
    details["request"]["ip"] = ip
    headers = dict(scope.get("headers") or [])
    agent = headers.get(b"user-agent", b"").decode("latin-1")[:512] or None
    services.logs.record(
        "sapi" if status < 400 else "fapi",
        description=description,
        client_id=str(client),
        ip=ip,
        user_agent=agent,
        details=details,
    )
