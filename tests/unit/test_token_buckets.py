"""The token-bucket arithmetic behind the Management API's rate limits."""

from __future__ import annotations

from selfauth.domain.ratelimit import TokenBuckets


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_burst_then_refill_at_the_rate() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate=2.0, capacity=3, clock=clock)
    assert [buckets.take("a").allowed for _ in range(4)] == [True, True, True, False]
    refused = buckets.take("a")
    assert refused.retry_after == 1
    assert refused.remaining == 0
    clock.now += 0.5
    assert buckets.take("a").allowed
    assert not buckets.take("a").allowed


def test_buckets_are_per_key_and_report_when_full_again() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(rate=1.0, capacity=2, clock=clock)
    first = buckets.take("a")
    assert first.limit == 2
    assert first.remaining == 1
    assert first.reset_at == 1_001
    assert buckets.take("b").remaining == 1


def test_only_the_first_refusal_of_a_run_is_marked() -> None:
    """The `api_limit` log is written once per run of refusals, not once per request."""
    clock = FakeClock()
    buckets = TokenBuckets(rate=1.0, capacity=1, clock=clock)
    assert buckets.take("a").allowed
    assert [buckets.take("a").first_refusal for _ in range(3)] == [True, False, False]
    clock.now += 1.0
    assert buckets.take("a").allowed
    assert buckets.take("a").first_refusal
