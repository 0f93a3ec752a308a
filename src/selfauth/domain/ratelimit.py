"""Token buckets: `capacity` requests at once, refilled at `rate` per second (Auth0's model)."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Allowance:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # UNIX seconds when the bucket is full again
    retry_after: int  # seconds until the next request may pass (0 when this one passed)
    # The first refusal since the caller's last allowed request (a run of them is logged once).
    first_refusal: bool = False


def allowance(
    allowed: bool, tokens: float, now: float, rate: float, capacity: int, first_refusal: bool
) -> Allowance:
    """What a bucket holding `tokens` after this request tells the caller (Auth0's headers)."""
    return Allowance(
        allowed=allowed,
        limit=capacity,
        remaining=int(tokens),
        reset_at=math.ceil(now + (capacity - tokens) / rate),
        retry_after=0 if allowed else max(1, math.ceil((1.0 - tokens) / rate)),
        first_refusal=first_refusal,
    )


class RateLimiter(Protocol):
    """A bucket per key: this process's own (`TokenBuckets`), or one shared by every process
    and node through Redis (storage/redis_buckets.py)."""

    async def allow(self, key: str) -> Allowance: ...


class TokenBuckets:
    """One bucket per key, kept in this process. Idle buckets are dropped oldest first."""

    def __init__(
        self,
        rate: float,
        capacity: int,
        *,
        clock: Callable[[], float] = time.time,
        max_keys: int = 100_000,
    ) -> None:
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._max_keys = max_keys
        # tokens, when they were counted, whether the last request was refused
        self._buckets: OrderedDict[str, tuple[float, float, bool]] = OrderedDict()

    def take(self, key: str) -> Allowance:
        now = self._clock()
        tokens, stamp, refused = self._buckets.pop(key, (float(self.capacity), now, False))
        tokens = min(float(self.capacity), tokens + (now - stamp) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[key] = (tokens, now, not allowed)
        if len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        first_refusal = not allowed and not refused
        return allowance(allowed, tokens, now, self.rate, self.capacity, first_refusal)

    async def allow(self, key: str) -> Allowance:
        return self.take(key)
