"""The outermost guard: inputs no handler should see, and errors no handler caught."""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from selfauth.web.errors import is_management_path, management_error, oauth_error
from selfauth.web.ratelimit import charged, headers

log = logging.getLogger("selfauth.web")


class RequestGuard:
    """Refuses NUL in the path or query (PostgreSQL text cannot hold it, and no identifier
    contains it), adds the rate-limit headers to every answer whose request was charged, and
    answers an unhandled exception with a 500 in the API's shape.

    Starlette's own catch-all re-raises after answering, which makes uvicorn drop the
    keep-alive connection; this guard answers and keeps the connection usable.

    A client that left in the middle of its body is one debug line, not an error with a
    traceback and an answer no one reads.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

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

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                allowance = charged(scope)
                if allowance is not None:
                    message["headers"] = [*message.get("headers", []), *headers(allowance)]
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            log.debug("client left during %s %s", scope.get("method"), scope.get("path"))
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            if is_management_path(scope["path"]):
                response = management_error(500, "Internal error", None)
            else:
                response = oauth_error(500, "server_error", "Internal error")
            await response(scope, receive, send)
