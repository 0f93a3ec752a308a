"""Rate limits across nodes: with SELFAUTH_REDIS_URL, two `selfauth serve` processes on one
database count each caller once between them (the buckets live in Redis); without it each
process counts alone; and with Redis away, requests are still served, counted per process.
Runs where CI set SELFAUTH_TEST_REDIS_URL (.ci/run starts Redis)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.server import RunningServer, free_port, fresh_database, start, stop

REDIS_URL = os.environ.get("SELFAUTH_TEST_REDIS_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="SELFAUTH_TEST_REDIS_URL is not set")

BURST = 4
# Four requests per address, then one more per 1,000 s: nothing refills during a test.
LIMITS = {"SELFAUTH_AUTH_RATE_LIMIT": "0.001", "SELFAUTH_AUTH_RATE_BURST": str(BURST)}


@contextmanager
def two_nodes(directory: Path, env: dict[str, str]) -> Iterator[tuple[RunningServer, ...]]:
    """Two servers on one SQLite database, with one issuer as behind one proxy."""
    port = free_port()
    shared = {**env, "SELFAUTH_ISSUER": f"http://127.0.0.1:{port}/"}
    with fresh_database("sqlite", directory) as url:
        first = start(url, directory / "first.log", "sqlite", shared, port)
        try:
            second = start(url, directory / "second.log", "sqlite", shared)
            try:
                yield first, second
            finally:
                stop(second)
        finally:
            stop(first)


def _token_requests(node: RunningServer, count: int) -> list[int]:
    """`count` token requests (refused credentials: the limit is charged before they are
    checked), the statuses."""
    body = {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}
    with httpx.Client(base_url=node.base_url, timeout=10) as http:
        return [http.post("/oauth/token", json=body).status_code for _ in range(count)]


def test_two_nodes_share_one_bucket_per_address_through_redis(tmp_path: Path) -> None:
    with two_nodes(tmp_path, {**LIMITS, "SELFAUTH_REDIS_URL": REDIS_URL}) as (first, second):
        statuses = _token_requests(first, 3) + _token_requests(second, 3)
    assert statuses.count(429) == 2, statuses  # 4 allowed between both nodes, not 4 each
    assert statuses[:BURST].count(429) == 0


def test_without_redis_each_node_counts_alone(tmp_path: Path) -> None:
    with two_nodes(tmp_path, LIMITS) as (first, second):
        statuses = _token_requests(first, 3) + _token_requests(second, 3)
    assert 429 not in statuses, statuses


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket closes


def test_with_redis_away_requests_are_served_and_counted_per_process(tmp_path: Path) -> None:
    away = f"redis://127.0.0.1:{_closed_port()}/0"
    with two_nodes(tmp_path, {**LIMITS, "SELFAUTH_REDIS_URL": away}) as (first, second):
        statuses = _token_requests(first, BURST + 1) + _token_requests(second, 1)
        log = first.log()
    assert statuses == [401] * BURST + [429] + [401], statuses
    assert log.count("Redis did not answer") == 1
    assert "unhandled error" not in log
