"""The outermost guard: inputs no handler should see, and errors no handler caught."""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from selfauth.errors import SelfauthError
from selfauth.web.errors import (
    error_response,
    is_management_path,
    management_error,
    oauth_error,
    shape_of,
)
from selfauth.web.ratelimit import charged, headers

log = logging.getLogger("selfauth.web")


class BodyStalled(SelfauthError):
    """The request body stopped arriving for SELFAUTH_BODY_TIMEOUT_SECONDS."""

    status_code = 408
    error_code = "request_timeout"
    name = "RequestTimeoutError"


class RequestGuard:
    """Refuses NUL in the path or query (PostgreSQL text cannot hold it, and no identifier
    contains it), adds the rate-limit headers to every answer whose request was charged, and
    answers an unhandled exception with a 500 in the API's shape.

    Starlette's own catch-all re-raises after answering, which makes uvicorn drop the
    keep-alive connection; this guard answers and keeps the connection usable.

    Slow and vanishing clients: while the request body is incomplete, each wait for its next
    chunk is bounded (`SELFAUTH_BODY_TIMEOUT_SECONDS`). A body that stalls is, for the app, a
    client that left (`http.disconnect`); the guard then answers 408 in the API's shape and
    closes the connection, or, if an answer had begun, leaves it for uvicorn to close. A
    client that really left mid-body is one debug line, not an error with a traceback.
    """

    def __init__(self, app: ASGIApp, *, body_seconds: float) -> None:
        self.app = app
        self.body_seconds = body_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = bytes(scope.get("query_string", b"")).lower()
        if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
            if is_management_path(scope["path"]):
                response = management_error(
                    400, "The URL contains a NUL character.", "invalid_query_string"
                )
            else:
                response = oauth_error(400, "invalid_request", "The URL contains a NUL character.")
            await response(scope, receive, send)
            return
        started = False
        body_read = False  # the last chunk (or a disconnect) came: no deadline from then on
        stalled = False  # the body stopped arriving; the app was told the client left
        seconds = self.body_seconds

        async def timed_receive() -> Message:
            nonlocal body_read, stalled
            if body_read:  # after a stall, the client is gone as far as the app knows
                return {"type": "http.disconnect"} if stalled else await receive()
            try:
                async with asyncio.timeout(seconds):
                    message = await receive()
            except TimeoutError:
                body_read = stalled = True
                return {"type": "http.disconnect"}
            if not message.get("more_body", False):
                body_read = True
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if stalled and not started:
                return  # an answer to a client the app was told had left: the 408 follows
            if message["type"] == "http.response.start":
                started = True
                allowance = charged(scope)
                if allowance is not None:
                    message["headers"] = [*message.get("headers", []), *headers(allowance)]
            await send(message)

        try:
            await self.app(scope, timed_receive, tracking_send)
        except ClientDisconnect:
            if not stalled:
                log.debug("client left during %s %s", scope.get("method"), scope.get("path"))
                return
        except Exception as exc:
            if stalled:  # what the app made of a client it was told had left
                log.info("%s after a stalled body on %s", type(exc).__name__, scope.get("path"))
            else:
                log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
                if started:
                    raise
                if is_management_path(scope["path"]):
                    response = management_error(500, "Internal error", None)
                else:
                    response = oauth_error(500, "server_error", "Internal error")
                await response(scope, receive, send)
                return
        if stalled and not started:
            path = scope["path"]
            log.info("request body idle for %s s on %s %s: 408", seconds, scope["method"], path)
            response = error_response(
                BodyStalled("The request body was not received in time."), shape_of(path)
            )
            response.headers["connection"] = "close"  # the rest of the body may still come
            await response(scope, receive, send)
