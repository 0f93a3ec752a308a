"""Every client's registered origins, held in memory for the CORS layer.

Browsers send `Origin` on most calls a single-page application makes; a query per call would
tax the token endpoint. The snapshot is built on the first request that needs it, dropped
whenever a client is saved or deleted through this process (`watch`), and rebuilt at least
every `max_age` seconds so a change made by another process sharing the database is seen too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from selfauth.domain.clients.model import Client
from selfauth.domain.clients.origins import OriginKey, OriginSet, registered_origins
from selfauth.domain.clients.service import ClientStore
from selfauth.domain.metadata_history import Authors

_PAGE = 500


class ClientLister(Protocol):
    async def list(
        self, *, offset: int, limit: int, newest_first: bool = False
    ) -> tuple[list[Client], int]: ...


@dataclass(frozen=True)
class _Snapshot:
    by_client: dict[str, OriginSet]
    anywhere: OriginSet  # the union: an origin some client registered
    generation: int
    taken: float


class OriginRegistry:
    def __init__(
        self,
        clients: ClientLister,
        *,
        max_age: float = 60.0,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clients = clients
        self._max_age = max_age
        self._now = now
        self._generation = 0
        self._snapshot: _Snapshot | None = None
        self._loading = asyncio.Lock()

    def invalidate(self) -> None:
        self._generation += 1
        self._snapshot = None

    async def allows(self, origin: str, client_id: str | None = None) -> bool:
        """Whether `origin` may call: registered by `client_id` when the request names a
        client this tenant has, else by any client (a preflight names none)."""
        snapshot = await self._current()
        if client_id is not None:
            named = snapshot.by_client.get(client_id)
            if named is not None:
                return named.allows(origin)
        return snapshot.anywhere.allows(origin)

    def watch(self, store: ClientStore) -> ClientStore:
        """`store`, telling this registry whenever a client is added, changed or deleted."""
        return _WatchedClients(store, self)

    async def _current(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is not None and self._now() - snapshot.taken < self._max_age:
            return snapshot
        async with self._loading:  # concurrent first requests share one load
            snapshot = self._snapshot
            if snapshot is None or self._now() - snapshot.taken >= self._max_age:
                snapshot = await self._load()
                if snapshot.generation == self._generation:  # no change arrived meanwhile
                    self._snapshot = snapshot
            return snapshot

    async def _load(self) -> _Snapshot:
        generation, taken = self._generation, self._now()
        by_client: dict[str, OriginSet] = {}
        exact: set[OriginKey] = set()
        wildcards: set[OriginKey] = set()
        offset = 0
        while True:
            page, total = await self._clients.list(offset=offset, limit=_PAGE)
            for client in page:
                origins = registered_origins(client)
                by_client[client.client_id] = origins
                exact |= origins.exact
                wildcards |= origins.wildcards
            offset += len(page)
            if not page or offset >= total:
                break
        anywhere = OriginSet(frozenset(exact), frozenset(wildcards))
        return _Snapshot(by_client, anywhere, generation, taken)


class _WatchedClients:
    def __init__(self, store: ClientStore, registry: OriginRegistry) -> None:
        self._store = store
        self._registry = registry

    async def get(self, client_id: str) -> Client | None:
        return await self._store.get(client_id)

    async def list(
        self, *, offset: int, limit: int, newest_first: bool = False
    ) -> tuple[list[Client], int]:
        return await self._store.list(offset=offset, limit=limit, newest_first=newest_first)

    async def insert(self, client: Client) -> None:
        try:
            await self._store.insert(client)
        finally:
            self._registry.invalidate()

    async def update(
        self, client_id: str, change: Callable[[Client], Client], by: Authors | None = None
    ) -> Client | None:
        try:
            return await self._store.update(client_id, change, by)
        finally:
            self._registry.invalidate()

    async def delete(
        self, client_id: str, check: Callable[[Client | None], None] | None = None
    ) -> bool:
        try:
            return await self._store.delete(client_id, check)
        finally:
            self._registry.invalidate()
