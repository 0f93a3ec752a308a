"""Management API rate limits: headers on every answer, 429 in Auth0's shape past the burst.

The buckets live in the server's memory: these run on SQLite servers of their own."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api import Api, assert_error
from tests.support.polling import wait_for, wait_until
from tests.support.server import RunningServer, serving


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    env = {"SELFAUTH_MANAGEMENT_RATE_LIMIT": "1", "SELFAUTH_MANAGEMENT_RATE_BURST": "3"}
    with serving("sqlite", tmp_path_factory.mktemp("limited"), env) as running:
        yield running


def test_headers_count_down_then_429_with_retry_after(limited: RunningServer) -> None:
    api = Api(limited, limited.admin_token())
    seen = []
    for _ in range(3):
        response = api.get("/api/v2/clients")
        assert response.status_code == 200
        seen.append(int(response.headers["x-ratelimit-remaining"]))
        assert response.headers["x-ratelimit-limit"] == "3"
        assert int(response.headers["x-ratelimit-reset"]) >= int(time.time())
    assert seen == sorted(seen, reverse=True)
    refused = api.get("/api/v2/clients")
    body = assert_error(refused, 429, "too_many_requests")
    assert body["message"] == "Global limit has been reached"
    retry_after = int(refused.headers["retry-after"])
    assert retry_after >= 1
    # Let through again once `retry-after` has passed (asked until then and 0.5 s more).
    passed = wait_for(
        lambda: api.get("/api/v2/clients").status_code == 200,
        "a request after retry-after",
        retry_after + 0.5,
        0.1,
    )
    assert passed


def test_limits_are_per_caller(limited: RunningServer) -> None:
    admin = Api(limited, limited.admin_token())
    # The administrator's bucket, used up by the test above, is full again at its reset time.
    wait_until(int(admin.get("/api/v2/clients").headers["x-ratelimit-reset"]))
    other = admin.with_scopes("read:clients")  # two of the administrator's three requests
    while admin.get("/api/v2/clients").status_code == 200:
        pass
    assert_error(admin.get("/api/v2/clients"), 429, "too_many_requests")
    assert other.get("/api/v2/clients").status_code == 200


@pytest.fixture(scope="module")
def auth_limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # One request back every 100 s: however slowly a loaded machine sends the burst, no
    # refill lets the fourth through (at 1/s, CI once saw 401 where 429 was due).
    env = {"SELFAUTH_AUTH_RATE_LIMIT": "0.01", "SELFAUTH_AUTH_RATE_BURST": "3"}
    with serving("sqlite", tmp_path_factory.mktemp("auth-limited"), env) as running:
        yield running


def test_authentication_api_answers_429_in_oauth_shape_past_the_burst(
    auth_limited: RunningServer,
) -> None:
    body = {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}
    seen = []
    for _ in range(3):
        response = httpx.post(f"{auth_limited.base_url}/oauth/token", json=body, timeout=10)
        assert response.status_code == 401  # charged even when the client is unknown
        seen.append(int(response.headers["x-ratelimit-remaining"]))
    assert seen == sorted(seen, reverse=True)
    refused = httpx.get(f"{auth_limited.base_url}/userinfo", timeout=10)
    assert refused.status_code == 429
    assert refused.json()["error"] == "too_many_requests"
    assert "X-RateLimit-Reset" in refused.json()["error_description"]
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["x-ratelimit-limit"] == "3"


@pytest.fixture
def auth_limited_logged(tmp_path: Path) -> Iterator[tuple[RunningServer, Api]]:
    """As `auth_limited`, with the administrator's token taken before the burst is spent."""
    env = {"SELFAUTH_AUTH_RATE_LIMIT": "0.01", "SELFAUTH_AUTH_RATE_BURST": "4"}
    with serving("sqlite", tmp_path, env) as running:
        api = Api(running, running.admin_token())
        yield running, api
        api.http.close()


def test_a_run_of_refusals_logs_one_api_limit(
    auth_limited_logged: tuple[RunningServer, Api],
) -> None:
    """Past the burst every request is refused; the tenant logs get one `api_limit` for the
    run (the bucket never refills here: one token per 100 s)."""
    server, api = auth_limited_logged
    body = {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}
    statuses = [
        httpx.post(f"{server.base_url}/oauth/token", json=body, timeout=10).status_code
        for _ in range(6)
    ]
    assert statuses == [401, 401, 401, 429, 429, 429]
    found = api.get("/api/v2/logs", q="type:api_limit")  # the Management API's own limit
    assert found.status_code == 200, found.text
    [limited] = found.json()
    assert limited["description"] == "Rate Limit on API"
    assert limited["ip"] == "127.0.0.1"
    assert limited["details"]["error"]["message"].startswith("Too many requests.")
    assert limited["details"]["limit"] == 4


def test_the_management_apis_refusals_log_api_limit_with_the_caller(
    limited: RunningServer,
) -> None:
    admin = Api(limited, limited.admin_token())
    reader = admin.with_scopes("read:logs")  # a bucket of its own

    def logged() -> list[dict[str, Any]]:
        answer = reader.get("/api/v2/logs", q="type:api_limit")
        assert answer.status_code == 200, answer.text
        found: list[dict[str, Any]] = answer.json()
        return found

    wait_until(int(admin.get("/api/v2/clients").headers["x-ratelimit-reset"]))
    before = len(logged())
    while admin.get("/api/v2/clients").status_code == 200:
        pass
    for _ in range(3):
        assert_error(admin.get("/api/v2/clients"), 429, "too_many_requests")
    after = logged()
    assert len(after) == before + 1
    newest = after[0]
    assert newest["client_id"] == limited.client_id
    assert newest["details"]["request"] == {"method": "get", "path": "/api/v2/clients"}
