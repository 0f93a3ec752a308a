"""Management API rate limits: a token bucket per caller, with Auth0's `x-ratelimit-*` headers."""

from __future__ import annotations

from fastapi import Request
from starlette.types import Scope

from selfauth.domain.ratelimit import Allowance, RateLimiter
from selfauth.errors import TooManyRequests
from selfauth.web.context import services_of

_STATE_KEY = "rate_limit"


AUTHENTICATION_LIMIT = (
    "Too many requests. Check the X-RateLimit-Limit, X-RateLimit-Remaining and "
    "X-RateLimit-Reset headers."
)


async def charge(
    request: Request,
    limiter: RateLimiter | None,
    caller: str,
    message: str = "Global limit has been reached",
    *,
    client_id: str | None = None,
) -> None:
    """Take one request from the caller's bucket; past the burst, 429 (and an `api_limit`
    log event for the first refusal of a run: a caller hammering away adds no more)."""
    if limiter is None:
        return
    allowance = await limiter.allow(caller)
    setattr(request.state, _STATE_KEY, allowance)
    if not allowance.allowed:
        if allowance.first_refusal:
            _log_limit(request, message, allowance, client_id)
        raise TooManyRequests(message)


def _log_limit(request: Request, message: str, allowance: Allowance, client_id: str | None) -> None:
    details = {
        "error": {"message": message},
        "request": {"method": request.method.lower(), "path": request.url.path[:500]},
        "limit": allowance.limit,
    }
    services_of(request).logs.record(
        "api_limit",
        client_id=client_id,
        ip=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent", "")[:512] or None,
        hostname=(request.headers.get("host") or "").split(":")[0][:255] or None,
        details=details,
    )


async def per_address(request: Request) -> None:
    """The Authentication API's limit: a bucket per client address (Auth0 keys it by IP).
    The address is the peer's, or the one a proxy named in SELFAUTH_TRUSTED_PROXIES forwarded
    (`selfauth/server.py`): no one else's `X-Forwarded-For` is believed."""
    address = request.client.host if request.client else "unknown"
    limiter = services_of(request).auth_rate_limits
    await charge(request, limiter, f"ip:{address}", AUTHENTICATION_LIMIT)


def headers(allowance: Allowance) -> list[tuple[bytes, bytes]]:
    """Auth0's rate-limit headers, and `retry-after` on a refusal."""
    found = [
        (b"x-ratelimit-limit", str(allowance.limit).encode()),
        (b"x-ratelimit-remaining", str(allowance.remaining).encode()),
        (b"x-ratelimit-reset", str(allowance.reset_at).encode()),
    ]
    if not allowance.allowed:
        found.append((b"retry-after", str(allowance.retry_after).encode()))
    return found


def charged(scope: Scope) -> Allowance | None:
    """What the request was charged, if a rate limit applied to it."""
    allowance = scope.get("state", {}).get(_STATE_KEY)
    return allowance if isinstance(allowance, Allowance) else None
