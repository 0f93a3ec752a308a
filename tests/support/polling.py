"""Waiting for something the server does in its own time (a job, a journal, a clock), always
with a deadline: never a fixed sleep, which is either too long (a slow suite) or too short (a
flaky one)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(probe: Callable[[], T], seconds: float = 5.0, interval: float = 0.05) -> T:
    """`probe()`'s first truthy answer, asked every `interval` s for up to `seconds`; after
    that, its last answer (the caller's assertion then says what was missing)."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(interval)


def wait_for(
    probe: Callable[[], T | None], what: str, seconds: float = 30.0, interval: float = 0.05
) -> T:
    """As `eventually`, but a probe that never answers fails the test, naming `what`."""
    found = eventually(probe, seconds, interval)
    if not found:
        raise AssertionError(f"{what}: nothing within {seconds}s")
    return found


def wait_until(moment: float, seconds: float = 30.0) -> None:
    """Until the wall clock reads `moment` (UNIX seconds): for times the server announced, such
    as a rate limit's reset or the end of a token's leeway. Refuses to wait past `seconds`."""
    delay = moment - time.time()
    assert delay <= seconds, f"asked to wait {delay:.1f}s, more than {seconds}s"
    wait_for(lambda: time.time() >= moment, f"the clock to reach {moment}", seconds + 1, 0.02)


def next_second(after: int) -> None:
    """Until the clock's whole second is past `after` (a JWT's `iat` or `auth_time`)."""
    wait_until(after + 1)
