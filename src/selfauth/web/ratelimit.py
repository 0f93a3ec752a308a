"""Management API rate limits: a token bucket per caller, with Auth0's `x-ratelimit-*` headers."""

from __future__ import annotations

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from selfauth.domain.ratelimit import Allowance, TokenBuckets
from selfauth.errors import TooManyRequests
from selfauth.web.context import services_of

_STATE_KEY = "rate_limit"


AUTHENTICATION_LIMIT = (
    "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and "
    "X-RateLimit-Reset headers."
)


def charge(
    request: Request,
    limiter: TokenBuckets | None,
    caller: str,
    message: str = "Global limit has been reached",
) -> None:
    """Take one request from the caller's bucket; past the burst, 429."""
    if limiter is None:
        return
    allowance = limiter.take(caller)
    request.state.rate_limit = allowance
    if not allowance.allowed:
        raise TooManyRequests(message)


async def per_address(request: Request) -> None:
    """The Authentication API's limit: a bucket per client address (Auth0 keys it by IP)."""
    address = request.client.host if request.client else "unknown"
    limiter = services_of(request).auth_rate_limits
    charge(request, limiter, f"ip:{address}", AUTHENTICATION_LIMIT)


def headers(allowance: Allowance) -> list[tuple[bytes, bytes]]:
    return [
        (b"x-ratelimit-limit", str(allowance.limit).encode()),
        (b"x-ratelimit-remaining", str(allowance.remaining).encode()),
        (b"x-ratelimit-reset", str(allowance.reset_at).encode()),
    ]


class RateLimitHeaders:
    """Adds the headers to every response whose request was charged, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                allowance = scope.get("state", {}).get(_STATE_KEY)
                if isinstance(allowance, Allowance):
                    extra = headers(allowance)
                    if not allowance.allowed:
                        extra.append((b"retry-after", str(allowance.retry_after).encode()))
                    message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
