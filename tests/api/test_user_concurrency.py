"""Concurrent writers never lose each other's updates."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.api import Api, user_path


async def _patch_all(api: Api, user_id: str, count: int) -> list[int]:
    headers = dict(api.http.headers)
    async with httpx.AsyncClient(base_url=api.server.base_url, headers=headers, timeout=60) as http:
        responses = await asyncio.gather(
            *(
                http.patch(user_path(user_id), json={"user_metadata": {f"key{i}": i}})
                for i in range(count)
            )
        )
    return [r.status_code for r in responses]


def test_fifty_concurrent_patches_of_different_keys_all_survive(api: Api) -> None:
    user = api.create_user(user_metadata={"existing": True})
    statuses = asyncio.run(_patch_all(api, user["user_id"], 50))
    assert statuses == [200] * 50
    stored = api.user(user["user_id"])["user_metadata"]
    assert stored == {"existing": True, **{f"key{i}": i for i in range(50)}}
