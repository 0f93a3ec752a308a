"""Each server process's watch on the change versions (domain/changes.py).

Every `interval` seconds one small read of the versions; a topic whose version moved since
the last read has its reloads run (the signing keys, the origins, the tenant's settings), so a
change made through any process or node is acted on here within about `interval` seconds.
`seen` is the versions read before this process loaded anything, so a change made while it
was starting is reloaded at the first check.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from selfauth.background import cancel

log = logging.getLogger("selfauth.changes")

Reload = Callable[[], Awaitable[None]]


class ChangeWatcher:
    def __init__(
        self,
        read_versions: Callable[[], Awaitable[dict[str, int]]],
        reloads: Mapping[str, Reload],
        *,
        seen: dict[str, int],
        interval: float,
    ) -> None:
        self._read = read_versions
        self._reloads = dict(reloads)
        self._interval = interval
        self._seen = seen
        self._task: asyncio.Task[None] | None = None

    async def check(self) -> list[str]:
        """Read the versions once and reload what moved; the topics reloaded."""
        versions = await self._read()
        seen, self._seen = self._seen, versions
        moved = [t for t, v in versions.items() if seen.get(t) != v and t in self._reloads]
        for topic in moved:
            try:
                await self._reloads[topic]()
            except Exception:  # this topic is read again next time; the others still reload
                log.exception("could not reload %s after a change", topic)
                versions.pop(topic, None)
        return moved

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.check()
            except Exception:  # the database away for a moment: try again next tick
                log.exception("could not read the change versions")
