"""Matching a browser's `Origin` against the origins clients registered, and the registry that
holds them in memory for the CORS layer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from selfauth.domain.clients.model import Client
from selfauth.domain.clients.origins import OriginSet
from selfauth.flows.origins import OriginRegistry


@pytest.mark.parametrize(
    ("registered", "origin", "allowed"),
    [
        ("https://app.example.com", "https://app.example.com", True),
        ("https://App.Example.com/path?q=1#f", "https://app.example.com", True),
        ("https://app.example.com:443", "https://app.example.com", True),
        ("https://app.example.com", "https://app.example.com:443", True),
        ("http://localhost:3000", "http://localhost:3000", True),
        ("http://localhost:3000", "http://localhost:3001", False),
        ("http://localhost:3000", "https://localhost:3000", False),
        ("https://app.example.com", "https://app.example.com.evil.test", False),
        ("https://*.example.com", "https://a.example.com", True),
        ("https://*.example.com", "https://example.com", False),
        ("https://*.example.com", "https://a.b.example.com", False),
        ("https://*.example.com", "https://aexample.com", False),
        ("https://*.example.com", "http://a.example.com", False),
        ("https://*.example.com:8443", "https://a.example.com:8443", True),
        ("https://*.example.com:8443", "https://a.example.com", False),
        ("https://*.com", "https://example.com", False),
        ("https://a.*.example.com", "https://a.b.example.com", False),
        ("http://[::1]:8080", "http://[::1]:8080", True),
        ("*", "https://example.com", False),
        ("https://app.example.com", "null", False),
        ("https://app.example.com", "https://app.example.com:99999", False),
    ],
)
def test_origin_matching(registered: str, origin: str, allowed: bool) -> None:
    assert OriginSet.of([registered]).allows(origin) is allowed


def client(
    client_id: str,
    *,
    allowed_origins: list[str] | None = None,
    callbacks: list[str] | None = None,
    web_origins: list[str] | None = None,
) -> Client:
    now = datetime.now(UTC)
    return Client(
        client_id,
        client_id,
        "hash",
        now,
        now,
        allowed_origins=allowed_origins or [],
        callbacks=callbacks or [],
        web_origins=web_origins or [],
    )


class Clients:
    def __init__(self, *found: Client) -> None:
        self.found = list(found)
        self.lists = 0

    async def list(self, *, offset: int, limit: int) -> tuple[list[Client], int]:
        self.lists += 1
        return self.found[offset : offset + limit], len(self.found)


def test_named_client_decides_and_unknown_names_fall_back_to_any() -> None:
    a = client("a", allowed_origins=["https://a.test"])
    b = client("b", callbacks=["https://b.test/cb"], web_origins=["https://w.test"])
    registry = OriginRegistry(Clients(a, b))

    async def check() -> None:
        assert await registry.allows("https://a.test", "a")
        assert not await registry.allows("https://b.test", "a")
        assert await registry.allows("https://b.test", "b")
        assert await registry.allows("https://w.test", "b")
        assert await registry.allows("https://b.test")
        assert await registry.allows("https://b.test", "unknown")
        assert not await registry.allows("https://c.test")

    asyncio.run(check())


def test_snapshot_is_reused_until_invalidated_or_stale() -> None:
    clock = [0.0]
    clients = Clients(client("a", allowed_origins=["https://a.test"]))
    registry = OriginRegistry(clients, max_age=60, now=lambda: clock[0])

    async def check() -> None:
        await asyncio.gather(*(registry.allows("https://a.test") for _ in range(10)))
        assert clients.lists == 1
        registry.invalidate()
        await registry.allows("https://a.test")
        assert clients.lists == 2
        clock[0] = 61.0
        await registry.allows("https://a.test")
        assert clients.lists == 3

    asyncio.run(check())
