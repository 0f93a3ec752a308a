"""Writes execution records in batches, off the login's path.

A login only appends its record to memory; a background task writes what has gathered every
`interval` seconds in one multi-row insert, so hooks add no database write to a login. Records
are readable a moment later. What is buffered at a crash is lost: these are diagnostics.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any, Protocol

from selfauth.background import cancel
from selfauth.domain.actions.executions import ExecutionFilter
from selfauth.domain.clock import Clock

log = logging.getLogger("selfauth.hooks")

RETENTION = timedelta(days=10)  # Auth0 keeps executions for ten days
MAX_BUFFERED = 10_000


class ExecutionStore(Protocol):
    async def add_many(self, executions: list[dict[str, Any]]) -> None: ...
    async def purge(self, before: Any) -> int: ...
    async def get(self, execution_id: str) -> dict[str, Any] | None: ...
    async def page(
        self,
        wanted: ExecutionFilter,
        *,
        offset: int,
        limit: int,
    ) -> list[dict[str, Any]]: ...


class ExecutionJournal:
    def __init__(self, store: ExecutionStore, clock: Clock, interval: float = 0.2) -> None:
        self._store = store
        self._clock = clock
        self._interval = interval
        self._buffer: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None
        self._flushes = 0
        # A reader's flush must wait for a batch the background task is still writing.
        self._writing = asyncio.Lock()

    def record(self, execution: dict[str, Any]) -> None:
        if len(self._buffer) < MAX_BUFFERED:
            self._buffer.append(execution)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def close(self) -> None:
        await cancel(self._task)
        await self.flush()

    async def flush(self) -> None:
        """Write what has gathered; when it returns, every record made before it is stored."""
        async with self._writing:
            batch, self._buffer = self._buffer, []
            if batch:
                await self._store.add_many(batch)

    async def get(self, execution_id: str) -> dict[str, Any] | None:
        """An execution, written or still buffered (a login a moment ago)."""
        found = await self._store.get(execution_id)
        if found is None:
            await self.flush()
            found = await self._store.get(execution_id)
        return found

    async def page(
        self,
        wanted: ExecutionFilter,
        *,
        offset: int,
        limit: int,
    ) -> list[dict[str, Any]]:
        """Executions, newest first, including those still buffered."""
        await self.flush()
        return await self._store.page(wanted, offset=offset, limit=limit)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.flush()
                self._flushes += 1
                if self._flushes % 3000 == 0:  # about every ten minutes
                    await self._store.purge(self._clock() - RETENTION)
            except Exception:  # a failed write must not end the journal
                log.exception("could not write hook executions")
