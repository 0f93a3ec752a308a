"""Whose `X-Forwarded-For` is believed: only a proxy named in `SELFAUTH_TRUSTED_PROXIES`.

uvicorn, left to its defaults, believes the header from any loopback peer (and reads
FORWARDED_ALLOW_IPS from the environment): a client on the same host, or behind a pass-through
proxy, could then pick a new address for every request and escape the brute-force block and the
per-address rate limit, both of which key by the client's address.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.api import Api
from tests.support.server import RunningServer, serving
from tests.support.signin import (
    BRUTE_FORCE_LIMIT,
    WRONG_PASSWORD,
    App,
    assert_too_many,
    blocked_for,
    new_app,
)
from tests.support.signin import login as realm_login


def spoofed(address: str) -> dict[str, str]:
    return {"x-forwarded-for": address, "x-forwarded-proto": "https"}


def guess(server: RunningServer, app: App, email: str, address: str) -> httpx.Response:
    return realm_login(server, app, email, WRONG_PASSWORD, headers=spoofed(address))


# --- a server started the normal way believes no one ------------------------------------------


def test_a_new_forwarded_address_per_guess_does_not_escape_the_block(
    server: RunningServer, api: Api
) -> None:
    app = new_app(api)
    user = api.create_user(connection=app.connection)
    for attempt in range(BRUTE_FORCE_LIMIT):
        response = guess(server, app, user["email"], f"203.0.113.{attempt + 1}")
        assert response.status_code == 403, f"attempt {attempt + 1}: {response.text}"
    # Blocked, whichever address the client claims next, and even with the right password.
    assert_too_many(guess(server, app, user["email"], "198.51.100.77"))
    assert_too_many(realm_login(server, app, user["email"], headers=spoofed("192.0.2.1")))
    assert [e["ip"] for e in blocked_for(api, user["user_id"])] == ["127.0.0.1"]


@pytest.fixture(scope="module")
def auth_limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A small per-address limit; uvicorn's own variable asks it to believe everyone."""
    env = {
        "SELFAUTH_AUTH_RATE_LIMIT": "0.01",
        "SELFAUTH_AUTH_RATE_BURST": "3",
        "FORWARDED_ALLOW_IPS": "*",
    }
    with serving("sqlite", tmp_path_factory.mktemp("spoof-limited"), env) as running:
        yield running


def test_a_new_forwarded_address_per_request_does_not_escape_the_rate_limit(
    auth_limited: RunningServer,
) -> None:
    body = {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}
    url = f"{auth_limited.base_url}/oauth/token"
    remaining = []
    for n in range(3):
        response = httpx.post(url, json=body, headers=spoofed(f"203.0.113.{n + 1}"), timeout=10)
        assert response.status_code == 401, response.text
        remaining.append(int(response.headers["x-ratelimit-remaining"]))
    assert remaining == [2, 1, 0]
    refused = httpx.post(url, json=body, headers=spoofed("198.51.100.9"), timeout=10)
    assert refused.status_code == 429, refused.text
    assert refused.json()["error"] == "too_many_requests"


# --- a named proxy is believed ----------------------------------------------------------------


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    env = {
        "SELFAUTH_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1",
        # Buckets that barely refill, so each request's charge shows in the headers.
        "SELFAUTH_AUTH_RATE_LIMIT": "0.01",
        "SELFAUTH_AUTH_RATE_BURST": "100",
    }
    with serving("sqlite", tmp_path_factory.mktemp("behind-proxy"), env) as running:
        yield running


def test_a_trusted_proxys_forwarded_address_is_the_one_blocked(
    behind_proxy: RunningServer,
) -> None:
    api = Api(behind_proxy, behind_proxy.admin_token())
    app = new_app(api)
    user: dict[str, Any] = api.create_user(connection=app.connection)
    for attempt in range(BRUTE_FORCE_LIMIT):
        response = guess(behind_proxy, app, user["email"], "203.0.113.50")
        assert response.status_code == 403, f"attempt {attempt + 1}: {response.text}"
    assert_too_many(guess(behind_proxy, app, user["email"], "203.0.113.50"))
    assert [e["ip"] for e in blocked_for(api, user["user_id"])] == ["203.0.113.50"]
    # Another end user behind the same proxy, and the proxy itself, are not blocked.
    other = realm_login(behind_proxy, app, user["email"], headers=spoofed("198.51.100.60"))
    assert other.status_code == 200, other.text
    assert api.user(user["user_id"])["last_ip"] == "198.51.100.60"
    assert realm_login(behind_proxy, app, user["email"]).status_code == 200


def test_a_trusted_proxys_forwarded_address_has_its_own_rate_limit_bucket(
    behind_proxy: RunningServer,
) -> None:
    # The bucket is keyed by the forwarded address: a fresh address starts a full bucket.
    url = f"{behind_proxy.base_url}/oauth/token"
    body = {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"}
    first = httpx.post(url, json=body, headers=spoofed("192.0.2.200"), timeout=10)
    again = httpx.post(url, json=body, headers=spoofed("192.0.2.200"), timeout=10)
    fresh = httpx.post(url, json=body, headers=spoofed("192.0.2.201"), timeout=10)
    burst = int(first.headers["x-ratelimit-limit"])
    assert int(first.headers["x-ratelimit-remaining"]) == burst - 1
    assert int(again.headers["x-ratelimit-remaining"]) == burst - 2
    assert int(fresh.headers["x-ratelimit-remaining"]) == burst - 1


# --- the setting is checked at start ----------------------------------------------------------


@pytest.mark.parametrize("value", ["proxy.internal", "*", "10.0.0.0/33", "127.0.0.1,,nope"])
def test_a_trusted_proxy_that_is_not_an_address_stops_the_server(
    value: str, tmp_path: Path
) -> None:
    env = {
        "SELFAUTH_DATABASE_URL": f"sqlite:///{tmp_path / 'selfauth.db'}",
        "SELFAUTH_TRUSTED_PROXIES": value,
    }
    result = subprocess.run(
        [sys.executable, "-m", "selfauth", "serve", "--port", "1"],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("SELFAUTH_")}, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "SELFAUTH_TRUSTED_PROXIES" in output, output
    assert "not an IP address or CIDR network" in output, output
    assert "Traceback" not in output, output
    assert not (tmp_path / "selfauth.db").exists()
