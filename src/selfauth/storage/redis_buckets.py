"""Rate limits shared by every server process and node: the token buckets in Redis.

One Lua script takes a request from a bucket atomically (Redis runs scripts one at a time) on
Redis's own clock, so any number of processes, on any machines, count each caller once. A
bucket expires once it would be full again, so idle callers cost Redis nothing.

If Redis does not answer (down, or slower than `timeout`), the request is counted in this
process's own buckets instead, with one warning a minute: a rate limit must not take the
service down with it, and counting per process is what selfauth does without Redis anyway.
"""

from __future__ import annotations

import logging
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from selfauth.domain.ratelimit import Allowance, TokenBuckets, allowance

log = logging.getLogger("selfauth.ratelimit")

_TAKE = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp', 'refused')
local tokens = tonumber(state[1]) or capacity
local stamp = tonumber(state[2]) or now
local refused = state[3] == '1'
tokens = math.min(capacity, tokens + math.max(0, now - stamp) * rate)
local allowed = tokens >= 1
if allowed then tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now),
  'refused', allowed and '0' or '1')
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
local first = (not allowed) and (not refused)
return {tostring(tokens), allowed and 1 or 0, first and 1 or 0, tostring(now)}
"""


class RedisBuckets:
    def __init__(
        self,
        client: aioredis.Redis,
        prefix: str,
        rate: float,
        capacity: int,
        *,
        fallback: TokenBuckets | None = None,
    ) -> None:
        self._prefix = prefix
        self.rate = rate
        self.capacity = capacity
        self._take = client.register_script(_TAKE)
        self._fallback = fallback or TokenBuckets(rate, capacity)
        self._warned_at = 0.0

    async def allow(self, key: str) -> Allowance:
        try:
            tokens, allowed, first, now = await self._take(
                keys=[f"{self._prefix}{key}"], args=[self.rate, self.capacity]
            )
        except (RedisError, OSError) as exc:
            if time.monotonic() - self._warned_at > 60:
                self._warned_at = time.monotonic()
                log.warning("Redis did not answer (%s); counting rate limits per process", exc)
            return self._fallback.take(key)
        return allowance(
            bool(allowed), float(tokens), float(now), self.rate, self.capacity, bool(first)
        )


def redis_client(url: str, timeout: float) -> aioredis.Redis:
    """One client (and its connection pool) for the process's shared limits."""
    client: aioredis.Redis = aioredis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout
    )
    return client
