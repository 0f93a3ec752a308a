"""CORS for the endpoints a browser application calls from its own origin (Auth0's SDKs:
auth0.js, auth0-spa-js, Lock).

Which origins: one a client registered (`allowed_origins`, or its callbacks' origins when that
list is empty, and `web_origins`); the discovery documents are readable from any origin. A
preflight carries no body, so it is allowed when any client registered the origin; the actual
request is then checked against the client it names (`client_id` in the body, or HTTP Basic;
for `/userinfo` and a user's own profile, the bearer token's `azp`), and its answer carries
`Access-Control-Allow-Origin` only if that client registered the origin. The token is read
here without checking its signature: that only picks whose origins apply, and the handler
refuses a token that is not genuine (then no page can read any data anyway).
An origin nobody registered gets no CORS headers at all, so the browser withholds the answer.

Requests without `Origin` pass through untouched: no lookup, no header.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any, Protocol
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from selfauth.errors import SelfauthError
from selfauth.oauth.credentials import read_credentials
from selfauth.web.cors_paths import Policy, policy_for
from selfauth.web.errors import allowed_methods

log = logging.getLogger("selfauth.web")

_MAX_AGE = "7200"  # Chromium's ceiling; a removed origin's preflights lapse within two hours
# auth0-spa-js reads dpop-nonce when a DPoP nonce is required; a browser app that edits
# with If-Match reads the ETag a Management API GET sends.
_EXPOSED = "dpop-nonce, etag"
_CLIENT_BODY_LIMIT = 64 * 1024  # enough for any token or signup body that names a client
_ANYONE = {"access-control-allow-origin": "*"}


class OriginCheck(Protocol):
    async def allows(self, origin: str, client_id: str | None = None) -> bool: ...


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _origins(scope: Scope) -> OriginCheck:
    registry: OriginCheck = scope["app"].state.origins
    return registry


async def _allowed(scope: Scope, origin: str, client_id: str | None) -> bool:
    try:
        return await _origins(scope).allows(origin, client_id)
    except Exception:  # the database is down: refuse the origin, let the request answer
        log.exception("could not read the registered origins")
        return False


class CorsLayer:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = policy_for(scope["path"])
        if policy is None:
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        if scope["method"] == "OPTIONS":
            response = await _preflight(scope, policy, origin)
            await response(scope, receive, send)
            return
        if origin is None:
            await self.app(scope, receive, send)
            return
        if policy.public:
            await self.app(scope, receive, _with_headers(send, _ANYONE))
            return
        if policy.token_names_client:
            await self._by_token(scope, receive, send, origin)
            return
        await self._actual(scope, receive, send, policy, origin)

    async def _by_token(self, scope: Scope, receive: Receive, send: Send, origin: str) -> None:
        client_id = _token_client(_header(scope, b"authorization"))
        allowed = client_id is not None and await _allowed(scope, origin, client_id)

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.append("vary", "Origin")
                if allowed:
                    headers["access-control-allow-origin"] = origin
                    headers["access-control-expose-headers"] = _EXPOSED
            await send(message)

        await self.app(scope, receive, sending)

    async def _actual(
        self, scope: Scope, receive: Receive, send: Send, policy: Policy, origin: str
    ) -> None:
        """Decides when the answer starts, by then the handler has read the body that names
        the client (kept here as it passes, up to a bound)."""
        body: list[bytes] = []
        size = 0

        async def teeing_receive() -> Message:
            nonlocal size
            message = await receive()
            if message["type"] == "http.request" and size <= _CLIENT_BODY_LIMIT:
                chunk = message.get("body", b"")
                size += len(chunk)
                body.append(chunk)
            return message

        async def deciding_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                client_id = None
                if policy.names_client and size <= _CLIENT_BODY_LIMIT:
                    client_id = _named_client(scope, b"".join(body))
                headers = MutableHeaders(scope=message)
                headers.append("vary", "Origin")
                if await _allowed(scope, origin, client_id):
                    headers["access-control-allow-origin"] = origin
                    headers["access-control-expose-headers"] = _EXPOSED
                    if policy.credentials:
                        headers["access-control-allow-credentials"] = "true"
            await send(message)

        await self.app(scope, teeing_receive if policy.names_client else receive, deciding_send)


async def _preflight(scope: Scope, policy: Policy, origin: str | None) -> Response:
    """204 always (OPTIONS is served on every CORS path); the allow headers only for an
    origin that may call, asking for a method the path serves."""
    headers = {"allow": allowed_methods(Request(scope)) or "OPTIONS"}
    if origin is None:
        return Response(status_code=204, headers=headers)
    if not policy.public:
        headers["vary"] = "Origin"
    method = (_header(scope, b"access-control-request-method") or "").upper()
    if method not in policy.methods:
        return Response(status_code=204, headers=headers)
    if policy.public:
        headers["access-control-allow-origin"] = "*"
    elif await _allowed(scope, origin, None):
        headers["access-control-allow-origin"] = origin
        if policy.credentials:
            headers["access-control-allow-credentials"] = "true"
    else:
        return Response(status_code=204, headers=headers)
    headers["access-control-allow-methods"] = ", ".join(policy.methods)
    headers["access-control-allow-headers"] = ", ".join(policy.headers)
    headers["access-control-max-age"] = _MAX_AGE
    return Response(status_code=204, headers=headers)


def _named_client(scope: Scope, raw: bytes) -> str | None:
    """The client a token, revocation or signup body names (or HTTP Basic does); None when
    it names none or cannot be read (the handler refuses such a request anyway)."""
    content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    params: Any
    try:
        if content_type == "application/json":
            params = orjson.loads(raw) if raw.strip() else {}
        else:
            params = dict(parse_qsl(raw.decode(), keep_blank_values=True))
        if not isinstance(params, dict):
            return None
        return read_credentials(params, _header(scope, b"authorization")).client_id
    except (ValueError, SelfauthError):  # malformed JSON, UTF-8 or credentials
        return None


def _token_client(authorization: str | None) -> str | None:
    """The client a bearer JWT was issued to (`azp`, else `client_id`), read without checking
    the signature (only base64 and JSON: a PyJWT decode costs ten times as much)."""
    scheme, _, token = (authorization or "").partition(" ")
    parts = token.strip().split(".")
    if scheme.lower() != "bearer" or len(parts) != 3:
        return None
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(claims, dict):
        return None
    found = claims.get("azp") or claims.get("client_id")
    return found if isinstance(found, str) else None


def _with_headers(send: Send, extra: dict[str, str]) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in extra.items():
                if name not in headers:
                    headers[name] = value
        await send(message)

    return sending
