"""The metadata history's retention: entries older than the configured period are deleted
soon after start and then every `every` seconds, by each server process (a delete that
another process already made deletes nothing)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Protocol

from selfauth.domain.clock import Clock

log = logging.getLogger(__name__)


class Forgetting(Protocol):
    async def forget_before(self, moment: datetime) -> int: ...


class HistoryRetention:
    def __init__(self, history: Forgetting, clock: Clock, keep: timedelta, every: float) -> None:
        self._history = history
        self._clock = clock
        self._keep = keep
        self._every = every
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="metadata-history-retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def purge(self) -> int:
        return await self._history.forget_before(self._clock() - self._keep)

    async def _run(self) -> None:
        while True:
            try:
                forgotten = await self.purge()
                if forgotten:
                    log.info("metadata history: %d entries past retention deleted", forgotten)
            except Exception:  # the database away for a while: tried again next time
                log.exception("could not delete old metadata history entries")
            await asyncio.sleep(self._every)
