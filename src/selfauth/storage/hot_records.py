"""Client grants and resource servers kept in memory once read by key.

Every client-credentials token request reads an API and the client's grant for it: lookups
that cost more than the rest of the request's database work, for rows that change rarely. A
process keeps what it found (never that something was missing, so a grant or API just made is
seen at once by every process) and forgets all of it when a client, grant or API changes: at
once after a write through this process (the repositories clear it after commit), and within
`SELFAUTH_CHANGES_POLL_SECONDS` after a write through another process or node, which
announces the `clients` topic in the same transaction (flows/changes.py clears it). Clients
themselves are read anew each time (storage/clients.py says why).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

# Past this many records the memory is given back and filling starts over; a tenant has far
# fewer grants and APIs on its token path.
LIMIT = 10_000


class HotRecords:
    def __init__(self, limit: int = LIMIT) -> None:
        self._found: dict[Hashable, object] = {}
        self._limit = limit
        # Bumped by every clear: a read that began before a clear and ends after it (on
        # PostgreSQL a lookup awaits the network) must not put back what was cleared.
        self._generation = 0

    async def get(self, key: Hashable, read: Callable[[], Awaitable[T | None]]) -> T | None:
        """The record under `key`, from memory or else by `read` (kept when found)."""
        if key in self._found:
            return self._found[key]  # type: ignore[return-value]
        generation = self._generation
        found = await read()
        if found is not None and generation == self._generation:
            if len(self._found) >= self._limit:
                self._found.clear()
            self._found[key] = found
        return found

    def clear(self) -> None:
        self._found.clear()
        self._generation += 1


class NoRecords(HotRecords):
    """Keeps nothing: for processes that serve no token requests (the CLI, the tests'
    direct repository use), where a changed row must be read anew every time."""

    async def get(self, key: Hashable, read: Callable[[], Awaitable[T | None]]) -> T | None:
        return await read()
