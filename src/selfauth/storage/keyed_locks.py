"""One asyncio lock per key (a user id), so a process sends the database one read-modify-write
of a row at a time and queues the rest in memory.

Without it, on PostgreSQL, fifty concurrent PATCHes of one user each took a pooled connection,
began a transaction and waited in `SELECT ... FOR UPDATE`: the pool ran dry for every other
request, and the lock's holder, whose next statement waited behind the busy event loop, kept
it for milliseconds. Queued here, the waiters hold no connection and the holder's loop is
free (bench/RESULTS.md, 2026-12-07). Other processes still meet at the row lock, which keeps
their writes correct; this only keeps one process from piling up behind it.

A user's updates now queue in `write_batches.py` and reach here one batch at a time; account
linking (two users) and conditional deletes take these locks directly.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0  # holders and waiters: the entry goes when none is left


class KeyedLocks:
    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    @asynccontextmanager
    async def held(self, *keys: str) -> AsyncIterator[None]:
        """Every key's lock, taken in sorted order (two callers never wait in a cycle)."""
        async with AsyncExitStack() as stack:
            for key in sorted(set(keys)):
                await stack.enter_async_context(self._one(key))
            yield

    @asynccontextmanager
    async def _one(self, key: str) -> AsyncIterator[None]:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
