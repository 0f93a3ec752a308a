"""Concurrent PATCHes of one API (resource server) and of one client grant, each changing a
different property: every change stays, because each is a read-modify-write of the locked row.
Runs on both databases (PostgreSQL is where an unlocked read-modify-write lost changes)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from tests.support.api import Api


def all_at_once(api: Api, path: str, bodies: list[dict[str, Any]]) -> list[httpx.Response]:
    async def send() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            base_url=api.server.base_url, headers=dict(api.http.headers), timeout=60
        ) as http:
            return await asyncio.gather(*(http.patch(path, json=body) for body in bodies))

    answers = asyncio.run(send())
    assert [a.status_code for a in answers] == [200] * len(bodies), [a.text for a in answers]
    return answers


def test_concurrent_changes_of_one_api_all_stay(api: Api) -> None:
    created = api.post(
        "/api/v2/resource-servers",
        {
            "identifier": f"https://api-{uuid.uuid4().hex[:12]}.example.com/",
            "name": "before",
            "token_lifetime": 3600,
        },
    )
    assert created.status_code == 201, created.text
    path = f"/api/v2/resource-servers/{created.json()['id']}"
    for _ in range(3):
        bodies: list[dict[str, Any]] = []
        for i in range(4):
            bodies += [{"name": f"name {i}"}, {"token_lifetime": 7200 + i}]
            bodies += [{"skip_consent_for_verifiable_first_party_clients": i % 2 == 0}]
        all_at_once(api, path, bodies)
        stored = api.get(path).json()
        api.patch(path, {"name": "before", "token_lifetime": 3600})  # the next round's start
        # Each property holds one of the values sent for it, never the value it started at.
        assert stored["name"].startswith("name "), stored
        assert 7200 <= stored["token_lifetime"] < 7204, stored


def test_concurrent_changes_of_one_client_grant_all_stay(api: Api) -> None:
    server = api.post(
        "/api/v2/resource-servers",
        {
            "identifier": f"https://api-{uuid.uuid4().hex[:12]}.example.com/",
            "scopes": [{"value": f"s{i}"} for i in range(4)],
        },
    ).json()
    client = api.post(
        "/api/v2/clients", {"name": "grant writers", "app_type": "non_interactive"}
    ).json()
    grant = api.post(
        "/api/v2/client-grants",
        {"client_id": client["client_id"], "audience": server["identifier"], "scope": []},
    )
    assert grant.status_code == 201, grant.text
    path = f"/api/v2/client-grants/{grant.json()['id']}"
    for _ in range(3):
        api.patch(path, {"scope": [], "allow_any_organization": False})
        bodies: list[dict[str, Any]] = []
        for i in range(4):
            bodies += [{"scope": [f"s{i}"]}, {"allow_any_organization": True}]
        all_at_once(api, path, bodies)
        # Filtered by client: the shared server holds more grants than one page lists
        listed = api.get("/api/v2/client-grants", client_id=client["client_id"]).json()
        stored = next(g for g in listed if g["id"] == grant.json()["id"])
        assert len(stored["scope"]) == 1, stored
        assert stored["allow_any_organization"] is True, stored
