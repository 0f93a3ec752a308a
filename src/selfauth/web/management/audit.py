"""The Management API's writes, and the dashboard's, as tenant log events: `sapi` (answered
below 400) or `fapi`.

A pure ASGI layer, so GETs and the other APIs pass through at the cost of one comparison. For
a write it copies the request and response bodies as they stream past (up to `KEEP` bytes
each; nothing is read twice) and, when the request was authenticated (`require` noted the
caller), queues one event: `details.request` {method, path, query, body, ip, auth} and
`details.response` {statusCode, body}, as Auth0's, with every password, secret and token
replaced by "[hidden]" (domain/logs.py's `scrub`), and the Authorization header never kept.

A dashboard form's POST (`/admin/...`, by a signed-in administrator) is logged the same way, as
Auth0 logs its dashboard's changes: the administrator as `user_id`/`user_name`, the dashboard's
application as the client, the form's fields as the request's body (without its CSRF token, a
setting's value or a custom database's configuration; a file upload is not kept) and the
answer's status and redirect as the response (its HTML is not kept).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from selfauth.domain.users.model import User
from selfauth.flows.tenant_logs import about
from selfauth.web.admin.session import ADMIN_USER, CSRF_FIELD
from selfauth.web.context import Services
from selfauth.web.security import PRINCIPAL, Principal

KEEP = 64 * 1024  # a larger body is logged as absent: an import's upload is no log
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
_PREFIX = "/api/v2/"
_DASHBOARD = "/admin/"
_DASHBOARD_SESSION = ("/admin/login", "/admin/logout", "/admin/callback")  # no change made
# Dashboard fields holding a value the API never reads back: a rules config's value, a custom
# database's configuration (`config_value::KEY`, `config_new_value_N`).
_DASHBOARD_SECRET_PATHS = ("/admin/rules-configs",)
_DASHBOARD_SECRET_FIELDS = ("config_",)
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
            or not scope["path"].startswith((_PREFIX, _DASHBOARD))
            or scope["path"].startswith(_DASHBOARD_SESSION)
        ):
            await self.app(scope, receive, send)
            return
        sent = bytearray()
        answer = bytearray()
        status = 0
        location = b""
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
            nonlocal status, location
            if message["type"] == "http.response.start":
                status = int(message["status"])
                location = dict(message.get("headers") or []).get(b"location", b"")
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
            administrator = scope.get(ADMIN_USER)
            if isinstance(administrator, User) and status:
                body = _form(scope, sent, sizes[0] <= KEEP)
                _record_dashboard(scope, administrator, status, body, location)
            elif isinstance(principal, Principal) and status:
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


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key == name:
            return bytes(value).decode("latin-1")
    return ""


def _form(scope: Scope, raw: bytearray, complete: bool) -> Any:
    """A dashboard request's body: its form fields (a field holding JSON, such as options or
    metadata, read as JSON so its secrets are hidden too), or JSON."""
    kind = _header(scope, b"content-type").split(";")[0].strip().lower()
    if kind == "application/json":
        return _json(raw, complete)
    if kind != "application/x-www-form-urlencoded" or not complete:
        return None  # a file upload (an import) is not kept
    secret_path = scope["path"].startswith(_DASHBOARD_SECRET_PATHS)
    fields: dict[str, Any] = {}
    for key, value in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
        if key == CSRF_FIELD:
            continue
        if (secret_path and key == "value") or key.startswith(_DASHBOARD_SECRET_FIELDS):
            fields[key] = "[hidden]"
        elif value.lstrip().startswith(("{", "[")):
            fields[key] = _json(bytearray(value.encode()), True) or value
        else:
            fields[key] = value
    return fields


def _record_dashboard(
    scope: Scope, administrator: User, status: int, body: Any, location: bytes
) -> None:
    services: Services = scope["app"].state.services
    route = scope.get("route")
    endpoint = getattr(route, "endpoint", None)
    description = endpoint.__name__.replace("_", " ").capitalize() if endpoint is not None else None
    peer = scope.get("client")
    ip = peer[0] if peer else None
    response: dict[str, Any] = {"statusCode": status}
    if location:
        response["location"] = location.decode("latin-1")[:2000]
    details = {
        "request": {
            "method": scope["method"].lower(),
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "body": body,
            "ip": ip,
            "channel": "dashboard",
        },
        "response": response,
    }
    services.logs.record(
        "sapi" if status < 400 else "fapi",
        description=description,
        client_id=getattr(scope["app"].state, "dashboard_app_id", None),
        ip=ip,
        user_agent=_header(scope, b"user-agent")[:512] or None,
        details=details,
        **about(user=administrator),
    )
